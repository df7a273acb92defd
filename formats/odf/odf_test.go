package odf

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// newEngine is a real engine with this sanitizer, configured by opt, for
// every OpenDocument kind.
func newEngine(t testing.TB, opt Options, lim sanitize.Limits) *sanitize.Engine {
	return sanitizetest.Engine(t, lim, New(opt), detect.ODT, detect.ODS, detect.ODP)
}

func TestFixtures(t *testing.T) {
	eng := newEngine(t, Options{}, sanitize.Limits{})
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			rep, out := sanitizetest.Run(t, eng, fx.in, fx.file)
			got := sanitizetest.Rules(rep.Findings)
			if fx.blocked != "" {
				if rep.Outcome != sanitize.OutcomeBlocked || !slices.Contains(got, fx.blocked) {
					t.Fatalf("outcome %s, rules %v; want blocked by %s", rep.Outcome, got, fx.blocked)
				}
				return
			}
			if rep.Outcome != sanitize.OutcomeSanitized {
				t.Fatalf("outcome %s (%s), findings %+v", rep.Outcome, rep.Error, rep.Findings)
			}
			for _, r := range fx.rules {
				if !slices.Contains(got, r) {
					t.Errorf("rule %s missing from %+v", r, rep.Findings)
				}
			}
			all := checkOutput(t, out, rep.Detected)
			for _, k := range fx.keep {
				if !strings.Contains(all, k) {
					t.Errorf("output lost %q", k)
				}
			}
			for _, g := range fx.gone {
				if strings.Contains(all, g) {
					t.Errorf("output still has %q", g)
				}
			}
			golden(t, fx.name, rep, out)
			rep2, out2 := sanitizetest.Run(t, eng, out, "b"+path.Ext(fx.file))
			if rep2.Outcome == sanitize.OutcomeBlocked {
				t.Fatalf("re-sanitize blocked: %+v", rep2.Findings)
			}
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
			soffice(t, out, path.Ext(fx.file), "Benign text 42")
		})
	}
}

// golden compares the findings, the entry list and the rewritten
// content.xml with testdata/golden/<case>.golden.
func golden(t *testing.T, name string, rep *sanitize.Report, out []byte) {
	t.Helper()
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "finding %s %s %s: %s\n", f.Rule, f.Action, f.Where, f.Detail)
	}
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		fmt.Fprintf(&b, "entry %s method=%d\n", f.Name, f.Method)
	}
	for _, f := range zr.File {
		if f.Name == "content.xml" || f.Name == manifestName {
			rc, _ := f.Open()
			c, _ := io.ReadAll(rc)
			rc.Close()
			fmt.Fprintf(&b, "--- %s\n%s\n", f.Name, c)
		}
	}
	sanitizetest.Golden(t, filepath.Join("testdata", "golden", strings.ReplaceAll(name, " ", "_")+".golden"), []byte(b.String()), *update)
}

// checkOutput is the independent oracle: it lists the output zip with
// archive/zip, checks mimetype is first and stored, every entry is on the
// allow-list and listed in the manifest, every manifest entry exists,
// every XML part is well-formed (encoding/xml, strict) and holds no element
// or attribute of a removed class. It returns the text of all XML parts.
func checkOutput(t *testing.T, out []byte, want sanitize.Kind) string {
	t.Helper()
	if got := detect.Detect(bytes.NewReader(out), int64(len(out)), ""); got != want {
		t.Errorf("output detects as %s, want %s", got, want)
	}
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) == 0 || zr.File[0].Name != "mimetype" || zr.File[0].Method != zip.Store || len(zr.File[0].Extra) != 0 {
		t.Errorf("mimetype is not the first stored entry")
	}
	if string(out[30:38]) != "mimetype" {
		t.Errorf("mimetype not at offset 30")
	}
	names := map[string]bool{}
	var all strings.Builder
	listed := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, f := range zr.File {
		top, _, _ := strings.Cut(f.Name, "/")
		switch {
		case f.Name == "mimetype", f.Name == manifestName, xmlParts[f.Name], top == "Pictures", f.Name == thumbName:
		default:
			t.Errorf("entry %s not on the allow-list", f.Name)
		}
		if !strings.HasSuffix(f.Name, ".xml") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		all.Write(body)
		d := xml.NewDecoder(bytes.NewReader(body))
		d.Strict = true
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s: not well-formed: %v", f.Name, err)
				break
			}
			switch tk := tok.(type) {
			case xml.StartElement:
				switch tk.Name.Space + " " + tk.Name.Local {
				case nsOffice + " scripts", nsOffice + " event-listeners", nsScript + " event-listener", nsPresentation + " event-listener",
					nsDraw + " object", nsDraw + " object-ole", nsDraw + " plugin", nsDraw + " applet", nsDraw + " control",
					nsText + " section-source", nsTable + " dde-link", nsOffice + " dde-source", nsText + " execute-macro", nsAnim + " command":
					t.Errorf("%s: %s survived", f.Name, tk.Name.Local)
				}
				if tk.Name.Space == nsForm || tk.Name.Space == nsScript {
					t.Errorf("%s: %s:%s survived", f.Name, tk.Name.Space, tk.Name.Local)
				}
				for _, a := range tk.Attr {
					v := strings.ToLower(a.Value)
					if strings.HasPrefix(v, "vnd.sun.star.script:") || strings.HasPrefix(v, "macro:") || strings.Contains(v, "dde(") {
						t.Errorf("%s: attribute %s=%q survived", f.Name, a.Name.Local, a.Value)
					}
					if a.Name.Space == nsXLink && a.Name.Local == "href" {
						h := a.Value
						switch {
						case strings.HasPrefix(h, "#"), strings.HasPrefix(h, "https://"), strings.HasPrefix(h, "http://"), strings.HasPrefix(h, "mailto:"):
						case !names[strings.TrimPrefix(h, "./")]:
							t.Errorf("%s: href %q names no entry", f.Name, h)
						}
					}
					if f.Name == manifestName && a.Name.Local == "full-path" && a.Value != "/" {
						listed[a.Value] = true
					}
				}
			case xml.Directive:
				t.Errorf("%s: directive survived", f.Name)
			}
		}
	}
	for n := range listed {
		if !names[n] {
			t.Errorf("manifest lists missing entry %s", n)
		}
	}
	for n := range names {
		if n != "mimetype" && n != manifestName && !listed[n] {
			t.Errorf("entry %s not in the manifest", n)
		}
	}
	return all.String()
}

// soffice converts the output to PDF with LibreOffice when it is installed
// (not in CI): the output must still open.
func soffice(t *testing.T, out []byte, ext, want string) {
	bin, err := exec.LookPath("soffice")
	if err != nil {
		return
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "out"+ext)
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
	if ptt, err := exec.LookPath("pdftotext"); err == nil && want != "" {
		b, err := exec.Command(ptt, pdf, "-").Output()
		squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if err != nil || !strings.Contains(squash(string(b)), squash(want)) {
			t.Errorf("PDF of the output lacks %q: %v %q", want, err, b)
		}
	}
}

func TestStripHyperlinks(t *testing.T) {
	eng := newEngine(t, Options{StripHyperlinks: true}, sanitize.Limits{})
	fx := fixtures(t)[0]
	rep, out := sanitizetest.Run(t, eng, fx.in, fx.file)
	if rep.Outcome != sanitize.OutcomeSanitized || !slices.Contains(sanitizetest.Rules(rep.Findings), RuleHyperlink) {
		t.Fatalf("%s %+v", rep.Outcome, rep.Findings)
	}
	all := checkOutput(t, out, detect.ODT)
	if strings.Contains(all, "https://www.example.lg.jp/") || !strings.Contains(all, "リンク") || !strings.Contains(all, "#top") {
		t.Errorf("strip: %s", all)
	}
}

// TestLimits: MaxParts and the per-entry limit at N and N+1.
func TestLimits(t *testing.T) {
	fx := fixtures(t)[0]
	zr, _ := zip.NewReader(bytes.NewReader(fx.in), int64(len(fx.in)))
	n := len(zr.File)
	for _, tc := range []struct {
		parts int
		ok    bool
	}{{n, true}, {n - 1, false}} {
		rep, _ := sanitizetest.Run(t, newEngine(t, Options{}, sanitize.Limits{MaxParts: tc.parts}), fx.in, fx.file)
		if (rep.Outcome != sanitize.OutcomeBlocked) != tc.ok {
			t.Errorf("MaxParts %d (%d entries): %s %v", tc.parts, n, rep.Outcome, sanitizetest.Rules(rep.Findings))
		}
	}
	var biggest int64
	for _, f := range zr.File {
		biggest = max(biggest, int64(f.UncompressedSize64))
	}
	for _, tc := range []struct {
		size int64
		ok   bool
	}{{biggest, true}, {biggest - 1, false}} {
		rep, _ := sanitizetest.Run(t, newEngine(t, Options{MaxPartSize: tc.size}, sanitize.Limits{}), fx.in, fx.file)
		if (rep.Outcome != sanitize.OutcomeBlocked) != tc.ok {
			t.Errorf("MaxPartSize %d: %s %v", tc.size, rep.Outcome, sanitizetest.Rules(rep.Findings))
		}
	}
}

// TestCorpus runs the ODF files of the shared corpus through the engine:
// no panic, and a count by outcome with the rules that fired.
func TestCorpus(t *testing.T) {
	var files []string
	for _, dir := range []string{"../../../shared/corpus/office", "../../../shared/corpus/misc"} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			switch strings.ToLower(path.Ext(e.Name())) {
			case ".odt", ".ods", ".odp", ".ott", ".ots", ".otp":
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(files) == 0 {
		t.Skip("corpus absent")
	}
	eng := newEngine(t, Options{}, sanitize.Limits{})
	outcomes := map[string]int{}
	for _, file := range files {
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rep, out := sanitizetest.Run(t, eng, in, filepath.Base(file))
		outcomes[string(rep.Outcome)]++
		var rs []string
		for _, f := range rep.Findings {
			rs = append(rs, f.Rule+"("+f.Action.String()+")")
		}
		sort.Strings(rs)
		t.Logf("%s: %s %s %v", filepath.Base(file), rep.Detected, rep.Outcome, slices.Compact(rs))
		if out != nil {
			checkOutput(t, out, rep.Detected)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
