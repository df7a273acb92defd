package sanitize

import (
	"context"
	"time"
)

// Trace is what the caller knows about an item before it is sanitized: the
// quarantine ID under which the original was stored, when and how it was
// received. Formats that write it into their output (the mail sanitizer's
// Received line, X-Mugai headers and notice) read it from the context.
type Trace struct {
	QuarantineID string    // "" until the original is stored
	Received     time.Time // zero: the format leaves the time out
	Via          string    // how it came: "SMTP from [192.0.2.1]", "file drop", "mugai sanitize"
	Host         string    // this gateway's host name, for Received lines
	From         string    // envelope sender, when there is an envelope
	To           []string  // envelope recipients
}

type traceKey struct{}

// WithTrace returns ctx carrying t.
func WithTrace(ctx context.Context, t Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// TraceFrom returns the Trace carried by ctx, or the zero Trace.
func TraceFrom(ctx context.Context) Trace {
	t, _ := ctx.Value(traceKey{}).(Trace)
	return t
}
