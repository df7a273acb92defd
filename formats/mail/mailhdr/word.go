package mailhdr

import (
	"strings"
)

// DecodeText decodes an unstructured header field value (Subject, Comments,
// Content-Description, …) into clean UTF-8; see Clean for what clean means.
// It never fails:
//
//   - The value is cut to MaxInput bytes, raw 8-bit bytes or raw
//     ISO-2022-JP are decoded with the charset guessed for the whole value,
//     and folding is removed (see the package documentation).
//   - RFC 2047 encoded-words are decoded wherever they appear, also inside
//     other text ("件名=?UTF-8?B?…?="); "b"/"q" may be lowercase, a
//     language tag ("UTF-8*ja") is ignored, base64 may lack or misplace its
//     padding or contain spaces, and Q may contain spaces.
//   - Linear whitespace between two encoded-words is dropped (RFC 2047
//     §6.2). Adjacent encoded-words in the same charset are joined at the
//     byte level before the charset is decoded, so a character split across
//     two words (a UTF-8 or Shift_JIS sequence, or ISO-2022-JP text whose
//     escape state carries over) comes out whole.
//   - The charset label is checked against the bytes and overruled when
//     they disagree (see the package documentation); an unknown charset is
//     guessed. A word whose base64 cannot be decoded is kept as it was
//     written, so that something visible remains.
func DecodeText(raw string) string {
	return Clean(decodeWords(prepare(raw)))
}

// eword is one encoded-word found in a text.
type eword struct {
	start, end int    // the word's span in the text
	label      string // charset label as written
	bytes      []byte // decoded payload
	ok         bool   // the payload decoded
}

// maxLabelLen bounds the charset label (with its language tag) of an
// encoded-word that the scanner accepts.
const maxLabelLen = 64

// findWords returns the encoded-words in s, in order and not overlapping,
// with their payloads decoded. It is lenient: a word may touch other text,
// and its payload may contain spaces; a payload ends at the first "?=" and
// must not contain "=?" (then the candidate was no word, and the scan goes
// on from inside it). The work is linear in len(s): the next "?=" and the
// next "=?" are searched once per stretch of s and reused.
func findWords(s string) []eword {
	var words []eword
	term, open := -2, -2 // cached index of the next "?=" / "=?", -2 unknown, -1 none
	next := func(cache *int, from int, pat string) int {
		if *cache == -1 || (*cache >= from) {
			return *cache
		}
		if i := strings.Index(s[from:], pat); i >= 0 {
			*cache = from + i
		} else {
			*cache = -1
		}
		return *cache
	}
	for i := 0; i < len(s); {
		k := strings.Index(s[i:], "=?")
		if k < 0 {
			break
		}
		p := i + k
		ps, label, q, ok := wordHead(s, p)
		if !ok {
			i = p + 2
			continue
		}
		t := next(&term, ps, "?=")
		if t < 0 {
			break // no word can end anywhere after here
		}
		// "=?" at t-1 is a '=' of base64 padding before the terminator.
		if o := next(&open, ps, "=?"); o >= 0 && o < t-1 {
			i = p + 2
			continue
		}
		w := eword{start: p, end: t + 2, label: label}
		if q {
			w.bytes, w.ok = decodeQ(s[ps:t]), true
		} else {
			w.bytes, w.ok = decodeB(s[ps:t])
		}
		words = append(words, w)
		i = t + 2
	}
	return words
}

// wordHead parses "=?charset?X?" at s[p:], p pointing at "=?". It returns
// where the payload starts, the charset label and whether the encoding is Q.
func wordHead(s string, p int) (payload int, label string, q, ok bool) {
	j := p + 2
	for j < len(s) && j-p-2 <= maxLabelLen && isLabelChar(s[j]) {
		j++
	}
	if j == p+2 || j+2 >= len(s) || s[j] != '?' || s[j+2] != '?' {
		return 0, "", false, false
	}
	switch s[j+1] {
	case 'B', 'b':
	case 'Q', 'q':
		q = true
	default:
		return 0, "", false, false
	}
	return j + 3, s[p+2 : j], q, true
}

// isLabelChar reports the bytes accepted in a charset label: RFC 2047
// token characters, plus '.' and ':' seen in labels such as
// "ISO_8859-1:1987".
func isLabelChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-^_`{|}~.:", c) >= 0
}

// decodeB decodes the base64 payload of a B word leniently: spaces are
// skipped, the URL-safe alphabet is accepted, padding may be missing, short
// or doubled, and a padded group may be followed by more (two encodings
// glued together). It fails only on a character outside the alphabet.
func decodeB(p string) ([]byte, bool) {
	out := make([]byte, 0, len(p)*3/4+2)
	var acc uint32
	n := 0
	flush := func() {
		switch n {
		case 2:
			out = append(out, byte(acc>>4))
		case 3:
			out = append(out, byte(acc>>10), byte(acc>>2))
		}
		acc, n = 0, 0
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		if c == '=' {
			flush()
			continue
		}
		v := b64value(c)
		if v < 0 {
			return nil, false
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	flush()
	return out, true
}

// decodeQ decodes the payload of a Q word: "_" is a space, "=XX" a byte
// (either case of hex), and anything else, a malformed "=" included,
// stands for itself.
func decodeQ(p string) []byte {
	out := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			out = append(out, unhex(p[i+1])<<4|unhex(p[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func isLinearSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

// decodeWords replaces the encoded-words in s (UTF-8 text, already
// prepared) by their decoded text. It does not clean the result.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	words := findWords(s)
	if len(words) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	var pending []byte // bytes of a run of words in one charset
	label := ""        // their charset, normalised
	havePending := false
	flush := func() {
		if havePending {
			b.WriteString(decodeLabelled(pending, label))
			pending, havePending = pending[:0], false
		}
	}
	last := 0
	prevOK := false // the previous thing written was a decoded word
	for _, w := range words {
		between := s[last:w.start]
		if !(prevOK && w.ok && isLinearSpace(between)) {
			flush()
			b.WriteString(between)
		}
		last = w.end
		if !w.ok {
			flush()
			b.WriteString(s[w.start:w.end])
			prevOK = false
			continue
		}
		l := normLabel(w.label)
		if havePending && l != label {
			flush()
		}
		pending = append(pending, w.bytes...)
		label, havePending, prevOK = l, true, true
	}
	flush()
	b.WriteString(s[last:])
	return b.String()
}
