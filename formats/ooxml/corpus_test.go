package ooxml

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// corpusDir holds real third-party Office files (oletools, POI, Tika);
// absent in CI.
const corpusDir = "../../../shared/corpus/office"

// TestCorpus runs every file of the shared Office corpus through the real
// engine (detection, policy, this sanitizer, re-scan): no panic, every item
// within its deadline, heap bounded. It logs the outcomes of the OOXML kinds
// and the rules that fired.
func TestCorpus(t *testing.T) {
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	const timeout = 20 * time.Second
	eng := newEngine(t, Options{}, sanitize.Limits{Timeout: timeout})
	outcomes := map[string]int{}
	fired := map[string]int{}
	var blocked []string
	var peak uint64
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		in, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rep, out := sanitizetest.Run(t, eng, in, e.Name())
		if d := time.Since(start); d > timeout+5*time.Second {
			t.Errorf("%s: %v", e.Name(), d)
		}
		if k := forcedKind(e.Name()); rep.Detected == detect.ZIP && k != "" {
			// Zips named as OOXML that detection does not accept
			// (fuzzer crashers): run the sanitizer on them anyway.
			rep2, _, err := eng.RunKind(t.Context(), sanitize.BlobBytes(in), e.Name(), "", k)
			if err != nil {
				t.Fatal(err)
			}
			outcomes["forced "+string(k)+" "+string(rep2.Outcome)]++
			t.Logf("%s: forced %s → %s %s", e.Name(), k, rep2.Outcome, rep2.Error)
			continue
		}
		if _, ok := eng.Sanitizers[rep.Detected]; !ok {
			outcomes["not ooxml ("+string(rep.Detected)+")"]++
			continue
		}
		outcomes[string(rep.Outcome)]++
		for _, f := range rep.Findings {
			fired[f.Rule]++
		}
		if rep.Outcome == sanitize.OutcomeBlocked {
			var rs []string
			for _, f := range rep.Findings {
				if f.Action == sanitize.Blocked {
					rs = append(rs, f.Rule+": "+f.Detail)
				}
			}
			blocked = append(blocked, e.Name()+" → "+strings.Join(rs, "; "))
			continue
		}
		rs := map[string]bool{}
		for _, f := range rep.Findings {
			rs[f.Rule] = true
		}
		t.Logf("%s: %s → %s %v", e.Name(), rep.Detected, rep.OutputType, slices.Sorted(maps.Keys(rs)))
		if out != nil && !bytes.Equal(out, in) {
			checkOutput(t, out, rep.Detected)
			visibleTextSurvives(t, e.Name(), in, out)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	if peak > 1<<30 {
		t.Errorf("heap in use reached %d MiB", peak>>20)
	}
	keys := func(m map[string]int) []string {
		var k []string
		for x := range m {
			k = append(k, x)
		}
		sort.Strings(k)
		return k
	}
	for _, k := range keys(outcomes) {
		t.Logf("outcome %-28s %d", k, outcomes[k])
	}
	for _, k := range keys(fired) {
		t.Logf("rule %-24s %d", k, fired[k])
	}
	slices.Sort(blocked)
	for _, b := range blocked {
		t.Logf("blocked: %s", b)
	}
	t.Logf("peak heap in use %d MiB", peak>>20)
}

func forcedKind(name string) sanitize.Kind {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".docx":
		return detect.DOCX
	case ".xlsx":
		return detect.XLSX
	case ".pptx":
		return detect.PPTX
	}
	return ""
}

// visibleTextSurvives compares the text of every t element (w:t, a:t, the
// t of shared strings) part by part: each part that crossed holds the same
// visible text as in the input.
func visibleTextSurvives(t *testing.T, name string, in, out []byte) {
	t.Helper()
	ti, to := texts(t, in), texts(t, out)
	for part, txt := range to {
		if ti[part] != txt {
			t.Errorf("%s: %s: visible text changed", name, part)
		}
	}
}

func texts(t *testing.T, b []byte) map[string]string {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".xml") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			continue
		}
		d := xml.NewDecoder(rc)
		var sb strings.Builder
		in := false
		for {
			tok, err := d.Token()
			if err != nil {
				break
			}
			switch tk := tok.(type) {
			case xml.StartElement:
				in = tk.Name.Local == "t"
			case xml.EndElement:
				in = false
			case xml.CharData:
				if in {
					sb.Write(tk)
				}
			}
		}
		rc.Close()
		m[f.Name] = sb.String()
	}
	return m
}
