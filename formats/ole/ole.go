package ole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Options configure the Sanitizer. The zero value scans and blocks; it
// converts nothing.
type Options struct {
	// MaxEntries bounds the directory slots of one compound file; zero means
	// DefaultMaxEntries.
	MaxEntries int
	// Converter, when set, turns a legacy file with active content into
	// OOXML, which is then sanitized through the engine; nil blocks such
	// files.
	Converter *Converter
}

// DefaultMaxEntries is the default bound on directory entries (128 bytes
// each: 4 MiB of directory).
const DefaultMaxEntries = 32768

// Sanitizer checks legacy Word, Excel and PowerPoint files. It is safe for
// concurrent use.
type Sanitizer struct {
	opt Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns a legacy Office Sanitizer.
func New(opt Options) *Sanitizer {
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = DefaultMaxEntries
	}
	return &Sanitizer{opt: opt}
}

// Sanitize implements sanitize.Sanitizer. A file without risk factors is
// written to dst unchanged (the engine reports it passed); one with risk
// factors gets Blocked findings, or, with a Converter, is converted to OOXML
// and sanitized as such (Result.Kind DOCX, XLSX or PPTX, the OOXML report
// in Children).
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	var res sanitize.Result
	switch it.Kind {
	case detect.DOC, detect.XLS, detect.PPT:
	default:
		return res, fmt.Errorf("ole: %s: %w", it.Kind, sanitize.ErrUnsupported)
	}
	c, err := openCFB(it.Src, it.Src.Size(), s.opt.MaxEntries)
	if err != nil {
		if errors.Is(err, sanitize.ErrTooLarge) {
			res.Findings = []sanitize.Finding{{Rule: sanitize.RuleLimitParts, Action: sanitize.Blocked, Detail: err.Error()}}
			return res, nil
		}
		return res, err
	}
	fs, err := scan(ctx, c, it.Kind)
	res.Findings = fs
	if err != nil {
		return res, err
	}
	if !blocking(fs) {
		_, err := io.Copy(dst, io.NewSectionReader(it.Src, 0, it.Src.Size()))
		return res, err
	}
	if s.opt.Converter != nil && convertible(fs) {
		return s.convert(ctx, dst, it, fs)
	}
	return res, nil
}

func blocking(fs []sanitize.Finding) bool {
	for _, f := range fs {
		if f.Action == sanitize.Blocked {
			return true
		}
	}
	return false
}

// convertible reports whether the converter may try a file: not when it is
// encrypted, malformed or over a limit.
func convertible(fs []sanitize.Finding) bool {
	for _, f := range fs {
		switch f.Rule {
		case RuleEncrypted, sanitize.RuleMalformed, sanitize.RuleLimitParts:
			return false
		}
	}
	return true
}

// convert runs the converter and sends its output through the engine as a
// child item.
func (s *Sanitizer) convert(ctx context.Context, dst io.Writer, it *sanitize.Item, fs []sanitize.Finding) (sanitize.Result, error) {
	res := sanitize.Result{Findings: fs}
	target := twin(it.Kind)
	path, cleanup, err := s.opt.Converter.Convert(ctx, it.Src, it.Kind)
	defer cleanup()
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleConverted, Action: sanitize.Blocked, Detail: "conversion failed: " + err.Error()})
		return res, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("ole: converter output: %w", err)
	}
	defer f.Close()
	// The converter may keep the VBA project (LibreOffice writes it into
	// the docx), so the child is declared as the macro-enabled twin: a
	// regular package under that name is harmless, a macro package under a
	// regular name would be a mismatch. The OOXML sanitizer removes the
	// macros and writes the regular twin.
	rep, out, err := it.Child(ctx, f, childName(it.Name, macroTwin(target)), "")
	if err != nil {
		return res, err
	}
	res.Children = []*sanitize.Report{rep}
	if out == nil {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleConverted, Action: sanitize.Blocked, Detail: "the converted document was blocked"})
		return res, nil
	}
	defer out.Close()
	if rep.OutputType != target {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleConverted, Action: sanitize.Blocked, Detail: fmt.Sprintf("converter produced %s, want %s", rep.OutputType, target)})
		return res, nil
	}
	for i := range res.Findings {
		if res.Findings[i].Action == sanitize.Blocked {
			res.Findings[i].Action = sanitize.Removed
		}
	}
	res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleConverted, Action: sanitize.Converted, Detail: fmt.Sprintf("converted to %s", target)})
	if _, err := io.Copy(dst, io.NewSectionReader(out, 0, out.Size())); err != nil {
		return res, err
	}
	res.Kind = target
	return res, nil
}

// twin is the OOXML kind a legacy kind converts to.
func twin(k sanitize.Kind) sanitize.Kind {
	switch k {
	case detect.DOC:
		return detect.DOCX
	case detect.XLS:
		return detect.XLSX
	}
	return detect.PPTX
}

func macroTwin(k sanitize.Kind) sanitize.Kind {
	switch k {
	case detect.DOCX:
		return detect.DOCM
	case detect.XLSX:
		return detect.XLSM
	}
	return detect.PPTM
}

func childName(name string, k sanitize.Kind) string {
	return sanitize.OutputName(sanitize.CleanName(name), k)
}
