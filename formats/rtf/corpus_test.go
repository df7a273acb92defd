package rtf

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

const corpusRoot = "../../../shared/corpus"

// TestCorpus sanitizes every RTF of the shared corpus through the engine
// (with the re-scan), in both modes, and checks the output with the
// independent residue scan.
func TestCorpus(t *testing.T) {
	var files []string
	for _, cat := range []string{"office", "misc", "mail"} {
		ents, err := os.ReadDir(filepath.Join(corpusRoot, cat))
		if err != nil {
			continue
		}
		for _, e := range ents {
			p := filepath.Join(corpusRoot, cat, e.Name())
			b, err := os.ReadFile(p)
			if err == nil && bytes.HasPrefix(b, []byte(`{\rtf`)) {
				files = append(files, p)
			}
		}
	}
	if len(files) == 0 {
		t.Skip("corpus absent")
	}
	for _, mode := range []Mode{ModeSanitize, ModeText} {
		eng := newEngine(t, Options{Mode: mode}, sanitize.Limits{Timeout: 20 * time.Second})
		outcomes := map[string]int{}
		fired := map[string]int{}
		for _, p := range files {
			in, _ := os.ReadFile(p)
			start := time.Now()
			rep, out := sanitizetest.Run(t, eng, in, filepath.Base(p))
			outcomes[string(rep.Outcome)]++
			rs := map[string]bool{}
			for _, f := range rep.Findings {
				rs[f.Rule] = true
				fired[f.Rule]++
			}
			t.Logf("mode %d %-45s %s %v %s in %v, %d → %d bytes", mode, filepath.Base(p), rep.Outcome, slices.Sorted(maps.Keys(rs)), rep.Error, time.Since(start).Round(time.Millisecond), len(in), len(out))
			if out == nil {
				t.Errorf("%s: blocked: %v", p, rep.Findings)
				continue
			}
			if mode == ModeSanitize {
				if m := residue.Find(out); m != nil {
					t.Errorf("%s: output still has %q", p, m)
				}
				if !balanced(out) {
					t.Errorf("%s: output braces unbalanced", p)
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(outcomes)) {
			t.Logf("mode %d outcome %-12s %d", mode, k, outcomes[k])
		}
		for _, k := range slices.Sorted(maps.Keys(fired)) {
			t.Logf("mode %d rule %-18s %d", mode, k, fired[k])
		}
	}
}
