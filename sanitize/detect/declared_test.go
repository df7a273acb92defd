package detect

import "testing"

func TestDeclared(t *testing.T) {
	for _, tc := range []struct {
		name, mime string
		want       Kind
	}{
		{"invoice.pdf", "", PDF},
		{"INVOICE.PDF", "", PDF},
		{"invoice.pdf.", "", PDF},
		{"invoice.pdf ", "", PDF},
		{"invoice.pdf . .", "", PDF},
		{"invoice.pdf\x00", "", PDF},
		{"report.pdf.exe", "", PE},
		{"report.exe::$DATA", "", PE},
		{"report.exe:stream.txt", "", PE},
		{`C:\Users\a\report.docm`, "", DOCM},
		{"C:report.exe", "", PE},
		{"dir/sub/a.xlsx", "", XLSX},
		{"a.dotm", "", DOCM},
		{"a.dotx", "", DOCX},
		{"a.xltm", "", XLSM},
		{"a.xlam", "", XLSM},
		{"a.xlsb", "", XLSB},
		{"a.potm", "", PPTM},
		{"a.ppsm", "", PPTM},
		{"a.ppsx", "", PPTX},
		{"a.ppam", "", PPTM},
		{"a.dot", "", DOC},
		{"a.xlt", "", XLS},
		{"a.pps", "", PPT},
		{"a.msg", "", MSG},
		{"a.oxps", "", XPS},
		{"a.mht", "", HTML},
		{"a.svgz", "", SVG},
		{"a.jfif", "", JPEG},
		{"a.dib", "", BMP},
		{"a.heif", "", HEIC},
		{"a.tgz", "", GZIP},
		{"a.tbz2", "", BZIP2},
		{"a.txz", "", XZ},
		{"a.lha", "", LZH},
		{"a.zst", "", ZSTD},
		{"a.scr", "", PE},
		{"a.cpl", "", PE},
		{"a.msi", "", MSI},
		{"a.lnk", "", LNK},
		{"a.iso", "", DiskImage},
		{"a.img", "", DiskImage},
		{"a.vhdx", "", DiskImage},
		{"a.dmg", "", DiskImage},
		{"a.one", "", OneNote},
		{"a.onepkg", "", OneNote},
		{"a.hta", "", HTA},
		{"a.chm", "", CHM},
		{"a.jar", "", JAR},
		{"a.apk", "", JAR},
		{"a.class", "", JavaClass},
		{"a.js", "", Script},
		{"a.jse", "", Script},
		{"a.vbe", "", Script},
		{"a.wsf", "", Script},
		{"a.psm1", "", Script},
		{"a.bat", "", Script},
		{"a.cmd", "", Script},
		{"a.sct", "", Script},
		{"a.reg", "", Script},
		{"a.inf", "", Script},
		{"a.url", "", Script},
		{"a.desktop", "", Script},
		{"a.log", "", Text},
		{"a.md", "", Text},
		{"a.tsv", "", CSV},

		// The name wins when it claims something.
		{"a.pdf", "text/plain", PDF},
		// Otherwise the MIME type, without its parameters.
		{"", "", Unknown},
		{"noext", "", Unknown},
		{"a.unknownext", "application/pdf", PDF},
		{"", "text/plain; charset=ISO-2022-JP", Text},
		{"", "TEXT/HTML; charset=utf-8", HTML},
		{"", "application/octet-stream", Unknown},
		{"", "application/octet-stream; name=a.exe", Unknown},
		{"", "application/pdf", PDF},
		{"", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", DOCX},
		{"", "application/vnd.ms-word.document.macroEnabled.12", DOCM},
		{"", "application/vnd.ms-excel", XLS},
		{"", "application/vnd.ms-excel.sheet.binary.macroEnabled.12", XLSB},
		{"", "application/msword", DOC},
		{"", "application/vnd.ms-outlook", MSG},
		{"", "application/vnd.oasis.opendocument.text", ODT},
		{"", "image/jpeg", JPEG},
		{"", "image/svg+xml", SVG},
		{"", "image/x-unknown", Unknown},
		{"", "application/zip", ZIP},
		{"", "application/x-msdownload", PE},
		{"", "application/x-sh", Script},
		{"", "application/javascript", Script},
		{"", "text/javascript", Script},
		{"", "message/rfc822", EML},
		{"", "text/csv", CSV},
		{"", "text/x-anything", Text},
		{"", "application/x-unknown", Unknown},
		{"", "text/plain; charset=\"unterminated", Text},
		{"", ";;;", Unknown},
	} {
		if got := Declared(tc.name, tc.mime); got != tc.want {
			t.Errorf("Declared(%q, %q) = %q, want %q", tc.name, tc.mime, got, tc.want)
		}
	}
}

// TestDeclaredKindsKnown checks that every table entry names a kind
// detection knows, so Compare never sees a stray kind.
func TestDeclaredKindsKnown(t *testing.T) {
	for ext, k := range byExt {
		if !Known(k) {
			t.Errorf("byExt[%q] = %q, not a known kind", ext, k)
		}
	}
	for mt, k := range byMIME {
		if !Known(k) {
			t.Errorf("byMIME[%q] = %q, not a known kind", mt, k)
		}
	}
	for _, k := range mainParts {
		if !Known(k) {
			t.Errorf("mainParts kind %q not known", k)
		}
	}
}
