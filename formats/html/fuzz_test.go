package html

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

func addGoldenSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.html"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, d := range longTokenDocs {
		f.Add([]byte(d))
	}
}

// FuzzConvert checks, for any input: no panic and no error; the output
// meets the text contract; it is a fixed point (the text, escaped into a
// <pre>, converts to itself); and converting with a tiny MaxToken, which
// sends most tokens through the take-over paths of resume.go, meets the
// contract too and gives the same text unless the input has constructs
// whose split handling is documented to differ.
func FuzzConvert(f *testing.F) {
	addGoldenSeeds(f)
	old := testMinMaxToken
	testMinMaxToken = 48
	f.Cleanup(func() { testMinMaxToken = old })
	f.Fuzz(func(t *testing.T, in []byte) {
		// Inputs are small: a conversion near the deadline means a
		// non-linear path (the bound leaves room for a loaded machine).
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		var b bytes.Buffer
		if _, err := Convert(ctx, &b, bytes.NewReader(in), Options{}); err != nil {
			t.Fatalf("Convert: %v", err)
		}
		out := b.String()
		if err := textContract(out); err != "" {
			t.Fatalf("contract: %s\n%q", err, out)
		}
		b.Reset()
		if _, err := Convert(t.Context(), &b, strings.NewReader("<pre>"+escapeText(out)+"</pre>"), Options{OmitTitle: true}); err != nil {
			t.Fatal(err)
		}
		if b.String() != out {
			t.Fatalf("not a fixed point:\n got %q\nwant %q", b.String(), out)
		}
		b.Reset()
		if _, err := Convert(t.Context(), &b, bytes.NewReader(in), Options{MaxToken: 48}); err != nil {
			t.Fatalf("Convert, MaxToken 48: %v", err)
		}
		small := b.String()
		if err := textContract(small); err != "" {
			t.Fatalf("contract, MaxToken 48: %s\n%q", err, small)
		}
		if small != out && !splitMayDiffer(in) {
			t.Fatalf("MaxToken 48 differs:\n got %q\nwant %q", small, out)
		}
	})
}

// splitMayDiffer reports inputs where a token cut by MaxToken may convert
// differently, by design: script data with escape sequences (the resumed
// tokenizer starts in plain script state), named references without ';' in
// attribute values, and comments or doctypes with markup inside.
func splitMayDiffer(in []byte) bool {
	s := bytes.ToLower(in)
	return bytes.Contains(s, []byte("<script")) || bytes.Contains(s, []byte("<!")) ||
		bytes.Contains(s, []byte("<?")) || bytes.Contains(s, []byte("</")) && bytes.Contains(s, []byte("&"))
}

// FuzzAttributeValues puts one string in every attribute the converter reads
// (and some it does not) and checks that attribute text never brings '<',
// '>' or "…script:" into the output.
func FuzzAttributeValues(f *testing.F) {
	for _, s := range []string{
		"", "javascript:alert(1)", "<script>alert(1)</script>", " JaVaScRiPt\t:x", "https://example.jp/?q=<b>",
		"display:none", "1", "0", "data:text/html,<script>", "\u202egnp.exe", "vbscript:msgbox", "//evil.example/x",
		"https://example.jp/a b\"c'd`e\\f", "&lt;script&gt;", "javascript&#58;x", "javascript&colon;x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		a := html.EscapeString(v)
		doc := `<base href="` + a + `"><p title="` + a + `" style="` + a + `" onclick="` + a + `">本文</p>` +
			`<a href="` + a + `">リンク</a> <a href="https://example.jp/` + a + `">x</a> <a href="` + a + `"><img alt="` + a + `"></a>` +
			`<img alt="` + a + `" src="` + a + `" width="` + a + `" height="` + a + `">` +
			`<img alt="` + a + `" src="https://t.example/` + a + `" style="` + a + `">` +
			`<ol start="` + a + `"><li value="` + a + `">項目</ol><meta http-equiv="` + a + `" content="` + a + `">` +
			`<div hidden="` + a + `" style="` + a + `">隠れる</div><textarea placeholder="` + a + `">入力</textarea>`
		for _, opts := range []Options{{}, {Links: LinkDefang}} {
			out, _ := convert(t, doc, opts)
			if err := textContract(out); err != "" {
				t.Fatalf("contract: %s\n%q", err, out)
			}
			if strings.ContainsAny(out, "<>") {
				t.Fatalf("angle bracket from an attribute:\n%s", out)
			}
			if strings.Contains(strings.ToLower(out), "script:") {
				t.Fatalf("…script: from an attribute:\n%s", out)
			}
		}
	})
}
