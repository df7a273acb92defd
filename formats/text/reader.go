package text

import (
	"fmt"
	"io"

	"github.com/mugai-project/mugai/sanitize"
)

// Rule IDs this package emits; each is listed in sanitize.RuleTable.
const (
	RuleCharset = "text.charset" // converted to UTF-8 (or a byte order mark removed)
	RuleInvalid = "text.invalid" // invalid byte sequences replaced by U+FFFD
	RuleControl = "text.control" // control characters removed, lone CRs turned into LF
	RuleBidi    = "text.bidi"    // bidirectional controls removed
)

// Reader is the whole text pipeline: a Decoder from the source charset to
// UTF-8 followed by a Cleaner. The text and CSV sanitizers read through it,
// and so can any package that turns content into plain text.
//
// A Reader is not safe for concurrent use. It does not close r.
type Reader struct {
	dec *Decoder
	cl  *Cleaner
}

// NewReader returns a Reader that decodes cs-encoded bytes from r and cleans
// them.
func NewReader(r io.Reader, cs Charset) *Reader {
	dec := NewDecoder(r, cs)
	return &Reader{dec: dec, cl: NewCleaner(dec)}
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) { return r.cl.Read(p) }

// Release gives the Reader's buffers back for reuse by other Readers. Read
// fails afterwards; Charset, Stats and Findings still work. Calling it is
// optional (without it the buffers are left to the garbage collector) and
// calling it twice is harmless.
func (r *Reader) Release() {
	r.cl.r.release()
	r.dec.r.release()
}

// Charset reports the source charset.
func (r *Reader) Charset() Charset { return r.dec.Charset() }

// BOM reports whether a byte order mark was removed from the start. It is
// final once Read has returned a byte or io.EOF.
func (r *Reader) BOM() bool { return r.dec.BOM() || r.cl.Stats().BOM }

// Invalid reports how many invalid sequences became U+FFFD.
func (r *Reader) Invalid() int64 { return r.dec.Invalid() }

// Stats reports what the Cleaner changed.
func (r *Reader) Stats() CleanStats { return r.cl.Stats() }

// Findings reports what the pipeline has done so far, one finding per rule
// and action, with the first line concerned in Where and the count in
// Detail:
//
//   - text.charset (Converted) when the source was not UTF-8 (Where: the
//     charset), or a byte order mark was removed from UTF-8 (Where: "UTF-8");
//   - text.invalid (Converted) for bytes invalid in the charset;
//   - text.control (Removed) for control characters, and (Converted) for
//     lone CRs turned into LF;
//   - text.bidi (Removed) for bidirectional controls.
//
// Call it after reading to io.EOF for the complete account.
func (r *Reader) Findings() []sanitize.Finding {
	var fs []sanitize.Finding
	switch cs := r.Charset(); {
	case cs != UTF8:
		fs = append(fs, sanitize.Finding{Rule: RuleCharset, Where: cs.String(), Action: sanitize.Converted,
			Detail: fmt.Sprintf("decoded from %s to UTF-8", cs)})
	case r.BOM():
		fs = append(fs, sanitize.Finding{Rule: RuleCharset, Where: cs.String(), Action: sanitize.Converted,
			Detail: "byte order mark removed"})
	}
	if n := r.dec.Invalid(); n > 0 {
		fs = append(fs, sanitize.Finding{Rule: RuleInvalid, Where: lineWhere(r.dec.FirstInvalidLine()), Action: sanitize.Converted,
			Detail: fmt.Sprintf("%d invalid byte sequence(s) in %s replaced by U+FFFD", n, r.Charset())})
	}
	st := r.cl.Stats()
	if st.Controls > 0 {
		fs = append(fs, sanitize.Finding{Rule: RuleControl, Where: lineWhere(st.FirstControlLine), Action: sanitize.Removed,
			Detail: fmt.Sprintf("%d control character(s) removed", st.Controls)})
	}
	if st.LoneCR > 0 {
		fs = append(fs, sanitize.Finding{Rule: RuleControl, Where: lineWhere(st.FirstLoneCRLine), Action: sanitize.Converted,
			Detail: fmt.Sprintf("%d lone CR line break(s) turned into LF", st.LoneCR)})
	}
	if st.Bidi > 0 {
		fs = append(fs, sanitize.Finding{Rule: RuleBidi, Where: lineWhere(st.FirstBidiLine), Action: sanitize.Removed,
			Detail: fmt.Sprintf("%d bidirectional control character(s) removed", st.Bidi)})
	}
	return fs
}

func lineWhere(n int64) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf("line %d", n)
}
