package html

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

func encode(t testing.TB, e encoding.Encoding, s string) string {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return string(b)
}

func item(b []byte) *sanitize.Item {
	return &sanitize.Item{
		Src:    io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b))),
		Name:   "page.html",
		Kind:   detect.HTML,
		Limits: sanitize.Limits{}.Defaults(),
	}
}

func sanitizeBytes(t *testing.T, s *Sanitizer, in []byte) (string, sanitize.Result) {
	t.Helper()
	var b bytes.Buffer
	res, err := s.Sanitize(t.Context(), &b, item(in))
	if err != nil {
		t.Fatalf("Sanitize: %v", err)
	}
	return b.String(), res
}

func findingDetail(res sanitize.Result, rule string) (string, bool) {
	for _, f := range res.Findings {
		if f.Rule == rule {
			return f.Detail, true
		}
	}
	return "", false
}

func TestSanitizeCharsets(t *testing.T) {
	sjis := func(s string) string { return encode(t, japanese.ShiftJIS, s) }
	// CP932 specials written as bytes, so the decoder is tested on its own:
	// ① 0x8740 and ㈱ 0x878A (NEC row 13), 髙 0xFBFC (IBM extension).
	const necSpecials = "\x87\x40\x87\x8a\xfb\xfc"
	body := "市役所からのお知らせ"
	for _, tc := range []struct {
		name    string
		in      string
		opts    Options
		hook    func([]byte) string
		want    string
		charset string // text.charset detail; "" when none
	}{
		{name: "utf-8", in: "<p>" + body + "</p>", want: body + "\n"},
		{name: "utf-8 bom", in: "\xef\xbb\xbf<p>" + body + "</p>", want: body + "\n"},
		{name: "meta charset shift_jis", in: `<meta charset="Shift_JIS"><p>` + sjis(body) + necSpecials + "</p>",
			want: body + "①㈱髙\n", charset: "shift_jis (meta)"},
		{name: "meta http-equiv", in: `<meta http-equiv="Content-Type" content="text/html; charset=x-sjis"><p>` + sjis(body) + "</p>",
			want: body + "\n", charset: "shift_jis (meta)"},
		{name: "meta after long comment", in: "<!--" + strings.Repeat("-", 3000) + `--><meta charset="euc-jp"><p>` + encode(t, japanese.EUCJP, body) + "</p>",
			want: body + "\n", charset: "euc-jp (meta)"},
		{name: "undeclared shift_jis", in: "<p>" + sjis(body+"。住民票の写しの交付について") + necSpecials + "</p>",
			want: body + "。住民票の写しの交付について①㈱髙\n", charset: "shift_jis (guess)"},
		{name: "undeclared euc-jp", in: "<p>" + encode(t, japanese.EUCJP, body+"。住民票の写しの交付について") + "</p>",
			want: body + "。住民票の写しの交付について\n", charset: "euc-jp (guess)"},
		{name: "undeclared iso-2022-jp", in: "<p>" + encode(t, japanese.ISO2022JP, body) + "</p>",
			want: body + "\n", charset: "iso-2022-jp (guess)"},
		{name: "utf-16le bom", in: "\xff\xfe" + encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "<p>"+body+"</p>"),
			want: body + "\n", charset: "utf-16le (bom)"},
		{name: "utf-16le without bom", in: encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "<html><p>"+body+"</p></html>"),
			want: body + "\n", charset: "utf-16le (guess)"},
		{name: "utf-16be without bom", in: encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "<html><p>"+body+"</p></html>"),
			want: body + "\n", charset: "utf-16be (guess)"},
		{name: "declared shift_jis but utf-8", in: `<meta charset="shift_jis"><p>` + body + "</p>", want: body + "\n"},
		{name: "meta utf-16 means utf-8", in: `<meta charset="utf-16"><p>` + body + "</p>", want: body + "\n"},
		{name: "option", in: "<p>" + sjis(body) + "</p>", opts: Options{Charset: "windows-31j"}, want: body + "\n", charset: "shift_jis (option)"},
		{name: "hook", in: "<p>" + encode(t, japanese.EUCJP, body) + "</p>", hook: func([]byte) string { return "euc-jp" },
			want: body + "\n", charset: "euc-jp (guess)"},
		{name: "hook declines", in: "<p>" + sjis(body) + "</p>", hook: func([]byte) string { return "" },
			want: body + "\n", charset: "shift_jis (guess)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			GuessCharset = tc.hook
			defer func() { GuessCharset = nil }()
			got, res := sanitizeBytes(t, New(tc.opts), []byte(tc.in))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if res.Kind != detect.Text {
				t.Errorf("kind %q", res.Kind)
			}
			if len(res.Findings) == 0 || res.Findings[0].Rule != RuleText || res.Findings[0].Action != sanitize.Converted {
				t.Errorf("first finding is not html.text: %+v", res.Findings)
			}
			d, ok := findingDetail(res, RuleCharset)
			if d != tc.charset || ok != (tc.charset != "") {
				t.Errorf("text.charset: got %q (%v), want %q", d, ok, tc.charset)
			}
		})
	}
}

func TestSanitizeFindings(t *testing.T) {
	in := `<html><head><title>t</title><script>x()</script></head><body onload="y()"><p>本文</p></body></html>`
	_, res := sanitizeBytes(t, New(Options{}), []byte(in))
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, f.Rule+"/"+f.Action.String()+"/"+f.Where+"/"+f.Detail)
	}
	want := "html.text/converted//|html.script/removed/line 1/1 script element|html.event/removed/line 1/1 event handler attribute"
	if got := strings.Join(rules, "|"); got != want {
		t.Errorf("findings:\n got %s\nwant %s", got, want)
	}
	for _, f := range res.Findings {
		if sanitize.DescribeRule(f.Rule, "en") == f.Rule {
			t.Errorf("rule %s is not in sanitize.RuleTable", f.Rule)
		}
	}
}

func TestRulesInTable(t *testing.T) {
	for _, ri := range ruleInfo {
		if sanitize.DescribeRule(ri.id, "ja") == ri.id {
			t.Errorf("rule %s is not in sanitize.RuleTable", ri.id)
		}
	}
	for _, id := range []string{RuleText, RuleCharset} {
		if sanitize.DescribeRule(id, "ja") == id {
			t.Errorf("rule %s is not in sanitize.RuleTable", id)
		}
	}
}

func TestSanitizeMaxOutput(t *testing.T) {
	in := []byte("<p>" + strings.Repeat("あ", 1000) + "</p>")
	it := item(in)
	it.Limits.MaxOutput = 1000
	_, err := New(Options{}).Sanitize(t.Context(), io.Discard, it)
	if !errors.Is(err, sanitize.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	it.Limits.MaxOutput = 3001 // 1000 × 3 bytes + LF
	if _, err := New(Options{}).Sanitize(t.Context(), io.Discard, it); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

func TestSanitizeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := New(Options{}).Sanitize(ctx, io.Discard, item([]byte("<p>x</p>")))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
	err := Options{Links: 9, Images: 9, MaxToken: -1, MaxDepth: -1, MaxOutput: -1, Charset: "klingon"}.Validate()
	if err == nil {
		t.Fatal("bad Options validated")
	}
	for _, s := range []string{"link mode", "image mode", "MaxToken", "MaxDepth", "MaxOutput", "klingon"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not mention %s: %v", s, err)
		}
	}
	if _, err := New(Options{Charset: "klingon"}).Sanitize(t.Context(), io.Discard, item([]byte("x"))); !errors.Is(err, sanitize.ErrUnsupported) {
		t.Errorf("unknown charset: %v", err)
	}
}
