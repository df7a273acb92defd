package mail_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/sanitize"
)

// FuzzSanitize feeds arbitrary messages through the engine and the mail
// sanitizer. Properties: no panic inside the sanitizer (the engine would
// hide it as a finding, so findings are checked for it), every item ends
// within its deadline, and a textized output parses with go-message and has
// no text/html part.
func FuzzSanitize(f *testing.F) {
	for _, tc := range mailCases {
		f.Add(lf2crlf(tc.msg))
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=a\n\n--a--\n"))
	e := engine(mail.Options{})
	e.Limits.Timeout = 5 * time.Second
	f.Fuzz(func(t *testing.T, msg []byte) {
		rep, out := run(t, e, msg)
		rep.Walk(func(_ int, r *sanitize.Report) {
			for _, fd := range r.Findings {
				if strings.Contains(fd.Detail, "panic") {
					t.Fatalf("sanitizer panicked: %s", fd.Detail)
				}
				if fd.Rule == sanitize.RuleLimitTime {
					t.Fatalf("deadline: %s", fd.Detail)
				}
			}
		})
		if out == nil {
			return
		}
		r, err := gomail.CreateReader(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		for {
			p, err := r.NextPart()
			if err != nil {
				break
			}
			if h, ok := p.Header.(*gomail.InlineHeader); ok {
				if ct, _, _ := h.ContentType(); ct == "text/html" {
					t.Fatalf("text/html part in output")
				}
			}
		}
	})
}
