package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

const (
	jaSentence = "本日は晴天なり。市役所の窓口は午前八時半から開いています。お問い合わせは総務課まで、よろしくお願いいたします。"
	jaSpecial  = "①㈱Ⅲ髙 株式会社テスト"
	kanaOnly   = "ﾔﾏﾀﾞ ﾀﾛｳ,ｶﾌﾞｼｷｶﾞｲｼｬ ﾃｽﾄ,ﾄｳｷﾖｳﾄ ﾁﾖﾀﾞｸ\r\n"
)

func TestDetectCharset(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Charset
	}{
		{"empty", nil, UTF8},
		{"ascii", []byte("hello, world\n"), UTF8},
		{"utf8 japanese", []byte(jaSentence), UTF8},
		{"utf8 bom", cat(bomUTF8, []byte("abc")), UTF8},
		{"utf16le bom", utf16le(t, jaSentence, true), UTF16LE},
		{"utf16be bom", utf16be(t, jaSentence, true), UTF16BE},
		{"utf16le no bom ascii", utf16le(t, "Hello, this is UTF-16 text.\r\n", false), UTF16LE},
		{"utf16be no bom mixed", utf16be(t, "Report 2024: 市役所 notes\n", false), UTF16BE},
		{"sjis sentence", sjis(t, jaSentence), ShiftJIS},
		{"sjis specials", sjis(t, jaSpecial), ShiftJIS},
		{"sjis nec specials only", sjis(t, "①㈱Ⅲ髙\r\n"), ShiftJIS},
		// Known ambiguity, not tested: a few kanji alone in EUC-JP (山田太郎,
		// eight bytes A1–DF) are also valid half-width katakana in
		// Shift_JIS, and Shift_JIS wins unless the kanji are common ones.
		{"eucjp address", eucjp(t, "東京都千代田区"), EUCJP},
		{"sjis name", sjis(t, "山田太郎"), ShiftJIS},
		{"sjis ibm 髙", []byte{0xFB, 0xFC, 0x8E, 0x71}, ShiftJIS}, // 髙田 with the IBM code
		{"sjis half-width kana", sjis(t, kanaOnly), ShiftJIS},
		{"sjis short kana", sjis(t, "ﾃｽﾄ"), ShiftJIS},
		{"sjis short word", sjis(t, "テスト"), ShiftJIS},
		{"eucjp sentence", eucjp(t, jaSentence), EUCJP},
		{"eucjp specials", eucjp(t, jaSpecial+"の件"), EUCJP},
		{"eucjp some kana", eucjp(t, "お知らせ：ｱｲｳｴｵ ﾃｽﾄです。本日は晴天なり。"), EUCJP},
		{"iso2022jp", jis(t, jaSentence), ISO2022JP},
		{"iso2022jp kana", []byte("\x1b(I123\x1b(B"), ISO2022JP},
		{"ansi escapes are not iso2022jp", []byte("\x1b[31mred\x1b[0m"), UTF8},
		{"latin1", []byte("Gr\xf6\xdfe, M\xfcller, caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve\n"), Windows1252},
		{"latin1 word", []byte("caf\xe9"), Windows1252},
		{"cp1252 quotes", []byte("\x93quoted\x94 \x96 dash \x80 100\n"), Windows1252},
		{"utf8 with a stray byte", cat([]byte(jaSentence), []byte{0xFF}, []byte(jaSentence)), UTF8},
		{"mixed sjis and ascii csv", sjis(t, "id,氏名,住所\r\n1,山田 太郎,東京都千代田区\r\n"), ShiftJIS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectCharset(tc.in); got != tc.want {
				t.Errorf("DetectCharset(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// A prefix of SniffLen bytes or more may end in the middle of a character; a
// shorter one is the whole content, where a cut sequence is invalid.
func TestDetectCharsetPrefixCut(t *testing.T) {
	long := []byte(strings.Repeat("あ", SniffLen/3+1))
	cut := long[:SniffLen] // SniffLen is not a multiple of 3: ends mid-character
	if got := DetectCharset(cut); got != UTF8 {
		t.Errorf("cut prefix: got %v, want UTF-8", got)
	}
	short := []byte("ab\xe3\x81") // whole content, truncated
	if got := DetectCharset(short); got == UTF8 {
		t.Errorf("whole content with a cut sequence detected as UTF-8")
	}
}

func TestDetectWithLabel(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		label string
		want  Charset
	}{
		{"iso-2022-jp label on utf-8", []byte(jaSentence), "ISO-2022-JP", UTF8},
		{"iso-2022-jp label on jis", jis(t, jaSentence), "iso-2022-jp", ISO2022JP},
		{"iso-2022-jp label on ascii", []byte("plain"), "iso-2022-jp", UTF8},
		{"shift_jis label", sjis(t, jaSentence), "Shift_JIS", ShiftJIS},
		{"cp932 label", sjis(t, jaSpecial), "cp932", ShiftJIS},
		{"shift_jis label on utf-8", []byte(jaSentence), "shift_jis", UTF8},
		{"shift_jis label on short kana", sjis(t, "ﾃｽﾄ"), "shift_jis", ShiftJIS},
		{"euc-jp label on sjis", sjis(t, jaSentence), "euc-jp", ShiftJIS},
		{"euc-jp label", eucjp(t, jaSentence), "EUC-JP", EUCJP},
		{"utf-8 label on sjis", sjis(t, jaSentence), "utf-8", ShiftJIS},
		{"latin-1 label on utf-8", []byte("café"), "iso-8859-1", UTF8},
		{"latin-1 label on latin-1", []byte("caf\xe9 cr\xe8me"), "ISO-8859-1", Windows1252},
		{"latin-1 label on sjis", sjis(t, jaSentence), "iso-8859-1", ShiftJIS},
		{"us-ascii label on ascii", []byte("abc"), "us-ascii", UTF8},
		{"us-ascii label on short sjis", sjis(t, "テスト"), "us-ascii", ShiftJIS},
		{"unknown label", sjis(t, jaSentence), "x-unknown", ShiftJIS},
		{"bom beats label", cat(bomUTF8, []byte(jaSentence)), "shift_jis", UTF8},
		{"utf-16 label on ascii", []byte("abc def"), "utf-16", UTF8},
		{"utf-16 label on utf-16", utf16le(t, jaSentence, false), "utf-16le", UTF16LE},
		{"quoted label", sjis(t, jaSentence), `"SHIFT_JIS"`, ShiftJIS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectWithLabel(tc.in, tc.label); got != tc.want {
				t.Errorf("DetectWithLabel(%q, %q) = %v, want %v", tc.in, tc.label, got, tc.want)
			}
		})
	}
}

func TestLookupLabel(t *testing.T) {
	tests := []struct {
		label string
		want  Charset
		ok    bool
	}{
		{"shift_jis", ShiftJIS, true},
		{"Shift_JIS", ShiftJIS, true},
		{"x-sjis", ShiftJIS, true},
		{"cp932", ShiftJIS, true},
		{"windows-31j", ShiftJIS, true},
		{"ms_kanji", ShiftJIS, true},
		{"euc-jp", EUCJP, true},
		{"x-euc-jp", EUCJP, true},
		{"cp51932", EUCJP, true},
		{"iso-2022-jp", ISO2022JP, true},
		{"csISO2022JP", ISO2022JP, true},
		{"cp50221", ISO2022JP, true},
		{"utf-8", UTF8, true},
		{"UTF8", UTF8, true},
		{"utf-16", UTF16LE, true},
		{"utf-16be", UTF16BE, true},
		{"iso-8859-1", Windows1252, true},
		{"latin1", Windows1252, true},
		{"us-ascii", Windows1252, true},
		{" 'windows-1252' ", Windows1252, true},
		{"", UTF8, false},
		{"gb18030", UTF8, false},
		{"nonsense", UTF8, false},
	}
	for _, tc := range tests {
		got, ok := LookupLabel(tc.label)
		if got != tc.want || ok != tc.ok {
			t.Errorf("LookupLabel(%q) = %v, %v; want %v, %v", tc.label, got, ok, tc.want, tc.ok)
		}
	}
}

func TestLabelFromMIME(t *testing.T) {
	for in, want := range map[string]string{
		"text/plain; charset=ISO-2022-JP":  "ISO-2022-JP",
		`text/csv; charset="Shift_JIS"`:    "Shift_JIS",
		"text/plain":                       "",
		"":                                 "",
		"text/plain; charset=utf-8; x=\"y": "",
	} {
		if got := LabelFromMIME(in); got != want {
			t.Errorf("LabelFromMIME(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	b := sjis(t, strings.Repeat(jaSentence, 10))
	for _, n := range []int{0, 16, 1 << 20} {
		cs, err := Sniff(bytes.NewReader(b), int64(len(b)), n, "")
		if err != nil || cs != ShiftJIS {
			t.Errorf("Sniff(n=%d) = %v, %v; want Shift_JIS", n, cs, err)
		}
	}
}

func TestCharsetString(t *testing.T) {
	for cs, want := range map[Charset]string{UTF8: "UTF-8", ShiftJIS: "Shift_JIS", ISO2022JP: "ISO-2022-JP", Charset(99): "charset(99)"} {
		if got := cs.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", cs, got, want)
		}
	}
}

// Every rule this package emits is explained in the rule table.
func TestRulesListed(t *testing.T) {
	for _, r := range []string{RuleCharset, RuleInvalid, RuleControl, RuleBidi} {
		if sanitize.DescribeRule(r, "en") == r {
			t.Errorf("rule %s is not in sanitize.RuleTable", r)
		}
	}
}
