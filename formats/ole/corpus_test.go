package ole

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// corpusRoot holds real third-party files (oletools, POI, Tika); absent in
// CI.
const corpusRoot = "../../../shared/corpus"

// manifest reads MANIFEST.tsv: staged file name → "exercises" notes.
func manifest(t *testing.T) map[string]string {
	f, err := os.Open(filepath.Join(corpusRoot, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) >= 7 {
			m[cols[0]+"/"+cols[1]] = cols[6]
		}
	}
	return m
}

// activeNote reports whether a manifest note names active content an
// OLE2 scan must find. The notes come from an independent scan of the
// corpus (marker names), so they are the oracle here.
func activeNote(note string) bool {
	for _, m := range []string{"VBA", "Macros storage", "Excel 4.0", "Ole10Native", "ObjectPool", "MBD embedded", "encrypted", "INCLUDEPICTURE", "macros", "embedded OLE", "with embedded", "ExOleObjStg", "XOR obfuscation", "RC4", "password", "DDE"} {
		if strings.Contains(note, m) {
			return true
		}
	}
	return false
}

// manifestWrong lists files whose manifest note names active content that
// is not there, checked by hand with this package's directory listing.
var manifestWrong = map[string]string{
	"poi__TestShiftJIS.doc":     "its ObjectPool storage is empty",
	"poi__HeaderWithMacros.doc": "no VBA storage; the note itself says no markers were found",
}

// TestCorpus runs every OLE2 file of the shared corpus that detects as doc,
// xls or ppt through the engine in sanitize mode: no panic, no deadline, and
// a verdict that agrees with the manifest. It logs counts by outcome and
// rule and lists files whose active content went undetected.
func TestCorpus(t *testing.T) {
	notes := manifest(t)
	eng := newEngine(t, Options{}, sanitize.ModeSanitize, sanitize.Limits{Timeout: 20 * time.Second})
	outcomes := map[string]int{}
	fired := map[string]int{}
	var missed, extra []string
	for _, cat := range []string{"office", "misc", "mail"} {
		ents, _ := os.ReadDir(filepath.Join(corpusRoot, cat))
		for _, e := range ents {
			in, err := os.ReadFile(filepath.Join(corpusRoot, cat, e.Name()))
			if err != nil || !bytes.HasPrefix(in, cfbMagic) {
				continue
			}
			k := detect.Detect(bytes.NewReader(in), int64(len(in)), "")
			if k != detect.DOC && k != detect.XLS && k != detect.PPT {
				outcomes["not doc/xls/ppt ("+string(k)+")"]++
				continue
			}
			start := time.Now()
			rep, out := sanitizetest.Run(t, eng, in, e.Name())
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s: took %v", e.Name(), d)
			}
			outcomes[string(k)+" "+string(rep.Outcome)]++
			rs := sanitizetest.RuleSet(rep.Findings)
			for r := range rs {
				fired[r]++
			}
			if rs[sanitize.RuleLimitTime] {
				t.Errorf("%s: hit the deadline", e.Name())
			}
			note := notes[cat+"/"+e.Name()]
			switch rep.Outcome {
			case sanitize.OutcomePassed:
				if !bytes.Equal(out, in) {
					t.Errorf("%s: passed but the output differs from the input", e.Name())
				}
				if activeNote(note) && rs[RuleDefaultPW] && !strings.Contains(note, "VBA") {
					t.Logf("%s: encrypted with the default password, decrypted: nothing active", e.Name())
				} else if activeNote(note) {
					if why, ok := manifestWrong[e.Name()]; ok {
						t.Logf("%s: manifest names active content, but %s", e.Name(), why)
					} else {
						missed = append(missed, e.Name()+" ("+note+")")
					}
				}
			case sanitize.OutcomeBlocked:
				if !activeNote(note) {
					extra = append(extra, e.Name()+" "+strings.Join(slices.Sorted(maps.Keys(rs)), ",")+" ("+note+")")
				}
			default:
				t.Errorf("%s: outcome %s", e.Name(), rep.Outcome)
			}
			t.Logf("%-70s %s %v %s", e.Name(), rep.Outcome, slices.Sorted(maps.Keys(rs)), rep.Error)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(outcomes)) {
		t.Logf("outcome %-32s %d", k, outcomes[k])
	}
	for _, k := range slices.Sorted(maps.Keys(fired)) {
		t.Logf("rule %-24s %d", k, fired[k])
	}
	for _, m := range missed {
		t.Errorf("NOT DETECTED (manifest names active content): %s", m)
	}
	for _, m := range extra {
		t.Logf("blocked beyond the manifest notes: %s", m)
	}
}
