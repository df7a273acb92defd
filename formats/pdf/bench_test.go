package pdf

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
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
			// One run outside the timed loop measures the heap's peak
			// against the file size (an upper bound: garbage not yet
			// collected counts too).
			peak := peakHeap(func() {
				if _, err := s.Sanitize(b.Context(), io.Discard, it); err != nil {
					b.Fatal(err)
				}
			})
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			cpu0 := selfCPU()
			for b.Loop() {
				if _, err := s.Sanitize(b.Context(), io.Discard, it); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak)/float64(len(in)), "peak-heap/file")
			b.ReportMetric(float64(selfCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// peakHeap runs fn and returns the most heap in use above what it was
// before, sampled every 100µs.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// selfCPU is the CPU time this process has used (user and system), in
// nanoseconds: on a loaded machine it says more than the wall clock.
func selfCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
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
				var cpu time.Duration
				for b.Loop() {
					cmd := exec.Command(tool.name, tool.args(f, out)...)
					if msg, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("%v\n%s", err, bytes.TrimSpace(msg))
					}
					cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				}
				b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
			})
		}
	}
}

// BenchmarkEngine is the whole path of one PDF through the engine:
// detection, sanitizing, the re-scan of the output and spooling.
func BenchmarkEngine(b *testing.B) {
	for _, pages := range benchPages {
		b.Run(strconv.Itoa(pages)+"pages", func(b *testing.B) {
			_, in := benchPDF(b, pages)
			eng := newEngine(b, sanitize.ModeSanitize, Options{})
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				rep, blob, err := eng.Run(b.Context(), sanitize.Input{R: bytes.NewReader(in), Name: "a.pdf"})
				if err != nil || rep.Outcome == sanitize.OutcomeBlocked {
					b.Fatal(err, rep.Error)
				}
				blob.Close()
			}
		})
	}
}
