package mail

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Mode says what happens to attachments.
type Mode uint8

// Modes. The zero value is ModeSanitize.
const (
	// ModeSanitize re-attaches each attachment the engine cleared (sanitized
	// or proven harmless) and lists the removed ones.
	ModeSanitize Mode = iota
	// ModeText is the pure text-ization method (メールテキスト化方式): no
	// attachment crosses; all are listed in the notice and kept with the
	// original.
	ModeText
)

// Options configure the mail sanitizer. The zero value is the documented
// default: attachments sanitized and re-attached, text/plain preferred in
// multipart/alternative, link targets shown as text, a Japanese notice at
// the end, UTF-8 output.
type Options struct {
	Mode Mode
	// PreferHTML takes the HTML alternative (converted to text) over the
	// text/plain one in multipart/alternative.
	PreferHTML bool
	// HTML configures the HTML → text conversion of HTML bodies.
	HTML html.Options
	// Lang of the notice: "ja" (default) or "en".
	Lang string
	// NoticeTop puts the notice before the text instead of after it.
	NoticeTop bool
	// ISO2022JP writes the text and headers in ISO-2022-JP for legacy
	// clients when every character can be; otherwise UTF-8 is used.
	ISO2022JP bool
}

// Sanitizer turns a mail into a safe text message. It is safe for
// concurrent use.
type Sanitizer struct {
	opts Options
	// Choose picks the options for one message, e.g. per recipient domain;
	// nil means opts for every message.
	Choose func(ctx context.Context) Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns a mail sanitizer with opts.
func New(opts Options) *Sanitizer { return &Sanitizer{opts: opts} }

// Limits of the MIME walk beyond the engine's.
const (
	maxMIMEDepth  = 32       // multipart nesting inside one message
	partHeaderMax = 64 << 10 // bytes of one part's header
	topHeaderMax  = maxHeaderBytes
)

// Sanitize reads the message in it.Src and writes the cleared message to
// dst: the kept headers, one text body with the notice, and (ModeSanitize)
// the cleared attachments. Parts are judged by the engine through
// it.Child. Malformed structure never fails the message: what can be read
// is kept and the rest is removed with a finding. An error is returned only
// when the work cannot be done (deadline, spool failure, output limit).
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	opts := s.opts
	if s.Choose != nil {
		opts = s.Choose(ctx)
	}
	w := &walker{
		ctx:   ctx,
		it:    it,
		opts:  opts,
		m:     newMIMEReader(it.Src),
		trace: sanitize.TraceFrom(ctx),
	}
	defer w.closeAll()
	defer w.m.release()

	top := w.m.readHeader(topHeaderMax, true)
	if top.truncated {
		w.find("mail.header", "header", sanitize.Recorded, "header over the size or field limit was cut")
	}
	body := it.NewSpool(0)
	defer body.Close()
	sink := &textSink{w: body}
	if err := w.walkPart(top, "", 0, sink, ""); err != nil {
		return w.res, err
	}
	if err := w.m.drain(); err != nil && err != io.EOF {
		return w.res, fmt.Errorf("mail: reading: %w", err)
	}
	w.htmlBody = sink.html
	text, err := body.Finish()
	if err != nil {
		return w.res, err
	}
	defer text.Close()
	if err := w.write(dst, &top, text); err != nil {
		return w.res, err
	}
	w.res.Kind = detect.EML
	w.res.Textized = true
	return w.res, nil
}

// find adds a finding to the message's result.
func (w *walker) find(rule, where string, a sanitize.Action, detail string) {
	w.res.Findings = append(w.res.Findings, sanitize.Finding{Rule: rule, Where: where, Action: a, Detail: detail})
}

// rules lists the distinct rules above Recorded of the message and all its
// parts, sorted, for the X-Mugai-Findings header.
func (w *walker) rules() []string {
	seen := map[string]bool{}
	add := func(fs []sanitize.Finding) {
		for _, f := range fs {
			if f.Action > sanitize.Recorded {
				seen[f.Rule] = true
			}
		}
	}
	add(w.res.Findings)
	for _, c := range w.res.Children {
		c.Walk(func(_ int, r *sanitize.Report) { add(r.Findings) })
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
