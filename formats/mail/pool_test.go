package mail_test

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/sanitize"
)

// TestConcurrentMessages runs the test cases and the benchmark mails many at
// a time through one engine: every output must equal the one the message
// gets alone. The mail, text and html packages pool their buffers, and a
// buffer handed from one message to another must carry nothing across.
func TestConcurrentMessages(t *testing.T) {
	var msgs [][]byte
	for _, tc := range mailCases {
		if tc.opts == (mail.Options{}) {
			msgs = append(msgs, lf2crlf(tc.msg))
		}
	}
	msgs = append(msgs, japaneseHTMLMail(), japaneseAlternativeMail(), mailWithAttachment(200<<10))
	e := engine(mail.Options{})
	want := make([][]byte, len(msgs))
	for i, m := range msgs {
		_, want[i] = run(t, e, m)
	}
	const rounds = 4
	var wg sync.WaitGroup
	for r := range rounds {
		for i, m := range msgs {
			wg.Go(func() {
				// run would call t.Fatal, which only the test goroutine may.
				ctx := sanitize.WithTrace(context.Background(), testTrace)
				_, out, err := e.Run(ctx, sanitize.Input{R: bytes.NewReader(m), Name: "mail.eml"})
				if err != nil {
					t.Errorf("round %d, message %d: %v", r, i, err)
					return
				}
				defer out.Close()
				if got, err := io.ReadAll(out.Reader()); err != nil || !bytes.Equal(got, want[i]) {
					t.Errorf("round %d, message %d: output differs from the one made alone (%v)", r, i, err)
				}
			})
		}
	}
	wg.Wait()
}
