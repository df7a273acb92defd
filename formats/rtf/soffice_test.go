package rtf

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sofficeText converts RTF files to text with LibreOffice (an independent
// RTF reader) in one run; it skips the test when soffice is absent.
func sofficeText(t *testing.T, files map[string][]byte) map[string]string {
	t.Helper()
	exe, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("soffice not installed")
	}
	dir := t.TempDir()
	var args []string
	for name, b := range files {
		p := filepath.Join(dir, name+".rtf")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, append([]string{"--headless", "--norestore", "--nologo", "--nolockcheck",
		"-env:UserInstallation=file://" + filepath.Join(dir, "profile"),
		"--convert-to", "txt:Text (encoded):UTF8", "--outdir", filepath.Join(dir, "out")}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v: %s", err, out)
	}
	got := map[string]string{}
	for name := range files {
		b, err := os.ReadFile(filepath.Join(dir, "out", name+".txt"))
		if err != nil {
			t.Errorf("%s: LibreOffice did not open the output: %v", name, err)
			continue
		}
		got[name] = string(b)
	}
	return got
}

// TestLibreOfficeReadsOutputs: every sanitized fixture opens in LibreOffice
// and shows the benign text (and the kept field results); none shows text
// that only the removed parts held.
func TestLibreOfficeReadsOutputs(t *testing.T) {
	files := map[string][]byte{}
	for _, tc := range cases {
		if tc.name == "pict_bin" {
			continue // its four-byte "PNG" is not a picture LibreOffice can load
		}
		out, _, err := sanitizeBytes(t, Options{}, []byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		files[tc.name] = out
	}
	got := sofficeText(t, files)
	for _, tc := range cases {
		txt, ok := got[tc.name]
		if !ok {
			continue
		}
		if tc.name != "midgroup" && !strings.Contains(txt, benign) {
			t.Errorf("%s: LibreOffice shows %q, without %q", tc.name, txt, benign)
		}
		for _, gone := range []string{"calc", "hidden", "example.com"} {
			if strings.Contains(txt, gone) {
				t.Errorf("%s: LibreOffice shows removed text %q: %q", tc.name, gone, txt)
			}
		}
		for _, k := range []string{"visible result", "kept", "r1", "r2", "r3", "old", "click", "link"} {
			if strings.Contains(tc.in, `\fldrslt `+k) || strings.Contains(tc.in, `\fldrslt {\i `+k) {
				if !strings.Contains(txt, k) {
					t.Errorf("%s: field result %q lost: %q", tc.name, k, txt)
				}
			}
		}
	}
}

// TestLibreOfficeCorpus: for each corpus RTF, LibreOffice shows the same
// text for the original and the sanitized file (files with objects
// excepted: their object renderings go). Skips without the corpus or
// soffice.
func TestLibreOfficeCorpus(t *testing.T) {
	files := map[string][]byte{}
	for _, name := range []string{"tika__testRTFJapanese.rtf", "tika__testRTFHyperlink.rtf", "oletools__msodde_RTF-Spec-1.7.rtf"} {
		in, err := os.ReadFile(filepath.Join(corpusRoot, "office", name))
		if err != nil {
			t.Skipf("corpus absent: %v", err)
		}
		out, res, err := sanitizeBytes(t, Options{}, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			if f.Rule == RuleObject {
				t.Fatalf("%s has objects", name)
			}
		}
		files["in_"+name] = in
		files["out_"+name] = out
	}
	got := sofficeText(t, files)
	for name := range files {
		if !strings.HasPrefix(name, "in_") {
			continue
		}
		base := strings.TrimPrefix(name, "in_")
		if got[name] != got["out_"+base] {
			t.Errorf("%s: LibreOffice text differs after sanitizing (%d vs %d bytes)", base, len(got[name]), len(got["out_"+base]))
		} else {
			t.Logf("%s: same text in LibreOffice (%d bytes)", base, len(got[name]))
		}
	}
}

// TestLibreOfficeTextMode compares ModeText with LibreOffice's text of the
// same Japanese RTF, ignoring white space and list bullets.
func TestLibreOfficeTextMode(t *testing.T) {
	const name = "tika__testRTFJapanese.rtf"
	in, err := os.ReadFile(filepath.Join(corpusRoot, "office", name))
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	ours, _, err := sanitizeBytes(t, Options{Mode: ModeText}, in)
	if err != nil {
		t.Fatal(err)
	}
	lo := sofficeText(t, map[string][]byte{"j": in})["j"]
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r <= ' ' || r == '\u00a0' || r == '\u3000' || r == '\ufeff' || r == '•' || r == '◦' || r == '▪' || (r >= 0xE000 && r <= 0xF8FF) {
				return -1
			}
			return r
		}, s)
	}
	a, b := norm(string(ours)), norm(lo)
	if a != b {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Errorf("text differs from LibreOffice's at byte %d:\nours %q\n  LO %q", i, a[max(0, i-30):min(len(a), i+60)], b[max(0, i-30):min(len(b), i+60)])
	}
}
