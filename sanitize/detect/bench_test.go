package detect

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchDetect measures Detect over one fixture held in memory. SetBytes is
// the file size: these fixtures are smaller than the 8 KiB prefix, so
// Detect reads them whole.
func benchDetect(b *testing.B, fixture string) {
	data, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		b.Fatal(err)
	}
	want := fixtureKinds[fixture]
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if k := Detect(r, int64(len(data)), fixture); k != want {
			b.Fatalf("Detect = %q, want %q", k, want)
		}
	}
}

func BenchmarkDetectPDF(b *testing.B)  { benchDetect(b, "junk_header.pdf") }
func BenchmarkDetectDOCX(b *testing.B) { benchDetect(b, "docx.docx") }
func BenchmarkDetectDOC(b *testing.B)  { benchDetect(b, "word.doc") }
func BenchmarkDetectText(b *testing.B) { benchDetect(b, "sjis.txt") }
func BenchmarkDetectEML(b *testing.B)  { benchDetect(b, "mail.eml") }

// BenchmarkDetectBinary10MB detects 10 MB of random bytes. It sets no
// byte count: Detect reads a bounded prefix and a few fixed offsets, so a
// throughput figure would only grow with the file size.
func BenchmarkDetectBinary10MB(b *testing.B) {
	data := make([]byte, 10<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	r := bytes.NewReader(data)
	b.ReportAllocs()
	for b.Loop() {
		if k := Detect(r, int64(len(data)), "x.bin"); k != Binary {
			b.Fatalf("Detect = %q", k)
		}
	}
}

// BenchmarkDetectText8K detects a Shift_JIS text larger than the prefix.
func BenchmarkDetectText8K(b *testing.B) {
	data := bytes.Repeat(sjisBench, (64<<10)/len(sjisBench))
	r := bytes.NewReader(data)
	b.SetBytes(prefixLen)
	b.ReportAllocs()
	for b.Loop() {
		if k := Detect(r, int64(len(data)), "a.txt"); k != Text {
			b.Fatalf("Detect = %q", k)
		}
	}
}

// sjisBench is "申請書の受付について。\r\n" in Shift_JIS.
var sjisBench = []byte("\x90\x5c\x90\xbf\x8f\x91\x82\xcc\x8e\xf3\x95\x74\x82\xc9\x82\xc2\x82\xa2\x82\xc4\x81\x42\r\n")
