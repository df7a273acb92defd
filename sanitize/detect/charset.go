package detect

import (
	"bytes"
	"unicode/utf8"
)

// guessCharset names the charset text b is most likely in: "us-ascii",
// "iso-2022-jp" (7-bit with JIS escape sequences, RFC 1468), "utf-8",
// "euc-jp", "shift_jis" (CP932 lead and trail byte ranges), or "8bit" for
// another single-byte charset (ISO-8859-x, windows-125x). It returns "" when
// b is none of these: high bytes that are not valid UTF-8, EUC-JP or CP932
// and are mostly C1 codes (0x80-0x9F), which no single-byte text charset
// uses that densely. truncated reports that b is a prefix, so that a
// multi-byte sequence cut at the end is not an error.
//
// The guess decides "text or binary" only; the text sanitizer decodes.
func guessCharset(b []byte, truncated bool) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		for _, esc := range [][]byte{[]byte("\x1b$B"), []byte("\x1b$@"), []byte("\x1b(J"), []byte("\x1b$(D"), []byte("\x1b(I")} {
			if bytes.Contains(b, esc) {
				return "iso-2022-jp"
			}
		}
		return "us-ascii"
	}
	if validUTF8(b, truncated) {
		return "utf-8"
	}
	if validEUCJP(b, truncated) {
		return "euc-jp"
	}
	if validSJIS(b, truncated) {
		return "shift_jis"
	}
	var high, c1 int
	for _, c := range b {
		if c >= 0x80 {
			high++
			if c <= 0x9F {
				c1++
			}
		}
	}
	if c1*2 > high {
		return ""
	}
	return "8bit"
}

// validUTF8 is utf8.Valid, tolerating one incomplete sequence at the end of
// a truncated prefix.
func validUTF8(b []byte, truncated bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if !truncated {
		return false
	}
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			return utf8.Valid(b[:len(b)-i]) && !utf8.FullRune(b[len(b)-i:])
		}
	}
	return false
}

// validEUCJP checks EUC-JP byte structure: ASCII, two-byte JIS X 0208
// (A1-FE A1-FE), half-width katakana (8E A1-DF) and three-byte JIS X 0212
// (8F A1-FE A1-FE).
func validEUCJP(b []byte, truncated bool) bool {
	in := func(c, lo, hi byte) bool { return c >= lo && c <= hi }
	for i := 0; i < len(b); {
		c := b[i]
		need := 1
		switch {
		case c < 0x80:
		case in(c, 0xA1, 0xFE):
			need = 2
		case c == 0x8E:
			need = 2
		case c == 0x8F:
			need = 3
		default:
			return false
		}
		if i+need > len(b) {
			return truncated
		}
		switch {
		case c == 0x8E && !in(b[i+1], 0xA1, 0xDF):
			return false
		case need == 2 && c != 0x8E && !in(b[i+1], 0xA1, 0xFE):
			return false
		case need == 3 && (!in(b[i+1], 0xA1, 0xFE) || !in(b[i+2], 0xA1, 0xFE)):
			return false
		}
		i += need
	}
	return true
}

// validSJIS checks Shift_JIS / CP932 byte structure: ASCII, half-width
// katakana (A1-DF), and lead bytes 81-9F or E0-FC followed by a trail byte
// 40-7E or 80-FC.
func validSJIS(b []byte, truncated bool) bool {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80, c >= 0xA1 && c <= 0xDF:
			i++
			continue
		case c >= 0x81 && c <= 0x9F, c >= 0xE0 && c <= 0xFC:
		default:
			return false
		}
		if i+1 >= len(b) {
			return truncated
		}
		t := b[i+1]
		if t < 0x40 || t == 0x7F || t > 0xFC {
			return false
		}
		i += 2
	}
	return true
}
