package detect

import (
	"mime"
	"strings"
)

// Declared returns the kind claimed by a file name (its extension) or, when
// the name claims nothing we know, by a MIME type. Unknown when neither
// claims a kind.
//
// The name is read as Windows would store it (see cleanName): the last
// extension of the base name, case-insensitive, after removing NUL bytes, an
// NTFS stream suffix and trailing dots and spaces, so "invoice.pdf." and
// "invoice.pdf " declare PDF and "report.pdf.exe" declares PE. The MIME type
// is parsed with mime.ParseMediaType and its parameters are ignored;
// application/octet-stream and "" claim nothing; other text/* types claim
// Text.
func Declared(name, mimeType string) Kind {
	ext := extOf(name)
	if k, ok := byExt[ext]; ok {
		return k // .scr is here as PE: a screen saver is a renamed executable
	}
	if scriptExts[ext] {
		return Script
	}
	return declaredMIME(mimeType)
}

// byExt maps extensions to the kind they claim. Templates, add-ins and slide
// shows claim their twin (macro-enabled ones the macro twin).
var byExt = map[string]Kind{
	// Text and markup.
	".txt": Text, ".text": Text, ".log": Text, ".md": Text, ".ini": Text,
	".csv": CSV, ".tsv": CSV,
	".htm": HTML, ".html": HTML, ".xhtml": HTML, ".xht": HTML, ".shtml": HTML,
	".mht": HTML, ".mhtml": HTML,
	".xml": XML, ".svg": SVG, ".svgz": SVG, ".rtf": RTF, ".eml": EML,

	// Documents.
	".pdf":  PDF,
	".docx": DOCX, ".dotx": DOCX, ".docm": DOCM, ".dotm": DOCM,
	".xlsx": XLSX, ".xltx": XLSX, ".xlsm": XLSM, ".xltm": XLSM, ".xlam": XLSM, ".xlsb": XLSB,
	".pptx": PPTX, ".potx": PPTX, ".ppsx": PPTX,
	".pptm": PPTM, ".potm": PPTM, ".ppsm": PPTM, ".ppam": PPTM,
	".doc": DOC, ".dot": DOC, ".xls": XLS, ".xlt": XLS, ".xla": XLS,
	".ppt": PPT, ".pot": PPT, ".pps": PPT, ".ppa": PPT,
	".msg": MSG, ".odt": ODT, ".ott": ODT, ".ods": ODS, ".ots": ODS, ".odp": ODP, ".otp": ODP,
	".xps": XPS, ".oxps": XPS,

	// Images.
	".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG, ".jfif": JPEG, ".png": PNG, ".gif": GIF,
	".bmp": BMP, ".dib": BMP, ".tif": TIFF, ".tiff": TIFF, ".webp": WEBP, ".ico": ICO, ".cur": ICO,
	".heic": HEIC, ".heif": HEIC,

	// Archives.
	".zip": ZIP, ".gz": GZIP, ".tgz": GZIP, ".tar": TAR, ".7z": SevenZ, ".rar": RAR,
	".lzh": LZH, ".lha": LZH, ".bz2": BZIP2, ".tbz2": BZIP2, ".tbz": BZIP2,
	".xz": XZ, ".txz": XZ, ".zst": ZSTD, ".tzst": ZSTD, ".cab": CAB,

	// Executables and other kinds that are never allowed.
	".exe": PE, ".dll": PE, ".scr": PE, ".com": PE, ".cpl": PE, ".sys": PE, ".ocx": PE,
	".drv": PE, ".efi": PE, ".pif": PE, ".xll": PE, ".wll": PE, ".mui": PE, ".ax": PE,
	".elf": ELF, ".so": ELF, ".dylib": MachO,
	".msi": MSI, ".msp": MSI, ".mst": MSI,
	".lnk": LNK,
	".iso": DiskImage, ".img": DiskImage, ".vhd": DiskImage, ".vhdx": DiskImage,
	".dmg": DiskImage, ".udf": DiskImage, ".vmdk": DiskImage,
	".one": OneNote, ".onepkg": OneNote, ".onetoc2": OneNote,
	".hta": HTA, ".chm": CHM,
	".jar": JAR, ".apk": JAR, ".war": JAR, ".ear": JAR, ".dex": JAR, ".aab": JAR,
	".class": JavaClass, ".wasm": WASM,
}

// scriptExts are extensions Windows or a desktop runs as a program when the
// file is opened, though the content is text. They declare Script, and text
// content with them detects as Script (.hta declares and detects HTA).
var scriptExts = map[string]bool{
	".js": true, ".jse": true, ".mjs": true, ".cjs": true,
	".vbs": true, ".vbe": true, ".vb": true, ".wsf": true, ".wsh": true, ".ws": true, ".wsc": true,
	".ps1": true, ".psm1": true, ".psd1": true, ".ps1xml": true, ".psc1": true,
	".bat": true, ".cmd": true, ".sh": true, ".bash": true, ".zsh": true, ".csh": true, ".ksh": true,
	".py": true, ".pyw": true, ".pl": true, ".rb": true, ".php": true,
	".scr": true, ".sct": true, ".reg": true, ".inf": true, ".url": true, ".desktop": true,
	".scf": true, ".msc": true, ".jnlp": true, ".appref-ms": true, ".settingcontent-ms": true,
	".website": true, ".application": true, ".gadget": true, ".applescript": true, ".command": true,
	".xbap": true, ".library-ms": true, ".searchconnector-ms": true,
}

// byMIME maps media types (lower case, no parameters) to kinds.
var byMIME = map[string]Kind{
	"text/plain": Text, "text/csv": CSV, "text/tab-separated-values": CSV,
	"text/html": HTML, "application/xhtml+xml": HTML, "message/rfc822": EML,
	"application/x-mimearchive": HTML,
	"text/xml":                  XML, "application/xml": XML, "image/svg+xml": SVG,
	"application/rtf": RTF, "text/rtf": RTF, "text/richtext": RTF,

	"application/pdf": PDF, "application/x-pdf": PDF,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   DOCX,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.template":   DOCX,
	"application/vnd.ms-word.document.macroenabled.12":                          DOCM,
	"application/vnd.ms-word.template.macroenabled.12":                          DOCM,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         XLSX,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.template":      XLSX,
	"application/vnd.ms-excel.sheet.macroenabled.12":                            XLSM,
	"application/vnd.ms-excel.template.macroenabled.12":                         XLSM,
	"application/vnd.ms-excel.addin.macroenabled.12":                            XLSM,
	"application/vnd.ms-excel.sheet.binary.macroenabled.12":                     XLSB,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": PPTX,
	"application/vnd.openxmlformats-officedocument.presentationml.template":     PPTX,
	"application/vnd.openxmlformats-officedocument.presentationml.slideshow":    PPTX,
	"application/vnd.ms-powerpoint.presentation.macroenabled.12":                PPTM,
	"application/vnd.ms-powerpoint.template.macroenabled.12":                    PPTM,
	"application/vnd.ms-powerpoint.slideshow.macroenabled.12":                   PPTM,
	"application/vnd.ms-powerpoint.addin.macroenabled.12":                       PPTM,
	"application/msword": DOC, "application/vnd.ms-word": DOC,
	"application/vnd.ms-excel": XLS, "application/msexcel": XLS, "application/x-msexcel": XLS,
	"application/vnd.ms-powerpoint": PPT, "application/mspowerpoint": PPT,
	"application/vnd.ms-outlook": MSG, "application/x-ole-storage": OLE, "application/cdfv2": OLE,
	"application/vnd.oasis.opendocument.text":         ODT,
	"application/vnd.oasis.opendocument.spreadsheet":  ODS,
	"application/vnd.oasis.opendocument.presentation": ODP,
	"application/vnd.ms-xpsdocument":                  XPS, "application/oxps": XPS,

	"image/jpeg": JPEG, "image/pjpeg": JPEG, "image/jpg": JPEG, "image/png": PNG, "image/x-png": PNG,
	"image/gif": GIF, "image/bmp": BMP, "image/x-bmp": BMP, "image/x-ms-bmp": BMP,
	"image/tiff": TIFF, "image/webp": WEBP, "image/x-icon": ICO, "image/vnd.microsoft.icon": ICO,
	"image/heic": HEIC, "image/heif": HEIC,

	"application/zip": ZIP, "application/x-zip-compressed": ZIP, "application/x-zip": ZIP,
	"application/gzip": GZIP, "application/x-gzip": GZIP, "application/x-tar": TAR,
	"application/x-7z-compressed": SevenZ, "application/vnd.rar": RAR, "application/x-rar-compressed": RAR,
	"application/x-rar": RAR, "application/x-lzh-compressed": LZH, "application/x-lzh": LZH,
	"application/x-lha": LZH, "application/x-bzip2": BZIP2, "application/x-xz": XZ,
	"application/zstd": ZSTD, "application/vnd.ms-cab-compressed": CAB,

	"application/x-msdownload": PE, "application/x-msdos-program": PE, "application/x-dosexec": PE,
	"application/vnd.microsoft.portable-executable": PE, "application/x-ms-dos-executable": PE,
	"application/exe": PE, "application/x-exe": PE, "application/x-winexe": PE,
	"application/x-executable": ELF, "application/x-elf": ELF, "application/x-sharedlib": ELF,
	"application/x-mach-binary": MachO,
	"application/x-msi":         MSI, "application/x-ms-installer": MSI,
	"application/x-ms-shortcut":   LNK,
	"application/x-iso9660-image": DiskImage, "application/x-raw-disk-image": DiskImage,
	"application/x-apple-diskimage": DiskImage, "application/x-vhd": DiskImage,
	"application/onenote": OneNote, "application/msonenote": OneNote,
	"application/hta": HTA, "application/vnd.ms-htmlhelp": CHM, "application/x-chm": CHM,
	"application/java-archive": JAR, "application/x-java-archive": JAR,
	"application/vnd.android.package-archive": JAR,
	"application/java-vm":                     JavaClass, "application/x-java-class": JavaClass,
	"application/wasm": WASM,

	"application/x-sh": Script, "application/x-shellscript": Script, "text/x-sh": Script,
	"application/x-csh": Script, "application/javascript": Script, "application/x-javascript": Script,
	"text/javascript": Script, "application/ecmascript": Script, "text/ecmascript": Script,
	"text/vbscript": Script, "application/x-vbscript": Script, "application/x-powershell": Script,
	"application/x-bat": Script, "application/bat": Script, "application/x-msdos-batch": Script,
	"text/x-python": Script, "application/x-python": Script, "application/x-perl": Script,
	"text/x-perl": Script, "application/x-php": Script, "application/x-ruby": Script,
	"application/x-ms-application": Script, "application/x-java-jnlp-file": Script,
}

// declaredMIME maps a Content-Type to a kind (see Declared).
func declaredMIME(v string) Kind {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil && mt == "" {
		// Unparsable: take what precedes the first ';' at face value.
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
	}
	switch mt {
	case "", "application/octet-stream", "binary/octet-stream", "application/unknown":
		return Unknown
	}
	if k, ok := byMIME[mt]; ok {
		return k
	}
	if strings.HasPrefix(mt, "text/") {
		return Text
	}
	return Unknown
}
