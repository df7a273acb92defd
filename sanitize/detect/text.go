package detect

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// sniffText classifies buf (the prefix; truncated reports that the input
// goes on past it) as one of the text kinds, or "" when it is not text.
//
// Some checks run on the raw bytes because those formats may carry binary
// data that would fail the text test: RTF ("{\rt": Word opens a file whose
// header is only that, so "{\rtf1" is not required), a "#!" shebang
// (Script), and two formats with no kind of their own, so Binary, which no
// sanitizer accepts: PostScript ("%!PS", a program) and SYLK ("ID;", which
// Excel opens as a spreadsheet, with Excel 4.0 macros, even when named .csv).
//
// The rest run on a UTF-8 view of the text (see textView, which decodes
// UTF-16) so that a UTF-16 HTML file cannot pass as text: markup
// (sniffMarkup), an RFC 5322 header block (EML), HTML tags near the start of
// what is otherwise text, PDF objects without a header (PDF), and finally
// Text. A header block followed by a binary body is still EML.
func sniffText(buf []byte, truncated bool) Kind {
	raw := bytes.TrimPrefix(buf, bom8)
	raw = raw[skipSpace(raw, 0):]
	switch {
	case bytes.HasPrefix(raw, []byte(`{\rt`)):
		return RTF
	case bytes.HasPrefix(buf, []byte("#!")), bytes.HasPrefix(raw, []byte("#!")):
		return Script
	case bytes.HasPrefix(raw, []byte("%!PS")), bytes.HasPrefix(raw, []byte("ID;")):
		return Binary
	}
	v, ok := textView(buf)
	if !ok || guessCharset(v, truncated) == "" {
		if isEML(raw) {
			return EML // an ASCII header block, then an 8-bit or binary body
		}
		return ""
	}
	hta := containsFold(v, "<hta:application")
	if k := sniffMarkup(v, truncated); k != "" {
		if hta && (k == HTML || k == XML) {
			return HTA
		}
		return k
	}
	if isEML(v) {
		return EML
	}
	if hta {
		return HTA
	}
	if hasActiveTag(v[:min(len(v), activeTagWindow)]) {
		return HTML
	}
	if looksLikePDFBody(v) {
		return PDF
	}
	return Text
}

// looksLikePDFBody reports whether text without a %PDF- header holds PDF
// syntax that lenient readers recover as a document (ISO 32000-2 §7.3.10,
// §7.5.5): an indirect object (" obj" and "endobj"), a trailer dictionary
// ("trailer", white space, "<<") or "startxref". Such a file is handed to
// the PDF sanitizer (which must rebuild or reject it) rather than passed as
// text.
func looksLikePDFBody(v []byte) bool {
	if bytes.Contains(v, []byte("startxref")) ||
		bytes.Contains(v, []byte(" obj")) && bytes.Contains(v, []byte("endobj")) {
		return true
	}
	for rest := v; ; {
		i := bytes.Index(rest, []byte("trailer"))
		if i < 0 {
			return false
		}
		rest = rest[i+len("trailer"):]
		if bytes.HasPrefix(rest[skipSpace(rest, 0):], []byte("<<")) {
			return true
		}
	}
}

var (
	bom8    = []byte{0xEF, 0xBB, 0xBF}
	bom16LE = []byte{0xFF, 0xFE}
	bom16BE = []byte{0xFE, 0xFF}
)

// textView returns buf as ASCII-compatible text (UTF-8, or the original
// bytes of a legacy 8-bit or Japanese charset) and whether it is text at
// all: no NUL byte (outside UTF-16) and few control characters. UTF-16 with
// a BOM, or without one when every other byte is zero (mostly ASCII), is
// decoded to UTF-8 first.
func textView(buf []byte) ([]byte, bool) {
	switch {
	case bytes.HasPrefix(buf, bom8):
		buf = buf[len(bom8):]
	case bytes.HasPrefix(buf, bom16LE):
		buf = decodeUTF16(buf[2:], false)
	case bytes.HasPrefix(buf, bom16BE):
		buf = decodeUTF16(buf[2:], true)
	case bytes.IndexByte(buf, 0) >= 0:
		le, be := bomlessUTF16(buf)
		if !le && !be {
			return nil, false
		}
		buf = decodeUTF16(buf, be)
	}
	return buf, fewControls(buf)
}

// fewControls reports whether b has no NUL and at most one control byte in
// 64 (tab, line breaks, form feed and ESC, which ISO-2022-JP needs, are not
// control bytes here; one trailing DOS EOF ^Z is allowed).
func fewControls(b []byte) bool {
	b = bytes.TrimSuffix(b, []byte{0x1A})
	ctrl := 0
	for _, c := range b {
		if c >= 0x20 && c != 0x7F {
			continue // printable or 8-bit: the common case
		}
		switch {
		case c == 0:
			return false
		case c == '\t', c == '\n', c == '\v', c == '\f', c == '\r', c == 0x1B:
		case c < 0x20, c == 0x7F:
			ctrl++
		}
	}
	return ctrl <= 1 || ctrl*64 <= len(b)
}

// bomlessUTF16 reports whether b looks like UTF-16 without a BOM: at least
// 90% of the bytes at odd (little-endian) or even (big-endian) offsets are
// zero, and at most 10% on the other side.
func bomlessUTF16(b []byte) (le, be bool) {
	pairs := len(b) / 2
	if pairs < 2 {
		return false, false
	}
	var zeroEven, zeroOdd int
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 {
			zeroEven++
		}
		if b[i+1] == 0 {
			zeroOdd++
		}
	}
	mostly := func(n int) bool { return n*10 >= pairs*9 }
	few := func(n int) bool { return n*10 <= pairs }
	return mostly(zeroOdd) && few(zeroEven), mostly(zeroEven) && few(zeroOdd)
}

// decodeUTF16 converts UTF-16 to UTF-8; an odd trailing byte is dropped and
// unpaired surrogates become U+FFFD.
func decodeUTF16(b []byte, bigEndian bool) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	out := make([]byte, 0, len(u))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out
}

// skipSpace returns the index of the first byte at or after i that is not
// ASCII white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n', '\f', '\v':
			i++
		default:
			return i
		}
	}
	return i
}

// activeTagWindow is how much of a text file is scanned for tags that make a
// browser render it as HTML (older Internet Explorer sniffed the first 256
// bytes for them; we take twice that).
const activeTagWindow = 512

// activeTags are the tags hasActiveTag looks for.
var activeTags = []string{"<script", "<html", "<head", "<body", "<iframe", "<frameset", "<object", "<embed", "<applet", "<svg", "<meta"}

// hasActiveTag reports whether b contains, case-insensitively, one of
// activeTags followed by a byte that ends a tag name.
func hasActiveTag(b []byte) bool {
	for _, t := range activeTags {
		for i := 0; i < len(b); {
			j := indexFold(b[i:], t)
			if j < 0 {
				break
			}
			end := i + j + len(t)
			if end >= len(b) || isTagEnd(b[end]) {
				return true
			}
			i = end
		}
	}
	return false
}

func isTagEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\f', '>', '/':
		return true
	}
	return false
}

// indexFold is bytes.Index with ASCII case folding of b; pat must be lower
// case.
func indexFold(b []byte, pat string) int {
	n := len(pat)
	if n == 0 {
		return 0
	}
	c0 := pat[0]
	letter := c0 >= 'a' && c0 <= 'z'
	for i := 0; i+n <= len(b); i++ {
		if !letter {
			// The first byte has one case only: let IndexByte find it.
			j := bytes.IndexByte(b[i:len(b)-n+1], c0)
			if j < 0 {
				return -1
			}
			i += j
		} else if lower(b[i]) != c0 {
			continue
		}
		k := 1
		for k < n && lower(b[i+k]) == pat[k] {
			k++
		}
		if k == n {
			return i
		}
	}
	return -1
}

func containsFold(b []byte, pat string) bool { return indexFold(b, pat) >= 0 }

func hasPrefixFold(b []byte, pat string) bool {
	return len(b) >= len(pat) && indexFold(b[:len(pat)], pat) == 0
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
