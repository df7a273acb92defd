package ole

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize/detect"
)

// BenchmarkScanDoc scans a 4 MiB Word stream (field marks included) in a
// compound file with a few storages.
func BenchmarkScanDoc(b *testing.B) {
	text := strings.Repeat("BENIGN-TEXT \x13 PAGE \x14 1\x15 市役所 ", 4<<20/40)
	in := buildCFB(doc(0xC1, 0, text, 0, 64<<10, storage("ObjectPool"))...)
	bench(b, in, detect.DOC)
}

// BenchmarkScanXLS scans a workbook of 100 000 records.
func BenchmarkScanXLS(b *testing.B) {
	var recs [][]byte
	for i := range 100000 {
		recs = append(recs, boundSheet("Sheet"+strings.Repeat("x", i%20), 0))
	}
	in := buildCFB(stream("Workbook", workbook(recs...)))
	bench(b, in, detect.XLS)
}

// BenchmarkScanPPT scans a presentation of 100 000 atoms.
func BenchmarkScanPPT(b *testing.B) {
	var recs [][]byte
	for range 100000 {
		recs = append(recs, pptRec(0, 0x0FA8, []byte("BENIGN-TEXT slide text")))
	}
	in := buildCFB(stream("PowerPoint Document", presentation(recs...)))
	bench(b, in, detect.PPT)
}

func bench(b *testing.B, in []byte, k detect.Kind) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := scanBytes(b, in, k, Options{})
		if err != nil || len(res.Findings) > 0 {
			b.Fatal(err, res.Findings, bytes.HasPrefix(in, cfbMagic))
		}
	}
}
