package text

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Options configure the text Sanitizer. The zero value is the documented
// default.
type Options struct {
	// SniffLen is how many leading bytes decide the charset; 0 means
	// SniffLen (64 KiB).
	SniffLen int
	// IgnoreLabel makes the sanitizer ignore the charset parameter of the
	// item's declared MIME type and decide from the bytes alone. By default
	// the label is used as DetectWithLabel describes.
	IgnoreLabel bool
}

// Sanitizer sanitizes plain text: it decodes it to UTF-8 and removes control
// characters, bidirectional controls and a leading byte order mark (see
// Reader and Cleaner). A UTF-8 file without any of those passes byte for
// byte, and the output sanitized again is unchanged with no findings.
//
// A Sanitizer is safe for concurrent use.
type Sanitizer struct {
	opt Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns a text Sanitizer.
func New(opt Options) *Sanitizer { return &Sanitizer{opt: opt} }

// Sanitize implements sanitize.Sanitizer. It streams: memory does not grow
// with the input. The result's Kind is detect.Text.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	res := sanitize.Result{Kind: detect.Text}
	rd, err := Open(it, s.opt)
	if err != nil {
		return res, Err(ctx, "text", err)
	}
	if err := Copy(ctx, dst, rd); err != nil {
		return res, Err(ctx, "text", err)
	}
	res.Findings = rd.Findings()
	return res, nil
}

// Open decides the charset of it as opt says (from its leading bytes and,
// unless opt.IgnoreLabel, the charset parameter of it.MIME) and returns a
// Reader over the whole of it.Src. It does not move it.Src's offset. Other
// sanitizers that carry text (CSV, mail bodies) start here.
func Open(it *sanitize.Item, opt Options) (*Reader, error) {
	label := ""
	if !opt.IgnoreLabel {
		label = LabelFromMIME(it.MIME)
	}
	size := it.Src.Size()
	cs, err := Sniff(it.Src, size, opt.SniffLen, label)
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	return NewReader(io.NewSectionReader(it.Src, 0, size), cs), nil
}

// copyBuf is the chunk Copy moves at a time; ctx is checked once per chunk.
const copyBuf = 32 << 10

// Copy copies r to w until io.EOF, checking ctx between chunks. Errors are
// returned unwrapped except for a "reading input" or "writing output"
// context.
func Copy(ctx context.Context, w io.Writer, r io.Reader) error {
	buf := make([]byte, copyBuf)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return fmt.Errorf("writing output: %w", werr)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
	}
}

// Err wraps err for return from a Sanitizer of package pkg: with the package
// prefix, and with sanitize.ErrTimeout added when the deadline of ctx passed.
// Errors that already wrap a sanitize sentinel keep it.
func Err(ctx context.Context, pkg string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		if !errors.Is(err, sanitize.ErrTimeout) {
			return fmt.Errorf("%s: %w: %w", pkg, sanitize.ErrTimeout, err)
		}
	}
	return fmt.Errorf("%s: %w", pkg, err)
}
