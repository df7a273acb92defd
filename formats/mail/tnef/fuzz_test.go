package tnef

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

// fuzzLimits are small so that the fuzzer reaches every limit.
var fuzzLimits = Limits{
	MaxAttributes:     64,
	MaxAttachments:    8,
	MaxAttachmentSize: 64 << 10,
	MaxTotal:          256 << 10,
	MaxProperties:     256,
}

// FuzzDecode checks that Decode never panics, returns either a message or
// an error wrapping one of the two sentinels, stays within its limits, and
// allocates in proportion to MaxTotal rather than to length fields.
func FuzzDecode(f *testing.F) {
	e, _ := twoAttachments()
	f.Add(e.Bytes())
	f.Add(manyAttachments(10))
	body := newEncoder(1252)
	body.attr(lvlMessage, idBody, []byte("text\x00"))
	body.attr(lvlMessage, idMsgProps, new(plist).unicode(prBody, "x").binary(prRTFCompressed, []byte{1}).
		namedString(0x8001, make([]byte, 16), "n", "v").mvFixed(ptI2, 0x7000, []byte{1, 0, 0, 0}).bytes())
	body.attach(nil, []byte("placeholder"), new(plist).object(prAttachDataBin, iidIMessage, e.Bytes()))
	f.Add(body.Bytes())
	for _, tc := range corpusTNEF {
		if b, err := readCorpus(tc.file); err == nil && len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		m, err := Decode(bytes.NewReader(b), fuzzLimits)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Decode took %v on %d bytes", d, len(b))
		}
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > 4*uint64(fuzzLimits.MaxTotal)+1<<20 {
			t.Errorf("allocated %d bytes on %d bytes of input", d, len(b))
		}
		if err != nil {
			if m != nil {
				t.Fatal("message and error")
			}
			if !errors.Is(err, sanitize.ErrMalformed) && !errors.Is(err, sanitize.ErrTooLarge) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if len(m.Attachments) > fuzzLimits.MaxAttachments {
			t.Fatalf("%d attachments", len(m.Attachments))
		}
		var total int
		for _, a := range m.Attachments {
			if int64(len(a.Data)) > fuzzLimits.MaxAttachmentSize {
				t.Fatalf("attachment of %d bytes", len(a.Data))
			}
			total += len(a.Data)
			// Decode slices attachments out of the stream; it never
			// invents bytes.
			if !bytes.Contains(b, a.Data) {
				t.Fatalf("attachment %q: data not in the input", a.Name)
			}
		}
		if int64(total) > fuzzLimits.MaxTotal || total > len(b) {
			t.Fatalf("%d bytes of attachments from %d bytes", total, len(b))
		}
		// Deterministic: a second decode gives the same result.
		m2, err := Decode(bytes.NewReader(b), fuzzLimits)
		if err != nil || len(m2.Attachments) != len(m.Attachments) || m2.Body != m.Body {
			t.Fatalf("second decode differs: %v", err)
		}
	})
}

func readCorpus(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(corpusDir, name))
}
