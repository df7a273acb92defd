package html

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"

	"github.com/mugai-project/mugai/sanitize"
)

// GuessCharset (if not nil) names the charset of an HTML file that declares
// none: no byte order mark, no <meta charset> or <meta http-equiv
// Content-Type> in the first 8 KiB. It gets up to 64 KiB of the file and
// returns a WHATWG label such as "shift_jis", or "" to fall back on the
// built-in guess: ISO-2022-JP for 7-bit text with its escapes, UTF-8 when
// the prefix is valid UTF-8, otherwise whichever of Shift_JIS (CP932) and
// EUC-JP fits the bytes best.
//
// Set it once, before the first Sanitize; it must be safe for concurrent
// use. formats/text's detector is meant to be wired in here.
var GuessCharset func(prefix []byte) string

// Bytes looked at to determine the charset. The HTML standard's prescan
// reads 1024 bytes; pages with a long comment before <meta> are common, so
// we read more.
const (
	metaScan  = 8 << 10
	guessScan = 64 << 10
)

// charsetChoice is how the Sanitizer decodes one file.
type charsetChoice struct {
	enc  encoding.Encoding // nil: UTF-8, passed through
	name string            // canonical WHATWG name
	bom  int               // bytes of byte order mark to skip
	how  string            // "bom", "option", "meta", "guess", "default"
}

func lookupCharset(label string) (encoding.Encoding, string, error) {
	e, err := htmlindex.Get(label)
	if err != nil {
		return nil, "", fmt.Errorf("html: unknown charset %q: %w", label, sanitize.ErrUnsupported)
	}
	name, err := htmlindex.Name(e)
	if err != nil {
		return nil, "", fmt.Errorf("html: unknown charset %q: %w", label, sanitize.ErrUnsupported)
	}
	return e, name, nil
}

func utf8Choice(how string, bom int) charsetChoice {
	return charsetChoice{name: "utf-8", how: how, bom: bom}
}

// chooseCharset decides how to decode a file that starts with prefix.
func chooseCharset(prefix []byte, forced string) (charsetChoice, error) {
	switch {
	case bytes.HasPrefix(prefix, []byte{0xef, 0xbb, 0xbf}):
		return utf8Choice("bom", 3), nil
	case bytes.HasPrefix(prefix, []byte{0xfe, 0xff}):
		return charsetChoice{enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), name: "utf-16be", bom: 2, how: "bom"}, nil
	case bytes.HasPrefix(prefix, []byte{0xff, 0xfe}):
		return charsetChoice{enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), name: "utf-16le", bom: 2, how: "bom"}, nil
	}
	if forced != "" {
		e, name, err := lookupCharset(forced)
		if err != nil {
			return charsetChoice{}, err
		}
		return choice(e, name, "option"), nil
	}
	if label := metaCharset(prefix[:min(len(prefix), metaScan)]); label != "" {
		if e, name, err := lookupCharset(label); err == nil {
			switch name {
			case "utf-16le", "utf-16be":
				// A document that can declare itself in ASCII is not UTF-16.
				return utf8Choice("meta", 0), nil
			case "x-user-defined":
				e, name, _ = lookupCharset("windows-1252")
			}
			if name != "utf-8" && hasHighUTF8(prefix) {
				// Declared legacy, but the bytes are UTF-8 (a page re-saved
				// without fixing its <meta>): the bytes win.
				return utf8Choice("meta-overridden", 0), nil
			}
			return choice(e, name, "meta"), nil
		}
	}
	if GuessCharset != nil {
		if label := GuessCharset(prefix); label != "" {
			if e, name, err := lookupCharset(label); err == nil {
				return choice(e, name, "guess"), nil
			}
		}
	}
	if name := utf16NoBOM(prefix); name != "" {
		e, name, _ := lookupCharset(name)
		return charsetChoice{enc: e, name: name, how: "guess"}, nil
	}
	if isISO2022JP(prefix) {
		e, name, _ := lookupCharset("iso-2022-jp")
		return choice(e, name, "guess"), nil
	}
	if validUTF8Prefix(prefix) {
		return utf8Choice("default", 0), nil
	}
	e, name, _ := lookupCharset(guessJapanese(prefix))
	return choice(e, name, "guess"), nil
}

func choice(e encoding.Encoding, name, how string) charsetChoice {
	if name == "utf-8" {
		return utf8Choice(how, 0)
	}
	return charsetChoice{enc: e, name: name, how: how}
}

// validUTF8Prefix reports whether b is valid UTF-8 but for a sequence cut
// at its end.
func validUTF8Prefix(b []byte) bool {
	for k := len(b) - 1; k >= 0 && k >= len(b)-utf8.UTFMax; k-- {
		if utf8.RuneStart(b[k]) {
			if !utf8.FullRune(b[k:]) {
				b = b[:k]
			}
			break
		}
	}
	return utf8.Valid(b)
}

func hasHighUTF8(b []byte) bool {
	high := false
	for _, c := range b {
		if c >= 0x80 {
			high = true
			break
		}
	}
	return high && validUTF8Prefix(b)
}

// metaCharset finds a charset declared by <meta charset> or <meta
// http-equiv="Content-Type" content="…; charset=…"> in prefix.
func metaCharset(prefix []byte) string {
	z := html.NewTokenizer(bytes.NewReader(prefix))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			if string(name) != "meta" {
				continue
			}
			var charset, content string
			httpEquiv := false
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				switch string(k) {
				case "charset":
					charset = string(v)
				case "content":
					content = string(v)
				case "http-equiv":
					httpEquiv = strings.EqualFold(strings.TrimSpace(string(v)), "content-type")
				}
			}
			if charset = strings.TrimSpace(charset); charset != "" {
				return charset
			}
			if httpEquiv {
				if cs := contentCharset(content); cs != "" {
					return cs
				}
			}
		}
	}
}

// contentCharset extracts the charset from a Content-Type value, following
// the HTML standard's "algorithm for extracting a character encoding from a
// meta element".
func contentCharset(s string) string {
	for {
		i := strings.Index(strings.ToLower(s), "charset")
		if i < 0 {
			return ""
		}
		s = strings.TrimLeft(s[i+len("charset"):], " \t\n\f\r")
		if !strings.HasPrefix(s, "=") {
			continue
		}
		s = strings.TrimLeft(s[1:], " \t\n\f\r")
		if s == "" {
			return ""
		}
		if q := s[0]; q == '"' || q == '\'' {
			if j := strings.IndexByte(s[1:], q); j >= 0 {
				return s[1 : j+1]
			}
			return ""
		}
		if j := strings.IndexAny(s, " \t\n\f\r;"); j >= 0 {
			return s[:j]
		}
		return s
	}
}

// utf16NoBOM recognises UTF-16 without a byte order mark by its NUL bytes:
// markup is ASCII, so one byte of most pairs is zero, always on the same
// side.
func utf16NoBOM(b []byte) string {
	if len(b) < 16 {
		return ""
	}
	var even, odd int
	for i, c := range b[:len(b)&^1] {
		if c == 0 {
			if i&1 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	half := len(b) / 2
	switch {
	case odd > half*3/10 && even < odd/10:
		return "utf-16le"
	case even > half*3/10 && odd < even/10:
		return "utf-16be"
	}
	return ""
}

// isISO2022JP reports 7-bit text with ISO-2022-JP's JIS X 0208 escapes.
func isISO2022JP(b []byte) bool {
	if !bytes.Contains(b, []byte("\x1b$B")) && !bytes.Contains(b, []byte("\x1b$@")) {
		return false
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// guessJapanese picks the 8-bit Japanese legacy charset that fits b best.
func guessJapanese(b []byte) string {
	sjisBad, kana, double := sjisScore(b)
	eucBad := eucScore(b)
	switch {
	case eucBad < sjisBad:
		return "euc-jp"
	case sjisBad < eucBad:
		return "shift_jis"
	case kana > double:
		// Both fit: EUC-JP read as Shift_JIS is mostly halfwidth katakana.
		return "euc-jp"
	}
	return "shift_jis"
}

// sjisScore counts bytes invalid in Shift_JIS (CP932), halfwidth katakana
// and double-byte characters. A sequence cut at the end is not counted.
func sjisScore(b []byte) (bad, kana, double int) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80:
		case c >= 0xa1 && c <= 0xdf:
			kana++
		case c >= 0x81 && c <= 0x9f || c >= 0xe0 && c <= 0xfc:
			if i+1 >= len(b) {
				return
			}
			t := b[i+1]
			if t >= 0x40 && t <= 0x7e || t >= 0x80 && t <= 0xfc {
				double++
				i++
			} else {
				bad++
			}
		default:
			bad++
		}
	}
	return
}

// eucScore counts bytes invalid in EUC-JP.
func eucScore(b []byte) (bad int) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80:
		case c == 0x8e:
			if i+1 >= len(b) {
				return
			}
			if t := b[i+1]; t >= 0xa1 && t <= 0xdf {
				i++
			} else {
				bad++
			}
		case c == 0x8f:
			if i+2 >= len(b) {
				return
			}
			if b[i+1] >= 0xa1 && b[i+1] <= 0xfe && b[i+2] >= 0xa1 && b[i+2] <= 0xfe {
				i += 2
			} else {
				bad++
			}
		case c >= 0xa1 && c <= 0xfe:
			if i+1 >= len(b) {
				return
			}
			if t := b[i+1]; t >= 0xa1 && t <= 0xfe {
				i++
			} else {
				bad++
			}
		default:
			bad++
		}
	}
	return
}
