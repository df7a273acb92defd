package xlsx

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

const corpusDir = "../../../shared/corpus/office"

// TestCorpus rebuilds every xlsx/xlsm of the shared corpus through the
// engine: no panic, within the deadline; each output opens in excelize and
// keeps the cell values of the input's worksheets (compared with
// excelize's GetRows on both, formatted values). Logs counts by outcome.
func TestCorpus(t *testing.T) {
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	eng := newEngine(t, Options{}, sanitize.Limits{Timeout: 20 * time.Second})
	outcomes := map[string]int{}
	fired := map[string]int{}
	for _, e := range ents {
		in, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		k := detect.Detect(bytes.NewReader(in), int64(len(in)), e.Name())
		if k != detect.XLSX && k != detect.XLSM {
			continue
		}
		rep, out := sanitizetest.Run(t, eng, in, e.Name())
		outcomes[string(rep.Outcome)]++
		var rs []string
		for _, f := range rep.Findings {
			fired[f.Rule]++
			rs = append(rs, f.Rule)
		}
		slices.Sort(rs)
		t.Logf("%s: %s %s %v %s", e.Name(), k, rep.Outcome, slices.Compact(rs), rep.Error)
		if out == nil {
			continue
		}
		fo, err := excelize.OpenReader(bytes.NewReader(out), xopt)
		if err != nil {
			t.Errorf("%s: output does not open: %v", e.Name(), err)
			continue
		}
		fi, err := excelize.OpenReader(bytes.NewReader(in), xopt)
		if err == nil {
			for _, sh := range fo.GetSheetList() {
				ro, _ := fo.GetRows(sh, excelize.Options{RawCellValue: true})
				ri, _ := fi.GetRows(sh, excelize.Options{RawCellValue: true})
				if !sameRows(ro, ri) {
					t.Errorf("%s/%s: cell values differ", e.Name(), sh)
				}
			}
			fi.Close()
		}
		fo.Close()
	}
	keys := make([]string, 0, len(fired))
	for k := range fired {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("outcomes %v; rules fired (files): %v", outcomes, fired)
}

// sameRows compares two GetRows results, ignoring trailing empty cells and
// rows, and numbers that differ only in their text form.
func sameRows(a, b [][]string) bool {
	trim := func(r [][]string) [][]string {
		var out [][]string
		for _, row := range r {
			for len(row) > 0 && row[len(row)-1] == "" {
				row = row[:len(row)-1]
			}
			out = append(out, row)
		}
		for len(out) > 0 && len(out[len(out)-1]) == 0 {
			out = out[:len(out)-1]
		}
		return out
	}
	a, b = trim(a), trim(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] == b[i][j] {
				continue
			}
			x, err1 := strconv.ParseFloat(a[i][j], 64)
			y, err2 := strconv.ParseFloat(b[i][j], 64)
			if err1 != nil || err2 != nil || x != y {
				return false
			}
		}
	}
	return true
}

// FuzzRebuild fuzzes the sheet XML of a well-formed workbook: no panic,
// no run past the deadline, and an output that crosses rebuilds again with
// no finding that changes anything.
func FuzzRebuild(f *testing.F) {
	f.Add(mainSheet)
	f.Add(`<sheetData><row r="1"><c r="A1"><f t="shared" si="0">a|b!c</f><v>1</v></c><c r="B1" t="s"><v>9</v></c></row><row r="1"/></sheetData>`)
	f.Add(`<cols><col min="0" max="99999" width="-1"/></cols><sheetData><row r="1048577"><c r="XFE1"/></row></sheetData><mergeCells><mergeCell ref="A1"/></mergeCells>`)
	eng := newEngine(f, Options{KeepFormulas: true}, sanitize.Limits{Timeout: 5 * time.Second, MaxExpanded: 16 << 20})
	pl := sanitizetest.WatchPanics(eng)
	f.Fuzz(func(t *testing.T, body string) {
		in := book(t, []string{benign}, []sheetDef{{"S", "worksheet", body}}, nil)
		rep, out := sanitizetest.Run(t, eng, in, "f.xlsx")
		pl.Check(t)
		if slices.ContainsFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Rule == sanitize.RuleLimitTime }) {
			t.Fatalf("deadline: %+v", rep.Findings)
		}
		if out == nil {
			return
		}
		rep2, _ := sanitizetest.Run(t, eng, out, "g.xlsx")
		for _, f := range rep2.Findings {
			if f.Action > sanitize.Recorded {
				t.Fatalf("re-rebuild finding %+v", f)
			}
		}
	})
}
