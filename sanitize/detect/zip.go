package detect

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// Limits of the zip sniffer (APPNOTE.TXT 6.3.10 §4.3). A zip beyond them is
// reported as plain ZIP: the archive sanitizer then applies the real limits,
// and a document claiming to be .docx that detects as ZIP is blocked as a
// mismatch. That is the fail-closed answer for a 100 000-entry "docx".
const (
	zipMaxEntries  = 10000   // central directory records examined
	zipMaxDirBytes = 1 << 20 // central directory size
	zipMaxCTBytes  = 1 << 20 // decompressed [Content_Types].xml read
	zipMaxMimeLen  = 256     // ODF mimetype entry read
	zipMaxCTFiles  = 4       // duplicate [Content_Types].xml entries read
	zipEOCDWindow  = 65 * 1024
)

// sniffZip classifies a zip by its entries:
//
//  1. Java or Android markers (META-INF/MANIFEST.MF, classes.dex,
//     AndroidManifest.xml) → JAR. They win over everything else, so that a
//     document that is also a runnable JAR is reported as the JAR it is.
//  2. A [Content_Types].xml (ECMA-376-2 §10.1.2.2) naming an Office main part
//     → DOCX/DOCM/XLSX/XLSM/XLSB/PPTX/PPTM; templates, add-ins and slide
//     shows map to their twin. The macro-enabled twin is chosen when the
//     content type says so, when a vbaProject.bin entry or VBA content type
//     is present, or when an Excel 4.0 macro sheet is present.
//  3. XPS: an XPS content type or a FixedDocumentSequence.fdseq entry.
//  4. ODF: the mimetype entry (ODF 1.2 part 3 §3.3) → ODT/ODS/ODP.
//  5. Anything else, including zips that archive/zip cannot open, that
//     exceed the limits above or whose reading ran out of the read budget,
//     → ZIP.
func sniffZip(r *budgetReaderAt, size int64) Kind {
	if !zipDirectoryBounded(r, size) {
		return ZIP
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return ZIP
	}
	var (
		jar, vba, xlm, fdseq, tooMany bool
		ctFiles                       []*zip.File // duplicates are all read: the most dangerous wins
		mimeFile                      *zip.File
	)
	for i, f := range zr.File {
		if i >= zipMaxEntries {
			// archive/zip reads records past the claimed count until
			// one is invalid; the read budget bounds them, this caps
			// what we examine.
			tooMany = true
			break
		}
		name := strings.ToLower(strings.TrimLeft(strings.ReplaceAll(f.Name, `\`, "/"), "/"))
		switch name {
		case "meta-inf/manifest.mf", "classes.dex", "androidmanifest.xml":
			jar = true
		case "[content_types].xml":
			if len(ctFiles) < zipMaxCTFiles {
				ctFiles = append(ctFiles, f)
			}
		case "mimetype":
			if mimeFile == nil {
				mimeFile = f
			}
		case "fixeddocumentsequence.fdseq":
			fdseq = true
		}
		if name == "vbaproject.bin" || strings.HasSuffix(name, "/vbaproject.bin") {
			vba = true
		}
		if strings.HasPrefix(name, "xl/macrosheets/") {
			xlm = true
		}
	}
	if jar {
		return JAR
	}
	if r.exhausted || tooMany {
		return ZIP // part of the directory went unread or unexamined
	}
	if len(ctFiles) > 0 {
		var ct contentTypes
		for _, f := range ctFiles {
			ct = ct.merge(readContentTypes(f))
		}
		if r.exhausted || ct.tooLarge {
			return ZIP // a content types part went unread
		}
		if ct.main != "" {
			k := ct.main
			if vba || xlm || ct.macro {
				k = macroTwin(k)
			}
			return k
		}
		if ct.xps {
			return XPS
		}
	}
	if fdseq {
		return XPS
	}
	if mimeFile != nil {
		if k := odfKind(readEntry(mimeFile, zipMaxMimeLen)); k != "" {
			return k
		}
	}
	return ZIP
}

// zipDirectoryBounded finds the end of central directory record the way
// archive/zip does (the last signature in the final 65 KiB, zip64 record
// when a field is saturated) and reports whether its entry count and size
// are within zipMaxEntries and zipMaxDirBytes. archive/zip preallocates one
// pointer per claimed record and reads every record it finds, so it must not
// see a directory we have not bounded.
func zipDirectoryBounded(r *budgetReaderAt, size int64) bool {
	const eocdLen, loc64Len, end64Len = 22, 20, 56
	n := min(size, zipEOCDWindow)
	tail := make([]byte, n)
	if !readAt(r, tail, size-n) {
		return false
	}
	p := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	for p >= 0 && p+eocdLen > len(tail) {
		p = bytes.LastIndex(tail[:p], []byte("PK\x05\x06"))
	}
	if p < 0 {
		return false
	}
	e := tail[p:]
	records := uint64(binary.LittleEndian.Uint16(e[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(e[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(e[16:]))
	if records == 0xFFFF || dirSize == 0xFFFF || dirOff == 0xFFFFFFFF {
		eocdOff := size - n + int64(p)
		if eocdOff >= loc64Len {
			var loc [loc64Len]byte
			if !readAt(r, loc[:], eocdOff-loc64Len) {
				return false
			}
			if string(loc[:4]) == "PK\x06\x07" && binary.LittleEndian.Uint32(loc[4:]) == 0 &&
				binary.LittleEndian.Uint32(loc[16:]) == 1 {
				off := binary.LittleEndian.Uint64(loc[8:])
				if off > uint64(size) {
					return false
				}
				var end [end64Len]byte
				if !readAt(r, end[:], int64(off)) || string(end[:4]) != "PK\x06\x06" {
					return false
				}
				records = binary.LittleEndian.Uint64(end[32:])
				dirSize = binary.LittleEndian.Uint64(end[40:])
			}
		}
	}
	return records <= zipMaxEntries && dirSize <= zipMaxDirBytes
}

// contentTypes is what readContentTypes learned from [Content_Types].xml.
type contentTypes struct {
	main     Kind // the Office main part's kind, "" if none
	macro    bool // a VBA project or macro sheet content type is declared
	xps      bool // an XPS fixed document sequence is declared
	tooLarge bool // the part is longer than zipMaxCTBytes: not all of it was seen
}

// merge combines what two content type parts declare, keeping the more
// dangerous main kind.
func (ct contentTypes) merge(o contentTypes) contentTypes {
	if o.main != "" && (ct.main == "" || ClassOf(o.main) > ClassOf(ct.main)) {
		ct.main = o.main
	}
	ct.macro = ct.macro || o.macro
	ct.xps = ct.xps || o.xps
	ct.tooLarge = ct.tooLarge || o.tooLarge
	return ct
}

// mainParts maps the content types of Office main parts (ECMA-376-1 §11-13
// and Microsoft's macro-enabled variants, lower case) to kinds. Templates,
// slide shows and add-ins map to their regular or macro twin.
var mainParts = map[string]Kind{
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": DOCX,
	"application/vnd.ms-word.document.macroenabled.main+xml":                           DOCM,
	"application/vnd.ms-word.template.macroenabledtemplate.main+xml":                   DOCM,

	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":    XLSX,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": XLSX,
	"application/vnd.ms-excel.sheet.macroenabled.main+xml":                          XLSM,
	"application/vnd.ms-excel.template.macroenabled.main+xml":                       XLSM,
	"application/vnd.ms-excel.addin.macroenabled.main+xml":                          XLSM,
	"application/vnd.ms-excel.sheet.binary.macroenabled.main":                       XLSB,

	"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
	"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml":     PPTX,
	"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml":    PPTX,
	"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml":                   PPTM,
	"application/vnd.ms-powerpoint.template.macroenabled.main+xml":                       PPTM,
	"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml":                      PPTM,
	"application/vnd.ms-powerpoint.addin.macroenabled.main+xml":                          PPTM,
}

// macroTypes are part content types that carry macros whatever the main part
// says: VBA projects and Excel 4.0 (XLM) macro sheets.
var macroTypes = map[string]bool{
	"application/vnd.ms-office.vbaproject":          true,
	"application/vnd.ms-excel.macrosheet+xml":       true,
	"application/vnd.ms-excel.intlmacrosheet+xml":   true,
	"application/vnd.ms-office.vbaprojectsignature": true,
}

// readContentTypes reads at most zipMaxCTBytes of f and collects every
// ContentType attribute of Default and Override elements. Parsing stops at
// the first XML error; what was seen until then still counts. When several
// main parts are declared the most dangerous kind wins. A part longer than
// zipMaxCTBytes is reported tooLarge: a macro type past the limit would go
// unseen.
func readContentTypes(f *zip.File) contentTypes {
	var ct contentTypes
	rc, err := f.Open()
	if err != nil {
		return ct
	}
	defer rc.Close()
	lr := &io.LimitedReader{R: rc, N: zipMaxCTBytes + 1}
	dec := xml.NewDecoder(lr)
	dec.Strict = false
	for {
		tok, err := dec.RawToken()
		if err != nil {
			ct.tooLarge = lr.N == 0
			return ct
		}
		se, ok := tok.(xml.StartElement)
		if !ok || (se.Name.Local != "Override" && se.Name.Local != "Default") {
			continue
		}
		for _, a := range se.Attr {
			if a.Name.Local != "ContentType" {
				continue
			}
			v := strings.ToLower(strings.TrimSpace(a.Value))
			if k, ok := mainParts[v]; ok && (ct.main == "" || ClassOf(k) > ClassOf(ct.main)) {
				ct.main = k
			}
			if macroTypes[v] {
				ct.macro = true
			}
			if v == "application/vnd.ms-package.xps-fixeddocumentsequence+xml" {
				ct.xps = true
			}
		}
	}
}

// macroTwin returns the macro-enabled kind for a regular OOXML kind.
func macroTwin(k Kind) Kind {
	switch k {
	case DOCX:
		return DOCM
	case XLSX:
		return XLSM
	case PPTX:
		return PPTM
	}
	return k
}

// readEntry returns at most limit decompressed bytes of f, or nil.
func readEntry(f *zip.File, limit int64) []byte {
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, limit))
	return b
}

// odfKind maps an ODF mimetype entry to a kind ("" for other ODF types such
// as drawings and formulas, which stay ZIP).
func odfKind(b []byte) Kind {
	switch strings.ToLower(strings.TrimSpace(string(b))) {
	case "application/vnd.oasis.opendocument.text",
		"application/vnd.oasis.opendocument.text-template",
		"application/vnd.oasis.opendocument.text-master":
		return ODT
	case "application/vnd.oasis.opendocument.spreadsheet",
		"application/vnd.oasis.opendocument.spreadsheet-template":
		return ODS
	case "application/vnd.oasis.opendocument.presentation",
		"application/vnd.oasis.opendocument.presentation-template":
		return ODP
	}
	return ""
}
