package detect

import (
	"errors"
	"io"
	"path"
	"strings"
	"sync"
)

// Limits on what one call to Detect reads. They are constants, not
// configuration: detection must stay cheap whatever the policy says, and the
// format sanitizers enforce the real limits afterwards.
const (
	// prefixLen is the bounded prefix every sniffer starts from.
	prefixLen = 8 << 10
	// pdfHeaderWindow is how far into the file a PDF header is looked for
	// (ISO 32000-2 §7.5.2 readers accept junk before %PDF-; Acrobat searches
	// the first 1024 bytes).
	pdfHeaderWindow = 1024
	// maxReadBytes caps the bytes one Detect call reads through ReadAt, all
	// sniffers together. A sniffer that runs into it gives up and the input
	// gets the generic, fail-closed kind of its family (ZIP, OLE, Binary).
	maxReadBytes = 3 << 20
)

// Known gaps, each failing closed unless noted:
//
// todo: formats without a kind of their own are Binary (no sanitizer takes
// them): JPEG 2000, AVIF, PSD, EMF/WMF, SWF, TNEF (winmail.dat), PST, cpio,
// compress (.Z), ACE, ARJ, XAR, SquashFS, PostScript, SYLK.
// todo: a zip with non-zip bytes before it (other than an MZ stub, which is
// PE) is Binary, not ZIP; Java and 7-Zip open such files.
// todo: XHTML or SVG namespaces and Office XML macro markers past the
// 8 KiB prefix are not seen: an XML file is XML, and the XML sanitizer must
// not rely on detection for what lies further in (fails open otherwise).
// todo: ODF documents carrying StarBasic macros (Basic/, Scripts/) are
// ODT/ODS/ODP: there is no macro-enabled ODF kind, so the ODF sanitizer
// must remove them.
// todo: APPX/MSIX packages and other installer zips are ZIP; the archive
// sanitizer judges their members.
// todo: the OOXML main part is taken from [Content_Types].xml alone, not
// from the officeDocument relationship in _rels/.rels.
// todo: OneNote table of contents (.onetoc2) has another GUID and is not
// recognised by content; UDF images whose descriptors are not at 0x8001,
// 0x8801 or 0x9001 are missed.
// todo: UTF-32 text is Binary; UTF-16 without a BOM is recognised only when
// it is mostly ASCII.
// todo: a polyglot is reported by its offset-0 signature (an image with a
// zip appended is the image): the image sanitizer must re-encode, not copy.

// errReadBudget is returned by budgetReaderAt once maxReadBytes is spent.
var errReadBudget = errors.New("detect: read budget exhausted")

// recoverPanics is a test seam: the fuzz target turns it off so that a
// panic in a sniffer fails the test instead of becoming Binary.
var recoverPanics = true

// Detect returns the kind of the content in r (size bytes). The content
// decides; name is consulted only where content cannot tell (CSV versus
// plain text; text that the program the name opens would interpret, such as
// a script, an HTA or HTML; a raw .img disk image), and the name can only
// make the result more dangerous, never less (see byName).
//
// Detect reads at most a bounded prefix (8 KiB), a few fixed offsets (ISO
// 9660 volume descriptors, the last 512 bytes for VHD and DMG footers) and,
// for zip and OLE2, a bounded number of directory entries: never more than
// maxReadBytes in total whatever size says. It never reads the whole input
// and never panics: malformed input yields the generic kind of its family
// (ZIP, OLE) or Binary. Zero bytes is Empty; a negative size or a nil r is
// Binary. Detect is safe for concurrent use if r is.
func Detect(r io.ReaderAt, size int64, name string) (k Kind) {
	if size == 0 {
		return Empty
	}
	if size < 0 || r == nil {
		return Binary
	}
	if recoverPanics {
		defer func() {
			if recover() != nil {
				k = Binary // fail closed: a bug here must not let a file through
			}
		}()
	}
	sc := scratchPool.Get().(*scratch)
	defer func() {
		sc.br = budgetReaderAt{} // drop the reference to r
		scratchPool.Put(sc)
	}()
	sc.br = budgetReaderAt{r: r, size: size, left: maxReadBytes}
	br := &sc.br
	buf := sc.prefix[:min(size, prefixLen)]
	n, _ := br.ReadAt(buf, 0)
	buf = buf[:n]
	if len(buf) == 0 {
		return Binary
	}
	ext := extOf(name)
	k = sniff(br, size, buf, sc)
	return byName(k, ext)
}

// scratch is the memory one Detect call works in, pooled so that detecting
// a small item allocates nothing: the prefix, the footer window of
// sniffOffsets and the read budget. Nothing in it outlives the call (kinds
// are constants, never slices of the prefix).
type scratch struct {
	br     budgetReaderAt
	prefix [prefixLen]byte
	tail   [512]byte
	id     [5]byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// sniff decides from content alone. Order matters: magic numbers at offset 0
// come first (they are unambiguous), then structures at fixed offsets, then
// the PDF header window, and text last.
func sniff(r *budgetReaderAt, size int64, buf []byte, sc *scratch) Kind {
	if k := sniffMagic(r, size, buf); k != "" {
		return k
	}
	if k := sniffOffsets(r, size, buf, sc); k != "" {
		return k
	}
	if hasPDFHeader(buf) {
		return PDF
	}
	if k := sniffText(buf, size > int64(len(buf))); k != "" {
		return k
	}
	return Binary
}

// byName applies what the name may add to text-like content, because the
// program the name opens interprets the text: Script for a script extension,
// HTA for .hta, HTML for an HTML extension (a browser renders any text named
// .html as HTML, wherever its first tag is), SVG for .svg, CSV for .csv and
// .tsv. Otherwise unrecognised bytes named .img are a raw DiskImage. It
// never downgrades a kind.
func byName(k Kind, ext string) Kind {
	switch k {
	case Text, CSV, XML, HTML, SVG, EML, RTF:
		switch {
		case ext == ".hta":
			return HTA
		case scriptExts[ext]:
			return Script
		case (ext == ".mht" || ext == ".mhtml") && k == EML:
			return EML // MHTML is a MIME message: the mail sanitizer takes it
		case htmlExts[ext] && k != HTML && k != SVG:
			return HTML
		case ext == ".svg" && (k == Text || k == CSV || k == XML):
			return SVG
		case k == Text && (ext == ".csv" || ext == ".tsv"):
			return CSV
		}
	case Binary:
		if ext == ".img" {
			return DiskImage
		}
	}
	return k
}

// htmlExts are the extensions a browser renders as HTML.
var htmlExts = map[string]bool{".htm": true, ".html": true, ".xhtml": true, ".xht": true, ".shtml": true, ".mht": true, ".mhtml": true}

// extOf returns the lower-case last extension of name as Windows would see
// it (see cleanName), with its dot, or "".
func extOf(name string) string {
	return strings.ToLower(path.Ext(cleanName(name)))
}

// cleanName reduces a claimed file name to the name Windows would store:
// the base name (after the last / or \), without NUL bytes, without an NTFS
// alternate data stream suffix ("a.exe::$DATA" is a.exe) and without the
// trailing dots and spaces Windows strips ("invoice.pdf. " is invoice.pdf).
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ReplaceAll(name, "\x00", "")
	if len(name) >= 2 && name[1] == ':' && isASCIILetter(name[0]) {
		name = name[2:] // drive-relative "C:evil.exe"
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return strings.TrimRight(name, ". ")
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// budgetReaderAt bounds the bytes read through it to size (like
// io.SectionReader) and, in total over its lifetime, to left. Once the budget
// is spent every ReadAt fails with errReadBudget and exhausted is set, so
// that a sniffer can tell "not found" from "not looked at" and fail closed.
// Not safe for concurrent use.
type budgetReaderAt struct {
	r         io.ReaderAt
	size      int64
	left      int64
	exhausted bool
}

func (b *budgetReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("detect: negative offset")
	}
	if off >= b.size {
		return 0, io.EOF
	}
	var err error
	if rem := b.size - off; int64(len(p)) > rem {
		p, err = p[:rem], io.EOF
	}
	if int64(len(p)) > b.left {
		p, err = p[:b.left], errReadBudget
		b.exhausted = true
	}
	if len(p) == 0 {
		return 0, err
	}
	n, rerr := b.r.ReadAt(p, off)
	if n < 0 || n > len(p) {
		n = 0 // a broken ReaderAt must not make us index out of range
	}
	b.left -= int64(n)
	if rerr != nil {
		err = rerr
	}
	if n == len(p) && err == io.EOF && off+int64(n) < b.size {
		err = nil
	}
	return n, err
}

// readAt reads len(p) bytes at off through r and reports whether it got them
// all.
func readAt(r io.ReaderAt, p []byte, off int64) bool {
	n, _ := r.ReadAt(p, off)
	return n == len(p)
}
