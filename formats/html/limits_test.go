package html

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

// withMinMaxToken lets a test use a MaxToken below 4 KiB.
func withMinMaxToken(t testing.TB, n int) {
	old := testMinMaxToken
	testMinMaxToken = n
	t.Cleanup(func() { testMinMaxToken = old })
}

// longTokenDocs have tokens of a few hundred bytes of every kind, to be cut
// at every position by a small MaxToken.
var longTokenDocs = []string{
	"<p>" + strings.Repeat("あいう &amp; えお&nbsp;", 20) + "</p><p>次の段落</p>",
	"<pre>\n" + strings.Repeat("  line\r\n\tタブ\n", 20) + "</pre>後",
	`<p><a href="https://example.jp/path?` + strings.Repeat("a=1&amp;b=2&", 30) + `">リンク</a>本文</p>`,
	`<img src="data:image/png;base64,` + strings.Repeat("iVBORw0KGgo", 40) + `" alt="埋め込み画像 &amp; 説明" width=100>後`,
	`<div style="` + strings.Repeat("color: red; ", 30) + `display:none">隠れる</div>見える`,
	`<span title='` + strings.Repeat(`x"y>`, 60) + `' hidden>隠れる</span>見える`,
	`<p>前</p><!--` + strings.Repeat("コメント -- - ->", 30) + `--><p>後</p>`,
	`<!DOCTYPE html ` + strings.Repeat("PUBLIC ", 50) + `><p>本文</p>`,
	`<script>` + strings.Repeat("var a = 1 < 2; ", 30) + `</script><p>本文</p>`,
	`<style>` + strings.Repeat("p { color: red } ", 30) + `</style><p>本文</p>`,
	`<title>` + strings.Repeat("題名 &amp; ", 30) + `</title><p>本文</p>`,
	`<textarea>` + strings.Repeat("入力欄 <b> &lt;\n", 20) + `</textarea><p>本文</p>`,
	`<xmp>` + strings.Repeat("<b>raw</b> ", 30) + `</xmp>後`,
	`<script src="` + strings.Repeat("x", 300) + `"></script><p>本文</p>`,
	`<textarea ` + strings.Repeat(`data-x="1" `, 30) + `>入力</textarea>後`,
	`<a href="javascript:alert(1)" ` + strings.Repeat("onclick=x ", 30) + `>クリック</a>`,
	`<div ` + strings.Repeat("a ", 200) + `>本文</div>`,
	`<ul><li>一</li></ul ` + strings.Repeat("x=1 ", 80) + `><p>後</p>`,
	`<noscript ` + strings.Repeat("x=1 ", 80) + `><p>見える</p></noscript>`,
	"<p>" + strings.Repeat("日本語の文章が", 30) + "\n" + strings.Repeat("続きます", 30) + "</p>",
}

func TestLongTokensEquivalent(t *testing.T) {
	withMinMaxToken(t, 32)
	for i, doc := range longTokenDocs {
		want, wantSt := convert(t, doc, Options{})
		for n := 48; n <= len(doc)+2; n++ {
			got, st := convert(t, doc, Options{MaxToken: n})
			if got != want {
				t.Fatalf("doc %d, MaxToken %d:\n got %q\nwant %q", i, n, got, want)
			}
			for _, ri := range ruleInfo {
				if ri.id == RuleComment {
					continue // a comment cut short may count as two
				}
				if st.Count(ri.id) != wantSt.Count(ri.id) {
					t.Fatalf("doc %d, MaxToken %d: %s %d, want %d", i, n, ri.id, st.Count(ri.id), wantSt.Count(ri.id))
				}
			}
			checkText(t, got)
		}
	}
}

// timed runs Convert and fails when it takes longer than a bound far
// above the linear expectation.
func timed(t *testing.T, in string, opts Options) (string, Stats) {
	t.Helper()
	start := time.Now()
	out, st := convert(t, in, opts)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
	checkText(t, out)
	return out, st
}

func TestPathological(t *testing.T) {
	const n = 100_000
	for _, tc := range []struct {
		name string
		in   string
		want string // "" skips the comparison
	}{
		{"nested div", strings.Repeat("<div>", n) + "本文" + strings.Repeat("</div>", n) + "後", "本文\n後\n"},
		{"nested span unclosed", strings.Repeat("<span>", n) + "本文", "本文\n"},
		{"nested table", strings.Repeat("<table><tr><td>", n) + "本文", "本文\n"},
		{"nested list", strings.Repeat("<ul><li>", n) + "本文", ""},
		{"nested blockquote", strings.Repeat("<blockquote>", n) + "本文", ""},
		{"many anchors", strings.Repeat(`<a href="https://e.jp/">`, n) + "本文", "本文 [https://e.jp/]\n"},
		{"unmatched end tags", strings.Repeat("<div>", 500) + strings.Repeat("</span>", n) + "本文", "本文\n"},
		{"many paragraphs", strings.Repeat("<p>", n) + "本文", "本文\n"},
		{"many br", "a" + strings.Repeat("<br>", n) + "b", "a\n\nb\n"},
		{"hidden deep", strings.Repeat("<div>", 600) + `<div style="display:none">隠れる</div>見えない` + strings.Repeat("</div>", 600) + "後", "後\n"},
		{"huge attribute", `<img alt="代替" src="data:image/png;base64,` + strings.Repeat("A", 3<<20) + `">後`, "[画像: 代替]後\n"},
		{"huge style", `<div style="display:none;` + strings.Repeat("color:red;", 300_000) + `">隠れる</div>見える`, "見える\n"},
		{"many attributes", `<div ` + strings.Repeat("a ", n) + `onclick="x">本文</div>`, "本文\n"},
		{"unique attributes", `<div ` + strings.Repeat("a", 1) + uniqueAttrs(n) + `>本文</div>`, "本文\n"},
		{"huge text", "<p>" + strings.Repeat("あ", 1<<20) + "</p>", ""},
		{"huge script", "<script>" + strings.Repeat("x=1;", 1<<20) + "</script>本文", "本文\n"},
		{"unclosed comment", "本文<!--" + strings.Repeat("x", 3<<20), "本文\n"},
		{"unclosed tag", "本文<div title=\"" + strings.Repeat("x", 3<<20), "本文\n"},
		{"unclosed script", "本文<script>" + strings.Repeat("<!--<script>", 100_000), "本文\n"},
		{"many lt", strings.Repeat("<", 1<<20) + " a", strings.Repeat("<", 1<<20) + " a\n"},
		{"long line", strings.Repeat("a ", 1<<20), strings.TrimSpace(strings.Repeat("a ", 1<<20)) + "\n"},
		{"pre spaces", "<pre>" + strings.Repeat(" ", 10<<20) + "x</pre>", ""},
		{"nbsp run", "a" + strings.Repeat("&nbsp;", 2<<20) + "b", ""},
		{"unmatched div flood", strings.Repeat("<span>", 510) + strings.Repeat("</div>", n) + "本文", "本文\n"},
		{"unmatched p flood", strings.Repeat("<span>", 510) + strings.Repeat("</p>", n), ""},
		{"unmatched b flood", strings.Repeat("<div>", 510) + strings.Repeat("</b>", n) + "本文", "本文\n"},
		{"td flood", "<table><tr><td><table>" + strings.Repeat("<div>", 505) + strings.Repeat("<td>", n) + "本文", "本文\n"},
		{"li flood", "<ul>" + strings.Repeat("<span>", 510) + strings.Repeat("<li>", n) + "本文", ""},
		{"div behind table", "<div><table>" + strings.Repeat("<span>", 509) + strings.Repeat("</div>", n) + "本文", "本文\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := timed(t, tc.in, Options{})
			if tc.want != "" && got != tc.want {
				t.Errorf("got %.200q…, want %.200q…", got, tc.want)
			}
		})
	}
}

func uniqueAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(" a")
		b.WriteString(strings.Repeat("b", i%7))
		b.WriteByte(byte('a' + i%26))
		b.WriteByte(byte('a' + i/26%26))
		b.WriteByte(byte('a' + i/676%26))
	}
	return b.String()
}

// TestDepthBound checks MaxDepth at N and N+1: a hidden element that is the
// MaxDepth-th open element is tracked; one deeper hides the rest of its
// parent instead, and content after the parent shows again.
func TestDepthBound(t *testing.T) {
	const d = 16
	doc := func(depth int) string {
		return strings.Repeat("<div>", depth-1) + `<span style="display:none">隠れる</span>見える` + strings.Repeat("</div>", depth-1) + "後"
	}
	got, st := convert(t, doc(d), Options{MaxDepth: d})
	if want := "見える\n後\n"; got != want {
		t.Errorf("at the bound: got %q, want %q", got, want)
	}
	if st.Count(RuleHidden) != 1 {
		t.Errorf("at the bound: html.hidden %d", st.Count(RuleHidden))
	}
	got, st = convert(t, doc(d+1), Options{MaxDepth: d})
	if want := "後\n"; got != want {
		t.Errorf("past the bound: got %q, want %q", got, want)
	}
	if st.Count(RuleHidden) != 1 {
		t.Errorf("past the bound: html.hidden %d", st.Count(RuleHidden))
	}
}

// TestMaxTokenBoundary checks a tag and a text run of exactly MaxToken-1
// bytes (tokenizer) and MaxToken bytes (take-over) give the same text.
func TestMaxTokenBoundary(t *testing.T) {
	const n = minMaxToken
	for _, mk := range []func(size int) string{
		func(size int) string { // a tag of size bytes
			pre := `<img alt="代替" src="`
			return pre + strings.Repeat("x", size-len(pre)-2) + `">`
		},
		func(size int) string { // a text run of size bytes
			return strings.Repeat("x", size)
		},
		func(size int) string { // a comment of size bytes
			return "<!--" + strings.Repeat("x", size-7) + "-->"
		},
	} {
		for _, size := range []int{n - 1, n, n + 1} {
			in := mk(size)
			if len(in) != size {
				t.Fatalf("built %d bytes, want %d", len(in), size)
			}
			a, _ := convert(t, in+"後", Options{MaxToken: n})
			b, _ := convert(t, in+"後", Options{MaxToken: 1 << 20})
			if a != b {
				t.Errorf("size %d: MaxToken %d gives %.80q, unbounded gives %.80q", size, n, a, b)
			}
		}
	}
}

func TestOutputBound(t *testing.T) {
	in := "<p>" + strings.Repeat("a", 100) + "</p>"
	if _, err := Convert(t.Context(), io.Discard, strings.NewReader(in), Options{MaxOutput: 101}); err != nil {
		t.Errorf("at the bound: %v", err)
	}
	_, err := Convert(t.Context(), io.Discard, strings.NewReader(in), Options{MaxOutput: 100})
	if !errors.Is(err, sanitize.ErrTooLarge) {
		t.Errorf("past the bound: %v", err)
	}
}

// cancelReader cancels its context after n bytes.
type cancelReader struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	c.n -= len(p)
	if c.n < 0 {
		c.cancel()
	}
	return c.r.Read(p)
}

func TestCancelMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	in := strings.Repeat("<p>段落</p>", 1<<20)
	_, err := Convert(ctx, io.Discard, &cancelReader{r: strings.NewReader(in), n: 1 << 20, cancel: cancel}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadError(t *testing.T) {
	_, err := Convert(t.Context(), io.Discard, io.MultiReader(strings.NewReader("<p>a"), failReader{}), Options{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
}

func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates")
	}
	// 16 MiB of one paragraph without tags: the buffers stay bounded, so the
	// bytes allocated stay a small multiple of the input, not of its square.
	in := bytes.Repeat([]byte("あいうえお "), 16<<20/16)
	allocs := testing.AllocsPerRun(1, func() {
		if _, err := Convert(t.Context(), io.Discard, bytes.NewReader(in), Options{}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2000 {
		t.Errorf("%v allocations for one long paragraph", allocs)
	}
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	before := m.TotalAlloc
	spaces := append(append([]byte("<pre>"), bytes.Repeat([]byte(" "), 16<<20)...), "x</pre>"...)
	if _, err := Convert(t.Context(), io.Discard, bytes.NewReader(spaces), Options{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&m)
	// Each long-token take-over starts a tokenizer whose buffer grows again
	// to MaxToken: churn of a few bytes per input byte, never more.
	if got := m.TotalAlloc - before; got > 8*uint64(len(spaces)) {
		t.Errorf("16 MiB of preformatted spaces allocated %d bytes", got)
	}
}

func TestPrefixBounded(t *testing.T) {
	in := strings.Repeat("<blockquote>", 500) + strings.Repeat("行<br>", 10) + strings.Repeat("<ul><li>", 100) + "項目"
	got, _ := convert(t, in, Options{})
	for l := range strings.Lines(got) {
		if len(l) > maxPrefix+len("・項目\n") {
			t.Fatalf("line of %d bytes: %.100q", len(l), l)
		}
	}
}
