package text

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/transform"
)

// Charset is a character encoding this package decodes. The zero value is
// UTF8.
type Charset uint8

// Charsets.
const (
	UTF8        Charset = iota // UTF-8, with or without a byte order mark
	UTF16LE                    // UTF-16, little endian
	UTF16BE                    // UTF-16, big endian
	ShiftJIS                   // Shift_JIS, always decoded as CP932 (Windows-31J)
	EUCJP                      // EUC-JP with the Microsoft (CP51932) extensions and JIS X 0212
	ISO2022JP                  // ISO-2022-JP, decoded as a superset of CP50220/CP50221/CP50222 and ISO-2022-JP-1
	Windows1252                // windows-1252, also for labels ISO-8859-1, Latin-1 and US-ASCII
)

var charsetNames = [...]string{"UTF-8", "UTF-16LE", "UTF-16BE", "Shift_JIS", "EUC-JP", "ISO-2022-JP", "windows-1252"}

// String returns the charset's preferred MIME name ("Shift_JIS",
// "ISO-2022-JP", …), fit for a Content-Type label and for reports.
func (c Charset) String() string {
	if int(c) < len(charsetNames) {
		return charsetNames[c]
	}
	return fmt.Sprintf("charset(%d)", c)
}

// SniffLen is how many leading bytes DetectCharset and DetectWithLabel need
// to see to decide; more are ignored.
const SniffLen = 64 << 10

// labels that the WHATWG index (htmlindex) does not know, mostly Microsoft
// and Java names for the same Japanese encodings.
var extraLabels = map[string]Charset{
	"cp932":          ShiftJIS,
	"ms932":          ShiftJIS,
	"windows-932":    ShiftJIS,
	"x-ms-cp932":     ShiftJIS,
	"sjis-win":       ShiftJIS,
	"sjis-open":      ShiftJIS,
	"shift-jis":      ShiftJIS,
	"cp50220":        ISO2022JP,
	"cp50221":        ISO2022JP,
	"cp50222":        ISO2022JP,
	"iso-2022-jp-1":  ISO2022JP,
	"iso-2022-jp-2":  ISO2022JP,
	"iso-2022-jp-ms": ISO2022JP,
	"eucjp-ms":       EUCJP,
	"eucjp-win":      EUCJP,
	"euc-jp-ms":      EUCJP,
	"cp51932":        EUCJP,
	"x-eucjp":        EUCJP,
	"eucjp":          EUCJP,
}

// LookupLabel maps a charset label, as found in a MIME Content-Type or an
// HTML meta tag, to a Charset. It knows the WHATWG Encoding Standard labels
// (so "iso-8859-1", "latin1" and "us-ascii" are Windows1252, "utf-16" is
// UTF16LE) plus Microsoft's and Java's names for the Japanese encodings:
// every Shift_JIS label ("shift_jis", "x-sjis", "cp932", "windows-31j", …)
// is ShiftJIS, decoded as CP932, and every ISO-2022-JP variant ("cp50221",
// "iso-2022-jp-1", …) is ISO2022JP. Case, surrounding space and quotes are
// ignored. ok is false for labels of charsets this package does not decode.
func LookupLabel(label string) (cs Charset, ok bool) {
	l := normLabel(label)
	if l == "" {
		return UTF8, false
	}
	if cs, ok := extraLabels[l]; ok {
		return cs, true
	}
	enc, err := htmlindex.Get(l)
	if err != nil {
		return UTF8, false
	}
	name, err := htmlindex.Name(enc)
	if err != nil {
		return UTF8, false
	}
	switch name {
	case "utf-8":
		return UTF8, true
	case "utf-16le":
		return UTF16LE, true
	case "utf-16be":
		return UTF16BE, true
	case "shift_jis":
		return ShiftJIS, true
	case "euc-jp":
		return EUCJP, true
	case "iso-2022-jp":
		return ISO2022JP, true
	case "windows-1252":
		return Windows1252, true
	}
	return UTF8, false
}

// LabelFromMIME returns the charset parameter of a media type such as
// "text/plain; charset=Shift_JIS", or "" when there is none or the media
// type does not parse.
func LabelFromMIME(mediaType string) string {
	if mediaType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return ""
	}
	return params["charset"]
}

// DetectCharset guesses the charset of content from its first bytes.
//
// prefix is the start of the content: all of it, or at least SniffLen bytes.
// When len(prefix) < SniffLen it is taken to be the whole content, so a
// sequence cut at its end counts as invalid; otherwise such a cut is
// forgiven.
//
// The decision, in order:
//
//  1. A byte order mark decides (UTF-8, UTF-16LE, UTF-16BE).
//  2. UTF-16 without a BOM when it is clear: many NUL bytes on one side of
//     the code units and almost none on the other, and no unpaired
//     surrogate.
//  3. Seven-bit content is ISO-2022-JP when it holds one of its designations
//     (ESC $ B, ESC $ @, ESC ( I, ESC $ ( D), else UTF-8 (pure ASCII is UTF-8).
//  4. Content that is valid UTF-8 is UTF-8.
//  5. Otherwise the prefix is decoded as UTF-8, Shift_JIS (CP932), EUC-JP
//     and windows-1252, and each reading is scored: every invalid sequence
//     costs heavily, and every character scores by how plausible it is in
//     text (kana, common kanji and Japanese punctuation high; half-width
//     katakana, rare kanji and accented Latin letters lower; C1 controls
//     and private-use characters negative). The best score wins; ties go to
//     the earlier in that list, so windows-1252 is the fallback.
//
// The guess is made on the prefix only: bytes further on that are invalid in
// the chosen charset become U+FFFD when decoded (see Decoder).
func DetectCharset(prefix []byte) Charset {
	return guess(prefix, len(prefix) < SniffLen, UTF8, false)
}

// DetectWithLabel is DetectCharset for content that came with a charset
// label (a MIME charset parameter); it trusts the label only as far as the
// bytes agree with it. prefix has DetectCharset's meaning.
//
//   - A byte order mark beats the label.
//   - An unknown or empty label is ignored, and so is a US-ASCII label
//     (whose WHATWG meaning is windows-1252) on 8-bit bytes.
//   - A UTF-8, Shift_JIS, EUC-JP, ISO-2022-JP or UTF-16 label is used when
//     the bytes are valid in it, except that valid UTF-8 beats a Shift_JIS
//     or EUC-JP label when it also reads more plausibly as UTF-8, and a
//     UTF-16 label on bytes that are valid UTF-8 without NULs is ignored.
//   - A windows-1252 (ISO-8859-1, Latin-1) label, which every byte is valid
//     in, only gives that charset a bonus in the scoring; valid UTF-8 beats
//     it.
//   - Pure ASCII content is reported as UTF-8 whatever the label, unless it
//     is ISO-2022-JP (it holds that encoding's escape sequences) or UTF-16.
//   - A label the bytes are not valid in is overruled by detection, which
//     gives the labelled charset a bonus. So a part labelled ISO-2022-JP
//     whose bytes are UTF-8 decodes as UTF-8.
func DetectWithLabel(prefix []byte, label string) Charset {
	return detectWithLabel(prefix, len(prefix) < SniffLen, label)
}

func detectWithLabel(prefix []byte, whole bool, label string) Charset {
	cs, ok := LookupLabel(label)
	if !ok || asciiLabels[normLabel(label)] {
		// US-ASCII cannot explain 8-bit bytes at all: no hint there.
		return guess(prefix, whole, UTF8, false)
	}
	return guess(prefix, whole, cs, true)
}

// asciiLabels are the WHATWG labels of windows-1252 that name US-ASCII.
var asciiLabels = map[string]bool{
	"us-ascii": true, "ascii": true, "ansi_x3.4-1968": true, "cp367": true, "ibm367": true, "iso646-us": true, "us": true,
}

func normLabel(label string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
}

// Sniff reads up to n leading bytes of src (size bytes long; n ≤ 0 means
// SniffLen) and returns the charset DetectWithLabel decides for them. An
// empty label means none. Read errors are returned as they are.
func Sniff(src io.ReaderAt, size int64, n int, label string) (Charset, error) {
	if n <= 0 {
		n = SniffLen
	}
	whole := int64(n) >= size
	if whole {
		n = int(size)
	}
	buf := make([]byte, n)
	m, err := src.ReadAt(buf, 0)
	if err != nil && !(errors.Is(err, io.EOF) && m == n) {
		return UTF8, err
	}
	return detectWithLabel(buf, whole, label), nil
}

func bomCharset(b []byte) (Charset, bool) {
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		return UTF8, true
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return UTF16LE, true
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return UTF16BE, true
	}
	return UTF8, false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// has2022 reports whether 7-bit b holds an ISO-2022-JP designation of a
// non-ASCII set.
func has2022(b []byte) bool {
	for i := bytes.IndexByte(b, esc); i >= 0; {
		rest := b[i:]
		if n, mode, ok := escape(rest); ok && n > 0 && mode > modeASCII {
			return true
		}
		j := bytes.IndexByte(rest[1:], esc)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// utf16NoBOM reports UTF-16 without a byte order mark when the NUL bytes make
// it clear: at least a quarter of the code units have a zero byte on one
// side, at most one in fifty on the other, and the whole decodes cleanly.
func utf16NoBOM(b []byte, whole bool) (Charset, bool) {
	units := len(b) / 2
	if units == 0 {
		return UTF8, false
	}
	if bytes.Count(b, []byte{0})*4 < units {
		// Too few NULs for either byte order: the usual case, found fast.
		return UTF8, false
	}
	var even, odd int
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	var cs Charset
	switch {
	case odd*4 >= units && even*50 <= units:
		cs = UTF16LE
	case even*4 >= units && odd*50 <= units:
		cs = UTF16BE
	default:
		return UTF8, false
	}
	if evaluate(b, cs, whole).invalid > 0 {
		return UTF8, false
	}
	return cs, true
}

func validUTF8(b []byte, whole bool) bool {
	if !whole {
		// Forgive a sequence cut by the end of the prefix.
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// labelBonus is the score a labelled charset gets over the others.
const labelBonus = 32

// invalidCost is what one invalid sequence costs a reading's score.
const invalidCost = 40

// utf8Bonus is what each valid multi-byte UTF-8 sequence adds to the UTF-8
// reading: such sequences are improbable by chance.
const utf8Bonus = 4

func guess(b []byte, whole bool, label Charset, labelled bool) Charset {
	if cs, ok := bomCharset(b); ok {
		return cs
	}
	if cs, ok := utf16NoBOM(b, whole); ok {
		return cs
	}
	if labelled && (label == UTF16LE || label == UTF16BE) {
		// A UTF-16 label on bytes without NULs: believe it only if the
		// bytes are not plausible 8-bit text.
		if !validUTF8(b, whole) && evaluate(b, label, whole).invalid == 0 {
			return label
		}
		labelled = false
	}
	if isASCII(b) {
		if has2022(b) {
			return ISO2022JP
		}
		return UTF8
	}
	utf8ok := validUTF8(b, whole)
	if !labelled || label == ISO2022JP {
		// ISO-2022-JP is 7-bit: with 8-bit bytes its label is wrong.
		if utf8ok {
			return UTF8
		}
		labelled = false
	}
	if labelled {
		switch label {
		case UTF8, Windows1252:
			if utf8ok {
				return UTF8
			}
		case ShiftJIS, EUCJP:
			if g := evaluate(b, label, whole); g.invalid == 0 {
				if !utf8ok || evaluate(b, UTF8, whole).score <= g.score+labelBonus {
					return label
				}
				return UTF8
			}
		}
	}
	best, bestScore := UTF8, int64(0)
	for i, cs := range [...]Charset{UTF8, ShiftJIS, EUCJP, Windows1252} {
		s := evaluate(b, cs, whole).score
		if labelled && cs == label {
			s += labelBonus
		}
		if i == 0 || s > bestScore || (s == bestScore && labelled && cs == label) {
			best, bestScore = cs, s
		}
	}
	return best
}

type reading struct {
	invalid int64
	score   int64
}

// evaluate decodes b as cs and scores how plausible the result is as text.
func evaluate(b []byte, cs Charset, whole bool) reading {
	d := newDecoder(cs)
	var buf [4096]byte
	var score int64
	prev := rune(0)
	for src := b; ; {
		n, m, err := d.Transform(buf[:], src, whole)
		out := buf[:n]
		for len(out) > 0 {
			r, size := rune(out[0]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRune(out)
				score += int64(weight(d.t, r, prev))
				if cs == UTF8 && r != utf8.RuneError {
					// A valid multi-byte sequence is itself evidence.
					score += utf8Bonus
				}
			}
			prev = r
			out = out[size:]
		}
		src = src[m:]
		if err != transform.ErrShortDst {
			break
		}
	}
	return reading{invalid: d.invalid, score: score - invalidCost*d.invalid}
}

func isASCIILetter(r rune) bool { return ('A' <= r && r <= 'Z') || ('a' <= r && r <= 'z') }

func isHalfwidthKana(r rune) bool { return 0xFF66 <= r && r <= 0xFF9D }

// weight scores one non-ASCII character of a candidate reading. The numbers
// are per character; a kana or kanji takes two bytes in the legacy Japanese
// charsets, where a Latin letter or a half-width katakana takes one.
func weight(t *jpTables, r, prev rune) int {
	switch {
	case r == utf8.RuneError: // counted as invalid
		return 0
	case r < 0xA0: // C1 controls
		return -8
	case r < 0xC0: // Latin-1 symbols
		return 0
	case r <= 0xFF:
		if r == 0xD7 || r == 0xF7 {
			return 0
		}
		// An accented letter inside a word of ASCII letters is Latin
		// text; one next to other non-ASCII bytes is less likely so.
		if isASCIILetter(prev) {
			return 4
		}
		return 2
	case r <= 0x24F: // Latin Extended (Š, Œ, ƒ from windows-1252)
		if r == 0x192 {
			return -2
		}
		if isASCIILetter(prev) {
			return 2
		}
		return 0
	case r == 0x2C6 || r == 0x2DC: // ˆ ˜ from windows-1252
		return -2
	case 0x370 <= r && r <= 0x4FF: // Greek, Cyrillic
		return 2
	case r == 0x2013 || r == 0x2014 || r == 0x2018 || r == 0x2019 || r == 0x201C || r == 0x201D ||
		r == 0x2022 || r == 0x2025 || r == 0x2026 || r == 0x203B || r == 0x20AC:
		// Dashes, quotes, bullet, ellipses, ※, €.
		return 2
	case r == 0x201A || r == 0x201E || r == 0x2020 || r == 0x2021 || r == 0x2030 || r == 0x2039 || r == 0x203A || r == 0x2122:
		// ‚ „ † ‡ ‰ ‹ › ™: what the lead bytes of Shift_JIS look like
		// in windows-1252, rare in real text.
		return -2
	case 0x2150 <= r && r <= 0x218F: // Roman numerals (Ⅲ)
		return 4
	case 0x2100 <= r && r <= 0x22FF: // letterlike, arrows, maths
		return 2
	case 0x2460 <= r && r <= 0x24FF: // ①
		return 4
	case 0x2500 <= r && r <= 0x26FF: // box drawing, shapes
		return 2
	case r == 0x3000:
		return 4
	case 0x3001 <= r && r <= 0x30FF: // Japanese punctuation, hiragana, katakana
		return 8
	case 0x3200 <= r && r <= 0x33FF: // ㈱, ㍻
		return 4
	case 0x4E00 <= r && r <= 0x9FFF:
		switch {
		case t.isCommon(r):
			return 8
		case t.isLevel1(r):
			return 4
		}
		return 2
	case 0x3400 <= r && r <= 0x4DBF, 0xF900 <= r && r <= 0xFAFF:
		return 2
	case 0xE000 <= r && r <= 0xF8FF: // private use (外字)
		return -4
	case 0xFF01 <= r && r <= 0xFF5E: // full-width ASCII
		return 6
	case 0xFF61 <= r && r <= 0xFF65: // half-width 。「」、・
		return 0
	case isHalfwidthKana(r):
		// Half-width katakana come in words.
		if isHalfwidthKana(prev) {
			return 4
		}
		return 3
	case r == 0xFF9E || r == 0xFF9F: // half-width (han)dakuten
		if isHalfwidthKana(prev) {
			return 4
		}
		return -4
	case 0xFFE0 <= r && r <= 0xFFEE:
		return 2
	}
	return 0
}
