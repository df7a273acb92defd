package mailhdr

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// seeds are header values of every kind the decoders meet.
func seeds(t testing.TB) []string {
	u := []byte("日本語テスト")
	j := jis(t, "会議①㈱Ⅲﾃｽﾄ")
	sj := sjis(t, "表示ソフト")
	return []string{
		"",
		"Hello world",
		bword("ISO-2022-JP", j),
		bword("UTF-8", u[:4]) + " " + bword("UTF-8", u[4:]),
		qword("UTF-8", u[:5]) + "\r\n " + qword("utf-8", u[5:]),
		bword("Shift_JIS", sj[:3]) + " " + bword("Shift_JIS", sj[3:]),
		bword("ISO-2022-JP", j[:6]) + " " + bword("ISO-2022-JP", j[6:]),
		"=?utf-8?b?5pel5pys?=", "=?UTF-8*ja?B?5pel5pys?=", "=?UTF-8?B?5pel5p?=", "=?UTF-8?B?5pel 5pys?=",
		"件名=?UTF-8?B?5pel5pys?=", "=?x-unknown?B?" + "gYI=?=", "=?UTF-8?B?#!?=", "=?UTF-7?Q?+ZeVnLIqe-?=",
		"Re: " + string(sj), "Re: " + string(eucjp(t, "日本語")), "Re: " + string(j),
		bword("ISO-2022-JP", []byte("請求書")), bword("ISO-2022-JP", sj),
		`"山田 太郎" <taro@example.jp>`, bword("ISO-2022-JP", jis(t, "山田")) + " <a@b>", "a@b (comment)",
		"undisclosed-recipients:;", "team: a@b, c@d;", "Taro taro@example.jp garbage", "<@r:a@b>", `"a..b."@docomo.ne.jp`,
		`"unterminated <a@b>, (c`, "a@[1.2.3.4]", "<a@b> <c@d>",
		"text/plain; charset=ISO-2022-JP", "attachment; filename*=ISO-2022-JP''%1B%24B%40A%3Da%3Dq%1B%28B.pdf",
		"attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf",
		"attachment; filename*0*=UTF-8''%E8%AB; filename*1*=%8B.pdf", `attachment; filename*0="a"; filename*1="b"`,
		`attachment; filename*1="b"; filename="x"; filename="y"`, `attachment; filename="=?UTF-8?B?5pel5pys?="`,
		`attachment; filename="` + string(sj) + `"`, "attachment; filename=my file.pdf", `a; b=""=?x?b?YQ==?="`,
		"<a@b> <c@d>", "Mon, 2 Jan 2006 15:04:05 +0900 (JST)", "2 Jan 06 15:04 JST",
		"a\r\nBcc: x@y", "x\x00y\u202ez",
	}
}

func FuzzDecodeText(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := DecodeText(raw)
		checkClean(t, "DecodeText", out)
		for _, id := range MessageIDs(raw) {
			if len(id) > MaxMessageIDLen || !strings.HasPrefix(id, "<") || strings.ContainsAny(id, " \t\r\n\x00") || !utf8.ValidString(id) {
				t.Fatalf("bad id %q", id)
			}
		}
		Date(raw)
		// What we decode, we can write and read back (when the encoded
		// form fits in MaxInput).
		for _, cs := range []OutCharset{UTF8, ISO2022JP} {
			if len(out) > 16<<10 {
				break
			}
			f := EncodeText("Subject", out, cs)
			checkField(t, f, hardLine)
			if back := DecodeText(value(f)); back != out {
				t.Fatalf("round trip of %q\n got %q\nvia %q", out, back, f)
			}
		}
	})
}

func FuzzParseMediaType(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		mt, params := ParseMediaType(raw)
		if mt != strings.ToLower(mt) || strings.ContainsAny(mt, " \t\r\n;\"") || !utf8.ValidString(mt) {
			t.Fatalf("bad media type %q", mt)
		}
		if params == nil {
			t.Fatal("nil params")
		}
		for k, v := range params {
			if k == "" || k != strings.ToLower(k) || strings.ContainsAny(k, " \t\r\n;=\"*") {
				t.Fatalf("bad key %q", k)
			}
			checkClean(t, k, v)
			p := FormatParam(k, v)
			_, back := ParseMediaType("x;\r\n " + p)
			if back[k] != v {
				t.Fatalf("FormatParam(%q, %q) = %q parses as %q", k, v, p, back[k])
			}
		}
		checkClean(t, "FileName", FileName(raw, raw))
	})
}

func FuzzAddressList(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		list := DecodeAddressList(raw)
		for _, a := range list {
			checkClean(t, "Name", a.Name)
			checkClean(t, "Addr", a.Addr)
			if a.Addr == "" && a.Name == "" {
				t.Fatalf("empty entry from %q", raw)
			}
			if a.Addr != "" {
				if c, ok := checkAddr(a.Addr); !ok || c != a.Addr {
					t.Fatalf("Addr %q from %q does not check", a.Addr, raw)
				}
			}
		}
		for _, cs := range []OutCharset{UTF8, ISO2022JP} {
			if len(raw) > 8<<10 {
				break // the encoded list might not fit in MaxInput
			}
			f := EncodeAddressList("To", list, cs)
			if len(list) == 0 {
				if f != "" {
					t.Fatalf("no address gives %q", f)
				}
				continue
			}
			checkField(t, f, hardLine)
			if back := DecodeAddressList(value(f)); !reflect.DeepEqual(back, list) {
				t.Fatalf("round trip of %q\n got %q\nvia %q", list, back, f)
			}
		}
	})
}

func FuzzEncodeRoundTrip(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, false)
		f.Add(DecodeText(s), true)
	}
	f.Fuzz(func(t *testing.T, s string, jis bool) {
		if len(s) > 16<<10 {
			s = s[:16<<10]
		}
		cs := UTF8
		if jis {
			cs = ISO2022JP
		}
		want := Clean(s)
		field := EncodeText("Subject", s, cs)
		checkField(t, field, hardLine)
		if got := DecodeText(value(field)); got != want {
			t.Fatalf("EncodeText round trip of %q\n got %q\nwant %q\nvia %q", s, got, want, field)
		}
		p := FormatParam("filename", s)
		checkField(t, "Content-Disposition: attachment;\r\n "+p+"\r\n", hardLine)
		if _, params := ParseMediaType("attachment;\r\n " + p); params["filename"] != want {
			t.Fatalf("FormatParam round trip of %q\n got %q\nvia %q", s, params["filename"], p)
		}
		p = FormatParamWords("name", s, cs)
		checkField(t, "Content-Type: x/y;\r\n "+p+"\r\n", hardLine)
		if _, params := ParseMediaType("x/y;\r\n " + p); params["name"] != want {
			t.Fatalf("FormatParamWords round trip of %q\n got %q\nvia %q", s, params["name"], p)
		}
		field = EncodeAddressList("From", []Address{{Name: s, Addr: "a@example.jp"}}, cs)
		checkField(t, field, hardLine)
		back := DecodeAddressList(value(field))
		if len(back) != 1 || back[0].Name != want || back[0].Addr != "a@example.jp" {
			t.Fatalf("EncodeAddressList round trip of %q\n got %q\nvia %q", s, back, field)
		}
	})
}
