package xlsx

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Rule IDs this package emits; each is explained in sanitize.RuleTable.
const (
	RuleRebuild = "xlsx.rebuild" // the workbook was rebuilt from cell values (recorded)
	RuleFormula = "xlsx.formula" // formulas replaced by their cached values
	RuleDDE     = "xlsx.dde"     // DDE, command or external-reference formulas removed
	RulePart    = "xlsx.part"    // parts not carried into the new workbook
)

// Options configure the rebuild; the zero value is the documented default.
type Options struct {
	// KeepFormulas writes formulas (with their cached values) instead of
	// the cached values alone. DDE, command and external-reference
	// formulas are removed either way.
	KeepFormulas bool
	// TmpDir is where excelize spills large sheets and shared strings;
	// "" is the system temp directory.
	TmpDir string
	// MaxPartSize bounds one entry's expanded size; zero means
	// ooxml.DefaultMaxPartSize.
	MaxPartSize int64
	// XMLMemory is excelize's UnzipXMLSizeLimit: sheets and shared-string
	// tables larger than this are read from temp files instead of memory.
	// Zero means DefaultXMLMemory.
	XMLMemory int64
	// XML limits for our own reading of the sheets, as in ooxml.
	XML ooxml.Options
}

// DefaultXMLMemory is the default Options.XMLMemory.
const DefaultXMLMemory = 4 << 20

// Sanitizer rebuilds workbooks. Safe for concurrent use.
type Sanitizer struct{ opt Options }

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns an xlsx rebuilding Sanitizer.
func New(opt Options) *Sanitizer {
	if opt.MaxPartSize <= 0 {
		opt.MaxPartSize = ooxml.DefaultMaxPartSize
	}
	if opt.XMLMemory <= 0 {
		opt.XMLMemory = DefaultXMLMemory
	}
	return &Sanitizer{opt: opt}
}

var zipRules = ooxml.ZipRules{Prefix: "xlsx", Zip: ooxml.RuleZip, Path: ooxml.RulePath, Duplicate: ooxml.RuleDuplicate, Bomb: ooxml.RuleBomb}

type job struct {
	ctx      context.Context
	it       *sanitize.Item
	opt      *Options
	p        *ooxml.Package
	in       *excelize.File
	out      *excelize.File
	styles   map[int]int // input style index → output style ID
	findings []sanitize.Finding
	seen     map[[2]string]bool
	formulas int
}

// sheet is one sheet of the input workbook.
type sheet struct {
	name, typ, part string
}

// Sanitize implements sanitize.Sanitizer: it writes a new workbook holding
// the cell values, number formats, basic styles, merged cells, column
// widths, row heights and sheet names of the input's worksheets. The
// result is XLSX.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (res sanitize.Result, err error) {
	opt := s.opt
	res.Kind = detect.XLSX
	p, fs, err := ooxml.OpenZip(it, opt.MaxPartSize, zipRules)
	if err != nil || len(fs) > 0 {
		res.Findings = fs
		return res, err
	}
	j := &job{ctx: ctx, it: it, opt: &opt, p: p, styles: map[int]int{}, seen: map[[2]string]bool{}}
	defer func() {
		if j.in != nil {
			j.in.Close()
		}
		if j.out != nil {
			j.out.Close()
		}
	}()
	err = j.run(dst)
	res.Findings = j.findings
	if part, ok := ooxml.IsDTD(err); ok {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: ooxml.RuleDTD, Where: part, Action: sanitize.Blocked, Detail: "DTD or entity declaration"})
		return res, nil
	}
	return res, err
}

func (j *job) find(rule, where string, a sanitize.Action, detail string) {
	k := [2]string{rule, where}
	if j.seen[k] {
		return
	}
	j.seen[k] = true
	j.findings = append(j.findings, sanitize.Finding{Rule: rule, Where: where, Action: a, Detail: detail})
}

func (j *job) run(dst io.Writer) error {
	// excelize expands every entry itself: charge their declared sizes
	// (archive/zip refuses an entry that expands past its declaration).
	var total int64
	for _, f := range j.p.Files {
		total += int64(f.UncompressedSize64)
	}
	if _, err := io.Copy(io.Discard, j.it.ExpandLimit(io.LimitReader(zeros{}, total))); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	sheets, err := j.sheets()
	if err != nil {
		return err
	}
	j.classify()
	lim := j.it.Limits.MaxExpanded
	in, err := excelize.OpenReader(j.it.Src, excelize.Options{
		UnzipSizeLimit:    lim,
		UnzipXMLSizeLimit: min(j.opt.XMLMemory, lim),
		TmpDir:            j.opt.TmpDir,
		RawCellValue:      true,
	})
	if in != nil {
		j.in = in
	}
	if err != nil {
		return fmt.Errorf("xlsx: excelize: %v: %w", err, sanitize.ErrMalformed)
	}
	j.out = excelize.NewFile(excelize.Options{TmpDir: j.opt.TmpDir})
	j.out.ZipWriter = func(w io.Writer) excelize.ZipWriter { return &sortedZip{zw: zip.NewWriter(w), it: j.it} }
	first := true
	for _, sh := range sheets {
		switch {
		case strings.HasSuffix(sh.typ, "/worksheet"):
		case strings.HasSuffix(sh.typ, "/macrosheet"), strings.HasSuffix(sh.typ, "/xlMacrosheet"), strings.HasSuffix(sh.typ, "/xlIntlMacrosheet"), strings.HasSuffix(sh.typ, "/dialogsheet"):
			j.find(RulePart, sh.part, sanitize.Removed, "Excel 4.0 macro or dialog sheet")
			continue
		default:
			j.find(RulePart, sh.part, sanitize.Recorded, "sheet that is not a worksheet (chart) not carried")
			continue
		}
		name := sh.name
		if first {
			if err := j.out.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("xlsx: sheet name: %v: %w", err, sanitize.ErrMalformed)
			}
			first = false
		} else if _, err := j.out.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx: sheet name: %v: %w", err, sanitize.ErrMalformed)
		}
		if err := j.copySheet(sh); err != nil {
			return err
		}
	}
	if j.formulas > 0 {
		j.find(RuleFormula, "workbook", sanitize.Converted, fmt.Sprintf("%d formulas replaced by their cached values", j.formulas))
	}
	j.find(RuleRebuild, "workbook", sanitize.Recorded, "rebuilt from cell values and basic formatting")
	if err := j.ctx.Err(); err != nil {
		return err
	}
	if err := j.out.Write(dst); err != nil {
		if isSentinel(err) {
			return err
		}
		return fmt.Errorf("xlsx: write: %w", err)
	}
	return nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// classify reports the parts whose kind of content is never carried.
func (j *job) classify() {
	for _, f := range j.p.Files {
		n := strings.ToLower(f.Name)
		var what string
		switch {
		case strings.Contains(n, "vbaproject") || strings.Contains(n, "vbadata"):
			what = "macros (VBA)"
		case strings.Contains(n, "macrosheets/") || strings.Contains(n, "dialogsheets/"):
			what = "Excel 4.0 macro sheet"
		case strings.Contains(n, "externallinks/"):
			what = "external link"
		case strings.Contains(n, "embeddings/") || strings.Contains(n, "oleobject"):
			what = "embedded object"
		case strings.Contains(n, "activex"):
			what = "ActiveX control"
		case strings.HasSuffix(n, "connections.xml") || strings.Contains(n, "querytables/"):
			what = "external data connection"
		case strings.HasPrefix(n, "customui"):
			what = "ribbon customisation"
		case strings.Contains(n, "_xmlsignatures/"):
			what = "digital signature"
		default:
			continue
		}
		j.find(RulePart, f.Name, sanitize.Removed, what)
	}
}

// sheets reads the workbook's sheet list (name, relationship type, part)
// with our own bounded XML reader.
func (j *job) sheets() ([]sheet, error) {
	rels, err := j.rels("")
	if err != nil {
		return nil, err
	}
	wb := ""
	for _, r := range rels {
		if strings.HasSuffix(r.typ, "/officeDocument") {
			wb = r.target
		}
	}
	if wb == "" || j.p.ByKey[strings.ToLower(wb)] == nil {
		return nil, fmt.Errorf("xlsx: no workbook part: %w", sanitize.ErrMalformed)
	}
	wrels, err := j.rels(wb)
	if err != nil {
		return nil, err
	}
	byID := map[string]rel{}
	for _, r := range wrels {
		byID[r.id] = r
	}
	var out []sheet
	err = j.walk(wb, func(x *ooxml.XMLReader, se xml.StartElement) error {
		if se.Name.Local != "sheet" || x.Depth() != 3 {
			return nil
		}
		var sh sheet
		var id string
		for _, a := range se.Attr {
			switch {
			case a.Name.Local == "name" && a.Name.Space == "":
				sh.name = a.Value
			case a.Name.Local == "id" && a.Name.Space != "":
				id = a.Value
			}
		}
		r, ok := byID[id]
		if !ok {
			return nil
		}
		sh.typ, sh.part = r.typ, r.target
		out = append(out, sh)
		return nil
	})
	return out, err
}

type rel struct{ id, typ, target string }

// rels reads the relationships of part src ("" for the package); targets
// are resolved to part names, external ones left out.
func (j *job) rels(src string) ([]rel, error) {
	dir, base := path.Split(src)
	name := dir + "_rels/" + base + ".rels"
	if j.p.ByKey[strings.ToLower(name)] == nil {
		return nil, nil
	}
	var out []rel
	err := j.walk(name, func(x *ooxml.XMLReader, se xml.StartElement) error {
		if se.Name.Local != "Relationship" {
			return nil
		}
		var r rel
		var mode string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Id":
				r.id = a.Value
			case "Type":
				r.typ = a.Value
			case "Target":
				r.target = a.Value
			case "TargetMode":
				mode = a.Value
			}
		}
		if strings.EqualFold(mode, "External") {
			return nil
		}
		u, err := url.Parse(r.target)
		if err != nil || u.Scheme != "" || u.Path == "" {
			return nil
		}
		t := u.Path
		if !strings.HasPrefix(t, "/") {
			t = "/" + dir + t
		}
		r.target = strings.TrimPrefix(path.Clean(t), "/")
		out = append(out, r)
		return nil
	})
	return out, err
}

// walk calls fn for every start element of a part.
func (j *job) walk(name string, fn func(*ooxml.XMLReader, xml.StartElement) error) error {
	f := j.p.ByKey[strings.ToLower(name)]
	if f == nil {
		return fmt.Errorf("xlsx: no part %s: %w", name, sanitize.ErrMalformed)
	}
	rc, err := j.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	x := ooxml.NewXMLReader(rc, f.Name, j.opt.XML)
	for {
		tok, err := x.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok {
			if err := fn(x, se); err != nil {
				return err
			}
		}
	}
}

// open reads an entry again for our own parsing: bounded by MaxPartSize,
// not charged (its declared size was).
func (j *job) open(f *zip.File) (io.ReadCloser, error) {
	if err := j.ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("xlsx: %s: %v: %w", f.Name, err, sanitize.ErrMalformed)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, j.opt.MaxPartSize), rc}, nil
}

// dangerous returns why a formula must not be written even when formulas
// are kept: DDE (app|topic!item), command and registration functions,
// web functions and references to other workbooks; "" when it may stay.
func dangerous(f string) string {
	u := strings.ToUpper(strings.Join(strings.Fields(f), ""))
	switch {
	case strings.Contains(u, "|"):
		return "DDE reference"
	case strings.Contains(u, "DDE(") || strings.Contains(u, "DDEAUTO"):
		return "DDE function"
	case strings.Contains(u, "EXEC(") || strings.Contains(u, "CALL(") || strings.Contains(u, "REGISTER(") || strings.Contains(u, "RUN("):
		return "command function"
	case strings.Contains(u, "WEBSERVICE(") || strings.Contains(u, "FILTERXML(") || strings.Contains(u, "RTD(") || strings.Contains(u, "IMPORTXML(") || strings.Contains(u, "HYPERLINK("):
		return "web or link function"
	case strings.Contains(u, "[") && strings.Contains(u, "]") && strings.Contains(u, "!"):
		return "external workbook reference"
	case strings.Contains(u, "'HTTP") || strings.Contains(u, "'FILE:") || strings.Contains(u, "\\\\"):
		return "external reference"
	}
	return ""
}

// sortedZip is the zip writer handed to excelize: it spools each entry and
// writes them sorted by name at Close, so that the output does not depend
// on excelize's map order.
type sortedZip struct {
	zw      *zip.Writer
	it      *sanitize.Item
	entries []zipEntry
}

type zipEntry struct {
	name string
	sp   *sanitize.Spool
}

func (z *sortedZip) Create(name string) (io.Writer, error) {
	sp := z.it.NewSpool(0)
	z.entries = append(z.entries, zipEntry{name, sp})
	return sp, nil
}

func (z *sortedZip) AddFS(fs.FS) error { return errors.New("xlsx: AddFS not supported") }

func (z *sortedZip) Close() error {
	defer func() {
		for _, e := range z.entries {
			e.sp.Close()
		}
	}()
	slices.SortStableFunc(z.entries, func(a, b zipEntry) int {
		return strings.Compare(order(a.name), order(b.name))
	})
	for _, e := range z.entries {
		b, err := e.sp.Finish()
		if err != nil {
			return err
		}
		w, err := z.zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err == nil {
			_, err = io.Copy(w, b.Reader())
		}
		b.Close()
		if err != nil {
			return err
		}
	}
	return z.zw.Close()
}

// order puts [Content_Types].xml first, then the rest by name.
func order(n string) string {
	if n == "[Content_Types].xml" {
		return ""
	}
	return n
}

func isSentinel(err error) bool {
	for _, e := range []error{sanitize.ErrTooLarge, sanitize.ErrMalformed, sanitize.ErrEncrypted, sanitize.ErrTimeout, sanitize.ErrUnsupported, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
