package detect

import "slices"

// Kind names a file type as mugai understands it. The values are stable: they
// appear in reports, in the policy file ([actions] keys) and in audit logs.
type Kind string

// Text and markup.
const (
	Text Kind = "text" // plain text in any supported charset
	CSV  Kind = "csv"  // text named .csv/.tsv or declared text/csv
	HTML Kind = "html"
	XML  Kind = "xml"
	SVG  Kind = "svg"
	RTF  Kind = "rtf"
	EML  Kind = "eml" // an RFC 5322 message
)

// Documents.
const (
	PDF  Kind = "pdf"
	DOCX Kind = "docx"
	DOCM Kind = "docm"
	XLSX Kind = "xlsx"
	XLSM Kind = "xlsm"
	XLSB Kind = "xlsb"
	PPTX Kind = "pptx"
	PPTM Kind = "pptm"
	DOC  Kind = "doc"
	XLS  Kind = "xls"
	PPT  Kind = "ppt"
	MSG  Kind = "msg" // Outlook item (OLE2)
	OLE  Kind = "ole" // another OLE2 compound file
	ODT  Kind = "odt"
	ODS  Kind = "ods"
	ODP  Kind = "odp"
	XPS  Kind = "xps"
)

// Images.
const (
	JPEG Kind = "jpeg"
	PNG  Kind = "png"
	GIF  Kind = "gif"
	BMP  Kind = "bmp"
	TIFF Kind = "tiff"
	WEBP Kind = "webp"
	ICO  Kind = "ico"
	HEIC Kind = "heic"
)

// Archives and compressed streams.
const (
	ZIP    Kind = "zip"
	GZIP   Kind = "gzip"
	TAR    Kind = "tar"
	SevenZ Kind = "7z"
	RAR    Kind = "rar"
	LZH    Kind = "lzh"
	BZIP2  Kind = "bzip2"
	XZ     Kind = "xz"
	ZSTD   Kind = "zstd"
	CAB    Kind = "cab"
)

// Kinds that are always dangerous or cannot be made safe: blocked by default.
const (
	PE        Kind = "pe"    // Windows executable or DLL
	ELF       Kind = "elf"   // Unix executable
	MachO     Kind = "macho" // macOS executable
	Script    Kind = "script"
	LNK       Kind = "lnk"       // Windows shortcut
	DiskImage Kind = "diskimage" // .iso, .img, .vhd(x), .dmg
	OneNote   Kind = "onenote"
	HTA       Kind = "hta"
	MSI       Kind = "msi"
	CHM       Kind = "chm"
	JAR       Kind = "jar" // Java archive or Android package
	JavaClass Kind = "class"
	WASM      Kind = "wasm"
)

// Nothing recognisable.
const (
	Empty   Kind = "empty"
	Binary  Kind = "binary" // bytes that match no known type
	Unknown Kind = ""       // no claim (declared side only)
)

// Class groups kinds by how much harm they can carry. Detection compares the
// class of the detected kind with the class of the declared one.
type Class uint8

// Classes, from harmless to dangerous.
const (
	ClassNone       Class = iota // unknown / no claim
	ClassPassive                 // text, images: no active content possible once decoded
	ClassDocument                // documents that may carry active content, removed by a sanitizer
	ClassContainer               // archives and mail: members are judged one by one
	ClassActive                  // markup and macro-enabled documents: active by design
	ClassExecutable              // code, shortcuts, disk images: never crosses
)

var classes = map[Kind]Class{
	Text: ClassPassive, CSV: ClassPassive,
	JPEG: ClassPassive, PNG: ClassPassive, GIF: ClassPassive, BMP: ClassPassive,
	TIFF: ClassPassive, WEBP: ClassPassive, ICO: ClassPassive, HEIC: ClassPassive,
	Empty: ClassPassive,

	PDF: ClassDocument, DOCX: ClassDocument, XLSX: ClassDocument, PPTX: ClassDocument,
	DOC: ClassDocument, XLS: ClassDocument, PPT: ClassDocument, RTF: ClassDocument,
	ODT: ClassDocument, ODS: ClassDocument, ODP: ClassDocument, XPS: ClassDocument,
	XML: ClassDocument, MSG: ClassDocument, OLE: ClassDocument, Binary: ClassDocument,

	ZIP: ClassContainer, GZIP: ClassContainer, TAR: ClassContainer, SevenZ: ClassContainer,
	RAR: ClassContainer, LZH: ClassContainer, BZIP2: ClassContainer, XZ: ClassContainer,
	ZSTD: ClassContainer, CAB: ClassContainer, EML: ClassContainer,

	HTML: ClassActive, SVG: ClassActive, DOCM: ClassActive, XLSM: ClassActive,
	XLSB: ClassActive, PPTM: ClassActive,

	PE: ClassExecutable, ELF: ClassExecutable, MachO: ClassExecutable,
	Script: ClassExecutable, LNK: ClassExecutable, DiskImage: ClassExecutable,
	OneNote: ClassExecutable, HTA: ClassExecutable, MSI: ClassExecutable,
	CHM: ClassExecutable, JAR: ClassExecutable, JavaClass: ClassExecutable,
	WASM: ClassExecutable,
}

// ClassOf reports the class of k. Unknown kinds are ClassNone.
func ClassOf(k Kind) Class { return classes[k] }

// Kinds lists every kind detection can return, for validating policy files.
func Kinds() []Kind {
	out := make([]Kind, 0, len(classes))
	for k := range classes {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Known reports whether k is a kind detection can return.
func Known(k Kind) bool { _, ok := classes[k]; return ok }

var extensions = map[Kind]string{
	Text: ".txt", CSV: ".csv", HTML: ".html", XML: ".xml", SVG: ".svg", RTF: ".rtf", EML: ".eml",
	PDF: ".pdf", DOCX: ".docx", DOCM: ".docm", XLSX: ".xlsx", XLSM: ".xlsm", XLSB: ".xlsb",
	PPTX: ".pptx", PPTM: ".pptm", DOC: ".doc", XLS: ".xls", PPT: ".ppt", MSG: ".msg",
	ODT: ".odt", ODS: ".ods", ODP: ".odp", XPS: ".xps",
	JPEG: ".jpg", PNG: ".png", GIF: ".gif", BMP: ".bmp", TIFF: ".tif", WEBP: ".webp", ICO: ".ico", HEIC: ".heic",
	ZIP: ".zip", GZIP: ".gz", TAR: ".tar", SevenZ: ".7z", RAR: ".rar", LZH: ".lzh", BZIP2: ".bz2",
	XZ: ".xz", ZSTD: ".zst", CAB: ".cab",
}

// Ext returns the usual file extension of k, with its dot, or "" when k has
// none worth giving (executables, unknown bytes).
func Ext(k Kind) string { return extensions[k] }

var mimeTypes = map[Kind]string{
	Text: "text/plain", CSV: "text/csv", EML: "message/rfc822", PDF: "application/pdf",
	DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	DOC:  "application/msword", XLS: "application/vnd.ms-excel", PPT: "application/vnd.ms-powerpoint",
	RTF: "application/rtf", ODT: "application/vnd.oasis.opendocument.text",
	ODS: "application/vnd.oasis.opendocument.spreadsheet", ODP: "application/vnd.oasis.opendocument.presentation",
	JPEG: "image/jpeg", PNG: "image/png", GIF: "image/gif", BMP: "image/bmp", TIFF: "image/tiff", WEBP: "image/webp",
	ZIP: "application/zip", GZIP: "application/gzip", TAR: "application/x-tar", SevenZ: "application/x-7z-compressed",
	LZH: "application/x-lzh-compressed",
}

// MIMEType returns the media type for an output of kind k; unknown kinds are
// application/octet-stream.
func MIMEType(k Kind) string {
	if m, ok := mimeTypes[k]; ok {
		return m
	}
	return "application/octet-stream"
}
