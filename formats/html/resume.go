package html

import (
	"bytes"
	"io"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Long tokens.
//
// x/net/html's Tokenizer buffers a whole token: a run of text, a script, a
// tag with all its attributes. SetMaxBuf bounds that buffer, but a token
// that reaches the bound ends tokenizing for good (ErrBufferExceeded). A
// legitimate page can have such tokens (a long <pre>, an inline image as a
// data: URL in a mail), so instead of failing we take over at that point:
//
//   - text (also the raw text of script, style, textarea, …) is converted up
//     to a safe cut (not inside a character, an entity or a "</"), the rest
//     is pushed back, and a new tokenizer starts on it, in the same raw-text
//     state when there was one (we feed it a synthetic start tag and skip it);
//   - a comment or doctype is skipped to its end by a small scanner;
//   - a tag is read by tagScan, which keeps the name and the first
//     maxAttrValue bytes of the attribute values the converter looks at, and
//     then the tag is handled as usual.
//
// Each take-over consumes at least MaxToken bytes of input and copies at most
// the tokenizer's buffer, so the work stays linear in the input.

const maxAttrValue = 64 << 10

// pushback is the reader under the tokenizer; bytes the converter takes back
// from a tokenizer are read again first.
type pushback struct {
	buf []byte
	r   io.Reader
	err error // a read error the scanners met
}

func (p *pushback) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.r.Read(b)
	if err != nil {
		p.err = err
	}
	return n, err
}

// unread puts the parts, in order, in front of what is left. It copies them.
func (p *pushback) unread(parts ...[]byte) {
	n := len(p.buf)
	for _, b := range parts {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	for _, b := range parts {
		buf = append(buf, b...)
	}
	p.buf = append(buf, p.buf...)
}

// overflow handles a text, comment or doctype token that reached MaxToken.
func (c *converter) overflow(tt html.TokenType, raw []byte) {
	buffered := c.z.Buffered()
	switch tt {
	case html.TextToken:
		cut := textCut(raw)
		piece, rest := raw[:cut], raw[cut:]
		c.src.unread(rest, buffered)
		c.line -= bytes.Count(rest, []byte{'\n'})
		rawEl := c.raw
		preFirst := c.preFirst
		c.preFirst = false
		switch rawEl {
		case 0:
			c.text(unescapeText(piece), preFirst)
		case atom.Title, atom.Textarea:
			c.rawText(rawEl, unescapeText(nulToFFFD(piece)), preFirst)
		default:
			c.rawText(rawEl, newlines(nulToFFFD(piece)), preFirst)
		}
		c.raw = rawEl
		name := ""
		if rawEl != 0 {
			name = rawEl.String()
		}
		c.newTokenizer(name)
	case html.CommentToken, html.DoctypeToken:
		if tt == html.CommentToken {
			c.stats.add(rComment, c.tokLine)
		}
		c.src.unread(buffered)
		// The byte that reached the bound may have ended the token.
		switch {
		case bytes.HasPrefix(raw, []byte("<!--")) && len(raw) >= 7 &&
			(bytes.HasSuffix(raw, []byte("-->")) || bytes.HasSuffix(raw, []byte("--!>"))):
		case !bytes.HasPrefix(raw, []byte("<!--")) && bytes.HasSuffix(raw, []byte(">")):
		case bytes.HasPrefix(raw, []byte("<!--")):
			dashes, bang := 0, false
			body := raw[4:]
			if bytes.HasSuffix(body, []byte("--!")) {
				dashes, bang = 2, true
			} else {
				for k := len(body) - 1; k >= 0 && body[k] == '-'; k-- {
					dashes++
				}
			}
			c.skip(func(b byte) bool {
				switch {
				case b == '>' && (dashes >= 2 || bang):
					return true
				case b == '-':
					dashes++
					bang = false
				case b == '!' && dashes >= 2:
					bang = true
					dashes = 0
				default:
					dashes, bang = 0, false
				}
				return false
			})
		default:
			c.skip(func(b byte) bool { return b == '>' })
		}
		c.newTokenizer("")
	default:
		// Tags overflow as ErrorToken (overflowTag); nothing else should
		// get here. Drop the token and go on.
		c.src.unread(buffered)
		c.newTokenizer("")
	}
}

// textCut returns where to cut a text token that overflowed: before a '<'
// or '&' near its end (it may start a tag or an entity), else before an
// incomplete UTF-8 sequence at its end, else at its end.
func textCut(raw []byte) int {
	n := len(raw)
	lo := max(0, n-40)
	if i := bytes.LastIndexAny(raw[lo:], "<&"); i >= 0 && lo+i > 0 {
		return lo + i
	}
	for k := n - 1; k >= 1 && k >= n-utf8.UTFMax; k-- {
		if utf8.RuneStart(raw[k]) {
			if !utf8.FullRune(raw[k:]) {
				return k
			}
			break
		}
	}
	if n > 1 && raw[n-1] == '\r' {
		return n - 1 // keep "\r\n" together
	}
	return n
}

func nulToFFFD(b []byte) []byte {
	if bytes.IndexByte(b, 0) < 0 {
		return b
	}
	return bytes.ReplaceAll(b, []byte{0}, []byte("\uFFFD"))
}

// newlines turns "\r\n" and a lone "\r" into "\n", as the tokenizer does.
func newlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

// unescapeText decodes character references in a piece of text the way the
// tokenizer's Text does.
func unescapeText(b []byte) []byte {
	b = newlines(b)
	if bytes.IndexByte(b, '&') < 0 {
		return b
	}
	return []byte(html.UnescapeString(string(b)))
}

// unescapeAttr decodes the character references of an attribute value that
// end in ';' (and numeric ones); a named reference without ';' stays as is,
// as in a URL's "&copy=1".
func unescapeAttr(b []byte) []byte {
	if bytes.IndexByte(b, '&') < 0 {
		return b
	}
	var out []byte
	for {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			return append(out, b...)
		}
		out = append(out, b[:i]...)
		b = b[i:]
		j := 1
		if j < len(b) && b[j] == '#' {
			j++
			for j < len(b) && j < 12 && (b[j] >= '0' && b[j] <= '9' || b[j] >= 'a' && b[j] <= 'f' || b[j] >= 'A' && b[j] <= 'F' || b[j] == 'x' || b[j] == 'X') {
				j++
			}
			if j < len(b) && b[j] == ';' {
				j++
			}
		} else {
			for j < len(b) && j < 40 && (b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || b[j] >= '0' && b[j] <= '9') {
				j++
			}
			if j >= len(b) || b[j] != ';' {
				out = append(out, b[:j]...)
				b = b[j:]
				continue
			}
			j++
		}
		out = append(out, html.UnescapeString(string(b[:j]))...)
		b = b[j:]
	}
}

// skip reads and drops input up to and including the byte for which done
// returns true, or to the end.
func (c *converter) skip(done func(byte) bool) {
	var buf [4096]byte
	for {
		n, err := c.src.Read(buf[:])
		for i := range n {
			if done(buf[i]) {
				c.line += bytes.Count(buf[:i+1], []byte{'\n'})
				c.src.unread(buf[i+1 : n])
				return
			}
		}
		c.line += bytes.Count(buf[:n], []byte{'\n'})
		if err != nil || c.ctx.Err() != nil {
			return
		}
	}
}

// overflowTag reads a start or end tag that reached MaxToken with tagScan
// and handles it.
func (c *converter) overflowTag(raw []byte) {
	c.src.unread(c.z.Buffered())
	c.preFirst, c.skipStart = false, false
	var s tagScan
	body := raw
	if len(body) > 0 && body[0] == '<' {
		body = body[1:]
	}
	if len(body) > 0 && body[0] == '/' {
		s.end = true
		body = body[1:]
	}
	if len(body) == 0 || !(body[0] >= 'a' && body[0] <= 'z' || body[0] >= 'A' && body[0] <= 'Z') {
		// Not a tag after all; drop it.
		c.newTokenizer("")
		return
	}
	_, done := s.feed(body)
	if !done {
		var buf [4096]byte
		for !done {
			n, err := c.src.Read(buf[:])
			var k int
			k, done = s.feed(buf[:n])
			c.line += bytes.Count(buf[:k], []byte{'\n'})
			if done {
				c.src.unread(buf[k:n])
			}
			if err != nil || c.ctx.Err() != nil {
				break
			}
		}
	}
	if !done {
		// The input ended inside the tag: like the tokenizer, drop it.
		c.newTokenizer("")
		return
	}
	a := atom.Lookup(s.name)
	c.raw = 0
	if s.end {
		c.endTag(a, s.name)
	} else {
		c.at.reset()
		for i := range s.n {
			c.at.add([]byte(s.keys[i]), unescapeAttr(s.vals[i]))
		}
		c.at.events = s.events
		c.startTag(a, s.name, s.slash, &c.at)
	}
	name := ""
	if c.raw != 0 {
		name = c.raw.String()
	}
	c.newTokenizer(name)
}

// tagScan reads a tag after its '<' or "</", following the tokenizer's
// rules for names, attribute keys and quoted and unquoted values.
type tagScan struct {
	end   bool
	state uint8
	name  []byte
	key   []byte
	keep  bool // the value of the current attribute is kept
	quote byte
	slash bool // the last thing before '>' was a '/'

	n      int
	keys   [len(keptAttrs)]string
	vals   [len(keptAttrs)][]byte
	seen   uint16
	events int
	evSeen map[string]bool // event attribute names, as the tokenizer keeps only the first of a name
}

var keptAttrs = [...]string{"hidden", "open", "style", "href", "src", "alt", "width", "height", "start", "value", "http-equiv"}

const (
	tsName uint8 = iota
	tsBeforeAttr
	tsKey
	tsAfterKey
	tsBeforeVal
	tsQuoted
	tsUnquoted
)

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// feed consumes b and reports how much it used and whether the tag ended.
func (s *tagScan) feed(b []byte) (int, bool) {
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch s.state {
		case tsName:
			switch {
			case isWS(ch):
				s.state = tsBeforeAttr
			case ch == '/':
				s.state = tsBeforeAttr
				s.slash = true
			case ch == '>':
				return i + 1, true
			case len(s.name) < 64:
				s.name = append(s.name, lower(ch))
			}
		case tsBeforeAttr:
			switch {
			case isWS(ch):
			case ch == '/':
				s.slash = true
			case ch == '>':
				return i + 1, true
			default:
				s.slash = false
				s.key = append(s.key[:0], lower(ch))
				s.state = tsKey
			}
		case tsKey:
			switch {
			case ch == '=':
				s.beginValue()
				s.state = tsBeforeVal
			case isWS(ch):
				s.state = tsAfterKey
			case ch == '/':
				s.endAttr()
				s.slash = true
				s.state = tsBeforeAttr
			case ch == '>':
				s.endAttr()
				return i + 1, true
			case len(s.key) < 64:
				s.key = append(s.key, lower(ch))
			}
		case tsAfterKey:
			switch {
			case isWS(ch):
			case ch == '=':
				s.beginValue()
				s.state = tsBeforeVal
			case ch == '/':
				s.endAttr()
				s.slash = true
				s.state = tsBeforeAttr
			case ch == '>':
				s.endAttr()
				return i + 1, true
			default:
				s.endAttr()
				s.key = append(s.key[:0], lower(ch))
				s.state = tsKey
			}
		case tsBeforeVal:
			switch {
			case isWS(ch):
			case ch == '>':
				s.endAttr()
				return i + 1, true
			case ch == '"' || ch == '\'':
				s.quote = ch
				s.state = tsQuoted
			default:
				s.value(b[i : i+1])
				s.state = tsUnquoted
			}
		case tsQuoted:
			j := bytes.IndexByte(b[i:], s.quote)
			if j < 0 {
				s.value(b[i:])
				return len(b), false
			}
			s.value(b[i : i+j])
			i += j
			s.endAttr()
			s.state = tsBeforeAttr
		case tsUnquoted:
			switch {
			case isWS(ch):
				s.endAttr()
				s.state = tsBeforeAttr
			case ch == '>':
				s.endAttr()
				return i + 1, true
			default:
				s.value(b[i : i+1])
			}
		}
	}
	return len(b), false
}

// beginValue decides whether the current attribute's value is kept: only
// for attributes the converter reads, and only the first of each name.
func (s *tagScan) beginValue() {
	s.keep = false
	for k, name := range keptAttrs {
		if string(s.key) == name && s.seen&(1<<k) == 0 && !s.end {
			s.seen |= 1 << k
			s.keys[s.n] = name
			s.vals[s.n] = s.vals[s.n][:0]
			s.keep = true
			s.n++
			return
		}
	}
}

func (s *tagScan) value(b []byte) {
	if !s.keep {
		return
	}
	v := &s.vals[s.n-1]
	if room := maxAttrValue - len(*v); room > 0 {
		*v = append(*v, b[:min(len(b), room)]...)
	}
}

// endAttr ends the current attribute; one without '=' is kept with an
// empty value when the converter reads it ("hidden").
func (s *tagScan) endAttr() {
	if len(s.key) > 2 && s.key[0] == 'o' && s.key[1] == 'n' && !s.evSeen[string(s.key)] {
		if s.evSeen == nil {
			s.evSeen = make(map[string]bool)
		}
		if len(s.evSeen) < 1024 { // bounded memory for a hostile tag; past it, duplicates count
			s.evSeen[string(s.key)] = true
		}
		s.events++
	}
	if !s.keep && len(s.key) > 0 && s.state != tsQuoted && s.state != tsUnquoted && s.state != tsBeforeVal {
		s.beginValue()
	}
	s.keep = false
	s.key = s.key[:0]
}
