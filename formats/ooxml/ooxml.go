package ooxml

import (
	"archive/zip"
	"compress/flate"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Hyperlinks says what happens to external hyperlink relationships.
type Hyperlinks uint8

// Hyperlink policies. The zero value keeps http, https and mailto links.
const (
	HyperlinksKeepWeb Hyperlinks = iota // keep http:, https: and mailto: targets; remove the rest
	HyperlinksStrip                     // remove every external hyperlink (the text stays)
)

// Options configure the Sanitizer. The zero value of each field is the
// documented default.
type Options struct {
	// Hyperlinks: zero keeps http, https and mailto hyperlinks.
	Hyperlinks Hyperlinks
	// MaxPartSize bounds the expanded size of one entry; zero means
	// DefaultMaxPartSize. The item's MaxExpanded budget bounds the total.
	MaxPartSize int64
	// MaxXMLDepth bounds element nesting in a part; zero means
	// DefaultMaxXMLDepth.
	MaxXMLDepth int
	// MaxXMLTokens bounds the tokens in one part; zero means
	// DefaultMaxXMLTokens.
	MaxXMLTokens int
	// MaxXMLAttrs bounds the attributes of one element; zero means
	// DefaultMaxXMLAttrs.
	MaxXMLAttrs int
}

// Defaults for Options.
const (
	DefaultMaxPartSize  = 64 << 20
	DefaultMaxXMLDepth  = 256
	DefaultMaxXMLTokens = 20_000_000
	DefaultMaxXMLAttrs  = 256
)

func (o Options) withDefaults() Options {
	if o.MaxPartSize <= 0 {
		o.MaxPartSize = DefaultMaxPartSize
	}
	if o.MaxXMLDepth <= 0 {
		o.MaxXMLDepth = DefaultMaxXMLDepth
	}
	if o.MaxXMLTokens <= 0 {
		o.MaxXMLTokens = DefaultMaxXMLTokens
	}
	if o.MaxXMLAttrs <= 0 {
		o.MaxXMLAttrs = DefaultMaxXMLAttrs
	}
	return o
}

// Sanitizer rebuilds OOXML packages from an allow-list. It is safe for
// concurrent use.
type Sanitizer struct {
	opt Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns an OOXML Sanitizer.
func New(opt Options) *Sanitizer { return &Sanitizer{opt: opt.withDefaults()} }

// rel is one relationship of a .rels part.
type rel struct {
	id, typ, target, mode string
	resolved              string // internal target as a lower-case part name, "" for external
	drop                  string // rule it is removed under, "" to keep
}

// job is the state of one Sanitize call.
type job struct {
	ctx      context.Context
	it       *sanitize.Item
	opt      *Options
	p        *pkg
	types    *contentTypes
	rels     map[string][]*rel // source part key ("" for the package) → relationships
	removed  map[string]string // part key → rule
	findings []sanitize.Finding
	seen     map[[2]string]bool
}

// Sanitize implements sanitize.Sanitizer: it writes a new package to dst
// holding only allowed parts, rewritten. The result's Kind is DOCX, XLSX or
// PPTX, the regular twin of the input's kind.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	opt := s.opt
	res := sanitize.Result{Kind: twin(it.Kind)}
	p, fs, err := openPackage(it, &opt)
	if err != nil || len(fs) > 0 {
		res.Findings = fs
		return res, err
	}
	j := &job{ctx: ctx, it: it, opt: &opt, p: p, rels: map[string][]*rel{}, removed: map[string]string{}, seen: map[[2]string]bool{}}
	if err := j.run(dst); err != nil {
		if de, ok := err.(*dtdError); ok {
			res.Findings = append(j.findings, block(RuleDTD, de.part, "DTD or entity declaration"))
			return res, nil
		}
		return res, err
	}
	res.Findings = j.findings
	if k := kindOf(j.mainType()); k != "" {
		res.Kind = k
	}
	return res, nil
}

func twin(k sanitize.Kind) sanitize.Kind {
	switch k {
	case detect.DOCM:
		return detect.DOCX
	case detect.XLSM:
		return detect.XLSX
	case detect.PPTM:
		return detect.PPTX
	}
	return k
}

func kindOf(ct string) sanitize.Kind {
	switch mainTypes[ct] {
	case ctDocx:
		return detect.DOCX
	case ctXlsx:
		return detect.XLSX
	case ctPptx:
		return detect.PPTX
	}
	return ""
}

func (j *job) find(rule, where string, a sanitize.Action, detail string) {
	k := [2]string{rule, where}
	if j.seen[k] {
		return
	}
	j.seen[k] = true
	j.findings = append(j.findings, sanitize.Finding{Rule: rule, Where: where, Action: a, Detail: detail})
}

// open returns a reader of a part's expanded bytes, charged to the item's
// budget and bounded by MaxPartSize.
func (j *job) open(f *zip.File) (io.ReadCloser, error) { return j.openPart(f, true) }

// openPart is open; a second reading of a part (charge false) is bounded by
// MaxPartSize but not charged again: its bytes were counted the first time.
func (j *job) openPart(f *zip.File, charge bool) (io.ReadCloser, error) {
	if err := j.ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("ooxml: %s: %v: %w", f.Name, err, sanitize.ErrMalformed)
	}
	var r io.Reader = rc
	if charge {
		r = j.it.ExpandLimit(rc)
	}
	return struct {
		io.Reader
		io.Closer
	}{&partReader{r: r, name: f.Name, left: j.opt.MaxPartSize}, rc}, nil
}

type partReader struct {
	r    io.Reader
	name string
	left int64
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.left -= int64(n)
	if p.left < 0 {
		return 0, fmt.Errorf("ooxml: %s: part larger than its limit: %w", p.name, sanitize.ErrTooLarge)
	}
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("ooxml: %s: %w", p.name, wrapZipErr(err))
	}
	return n, err
}

func wrapZipErr(err error) error {
	if isSentinel(err) {
		return err
	}
	return fmt.Errorf("%v: %w", err, sanitize.ErrMalformed)
}

func (j *job) run(dst io.Writer) error {
	ctf := j.p.byKey["[content_types].xml"]
	if ctf == nil {
		return fmt.Errorf("ooxml: no [Content_Types].xml: %w", sanitize.ErrMalformed)
	}
	ct, err := j.readContentTypes(ctf)
	if err != nil {
		return err
	}
	j.types = ct
	for _, f := range j.p.files {
		if isRelsName(f.Name) {
			src, ok := relsSource(f.Name)
			if !ok {
				continue
			}
			rs, err := j.readRels(f, src)
			if err != nil {
				return err
			}
			j.rels[src] = rs
		}
	}
	if err := j.decide(); err != nil {
		return err
	}
	return j.write(dst)
}

// isRelsName reports whether name is a relationships part (…/_rels/x.rels).
func isRelsName(name string) bool {
	n := lowerASCII(name)
	return strings.HasSuffix(n, ".rels") && (strings.HasPrefix(n, "_rels/") || strings.Contains(n, "/_rels/"))
}

// relsSource returns the key of the part whose relationships name holds
// ("" for the package), ECMA-376-2 §9.3.3.
func relsSource(name string) (string, bool) {
	n := lowerASCII(name)
	dir, base := path.Split(n)
	if path.Base(path.Clean(dir)) != "_rels" || !strings.HasSuffix(base, ".rels") {
		return "", false
	}
	parent := strings.TrimSuffix(strings.TrimSuffix(dir, "/"), "_rels")
	src := parent + strings.TrimSuffix(base, ".rels")
	if src == "" && parent == "" && base == ".rels" {
		return "", true
	}
	return src, true
}

func relsName(src string) string {
	dir, base := path.Split(src)
	return dir + "_rels/" + base + ".rels"
}

// contentTypes is [Content_Types].xml (ECMA-376-2 §10.1.2.2).
type contentTypes struct {
	defaults  []ctEntry // in document order
	overrides map[string]ctEntry
	order     []string // override keys in document order
}

type ctEntry struct {
	key, name, ct string // key: lower-case extension or part name; name: as written
}

func (j *job) readContentTypes(f *zip.File) (*contentTypes, error) {
	rc, err := j.open(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	ct := &contentTypes{overrides: map[string]ctEntry{}}
	x := newXMLReader(rc, f.Name, j.opt, false)
	for {
		tok, err := x.next()
		if err == io.EOF {
			return ct, nil
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || x.depth() != 2 {
			continue
		}
		typ, _ := attr(se, "ContentType")
		typ = lowerASCII(strings.TrimSpace(typ))
		switch se.Name.Local {
		case "Default":
			ext, _ := attr(se, "Extension")
			ct.defaults = append(ct.defaults, ctEntry{key: lowerASCII(ext), name: ext, ct: typ})
		case "Override":
			pn, _ := attr(se, "PartName")
			key := lowerASCII(strings.TrimPrefix(pn, "/"))
			if _, dup := ct.overrides[key]; dup {
				return nil, fmt.Errorf("ooxml: two content type overrides for %s: %w", pn, sanitize.ErrMalformed)
			}
			ct.overrides[key] = ctEntry{key: key, name: pn, ct: typ}
			ct.order = append(ct.order, key)
		}
	}
}

// typeOf returns the content type of a part key, "" if none.
func (c *contentTypes) typeOf(key string) string {
	if o, ok := c.overrides[key]; ok {
		return o.ct
	}
	ext := path.Ext(key)
	if ext == "" {
		return ""
	}
	for _, d := range c.defaults {
		if d.key == ext[1:] {
			return d.ct
		}
	}
	return ""
}

func (j *job) readRels(f *zip.File, src string) ([]*rel, error) {
	rc, err := j.open(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var rs []*rel
	x := newXMLReader(rc, f.Name, j.opt, false)
	for {
		tok, err := x.next()
		if err == io.EOF {
			return rs, nil
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || x.depth() != 2 || se.Name.Local != "Relationship" {
			continue
		}
		r := &rel{}
		r.id, _ = attr(se, "Id")
		r.typ, _ = attr(se, "Type")
		r.target, _ = attr(se, "Target")
		r.mode, _ = attr(se, "TargetMode")
		if !strings.EqualFold(r.mode, "External") {
			r.resolved = resolve(src, r.target)
		}
		rs = append(rs, r)
	}
}

// resolve turns a relationship target into a part key relative to the
// source part (ECMA-376-2 §9.3.1 and RFC 3986 §5.2); "" when it leaves the
// package or does not parse.
func resolve(src, target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	p := u.Path
	if p == "" {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		p = path.Dir("/"+src) + "/" + p
	}
	clean := path.Clean(p)
	if strings.HasPrefix(strings.TrimPrefix(p, "/"), "..") || clean == "/" {
		return ""
	}
	return lowerASCII(strings.TrimPrefix(clean, "/"))
}

// decide marks relationships and parts for removal, then keeps only what is
// reachable from the package relationships through kept relationships.
func (j *job) decide() error {
	for _, f := range j.p.files {
		key := lowerASCII(f.Name)
		if key == "[content_types].xml" || isRelsName(f.Name) {
			continue
		}
		ct := j.types.typeOf(key)
		switch {
		case deniedName(f.Name) != "":
			j.removed[key] = deniedName(f.Name)
		case deniedTypes[ct] != "":
			j.removed[key] = deniedTypes[ct]
		case ct == "":
			j.removed[key] = RulePart
		case !allowedType(ct):
			j.removed[key] = RulePart
		}
	}
	srcs := make([]string, 0, len(j.rels))
	for src := range j.rels {
		srcs = append(srcs, src)
	}
	slices.Sort(srcs)
	for _, src := range srcs {
		for _, r := range j.rels[src] {
			where := relsName(src)
			if src == "" {
				where = "_rels/.rels"
			}
			rule := relRule(r.typ)
			switch {
			case rule != "":
				r.drop = rule
				if r.resolved != "" {
					if _, ok := j.removed[r.resolved]; !ok {
						j.removed[r.resolved] = rule
					}
				}
				if f := j.p.byKey[r.resolved]; f != nil {
					where = f.Name
				}
				j.find(rule, where, sanitize.Removed, "relationship "+shortType(r.typ))
			case r.resolved == "" && isHyperlinkRel(r.typ):
				if !j.keepHyperlink(r.target) {
					r.drop = RuleHyperlink
					j.find(RuleHyperlink, where, sanitize.Removed, "external hyperlink")
				}
			case r.resolved == "":
				r.drop = RuleExternal
				j.find(RuleExternal, where, sanitize.Removed, "external "+shortType(r.typ))
			}
		}
	}
	// Reachability from the package relationships.
	main := ""
	for _, r := range j.rels[""] {
		if strings.HasSuffix(r.typ, "/officeDocument") && r.drop == "" && r.resolved != "" {
			main = r.resolved
			break
		}
	}
	if main == "" || j.p.byKey[main] == nil {
		return fmt.Errorf("ooxml: no main document part: %w", sanitize.ErrMalformed)
	}
	if _, ok := mainTypes[j.types.typeOf(main)]; !ok {
		return fmt.Errorf("ooxml: main part has content type %q: %w", j.types.typeOf(main), sanitize.ErrUnsupported)
	}
	if _, ok := j.removed[main]; ok {
		return fmt.Errorf("ooxml: main part not allowed: %w", sanitize.ErrMalformed)
	}
	reached := map[string]bool{}
	queue := []string{""}
	for len(queue) > 0 {
		src := queue[0]
		queue = queue[1:]
		for _, r := range j.rels[src] {
			if r.drop != "" || r.resolved == "" {
				continue
			}
			if j.p.byKey[r.resolved] == nil {
				r.drop = RulePart
				j.find(RulePart, r.target, sanitize.Recorded, "relationship to a missing part")
				continue
			}
			if _, gone := j.removed[r.resolved]; gone {
				r.drop = j.removed[r.resolved]
				continue
			}
			if !reached[r.resolved] {
				reached[r.resolved] = true
				queue = append(queue, r.resolved)
			}
		}
	}
	for _, f := range j.p.files {
		key := lowerASCII(f.Name)
		if key == "[content_types].xml" || isRelsName(f.Name) {
			continue
		}
		if rule, ok := j.removed[key]; ok {
			if rule == RuleExternal && strings.Contains(key, "externallink") {
				// A DDE link is stored as an external link part.
				if dde, err := j.contains(f, "ddeLink"); err != nil {
					return err
				} else if dde {
					j.find(RuleDDE, f.Name, sanitize.Removed, "DDE link")
				}
			}
			j.find(rule, f.Name, sanitize.Removed, "part removed")
			continue
		}
		if !reached[key] {
			j.removed[key] = RulePart
			j.find(RulePart, f.Name, sanitize.Removed, "part not referenced")
		}
	}
	if ct := j.types.typeOf(main); mainTypes[ct] != ct {
		j.find(RuleMacroType, j.p.byKey[main].Name, sanitize.Cleaned, "content type "+ct)
	}
	return nil
}

func (j *job) mainType() string {
	for _, r := range j.rels[""] {
		if strings.HasSuffix(r.typ, "/officeDocument") && r.drop == "" && r.resolved != "" {
			return j.types.typeOf(r.resolved)
		}
	}
	return ""
}

func shortType(t string) string { return t[strings.LastIndexByte(t, '/')+1:] }

func (j *job) keepHyperlink(target string) bool {
	if j.opt.Hyperlinks == HyperlinksStrip {
		return false
	}
	u, err := url.Parse(strings.TrimSpace(target))
	if err != nil {
		return false
	}
	switch lowerASCII(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return true
	}
	return false
}

// write writes the new package: content types first, then every kept part
// in input order, rewritten.
func (j *job) write(dst io.Writer) error {
	zw := zip.NewWriter(dst)
	// Fast compression: the output is transient (mail, file drop) and the
	// rewrite, not the size, is what the user waits for.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	if err := j.writeContentTypes(zw); err != nil {
		return err
	}
	for _, f := range j.p.files {
		key := lowerASCII(f.Name)
		if key == "[content_types].xml" {
			continue
		}
		if isRelsName(f.Name) {
			src, ok := relsSource(f.Name)
			if !ok || (src != "" && j.removed[src] != "") || (src != "" && j.p.byKey[src] == nil) {
				continue
			}
			if err := j.writeRels(zw, f.Name, j.rels[src]); err != nil {
				return err
			}
			continue
		}
		if _, gone := j.removed[key]; gone {
			continue
		}
		ct := j.types.typeOf(key)
		method := zip.Deflate
		if precompressed(ct) {
			method = zip.Store // deflating PNG, JPEG or video again only costs time
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method})
		if err != nil {
			return err
		}
		if isXMLType(ct) {
			err = j.filterPart(w, f, ct)
		} else {
			err = j.copyPart(w, f)
		}
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

func (j *job) copyPart(w io.Writer, f *zip.File) error {
	rc, err := j.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}

func (j *job) writeContentTypes(zw *zip.Writer) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "[Content_Types].xml", Method: zip.Deflate})
	if err != nil {
		return err
	}
	used := map[string]bool{"rels": true}
	for _, f := range j.p.files {
		key := lowerASCII(f.Name)
		if _, gone := j.removed[key]; gone || key == "[content_types].xml" {
			continue
		}
		if _, ok := j.types.overrides[key]; !ok {
			used[strings.TrimPrefix(path.Ext(key), ".")] = true
		}
	}
	x := newXMLWriter(w)
	x.decl()
	x.start(xml.StartElement{Name: xml.Name{Local: "Types"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "http://schemas.openxmlformats.org/package/2006/content-types"}}})
	for _, d := range j.types.defaults {
		if !used[d.key] || !allowedType(d.ct) {
			continue
		}
		used[d.key] = false // first wins
		x.start(xml.StartElement{Name: xml.Name{Local: "Default"}, Attr: []xml.Attr{
			{Name: xml.Name{Local: "Extension"}, Value: d.name}, {Name: xml.Name{Local: "ContentType"}, Value: d.ct}}})
		x.end(xml.Name{Local: "Default"})
	}
	for _, key := range j.types.order {
		o := j.types.overrides[key]
		if _, gone := j.removed[key]; gone || j.p.byKey[key] == nil {
			continue
		}
		ct := o.ct
		if m, ok := mainTypes[ct]; ok {
			ct = m
		}
		x.start(xml.StartElement{Name: xml.Name{Local: "Override"}, Attr: []xml.Attr{
			{Name: xml.Name{Local: "PartName"}, Value: "/" + j.p.byKey[key].Name}, {Name: xml.Name{Local: "ContentType"}, Value: ct}}})
		x.end(xml.Name{Local: "Override"})
	}
	x.end(xml.Name{Local: "Types"})
	return x.flush()
}

func (j *job) writeRels(zw *zip.Writer, name string, rs []*rel) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return err
	}
	x := newXMLWriter(w)
	x.decl()
	x.start(xml.StartElement{Name: xml.Name{Local: "Relationships"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "http://schemas.openxmlformats.org/package/2006/relationships"}}})
	for _, r := range rs {
		if r.drop != "" {
			continue
		}
		a := []xml.Attr{{Name: xml.Name{Local: "Id"}, Value: r.id}, {Name: xml.Name{Local: "Type"}, Value: r.typ}, {Name: xml.Name{Local: "Target"}, Value: r.target}}
		if r.resolved == "" {
			a = append(a, xml.Attr{Name: xml.Name{Local: "TargetMode"}, Value: "External"})
		}
		x.start(xml.StartElement{Name: xml.Name{Local: "Relationship"}, Attr: a})
		x.end(xml.Name{Local: "Relationship"})
	}
	x.end(xml.Name{Local: "Relationships"})
	return x.flush()
}

// precompressed reports whether parts of content type ct are compressed
// formats that deflate cannot shrink.
func precompressed(ct string) bool {
	switch ct {
	case "image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/vnd.ms-photo":
		return true
	}
	return strings.HasPrefix(ct, "video/") || strings.HasPrefix(ct, "audio/")
}
