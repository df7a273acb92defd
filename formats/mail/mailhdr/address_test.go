package mailhdr

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeAddressList(t *testing.T) {
	type A = Address
	tests := []struct {
		name, raw string
		want      []A
	}{
		{"quoted japanese", `"山田 太郎" <taro@example.jp>`, []A{{"山田 太郎", "taro@example.jp"}}},
		{"encoded word name", bword("ISO-2022-JP", jis(t, "山田太郎")) + " <a@b>", []A{{"山田太郎", "a@b"}}},
		{"encoded words split", bword("ISO-2022-JP", jis(t, "山田")) + " " + bword("ISO-2022-JP", jis(t, "太郎")) + " <a@b.jp>", []A{{"山田太郎", "a@b.jp"}}},
		{"encoded word in quotes", `"` + bword("ISO-2022-JP", jis(t, "山田太郎")) + `" <a@b>`, []A{{"山田太郎", "a@b"}}},
		{"encoded word with specials in Q", `=?UTF-8?Q?Yamada,_Taro_<x>?= <t@example.jp>`, []A{{"Yamada, Taro <x>", "t@example.jp"}}},
		{"raw cp932 name", string(sjis(t, `"表示 ソフト" <a@b>`)), []A{{"表示 ソフト", "a@b"}}},
		{"raw iso-2022-jp name", string(jis(t, "山田太郎")) + " <a@b>", []A{{"山田太郎", "a@b"}}},
		{"comment as name", "a@b (Taro Yamada)", []A{{"Taro Yamada", "a@b"}}},
		{"encoded comment", "a@b (" + bword("UTF-8", []byte("山田")) + ")", []A{{"山田", "a@b"}}},
		{"name beats comment", "Taro <a@b> (comment)", []A{{"Taro", "a@b"}}},
		{"bare", "a@b", []A{{"", "a@b"}}},
		{"list", "a@b, Taro <c@d>,e@f", []A{{"", "a@b"}, {"Taro", "c@d"}, {"", "e@f"}}},
		{"comma in quotes", `"Yamada, Taro" <t@x.jp>, b@c`, []A{{"Yamada, Taro", "t@x.jp"}, {"", "b@c"}}},
		{"escaped quote", `"a \"b\" c" <t@x>`, []A{{`a "b" c`, "t@x"}}},
		{"empty group", "undisclosed-recipients:;", []A{{"undisclosed-recipients", ""}}},
		{"empty group no semicolon", "undisclosed-recipients:", []A{{"undisclosed-recipients", ""}}},
		{"group", "team: a@b, Taro <c@d>; e@f", []A{{"", "a@b"}, {"Taro", "c@d"}, {"", "e@f"}}},
		{"japanese group", bword("UTF-8", []byte("宛先未指定")) + ":;", []A{{"宛先未指定", ""}}},
		{"missing angle brackets", "Taro Yamada taro@example.jp", []A{{"Taro Yamada", "taro@example.jp"}}},
		{"missing closing angle", "Taro <taro@example.jp", []A{{"Taro", "taro@example.jp"}}},
		{"trailing garbage after angle", "Taro <t@x.jp> garbage here", []A{{"Taro", "t@x.jp"}}},
		{"trailing garbage after bare", "t@x.jp garbage", []A{{"", "t@x.jp"}}},
		{"second angle", "Taro <nothing> <t@x.jp>", []A{{"Taro", "t@x.jp"}}},
		{"route", "<@relay.example:t@x.jp>", []A{{"", "t@x.jp"}}},
		{"spaces around at", "Taro <t @ x.jp>", []A{{"Taro", "t@x.jp"}}},
		{"obsolete dots", "<a . b @ x . jp>", []A{{"", "a.b@x.jp"}}},
		{"space inside domain", "<a@b c>", nil},
		{"docomo", "taro..yamada.@docomo.ne.jp", []A{{"", `"taro..yamada."@docomo.ne.jp`}}},
		{"quoted local", `"john doe"@example.com`, []A{{"", `"john doe"@example.com`}}},
		{"quoted simple local", `"john"@example.com`, []A{{"", `john@example.com`}}},
		{"utf-8 address", "山田 <やまだ@例え.jp>", []A{{"山田", "やまだ@例え.jp"}}},
		{"domain literal", "a@[192.0.2.1]", []A{{"", "a@[192.0.2.1]"}}},
		{"ipv6 literal", "x <a@[IPv6:2001:db8::1]>", []A{{"x", "a@[IPv6:2001:db8::1]"}}},
		{"no address", "Taro Yamada", []A{{"Taro Yamada", ""}}},
		{"null", "<>", nil},
		{"name with null addr", "Mailer <>", []A{{"Mailer", ""}}},
		{"empty", "", nil},
		{"commas only", " , ,, ", nil},
		{"unterminated quote", `"Taro <t@x.jp>, b@c`, []A{{"Taro", "t@x.jp"}, {"", "b@c"}}},
		{"unterminated comment", `t@x.jp (Taro, b@c`, []A{{"", "t@x.jp"}, {"", "b@c"}}},
		{"too long", strings.Repeat("a", 400) + "@b", []A{{strings.Repeat("a", 400) + "@b", ""}}},
		{"injection in name", bword("UTF-8", []byte("x\r\nBcc: v@x")) + " <a@b>", []A{{"x  Bcc: v@x", "a@b"}}},
		{"bidi in name", bword("UTF-8", []byte("pay\u202Egpj.exe")) + " <a@b>", []A{{"paygpj.exe", "a@b"}}},
		{"folded", "Taro\r\n <t@x.jp>,\r\n\tb@c", []A{{"Taro", "t@x.jp"}, {"", "b@c"}}},
		{"name is an address", "t@x.jp <t@x.jp>", []A{{"t@x.jp", "t@x.jp"}}},
		{"dotted name", "John Q. Public <jqp@x>", []A{{"John Q. Public", "jqp@x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DecodeAddressList(tc.raw)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DecodeAddressList(%q)\n got %q\nwant %q", tc.raw, got, tc.want)
			}
			for _, a := range got {
				checkClean(t, "Name", a.Name)
				checkClean(t, "Addr", a.Addr)
				if strings.ContainsAny(a.Addr, " <>,;") && !strings.HasPrefix(a.Addr, `"`) {
					t.Errorf("Addr %q is not an addr-spec", a.Addr)
				}
			}
		})
	}
}

func TestDecodeAddressListMany(t *testing.T) {
	for _, n := range []int{1000, 10000} {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(",\r\n ")
			}
			if i%2 == 0 {
				fmt.Fprintf(&b, "user%d@example.jp", i)
			} else {
				fmt.Fprintf(&b, "%s <u%d@x.jp>", bword("UTF-8", []byte("山田")), i)
			}
		}
		raw := b.String()
		start := time.Now()
		got := DecodeAddressList(raw)
		d := time.Since(start)
		// 10000 addresses do not fit in MaxInput: the list is cut.
		if len(raw) <= MaxInput && len(got) != n {
			t.Fatalf("%d: got %d addresses", n, len(got))
		}
		if len(got) == 0 || got[0].Addr != "user0@example.jp" {
			t.Fatalf("%d: first %v", n, got[:min(1, len(got))])
		}
		if d > time.Second {
			t.Fatalf("%d addresses took %v", n, d)
		}
		t.Logf("%d addresses (%d bytes, %d kept) in %v", n, len(raw), len(got), d)
	}
	raw := strings.Repeat("a@b.jp,", 9000)
	start := time.Now()
	if got := DecodeAddressList(raw); len(got) != 9000 {
		t.Fatalf("got %d addresses", len(got))
	}
	t.Logf("9000 bare addresses in %v", time.Since(start))
}
