package rtf

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"golang.org/x/text/encoding"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Mode says what the Sanitizer makes of an RTF file.
type Mode uint8

// Modes. The zero value rewrites the RTF.
const (
	ModeSanitize Mode = iota // a new RTF with text and formatting only
	ModeText                 // plain UTF-8 text
)

// Options configure the Sanitizer. The zero value of each field is the
// documented default.
type Options struct {
	Mode Mode
	// MaxDepth bounds group nesting; zero means DefaultMaxDepth.
	MaxDepth int
	// MaxFieldBytes bounds the output held while a field's instruction is
	// read (all fields together); zero means DefaultMaxFieldBytes.
	MaxFieldBytes int64
}

// Defaults for Options.
const (
	DefaultMaxDepth      = 512
	DefaultMaxFieldBytes = 8 << 20
)

// Sanitizer rewrites RTF. It is safe for concurrent use.
type Sanitizer struct {
	opt Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns an RTF Sanitizer.
func New(opt Options) *Sanitizer {
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = DefaultMaxDepth
	}
	if opt.MaxFieldBytes <= 0 {
		opt.MaxFieldBytes = DefaultMaxFieldBytes
	}
	return &Sanitizer{opt: opt}
}

// Sanitize implements sanitize.Sanitizer: it writes a new RTF (or, in
// ModeText, UTF-8 text with Result.Kind detect.Text) to dst.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	res, err := s.filter(ctx, dst, io.NewSectionReader(it.Src, 0, it.Src.Size()))
	return res, err
}

func (s *Sanitizer) filter(ctx context.Context, dst io.Writer, src io.Reader) (sanitize.Result, error) {
	var res sanitize.Result
	out := bufio.NewWriterSize(dst, 32<<10)
	f := &filter{
		ctx: ctx, opt: &s.opt, tok: newTokenizer(src), out: out,
		seen: map[string]bool{}, textMode: s.opt.Mode == ModeText,
		ansicpg: 1252, fonts: map[int64]int{}, decoders: map[int]*encoding.Decoder{},
	}
	err := f.run()
	res.Findings = f.findings
	if err != nil {
		return res, err
	}
	if f.textMode {
		if f.wrote {
			if _, err := out.WriteString("\n"); err != nil {
				return res, err
			}
		}
		res.Kind = detect.Text
		res.Textized = true
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleText, Action: sanitize.Converted, Detail: "RTF converted to text"})
	}
	if err := out.Flush(); err != nil {
		return res, fmt.Errorf("rtf: %w", err)
	}
	return res, nil
}
