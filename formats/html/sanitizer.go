package html

import (
	"context"
	"fmt"
	"io"

	"golang.org/x/text/transform"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Sanitizer turns HTML files into plain text. It is safe for concurrent use.
type Sanitizer struct {
	opts Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns a Sanitizer converting with opts. opts.MaxOutput, when zero,
// is taken from each item's limits. Call opts.Validate first to catch
// configuration mistakes; an unknown opts.Charset makes every Sanitize fail.
func New(opts Options) *Sanitizer { return &Sanitizer{opts: opts} }

// Sanitize decodes it.Src (byte order mark, then opts.Charset, then <meta>
// in the first 8 KiB, then GuessCharset, then UTF-8 when valid, else the
// best-fitting Japanese legacy charset), converts it with Convert and writes
// UTF-8 text to dst. The result has Kind detect.Text and the findings
// html.text (always), text.charset (when the file was not UTF-8) and those
// of Convert.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	res := sanitize.Result{Kind: detect.Text}
	size := it.Src.Size()
	prefix := make([]byte, min(size, guessScan))
	if n, err := it.Src.ReadAt(prefix, 0); err != nil && n < len(prefix) {
		return res, fmt.Errorf("html: reading: %w", err)
	}
	cs, err := chooseCharset(prefix, s.opts.Charset)
	if err != nil {
		return res, err
	}
	var r io.Reader = io.NewSectionReader(it.Src, int64(cs.bom), size-int64(cs.bom))
	if cs.enc != nil {
		r = transform.NewReader(r, cs.enc.NewDecoder())
	}
	opts := s.opts
	if opts.MaxOutput == 0 {
		opts.MaxOutput = it.Limits.MaxOutput
	}
	st, err := Convert(ctx, dst, r, opts)
	res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleText, Action: sanitize.Converted})
	if cs.enc != nil {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleCharset, Action: sanitize.Converted, Detail: cs.name + " (" + cs.how + ")"})
	}
	res.Findings = append(res.Findings, st.Findings()...)
	return res, err
}
