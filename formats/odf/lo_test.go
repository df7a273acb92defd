package odf

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// TestLibreOfficeWritten saves clean fixtures again with LibreOffice (when
// installed) and sanitizes what it writes: a clean document as LibreOffice
// really lays it out (settings, Configurations2, manifest.rdf, thumbnail)
// must cross with no finding above recorded, so that verify mode passes
// clean files; the visible text must survive.
func TestLibreOfficeWritten(t *testing.T) {
	bin, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("soffice not installed")
	}
	cases := []struct {
		ext string
		in  []byte
	}{
		{"odt", fixtures(t)[0].in},
		{"ods", pack(t, mtSheet, content(`<office:spreadsheet><table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string"><text:p>`+benign+`</text:p></table:table-cell><table:table-cell table:formula="of:=SUM(1;2)" office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>`), entry{name: "styles.xml", body: stylesXML})},
		{"odp", pack(t, mtPres, content(`<office:presentation><draw:page draw:name="p1"><draw:frame svg:width="20cm" svg:height="3cm" svg:x="1cm" svg:y="1cm"><draw:text-box><text:p>`+benign+`</text:p></draw:text-box></draw:frame></draw:page></office:presentation>`), entry{name: "styles.xml", body: stylesXML})},
	}
	eng := newEngine(t, Options{}, sanitize.Limits{})
	for _, tc := range cases {
		t.Run(tc.ext, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "in."+tc.ext)
			if err := os.WriteFile(src, tc.in, 0o600); err != nil {
				t.Fatal(err)
			}
			outDir := filepath.Join(dir, "lo")
			cmd := exec.CommandContext(t.Context(), bin, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--convert-to", tc.ext, "--outdir", outDir, src)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("soffice: %v: %s", err, b)
			}
			lo, err := os.ReadFile(filepath.Join(outDir, "in."+tc.ext))
			if err != nil {
				t.Fatal(err)
			}
			rep, out := sanitizetest.Run(t, eng, lo, "lo."+tc.ext)
			if out == nil {
				t.Fatalf("blocked: %s %+v", rep.Error, rep.Findings)
			}
			for _, f := range rep.Findings {
				if f.Action > sanitize.Recorded {
					t.Errorf("finding on a clean LibreOffice file: %+v", f)
				}
				t.Logf("%+v", f)
			}
			all := checkOutput(t, out, rep.Detected)
			if !strings.Contains(all, benign) {
				t.Errorf("text lost")
			}
		})
	}
}
