package image

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// corpusDir is the shared third-party corpus beside the repository.
const corpusDir = "../../../shared/corpus"

// corpusPayloads are strings the hostile corpus images carry in metadata or
// after the end marker (PHP, script, ImageMagick file reads, ExifTool's
// DjVu exploit); none may be in an output.
var corpusPayloads = []string{"<?php", "<script", "javascript:", "/etc/passwd", "phpinfo", "(metadata \"", "onerror", "alert("}

// TestCorpus runs every image (by detected kind) and every SVG of the shared
// corpus through the sanitizer: each gets an outcome within its deadline,
// without a panic, with bounded heap; every output re-scans clean, decodes
// with ImageMagick when it is installed and carries none of the payloads.
func TestCorpus(t *testing.T) {
	mf, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	defer mf.Close()
	s := New(Options{})
	counts := map[string]int{}
	var peak uint64
	sc := bufio.NewScanner(mf)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 {
			continue
		}
		path := filepath.Join(corpusDir, f[0], f[1])
		in, err := os.ReadFile(path)
		if err != nil || len(in) > 32<<20 {
			continue
		}
		kind := detect.Detect(bytes.NewReader(in), int64(len(in)), f[1])
		if !imageKind(kind) {
			continue
		}
		t.Run(f[1], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out bytes.Buffer
			start := time.Now()
			res, err := s.Sanitize(ctx, &out, &sanitize.Item{Src: newSection(in), Name: f[1], Kind: kind})
			if d := time.Since(start); d > 10*time.Second && !raceEnabled {
				t.Errorf("took %v", d)
			}
			outcome := "sanitized"
			switch {
			case err != nil:
				outcome = "error"
				t.Logf("%s: %v", kind, err)
			case hasBlocked(res.Findings):
				outcome = "blocked"
				t.Logf("%s: blocked %v", kind, res.Findings)
			}
			counts[string(kind)+":"+outcome]++
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			if outcome != "sanitized" {
				if outcome == "error" && out.Len() > 0 {
					t.Logf("(partial output discarded by the engine)")
				}
				return
			}
			for _, p := range corpusPayloads {
				if bytes.Contains(bytes.ToLower(out.Bytes()), []byte(p)) {
					t.Errorf("payload %q survives", p)
				}
			}
			want := kind
			if res.Kind != "" {
				want = res.Kind
			}
			t.Logf("%s → %s, %d → %d bytes, %v", kind, want, len(in), out.Len(), rules(res.Findings))
			oracle(t, out.Bytes(), want)
			_, res2, err := run(t, s, out.Bytes(), want)
			if err != nil || hasRisk(res2.Findings) {
				t.Errorf("re-scan: %v %v", err, res2.Findings)
			}
		})
	}
	t.Logf("corpus images by kind and outcome: %v; peak heap in use %d MiB", counts, peak>>20)
	if peak > 1<<30 {
		t.Errorf("heap grew to %d MiB", peak>>20)
	}
}

func imageKind(k detect.Kind) bool {
	switch k {
	case detect.JPEG, detect.PNG, detect.GIF, detect.BMP, detect.TIFF, detect.WEBP, detect.SVG:
		return true
	}
	return false
}

func hasBlocked(fs []sanitize.Finding) bool {
	for _, f := range fs {
		if f.Action == sanitize.Blocked {
			return true
		}
	}
	return false
}

func hasRisk(fs []sanitize.Finding) bool {
	for _, f := range fs {
		if f.Action > sanitize.Recorded {
			return true
		}
	}
	return false
}
