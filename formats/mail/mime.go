package mail

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
)

// The MIME reader is our own, lenient and bounded: a hostile or merely broken
// mail (bare LF or CR line endings, a missing closing boundary, a stray line
// between parts, a header line of many megabytes) must still give up its
// readable text, and no line or header is ever held whole when it is longer
// than a small buffer. go-message's textproto reader is strict on exactly
// these points and reads header lines without a bound, so only its charset
// tables are used (see charset.go).

const (
	lineBuf        = 64 << 10  // longer lines are read in pieces
	maxHeaderBytes = 256 << 10 // per header block; the rest of an oversized header is skipped
	maxFieldBytes  = 32 << 10  // per header field; longer values are cut
	maxFields      = 1000      // per header block
	maxBoundaryLen = 200       // RFC 2046 allows 70; some mailers exceed it
)

// eolReader turns CRLF and lone CR into LF, streaming, so the rest of the
// reader deals with one line ending. It works in the caller's buffer: the
// output is never longer than the input.
type eolReader struct {
	r      io.Reader
	pendCR bool // the previous chunk ended in CR
}

func (e *eolReader) Read(p []byte) (int, error) {
	for {
		n, err := e.r.Read(p)
		out, i := 0, 0
		if e.pendCR && n > 0 {
			e.pendCR = false
			if p[0] == '\n' {
				i = 1 // CRLF: the LF was already written for the CR
			}
		}
		for i < n {
			j := bytes.IndexByte(p[i:n], '\r')
			if j < 0 {
				out += copy(p[out:], p[i:n])
				break
			}
			out += copy(p[out:], p[i:i+j])
			p[out] = '\n'
			out++
			i += j + 1
			switch {
			case i == n:
				e.pendCR = true
			case p[i] == '\n':
				i++
			}
		}
		if out > 0 || err != nil {
			return out, err
		}
	}
}

// field is one header field: its name as written and its unfolded raw value.
type field struct {
	Name  string
	Value string
}

// header is a header block in order. Lookups are case-insensitive.
type header struct {
	fields    []field
	truncated bool // fields or bytes were dropped because of the limits
	malformed bool // a line that is not a field ended the header early
}

func (h *header) get(name string) string {
	for _, f := range h.fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

func (h *header) values(name string) []string {
	var out []string
	for _, f := range h.fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// mimeReader reads a message as a stream of lines with a stack of active
// multipart boundaries. Body reads stop at a line that is a delimiter of any
// enclosing multipart; the walker then learns which level it belongs to
// (hit) and whether it closes that level (final).
type mimeReader struct {
	br     *bufio.Reader
	bounds []string // "--" + boundary, outermost first

	hit   int  // level of the delimiter line that stopped the body, or -1
	final bool // that line was a close delimiter ("--b--")

	cur       []byte // bytes of the current line not yet returned
	scratch   []byte
	field     []byte // value of the header field being read
	lineStart bool   // the next byte read starts a line
	pendingNL bool   // a line ended; its LF is returned only if a body line follows
	err       error
	total     int64 // bytes consumed
}

func newMIMEReader(r io.Reader) *mimeReader {
	return &mimeReader{
		br:        getReader(&eolReader{r: r}),
		hit:       -1,
		lineStart: true,
	}
}

// release returns the reader's buffer to the pool; the reader is unusable
// afterwards.
func (m *mimeReader) release() {
	putReader(m.br)
	m.br = nil
}

// Buffered readers of lineBuf bytes are pooled: a small mail should not pay
// for zeroing 64 KiB buffers several times over.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, lineBuf) }}

func getReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	if br != nil {
		br.Reset(nil)
		readers.Put(br)
	}
}

// readLine returns the next line without its LF. long is true when the line
// was longer than the buffer and only its first piece is returned; the rest
// of it follows as further pieces with lineStart false. The returned slice is
// valid until the next call.
func (m *mimeReader) readLine() (line []byte, full bool, err error) {
	b, err := m.br.ReadSlice('\n')
	m.total += int64(len(b))
	switch {
	case err == nil:
		return b[:len(b)-1], true, nil
	case errors.Is(err, bufio.ErrBufferFull):
		return b, false, nil
	case len(b) > 0 && err == io.EOF:
		return b, true, nil // last line without LF
	}
	return nil, false, err
}

// match reports the level of the delimiter that line is, if any; innermost
// levels win.
func (m *mimeReader) match(line []byte) (level int, final bool) {
	if len(line) < 3 || line[0] != '-' || line[1] != '-' {
		return -1, false
	}
	t := bytes.TrimRight(line, " \t")
	for i := len(m.bounds) - 1; i >= 0; i-- {
		b := m.bounds[i]
		if !bytes.HasPrefix(t, []byte(b)) {
			continue
		}
		rest := t[len(b):]
		if len(rest) == 0 {
			return i, false
		}
		if string(rest) == "--" {
			return i, true
		}
	}
	return -1, false
}

// Read returns body bytes of the current part up to the next delimiter of an
// active boundary, then io.EOF. Line endings come out as LF; the line ending
// before a delimiter belongs to the delimiter and is not returned.
func (m *mimeReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(m.cur) > 0 {
			c := copy(p[n:], m.cur)
			m.cur = m.cur[c:]
			n += c
			continue
		}
		if m.hit >= 0 || m.err != nil {
			break
		}
		line, full, err := m.readLine()
		if err != nil {
			m.err = err
			break
		}
		if m.lineStart && len(m.bounds) > 0 {
			if lvl, fin := m.match(line); lvl >= 0 {
				m.hit, m.final = lvl, fin
				m.pendingNL = false
				m.lineStart = true
				break
			}
		}
		m.scratch = m.scratch[:0]
		if m.pendingNL {
			m.scratch = append(m.scratch, '\n')
		}
		m.scratch = append(m.scratch, line...)
		m.cur = m.scratch
		m.pendingNL = full
		m.lineStart = full
	}
	if n == 0 {
		if m.err != nil && m.err != io.EOF {
			return 0, m.err
		}
		if m.hit >= 0 || m.err != nil {
			return 0, io.EOF
		}
	}
	return n, nil
}

// drain discards the rest of the current body.
func (m *mimeReader) drain() error {
	_, err := io.Copy(io.Discard, m)
	return err
}

// resume clears the delimiter that stopped the last body, so reading goes on
// with the next part.
func (m *mimeReader) resume() {
	m.hit, m.final = -1, false
	m.cur = nil
	m.pendingNL = false
	m.lineStart = true
}

// push makes boundary the innermost active one. Boundaries that are empty,
// too long or equal to an active one are refused (the caller treats the
// part as a leaf).
func (m *mimeReader) push(boundary string) bool {
	if boundary == "" || len(boundary) > maxBoundaryLen {
		return false
	}
	d := "--" + boundary
	for _, b := range m.bounds {
		if b == d {
			return false
		}
	}
	m.bounds = append(m.bounds, d)
	return true
}

// pop removes the innermost boundary.
func (m *mimeReader) pop() { m.bounds = m.bounds[:len(m.bounds)-1] }

// readHeader reads a header block at the current position: fields until a
// blank line, the end of input, or a delimiter line. A line that is neither
// a field nor a continuation ends the header and is given back as the first
// body line (header.malformed). At the top of a message an mbox "From "
// line is skipped.
func (m *mimeReader) readHeader(limit int, top bool) header {
	var h header
	if top {
		h.fields = make([]field, 0, 16)
	}
	inField := false // a field is open; its value so far is in m.field
	size := 0
	var name string
	flush := func() {
		if !inField {
			return
		}
		if len(h.fields) < maxFields {
			h.fields = append(h.fields, field{Name: name, Value: string(bytes.TrimSpace(m.field))})
		} else {
			h.truncated = true
		}
		inField = false
	}
	add := func(b []byte) {
		if len(m.field)+len(b) > maxFieldBytes || size+len(b) > limit {
			h.truncated = true
			return
		}
		m.field = append(m.field, b...)
		size += len(b)
	}
	first := true
	for {
		line, full, err := m.readLine()
		if err != nil {
			m.err = err
			break
		}
		startOfLine := m.lineStart
		m.lineStart = full
		if !startOfLine {
			// The rest of an overlong line: keep what fits of it.
			if inField {
				add(line)
			} else {
				h.truncated = true
			}
			continue
		}
		if len(line) == 0 {
			break // the blank line ends the header
		}
		if len(m.bounds) > 0 {
			if lvl, fin := m.match(line); lvl >= 0 {
				m.hit, m.final = lvl, fin
				m.lineStart = true
				break
			}
		}
		if first && len(bytes.TrimLeft(line, " \t")) == 0 {
			continue // stray white space before the first field
		}
		if top && first && bytes.HasPrefix(line, []byte("From ")) {
			first = false
			continue
		}
		first = false
		if line[0] == ' ' || line[0] == '\t' {
			if inField {
				add(space)
				add(bytes.TrimLeft(line, " \t"))
				continue
			}
			if len(bytes.TrimLeft(line, " \t")) == 0 {
				break // a blank line with spaces also ends the header
			}
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validFieldName(bytes.TrimRight(line[:colon], " \t")) {
			// Not a field: the body starts here.
			flush()
			h.malformed = true
			m.cur = append([]byte(nil), line...)
			m.pendingNL = full
			return h
		}
		flush()
		name = fieldName(bytes.TrimRight(line[:colon], " \t"))
		m.field, inField = m.field[:0], true
		add(bytes.TrimLeft(line[colon+1:], " \t"))
	}
	flush()
	m.lineStart = true
	return h
}

var space = []byte{' '}

// commonFields are field names as mailers usually write them.
var commonFields = []string{
	"Received", "Return-Path", "From", "To", "Cc", "Reply-To", "Subject", "Date",
	"Message-ID", "Message-Id", "In-Reply-To", "References", "MIME-Version", "Mime-Version",
	"Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID",
	"X-Mugai-Outcome", "X-Mugai-Findings", "X-Mugai-Quarantine-ID",
}

// fieldName returns b as a string, without a copy when it is one of the
// common names as written.
func fieldName(b []byte) string {
	for _, n := range commonFields {
		if string(b) == n {
			return n
		}
	}
	return string(b)
}

func validFieldName(b []byte) bool {
	if len(b) == 0 || len(b) > 76 {
		return false
	}
	for _, c := range b {
		if c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}
