package html

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/mugai-project/mugai/sanitize"
)

// maxLine is how much of one output line is buffered; a longer line is
// written in pieces (its trailing spaces held back), so memory stays flat
// even for a document that is one endless paragraph.
const maxLine = 64 << 10

var newline = []byte{'\n'}

// maxCapture bounds the text kept per anchor to compare with its target.
const maxCapture = 2 << 10

// marker is a list item's bullet or number, shown on the item's first line
// in place of the pad the item adds to the prefix of its other lines.
type marker struct {
	at, pad int
	text    string
}

// out turns a stream of text, breaks and inline words into lines. It
// collapses white space like a browser (outside preformatted text), keeps at
// most one blank line in a row, trims trailing spaces, prefixes lines for
// quotes and lists, and drops control and bidi characters. Every byte it
// writes is valid UTF-8 with LF line ends.
type out struct {
	w      io.Writer
	n, max int64 // bytes written, bound (0: none)
	err    error
	defang bool
	stats  *Stats
	inLine *int // input line, for findings

	prefix  []byte   // prefix for lines started now: quotes and list pads
	markers []marker // list markers not shown yet, by position in prefix

	buf     []byte // the open line's content not yet written
	open    bool   // a line is open: its prefix is chosen
	flushed bool   // part of the open line was written
	lprefix []byte // the open line's prefix, markers applied
	lpad    []byte // the open line's prefix without markers
	lastPad []byte // lpad of the last written line
	wrote   bool   // some line was written
	blank   bool   // a blank line is wanted before the next line

	space   bool // a collapsible space is pending
	spaceNL bool // the pending white space had a line break in it
	lt      bool // the open line ends in a '<' that may start a tag-like sequence
	sep     bool // a table cell separator is pending
	last    rune // last rune on the open line

	title        []byte
	titlePending bool

	capture *[]byte // text of the innermost shown anchor, or nil

	tmp []byte
}

func (o *out) write(b []byte) {
	if o.err != nil || len(b) == 0 {
		return
	}
	if o.max > 0 && o.n+int64(len(b)) > o.max {
		o.err = fmt.Errorf("html: output over %d bytes: %w", o.max, sanitize.ErrTooLarge)
		return
	}
	n, err := o.w.Write(b)
	o.n += int64(n)
	if err != nil {
		o.err = err
	}
}

// openLine chooses the prefix of a new line.
func (o *out) openLine() {
	o.lpad = append(o.lpad[:0], o.prefix...)
	o.lprefix = o.lprefix[:0]
	pos := 0
	for _, m := range o.markers {
		o.lprefix = append(o.lprefix, o.prefix[pos:m.at]...)
		o.lprefix = append(o.lprefix, m.text...)
		pos = m.at + m.pad
	}
	o.lprefix = append(o.lprefix, o.prefix[pos:]...)
	o.markers = o.markers[:0]
	o.open, o.flushed = true, false
	o.last = 0
	o.lt = false
}

// startWrite writes what comes before the first bytes of the open line: the
// title, a blank line, the prefix.
func (o *out) startWrite() {
	if o.titlePending {
		o.writeTitle()
	}
	if o.blank && o.wrote {
		n := 0
		for n < len(o.lastPad) && n < len(o.lpad) && o.lastPad[n] == o.lpad[n] {
			n++
		}
		o.write(bytes.TrimRight(o.lpad[:n], " "))
		o.write(newline)
	}
	o.blank = false
	o.write(o.lprefix)
	o.flushed = true
}

func (o *out) writeTitle() {
	o.titlePending = false
	o.writeContent(o.title)
	o.write(newline)
	o.wrote, o.blank = true, true
	o.lastPad = o.lastPad[:0]
}

func (o *out) writeContent(b []byte) {
	if o.defang {
		o.tmp = defang(o.tmp[:0], b)
		b = o.tmp
	}
	o.write(b)
}

// endLine ends the open line, if any.
func (o *out) endLine() {
	o.space, o.spaceNL, o.sep = false, false, false
	if !o.open {
		return
	}
	o.open = false
	o.buf = bytes.TrimRight(o.buf, " \t")
	if len(o.buf) == 0 && !o.flushed {
		// A line of nothing (preformatted spaces): it counts as blank.
		o.blank = true
		return
	}
	if o.titlePending && !o.flushed && bytes.Equal(o.title, o.buf) {
		o.titlePending = false
	}
	if !o.flushed {
		o.startWrite()
	}
	o.writeContent(o.buf)
	o.write(newline)
	o.buf = o.buf[:0]
	o.lastPad = append(o.lastPad[:0], o.lpad...)
	o.wrote = true
}

// partialFlush writes the open line's content but its trailing spaces.
func (o *out) partialFlush() {
	k := len(bytes.TrimRight(o.buf, " \t"))
	if o.lt {
		k = min(k, len(o.buf)-1) // the '<' may still become '＜'
	}
	if k == 0 {
		o.buf = o.buf[:0] // a huge run of preformatted spaces: drop it
		return
	}
	if !o.flushed {
		o.startWrite()
	}
	o.writeContent(o.buf[:k])
	o.buf = o.buf[:copy(o.buf, o.buf[k:])]
}

func (o *out) lineBreak() { o.endLine() }

func (o *out) paraBreak() {
	o.endLine()
	o.blank = true
}

// br is <br>: it ends the open line, or makes an empty one.
func (o *out) br() {
	if o.open {
		o.endLine()
	} else {
		o.blank = true
	}
}

func (o *out) appendBytes(b ...byte) {
	o.lt = false
	o.buf = append(o.buf, b...)
	if o.capture != nil && len(*o.capture) < maxCapture {
		*o.capture = append(*o.capture, b...)
	}
	if len(o.buf) > maxLine {
		o.partialFlush()
	}
}

func (o *out) appendRune(r rune) {
	o.lt = false
	o.buf = utf8.AppendRune(o.buf, r)
	if o.capture != nil && len(*o.capture) < maxCapture {
		*o.capture = utf8.AppendRune(*o.capture, r)
	}
	if len(o.buf) > maxLine {
		o.partialFlush()
	}
}

// before prepares the open line for visible rune r: it opens a line or
// writes the pending separator or space.
func (o *out) before(r rune) {
	switch {
	case !o.open:
		o.openLine()
	case o.sep:
		o.appendBytes([]byte(" | ")...)
	case o.space && !(o.spaceNL && wide(o.last) && wide(r)):
		o.appendBytes(' ')
	}
	o.space, o.spaceNL, o.sep = false, false, false
	o.last = r
}

// cellSep asks for " | " before the next visible text on the same line.
func (o *out) cellSep() {
	if o.open {
		o.sep = true
	}
}

// softSpace asks for a collapsible space.
func (o *out) softSpace() { o.space = true }

// text writes text content; pre keeps white space and line breaks.
func (o *out) text(s []byte, pre bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
				o.white(c, pre)
			case c < 0x20 || c == 0x7f:
				o.stats.add(rControl, *o.inLine)
			default:
				if pre {
					o.preOpen()
				} else {
					o.before(rune(c))
				}
				if o.lt && tagStart(c) {
					// "<b", "</", "<!", "<?": no tag-like text, so no viewer
					// or type sniffer takes the text for markup.
					o.buf = append(o.buf[:len(o.buf)-1], "＜"...)
				}
				o.lt = c == '<'
				o.buf = append(o.buf, c)
				if o.capture != nil && len(*o.capture) < maxCapture {
					*o.capture = append(*o.capture, c)
				}
				if len(o.buf) > maxLine {
					o.partialFlush()
				}
			}
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		i += n
		o.rune(r, n, pre)
	}
}

func (o *out) rune(r rune, n int, pre bool) {
	switch {
	case r == utf8.RuneError && n == 1:
		o.stats.add(rInvalid, *o.inLine)
	case r >= 0x80 && r <= 0x9f:
		o.stats.add(rControl, *o.inLine)
		return
	case bidiControl(r):
		o.stats.add(rBidi, *o.inLine)
		return
	case r == 0xfeff: // a stray byte order mark
		return
	case r == 0x2028 || r == 0x2029:
		o.white('\n', pre)
		return
	case r == 0xa0: // no-break space: a space that does not collapse
		if pre {
			o.preOpen()
		} else {
			if !o.open {
				return
			}
			o.before(r)
		}
		o.appendBytes(' ')
		return
	}
	if pre {
		o.preOpen()
	} else {
		o.before(r)
	}
	o.appendRune(r)
}

func (o *out) white(c byte, pre bool) {
	if !pre {
		o.space = true
		if c == '\n' {
			o.spaceNL = true
		}
		return
	}
	switch c {
	case '\n':
		if o.open {
			o.endLine()
		} else {
			o.blank = true
		}
	case ' ', '\t':
		o.preOpen()
		o.appendBytes(c)
	}
}

func (o *out) preOpen() {
	if !o.open {
		o.openLine()
	}
	o.space, o.spaceNL, o.sep = false, false, false
}

// word writes a piece of our own making ("[画像: …]", "----", a link target)
// as visible inline text. Spaces inside it do not collapse.
func (o *out) word(s string) {
	for _, r := range s {
		if r == ' ' {
			if o.open {
				o.appendBytes(' ')
			}
			continue
		}
		o.before(r)
		o.appendRune(r)
	}
}

// finish ends the last line and writes a title that is still pending.
func (o *out) finish() error {
	o.endLine()
	if o.titlePending {
		o.writeTitle()
	}
	return o.err
}

// tagStart reports the bytes that make a preceding '<' start a tag, an end
// tag, a comment, a doctype or a processing instruction.
func tagStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '!' || c == '?'
}

// bidiControl reports the explicit bidi formatting characters (embeddings,
// overrides, isolates) and the implicit marks.
func bidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// wide reports East Asian wide, fullwidth and halfwidth characters other
// than Hangul: a line break between two of them is dropped rather than
// turned into a space (CSS Text 3, segment break transformation), so that
// Japanese source wrapped over lines reads as one sentence.
func wide(r rune) bool {
	if r <= 0x11ff || r >= 0x3130 && r <= 0x318f || r >= 0xa960 && r <= 0xa97f || r >= 0xac00 && r <= 0xd7ff {
		return false // Latin, …, and Hangul
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth, width.EastAsianHalfwidth:
		return true
	}
	return false
}

// cleanInline collapses white space and drops control, bidi and invisible
// characters in a short piece of text from an attribute or the title. It
// also turns '<' and '>' into their fullwidth forms and the colon of
// "…script:" into a fullwidth colon, so that attribute text never shows as
// "<script" or "javascript:". Counts go to st.
func cleanInline(dst, s []byte, limit int, st *Stats, line int, attr bool) []byte {
	var space bool
	return cleanInlineSpace(dst, s, limit, st, line, attr, &space)
}

// cleanInlineSpace is cleanInline for text that comes in pieces: *space
// carries a pending space from one piece to the next.
func cleanInlineSpace(dst, s []byte, limit int, st *Stats, line int, attr bool, pending *bool) []byte {
	space := *pending
	defer func() { *pending = space }()
	for i := 0; i < len(s); {
		if len(dst) >= limit {
			break
		}
		r, n := utf8.DecodeRune(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			st.add(rInvalid, line)
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == 0xa0 || r == 0x2028 || r == 0x2029:
			space = len(dst) > 0
			continue
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			st.add(rControl, line)
			continue
		case bidiControl(r):
			st.add(rBidi, line)
			continue
		case r == 0xfeff:
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		if r < utf8.RuneSelf && tagStart(byte(r)) && len(dst) > 0 && dst[len(dst)-1] == '<' {
			dst = append(dst[:len(dst)-1], "＜"...)
		}
		if attr {
			switch {
			case r == '<':
				r = '＜'
			case r == '>':
				r = '＞'
			case r == ':' && endsWithScript(dst):
				r = '：'
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}
