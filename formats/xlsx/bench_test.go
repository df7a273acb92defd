package xlsx

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// bigBook is a workbook of rows rows: a number, a shared string (every
// row its own, so the table grows with the sheet), a formula with its
// cached value, a styled percent and an inline string. strLen pads the
// shared strings.
func bigBook(t testing.TB, rows, strLen int) []byte {
	sst := make([]string, rows)
	pad := strings.Repeat("あ", strLen/3)
	var sh strings.Builder
	sh.WriteString(`<cols><col min="2" max="2" width="40" customWidth="1"/></cols><sheetData>`)
	for r := 1; r <= rows; r++ {
		sst[r-1] = fmt.Sprintf("住民票 %d 番 %x %s", r, r*2654435761, pad)
		fmt.Fprintf(&sh, `<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c><c r="C%d"><f>A%d*2</f><v>%d</v></c><c r="D%d" s="2"><v>0.%d</v></c><c r="E%d" t="inlineStr"><is><t>備考 %d</t></is></c></row>`,
			r, r, r, r, r-1, r, r, 2*r, r, r%100, r, r)
	}
	sh.WriteString(`</sheetData><mergeCells count="1"><mergeCell ref="G1:H2"/></mergeCells>`)
	return book(t, sst, []sheetDef{{"Sheet1", "worksheet", sh.String()}}, nil)
}

// peakHeap samples HeapInuse while fn runs and returns the peak above the
// level before it started.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				runtime.ReadMemStats(&m)
				mu.Lock()
				peak = max(peak, m.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	if peak < base {
		return 0
	}
	return peak - base
}

func benchEngine(b *testing.B, s sanitize.Sanitizer, in []byte, name string) {
	eng := &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.XLSX: s},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		TempDir:    b.TempDir(),
		SkipVerify: true,
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		p := peakHeap(func() {
			rep, blob, err := eng.Run(b.Context(), sanitize.Input{R: bytes.NewReader(in), Name: name})
			if err != nil || blob == nil {
				b.Fatalf("%v %+v", err, rep)
			}
			blob.Close()
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(in))/(1<<20), "input-MB")
}

// BenchmarkXLSX50k: a 50 000-row workbook through the OOXML allow-list
// sanitizer and through the rebuild.
func BenchmarkXLSX50k(b *testing.B) {
	in := bigBook(b, 50_000, 0)
	b.Run("ooxml-sanitize", func(b *testing.B) { benchEngine(b, ooxml.New(ooxml.Options{}), in, "a.xlsx") })
	b.Run("rebuild", func(b *testing.B) { benchEngine(b, New(Options{}), in, "a.xlsx") })
	b.Run("rebuild-keep-formulas", func(b *testing.B) { benchEngine(b, New(Options{KeepFormulas: true}), in, "a.xlsx") })
}

// TestSharedStringsMemory measures the rebuild's peak heap for workbooks
// whose shared-string table grows 16-fold: the peak must stay within a
// bounded multiple of the input (excelize reads the whole input into
// memory; a table over Options.XMLMemory is read from a temp file).
func TestSharedStringsMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow (and meaningless under the race detector)")
	}
	s := New(Options{})
	eng := &sanitize.Engine{Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.XLSX: s},
		Mode: func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize }, TempDir: t.TempDir(), SkipVerify: true}
	for _, n := range []int{5_000, 20_000, 80_000} {
		in := bigBook(t, n, 300)
		sstBytes := 0
		for r := 1; r <= n; r++ {
			sstBytes += len(fmt.Sprintf("住民票 %d 番 %x ", r, r*2654435761)) + 300
		}
		p := peakHeap(func() {
			rep, blob, err := eng.Run(t.Context(), sanitize.Input{R: bytes.NewReader(in), Name: "a.xlsx"})
			if err != nil || blob == nil {
				t.Fatalf("%v %+v", err, rep)
			}
			blob.Close()
		})
		t.Logf("rows %6d: shared strings %6.1f MB, input %5.1f MB, peak heap %6.1f MB (%.2f× shared strings)",
			n, float64(sstBytes)/(1<<20), float64(len(in))/(1<<20), float64(p)/(1<<20), float64(p)/float64(sstBytes))
		if limit := 3*uint64(sstBytes) + 64<<20; p > limit {
			t.Errorf("peak heap %d > %d", p, limit)
		}
	}
}
