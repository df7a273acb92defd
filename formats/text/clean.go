package text

import (
	"io"

	"golang.org/x/text/transform"
)

// Cleaner removes, from UTF-8 text as it is read, the characters that can
// hide or disguise content:
//
//   - C0 control characters other than TAB, LF and CR, DEL (U+007F) and the
//     C1 controls U+0080–U+009F;
//   - the bidirectional embedding, override and isolate controls U+202A–U+202E
//     and U+2066–U+2069 (the "請求書\u202Efdp.exe" trick; CVE-2021-42574);
//   - a byte order mark (U+FEFF) before any other output.
//
// Line endings: LF and CRLF are kept as they are; a lone CR becomes LF, so
// the line structure survives and no line can overwrite another on a
// terminal. Nothing else changes: no normalisation (NFC or otherwise), and the
// marks U+200E/U+200F and other format characters are kept.
//
// The output of a Cleaner, cleaned again, is unchanged. The input must be
// valid UTF-8 (a Decoder's output is); other bytes pass through.
//
// A Cleaner is not safe for concurrent use. It does not close r.
type Cleaner struct {
	c *cleaner
	r *pipe
}

// NewCleaner returns a Cleaner reading UTF-8 text from r.
func NewCleaner(r io.Reader) *Cleaner {
	c := new(cleaner)
	return &Cleaner{c: c, r: newPipe(r, c)}
}

// Read implements io.Reader.
func (c *Cleaner) Read(p []byte) (int, error) { return c.r.Read(p) }

// Stats reports what the Cleaner has changed so far.
func (c *Cleaner) Stats() CleanStats { return c.c.stats }

// CleanStats counts what a Cleaner changed. Line numbers are 1-based lines of
// the output (lines end at LF); 0 means there was nothing.
type CleanStats struct {
	Controls         int64 // control characters removed
	FirstControlLine int64
	LoneCR           int64 // lone CRs turned into LF
	FirstLoneCRLine  int64
	Bidi             int64 // bidirectional controls removed
	FirstBidiLine    int64
	BOM              bool // a leading U+FEFF was removed
}

// Byte classes for the cleaner's scan.
const (
	clPlain = iota
	clLF
	clCR
	clControl
	clC2 // may start a C1 control
	clE2 // may start a bidirectional control
	clEF // may start U+FEFF (only before any output)
)

var classAfter, classBefore [256]uint8

func init() {
	for b := range 0x20 {
		classAfter[b] = clControl
	}
	classAfter['\t'] = clPlain
	classAfter['\n'] = clLF
	classAfter['\r'] = clCR
	classAfter[0x7F] = clControl
	classAfter[0xC2] = clC2
	classAfter[0xE2] = clE2
	classBefore = classAfter
	classBefore[0xEF] = clEF
}

type cleaner struct {
	started bool  // something has been written
	lines   int64 // LFs written so far
	stats   CleanStats
}

// Reset implements transform.Transformer. It keeps the counters.
func (c *cleaner) Reset() {}

func (c *cleaner) line() int64 { return c.lines + 1 }

// Transform implements transform.Transformer.
func (c *cleaner) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	class := &classAfter
	if !c.started {
		class = &classBefore
	}
	for nSrc < len(src) {
		i := nSrc
		for i < len(src) && class[src[i]] == clPlain {
			i++
		}
		if i > nSrc {
			n := copy(dst[nDst:], src[nSrc:i])
			nDst += n
			nSrc += n
			if n > 0 && !c.started {
				c.started, class = true, &classAfter
			}
			if nSrc < i {
				return nDst, nSrc, transform.ErrShortDst
			}
			continue
		}
		// need reports whether n bytes are there to look at; when they
		// cannot be yet, the caller returns ErrShortSrc.
		rest := src[nSrc:]
		short := func(n int) bool { return len(rest) < n && !atEOF }
		emit := func(b ...byte) bool {
			if len(dst)-nDst < len(b) {
				return false
			}
			nDst += copy(dst[nDst:], b)
			if !c.started {
				c.started, class = true, &classAfter
			}
			return true
		}
		switch class[rest[0]] {
		case clLF:
			if !emit('\n') {
				return nDst, nSrc, transform.ErrShortDst
			}
			c.lines++
			nSrc++
		case clCR:
			if short(2) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if len(rest) >= 2 && rest[1] == '\n' {
				if !emit('\r', '\n') {
					return nDst, nSrc, transform.ErrShortDst
				}
				c.lines++
				nSrc += 2
				continue
			}
			if !emit('\n') {
				return nDst, nSrc, transform.ErrShortDst
			}
			c.stats.LoneCR++
			if c.stats.FirstLoneCRLine == 0 {
				c.stats.FirstLoneCRLine = c.line()
			}
			c.lines++
			nSrc++
		case clControl:
			c.control()
			nSrc++
		case clC2:
			if short(2) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if len(rest) >= 2 && 0x80 <= rest[1] && rest[1] <= 0x9F {
				c.control()
				nSrc += 2
				continue
			}
			if !emit(rest[0]) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nSrc++
		case clE2:
			if short(3) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if len(rest) >= 3 && isBidi(rest[1], rest[2]) {
				c.stats.Bidi++
				if c.stats.FirstBidiLine == 0 {
					c.stats.FirstBidiLine = c.line()
				}
				nSrc += 3
				continue
			}
			if !emit(rest[0]) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nSrc++
		case clEF:
			if short(3) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if len(rest) >= 3 && rest[1] == 0xBB && rest[2] == 0xBF {
				c.stats.BOM = true
				nSrc += 3
				continue
			}
			if !emit(rest[0]) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nSrc++
		}
	}
	return nDst, nSrc, nil
}

func (c *cleaner) control() {
	c.stats.Controls++
	if c.stats.FirstControlLine == 0 {
		c.stats.FirstControlLine = c.line()
	}
}

// isBidi reports whether E2 b1 b2 encodes U+202A–U+202E or U+2066–U+2069.
func isBidi(b1, b2 byte) bool {
	return (b1 == 0x80 && 0xAA <= b2 && b2 <= 0xAE) || (b1 == 0x81 && 0xA6 <= b2 && b2 <= 0xA9)
}

// IsBidiControl reports whether r is one of the bidirectional controls a
// Cleaner removes: U+202A–U+202E and U+2066–U+2069.
func IsBidiControl(r rune) bool {
	return (0x202A <= r && r <= 0x202E) || (0x2066 <= r && r <= 0x2069)
}

// IsRemovedControl reports whether r is a control character a Cleaner
// removes: C0 controls other than TAB, LF and CR, DEL and the C1 controls.
func IsRemovedControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (0x7F <= r && r <= 0x9F)
}
