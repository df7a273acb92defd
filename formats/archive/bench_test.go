package archive

import (
	"archive/zip"
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

// docsZip is a zip of about size bytes of office-like text members: plain
// text, CSV and (as text, since the test engine has no HTML sanitizer)
// HTML-like notices, each 50–200 KB, with Japanese names and content.
func docsZip(t testing.TB, size int) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; b.Len() < size; i++ {
		var body strings.Builder
		var name string
		switch i % 3 {
		case 0:
			name = fmt.Sprintf("議事録/第%d回会議.txt", i)
			for j := 0; body.Len() < 60<<10+i*1000; j++ {
				fmt.Fprintf(&body, "第%d項 市民課からの報告。住民票の写しの交付件数は%d件でした。Item %d of the minutes.\r\n", j, j*37%1000, j)
			}
		case 1:
			name = fmt.Sprintf("統計/集計表%d.csv", i)
			body.WriteString("地区,人口,世帯数,備考\r\n")
			for j := 0; body.Len() < 120<<10; j++ {
				fmt.Fprintf(&body, "第%d地区,%d,%d,\"備考 %d\"\r\n", j, 1000+j*13%9000, 400+j*7%3000, j)
			}
		default:
			name = fmt.Sprintf("お知らせ/notice%d.txt", i)
			for j := 0; body.Len() < 50<<10; j++ {
				fmt.Fprintf(&body, "<p>お知らせ %d: 窓口の受付時間は午前8時30分から午後5時15分までです。</p>\r\n", j)
			}
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body.String()))
	}
	zw.Close()
	return b.Bytes()
}

// BenchmarkZipDocuments sanitizes a 10 MB zip of documents (about 60 MB
// expanded) through the engine, members and re-scan included. MB/s is of
// the compressed input; peak-heap-MB is the heap in use at the end of the
// run, sampled after each iteration.
func BenchmarkZipDocuments(b *testing.B) {
	in := docsZip(b, 10<<20)
	eng := newEngine(b, sanitize.Limits{MaxExpanded: 1 << 30})
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	for b.Loop() {
		rep, out, err := eng.RunBlob(b.Context(), sanitize.BlobBytes(in), "docs.zip", "")
		if err != nil || out == nil {
			b.Fatalf("%v %+v %s", err, rep.Findings, rep.Error)
		}
		out.Close()
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	zr, _ := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	var exp uint64
	for _, f := range zr.File {
		exp += f.UncompressedSize64
	}
	b.ReportMetric(float64(exp)/(1<<20), "expanded-MB")
}

// BenchmarkZipDocumentsNoVerify is BenchmarkZipDocuments without the
// engine's re-scan of the output: the sanitizer's own cost.
func BenchmarkZipDocumentsNoVerify(b *testing.B) {
	in := docsZip(b, 10<<20)
	eng := newEngine(b, sanitize.Limits{MaxExpanded: 1 << 30})
	eng.SkipVerify = true
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		_, out, err := eng.RunBlob(b.Context(), sanitize.BlobBytes(in), "docs.zip", "")
		if err != nil || out == nil {
			b.Fatal(err)
		}
		out.Close()
	}
}
