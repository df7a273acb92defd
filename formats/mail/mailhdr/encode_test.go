package mailhdr

import (
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var wordRE = regexp.MustCompile(`=\?[^?]+\?[bBqQ]\?[^?]*\?=`)

func TestEncodeText(t *testing.T) {
	subject200 := string([]rune(strings.Repeat("令和六年度予算の執行状況について（ご報告）", 10))[:200])
	if n := utf8.RuneCountInString(subject200); n != 200 {
		t.Fatalf("subject has %d characters", n)
	}
	for _, tc := range []struct {
		name, value string
		cs          OutCharset
		want        string // "" means only the properties are checked
	}{
		{"ascii", "Hello world", UTF8, "Subject: Hello world\r\n"},
		{"empty", "", UTF8, "Subject:\r\n"},
		{"blank", " \r\n ", UTF8, "Subject:\r\n"},
		{"japanese", "日本語", UTF8, "Subject: =?UTF-8?B?5pel5pys6Kqe?=\r\n"},
		{"mixed", "Re: 日本語 です ok", UTF8, "Subject: Re: =?UTF-8?B?5pel5pys6KqeIOOBp+OBmQ==?= ok\r\n"},
		{"looks encoded", "=?UTF-8?B?5pel?=", UTF8, "Subject: =?UTF-8?B?PT9VVEYtOD9CPzVwZWw/PQ==?=\r\n"},
		{"injection", "hi\r\nBcc: victim@example.com", UTF8, "Subject: hi  Bcc: victim@example.com\r\n"},
		{"boundary injection", "x\r\n--boundary--\r\n", UTF8, "Subject: x  --boundary--\r\n"},
		{"iso-2022-jp", "日本語", ISO2022JP, "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\r\n"},
		{"iso-2022-jp ascii in word", "日本 語", ISO2022JP, "Subject: =?ISO-2022-JP?B?GyRCRnxLXBsoQiAbJEI4bBsoQg==?=\r\n"},
		{"200 characters", subject200, UTF8, ""},
		{"200 characters jis", subject200, ISO2022JP, ""},
		{"long ascii", strings.Repeat("word ", 100), UTF8, ""},
		{"very long ascii word", strings.Repeat("x", 2000), UTF8, ""},
		{"long space run", "a" + strings.Repeat(" ", 3000) + "b", UTF8, ""},
		{"long space run jis", "日" + strings.Repeat(" ", 300) + "本", ISO2022JP, ""},
		{"emoji jis", "絵文字😀と半角ｶﾅ", ISO2022JP, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EncodeText("Subject", tc.value, tc.cs)
			if tc.want != "" && got != tc.want {
				t.Errorf("EncodeText(%q)\n got %q\nwant %q", tc.value, got, tc.want)
			}
			checkField(t, got, 78)
			for _, w := range wordRE.FindAllString(got, -1) {
				if len(w) > 75 {
					t.Errorf("encoded-word %d long: %s", len(w), w)
				}
			}
			if back := DecodeText(value(got)); back != Clean(tc.value) {
				t.Errorf("round trip of %q\n got %q\nvia %q", tc.value, back, got)
			}
		})
	}
}

func TestEncodeTextJISWords(t *testing.T) {
	// Each ISO-2022-JP word decodes alone, starts with ESC $ B or ASCII
	// and ends in ASCII mode.
	f := EncodeText("Subject", strings.Repeat("①㈱Ⅲ髙﨑 漢字かなカナ abc ", 8), ISO2022JP)
	for _, w := range wordRE.FindAllString(f, -1) {
		if !strings.HasPrefix(w, prefixJIS) {
			continue
		}
		b, ok := decodeB(w[len(prefixJIS) : len(w)-2])
		if !ok {
			t.Fatalf("bad base64 in %s", w)
		}
		if i := strings.LastIndexByte(string(b), 0x1B); i >= 0 && string(b[i:i+3]) != "\x1b(B" {
			t.Errorf("word %s ends in mode %q", w, b[i:i+3])
		}
		if s := DecodeText(w); strings.ContainsRune(s, utf8.RuneError) {
			t.Errorf("word %s alone decodes to %q", w, s)
		}
	}
}

// randomText makes strings that exercise the encoders: ASCII words and
// blanks, Japanese, astral characters, controls and injection attempts.
func randomText(r *rand.Rand) string {
	pieces := []string{
		" ", "  ", "\t", "\r\n", "\r\nBcc: x@y", "\n--b\r\n", "\x00", "\u202e", "\uFEFF",
		"a", "Re:", "hello", "=?", "?=", "=?UTF-8?B?5pel?=", `"`, `\`, "(", ")", "<", ">", ",", ";", ":", "@",
		"日本語", "ｶﾀｶﾅ", "①㈱Ⅲ", "髙", "〜", "～", "😀", "\u0301", "é", "\uFFFD", "\x7f", "\u0085",
	}
	var b strings.Builder
	n := r.IntN(40)
	for range n {
		switch r.IntN(4) {
		case 0:
			b.WriteString(pieces[r.IntN(len(pieces))])
		case 1:
			b.WriteRune(rune(r.IntN(0x3000)))
		case 2:
			b.WriteRune(rune(0x3000 + r.IntN(0x7000)))
		default:
			c := rune(r.IntN(0x10FFFF))
			if 0xD800 <= c && c < 0xE000 {
				c = 'x'
			}
			b.WriteRune(c)
		}
	}
	if r.IntN(20) == 0 {
		b.WriteString(strings.Repeat("長い件名", 60+r.IntN(60)))
	}
	return b.String()
}

func TestEncodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		s := randomText(r)
		for _, cs := range []OutCharset{UTF8, ISO2022JP} {
			f := EncodeText("Subject", s, cs)
			checkField(t, f, 78)
			if back := DecodeText(value(f)); back != Clean(s) {
				t.Fatalf("%d: round trip of %q (cs %d)\n got %q\nwant %q\nvia %q", i, s, cs, back, Clean(s), f)
			}
			addrs := []Address{{Name: s, Addr: "a@example.jp"}, {Name: s + s, Addr: ""}, {Name: "x", Addr: s}}
			f = EncodeAddressList("To", addrs, cs)
			checkField(t, f, 998)
			back := DecodeAddressList(value(f))
			var want []Address
			if n := Clean(s); n != "" {
				want = append(want, Address{Name: n, Addr: "a@example.jp"}, Address{Name: Clean(s + s)})
			} else {
				want = append(want, Address{Addr: "a@example.jp"})
			}
			if s == "" {
				want = append(want, Address{Name: "x"})
			} else if a, ok := checkAddr(s); ok {
				want = append(want, Address{Name: "x", Addr: a})
			}
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("%d: address round trip of %q (cs %d)\n got %q\nwant %q\nvia %q", i, s, cs, back, want, f)
			}
		}
		p := FormatParam("filename", s)
		_, params := ParseMediaType("attachment;\r\n " + p)
		if params["filename"] != Clean(s) {
			t.Fatalf("%d: FormatParam round trip of %q\n got %q\nvia %q", i, s, params["filename"], p)
		}
	}
}

func TestEncodeAddressList(t *testing.T) {
	many := make([]Address, 50)
	for i := range many {
		many[i] = Address{Name: "山田 太郎", Addr: "taro@example.jp"}
	}
	for _, tc := range []struct {
		name  string
		addrs []Address
		cs    OutCharset
		want  string
	}{
		{"none", nil, UTF8, ""},
		{"bare", []Address{{"", "a@b"}}, UTF8, "To: a@b\r\n"},
		{"atoms", []Address{{"Taro Yamada", "a@b"}}, UTF8, "To: Taro Yamada <a@b>\r\n"},
		{"quoted", []Address{{"Yamada, Taro", "a@b"}}, UTF8, "To: \"Yamada, Taro\" <a@b>\r\n"},
		{"escaped", []Address{{`a "b" \c`, "a@b"}}, UTF8, "To: \"a \\\"b\\\" \\\\c\" <a@b>\r\n"},
		{"double space quoted", []Address{{"a  b", "a@b"}}, UTF8, "To: \"a  b\" <a@b>\r\n"},
		{"encoded", []Address{{"山田 太郎", "taro@example.jp"}}, UTF8, "To: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>\r\n"},
		{"encoded jis", []Address{{"山田 太郎", "taro@example.jp"}}, ISO2022JP, "To: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.jp>\r\n"},
		{"group", []Address{{"undisclosed-recipients", ""}}, UTF8, "To: undisclosed-recipients:;\r\n"},
		{"canonical local", []Address{{"", `"john"@x`}, {"", "a..b@x"}}, UTF8, "To: john@x, \"a..b\"@x\r\n"},
		{"invalid dropped", []Address{{"x", "a@b>, <evil@x"}, {"y", "a@b\r\nBcc: v@x"}, {"z", "no-at"}, {"", ""}, {"ok", "o@k"}}, UTF8, "To: ok <o@k>\r\n"},
		{"utf-8 address", []Address{{"", "やまだ@例え.jp"}}, UTF8, "To: やまだ@例え.jp\r\n"},
		{"ipv6 literal", []Address{{"", "a@[IPv6:2001:db8::1]"}}, UTF8, "To: a@[IPv6:2001:db8::1]\r\n"},
		{"route and comments rejected", []Address{{"", "@r:a@b"}, {"", "a(x)@b"}, {"", "a@b c"}, {"", "a b@c"}}, UTF8, ""},
		{"many", many, UTF8, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EncodeAddressList("To", tc.addrs, tc.cs)
			if tc.want != "" && got != tc.want || tc.want == "" && tc.name != "many" && got != "" {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if got == "" {
				return
			}
			checkField(t, got, 78)
			back := DecodeAddressList(value(got))
			var want []Address
			for _, a := range tc.addrs {
				if a.Addr != "" {
					c, ok := checkAddr(a.Addr)
					if !ok {
						continue
					}
					a.Addr = c
				}
				if a.Name == "" && a.Addr == "" {
					continue
				}
				want = append(want, a)
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("round trip\n got %q\nwant %q", back, want)
			}
		})
	}
}

func TestFieldName(t *testing.T) {
	if got := EncodeText("Sub ject:\r\n", "x", UTF8); got != "Subject: x\r\n" {
		t.Errorf("got %q", got)
	}
	if got := EncodeText("\r\n", "x", UTF8); got != "X-Invalid-Name: x\r\n" {
		t.Errorf("got %q", got)
	}
}
