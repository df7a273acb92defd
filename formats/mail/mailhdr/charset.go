package mailhdr

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"

	"github.com/mugai-project/mugai/formats/text"
)

// normLabel returns a charset label as written in an encoded-word or an
// RFC 2231 value, lowercased, without quotes, surrounding space or an
// RFC 2231 language suffix ("UTF-8*ja" → "utf-8").
func normLabel(label string) string {
	if i := strings.IndexByte(label, '*'); i >= 0 {
		label = label[:i]
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
}

// decodeLabelled decodes b, which came labelled with charset label, into
// UTF-8 (not cleaned). The label is trusted only as far as the bytes agree:
//
//   - labels formats/text knows (UTF-8, the Japanese charsets, ISO-8859-1,
//     US-ASCII, UTF-16 …) go through text.DetectWithLabel, so ISO-2022-JP
//     that is really Shift_JIS or UTF-8 is read as what it is;
//   - UTF-7 is decoded here (RFC 2152);
//   - other labels golang.org/x/text knows (GB2312, GBK, GB18030, Big5,
//     EUC-KR, ks_c_5601-1987, ISO-8859-x, KOI8-R, windows-125x …) are
//     decoded with it, unless the bytes are valid UTF-8 with non-ASCII
//     characters (then they are UTF-8), or the guess below finds fewer
//     invalid sequences;
//   - an unknown or empty label, and a failed UTF-7, is guessed with
//     text.DetectCharset.
//
// Every path yields something: bytes invalid in the charset chosen become
// U+FFFD.
func decodeLabelled(b []byte, label string) string {
	l := normLabel(label)
	if isUTF7(l) {
		if s, bad := decodeUTF7(b); bad == 0 {
			return s
		}
		s, _ := decodeGuess(b)
		return s
	}
	if _, ok := text.LookupLabel(l); ok {
		return decodeAs(b, text.DetectWithLabel(b, l))
	}
	if enc := foreignEncoding(l); enc != nil {
		if asciiNoNUL(b) {
			return string(b)
		}
		if utf8.Valid(b) {
			return string(b)
		}
		s, err := enc.NewDecoder().Bytes(b)
		if err == nil && utf8.Valid(s) {
			bad := int64(strings.Count(string(s), "\uFFFD"))
			if bad == 0 {
				return string(s)
			}
			if g, gbad := decodeGuess(b); gbad < bad {
				return g
			}
			return string(s)
		}
	}
	s, _ := decodeGuess(b)
	return s
}

// decodeGuess decodes b in the charset text.DetectCharset guesses and
// reports the invalid sequences. When that reading has invalid sequences
// too, UTF-8 is preferred if it has no more of them and holds multi-byte
// characters: a UTF-8 header with one stray byte ("Юникод\xf1") is UTF-8
// with one U+FFFD, not a run of half-width katakana.
func decodeGuess(b []byte) (string, int64) {
	cs := text.DetectCharset(b)
	s, bad := decodeCount(b, cs)
	if cs == text.UTF8 || bad == 0 {
		return s, bad
	}
	if u, ubad := decodeCount(b, text.UTF8); ubad <= bad && hasMultibyte(u) {
		return u, ubad
	}
	return s, bad
}

// hasMultibyte reports whether s holds a character other than ASCII and
// U+FFFD.
func hasMultibyte(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && r != utf8.RuneError {
			return true
		}
	}
	return false
}

// foreignEncoding returns the golang.org/x/text encoding for a label that
// formats/text does not decode, or nil. The WHATWG "replacement" encoding
// (what htmlindex gives for ISO-2022-KR, HZ and the like) counts as none:
// it would turn the whole value into one U+FFFD.
func foreignEncoding(l string) encoding.Encoding {
	if l == "" {
		return nil
	}
	if enc, err := ianaindex.MIME.Encoding(l); err == nil && enc != nil {
		return enc
	}
	if enc, err := htmlindex.Get(l); err == nil && enc != nil && enc != encoding.Replacement {
		return enc
	}
	return nil
}

func asciiNoNUL(b []byte) bool {
	for _, c := range b {
		if c == 0 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isUTF7(l string) bool {
	return l == "utf-7" || l == "unicode-1-1-utf-7" || l == "csunicode11utf7" || l == "x-utf-7"
}

// decodeUTF7 decodes UTF-7 (RFC 2152): ASCII stands for itself, and '+'
// starts a run of modified base64 (no padding) of UTF-16BE code units that
// ends at the first character outside the base64 alphabet, a '-' there being
// absorbed; "+-" is '+'. It returns the text and how many invalid sequences
// became U+FFFD: bytes above 0x7F, unpaired surrogates, and runs whose
// leftover bits are six or more or not zero.
func decodeUTF7(b []byte) (string, int) {
	var out strings.Builder
	out.Grow(len(b))
	bad := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c >= utf8.RuneSelf {
			out.WriteString("\uFFFD")
			bad++
			i++
			continue
		}
		if c != '+' {
			out.WriteByte(c)
			i++
			continue
		}
		i++
		if i < len(b) && b[i] == '-' {
			out.WriteByte('+')
			i++
			continue
		}
		var acc uint32
		nbits := 0
		var high rune // pending high surrogate
		n := 0        // base64 characters in the run
		for ; i < len(b); i++ {
			v := b64value(b[i])
			if v < 0 || b[i] == '-' || b[i] == '_' {
				break
			}
			n++
			acc = acc<<6 | uint32(v)
			nbits += 6
			if nbits < 16 {
				continue
			}
			nbits -= 16
			u := rune(acc>>nbits) & 0xFFFF
			acc &= 1<<nbits - 1
			switch {
			case 0xD800 <= u && u < 0xDC00:
				if high != 0 {
					out.WriteString("\uFFFD")
					bad++
				}
				high = u
			case 0xDC00 <= u && u < 0xE000:
				if high == 0 {
					out.WriteString("\uFFFD")
					bad++
					continue
				}
				out.WriteRune(0x10000 + (high-0xD800)<<10 + (u - 0xDC00))
				high = 0
			default:
				if high != 0 {
					out.WriteString("\uFFFD")
					bad++
					high = 0
				}
				out.WriteRune(u)
			}
		}
		if high != 0 || nbits >= 6 || acc != 0 || n == 0 {
			out.WriteString("\uFFFD")
			bad++
		}
		if i < len(b) && b[i] == '-' {
			i++
		}
	}
	return out.String(), bad
}

// b64value returns the value of a base64 digit, accepting both the standard
// and the URL-safe alphabet, or -1.
func b64value(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	}
	return -1
}
