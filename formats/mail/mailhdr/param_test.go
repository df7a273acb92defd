package mailhdr

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// pct percent-encodes every byte.
func pct(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		s.WriteString("%")
		s.WriteString(strings.ToUpper(string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])))
	}
	return s.String()
}

func TestParseMediaType(t *testing.T) {
	j := jis(t, "請求書.pdf")
	tests := []struct {
		name, raw string
		mt        string
		params    map[string]string
	}{
		{"simple", "text/plain; charset=UTF-8", "text/plain", map[string]string{"charset": "UTF-8"}},
		{"case", "Text/HTML; Charset=\"iso-2022-jp\"", "text/html", map[string]string{"charset": "iso-2022-jp"}},
		{"disposition", "attachment; filename=a.pdf", "attachment", map[string]string{"filename": "a.pdf"}},
		{"empty", "", "", map[string]string{}},
		{"comment", "text/plain (body); charset=us-ascii (Plain text)", "text/plain", map[string]string{"charset": "us-ascii"}},
		{"missing semicolon", "text/plain charset=utf-8", "text/plain", map[string]string{"charset": "utf-8"}},
		{"double semicolon", "text/plain;; charset=utf-8;", "text/plain", map[string]string{"charset": "utf-8"}},
		{"spaces around slash", "text / plain", "text/plain", map[string]string{}},
		{"garbage type", "te<xt/plain; name=a", "", map[string]string{"name": "a"}},
		{"folded", "multipart/mixed;\r\n\tboundary=\"----=_Part_1\"", "multipart/mixed", map[string]string{"boundary": "----=_Part_1"}},
		{"param without value", "attachment; inline; filename=a", "attachment", map[string]string{"filename": "a"}},
		{"quoted semicolon", `attachment; filename="a;b.pdf"; size=3`, "attachment", map[string]string{"filename": "a;b.pdf", "size": "3"}},
		{"unterminated quote", `attachment; filename="a.pdf`, "attachment", map[string]string{"filename": "a.pdf"}},
		{"windows path", `attachment; filename="C:\Users\a.pdf"`, "attachment", map[string]string{"filename": `C:\Users\a.pdf`}},
		{"escapes", `attachment; filename="a\"b\\c"`, "attachment", map[string]string{"filename": `a"b\c`}},
		{"unquoted with spaces", "attachment; filename=my report (1).pdf", "attachment", map[string]string{"filename": "my report (1).pdf"}},

		// RFC 2231.
		{"2231 iso-2022-jp", "attachment; filename*=ISO-2022-JP''" + pct(j), "attachment", map[string]string{"filename": "請求書.pdf"}},
		{"2231 utf-8", "attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf", "attachment", map[string]string{"filename": "請求書.pdf"}},
		{"2231 language", "attachment; filename*=utf-8'ja'%E8%AB%8B", "attachment", map[string]string{"filename": "請"}},
		{"2231 quoted", `attachment; filename*="UTF-8''%E8%AB%8B"`, "attachment", map[string]string{"filename": "請"}},
		{"2231 no charset", "attachment; filename*=%E8%AB%8B.pdf", "attachment", map[string]string{"filename": "請.pdf"}},
		{"2231 lowercase hex", "attachment; filename*=utf-8''%e8%ab%8b", "attachment", map[string]string{"filename": "請"}},
		{"2231 bad percent", "attachment; filename*=utf-8''100%25%2", "attachment", map[string]string{"filename": "100%%2"}},
		{"2231 continuations ext", "attachment;\r\n filename*0*=UTF-8''%E8%AB;\r\n filename*1*=%8B%E6%B1%82;\r\n filename*2*=%E6%9B%B8.pdf", "attachment", map[string]string{"filename": "請求書.pdf"}},
		{"2231 continuations plain", `attachment; filename*0="long file "; filename*1="name.pdf"`, "attachment", map[string]string{"filename": "long file name.pdf"}},
		{"2231 continuations mixed", `attachment; filename*0*=UTF-8''%E8%AB%8B; filename*1=".pdf"`, "attachment", map[string]string{"filename": "請.pdf"}},
		{"2231 out of order", `attachment; filename*1="b.pdf"; filename*0="a"`, "attachment", map[string]string{"filename": "ab.pdf"}},
		{"2231 missing *0", `attachment; filename*1="b"; filename*2=".pdf"`, "attachment", map[string]string{"filename": "b.pdf"}},
		{"2231 missing *0*", `attachment; filename*1*=UTF-8''%E8%AB%8B; filename*2*=.pdf`, "attachment", map[string]string{"filename": "請.pdf"}},
		{"2231 iso-2022-jp split", "attachment; filename*0*=ISO-2022-JP''" + pct(j[:5]) + "; filename*1*=" + pct(j[5:]), "attachment", map[string]string{"filename": "請求書.pdf"}},
		{"2231 shift_jis", "attachment; filename*=Shift_JIS''" + pct(sjis(t, "表ソ.pdf")), "attachment", map[string]string{"filename": "表ソ.pdf"}},
		{"2231 mislabelled", "attachment; filename*=ISO-8859-1''" + pct([]byte("請求書.pdf")), "attachment", map[string]string{"filename": "請求書.pdf"}},
		{"2231 continuations with 2047", `attachment; filename*0="=?UTF-8?B?6KuL5rGC?="; filename*1="=?UTF-8?B?5pu4LnBkZg==?="`, "attachment", map[string]string{"filename": "請求書.pdf"}},
		{"2231 index too big", `attachment; filename*99999="x"; filename="a"`, "attachment", map[string]string{"filename": "a"}},
		{"2231 duplicate section", `attachment; filename*0="a"; filename*0="b"; filename*1="c"`, "attachment", map[string]string{"filename": "ac"}},

		// Precedence and duplicates.
		{"extended beats plain", `attachment; filename="plain.pdf"; filename*=UTF-8''ext.pdf`, "attachment", map[string]string{"filename": "ext.pdf"}},
		{"empty extended loses", `attachment; filename*=UTF-8''; filename="plain.pdf"`, "attachment", map[string]string{"filename": "plain.pdf"}},
		{"first duplicate wins", `attachment; filename="a.pdf"; filename="a.exe"`, "attachment", map[string]string{"filename": "a.pdf"}},
		{"first duplicate wins ext", `attachment; filename*=UTF-8''a.pdf; filename*=UTF-8''a.exe`, "attachment", map[string]string{"filename": "a.pdf"}},

		// RFC 2047 in parameters and raw 8-bit.
		{"2047 in quoted", `application/pdf; name="` + bword("ISO-2022-JP", j) + `"`, "application/pdf", map[string]string{"name": "請求書.pdf"}},
		{"2047 unquoted", `application/pdf; name=` + bword("UTF-8", []byte("請求書.pdf")), "application/pdf", map[string]string{"name": "請求書.pdf"}},
		{"2047 split words", `application/pdf; name="` + bword("UTF-8", []byte("請求書.pdf")[:4]) + " " + bword("UTF-8", []byte("請求書.pdf")[4:]) + `"`, "application/pdf", map[string]string{"name": "請求書.pdf"}},
		{"raw cp932", `attachment; filename="` + string(sjis(t, "表ソ予定.xls")) + `"`, "attachment", map[string]string{"filename": "表ソ予定.xls"}},
		{"raw cp932 quote byte", `attachment; filename="` + string(sjis(t, "ソ")) + `"; size=1`, "attachment", map[string]string{"filename": "ソ", "size": "1"}},
		{"raw utf-8", `attachment; filename="請求書.pdf"`, "attachment", map[string]string{"filename": "請求書.pdf"}},
		{"raw euc-jp", `attachment; filename="` + string(eucjp(t, "日本語の資料.pdf")) + `"`, "attachment", map[string]string{"filename": "日本語の資料.pdf"}},
		{"raw iso-2022-jp", `attachment; filename="` + string(j) + `"`, "attachment", map[string]string{"filename": "請求書.pdf"}},

		{"stray quote after unquoted", `attachment; filename==?UTF-8?B?44OG44K544OI?="`, "attachment", map[string]string{"filename": "テスト"}},
		{"empty quotes then text", `attachment; filename=""=?UTF-8?B?44OG44K544OI?="`, "attachment", map[string]string{"filename": "テスト"}},
		{"text after quotes", `attachment; filename="a" .pdf; size=1`, "attachment", map[string]string{"filename": "a.pdf", "size": "1"}},
		{"2047 in extended", `attachment; filename*0*="=?UTF-8?B?44OG44K5?="; filename*1*="=?UTF-8?B?44OI?="`, "attachment", map[string]string{"filename": "テスト"}},
		{"percent-encoded 2047 stays", `attachment; filename*=UTF-8''%3D%3FUTF-8%3FB%3FYQ%3D%3D%3F%3D`, "attachment", map[string]string{"filename": "=?UTF-8?B?YQ==?="}},

		// Cleaning.
		{"injection", `attachment; filename="` + bword("UTF-8", []byte("a\r\n\r\n--boundary\r\nb.pdf")) + `"`, "attachment", map[string]string{"filename": "a    --boundary  b.pdf"}},
		{"bidi", `attachment; filename*=UTF-8''%E8%AB%8B%E2%80%AEfdp.exe`, "attachment", map[string]string{"filename": "請fdp.exe"}},
		{"nul", "attachment; filename*=UTF-8''a%00b", "attachment", map[string]string{"filename": "ab"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mt, params := ParseMediaType(tc.raw)
			if mt != tc.mt || !reflect.DeepEqual(params, tc.params) {
				t.Errorf("ParseMediaType(%q)\n got %q %q\nwant %q %q", tc.raw, mt, params, tc.mt, tc.params)
			}
			for k, v := range params {
				checkClean(t, k, v)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	for _, tc := range []struct{ cd, ct, want string }{
		{`attachment; filename*=UTF-8''ext.pdf; filename="plain.pdf"`, `application/pdf; name*=UTF-8''type-ext.pdf; name="type.pdf"`, "ext.pdf"},
		{`attachment; filename="plain.pdf"`, `application/pdf; name*=UTF-8''type-ext.pdf; name="type.pdf"`, "plain.pdf"},
		{`attachment`, `application/pdf; name*=UTF-8''type-ext.pdf; name="type.pdf"`, "type-ext.pdf"},
		{`attachment`, `application/pdf; name="type.pdf"`, "type.pdf"},
		{``, `application/pdf; name="` + bword("ISO-2022-JP", jis(t, "見積書.pdf")) + `"`, "見積書.pdf"},
		{`attachment; name="misplaced.pdf"`, `application/pdf`, "misplaced.pdf"},
		{`attachment`, `application/pdf; filename="misplaced.pdf"`, "misplaced.pdf"},
		{`attachment; filename="  spaced.pdf  "`, ``, "spaced.pdf"},
		{`inline`, `text/plain`, ""},
		{``, ``, ""},
	} {
		if got := FileName(tc.cd, tc.ct); got != tc.want {
			t.Errorf("FileName(%q, %q) = %q, want %q", tc.cd, tc.ct, got, tc.want)
		}
	}
}

func TestFormatParam(t *testing.T) {
	long := strings.Repeat("請求書", 30) + ".pdf"
	longASCII := strings.Repeat("report-", 30) + ".pdf"
	for _, tc := range []struct{ key, value, want string }{
		{"filename", "a.pdf", `filename="a.pdf"`},
		{"filename", `a "quoted" \ name.pdf`, `filename="a \"quoted\" \\ name.pdf"`},
		{"filename", "", `filename=""`},
		{"filename", "請求書.pdf", "filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf"},
		{"filename", "=?UTF-8?B?x?=", "filename*=UTF-8''%3D%3FUTF-8%3FB%3Fx%3F%3D"},
		{"filename", "a\r\nContent-Type: text/html", `filename="a  Content-Type: text/html"`},
		{"file name;", "a", `filename="a"`},
		{"filename", long, ""},
		{"filename", longASCII, ""},
	} {
		got := FormatParam(tc.key, tc.value)
		if tc.want != "" && got != tc.want {
			t.Errorf("FormatParam(%q, %q) = %q, want %q", tc.key, tc.value, got, tc.want)
		}
		// Every section fits on a folded line, and the parameter parses back.
		for _, l := range strings.Split(got, "\r\n") {
			if len(strings.TrimPrefix(strings.TrimSuffix(l, ";"), " ")) > 76 {
				t.Errorf("FormatParam(%q): line %q is %d long", tc.value, l, len(l))
			}
		}
		field := "Content-Disposition: attachment;\r\n " + got + "\r\n"
		checkField(t, field, 78)
		_, params := ParseMediaType(value(field))
		key := strings.Map(func(r rune) rune {
			if r == ' ' || r == ';' {
				return -1
			}
			return r
		}, tc.key)
		if params[key] != Clean(tc.value) {
			t.Errorf("FormatParam(%q, %q) = %q parses back as %q", tc.key, tc.value, got, params[key])
		}
	}
	// The percent-encoding is plain RFC 3986 escaping of UTF-8.
	got := FormatParam("filename", "請求書 2024.pdf")
	v, err := url.PathUnescape(strings.TrimPrefix(got, "filename*=UTF-8''"))
	if err != nil || v != "請求書 2024.pdf" {
		t.Errorf("FormatParam: %q unescapes to %q, %v", got, v, err)
	}
}

func TestFormatParamWords(t *testing.T) {
	for _, tc := range []struct {
		value string
		cs    OutCharset
		want  string
	}{
		{"a.pdf", UTF8, `name="a.pdf"`},
		{"請求書.pdf", UTF8, `name="=?UTF-8?B?6KuL5rGC5pu4LnBkZg==?="`},
		{"請求書.pdf", ISO2022JP, `name="=?ISO-2022-JP?B?GyRCQEE1YT1xGyhCLnBkZg==?="`},
		{"=?UTF-8?B?YQ==?=", UTF8, `name="=?UTF-8?B?PT9VVEYtOD9CP1lRPT0/PQ==?="`},
		{strings.Repeat("請求書", 40) + ".pdf", ISO2022JP, ""},
		{strings.Repeat("x", 2000), UTF8, ""},
		{"a\r\n\r\n--b\r\nContent-Type: text/html", UTF8, `name="a    --b  Content-Type: text/html"`},
	} {
		got := FormatParamWords("name", tc.value, tc.cs)
		if tc.want != "" && got != tc.want {
			t.Errorf("FormatParamWords(%q) = %q, want %q", tc.value, got, tc.want)
		}
		field := "Content-Type: application/pdf;\r\n " + got + "\r\n"
		checkField(t, field, 78)
		if _, p := ParseMediaType(value(field)); p["name"] != Clean(tc.value) {
			t.Errorf("FormatParamWords(%q) = %q parses as %q", tc.value, got, p["name"])
		}
	}
}
