package ole

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

func TestConverterMissing(t *testing.T) {
	cv := &Converter{Command: "mugai-no-such-soffice"}
	if err := cv.Check(); !errors.Is(err, ErrNoConverter) {
		t.Errorf("Check: %v", err)
	}
	eng := newEngine(t, Options{Converter: cv}, sanitize.ModeSanitize, sanitize.Limits{})
	in := buildCFB(fixtureCases[2].nodes...) // doc_vba
	rep, out := sanitizetest.Run(t, eng, in, "a.doc")
	if out != nil || !sanitizetest.RuleSet(rep.Findings)[RuleConverted] {
		t.Errorf("outcome %s %+v", rep.Outcome, rep.Findings)
	}
}

// TestConverter converts real legacy files with macros through LibreOffice
// (when installed, with bwrap when available) and checks that the OOXML
// result was sanitized and re-scanned by the engine. The inputs are corpus
// files; the test skips without them.
func TestConverter(t *testing.T) {
	if _, err := exec.LookPath("soffice"); err != nil {
		t.Skip("soffice not installed")
	}
	cv := &Converter{Command: "soffice", Timeout: 90 * time.Second, TempDir: t.TempDir()}
	eng := newEngine(t, Options{Converter: cv}, sanitize.ModeSanitize, sanitize.Limits{Timeout: 120 * time.Second})
	outputs := map[string][]byte{}
	for _, tc := range []struct {
		file string
		want sanitize.Kind
		text string
	}{
		{"tika__testWORD_macros.doc", detect.DOCX, "w:t"},
		{"oletools__excel4-macros_excel4_sample_macro.xls", detect.XLSX, "sheet"},
		{"poi__WithMacros.ppt", detect.PPTX, "a:t"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(corpusRoot, "office", tc.file))
			if err != nil {
				t.Skipf("corpus absent: %v", err)
			}
			start := time.Now()
			rep, out := sanitizetest.Run(t, eng, in, tc.file)
			t.Logf("%s: %s → %s in %v, findings %+v", tc.file, rep.Outcome, rep.OutputType, time.Since(start).Round(time.Millisecond), rep.Findings)
			for _, c := range rep.Children {
				t.Logf("child %s: %s %s %+v", c.Input, c.Outcome, c.Error, c.Findings)
			}
			if out == nil {
				t.Fatalf("blocked: %s", rep.Error)
			}
			if rep.Outcome != sanitize.OutcomeSanitized || rep.OutputType != tc.want {
				t.Errorf("outcome %s, type %s", rep.Outcome, rep.OutputType)
			}
			if !sanitizetest.RuleSet(rep.Findings)[RuleConverted] {
				t.Errorf("no %s finding", RuleConverted)
			}
			for _, f := range rep.Findings {
				if f.Action == sanitize.Blocked {
					t.Errorf("blocked finding left: %+v", f)
				}
			}
			outputs[strings.TrimSuffix(tc.file, filepath.Ext(tc.file))+detect.Ext(tc.want)] = out
			zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range zr.File {
				n := strings.ToLower(f.Name)
				if strings.Contains(n, "vba") || strings.Contains(n, "macrosheet") || strings.Contains(n, "embeddings") || strings.Contains(n, "activex") {
					t.Errorf("output part %s", f.Name)
				}
			}
		})
	}

	// The sanitized outputs still open: LibreOffice converts each to PDF.
	if len(outputs) == 0 {
		return
	}
	dir := t.TempDir()
	args := []string{"--headless", "--norestore", "--nologo", "--nolockcheck",
		"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--convert-to", "pdf", "--outdir", filepath.Join(dir, "pdf")}
	for name, b := range outputs {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	cmd := exec.CommandContext(t.Context(), "soffice", args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v: %s", err, out)
	}
	for name := range outputs {
		pdf, err := os.ReadFile(filepath.Join(dir, "pdf", strings.TrimSuffix(name, filepath.Ext(name))+".pdf"))
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Errorf("%s: the sanitized output does not open in LibreOffice: %v", name, err)
		} else {
			t.Logf("%s: opens in LibreOffice (%d-byte PDF)", name, len(pdf))
		}
	}
}
