package filedrop

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkFiledrop measures the whole service — pick-up, claim, quarantine,
// engine, atomic outputs and reports — on a batch renamed into the inbox at
// once, and reports files/s, MB/s and the peak resident memory of the
// process (VmHWM, reset before each batch).
//
//	go test ./filedrop -run '^$' -bench Filedrop -benchtime 1x
func BenchmarkFiledrop(b *testing.B) {
	benchLarge := 10
	if v, err := strconv.Atoi(os.Getenv("MUGAI_BENCH_LARGE")); err == nil {
		benchLarge = v
	}
	b.Run("1000x100KB-pdf", func(b *testing.B) {
		files := pdfBatch(b, 1000, 100<<10)
		benchBatch(b, files, 2)
	})
	b.Run("10x50MB-csv", func(b *testing.B) {
		dir := b.TempDir()
		var files []string
		for i := range benchLarge {
			p := filepath.Join(dir, fmt.Sprintf("表%02d.csv", i))
			writeCSV(b, p, 50<<20)
			files = append(files, p)
		}
		benchBatch(b, files, 2)
	})
}

// pdfBatch makes n distinct PDFs of about size bytes with make-pdf.py
// (twenty generated, each copied with a unique comment after %%EOF, so
// that the quarantine cannot share their blobs).
func pdfBatch(b *testing.B, n, size int) []string {
	gen := "../../shared/bench/gen/make-pdf.py"
	py, err := exec.LookPath("python3")
	if err != nil {
		b.Skip("python3 not found")
	}
	if _, err := os.Stat(gen); err != nil {
		b.Skip("make-pdf.py not found")
	}
	dir := b.TempDir()
	var seeds [][]byte
	for s := range 20 {
		p := filepath.Join(dir, fmt.Sprintf("seed%d.pdf", s))
		out, err := exec.Command(py, gen, p, "4", "--target-bytes", strconv.Itoa(size), "--seed", strconv.Itoa(s+1)).CombinedOutput()
		if err != nil {
			b.Fatalf("make-pdf: %v\n%s", err, out)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	var files []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("資料%04d.pdf", i))
		data := append(bytes.Clone(seeds[i%len(seeds)]), fmt.Sprintf("%% copy %d\n", i)...)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		files = append(files, p)
	}
	return files
}

func benchBatch(b *testing.B, files []string, workers int) {
	var total int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		total += fi.Size()
	}
	var elapsed time.Duration
	var peak int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := start(b, func(c *Config, f *Folder) {
			c.Workers = workers
			f.StableTime, f.Subfolders, f.MaxInput = 0, false, 100<<20
			f.Engine.Limits.MaxInput = 100 << 20
		})
		// Copies, so that every batch starts from the same files.
		stage := filepath.Join(h.root, "stage")
		os.MkdirAll(stage, 0o755)
		for _, f := range files {
			if err := copyFile(f, filepath.Join(stage, filepath.Base(f))); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		b.StartTimer()
		t0 := time.Now()
		for _, f := range files {
			if err := os.Rename(filepath.Join(stage, filepath.Base(f)), filepath.Join(h.inbox, filepath.Base(f))); err != nil {
				b.Fatal(err)
			}
		}
		for h.col.n() < len(files) {
			time.Sleep(5 * time.Millisecond)
		}
		elapsed += time.Since(t0)
		b.StopTimer()
		peak = max(peak, peakRSS())
		for _, r := range h.col.res {
			if r.Output == "" {
				b.Fatalf("%s: %s (report %s)", r.Input, r.Outcome, r.Report)
			}
		}
		h.stop()
		b.StartTimer()
	}
	sec := elapsed.Seconds()
	b.ReportMetric(float64(len(files)*b.N)/sec, "files/s")
	b.ReportMetric(float64(total*int64(b.N))/sec/1e6, "MB/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
}

// resetPeakRSS resets the process's VmHWM (Linux 4.0+); a no-op elsewhere.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM in bytes, or 0.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
