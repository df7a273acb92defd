package uue

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

var fuzzLimits = Limits{MaxBlocks: 16, MaxBlockSize: 4 << 10}

// FuzzSplit checks that Split never panics, ends in bounded time, reports
// only ErrTooLarge, keeps its limits, only removes whole lines, and leaves
// no block in the text: splitting the text again finds nothing and changes
// nothing.
func FuzzSplit(f *testing.F) {
	data := []byte("\x00\x01binary\xff payload 添付")
	f.Add("text\n" + uuencode("644", "a.exe", data, "\n") + "more\n")
	f.Add("x\r\n" + uuencode("0600", "b", data, "\r\n") + b64encode("755", "c", data, "\r\n"))
	f.Add("begin 3 times\nbegin 644 b\n#86)C\n`\nend\n#86)C\n`\nend\n")
	f.Add("begin-base64 644 p\nYQ==\nYWJj\n====\n")
	f.Add("begin 644 x\n#86)C\n")
	f.Add("begin 1 a\n#86)C\nbegin 2 b\n!80``\n \nend\n")
	for _, tc := range corpusMail {
		if b, err := os.ReadFile(filepath.Join(corpusDir, tc.file)); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		start := time.Now()
		var out bytes.Buffer
		var blocks []Block
		err := Split(bytes.NewReader([]byte(in)), &out, fuzzLimits, func(b Block) error {
			blocks = append(blocks, b)
			return nil
		})
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Split took %v on %d bytes", d, len(in))
		}
		if len(blocks) > fuzzLimits.MaxBlocks {
			t.Fatalf("%d blocks", len(blocks))
		}
		for _, b := range blocks {
			if int64(len(b.Data)) > fuzzLimits.MaxBlockSize {
				t.Fatalf("block of %d bytes", len(b.Data))
			}
			if b.Err != nil && !errors.Is(b.Err, sanitize.ErrMalformed) {
				t.Fatalf("block Err %v", b.Err)
			}
		}
		if err != nil {
			if !errors.Is(err, sanitize.ErrTooLarge) {
				t.Fatalf("Split: %v", err)
			}
			return
		}
		checkLinesKept(t, in, out.String())
		checkIdempotent(t, out.String())
	})
}
