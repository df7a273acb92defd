package archive

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
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
		start := time.Now()
		rep, out, err := eng.RunKind(t.Context(), sanitize.BlobBytes(in), "f.zip", "", detect.ZIP)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Rule == sanitize.RuleLimitTime }) {
			t.Fatalf("hit the deadline: %+v", rep.Findings)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %v", d)
		}
		if out == nil {
			return
		}
		defer out.Close()
		b := make([]byte, out.Size())
		if _, err := out.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		rep2, out2, err := eng.RunKind(t.Context(), sanitize.BlobBytes(b), "g.zip", "", detect.ZIP)
		if err != nil {
			t.Fatal(err)
		}
		if out2 == nil {
			t.Fatalf("output blocked on re-sanitize: %+v", rep2.Findings)
		}
		defer out2.Close()
		b2 := make([]byte, out2.Size())
		out2.ReadAt(b2, 0)
		if !bytes.Equal(b, b2) {
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
