package text

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func fuzzSeeds(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("hello\r\nworld\n"))
	f.Add([]byte(jaSentence))
	f.Add(sjis(f, jaSpecial+"\r\n"+kanaOnly))
	f.Add([]byte{0xFB, 0xFC, 0xF0, 0x40, 0x80, 0xA0})
	f.Add(eucjp(f, jaSentence))
	f.Add([]byte{0x8F, 0xB0, 0xA1, 0x8E, 0xB1})
	f.Add(jis(f, jaSentence))
	f.Add([]byte("\x1b$B-!\x1b(I1\x0e2\x0f\x1b$(D0!\x1b&@\x1b(J~"))
	f.Add(utf16le(f, jaSentence, true))
	f.Add(utf16be(f, "ab😀", false))
	f.Add([]byte("\uFEFF\x01\u202Eabc\r\rdef\u0085"))
	f.Add([]byte("caf\xe9 \x80\x81"))
}

// FuzzDetectCharset: detection never panics, and decoding any bytes in any
// charset gives valid UTF-8, the same whether read whole or a byte at a
// time, with U+FFFD only for what was counted invalid (legacy charsets).
func FuzzDetectCharset(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = DetectCharset(b)
		_ = DetectWithLabel(b, "iso-2022-jp")
		_ = DetectWithLabel(b, "shift_jis")
		for cs := UTF8; cs <= Windows1252; cs++ {
			d := NewDecoder(bytes.NewReader(b), cs)
			out, err := io.ReadAll(d)
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(out) {
				t.Fatalf("%v: output not valid UTF-8: %q", cs, out)
			}
			if cs >= ShiftJIS {
				if n := int64(strings.Count(string(out), "\uFFFD")); n != d.Invalid() {
					t.Fatalf("%v: %d U+FFFD for %d invalid", cs, n, d.Invalid())
				}
			}
			d2 := NewDecoder(iotest.OneByteReader(bytes.NewReader(b)), cs)
			out2, _ := io.ReadAll(d2)
			if !bytes.Equal(out, out2) || d.Invalid() != d2.Invalid() {
				t.Fatalf("%v: chunking changes the output: %q vs %q", cs, out, out2)
			}
		}
	})
}

// FuzzText: the sanitizer's output is valid UTF-8, sanitizes to itself with
// no finding, and equals the input when there was no finding.
func FuzzText(f *testing.F) {
	fuzzSeeds(f)
	s := New(Options{})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, fs := run(t, s, b, "f.txt", "")
		if !utf8.Valid(out) {
			t.Fatalf("output not valid UTF-8: %q", out)
		}
		if len(fs) == 0 && !bytes.Equal(out, b) {
			t.Fatalf("no finding but output differs: %q → %q", b, out)
		}
		again, fs2 := run(t, s, out, "f.txt", "")
		if !bytes.Equal(again, out) || len(fs2) != 0 {
			t.Fatalf("not idempotent: %q → %q → %q, %+v", b, out, again, fs2)
		}
	})
}
