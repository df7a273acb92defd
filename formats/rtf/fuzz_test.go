package rtf

import (
	"bytes"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitize"
)

// FuzzRTF: the tokenizer and the rewriter never panic or hang; they fail
// only with the sentinel errors; every output is balanced, free of the
// removed constructs by the independent residue scan, and a fixed point
// (sanitizing it again changes nothing and finds nothing); text mode
// writes valid UTF-8. Seeds are the fixtures.
func FuzzRTF(f *testing.F) {
	for _, tc := range cases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		watchdog := time.AfterFunc(5*time.Second, func() { panic("rtf hangs") })
		defer watchdog.Stop()
		opt := Options{MaxDepth: 64, MaxFieldBytes: 1 << 16}
		out, _, err := sanitizeBytes(t, opt, in)
		if err != nil {
			if !errors.Is(err, sanitize.ErrMalformed) && !errors.Is(err, sanitize.ErrTooLarge) {
				t.Fatalf("error %v", err)
			}
		} else {
			if !balanced(out) && !bytes.Contains(out, []byte(`\bin`)) {
				t.Fatalf("unbalanced output %q", out)
			}
			out2, res2, err := sanitizeBytes(t, opt, out)
			if err != nil {
				t.Fatalf("output does not re-read: %v\n%q", err, out)
			}
			if !bytes.Equal(out, out2) {
				t.Fatalf("not a fixed point:\n%q\n%q", out, out2)
			}
			for _, f := range res2.Findings {
				if f.Action > sanitize.Recorded {
					t.Fatalf("second pass finding %+v in %q", f, out)
				}
			}
		}
		txt, _, err := sanitizeBytes(t, Options{Mode: ModeText, MaxDepth: 64}, in)
		if err == nil && !utf8.Valid(txt) {
			t.Fatalf("text output is not UTF-8: %q", txt)
		}
	})
}
