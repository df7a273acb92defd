package archive

import (
	"bytes"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// fuzzSeeds are small generated archives covering the reader's paths.
func fuzzSeeds(t testing.TB) [][]byte {
	return [][]byte{
		stdZip(t, "a.txt", "hello", "dir/b.txt", "world"),
		buildZip([]rawEntry{{name: sjis("表だよ/一覧表.txt"), data: []byte("abc")}}),
		buildZip([]rawEntry{{name: []byte("a.txt"), data: []byte("sixty-four"), zip64: true}}),
		buildZip([]rawEntry{{name: []byte("z.txt"), data: []byte("0123456789"), comp: deflate([]byte("0123456789")), method: 8}}),
		buildZip([]rawEntry{{name: sjis("予定.txt"), data: []byte("x"), extra: unicodePath(sjis("予定.txt"), "予定.txt")}}),
	}
}

// FuzzZip: no panic, no run past the deadline, and every output crosses
// again unchanged (it re-opens, its members pass, nothing is removed).
func FuzzZip(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	eng := newEngine(f, sanitize.Limits{Timeout: 5 * time.Second, MaxExpanded: 16 << 20, MaxParts: 64})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, b := sanitizetest.FuzzRun(t, eng, in, "f.zip", detect.ZIP)
		if b == nil {
			return
		}
		rep2, out2, err := eng.RunKind(t.Context(), sanitize.BlobBytes(b), "g.zip", "", detect.ZIP)
		if err != nil {
			t.Fatal(err)
		}
		if out2 == nil {
			t.Fatalf("output blocked on re-sanitize: %+v", rep2.Findings)
		}
		if b2 := sanitizetest.Output(t, out2); !bytes.Equal(b, b2) {
			t.Fatalf("re-sanitizing changed the output")
		}
	})
}

// FuzzSevenZipHeader: the 7z header pre-check never panics and never
// allocates past its bounds.
func FuzzSevenZipHeader(f *testing.F) {
	f.Add([]byte("7z\xbc\xaf\x27\x1c\x00\x04"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = checkSevenZipHeader(bytes.NewReader(in), int64(len(in)), 64)
	})
}
