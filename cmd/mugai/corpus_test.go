package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/sanitize"
)

// corpusDir is the shared third-party corpus beside the repository.
const corpusDir = "../../../shared/corpus"

// notStable counts outputs that a second run rewrites (without findings).
var notStable atomic.Int64

// TestCorpus runs every file of the shared corpus (real PDFs, Office files,
// mails, archives, bombs, crashers, polyglots) through the fully wired engine
// with the default policy: each must get a report with an outcome, within its
// deadline, without a panic escaping and without the heap blowing up; a
// blocked item has no output and every output re-verifies.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	if testing.Short() && len(files) > 100 {
		files = files[:100]
	}
	cfg := policy.Default()
	cfg.Limits.Timeout = policy.Duration(20 * time.Second)
	eng := newEngine(cfg, nil)
	eng.TempDir = t.TempDir()

	counts := map[sanitize.Outcome]int{}
	var peak uint64
	for _, path := range files {
		name := strings.TrimPrefix(path, corpusDir+"/")
		start := time.Now()
		rep := corpusOne(t, eng, path)
		if rep == nil {
			continue
		}
		if d := time.Since(start); d > time.Duration(cfg.Limits.Timeout)+5*time.Second {
			t.Errorf("%s: took %v, past its deadline", name, d)
		}
		counts[rep.Outcome]++
		switch rep.Outcome {
		case sanitize.OutcomeSanitized, sanitize.OutcomeTextized, sanitize.OutcomePassed, sanitize.OutcomeBlocked:
		default:
			t.Errorf("%s: no outcome: %+v", name, rep)
		}
		if rep.Outcome == sanitize.OutcomeBlocked && len(rep.Findings) == 0 {
			t.Errorf("%s: blocked without a finding", name)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	t.Logf("%d files: %v; peak heap in use %d MiB; %d outputs change when sanitized again (mails get a new notice)", len(files), counts, peak>>20, notStable.Load())
	if peak > 1<<30 {
		t.Errorf("heap grew to %d MiB", peak>>20)
	}
}

func corpusOne(t *testing.T, eng *sanitize.Engine, path string) *sanitize.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer f.Close()
	rep, out, err := eng.Run(t.Context(), sanitize.Input{R: f, Name: filepath.Base(path)})
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return nil
	}
	defer out.Close()
	if rep.Outcome == sanitize.OutcomeBlocked && out != nil {
		t.Errorf("%s: blocked but has output", path)
	}
	if rep.Outcome != sanitize.OutcomeBlocked {
		if out == nil {
			t.Errorf("%s: %s without output", path, rep.Outcome)
			return rep
		}
		// The output judged on its own, as the next gateway would, must
		// not be blocked and must need no further cleaning.
		rep2, out2, err := eng.Run(t.Context(), sanitize.Input{R: io.NewSectionReader(out, 0, out.Size()), Name: sanitize.OutputName(filepath.Base(path), rep.OutputType)})
		if err != nil {
			t.Errorf("%s: re-run: %v", path, err)
			return rep
		}
		out2.Close()
		// The output must need nothing more: passed, or (a mail gets a new
		// notice each time) rebuilt with no finding that removes or blocks
		// anything.
		if rep2.Outcome != sanitize.OutcomePassed {
			notStable.Add(1)
		}
		again := rep2.Outcome == sanitize.OutcomePassed ||
			(rep2.Outcome != sanitize.OutcomeBlocked && !riskyTree(rep2))
		if !again {
			t.Errorf("%s: output re-run gives %s %v (first run %s)", path, rep2.Outcome, rep2.Findings, rep.Outcome)
		}
	}
	return rep
}

// corpusFiles lists the corpus from its manifest, skipping the test when the
// corpus is absent.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	mf, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	defer mf.Close()
	var files []string
	sc := bufio.NewScanner(mf)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 2 {
			continue
		}
		p := filepath.Join(corpusDir, cols[0], cols[1])
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("shared corpus is empty")
	}
	return files
}

// riskyTree reports whether any finding in the tree is above Recorded.
func riskyTree(r *sanitize.Report) bool {
	risky := false
	r.Walk(func(_ int, c *sanitize.Report) {
		for _, f := range c.Findings {
			if f.Action > sanitize.Recorded && f.Action != sanitize.Converted {
				risky = true
			}
		}
	})
	return risky
}
