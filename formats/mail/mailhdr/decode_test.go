package mailhdr

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

func TestDecodeText(t *testing.T) {
	const kana = "ﾃｽﾄｶﾅ"
	const ext = "①㈱Ⅲ"
	subj := "会議のお知らせ" + ext + kana
	u := []byte("日本語テスト")
	sj := sjis(t, "請求書のご案内")
	j := jis(t, "お見積り")

	tests := []struct {
		name, raw, want string
	}{
		{"ascii", "Hello, world", "Hello, world"},
		{"empty", "", ""},
		{"iso-2022-jp with CP5022x and half-width kana", bword("ISO-2022-JP", jis(t, subj)), subj},
		{"iso-2022-jp after Re:", "Re: " + bword("iso-2022-jp", jis(t, "会議")), "Re: 会議"},

		// A character cut between two words.
		{"utf-8 split B", bword("UTF-8", u[:4]) + " " + bword("UTF-8", u[4:]), "日本語テスト"},
		{"utf-8 split Q", qword("UTF-8", u[:5]) + "\r\n " + qword("utf-8", u[5:]), "日本語テスト"},
		{"utf-8 split B, Q", bword("UTF-8", u[:2]) + "\t" + qword("UTF-8", u[2:]), "日本語テスト"},
		{"shift_jis split", bword("Shift_JIS", sj[:3]) + " " + bword("Shift_JIS", sj[3:]), "請求書のご案内"},
		{"shift_jis split Q", qword("shift_jis", sj[:5]) + " " + qword("SHIFT_JIS", sj[5:]), "請求書のご案内"},
		{"iso-2022-jp split in a pair", bword("ISO-2022-JP", j[:6]) + " " + bword("ISO-2022-JP", j[6:]), "お見積り"},
		{"iso-2022-jp escape state carried", bword("ISO-2022-JP", j[:7]) + "\r\n " + bword("ISO-2022-JP", j[7:]), "お見積り"},
		{"iso-2022-jp split in the escape", bword("ISO-2022-JP", j[:1]) + " " + bword("ISO-2022-JP", j[1:]), "お見積り"},
		{"three words", bword("UTF-8", u[:1]) + " " + bword("UTF-8", u[1:8]) + "  " + bword("UTF-8", u[8:]), "日本語テスト"},

		// Lenient syntax.
		{"lowercase b", "=?utf-8?b?" + base64.StdEncoding.EncodeToString(u) + "?=", "日本語テスト"},
		{"lowercase q", "=?utf-8?q?caf=c3=a9_au_lait?=", "café au lait"},
		{"language tag", "=?UTF-8*ja?B?" + base64.StdEncoding.EncodeToString(u) + "?=", "日本語テスト"},
		{"language tag iso-2022-jp", "=?ISO-2022-JP*ja-JP?B?" + base64.StdEncoding.EncodeToString(j) + "?=", "お見積り"},
		{"missing padding", "=?UTF-8?B?" + base64.RawStdEncoding.EncodeToString([]byte("日本")) + "?=", "日本"},
		{"short padding", "=?UTF-8?B?" + strings.TrimSuffix(base64.StdEncoding.EncodeToString([]byte("ab")), "=") + "?=", "ab"},
		{"extra padding", "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("abc")) + "==?=", "abc"},
		{"glued padded groups", "=?UTF-8?B?YQ==Yg==?=", "ab"},
		{"url-safe alphabet", "=?UTF-8?B?" + base64.URLEncoding.EncodeToString([]byte("ｿ")) + "?=", "ｿ"},
		{"spaces inside B", "=?UTF-8?B?" + spaced(base64.StdEncoding.EncodeToString(u)) + "?=", "日本語テスト"},
		{"spaces inside Q", "=?ISO-8859-1?Q?caf=E9 au lait?=", "café au lait"},
		{"adjacent text before", "件名=?UTF-8?B?" + base64.StdEncoding.EncodeToString(u) + "?=", "件名日本語テスト"},
		{"adjacent text after", bword("UTF-8", u) + "です", "日本語テストです"},
		{"adjacent words", bword("UTF-8", u[:4]) + bword("UTF-8", u[4:]), "日本語テスト"},
		{"bad Q escape", "=?UTF-8?Q?100=%_=ZZ?=", "100=% =ZZ"},
		{"multiple spaces kept outside words", "a   " + bword("UTF-8", u) + "   b", "a   日本語テスト   b"},
		{"whitespace between words dropped", bword("UTF-8", []byte("a")) + " \t " + bword("UTF-8", []byte("b")), "ab"},
		{"whitespace kept when a word is inside it", "x " + bword("UTF-8", []byte("a")) + " y", "x a y"},
		{"different charsets adjacent", bword("ISO-2022-JP", jis(t, "日本")) + " " + qword("ISO-8859-1", []byte("caf\xe9")), "日本café"},
		{"unterminated word kept", "=?UTF-8?B?5pel5pys", "=?UTF-8?B?5pel5pys"},
		{"unterminated then good", "=?UTF-8?B?abc " + bword("UTF-8", u), "=?UTF-8?B?abc 日本語テスト"},
		{"no encoding letter", "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
		{"empty charset", "=??B?YWJj?=", "=??B?YWJj?="},
		{"empty payload", "=?UTF-8?B??=x", "x"},
		{"a literal ?= alone", "what?= is =? this", "what?= is =? this"},

		// Raw 8-bit headers and raw ISO-2022-JP.
		{"raw utf-8", "Re: 日本語の件名", "Re: 日本語の件名"},
		{"raw cp932", "Re: " + string(sjis(t, "表示ソフト①の件")), "Re: 表示ソフト①の件"},
		{"raw euc-jp", "Re: " + string(eucjp(t, "日本語の件名です")), "Re: 日本語の件名です"},
		{"raw iso-2022-jp", "Re: " + string(jis(t, "打ち合わせの件")), "Re: 打ち合わせの件"},
		{"raw iso-2022-jp folded", string(jis(t, "打ち合わせ")) + "\r\n " + string(jis(t, "の件")), "打ち合わせ の件"},
		{"raw utf-8 with a stray byte", "Юникод запрещен\xf1", "Юникод запрещен\uFFFD"},
		{"raw latin-1", "Fr\xf6sche", "Frösche"},
		{"raw cp932 and a word", string(sjis(t, "件名")) + " " + bword("UTF-8", u), "件名 日本語テスト"},

		// Labels that lie.
		{"iso-2022-jp label, utf-8 bytes", bword("ISO-2022-JP", []byte("請求書のご案内")), "請求書のご案内"},
		{"iso-2022-jp label, shift_jis bytes", bword("ISO-2022-JP", sj), "請求書のご案内"},
		{"utf-8 label, shift_jis bytes", bword("UTF-8", sj), "請求書のご案内"},
		{"us-ascii label, utf-8 bytes", bword("US-ASCII", []byte("日本")), "日本"},
		{"shift_jis label, euc-jp bytes", bword("Shift_JIS", eucjp(t, "日本語の件名です")), "日本語の件名です"},
		{"unknown charset, utf-8", bword("x-unknown", []byte("お知らせ")), "お知らせ"},
		{"unknown charset, shift_jis", bword("x-sjis-nonsense", sj), "請求書のご案内"},
		{"unknown charset, iso-2022-jp", qword("foo", j), "お見積り"},
		{"undecodable base64 kept", "Re: =?UTF-8?B?#!*?=", "Re: =?UTF-8?B?#!*?="},

		// Other charsets.
		{"latin-1", qword("ISO-8859-1", []byte("Fran\xe7ais")), "Français"},
		{"latin-2", bword("ISO-8859-2", must(t, charmap.ISO8859_2, "Żółć")), "Żółć"},
		{"koi8-r", bword("KOI8-R", must(t, charmap.KOI8R, "Привет")), "Привет"},
		{"windows-1251", bword("windows-1251", must(t, charmap.Windows1251, "Привет")), "Привет"},
		{"gb2312", bword("GB2312", must(t, simplifiedchinese.GBK, "你好世界")), "你好世界"},
		{"gb18030", bword("GB18030", must(t, simplifiedchinese.GB18030, "你好世界")), "你好世界"},
		{"big5", bword("Big5", must(t, traditionalchinese.Big5, "臺灣測試")), "臺灣測試"},
		{"euc-kr", bword("EUC-KR", must(t, korean.EUCKR, "안녕하세요")), "안녕하세요"},
		{"ks_c_5601-1987", bword("ks_c_5601-1987", must(t, korean.EUCKR, "안녕하세요")), "안녕하세요"},
		{"utf-7", "=?UTF-7?Q?Hi_+ZeVnLIqe-_a+-b?=", "Hi 日本語 a+b"},
		{"utf-7 astral", "=?utf-7?B?" + base64.StdEncoding.EncodeToString([]byte("+2D3eAA-")) + "?=", "😀"},
		{"utf-7 broken falls back", "=?UTF-7?Q?+2D3-?=", "+2D3-"},
		{"utf-16", bword("UTF-16BE", []byte{0x65, 0xE5, 0x67, 0x2C}), "日本"},

		// Cleaning and injection.
		{"crlf injection", bword("UTF-8", []byte("hi\r\nBcc: victim@example.com")), "hi  Bcc: victim@example.com"},
		{"bare lf", "a\nb", "a b"},
		{"folding", "a\r\n b\r\n\tc", "a b c"},
		{"nul and controls", bword("UTF-8", []byte("a\x00b\x1bc\x7fd\u0085e")), "abcde"},
		{"tab", bword("UTF-8", []byte("a\tb")), "a b"},
		{"bidi", bword("UTF-8", []byte("請求書\u202Efdp.exe\u2066x\u2069")), "請求書fdp.exex"},
		{"line separators", bword("UTF-8", []byte("a\u2028b\u2029c")), "a b c"},
		{"bom", bword("UTF-8", []byte("\uFEFFabc")), "abc"},
		{"trimmed", "   " + bword("UTF-8", []byte(" x ")) + "  ", "x"},
		{"invalid utf-8 raw", "abc\xff", "abcÿ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DecodeText(tc.raw)
			if got != tc.want {
				t.Errorf("DecodeText(%q)\n got %q\nwant %q", tc.raw, got, tc.want)
			}
			checkClean(t, "DecodeText", got)
		})
	}
}

func must(t testing.TB, e encoding.Encoding, s string) []byte { return encode(t, e, s) }

// spaced puts a space every five characters.
func spaced(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && i%5 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestDecodeTextBounds(t *testing.T) {
	t.Run("1000 words", func(t *testing.T) {
		w := bword("ISO-2022-JP", jis(t, "日本語"))
		raw := strings.Repeat(w+" ", 1000)
		got := DecodeText(raw)
		if want := strings.Repeat("日本語", 1000); got != want {
			t.Fatalf("got %d bytes, want %d", len(got), len(want))
		}
	})
	t.Run("truncated", func(t *testing.T) {
		raw := strings.Repeat("a", MaxInput) + "TAIL"
		if got := DecodeText(raw); len(got) != MaxInput {
			t.Fatalf("got %d bytes, want %d", len(got), MaxInput)
		}
		// A cut UTF-8 sequence disappears instead of turning into U+FFFD.
		raw = strings.Repeat("a", MaxInput-1) + "日本"
		if got := DecodeText(raw); got != strings.Repeat("a", MaxInput-1) {
			t.Fatalf("tail: %q", got[len(got)-8:])
		}
	})
	// Inputs that would be quadratic for a naive scanner; each must take
	// well under a second.
	for name, raw := range map[string]string{
		"openers":              strings.Repeat("=?", MaxInput/2),
		"heads":                strings.Repeat("=?a?b?", MaxInput/6),
		"heads then end":       strings.Repeat("=?a?b?", MaxInput/6-1) + "?=",
		"bad payloads":         strings.Repeat("=?a?q?=?", MaxInput/8),
		"long label":           strings.Repeat("=?"+strings.Repeat("a", 70), MaxInput/72),
		"words":                strings.Repeat("=?a?q?b?=", MaxInput/9),
		"addr quotes":          strings.Repeat(`\"`, MaxInput/2),
		"addr comments":        strings.Repeat(`(`, MaxInput),
		"addr brackets":        strings.Repeat(`[`, MaxInput),
		"addr angles":          strings.Repeat(`<a@b `, MaxInput/5),
		"addr words in atoms":  strings.Repeat(`x=?a?q?`, MaxInput/7),
		"param quotes":         strings.Repeat(`a="`, MaxInput/3),
		"param sections":       strings.Repeat(`a*1*=%41;`, MaxInput/9),
		"msgid":                strings.Repeat(`<<`, MaxInput/2),
		"msgid long":           "<" + strings.Repeat("a", MaxInput),
		"all the same section": strings.Repeat(`n*0="a";`, MaxInput/8),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			checkClean(t, "DecodeText", DecodeText(raw))
			for _, a := range DecodeAddressList(raw) {
				checkClean(t, "name", a.Name)
			}
			_, p := ParseMediaType("x/y;" + raw)
			for _, v := range p {
				checkClean(t, "param", v)
			}
			MessageIDs(raw)
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{" abc ", "abc"},
		{"\u3000abc\u3000", "\u3000abc\u3000"},
		{"a\r\nb", "a  b"},
		{"a\x00b", "ab"},
		{"\xff", "\uFFFD"},
		{"a\u202eb", "ab"},
		{"\t x \t", "x"},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Clean(Clean(tc.in)); got != Clean(tc.in) {
			t.Errorf("Clean not idempotent on %q", tc.in)
		}
	}
}

func TestDecodeUTF7(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      int
	}{
		{"Hi Mom -+Jjo--!", "Hi Mom -☺-!", 0},
		{"+ZeVnLIqe-", "日本語", 0},
		{"A+ImIDkQ.", "A≢Α.", 0},
		{"+-", "+", 0},
		{"+2D3eAA-", "😀", 0},
		{"+2D0-", "\uFFFD", 1},
		{"+", "\uFFFD", 1},
		{"\xff", "\uFFFD", 1},
		{"+AGE", "a", 0},
		{"+AGF", "a\uFFFD", 1},
	} {
		got, bad := decodeUTF7([]byte(tc.in))
		if got != tc.want || bad != tc.bad {
			t.Errorf("decodeUTF7(%q) = %q, %d; want %q, %d", tc.in, got, bad, tc.want, tc.bad)
		}
	}
}
