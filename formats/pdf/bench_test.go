package pdf

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// benchPDF generates a PDF of the given pages with the shared generator
// (../shared/bench/gen/make-pdf.py, default 100 px image per page).
func benchPDF(b *testing.B, pages int) (string, []byte) {
	b.Helper()
	gen := "../../../shared/bench/gen/make-pdf.py"
	if _, err := os.Stat(gen); err != nil {
		b.Skip("no generator at " + gen)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("python3 not installed")
	}
	f := filepath.Join(b.TempDir(), strconv.Itoa(pages)+".pdf")
	if out, err := exec.Command("python3", gen, f, strconv.Itoa(pages)).CombinedOutput(); err != nil {
		b.Fatalf("make-pdf: %v\n%s", err, out)
	}
	in, err := os.ReadFile(f)
	if err != nil {
		b.Fatal(err)
	}
	return f, in
}

var benchPages = []int{1, 20, 200}

func BenchmarkSanitize(b *testing.B) {
	for _, pages := range benchPages {
		b.Run(strconv.Itoa(pages)+"pages", func(b *testing.B) {
			_, in := benchPDF(b, pages)
			s := New(Options{})
			it := item(in)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sanitize(b.Context(), io.Discard, it); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQPDF times `qpdf in out` (a full rewrite) on the same files, for
// the ratio; `mutool clean` too when mupdf-tools is installed.
func BenchmarkQPDF(b *testing.B) {
	for _, tool := range []struct {
		name string
		args func(in, out string) []string
	}{
		{"qpdf", func(in, out string) []string { return []string{in, out} }},
		{"mutool", func(in, out string) []string { return []string{"clean", in, out} }},
	} {
		for _, pages := range benchPages {
			b.Run(tool.name+"/"+strconv.Itoa(pages)+"pages", func(b *testing.B) {
				if _, err := exec.LookPath(tool.name); err != nil {
					b.Skip(tool.name + " not installed")
				}
				f, in := benchPDF(b, pages)
				out := filepath.Join(b.TempDir(), "out.pdf")
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				for b.Loop() {
					if msg, err := exec.Command(tool.name, tool.args(f, out)...).CombinedOutput(); err != nil {
						b.Fatalf("%v\n%s", err, bytes.TrimSpace(msg))
					}
				}
			})
		}
	}
}
