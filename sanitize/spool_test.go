package sanitize

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestBlobStream checks Stream against the content, in memory and on disk,
// through Read (iotest) and through WriteTo after a partial read.
func TestBlobStream(t *testing.T) {
	want := []byte(strings.Repeat("無害化ゲートウェイ 0123456789\n", 5000)) // ~185 KB
	for _, mem := range []int64{1 << 20, 1 << 10} {
		sp := NewSpool(t.TempDir(), mem, 1<<30)
		if _, err := sp.Write(want); err != nil {
			t.Fatal(err)
		}
		b, err := sp.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if got := b.InMemory(); got != (mem == 1<<20) {
			t.Fatalf("mem %d: InMemory = %v", mem, got)
		}
		if err := iotest.TestReader(b.Stream(), want); err != nil {
			t.Fatalf("mem %d: %v", mem, err)
		}
		r := b.Stream()
		head := make([]byte, 1000)
		if _, err := io.ReadFull(r, head); err != nil {
			t.Fatal(err)
		}
		var rest bytes.Buffer
		n, err := r.(io.WriterTo).WriteTo(&rest)
		if err != nil || n != int64(len(want)-1000) {
			t.Fatalf("mem %d: WriteTo = %d, %v", mem, n, err)
		}
		if !bytes.Equal(append(head, rest.Bytes()...), want) {
			t.Fatalf("mem %d: content differs", mem)
		}
		b.Close()
	}
}
