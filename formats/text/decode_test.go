package text

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

func decodeAll(t testing.TB, b []byte, cs Charset) (string, *Decoder) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(b), cs)
	out, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return string(out), d
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		cs      Charset
		in      []byte
		want    string
		invalid int64
	}{
		// CP932.
		{"sjis nec and ibm", ShiftJIS, sjis(t, jaSpecial), jaSpecial, 0},
		{"sjis ibm 髙 FBFC", ShiftJIS, []byte{0xFB, 0xFC}, "髙", 0},
		{"sjis nec-selected 髙", ShiftJIS, []byte{0xEE, 0xE0}, "髙", 0},
		{"sjis ibm ⅰ", ShiftJIS, []byte{0xFA, 0x40}, "ⅰ", 0},
		{"sjis ～ is fullwidth tilde", ShiftJIS, []byte{0x81, 0x60}, "～", 0},
		{"sjis user-defined first", ShiftJIS, []byte{0xF0, 0x40}, "\uE000", 0},
		{"sjis user-defined last", ShiftJIS, []byte{0xF9, 0xFC}, "\uE757", 0},
		{"sjis half-width", ShiftJIS, []byte{0xB1, 0xB2, 0xDE}, "ｱｲﾞ", 0},
		{"sjis backslash stays", ShiftJIS, []byte(`C:\dir~`), `C:\dir~`, 0},
		{"sjis 0x80", ShiftJIS, []byte{0x80}, "\u0080", 0},
		{"sjis bad trail ascii", ShiftJIS, []byte{0x82, 0x20, 'a'}, "\uFFFD a", 1},
		{"sjis bad trail high", ShiftJIS, []byte{0x82, 0xFD, 'a'}, "\uFFFDa", 1},
		{"sjis unmapped pair", ShiftJIS, []byte{0x85, 0x40}, "\uFFFD@", 1},
		{"sjis A0 FD FF", ShiftJIS, []byte{0xA0, 0xFD, 0xFF}, "\uFFFD\uFFFD\uFFFD", 3},
		{"sjis lead at eof", ShiftJIS, []byte{'a', 0x82}, "a\uFFFD", 1},
		// EUC-JP.
		{"euc sentence", EUCJP, eucjp(t, jaSentence), jaSentence, 0},
		{"euc specials", EUCJP, eucjp(t, jaSpecial), jaSpecial, 0},
		{"euc kana", EUCJP, []byte{0x8E, 0xB1, 0x8E, 0xDF}, "ｱﾟ", 0},
		{"euc jis x 0212", EUCJP, []byte{0x8F, 0xB0, 0xA1}, "丂", 0},
		{"euc bad ss2", EUCJP, []byte{0x8E, 0x41}, "\uFFFDA", 1},
		{"euc bad trail", EUCJP, []byte{0xB0, 0x41}, "\uFFFDA", 1},
		{"euc bad ss3", EUCJP, []byte{0x8F, 0xB0, 0x41}, "\uFFFDA", 1},
		{"euc truncated ss3", EUCJP, []byte{0x8F, 0xB0}, "\uFFFD", 1},
		{"euc c1 byte", EUCJP, []byte{0x85}, "\uFFFD", 1},
		// ISO-2022-JP and Microsoft's CP5022x.
		{"jis sentence", ISO2022JP, jis(t, jaSentence), jaSentence, 0},
		{"jis nec row 13", ISO2022JP, []byte("\x1b$B-!-j-7\x1b(B"), "①㈱Ⅲ", 0},
		{"jis ibm row 92 髙", ISO2022JP, []byte("\x1b$B|b\x1b(B"), "髙", 0},
		{"jis esc ( I kana", ISO2022JP, []byte("\x1b(I123^\x1b(B!"), "ｱｲｳﾞ!", 0},
		{"jis so si kana", ISO2022JP, []byte("a\x0e123\x0fb"), "aｱｲｳb", 0},
		{"jis so inside 0208", ISO2022JP, []byte("\x1b$B$\"\x0e1\x0f$\"\x1b(B"), "あｱあ", 0},
		{"jis esc $ @", ISO2022JP, []byte("\x1b$@$\"\x1b(J~\\"), "あ~\\", 0},
		{"jis x 0212", ISO2022JP, []byte("\x1b$(D0!\x1b(B"), "丂", 0},
		{"jis announcer ignored", ISO2022JP, []byte("\x1b&@\x1b$B$\"\x1b(B"), "あ", 0},
		{"jis newline resets", ISO2022JP, []byte("\x1b$B$\"\nab"), "あ\nab", 0},
		{"jis crlf in 0208 passes", ISO2022JP, []byte("\x1b$B$\"\r\n"), "あ\r\n", 0},
		{"jis unknown escape", ISO2022JP, []byte("\x1b$Aab"), "\uFFFD$Aab", 1},
		{"jis 8-bit", ISO2022JP, []byte("a\xb1b"), "a\uFFFDb", 1},
		{"jis odd byte in 0208", ISO2022JP, []byte("\x1b$B$"), "\uFFFD", 1},
		{"jis bad trail", ISO2022JP, []byte("\x1b$B$\x01"), "\uFFFD\x01", 1},
		{"jis kana out of range", ISO2022JP, []byte("\x1b(Ia`"), "\uFFFD\uFFFD", 2},
		{"jis esc at eof", ISO2022JP, []byte("a\x1b$"), "a\uFFFD$", 1},
		// UTF-16.
		{"utf16le bom", UTF16LE, utf16le(t, "aあ😀", true), "aあ😀", 0},
		{"utf16be bom", UTF16BE, utf16be(t, "aあ😀", true), "aあ😀", 0},
		{"utf16le no bom", UTF16LE, utf16le(t, "ab", false), "ab", 0},
		{"utf16le unpaired high", UTF16LE, []byte{0x3D, 0xD8, 'a', 0}, "\uFFFDa", 1},
		{"utf16le unpaired low", UTF16LE, []byte{0x00, 0xDC, 'a', 0}, "\uFFFDa", 1},
		{"utf16le high at eof", UTF16LE, []byte{'a', 0, 0x3D, 0xD8}, "a\uFFFD", 1},
		{"utf16le odd byte", UTF16LE, []byte{'a', 0, 'b'}, "a\uFFFD", 1},
		{"utf16le encoded fffd is not invalid", UTF16LE, []byte{0xFD, 0xFF}, "\uFFFD", 0},
		// UTF-8.
		{"utf8 passthrough", UTF8, []byte(jaSentence), jaSentence, 0},
		{"utf8 bom", UTF8, []byte("\uFEFFabc"), "abc", 0},
		{"utf8 second bom kept", UTF8, []byte("\uFEFF\uFEFFabc"), "\uFEFFabc", 0},
		{"utf8 bad", UTF8, []byte("a\xC3(b"), "a\uFFFD(b", 1},
		{"utf8 maximal subpart", UTF8, []byte("\xE3\x81A"), "\uFFFDA", 1},
		{"utf8 overlong", UTF8, []byte("\xC0\x80"), "\uFFFD\uFFFD", 2},
		{"utf8 surrogate", UTF8, []byte("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD", 3},
		{"utf8 truncated at eof", UTF8, []byte("a\xF0\x9F\x98"), "a\uFFFD", 1},
		{"utf8 encoded fffd is not invalid", UTF8, []byte("\uFFFD"), "\uFFFD", 0},
		// windows-1252.
		{"cp1252", Windows1252, []byte("caf\xe9 \x80 \x93x\x94"), "café € “x”", 0},
		{"cp1252 undefined", Windows1252, []byte{0x81, 0x8D, 0x8F, 0x90, 0x9D}, strings.Repeat("\uFFFD", 5), 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, d := decodeAll(t, tc.in, tc.cs)
			if got != tc.want {
				t.Errorf("decode(%q as %v) = %q, want %q", tc.in, tc.cs, got, tc.want)
			}
			if d.Invalid() != tc.invalid {
				t.Errorf("Invalid() = %d, want %d", d.Invalid(), tc.invalid)
			}
			// Reading a byte at a time must give the same result.
			d2 := NewDecoder(iotest.OneByteReader(bytes.NewReader(tc.in)), tc.cs)
			got2, err := io.ReadAll(d2)
			if err != nil || string(got2) != got || d2.Invalid() != d.Invalid() {
				t.Errorf("byte at a time: %q, %d invalid, %v; want %q, %d", got2, d2.Invalid(), err, got, d.Invalid())
			}
		})
	}
}

// The legacy decoders must agree with golang.org/x/text on everything
// x/text decodes (it is the source of the mapping data; we add framing and
// extensions).
func TestDecodeAgreesWithXText(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		cs  Charset
		dec func([]byte) ([]byte, error)
	}{
		{ShiftJIS, japanese.ShiftJIS.NewDecoder().Bytes},
		{EUCJP, japanese.EUCJP.NewDecoder().Bytes},
	} {
		for range 2000 {
			b := make([]byte, 2+r.IntN(6))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			want, err := tc.dec(b)
			if err != nil || bytes.ContainsRune(want, utf8.RuneError) {
				continue // x/text rejects part of it: our framing decides
			}
			got, d := decodeAll(t, b, tc.cs)
			if d.Invalid() == 0 && got != string(want) {
				t.Errorf("%v % x: got %q, x/text %q", tc.cs, b, got, want)
			}
		}
	}
	// Every character of JIS X 0208 via ISO-2022-JP.
	var in bytes.Buffer
	for c0 := byte(0x21); c0 <= 0x7E; c0++ {
		for c1 := byte(0x21); c1 <= 0x7E; c1++ {
			in.Write([]byte{esc, '$', 'B', c0, c1, esc, '(', 'B', '\n'})
		}
	}
	want, err := japanese.ISO2022JP.NewDecoder().Bytes(in.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := decodeAll(t, in.Bytes(), ISO2022JP)
	if got != string(want) {
		t.Errorf("ISO-2022-JP JIS X 0208 plane differs from x/text")
	}
}

// U+FFFD appears in the output exactly where the input was invalid.
func TestReplacementOnlyForInvalid(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, cs := range []Charset{ShiftJIS, EUCJP, ISO2022JP, Windows1252} {
		for range 500 {
			b := make([]byte, r.IntN(64))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			got, d := decodeAll(t, b, cs)
			if n := int64(strings.Count(got, "\uFFFD")); n != d.Invalid() {
				t.Fatalf("%v % x: %d U+FFFD, %d invalid", cs, b, n, d.Invalid())
			}
			if !utf8.ValidString(got) {
				t.Fatalf("%v % x: output not UTF-8", cs, b)
			}
		}
	}
}

func TestFirstInvalidLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int64
	}{
		{"\xff", 1},
		{"a\nb\n\xff", 3},
		{"a\r\nb\r\n\xff", 3},
		{"a\rb\r\xff", 3},
		{"ok", 0},
	} {
		_, d := decodeAll(t, []byte(tc.in), UTF8)
		if got := d.FirstInvalidLine(); got != tc.line {
			t.Errorf("%q: FirstInvalidLine = %d, want %d", tc.in, got, tc.line)
		}
		d2 := NewDecoder(iotest.OneByteReader(strings.NewReader(tc.in)), UTF8)
		_, _ = io.ReadAll(d2)
		if got := d2.FirstInvalidLine(); got != tc.line {
			t.Errorf("%q byte at a time: FirstInvalidLine = %d, want %d", tc.in, got, tc.line)
		}
	}
}

func TestLineBreaks(t *testing.T) {
	// Split "a\r\nb\rc\n" at every point: the total is always 3.
	s := []byte("a\r\nb\rc\n")
	for i := range s {
		n1, cr := lineBreaks(s[:i], false)
		n2, _ := lineBreaks(s[i:], cr)
		if n1+n2 != 3 {
			t.Errorf("split at %d: %d+%d breaks, want 3", i, n1, n2)
		}
	}
}
