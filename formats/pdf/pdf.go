package pdf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Rule IDs this package emits; each is listed in sanitize.RuleTable.
const (
	RuleAA         = "pdf.aa"         // an automatic (/AA) action other than GoTo
	RuleAction     = "pdf.action"     // another non-navigation action (Thread, unknown types)
	RuleEmbedded   = "pdf.embedded"   // embedded files and file attachments
	RuleEncryption = "pdf.encryption" // owner-password encryption removed
	RuleGoToE      = "pdf.gotoe"      // go to an embedded document
	RuleGoToR      = "pdf.gotor"      // go to another file
	RuleImportData = "pdf.importdata" // import form data from a file
	RuleJavaScript = "pdf.javascript" // JavaScript
	RuleLaunch     = "pdf.launch"     // launch an application or file
	RuleMultimedia = "pdf.multimedia" // sound, movie, rendition, rich media, 3D
	RuleOpenAction = "pdf.openaction" // an open action other than GoTo
	RuleSubmitForm = "pdf.submitform" // send form data somewhere
	RuleURI        = "pdf.uri"        // a link removed by scheme or policy
	RuleXFA        = "pdf.xfa"        // XFA form
)

// LinkPolicy says what becomes of URI actions (links).
type LinkPolicy uint8

// Link policies. javascript:, file: and every other scheme are always removed.
const (
	LinkKeep   LinkPolicy = iota // keep http, https and mailto links
	LinkRemove                   // remove every URI action
)

// Defaults for Options.
const (
	DefaultMaxPages   = 10000
	DefaultMaxObjects = 1_000_000
)

// maxDepth bounds the nesting of direct dictionaries and arrays.
const maxDepth = 64

// Options configure the PDF Sanitizer. The zero value is the documented
// default.
type Options struct {
	// Links: LinkKeep (zero) keeps http, https and mailto URI actions.
	Links LinkPolicy
	// Attachments: AttachmentsRemove (zero) or AttachmentsSanitize.
	Attachments AttachmentPolicy
	// MaxPages is the most pages a document may have; 0 means
	// DefaultMaxPages.
	MaxPages int
	// MaxObjects is the most objects the cross-reference table may have; 0
	// means DefaultMaxObjects.
	MaxObjects int
	// Rasterize renders every page of the disarmed document to an image
	// and writes a PDF of the images only (no text, links or forms survive),
	// with a pdf.rasterized finding (Recorded). Off by default.
	Rasterize bool
	// RasterizeFor, when set, decides per item (from sanitize.TraceFrom,
	// say the envelope sender) whether to rasterize; Rasterize true
	// rasterizes every item whatever it says.
	RasterizeFor func(ctx context.Context) bool
	// Raster configures rasterizing.
	Raster RasterOptions
	// Passwords are tried, in order, on a file that needs a user password
	// (after those WithPasswords put in the context). A file that opens
	// with one of them is sanitized and written unencrypted; without a
	// matching password it fails with sanitize.ErrEncrypted.
	Passwords []string
}

type passwordsKey struct{}

// WithPasswords returns ctx carrying passwords for encrypted PDFs of the
// item processed with it (the password that came with a mail, for
// instance); they are tried before Options.Passwords.
func WithPasswords(ctx context.Context, pws ...string) context.Context {
	prev, _ := ctx.Value(passwordsKey{}).([]string)
	return context.WithValue(ctx, passwordsKey{}, append(slices.Clip(prev), pws...))
}

func (o Options) passwords(ctx context.Context) []string {
	pws, _ := ctx.Value(passwordsKey{}).([]string)
	return append(slices.Clip(pws), o.Passwords...)
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	if o.Links > LinkRemove {
		return errors.New("pdf: Links must be LinkKeep or LinkRemove")
	}
	if o.Attachments > AttachmentsSanitize {
		return errors.New("pdf: Attachments must be AttachmentsRemove or AttachmentsSanitize")
	}
	if o.MaxPages < 0 || o.MaxObjects < 0 || o.Raster.Pixels < 0 || o.Raster.MaxPages < 0 || o.Raster.Timeout < 0 {
		return errors.New("pdf: limits must not be negative")
	}
	if o.Rasterize || o.RasterizeFor != nil {
		return o.Raster.validate()
	}
	return nil
}

func (o Options) maxPages() int {
	if o.MaxPages > 0 {
		return o.MaxPages
	}
	return DefaultMaxPages
}

func (o Options) maxObjects() int {
	if o.MaxObjects > 0 {
		return o.MaxObjects
	}
	return DefaultMaxObjects
}

// Sanitizer disarms PDF files; see the package documentation. It is safe
// for concurrent use.
type Sanitizer struct {
	opt Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

var disableConfig sync.Once

// New returns a PDF Sanitizer. It turns off pdfcpu's configuration
// directory for the whole process (pdfcpu keeps that switch in a global):
// nothing is read from or written to the file system.
func New(opt Options) *Sanitizer {
	disableConfig.Do(api.DisableConfigDir)
	return &Sanitizer{opt: opt}
}

// Sanitize implements sanitize.Sanitizer. The result's Kind is detect.PDF.
// Errors wrap sanitize.ErrMalformed (parse errors, panics),
// sanitize.ErrEncrypted (a user password is needed), sanitize.ErrTooLarge
// (limits) or the context's error.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (res sanitize.Result, err error) {
	res.Kind = detect.PDF
	if err := s.opt.Validate(); err != nil {
		return res, err
	}
	disableConfig.Do(api.DisableConfigDir)
	defer func() {
		// Our own code should not panic; if it does, fail closed all the same.
		if p := recover(); p != nil {
			res.Findings = nil
			err = fmt.Errorf("pdf: %w: %s: %v", sanitize.ErrMalformed, internalPanic, p)
		}
	}()
	pc, err := s.read(ctx, it, "")
	supplied := false
	if errors.Is(err, sanitize.ErrEncrypted) {
		for _, pw := range s.opt.passwords(ctx) {
			if p, perr := s.read(ctx, it, pw); perr == nil {
				pc, err, supplied = p, nil, true
				break
			}
		}
	}
	if err != nil {
		return res, err
	}
	raster := s.opt.Rasterize || s.opt.RasterizeFor != nil && s.opt.RasterizeFor(ctx)
	opt := s.opt
	if raster {
		// Page images carry no attachments: sanitizing them would be work
		// for nothing, and reported as kept.
		opt.Attachments = AttachmentsRemove
	}
	c := newCleaner(ctx, it, pc, opt)
	if pc.Encrypt != nil {
		// Converted, not Removed: the content was inspected like any other, so
		// verify mode may pass an owner-password-protected original.
		how := "decrypted with the empty user password"
		if supplied {
			how = "decrypted with a supplied password"
		}
		c.add(RuleEncryption, "/Encrypt", sanitize.Converted, how)
	}
	err = c.run()
	res.Children = c.children
	if err != nil {
		return res, err
	}
	if raster {
		var disarmed bytes.Buffer
		bw := bufio.NewWriterSize(&disarmed, 64<<10)
		if err := c.write(bw); err != nil {
			return res, wrapErr(ctx, err)
		}
		if err := bw.Flush(); err != nil {
			return res, wrapErr(ctx, err)
		}
		sandboxed, err := c.rasterize(ctx, dst, disarmed.Bytes(), s.opt.Raster)
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("pdf: %w", ctx.Err())
			}
			return res, err
		}
		detail := "pages rendered to images; text, links and forms are not kept"
		if !sandboxed {
			detail += " (renderer ran without bubblewrap)"
		}
		res.Findings = append(c.findings, sanitize.Finding{Rule: RuleRasterized, Action: sanitize.Recorded, Detail: detail})
		return res, nil
	}
	bw := bufio.NewWriterSize(dst, 64<<10)
	if err := c.write(bw); err != nil {
		return res, wrapErr(ctx, err)
	}
	if err := bw.Flush(); err != nil {
		return res, wrapErr(ctx, err)
	}
	res.Findings = c.findings
	return res, nil
}

// internalPanic marks errors from a panic in this package's code, as
// opposed to pdfcpu's (tests tell them apart).
const internalPanic = "internal panic"

// read parses the item with pdfcpu, with limits from it. pdfcpu panics on
// hostile files: a panic is an error wrapping sanitize.ErrMalformed.
func (s *Sanitizer) read(ctx context.Context, it *sanitize.Item, password string) (pc *model.Context, err error) {
	defer func() {
		if p := recover(); p != nil {
			pc, err = nil, fmt.Errorf("pdf: %w: parser panic: %v", sanitize.ErrMalformed, p)
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Offline = true
	conf.DecodeAllStreams = false
	conf.CheckFileNameExt = false
	conf.Optimize = false
	conf.OptimizeBeforeWriting = false
	conf.CreateBookmarks = false
	// The standard security handler accepts either password (ISO 32000-1
	// 7.6.3.4): a supplied one is tried as both.
	conf.UserPW, conf.OwnerPW = password, password
	lim := it.Limits.Defaults()
	conf.Limits.MaxStreamBytes = min(conf.Limits.MaxStreamBytes, lim.MaxInput)
	conf.Limits.MaxDecodeBytes = min(conf.Limits.MaxDecodeBytes, lim.MaxExpanded)
	conf.Limits.MaxImageBytes = min(conf.Limits.MaxImageBytes, lim.MaxExpanded)
	conf.Limits.MaxObjectCount = min(conf.Limits.MaxObjectCount, s.opt.maxObjects())
	conf.Limits.MaxXRefEntries = min(conf.Limits.MaxXRefEntries, s.opt.maxObjects())
	conf.Limits.MaxObjectStreamCount = min(conf.Limits.MaxObjectStreamCount, s.opt.maxObjects())
	conf.Limits.MaxRecursionDepth = min(conf.Limits.MaxRecursionDepth, maxDepth)
	// A header after junk (ISO 32000-1 annex H.3 item 3.4.1: within the
	// first 1024 bytes) starts the file: offsets count from it.
	start := headerOffset(it.Src)
	rs := io.NewSectionReader(fixVersion(it.Src, start), start, it.Src.Size()-start)
	pc, err = pdfcpu.ReadWithContext(ctx, rs, conf)
	if err != nil && ctx.Err() == nil && noHeader(err) {
		// No usable header at all (readers open such files): read the
		// file behind a header of our own. Every offset is now off, so
		// the cross-reference table is rebuilt from the objects.
		pc, err = pdfcpu.ReadWithContext(ctx, withHeader(it.Src, start), conf)
	}
	if err != nil {
		return nil, wrapErr(ctx, err)
	}
	if pc == nil || pc.XRefTable == nil || pc.Root == nil {
		return nil, fmt.Errorf("pdf: %w: no document catalog", sanitize.ErrMalformed)
	}
	if len(pc.Table) > s.opt.maxObjects() {
		return nil, fmt.Errorf("pdf: %w: more than %d objects", sanitize.ErrTooLarge, s.opt.maxObjects())
	}
	return pc, nil
}

// wrapErr maps an error from pdfcpu or from writing to our sentinels.
func wrapErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("pdf: %w", cerr)
	}
	for _, s := range []error{sanitize.ErrMalformed, sanitize.ErrTooLarge, sanitize.ErrEncrypted, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return fmt.Errorf("pdf: %w", err)
		}
	}
	if errors.Is(err, pdfcpu.ErrWrongPassword) || errors.Is(err, pdfcpu.ErrEncrypted) || strings.Contains(err.Error(), "encrypt") {
		return fmt.Errorf("pdf: %w: %v", sanitize.ErrEncrypted, err)
	}
	if strings.Contains(err.Error(), "limit") || strings.Contains(err.Error(), "exceeds") {
		return fmt.Errorf("pdf: %w: %v", sanitize.ErrTooLarge, err)
	}
	return fmt.Errorf("pdf: %w: %v", sanitize.ErrMalformed, err)
}

// noHeader reports whether pdfcpu failed for want of a header version.
func noHeader(err error) bool {
	m := err.Error()
	return strings.Contains(m, "no header version") || strings.Contains(m, "unknown PDF header version")
}

// withHeader returns the file from off behind a "%PDF-1.7" line.
func withHeader(r io.ReaderAt, off int64) io.ReadSeeker {
	size := int64(0)
	if sr, ok := r.(*io.SectionReader); ok {
		size = sr.Size()
	}
	hdr := strings.NewReader("%PDF-1.7\n")
	return newMultiReadSeeker(hdr, io.NewSectionReader(r, off, size-off))
}

// multiReadSeeker concatenates two ReadSeekers of known size.
type multiReadSeeker struct {
	a, b   io.ReadSeeker
	la, lb int64
	pos    int64
}

func newMultiReadSeeker(a *strings.Reader, b *io.SectionReader) *multiReadSeeker {
	return &multiReadSeeker{a: a, b: b, la: a.Size(), lb: b.Size()}
}

func (m *multiReadSeeker) Read(p []byte) (int, error) {
	if m.pos >= m.la+m.lb {
		return 0, io.EOF
	}
	var n int
	var err error
	if m.pos < m.la {
		if _, err = m.a.Seek(m.pos, io.SeekStart); err != nil {
			return 0, err
		}
		n, err = m.a.Read(p[:min(int64(len(p)), m.la-m.pos)])
	} else {
		if _, err = m.b.Seek(m.pos-m.la, io.SeekStart); err != nil {
			return 0, err
		}
		n, err = m.b.Read(p)
	}
	m.pos += int64(n)
	if err == io.EOF && m.pos < m.la+m.lb {
		err = nil
	}
	return n, err
}

func (m *multiReadSeeker) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += m.pos
	case io.SeekEnd:
		off += m.la + m.lb
	default:
		return 0, errors.New("pdf: bad whence")
	}
	if off < 0 {
		return 0, errors.New("pdf: negative position")
	}
	m.pos = off
	return off, nil
}

// headerOffset returns where "%PDF-" starts within the first 1024 bytes, or
// 0.
func headerOffset(r io.ReaderAt) int64 {
	buf := make([]byte, 1024+5)
	n, _ := r.ReadAt(buf, 0)
	if i := bytes.Index(buf[:n], []byte("%PDF-")); i > 0 {
		return int64(i)
	}
	return 0
}

// fixVersion reads the header version at off+5 and, when it is of the form
// d.d but not a version pdfcpu knows (1.8, 2.4: readers open such files),
// returns r with the version read as 1.7 or 2.0.
func fixVersion(r io.ReaderAt, off int64) io.ReaderAt {
	v := make([]byte, 8)
	if n, _ := r.ReadAt(v, off); n < 8 || string(v[:5]) != "%PDF-" {
		return r
	}
	v = v[5:]
	if !isDigit(v[0]) || v[1] != '.' || !isDigit(v[2]) {
		return r
	}
	switch string(v) {
	case "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "2.0":
		return r
	}
	fix := "1.7"
	if v[0] >= '2' {
		fix = "2.0"
	}
	return patchedReaderAt{r: r, off: off + 5, patch: []byte(fix)}
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// patchedReaderAt reads r with the bytes at off replaced by patch.
type patchedReaderAt struct {
	r     io.ReaderAt
	off   int64
	patch []byte
}

func (p patchedReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	for i := range p.patch {
		if j := p.off + int64(i) - off; j >= 0 && j < int64(n) {
			b[j] = p.patch[i]
		}
	}
	return n, err
}
