package sanitize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitize/detect"
)

func TestCleanName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"請求書.pdf", "請求書.pdf"},
		{"請求書\u202Efdp.exe", "請求書fdp.exe"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\x\a.txt`, "a.txt"},
		{"a\x00b\x1bc.txt", "abc.txt"},
		{"report.pdf. . ", "report.pdf"},
		{"..", "file"},
		{"", "file"},
		{"ｶﾞ.txt", "ｶﾞ.txt"},
		{"e\u0301.txt", "\u00e9.txt"}, // NFC
		{"a:b*c?.txt", "a_b_c_.txt"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{"CON", "_CON"},
		{"nul.txt", "_nul.txt"},
		{"Com1.pdf", "_Com1.pdf"},
		{"LPT9", "_LPT9"},
		{"COM10.txt", "COM10.txt"},
		{"CONSOLE.txt", "CONSOLE.txt"},
		{"aux .txt", "_aux .txt"},
		{"請求書\u202Etxt.exe", "請求書txt.exe"},
		{"a\tb\u2066c\u2069.pdf", "abc.pdf"},
		{"報告書.docx...", "報告書.docx"},
		{strings.Repeat("あ", 100) + ".txt", strings.Repeat("あ", 65) + ".txt"},
	} {
		if got := CleanName(tc.in); got != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOutputName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		out  detect.Kind
		want string
	}{
		{"page.html", detect.Text, "page.txt"},
		{"a.txt", detect.Text, "a.txt"},
		{"a.csv", detect.CSV, "a.csv"},
		{"a.tsv", detect.CSV, "a.tsv"},
		{"notes", detect.Text, "notes.txt"},
		{"a.docm", detect.DOCX, "a.docx"},
		{"photo.jpg", detect.PNG, "photo.png"},
		{"mail.eml", detect.EML, "mail.eml"},
		{"v1.2 notes", detect.Text, "v1.2 notes.txt"},
	} {
		if got := OutputName(tc.in, tc.out); got != tc.want {
			t.Errorf("OutputName(%q, %s) = %q, want %q", tc.in, tc.out, got, tc.want)
		}
	}
}

// FuzzCleanName checks the promises of CleanName on any input: a short,
// valid, visible name that Windows can create, and idempotence.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"請求書\u202Efdp.exe", "CON", "a/b\\c", " .x. ", "nul.txt", strings.Repeat("あ", 80) + ".pdf", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := CleanName(in)
		if got == "" || len(got) > 201 || !utf8.ValidString(got) || strings.HasPrefix(got, ".") ||
			strings.HasSuffix(got, ".") || strings.HasSuffix(got, " ") || strings.ContainsAny(got, "/\\:*?\"<>|") {
			t.Fatalf("CleanName(%q) = %q", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || isBidiControl(r) {
				t.Fatalf("CleanName(%q) = %q keeps %U", in, got, r)
			}
		}
		if reservedName(got) {
			t.Fatalf("CleanName(%q) = %q is a device name", in, got)
		}
		if again := CleanName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", in, got, again)
		}
	})
}
