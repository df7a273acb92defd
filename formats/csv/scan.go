package csv

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitize"
)

// checkWindow is how far past a formula trigger the scanner looks to see
// whether the cell is a plain number (or made of signs only). A longer cell
// is never exempt.
const checkWindow = 256

// rowWindow is how far past a trigger at the start of a row the scanner
// looks to judge the row under the other separators; a longer value is not
// exempt.
const rowWindow = 4096

// lookahead is the most input the scanner may need past its position to
// decide: the longest window, and a few bytes (a closing quote and the byte
// after it, a UTF-8 sequence).
const lookahead = 2*rowWindow + 8

// maxWhere is how many cell positions the csv.formula finding lists.
const maxWhere = 5

// scanner finds the cells of a CSV stream and prefixes the formula cells with
// an apostrophe, copying every other byte as it is.
//
// It tokenizes by RFC 4180 with the usual leniency: a quote opens a quoted
// field only as the field's first byte; inside one, "" is a quote and a
// quote followed by anything else closes it (what follows is kept as
// unquoted text); a quote inside an unquoted field is kept as it is; rows may
// have any number of fields; LF, CRLF and a lone CR end a row outside quotes.
//
// A value starts at the beginning of each field, just inside the opening
// quote of a quoted field, and also after any secondary separator (comma,
// tab or semicolon that is not the delimiter) outside quotes: a spreadsheet
// may split the file on another separator than ours (Excel uses the
// locale's list separator; a .csv renamed .tsv splits on tabs), and a cell
// start we did not look at would be a way through. At a value start, leading
// spaces (U+0020, U+00A0, U+3000, and the zero-width U+200B, U+2060, U+FEFF)
// and, outside quotes, one quote are skipped; if the next character is a
// trigger (= + - @ ＝ ＋ － ＠, TAB, and inside quotes CR), an apostrophe is
// inserted just before it, unless the cell is exempt: see exempt.
type scanner struct {
	delim   byte
	special [256]bool // bytes the unquoted scan stops at
	second  [256]bool // secondary separators
	strict  bool
	keep    bool

	quoted   bool // inside a quoted field
	check    bool // at a value start
	field    bool // at the very first byte of a field: a quote opens a quoted field
	quoteOK  bool // while checking outside quotes, one quote may still be skipped
	rowStart bool // the value being checked starts a row
	cellSep  byte // the separator that began the value being checked

	row, col           int64
	quoteRow, quoteCol int64

	count int64
	where []string
	werr  error
}

func newScanner(delim byte, strict, keep bool) *scanner {
	s := &scanner{delim: delim, strict: strict, keep: keep, row: 1, col: 1}
	s.startField()
	s.rowStart = true
	for _, b := range []byte{',', '\t', ';'} {
		if b != delim {
			s.second[b] = true
			s.special[b] = true
		}
	}
	for _, b := range []byte{delim, '\n', '\r', '"'} {
		s.special[b] = true
	}
	return s
}

func (s *scanner) startField() {
	s.check, s.field, s.quoteOK, s.cellSep, s.rowStart = true, true, true, s.delim, false
}

func (s *scanner) write(w *bufio.Writer, b []byte) {
	if s.werr == nil && len(b) > 0 {
		_, s.werr = w.Write(b)
	}
}

// Byte sequences the scanner recognises at a value start, and the one it
// inserts.
var (
	apostrophe = []byte{'\''}

	spaces = [][]byte{
		[]byte(" "),
		[]byte("\u00A0"),
		[]byte("\u3000"),
		[]byte("\u200B"),
		[]byte("\u2060"),
		[]byte("\uFEFF"),
	}
	wideTriggers = [][]byte{
		[]byte("＝"), []byte("＋"), []byte("－"), []byte("＠"),
	}
)

// match reports whether b starts with one of seqs (its length), or whether b
// is too short to tell (short).
func match(b []byte, seqs [][]byte) (n int, short bool) {
	for _, q := range seqs {
		if bytes.HasPrefix(b, q) {
			return len(q), false
		}
		if len(b) < len(q) && bytes.HasPrefix(q, b) {
			short = true
		}
	}
	return 0, short
}

// trigger reports the length of a formula trigger at the start of b (0 for
// none), or short when b is too short to tell.
func (s *scanner) trigger(b []byte) (n int, short bool) {
	switch b[0] {
	case '=', '+', '-', '@':
		return 1, false
	case '\t':
		if s.quoted || s.delim != '\t' {
			return 1, false
		}
	case '\r':
		if s.quoted {
			return 1, false
		}
	case 0xEF:
		return match(b, wideTriggers)
	}
	return 0, false
}

// scan processes buf, writing it to w with apostrophes inserted. It returns
// how many bytes it consumed; the rest (less than lookahead bytes) must be
// passed again with more input after it. With atEOF it consumes everything.
func (s *scanner) scan(buf []byte, atEOF bool, w *bufio.Writer) (int, error) {
	i, emit := 0, 0
	for i < len(buf) {
		if s.check {
			adv, short := s.atValue(buf, i, atEOF, func() {
				s.write(w, buf[emit:i])
				s.write(w, apostrophe)
				emit = i
			})
			if short {
				break
			}
			i += adv
			continue
		}
		if s.quoted {
			j := bytes.IndexByte(buf[i:], '"')
			if j < 0 {
				i = len(buf)
				break
			}
			i += j
			if i+1 == len(buf) && !atEOF {
				break
			}
			if i+1 < len(buf) && buf[i+1] == '"' {
				i += 2
				continue
			}
			s.quoted = false
			i++
			continue
		}
		for i < len(buf) && !s.special[buf[i]] {
			i++
		}
		if i == len(buf) {
			break
		}
		switch b := buf[i]; {
		case b == s.delim:
			s.col++
			i++
			s.startField()
		case b == '\n':
			s.newRow()
			i++
		case b == '\r':
			if i+1 == len(buf) && !atEOF {
				goto out
			}
			i++
			if i == len(buf) || buf[i] != '\n' {
				s.newRow()
			}
		case s.second[b]:
			i++
			s.check, s.field, s.quoteOK, s.cellSep, s.rowStart = true, false, true, b, false
		default: // a quote inside an unquoted field
			i++
		}
	}
out:
	s.write(w, buf[emit:i])
	if s.werr != nil {
		return i, fmt.Errorf("writing output: %w", s.werr)
	}
	if atEOF && s.quoted {
		return i, fmt.Errorf("quoted field opened at row %d col %d is never closed: %w", s.quoteRow, s.quoteCol, sanitize.ErrMalformed)
	}
	return i, nil
}

func (s *scanner) newRow() {
	s.row++
	s.col = 1
	s.startField()
	s.rowStart = true
}

// atValue handles the bytes at a value start. It returns how many bytes to
// move past (0 when the check is over and the byte at i is to be scanned
// normally), or short when it needs more input. insert writes the apostrophe
// before buf[i].
func (s *scanner) atValue(buf []byte, i int, atEOF bool, insert func()) (adv int, short bool) {
	rest := buf[i:]
	if rest[0] == '"' && !s.quoted {
		switch {
		case s.field:
			s.quoted, s.field, s.quoteOK = true, false, false
			s.quoteRow, s.quoteCol = s.row, s.col
			return 1, false
		case s.quoteOK:
			s.quoteOK = false
			return 1, false
		}
	}
	n, sh := match(rest, spaces)
	if sh && !atEOF {
		return 0, true
	}
	if n > 0 {
		s.field = false
		return n, false
	}
	n, sh = s.trigger(rest)
	if sh && !atEOF {
		return 0, true
	}
	if n > 0 {
		exempt, sh := s.exempt(buf, i, n, atEOF)
		if sh {
			return 0, true
		}
		if !exempt {
			s.record()
			if !s.keep {
				insert()
			}
		}
	}
	s.check, s.field, s.quoteOK, s.rowStart = false, false, false, false
	return 0, false
}

func (s *scanner) record() {
	s.count++
	if len(s.where) < maxWhere {
		s.where = append(s.where, fmt.Sprintf("row %d col %d", s.row, s.col))
	}
}

// exempt decides whether the cell whose value starts with the trigger at
// buf[i:i+n] may keep its first character: unless strict, a cell that is a
// plain number ("-12", "+3.5", "-1,234", "-1e3", "-5%", full-width digits
// too) or consists of signs and spaces only ("-", "－", "==", "- -") cannot
// compute anything and is left alone. It needs the cell's end within
// checkWindow bytes; a longer cell is not exempt.
//
// The cell ends at the closing quote of a quoted field, else at a line end
// or at the separator that began it: the delimiter for a field, the
// secondary separator for a value found after one. At the start of a row,
// which begins a cell whatever the separator, the cell must also be harmless
// (see harmless) when read up to each secondary separator. So "-1,=cmd" at
// the start of a row is neutralised in a comma file (a tab-separated reading
// sees one cell "-1,=cmd"), while a row of numbers "-12,3.5,-4" is left
// alone.
func (s *scanner) exempt(buf []byte, i, n int, atEOF bool) (ok, short bool) {
	if s.strict {
		return false, false
	}
	v, done, short := s.cell(buf, i, n, atEOF, s.cellSep, checkWindow)
	if short || !done || !(plainNumber(v) || signsOnly(v)) {
		return false, short
	}
	if s.rowStart && !s.quoted {
		for _, sep := range []byte{',', '\t', ';'} {
			if !s.second[sep] {
				continue
			}
			v, done, short := s.cell(buf, i, n, atEOF, sep, rowWindow)
			if short || !done || !harmless(v) {
				return false, short
			}
		}
	}
	return true, false
}

// cell returns the value that starts with the trigger at buf[i:i+n] and ends
// at sep, a line end, or (inside quotes) the closing quote. done is false
// when the value has limit bytes or more, or a quote inside; short when more
// input is needed to tell.
//
// Apostrophes do not count towards limit (up to twice limit in all), so that
// the ones this scanner inserts in a value judged before cannot change the
// judgement when the output is scanned again.
func (s *scanner) cell(buf []byte, i, n int, atEOF bool, sep byte, limit int) (v []byte, done, short bool) {
	end := -1
	count := 0
	j := i + n
	for ; j < len(buf) && count < limit && j < i+2*limit; j++ {
		b := buf[j]
		if b != '\'' {
			count++
		}
		if s.quoted {
			if b != '"' {
				continue
			}
			if j+1 == len(buf) && !atEOF {
				return nil, false, true
			}
			if j+1 < len(buf) && buf[j+1] == '"' {
				return nil, false, false // a quote inside the value
			}
			end = j
			break
		}
		if b == sep || b == '\n' || b == '\r' {
			end = j
			break
		}
	}
	if end < 0 {
		if j < len(buf) || count >= limit || j >= i+2*limit {
			return nil, false, false
		}
		if !atEOF {
			return nil, false, true
		}
		end = len(buf)
	}
	return buf[i:end], true, false
}

// harmless reports whether v holds only characters that cannot reference
// or call anything in a formula: digits, the signs + - = @, . , % e E,
// spaces, tabs, semicolons, quotes and apostrophes (full-width forms too).
// Apostrophes are in the set so that the ones this scanner inserts do not
// change its judgement on a second pass.
func harmless(v []byte) bool {
	for _, r := range string(v) {
		switch c := fold(r); {
		case '0' <= c && c <= '9':
		case strings.IndexByte("+-=@.,%eE \t;\"'", c) >= 0 && c != 0:
		case r == '＝' || r == '＠' || r == 0x200B || r == 0x2060 || r == 0xFEFF:
		default:
			return false
		}
	}
	return true
}

// fold maps the full-width forms a number may be typed in to ASCII; other
// non-ASCII characters map to 0.
func fold(r rune) byte {
	switch {
	case r < utf8.RuneSelf:
		return byte(r)
	case 0xFF10 <= r && r <= 0xFF19:
		return byte('0' + r - 0xFF10)
	}
	switch r {
	case '＋':
		return '+'
	case '－':
		return '-'
	case '．':
		return '.'
	case '，':
		return ','
	case '％':
		return '%'
	case 'ｅ':
		return 'e'
	case 'Ｅ':
		return 'E'
	case 0x3000, 0xA0:
		return ' '
	}
	return 0
}

// plainNumber reports whether v, the start of a cell value, is a signed
// decimal number: [+-] digits (optionally grouped by commas in threes)
// [. digits] [e [+-] digits] [%], with trailing spaces.
func plainNumber(v []byte) bool {
	if len(v) > checkWindow {
		return false
	}
	var a [checkWindow]byte
	n := 0
	for _, r := range string(v) {
		c := fold(r)
		if c == 0 {
			return false
		}
		a[n] = c
		n++
	}
	s := bytes.TrimRight(a[:n], " ")
	if len(s) == 0 || (s[0] != '+' && s[0] != '-') {
		return false
	}
	digits := func(p int) int {
		k := 0
		for p+k < len(s) && '0' <= s[p+k] && s[p+k] <= '9' {
			k++
		}
		return k
	}
	p := 1
	whole := digits(p)
	p += whole
	if whole > 0 && p < len(s) && s[p] == ',' {
		if whole > 3 {
			return false
		}
		for p < len(s) && s[p] == ',' {
			if digits(p+1) != 3 {
				return false
			}
			p += 4
		}
	}
	frac := 0
	if p < len(s) && s[p] == '.' {
		p++
		frac = digits(p)
		p += frac
	}
	if whole+frac == 0 {
		return false
	}
	if p < len(s) && (s[p] == 'e' || s[p] == 'E') {
		p++
		if p < len(s) && (s[p] == '+' || s[p] == '-') {
			p++
		}
		e := digits(p)
		if e == 0 {
			return false
		}
		p += e
	}
	if p < len(s) && s[p] == '%' {
		p++
	}
	return p == len(s)
}

// signsOnly reports whether v holds nothing but trigger characters, spaces
// and apostrophes, like "-" or "＝＝＝" used as a placeholder or a rule.
func signsOnly(v []byte) bool {
	for _, r := range string(v) {
		switch r {
		case '=', '+', '-', '@', '\t', '\r', ' ', '\'', '＝', '＋', '－', '＠', 0xA0, 0x3000, 0x200B, 0x2060, 0xFEFF:
		default:
			return false
		}
	}
	return true
}

// finding returns the csv.formula finding, if any cell was found.
func (s *scanner) finding() (sanitize.Finding, bool) {
	if s.count == 0 {
		return sanitize.Finding{}, false
	}
	where := strings.Join(s.where, ", ")
	if s.count > int64(len(s.where)) {
		where += ", …"
	}
	f := sanitize.Finding{Rule: RuleFormula, Where: where, Action: sanitize.Cleaned,
		Detail: fmt.Sprintf("%d cell(s) a spreadsheet would read as a formula prefixed with '", s.count)}
	if s.keep {
		f.Action = sanitize.Recorded
		f.Detail = fmt.Sprintf("%d cell(s) a spreadsheet would read as a formula kept as they are (KeepFormulas)", s.count)
	}
	return f, true
}
