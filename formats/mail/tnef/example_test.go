package tnef

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mugai-project/mugai/sanitize"
)

// The mail sanitizer decodes an application/ms-tnef part, blocks it on any
// error, and handles each attachment like a MIME attachment.
func ExampleDecode() {
	e := newEncoder(932)
	e.attach(sjis("見積書.TXT"), []byte("quote\n"), new(plist).unicode(prAttachLongFilename, "見積書（2025年度）.txt"))
	winmailDat := e.Bytes()

	m, err := Decode(bytes.NewReader(winmailDat), Limits{})
	switch {
	case errors.Is(err, sanitize.ErrTooLarge), errors.Is(err, sanitize.ErrMalformed):
		fmt.Println("blocked:", err)
		return
	case err != nil:
		fmt.Println("error:", err)
		return
	}
	for _, a := range m.Attachments {
		fmt.Printf("%s (also %q): %d bytes, embedded %v\n", a.Name, a.AltNames, len(a.Data), a.Embedded)
	}
	// Output:
	// 見積書（2025年度）.txt (also ["見積書.TXT"]): 6 bytes, embedded false
}
