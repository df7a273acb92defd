package uue

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/mugai-project/mugai/sanitize"
)

// MaxLine is the longest line, line ending included, that Split examines;
// longer lines pass through as text.
const MaxLine = 64 << 10

// Default limits; see the package documentation.
const (
	DefaultMaxBlocks    = 100
	DefaultMaxBlockSize = 50 << 20
)

// Limits bound what Split accepts. A zero field takes its Default value.
type Limits struct {
	MaxBlocks    int   // blocks in one body, broken ones included
	MaxBlockSize int64 // decoded bytes of one block
}

func (l Limits) withDefaults() Limits {
	if l.MaxBlocks <= 0 {
		l.MaxBlocks = DefaultMaxBlocks
	}
	if l.MaxBlockSize <= 0 {
		l.MaxBlockSize = DefaultMaxBlockSize
	}
	return l
}

// Block is one uuencoded (or begin-base64) file found in a text.
type Block struct {
	Mode   string // octal mode as written, e.g. "644"
	Name   string // file name as written (bytes of the body, not decoded or cleaned)
	Base64 bool   // a begin-base64 block (uuencode -m)
	// Data is the decoded content; for a broken block, what decoded before
	// the break. It is not reused by Split.
	Data []byte
	// Line is the 1-based line number of the begin line (of the first
	// encoded line for lines reported under an earlier begin line; see the
	// package documentation).
	Line int
	// Err is nil for a complete block. Otherwise the block is broken or
	// truncated, and Err wraps sanitize.ErrMalformed: the caller must not
	// trust Data to be the whole file.
	Err error
}

// Split copies r to text with every uuencoded block removed, and calls fn
// with each block, in order. Split buffers its writes to text and flushes
// them before each call of fn and before it returns, so the text that
// precedes a block has reached text when fn is called for that block. See
// the package documentation for what counts as a block.
//
// Split returns fn's error, text's write error or r's read error as is, and
// an error wrapping sanitize.ErrTooLarge when a limit is exceeded. Broken
// blocks are not errors of Split: they reach fn with Block.Err set. After an
// error, what was written to text is incomplete.
func Split(r io.Reader, text io.Writer, lim Limits, fn func(Block) error) error {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	w := writers.Get().(*bufio.Writer)
	w.Reset(text)
	defer func() {
		br.Reset(nil)
		w.Reset(nil)
		readers.Put(br)
		writers.Put(w)
	}()
	s := &splitter{br: br, w: w, lim: lim.withDefaults(), fn: fn}
	if err := s.run(); err != nil {
		return err
	}
	return s.w.Flush()
}

// The line reader and the text writer are large (a whole line must fit) and
// Split runs for every text part of every message: they are pooled.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, MaxLine) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}
)

// begin is a parsed begin line kept past the read buffer.
type begin struct {
	raw    []byte // the line with its ending
	mode   string
	name   string
	base64 bool
	strict bool // 3 or 4 octal digits, as encoders write and mail readers require
	long   bool // the line was longer than MaxLine; name is cut
	line   int
}

type splitter struct {
	br  *bufio.Reader
	w   *bufio.Writer
	lim Limits
	fn  func(Block) error

	line   []byte // current line with its ending; valid until the next read
	long   bool   // line is the first MaxLine bytes of a longer line
	eof    bool   // no current line: the input is exhausted
	lineNo int    // number of the current line
	blocks int

	spare []*begin // reusable begin buffers
}

// next reads the next line.
func (s *splitter) next() error {
	if s.eof {
		return nil
	}
	line, err := s.br.ReadSlice('\n')
	switch {
	case err == nil:
		s.long = false
	case errors.Is(err, bufio.ErrBufferFull):
		s.long = true
	case err == io.EOF:
		s.long = false
		if len(line) == 0 {
			s.eof, s.line = true, nil
			return nil
		}
	default:
		return err
	}
	s.line = line
	s.lineNo++
	return nil
}

// skipLong reads past the current overlong line, writing all of it to text
// if write is set, and reads the next line.
func (s *splitter) skipLong(write bool) error {
	if write {
		if _, err := s.w.Write(s.line); err != nil {
			return err
		}
	}
	for {
		piece, err := s.br.ReadSlice('\n')
		if write {
			if _, werr := s.w.Write(piece); werr != nil {
				return werr
			}
		}
		switch {
		case err == nil:
			return s.next()
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			s.eof, s.line = true, nil
			return nil
		default:
			return err
		}
	}
}

func (s *splitter) write(b []byte) error {
	_, err := s.w.Write(b)
	return err
}

// content is a line without its ending (LF, CR LF).
func content(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

func (s *splitter) keep(b *begin) {
	s.spare = append(s.spare, b)
}

func (s *splitter) newBegin() *begin {
	if n := len(s.spare); n > 0 {
		b := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return b
	}
	return &begin{}
}

func (s *splitter) run() error {
	// pending is a begin line waiting for the line after it in the input.
	// held is the last line written to text if it is a begin line: if a
	// block was removed after it, and the text goes on with encoded lines,
	// those lines are removed too, so that the text never holds a block.
	var pending, held *begin
	release := func(b *begin) *begin {
		if b != nil {
			s.keep(b)
		}
		return nil
	}
	if err := s.next(); err != nil {
		return err
	}
	for {
		if s.eof {
			if pending != nil {
				return s.write(pending.raw)
			}
			return nil
		}
		if pending != nil {
			if !s.long && confirms(pending.base64, content(s.line)) {
				if err := s.block(pending, pending.line, false); err != nil {
					return err
				}
				pending = release(pending)
				continue
			}
			// Prose that starts with "begin".
			if err := s.write(pending.raw); err != nil {
				return err
			}
			release(held)
			held, pending = pending, nil
		}
		if s.long {
			if b := s.parseBegin(content(s.line)); b != nil {
				// A begin line with a name of 64 KiB is no prose: drop it
				// and report its block broken.
				b.long = true
				if err := s.skipLong(false); err != nil {
					return err
				}
				if err := s.block(b, b.line, false); err != nil {
					return err
				}
				release(b)
				continue
			}
			held = release(held)
			if err := s.skipLong(true); err != nil {
				return err
			}
			continue
		}
		c := content(s.line)
		if b := s.parseBegin(c); b != nil {
			if err := s.next(); err != nil {
				return err
			}
			if b.strict {
				// A block whatever follows: mail readers decode everything
				// from such a line to "end" (see the package documentation).
				if err := s.block(b, b.line, false); err != nil {
					return err
				}
				release(b)
				continue
			}
			pending = b
			continue
		}
		if held != nil {
			if confirms(held.base64, c) {
				if err := s.block(held, s.lineNo, true); err != nil {
					return err
				}
				continue // held stays: the text after these lines follows it
			}
			held = release(held)
		}
		if err := s.write(s.line); err != nil {
			return err
		}
		if err := s.next(); err != nil {
			return err
		}
	}
}

// parseBegin parses a begin line: "begin" or "begin-base64", blanks, 1-8
// octal digits, blanks, a name. It returns nil if c is not one.
func (s *splitter) parseBegin(c []byte) *begin {
	rest, ok := bytes.CutPrefix(c, []byte("begin"))
	if !ok {
		return nil
	}
	b64 := false
	if r, ok := bytes.CutPrefix(rest, []byte("-base64")); ok {
		rest, b64 = r, true
	}
	rest, ok = cutBlanks(rest)
	if !ok {
		return nil
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '7' {
		n++
	}
	if n < 1 || n > 8 {
		return nil
	}
	mode := rest[:n]
	name, ok := cutBlanks(rest[n:])
	if !ok {
		return nil
	}
	name = bytes.TrimRight(name, " \t")
	if len(name) == 0 {
		return nil
	}
	b := s.newBegin()
	b.raw = append(b.raw[:0], s.line...)
	b.mode, b.name, b.base64, b.line = string(mode), string(name), b64, s.lineNo
	b.strict = n == 3 || n == 4
	return b
}

// cutBlanks removes leading spaces and tabs, and reports whether there were any.
func cutBlanks(b []byte) ([]byte, bool) {
	t := bytes.TrimLeft(b, " \t")
	return t, len(t) < len(b)
}

// confirms reports whether c, right after a begin line, shows that a block
// has started: an encoded data line, a "`" zero-length line, or the end
// line. (A blank zero-length line is accepted inside a block, but does not
// start one: prose is followed by blank-looking lines.)
func confirms(b64 bool, c []byte) bool {
	if b64 {
		return isB64End(c) || b64Line(c) >= 0
	}
	if isUUEnd(c) {
		return true
	}
	if len(c) > 0 && c[0] == '`' && uuZero(c) {
		return true
	}
	return uuLen(c) > 0 && uuChars(c[1:])
}

func isUUEnd(c []byte) bool  { return string(bytes.TrimRight(c, " \t")) == "end" }
func isB64End(c []byte) bool { return string(bytes.TrimRight(c, " \t")) == "====" }

// uuZero reports a zero-length line: a length character of 0 (space or
// backtick) and nothing but spaces and backticks after it.
func uuZero(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	for _, ch := range c {
		if ch != ' ' && ch != '`' {
			return false
		}
	}
	return true
}

// uuLen returns the number of bytes a uuencoded data line carries, or 0
// if its length character and its length disagree (the characters are
// checked by uuDecode).
func uuLen(c []byte) int {
	if len(c) < 2 || c[0] < 0x20 || c[0] > 0x60 {
		return 0
	}
	n := int(c[0]-0x20) & 0x3F
	need := (4*n + 2) / 3 // characters that carry n bytes
	full := (n + 2) / 3 * 4
	if n == 0 || len(c)-1 < need || len(c)-1 > full+1 {
		return 0
	}
	return n
}

// uuChars reports whether every character is in the uuencode alphabet.
func uuChars(b []byte) bool {
	for _, ch := range b {
		if ch < 0x20 || ch > 0x60 {
			return false
		}
	}
	return true
}

// uuDecode appends the n bytes of the data line c to dst. It reports false,
// with dst unchanged, if a character is outside 0x20-0x60.
func uuDecode(c []byte, n int, dst []byte) ([]byte, bool) {
	rest := c[1:]
	if !uuChars(rest) {
		return dst, false
	}
	start := len(dst)
	dst = slices.Grow(dst, n+2)[:start+n+2]
	out := dst[start:]
	var q [4]byte
	for i, o := 0, 0; o < n; i, o = i+4, o+3 {
		if i+4 <= len(rest) {
			q = [4]byte{rest[i] - 0x20, rest[i+1] - 0x20, rest[i+2] - 0x20, rest[i+3] - 0x20}
		} else {
			q = [4]byte{}
			for j := 0; i+j < len(rest); j++ {
				q[j] = rest[i+j] - 0x20
			}
		}
		q[0], q[1], q[2], q[3] = q[0]&0x3F, q[1]&0x3F, q[2]&0x3F, q[3]&0x3F
		out[o] = q[0]<<2 | q[1]>>4
		out[o+1] = q[1]<<4 | q[2]>>2
		out[o+2] = q[2]<<6 | q[3]
	}
	return dst[:start+n], true
}

// b64Line validates a base64 body line and returns its decoded length, or
// -1. A line ending in padding has a decoded length not a multiple of 3.
func b64Line(c []byte) int {
	if len(c) == 0 || len(c)%4 != 0 {
		return -1
	}
	pad := 0
	for i, ch := range c {
		switch {
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '+', ch == '/':
			if pad > 0 {
				return -1
			}
		case ch == '=' && i >= len(c)-2:
			pad++
		default:
			return -1
		}
	}
	return len(c)/4*3 - pad
}

// block decodes the body of a block whose first body line is the current
// line, and reports it to fn. It returns with the first line after the block
// current. orphan marks encoded lines that follow an earlier begin line only
// in the text (see run); they are always reported broken.
func (s *splitter) block(b *begin, line int, orphan bool) error {
	s.blocks++
	if s.blocks > s.lim.MaxBlocks {
		return fmt.Errorf("uue: line %d: more than %d blocks: %w", line, s.lim.MaxBlocks, sanitize.ErrTooLarge)
	}
	blk := Block{Mode: b.mode, Name: b.name, Base64: b.base64, Line: line, Data: []byte{}}
	var closed bool // uu: the zero-length line was seen; base64: a padded line
	taken := 0      // lines of the block
	for {
		if s.eof {
			blk.Err = fmt.Errorf("uue: line %d: block %q truncated: no end line: %w", line, b.name, sanitize.ErrMalformed)
			break
		}
		if s.long {
			blk.Err = fmt.Errorf("uue: line %d: line too long in block %q: %w", s.lineNo, b.name, sanitize.ErrMalformed)
			break
		}
		c := content(s.line)
		var ended, valid bool
		n := -1 // decoded bytes on this line
		switch {
		case !b.base64 && isUUEnd(c):
			ended, valid = true, true
		case !b.base64 && closed: // only the end line may follow the zero-length line
		case !b.base64 && uuZero(c):
			closed, valid = true, true
		case !b.base64:
			if k := uuLen(c); k > 0 {
				n = k
			}
		case isB64End(c):
			ended, valid = true, true
		case closed: // only "====" may follow a padded line
		default:
			n = b64Line(c)
		}
		if n >= 0 {
			if int64(len(blk.Data))+int64(n) > s.lim.MaxBlockSize {
				return fmt.Errorf("uue: line %d: block %q over %d bytes: %w", line, b.name, s.lim.MaxBlockSize, sanitize.ErrTooLarge)
			}
			if b.base64 {
				var err error
				blk.Data, err = base64.StdEncoding.AppendDecode(blk.Data, c)
				valid, closed = err == nil, n%3 != 0
			} else {
				blk.Data, valid = uuDecode(c, n, blk.Data)
			}
		}
		if !valid {
			blk.Err = fmt.Errorf("uue: line %d: not a valid line of block %q: %w", s.lineNo, b.name, sanitize.ErrMalformed)
			if orphan && taken == 0 {
				// Cannot happen (run checked the line with confirms), but
				// this block has no begin line of its own: it must take a
				// line for Split to make progress.
				if err := s.next(); err != nil {
					return err
				}
			}
			break
		}
		taken++
		if err := s.next(); err != nil {
			return err
		}
		if ended {
			break
		}
	}
	if b.long && blk.Err == nil {
		blk.Err = fmt.Errorf("uue: line %d: begin line longer than %d bytes: %w", line, MaxLine, sanitize.ErrMalformed)
	}
	if orphan && blk.Err == nil {
		blk.Err = fmt.Errorf("uue: line %d: encoded lines under the begin line at line %d, separated from it by another block: %w", line, b.line, sanitize.ErrMalformed)
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	return s.fn(blk)
}
