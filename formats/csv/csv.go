package csv

import (
	"bufio"
	"context"
	"errors"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// RuleFormula is the rule this package emits for formula cells; text's rules
// are emitted too (see package text).
const RuleFormula = "csv.formula"

// Options configure the CSV Sanitizer. The zero value is the documented
// default: formulas are neutralised, numbers and sign-only cells are left
// alone, the delimiter is found from the name or the first row, and the
// output starts with a UTF-8 byte order mark when the input had one or was
// converted from another charset.
type Options struct {
	// KeepFormulas turns neutralisation off: formula cells are reported
	// (Action Recorded) but left as they are. Zero: neutralise.
	KeepFormulas bool
	// StrictFormulas neutralises every cell that starts with a trigger,
	// numbers like -12 and sign-only cells like "-" included.
	StrictFormulas bool
	// Delimiter separates fields: ',', '\t' or ';'. 0 means: a tab for
	// names ending .tsv or .tab, a comma for .csv, otherwise whichever of
	// tab and comma the first row has more of (comma on a tie).
	Delimiter byte
	// OmitBOM writes no byte order mark. By default the output starts with a
	// UTF-8 BOM when the input had one or was converted from another
	// charset, because Excel opens a CSV without one in the ANSI code page
	// (CP932 on Japanese Windows) and shows UTF-8 as mojibake.
	OmitBOM bool
	// Text configures the charset handling, as for the text sanitizer.
	Text text.Options
}

// Sanitizer neutralises formula injection in CSV and TSV files, after the
// text sanitizer's decoding and cleaning. Cells it does not touch keep their
// bytes, quotes and line endings: a UTF-8 CSV without formula cells passes
// byte for byte.
//
// A Sanitizer is safe for concurrent use.
type Sanitizer struct {
	opt Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns a CSV Sanitizer. Options are checked by Validate when
// Sanitize runs.
func New(opt Options) *Sanitizer { return &Sanitizer{opt: opt} }

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	switch o.Delimiter {
	case 0, ',', '\t', ';':
		return nil
	}
	return errors.New("csv: Delimiter must be ',', '\\t' or ';'")
}

// bufSize is the scan buffer; firstRow is how much of the start is read
// before choosing the delimiter.
const (
	bufSize  = 64 << 10
	firstRow = 4 << 10
)

// Sanitize implements sanitize.Sanitizer. It streams with fixed buffers;
// memory does not grow with the input or with the length of a cell. The
// result's Kind is detect.CSV. A quoted field that is never closed is an
// error wrapping sanitize.ErrMalformed: spreadsheets disagree on where its
// cells are.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	return s.sanitize(ctx, dst, it, bufSize)
}

// sanitize is Sanitize with a scan buffer of size bytes (at least
// 2*lookahead), so that tests can move the buffer boundaries.
func (s *Sanitizer) sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item, size int) (sanitize.Result, error) {
	res := sanitize.Result{Kind: detect.CSV}
	if err := s.opt.Validate(); err != nil {
		return res, err
	}
	rd, err := text.Open(it, s.opt.Text)
	if err != nil {
		return res, text.Err(ctx, "csv", err)
	}
	buf := make([]byte, size)
	n, eof, err := fill(ctx, rd, buf, 0, firstRow)
	if err != nil {
		return res, text.Err(ctx, "csv", err)
	}
	delim := s.delimiter(it.Name, buf[:n])
	bw := bufio.NewWriterSize(dst, 32<<10)
	bom := !s.opt.OmitBOM && (rd.BOM() || rd.Charset() != text.UTF8)
	if bom {
		if _, err := bw.Write([]byte("\uFEFF")); err != nil {
			return res, text.Err(ctx, "csv", err)
		}
	}
	sc := newScanner(delim, s.opt.StrictFormulas, s.opt.KeepFormulas)
	for {
		used, err := sc.scan(buf[:n], eof, bw)
		if err != nil {
			return res, text.Err(ctx, "csv", err)
		}
		if eof {
			break
		}
		n = copy(buf, buf[used:n])
		n, eof, err = fill(ctx, rd, buf, n, max(n+1, size/2))
		if err != nil {
			return res, text.Err(ctx, "csv", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return res, text.Err(ctx, "csv", err)
	}

	fs := rd.Findings()
	if bom && rd.Charset() == text.UTF8 {
		// The byte order mark was written back: nothing changed there.
		fs = slices.DeleteFunc(fs, func(f sanitize.Finding) bool { return f.Rule == text.RuleCharset })
	}
	if f, ok := sc.finding(); ok {
		fs = append(fs, f)
	}
	res.Findings = fs
	return res, nil
}

// fill reads from r into buf[n:] until at least min bytes are there, the
// buffer is full, or the input ends (eof). It checks ctx before each read.
func fill(ctx context.Context, r io.Reader, buf []byte, n, min int) (_ int, eof bool, _ error) {
	for n < min && n < len(buf) {
		if err := ctx.Err(); err != nil {
			return n, false, err
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

func (s *Sanitizer) delimiter(name string, head []byte) byte {
	if s.opt.Delimiter != 0 {
		return s.opt.Delimiter
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".tsv", ".tab":
		return '\t'
	case ".csv":
		return ','
	}
	return sniffDelimiter(head)
}

// sniffDelimiter counts tabs and commas outside quotes in the first row of
// head (at most firstRow bytes) and picks the more frequent; comma on a tie.
func sniffDelimiter(head []byte) byte {
	head = head[:min(len(head), firstRow)]
	tabs, commas := 0, 0
	quoted := false
	for _, b := range head {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n' || b == '\r':
			goto done
		case b == '\t':
			tabs++
		case b == ',':
			commas++
		}
	}
done:
	if tabs > commas {
		return '\t'
	}
	return ','
}
