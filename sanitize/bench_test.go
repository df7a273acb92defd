package sanitize_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// copyMail is a stand-in mail sanitizer that costs almost nothing: it
// streams its input to its output unchanged, so the output verifies as a
// mail. Benchmarks that use it measure the engine alone.
var copyMail = sanitize.SanitizerFunc(func(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	_, err := io.Copy(dst, it.Src)
	return sanitize.Result{}, err
})

// smallMail is a Japanese multipart/alternative mail of about size bytes,
// the shape the SMTP relay sees most.
func smallMail(size int) []byte {
	var body strings.Builder
	for body.Len() < size/2 {
		body.WriteString("お世話になっております。見積書の送付の件でご連絡いたします。\r\n")
	}
	return []byte("From: sender@example.com\r\nTo: b@example.lg.jp\r\nSubject: =?UTF-8?B?6KaL56mN5pu4?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=A\r\n\r\n--A\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + body.String() +
		"--A\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>" + body.String() + "</p>\r\n--A--\r\n")
}

// BenchmarkEngineRunKind5KB runs a 5 KB mail through RunKind as the SMTP
// relay does (kind given, verification on) with a sanitizer that only
// copies: what is left is the engine's own per-item cost (spooling,
// hashing, the guard, detection and the verification pass).
func BenchmarkEngineRunKind5KB(b *testing.B) {
	e := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.EML: copyMail},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		Limits:     sanitize.Limits{Timeout: 10 * time.Second},
	}
	msg := smallMail(5000)
	src := sanitize.BlobBytes(msg)
	ctx := context.Background()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		rep, out, err := e.RunKind(ctx, src, "message.eml", "message/rfc822", detect.EML)
		if err != nil || rep.Outcome != sanitize.OutcomePassed {
			b.Fatalf("%v %s %v", err, rep.Outcome, rep.Findings)
		}
		if out != src {
			out.Close()
		}
	}
}

// BenchmarkEngineRun5KB is the same through Run: spooling the input and
// detecting its kind are part of the cost.
func BenchmarkEngineRun5KB(b *testing.B) {
	e := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.EML: copyMail},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		Limits:     sanitize.Limits{Timeout: 10 * time.Second},
	}
	msg := smallMail(5000)
	ctx := context.Background()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		rep, out, err := e.Run(ctx, sanitize.Input{R: bytes.NewReader(msg), Name: "m.eml"})
		if err != nil || rep.Outcome != sanitize.OutcomePassed {
			b.Fatalf("%v %s %v", err, rep.Outcome, rep.Findings)
		}
		out.Close()
	}
}
