package xlsx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// newEngine is a real engine with this sanitizer, configured by opt, for
// both workbook kinds.
func newEngine(t testing.TB, opt Options, lim sanitize.Limits) *sanitize.Engine {
	return sanitizetest.Engine(t, lim, New(opt), detect.XLSX, detect.XLSM)
}

var xopt = excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20}

func TestFixtures(t *testing.T) {
	for _, keep := range []bool{false, true} {
		eng := newEngine(t, Options{KeepFormulas: keep}, sanitize.Limits{})
		for _, fx := range fixtures(t) {
			t.Run(fmt.Sprintf("%s keep=%v", fx.name, keep), func(t *testing.T) {
				rep, out := sanitizetest.Run(t, eng, fx.in, fx.file)
				if rep.Outcome != sanitize.OutcomeSanitized {
					t.Fatalf("outcome %s (%s) %+v", rep.Outcome, rep.Error, rep.Findings)
				}
				got := sanitizetest.Rules(rep.Findings)
				for _, r := range fx.rules {
					if r == RuleFormula && keep {
						continue
					}
					if !slices.Contains(got, r) {
						t.Errorf("rule %s missing from %+v", r, rep.Findings)
					}
				}
				checkOutput(t, out, keep)
				golden(t, fmt.Sprintf("%s_keep=%v", strings.ReplaceAll(fx.name, " ", "_"), keep), rep, out)
				rep2, out2 := sanitizetest.Run(t, eng, out, "b.xlsx")
				for _, f := range rep2.Findings {
					if f.Action > sanitize.Recorded {
						t.Errorf("re-sanitize finding %+v", f)
					}
				}
				if !bytes.Equal(out, out2) {
					t.Errorf("S(S(x)) != S(x)")
				}
				if _, out3 := sanitizetest.Run(t, eng, fx.in, fx.file); !bytes.Equal(out, out3) {
					t.Errorf("two runs differ")
				}
				soffice(t, out, "Benign text 42")
			})
		}
	}
}

// checkOutput: the output opens in excelize and holds the values, styles,
// merges and widths; every XML part is well-formed; no part of a removed
// class and no DDE formula is left; and the OOXML sanitizer (another
// reader) finds nothing to remove in it.
func checkOutput(t *testing.T, out []byte, keep bool) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		n := strings.ToLower(f.Name)
		for _, bad := range []string{"vba", "macrosheet", "externallink", "embeddings", "activex", "connections"} {
			if strings.Contains(n, bad) {
				t.Errorf("part %s survived", f.Name)
			}
		}
		if !strings.HasSuffix(n, ".xml") && !strings.HasSuffix(n, ".rels") {
			continue
		}
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		d := xml.NewDecoder(bytes.NewReader(body))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s: %v", f.Name, err)
				break
			}
		}
		for _, bad := range []string{"calc.exe", "WEBSERVICE", "[1]", "EXEC(", "ddeLink", "Auto_Open"} {
			if bytes.Contains(body, []byte(bad)) {
				t.Errorf("%s still has %q", f.Name, bad)
			}
		}
	}
	// The OOXML allow-list sanitizer as an oracle: nothing to remove.
	oo := ooxml.New(ooxml.Options{})
	eng := &sanitize.Engine{Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.XLSX: oo}, Mode: func(sanitize.Kind) sanitize.Mode { return sanitize.ModeVerify }, TempDir: t.TempDir()}
	rep, _ := sanitizetest.Run(t, eng, out, "c.xlsx")
	if rep.Outcome != sanitize.OutcomePassed {
		t.Errorf("ooxml verify of the output: %s %+v", rep.Outcome, rep.Findings)
	}

	f, err := excelize.OpenReader(bytes.NewReader(out), xopt)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sh := f.GetSheetList()[0]
	if slices.Contains(f.GetSheetList(), "Macro1") {
		t.Errorf("macro sheet survived: %v", f.GetSheetList())
	}
	want := map[string]string{"A1": benign, "B1": "42", "A2": "インライン", "B2": "84", "C2": "OK", "D2": "TRUE", "A4": "0", "B4": "7", "C4": "w", "D4": "二番目"}
	for c, w := range want {
		if v, err := f.GetCellValue(sh, c); err != nil || v != w {
			t.Errorf("%s = %q, %v; want %q", c, v, err, w)
		}
	}
	if v, _ := f.GetCellValue(sh, "C1"); v != "12.50%" {
		t.Errorf("C1 formatted %q", v)
	}
	for _, c := range []string{"A4", "B4", "C4"} {
		if fm, _ := f.GetCellFormula(sh, c); fm != "" {
			t.Errorf("%s formula %q survived", c, fm)
		}
	}
	fm, _ := f.GetCellFormula(sh, "B2")
	if keep != (fm == "B1*2") {
		t.Errorf("B2 formula %q with keep=%v", fm, keep)
	}
	if id, _ := f.GetCellStyle(sh, "A1"); id == 0 {
		t.Errorf("A1 lost its style")
	} else if st, _ := f.GetStyle(id); st == nil || st.Font == nil || !st.Font.Bold || !st.Font.Italic || st.Font.Size != 14 || !strings.HasSuffix(st.Font.Color, "FF0000") ||
		len(st.Fill.Color) == 0 || st.Alignment == nil || st.Alignment.Horizontal != "center" || len(st.Border) == 0 {
		t.Errorf("A1 style %+v font %+v", st, st.Font)
	}
	if m, _ := f.GetMergeCells(sh); len(m) != 1 || m[0].GetStartAxis() != "E1" || m[0].GetEndAxis() != "F2" {
		t.Errorf("merges %v", m)
	}
	if w, _ := f.GetColWidth(sh, "A"); w != 30.5 {
		t.Errorf("width %v", w)
	}
	if h, _ := f.GetRowHeight(sh, 1); h != 24 {
		t.Errorf("height %v", h)
	}
}

func golden(t *testing.T, name string, rep *sanitize.Report, out []byte) {
	t.Helper()
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "finding %s %s %s: %s\n", f.Rule, f.Action, f.Where, f.Detail)
	}
	zr, _ := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	for _, f := range zr.File {
		fmt.Fprintf(&b, "entry %s\n", f.Name)
	}
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/worksheets/") {
			rc, _ := f.Open()
			c, _ := io.ReadAll(rc)
			rc.Close()
			fmt.Fprintf(&b, "--- %s\n%s\n", f.Name, c)
		}
	}
	sanitizetest.Golden(t, filepath.Join("testdata", "golden", name+".golden"), []byte(b.String()), *update)
}

// soffice converts the output to PDF with LibreOffice when installed and
// looks for want in its text.
func soffice(t *testing.T, out []byte, want string) {
	bin, err := exec.LookPath("soffice")
	if err != nil {
		return
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "out.xlsx")
	if err := os.WriteFile(in, out, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--convert-to", "pdf", "--outdir", dir, in)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("soffice: %v: %s", err, b)
	}
	pdf := filepath.Join(dir, "out.pdf")
	if _, err := os.Stat(pdf); err != nil {
		t.Errorf("soffice made no PDF: %v", err)
		return
	}
	if ptt, err := exec.LookPath("pdftotext"); err == nil {
		b, err := exec.Command(ptt, pdf, "-").Output()
		squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if err != nil || !strings.Contains(squash(string(b)), squash(want)) {
			t.Errorf("PDF of the output lacks %q: %v %q", want, err, b)
		}
	}
}
