package text

import (
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// Decoder converts a byte stream in one charset to UTF-8 as it is read.
//
// Bytes that are not valid in the charset become U+FFFD, one per maximal
// invalid sequence, and are counted (Invalid); U+FFFD appears nowhere else
// except where the input itself encodes U+FFFD (possible only in UTF-8 and
// UTF-16). A byte order mark at the very start of UTF-8 or UTF-16 input is
// dropped (BOM). Nothing else is changed: control characters, line endings and
// bidirectional controls pass through (see Cleaner). The output is always
// valid UTF-8.
//
// The decoding per charset:
//
//   - ShiftJIS is CP932 (Windows-31J): NEC row 13 (①, ㈱, Ⅲ), the
//     NEC-selected IBM extensions (rows 89–92), the IBM extensions (0xFA–0xFC,
//     髙 at 0xFBFC) and the user-defined area 0xF040–0xF9FC, mapped to the
//     private use area U+E000–U+E757 as Windows does. 0x80 decodes to U+0080
//     (a C1 control, which Cleaner removes), as on Windows.
//   - EUC-JP has JIS X 0208 with the same Microsoft extensions (rows 13 and
//     89–92), half-width katakana (SS2) and JIS X 0212 (SS3).
//   - ISO2022JP accepts ISO-2022-JP (RFC 1468), ISO-2022-JP-1's JIS X 0212
//     (ESC $ ( D) and Microsoft's CP50220/CP50221/CP50222: NEC row 13 and the
//     IBM rows inside ESC $ B, half-width katakana after ESC ( I or between
//     SO and SI. ESC ( J (JIS X 0201 Roman) is read as ASCII, as Windows
//     does, so that ~ and \ in URLs and paths survive. A line feed returns to
//     ASCII. Bytes 0x80 and above are invalid.
//   - UTF16LE and UTF16BE: unpaired surrogates and a final odd byte are
//     invalid.
//   - Windows1252: the five bytes the code page leaves undefined (0x81, 0x8D,
//     0x8F, 0x90, 0x9D) are invalid.
//
// A Decoder is not safe for concurrent use. It does not close r.
type Decoder struct {
	d *decoder
	r *pipe
}

// NewDecoder returns a Decoder reading cs-encoded bytes from r.
func NewDecoder(r io.Reader, cs Charset) *Decoder {
	d := newDecoder(cs)
	return &Decoder{d: d, r: newPipe(r, d)}
}

// Read implements io.Reader. Errors from the underlying reader are returned
// as they are.
func (d *Decoder) Read(p []byte) (int, error) { return d.r.Read(p) }

// Charset reports the charset being decoded.
func (d *Decoder) Charset() Charset { return d.d.cs }

// Invalid reports how many invalid byte sequences have been replaced by
// U+FFFD so far.
func (d *Decoder) Invalid() int64 { return d.d.invalid }

// FirstInvalidLine reports the 1-based line of the output where the first
// invalid sequence was replaced, or 0 when there was none. Lines end at LF,
// CRLF or a lone CR.
func (d *Decoder) FirstInvalidLine() int64 { return d.d.firstInvalid }

// BOM reports whether a byte order mark was dropped from the start.
func (d *Decoder) BOM() bool { return d.d.bom }

// AppendDecode appends to dst the UTF-8 that a Decoder reading src, a whole
// text in cs, would return, and reports how many invalid sequences became
// U+FFFD. It works in dst alone, with none of a Decoder's buffers: it suits
// short texts already in memory, such as header fields.
func AppendDecode(dst, src []byte, cs Charset) ([]byte, int64) {
	d := newDecoder(cs)
	// Every input byte gives at most 3 output bytes (U+FFFD for one invalid
	// byte), so one call usually does; the loop covers the rest.
	dst = slices.Grow(dst, 3*len(src)+utf8.UTFMax)
	for {
		nDst, nSrc, err := d.Transform(dst[len(dst):cap(dst)], src, true)
		dst = dst[:len(dst)+nDst]
		src = src[nSrc:]
		if err != transform.ErrShortDst {
			return dst, d.invalid
		}
		dst = slices.Grow(dst, 3*len(src)+utf8.UTFMax)
	}
}

// ISO-2022-JP modes.
const (
	modeASCII = iota
	modeKana
	mode0208
	mode0212
)

// decoder is the transform.Transformer behind Decoder and behind charset
// scoring, so that detection counts exactly what decoding will replace.
type decoder struct {
	cs      Charset
	t       *jpTables
	started bool // past the place where a BOM may be
	bom     bool
	mode    uint8 // ISO-2022-JP designation
	so      bool  // ISO-2022-JP shifted out (CP50222 katakana)

	invalid      int64
	firstInvalid int64
	lines        int64 // line breaks written so far
	prevCR       bool  // the output so far ends with CR
}

func newDecoder(cs Charset) *decoder { return &decoder{cs: cs, t: tables()} }

// Reset implements transform.Transformer. It keeps the counters.
func (d *decoder) Reset() {
	d.started, d.mode, d.so = false, modeASCII, false
}

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// Transform implements transform.Transformer.
func (d *decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if !d.started {
		n, ok := d.skipBOM(src, atEOF)
		if !ok {
			return 0, 0, transform.ErrShortSrc
		}
		nSrc = n
	}
	switch d.cs {
	case UTF8:
		nDst, nSrc, err = d.utf8(dst, src, nSrc, atEOF)
	case UTF16LE, UTF16BE:
		nDst, nSrc, err = d.utf16(dst, src, nSrc, atEOF)
	case ShiftJIS:
		nDst, nSrc, err = d.sjis(dst, src, nSrc, atEOF)
	case EUCJP:
		nDst, nSrc, err = d.eucjp(dst, src, nSrc, atEOF)
	case ISO2022JP:
		nDst, nSrc, err = d.iso2022jp(dst, src, nSrc, atEOF)
	default:
		nDst, nSrc, err = d.cp1252(dst, src, nSrc, atEOF)
	}
	n, endCR := lineBreaks(dst[:nDst], d.prevCR)
	d.lines += n
	d.prevCR = endCR
	return nDst, nSrc, err
}

// skipBOM decides, at the start, whether a byte order mark is there. It
// returns the bytes to skip, or ok false when it needs more input.
func (d *decoder) skipBOM(src []byte, atEOF bool) (n int, ok bool) {
	var bom []byte
	switch d.cs {
	case UTF8:
		bom = bomUTF8
	case UTF16LE:
		bom = []byte{0xFF, 0xFE}
	case UTF16BE:
		bom = []byte{0xFE, 0xFF}
	default:
		d.started = true
		return 0, true
	}
	if len(src) < len(bom) && !atEOF && bytes.HasPrefix(bom, src) {
		return 0, false
	}
	d.started = true
	if bytes.HasPrefix(src, bom) {
		d.bom = true
		return len(bom), true
	}
	return 0, true
}

// bad records an invalid sequence about to be replaced at the end of out (the
// output of the current Transform call).
func (d *decoder) bad(out []byte) {
	d.invalid++
	if d.firstInvalid == 0 {
		n, _ := lineBreaks(out, d.prevCR)
		d.firstInvalid = d.lines + n + 1
	}
}

// lineBreaks counts line breaks in b: every LF, and every CR not followed by
// LF. A CR at the end of b counts at once; prevCR says the previous chunk
// ended with a CR, so that an LF starting b does not count twice.
func lineBreaks(b []byte, prevCR bool) (n int64, endCR bool) {
	if len(b) == 0 {
		return 0, prevCR
	}
	n = int64(bytes.Count(b, []byte{'\n'}))
	if prevCR && b[0] == '\n' {
		n--
	}
	if cr := bytes.Count(b, []byte{'\r'}); cr > 0 {
		n += int64(cr - bytes.Count(b, []byte("\r\n")))
	}
	return n, b[len(b)-1] == '\r'
}

const replacement = "\uFFFD"

// putBad writes U+FFFD for an invalid sequence; the caller checked room.
func (d *decoder) putBad(dst []byte, nDst int) int {
	d.bad(dst[:nDst])
	return nDst + copy(dst[nDst:], replacement)
}

// asciiRun copies the ASCII bytes at the start of src to dst and returns how
// many it copied.
func asciiRun(dst, src []byte) int {
	n := min(len(dst), len(src))
	i := 0
	for i+8 <= n && binary.LittleEndian.Uint64(src[i:])&0x8080808080808080 == 0 {
		i += 8
	}
	for i < n && src[i] < utf8.RuneSelf {
		i++
	}
	copy(dst, src[:i])
	return i
}

// validPrefix returns the length of the longest prefix of b made of complete,
// valid UTF-8 sequences.
func validPrefix(b []byte) int {
	i := 0
	// Valid text is the rule: check it at once up to the last rune start,
	// so that a rune cut by the end of b does not spoil the check. When
	// b[:s] is valid its runes are whole, so s is where the loop below would
	// get to as well.
	s := max(len(b)-utf8.UTFMax, 0)
	for k := 0; k < utf8.UTFMax && s > 0 && !utf8.RuneStart(b[s]); k++ {
		s--
	}
	if s > 0 && utf8.Valid(b[:s]) {
		i = s
	}
	for i < len(b) {
		for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
			i += 8
		}
		if i >= len(b) {
			break
		}
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	return i
}

// invalidLen returns the length of the maximal subpart of an ill-formed UTF-8
// sequence at the start of b (Unicode 15, §3.9, "U+FFFD substitution of
// maximal subparts"): at least 1.
func invalidLen(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case 0xC2 <= c && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case 0xE1 <= c && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case 0xF1 <= c && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	i := 1
	for ; i <= need && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}

func (d *decoder) utf8(dst, src []byte, nSrc int, atEOF bool) (nDst, _ int, err error) {
	for nSrc < len(src) {
		n := min(len(src)-nSrc, len(dst)-nDst)
		k := validPrefix(src[nSrc : nSrc+n])
		copy(dst[nDst:], src[nSrc:nSrc+k])
		nDst += k
		nSrc += k
		if nSrc == len(src) {
			break
		}
		// Either dst is full, or the window ends in the middle of a rune,
		// or the next bytes are invalid.
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if len(dst)-nDst < len(replacement) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst = d.putBad(dst, nDst)
			nSrc += invalidLen(src[nSrc:])
			continue
		}
		if len(dst)-nDst < size {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}

func (d *decoder) utf16(dst, src []byte, nSrc int, atEOF bool) (nDst, _ int, err error) {
	unit := func(b []byte) uint16 {
		if d.cs == UTF16BE {
			return binary.BigEndian.Uint16(b)
		}
		return binary.LittleEndian.Uint16(b)
	}
	for nSrc < len(src) {
		if len(dst)-nDst < utf8.UTFMax {
			return nDst, nSrc, transform.ErrShortDst
		}
		if len(src)-nSrc < 2 {
			if !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			nDst = d.putBad(dst, nDst)
			nSrc++
			continue
		}
		u := unit(src[nSrc:])
		switch {
		case u < utf8.RuneSelf:
			dst[nDst] = byte(u)
			nDst++
			nSrc += 2
		case 0xD800 <= u && u < 0xDC00:
			if len(src)-nSrc < 4 {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				nDst = d.putBad(dst, nDst)
				nSrc += 2
				continue
			}
			u2 := unit(src[nSrc+2:])
			if u2 < 0xDC00 || u2 >= 0xE000 {
				nDst = d.putBad(dst, nDst)
				nSrc += 2
				continue
			}
			r := 0x10000 + (rune(u)-0xD800)<<10 + (rune(u2) - 0xDC00)
			nDst += utf8.EncodeRune(dst[nDst:], r)
			nSrc += 4
		case 0xDC00 <= u && u < 0xE000:
			nDst = d.putBad(dst, nDst)
			nSrc += 2
		default:
			nDst += utf8.EncodeRune(dst[nDst:], rune(u))
			nSrc += 2
		}
	}
	return nDst, nSrc, nil
}

func (d *decoder) sjis(dst, src []byte, nSrc int, atEOF bool) (nDst, _ int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst == len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			n := asciiRun(dst[nDst:], src[nSrc:])
			nDst += n
			nSrc += n
			continue
		}
		if len(dst)-nDst < utf8.UTFMax {
			return nDst, nSrc, transform.ErrShortDst
		}
		switch li := sjisLeadIndex(c); {
		case 0xA1 <= c && c <= 0xDF:
			nDst += utf8.EncodeRune(dst[nDst:], 0xFF61+rune(c-0xA1))
			nSrc++
		case li >= 0:
			if nSrc+1 >= len(src) {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				nDst = d.putBad(dst, nDst)
				nSrc++
				continue
			}
			t := src[nSrc+1]
			var r uint16
			if ti := sjisTrailIndex(t); ti >= 0 {
				r = d.t.sjis[li*sjisTrails+ti]
			}
			if r == 0 {
				nDst = d.putBad(dst, nDst)
				// An ASCII byte after a lead byte is read again as ASCII.
				nSrc++
				if t >= utf8.RuneSelf {
					nSrc++
				}
				continue
			}
			nDst += utf8.EncodeRune(dst[nDst:], rune(r))
			nSrc += 2
		case c == 0x80:
			nDst += utf8.EncodeRune(dst[nDst:], 0x80)
			nSrc++
		default: // 0xA0, 0xFD–0xFF
			nDst = d.putBad(dst, nDst)
			nSrc++
		}
	}
	return nDst, nSrc, nil
}

func inGR(b byte) bool { return 0xA1 <= b && b <= 0xFE }

func (d *decoder) eucjp(dst, src []byte, nSrc int, atEOF bool) (nDst, _ int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst == len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			n := asciiRun(dst[nDst:], src[nSrc:])
			nDst += n
			nSrc += n
			continue
		}
		if len(dst)-nDst < utf8.UTFMax {
			return nDst, nSrc, transform.ErrShortDst
		}
		want := 2
		if c == 0x8F {
			want = 3
		}
		if c != 0x8E && c != 0x8F && !inGR(c) {
			nDst = d.putBad(dst, nDst)
			nSrc++
			continue
		}
		avail := min(want, len(src)-nSrc)
		if avail < want && !atEOF {
			return nDst, nSrc, transform.ErrShortSrc
		}
		// Count the trail bytes that fit; an invalid one is read again.
		ok := 1
		for ok < avail && inGR(src[nSrc+ok]) {
			ok++
		}
		var r rune
		if ok == want {
			switch c {
			case 0x8E:
				if t := src[nSrc+1]; t <= 0xDF {
					r = 0xFF61 + rune(t-0xA1)
				}
			case 0x8F:
				r = rune(d.t.jis0212[int(src[nSrc+1]-0xA1)*94+int(src[nSrc+2]-0xA1)])
			default:
				r = rune(d.t.jis0208[int(c-0xA1)*94+int(src[nSrc+1]-0xA1)])
			}
		}
		if r == 0 {
			nDst = d.putBad(dst, nDst)
			nSrc += ok
			continue
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += want
	}
	return nDst, nSrc, nil
}

const (
	esc = 0x1B
	so  = 0x0E
	si  = 0x0F
)

// escape parses an ISO-2022 escape sequence at the start of b (b[0] is
// ESC). It returns its length and the mode it selects (-1: none, for the
// announcer ESC & @), or n 0 when b is too short to tell, or ok false when
// it is not a sequence we know.
func escape(b []byte) (n, mode int, ok bool) {
	if len(b) < 3 {
		if len(b) == 1 || b[1] == '(' || b[1] == '$' || b[1] == '&' {
			return 0, 0, true
		}
		return 0, 0, false
	}
	switch b[1] {
	case '(':
		switch b[2] {
		case 'B', 'J', 'H':
			return 3, modeASCII, true
		case 'I':
			return 3, modeKana, true
		}
	case '$':
		switch b[2] {
		case '@', 'B':
			return 3, mode0208, true
		case '(':
			if len(b) < 4 {
				return 0, 0, true
			}
			if b[3] == 'D' {
				return 4, mode0212, true
			}
		}
	case '&':
		if b[2] == '@' {
			return 3, -1, true
		}
	}
	return 0, 0, false
}

func (d *decoder) iso2022jp(dst, src []byte, nSrc int, atEOF bool) (nDst, _ int, err error) {
	for nSrc < len(src) {
		if len(dst)-nDst < utf8.UTFMax {
			return nDst, nSrc, transform.ErrShortDst
		}
		c := src[nSrc]
		switch {
		case c == esc:
			n, mode, ok := escape(src[nSrc:])
			if ok && n == 0 {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				ok = false
			}
			if !ok {
				nDst = d.putBad(dst, nDst)
				nSrc++
				continue
			}
			if mode >= 0 {
				d.mode = uint8(mode)
			}
			nSrc += n
			continue
		case c == so:
			d.so = true
			nSrc++
			continue
		case c == si:
			d.so = false
			nSrc++
			continue
		case c >= utf8.RuneSelf:
			nDst = d.putBad(dst, nDst)
			nSrc++
			continue
		case c <= ' ' || c == 0x7F:
			// Controls and space pass in any mode; a line ends the
			// designation, as mail software writes it.
			if c == '\n' {
				d.mode, d.so = modeASCII, false
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		switch {
		case d.so || d.mode == modeKana:
			if c > 0x5F {
				nDst = d.putBad(dst, nDst)
				nSrc++
				continue
			}
			nDst += utf8.EncodeRune(dst[nDst:], 0xFF61+rune(c-0x21))
			nSrc++
		case d.mode == modeASCII:
			// Copy up to the next byte this mode treats specially.
			j, end := nSrc, nSrc+min(len(src)-nSrc, len(dst)-nDst)
			for j < end {
				if b := src[j]; b >= utf8.RuneSelf || b == esc || b == so || b == si || b == '\n' {
					break
				}
				j++
			}
			nDst += copy(dst[nDst:], src[nSrc:j])
			nSrc = j
		default:
			if nSrc+1 >= len(src) {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				nDst = d.putBad(dst, nDst)
				nSrc++
				continue
			}
			t := src[nSrc+1]
			if t < 0x21 || t > 0x7E {
				nDst = d.putBad(dst, nDst)
				nSrc++
				continue
			}
			i := int(c-0x21)*94 + int(t-0x21)
			r := d.t.jis0208[i]
			if d.mode == mode0212 {
				r = d.t.jis0212[i]
			}
			if r == 0 {
				nDst = d.putBad(dst, nDst)
				nSrc += 2
				continue
			}
			nDst += utf8.EncodeRune(dst[nDst:], rune(r))
			nSrc += 2
		}
	}
	return nDst, nSrc, nil
}

func (d *decoder) cp1252(dst, src []byte, nSrc int, _ bool) (nDst, _ int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst == len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			n := asciiRun(dst[nDst:], src[nSrc:])
			nDst += n
			nSrc += n
			continue
		}
		if len(dst)-nDst < utf8.UTFMax {
			return nDst, nSrc, transform.ErrShortDst
		}
		r := rune(c)
		if c < 0xA0 {
			r = rune(d.t.cp1252[c-0x80])
		}
		if r == 0 {
			nDst = d.putBad(dst, nDst)
		} else {
			nDst += utf8.EncodeRune(dst[nDst:], r)
		}
		nSrc++
	}
	return nDst, nSrc, nil
}
