package detect

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDetect checks that Detect never panics, returns a known kind and reads
// a bounded number of bytes, also when the input claims to be far larger
// than it is (the bytes past the data read as zeros). Seeds: every
// generated fixture.
func FuzzDetect(f *testing.F) {
	recoverPanics = false // a panic must fail the fuzzer, not become Binary
	f.Cleanup(func() { recoverPanics = true })
	des, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join("testdata", de.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, de.Name(), uint64(0))
		f.Add(data, "", uint64(1)<<40)
	}
	f.Fuzz(func(t *testing.T, data []byte, name string, extra uint64) {
		extra %= 1 << 42
		for _, size := range []int64{int64(len(data)), int64(len(data)) + int64(extra)} {
			cr := &countingReaderAt{r: hugeReaderAt{data}}
			k := Detect(cr, size, name)
			if !Known(k) {
				t.Fatalf("Detect returned unknown kind %q", k)
			}
			if cr.n > maxReadBytes {
				t.Fatalf("Detect read %d bytes of a %d-byte input, budget %d", cr.n, size, maxReadBytes)
			}
			if size == int64(len(data)) {
				// Through a plain reader, the same answer.
				if k2 := Detect(bytes.NewReader(data), size, name); k2 != k {
					t.Fatalf("Detect differs by reader: %q vs %q", k, k2)
				}
			}
			Compare(Declared(name, ""), k)
		}
	})
}
