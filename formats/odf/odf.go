package odf

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"strings"

	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Rule IDs this package emits; each is explained in sanitize.RuleTable.
const (
	RuleBomb      = "odf.bomb"      // an entry expands beyond the ratio limit
	RuleDDE       = "odf.dde"       // DDE links and DDE formulas
	RuleDTD       = "odf.dtd"       // DTD or entity declaration in an XML part
	RuleDuplicate = "odf.duplicate" // two entries with the same name
	RuleEvent     = "odf.event"     // event listeners (scripts bound to events)
	RuleExternal  = "odf.external"  // links to content outside the package
	RuleForm      = "odf.form"      // form controls and their bindings
	RuleHyperlink = "odf.hyperlink" // hyperlinks that are not allowed
	RuleMacro     = "odf.macro"     // Basic/Scripts macros, script URLs
	RuleObject    = "odf.object"    // embedded objects, plugins, applets
	RulePart      = "odf.part"      // entries not on the allow-list
	RulePath      = "odf.path"      // unsafe entry name
	RuleSignature = "odf.signature" // digital signatures (cannot survive)
	RuleZip       = "odf.zip"       // inconsistent zip structure
)

var zipRules = ooxml.ZipRules{Prefix: "odf", Zip: RuleZip, Path: RulePath, Duplicate: RuleDuplicate, Bomb: RuleBomb}

// Options configure the Sanitizer; the zero value is the documented
// default.
type Options struct {
	// StripHyperlinks removes every hyperlink (the text stays); by default
	// http, https and mailto hyperlinks and links inside the document
	// (#bookmark) are kept.
	StripHyperlinks bool
	// MaxPartSize bounds the expanded size of one entry; zero means
	// ooxml.DefaultMaxPartSize. The item's MaxExpanded bounds the total.
	MaxPartSize int64
	// XML limits (MaxXMLDepth, MaxXMLTokens, MaxXMLAttrs) as in ooxml;
	// zero fields take ooxml's defaults. Its other fields are ignored.
	XML ooxml.Options
}

// Sanitizer rebuilds ODF packages from an allow-list. Safe for concurrent
// use.
type Sanitizer struct{ opt Options }

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns an ODF Sanitizer.
func New(opt Options) *Sanitizer {
	if opt.MaxPartSize <= 0 {
		opt.MaxPartSize = ooxml.DefaultMaxPartSize
	}
	return &Sanitizer{opt: opt}
}

// xmlParts are the XML streams of a document package that are rewritten
// (ODF 1.3 part 2 §3): everything else but pictures and the thumbnail is
// left behind.
var xmlParts = map[string]bool{"content.xml": true, "styles.xml": true, "meta.xml": true, "settings.xml": true}

const (
	manifestName = "META-INF/manifest.xml"
	thumbName    = "Thumbnails/thumbnail.png"
)

type job struct {
	ctx      context.Context
	it       *sanitize.Item
	opt      *Options
	p        *ooxml.Package
	keep     map[string]*zip.File // binary entries that may be referenced: lower-case name → entry
	removed  map[string]string    // lower-case entry name → rule, for entries left behind
	media    map[string]string    // full-path → media type, from the input manifest
	refs     map[string]bool      // lower-case names referenced from kept XML
	written  []string             // entries written, in order (manifest)
	findings []sanitize.Finding
	seen     map[[2]string]bool
}

// Sanitize implements sanitize.Sanitizer: it writes a new package holding
// the filtered XML streams, the referenced pictures, the thumbnail and a new
// manifest. The result keeps the input's kind.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
	opt := s.opt
	var res sanitize.Result
	p, fs, err := ooxml.OpenZip(it, opt.MaxPartSize, zipRules)
	if err != nil || len(fs) > 0 {
		res.Findings = fs
		return res, err
	}
	j := &job{ctx: ctx, it: it, opt: &opt, p: p, keep: map[string]*zip.File{}, removed: map[string]string{},
		media: map[string]string{}, refs: map[string]bool{}, seen: map[[2]string]bool{}}
	err = j.run(dst)
	res.Findings = j.findings
	if part, ok := ooxml.IsDTD(err); ok {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleDTD, Where: part, Action: sanitize.Blocked, Detail: "DTD or entity declaration"})
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

// open returns the expanded bytes of f, charged to the item's budget and
// bounded by MaxPartSize.
func (j *job) open(f *zip.File) (io.ReadCloser, error) {
	if err := j.ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("odf: %s: %v: %w", f.Name, err, sanitize.ErrMalformed)
	}
	return struct {
		io.Reader
		io.Closer
	}{&partReader{r: j.it.ExpandLimit(rc), name: f.Name, left: j.opt.MaxPartSize}, rc}, nil
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
		return 0, fmt.Errorf("odf: %s: entry larger than its limit: %w", p.name, sanitize.ErrTooLarge)
	}
	if err != nil && err != io.EOF && !isSentinel(err) {
		return n, fmt.Errorf("odf: %s: %v: %w", p.name, err, sanitize.ErrMalformed)
	}
	return n, err
}

// head returns up to n expanded bytes of f.
func (j *job) head(f *zip.File, n int64) ([]byte, error) {
	rc, err := j.open(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, n))
}

func (j *job) run(dst io.Writer) error {
	mt, err := j.mimetype()
	if err != nil {
		return err
	}
	if err := j.readManifest(); err != nil {
		return err
	}
	if err := j.classify(); err != nil {
		return err
	}
	zw := zip.NewWriter(dst)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	// mimetype first, stored, without data descriptor or extra field (ODF
	// 1.3 part 2 §3.3), so that its bytes sit at offset 38.
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "mimetype", Method: zip.Store,
		CRC32: crc32.ChecksumIEEE([]byte(mt)), CompressedSize64: uint64(len(mt)), UncompressedSize64: uint64(len(mt))})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, mt); err != nil {
		return err
	}
	for _, f := range j.p.Files {
		if !xmlParts[f.Name] {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			return err
		}
		if err := j.filterPart(w, f); err != nil {
			return err
		}
		j.written = append(j.written, f.Name)
	}
	for _, f := range j.p.Files {
		key := strings.ToLower(f.Name)
		if j.keep[key] == nil {
			continue
		}
		if !j.refs[key] && f.Name != thumbName {
			j.find(RulePart, f.Name, sanitize.Recorded, "picture not referenced")
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			return err
		}
		rc, err := j.open(f)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, rc)
		rc.Close()
		if err != nil {
			return err
		}
		j.written = append(j.written, f.Name)
	}
	if err := j.writeManifest(zw, mt); err != nil {
		return err
	}
	return zw.Close()
}

// mimetype reads the mimetype entry: it must name an ODF type of the
// detected kind.
func (j *job) mimetype() (string, error) {
	f := j.p.ByKey["mimetype"]
	if f == nil || f.Name != "mimetype" {
		return "", fmt.Errorf("odf: no mimetype entry: %w", sanitize.ErrMalformed)
	}
	b, err := j.head(f, 128)
	if err != nil {
		return "", err
	}
	mt := strings.TrimSpace(string(b))
	if kindOf(mt) == "" || (j.it.Kind != "" && kindOf(mt) != j.it.Kind) {
		return "", fmt.Errorf("odf: mimetype %q does not match %s: %w", mt, j.it.Kind, sanitize.ErrUnsupported)
	}
	return mt, nil
}

func kindOf(mt string) sanitize.Kind {
	switch mt {
	case "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template", "application/vnd.oasis.opendocument.text-master":
		return detect.ODT
	case "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.spreadsheet-template":
		return detect.ODS
	case "application/vnd.oasis.opendocument.presentation", "application/vnd.oasis.opendocument.presentation-template":
		return detect.ODP
	}
	return ""
}

// readManifest reads the media types of the input's entries; an entry
// with encryption data makes the whole package encrypted.
func (j *job) readManifest() error {
	f := j.p.ByKey[strings.ToLower(manifestName)]
	if f == nil || f.Name != manifestName {
		return fmt.Errorf("odf: no %s: %w", manifestName, sanitize.ErrMalformed)
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
		se, ok := tok.(xml.StartElement)
		if !ok || x.URI(se.Name.Space) != nsManifest {
			continue
		}
		switch se.Name.Local {
		case "encryption-data":
			return fmt.Errorf("odf: encrypted entries: %w", sanitize.ErrEncrypted)
		case "file-entry":
			var p, mt string
			for _, a := range se.Attr {
				if x.URI(a.Name.Space) != nsManifest {
					continue
				}
				switch a.Name.Local {
				case "full-path":
					p = a.Value
				case "media-type":
					mt = a.Value
				}
			}
			j.media[p] = mt
		}
	}
}

// classify decides what happens to every entry but the XML streams.
func (j *job) classify() error {
	for _, f := range j.p.Files {
		key := strings.ToLower(f.Name)
		top, _, nested := strings.Cut(f.Name, "/")
		switch {
		case f.Name == "mimetype" || f.Name == manifestName || xmlParts[f.Name]:
		case top == "Pictures" && nested:
			b, err := j.head(f, 64)
			if err != nil {
				return err
			}
			if t := imageType(b); t == "" {
				j.remove(f, RulePart, sanitize.Removed, "picture of a type that is not allowed (SVG, PDF, unknown)")
			} else {
				j.keep[key] = f
			}
		case f.Name == thumbName:
			b, err := j.head(f, 8)
			if err != nil {
				return err
			}
			if imageType(b) != "image/png" {
				j.remove(f, RulePart, sanitize.Removed, "thumbnail is not PNG")
			} else {
				j.keep[key] = f
			}
		case top == "Basic" || top == "Scripts":
			j.remove(f, RuleMacro, sanitize.Removed, "macro library")
		case strings.HasPrefix(top, "Object ") || top == "ObjectReplacements":
			j.remove(f, RuleObject, sanitize.Removed, "embedded object")
		case key == "meta-inf/documentsignatures.xml" || key == "meta-inf/macrosignatures.xml" || key == "meta-inf/packagesignatures.xml":
			j.remove(f, RuleSignature, sanitize.Removed, "digital signature")
		case top == "Configurations2":
			// User interface configuration: toolbars, menus and
			// shortcuts may call macros.
			b, err := j.head(f, j.opt.MaxPartSize)
			if err != nil {
				return err
			}
			if hasScriptURL(b) {
				j.remove(f, RuleMacro, sanitize.Removed, "user interface bound to macros")
			} else {
				j.remove(f, RulePart, sanitize.Recorded, "user interface configuration not carried")
			}
		case key == "manifest.rdf" || key == "layout-cache" || top == "META-INF":
			j.remove(f, RulePart, sanitize.Recorded, "not carried")
		default:
			j.remove(f, RulePart, sanitize.Removed, "entry not allowed")
		}
	}
	return nil
}

func (j *job) remove(f *zip.File, rule string, a sanitize.Action, detail string) {
	j.removed[strings.ToLower(f.Name)] = rule
	where := f.Name
	if top, _, nested := strings.Cut(f.Name, "/"); nested && (rule == RuleMacro || rule == RuleObject) && top != "Configurations2" {
		where = top + "/"
	}
	j.find(rule, where, a, detail)
}

// imageType returns the media type of a picture from its first bytes, or
// "" when it is not a raster image or a Windows/StarView metafile.
func imageType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case bytes.HasPrefix(b, []byte("BM")):
		return "image/bmp"
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "image/tiff"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(b, []byte{0xd7, 0xcd, 0xc6, 0x9a}), bytes.HasPrefix(b, []byte{1, 0, 9, 0}), bytes.HasPrefix(b, []byte{2, 0, 9, 0}):
		return "image/x-wmf"
	case len(b) >= 44 && bytes.HasPrefix(b, []byte{1, 0, 0, 0}) && string(b[40:44]) == " EMF":
		return "image/x-emf"
	case bytes.HasPrefix(b, []byte("VCLMTF")):
		return "image/x-svm"
	}
	return ""
}

// hasScriptURL reports whether b mentions a macro or script URL.
func hasScriptURL(b []byte) bool {
	l := bytes.ToLower(b)
	return bytes.Contains(l, []byte("vnd.sun.star.script:")) || bytes.Contains(l, []byte("macro:"))
}

func (j *job) writeManifest(zw *zip.Writer, mt string) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: manifestName, Method: zip.Deflate})
	if err != nil {
		return err
	}
	x := ooxml.NewXMLWriter(w)
	x.Decl()
	m := func(l string) xml.Name { return xml.Name{Space: "manifest", Local: l} }
	x.Start(xml.StartElement{Name: m("manifest"), Attr: []xml.Attr{
		{Name: xml.Name{Space: "xmlns", Local: "manifest"}, Value: nsManifest},
		{Name: m("version"), Value: "1.2"}}})
	entry := func(p, t string) {
		x.Start(xml.StartElement{Name: m("file-entry"), Attr: []xml.Attr{{Name: m("full-path"), Value: p}, {Name: m("media-type"), Value: t}}})
		x.End(m("file-entry"))
	}
	x.Start(xml.StartElement{Name: m("file-entry"), Attr: []xml.Attr{{Name: m("full-path"), Value: "/"}, {Name: m("version"), Value: "1.2"}, {Name: m("media-type"), Value: mt}}})
	x.End(m("file-entry"))
	for _, n := range j.written {
		t := "text/xml"
		if !xmlParts[n] {
			t = mediaType(n, j.media[n])
		}
		entry(n, t)
	}
	x.End(m("manifest"))
	return x.Flush()
}

// mediaType is the manifest media type of a picture: the input's when it
// is an image type, else one from the name.
func mediaType(name, declared string) string {
	if strings.HasPrefix(declared, "image/") && !strings.Contains(declared, "svg") && isToken(declared) {
		return declared
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	}
	return "application/octet-stream"
}

func isToken(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"<>&'`, r) {
			return false
		}
	}
	return true
}
