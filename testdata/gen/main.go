// Command gen writes the synthetic type-detection fixtures of
// sanitize/detect: small, deterministic files built by our own code (never
// copies of third-party samples, never working malware). Each fixture is
// only as real as detection needs: executables have valid headers and no
// code, archives and documents are structurally valid where that is cheap.
//
// Usage (from sanitize/detect, via go generate):
//
//	go run ../../testdata/gen -out testdata
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// epoch is the timestamp of every generated archive member.
var epoch = time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC)

var le = binary.LittleEndian

func main() {
	out := flag.String("out", "testdata", "directory to write the fixtures to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, f := range fixtures() {
		if err := os.WriteFile(filepath.Join(*out, f.name), f.data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

type fixture struct {
	name string
	data []byte
}

const japaneseText = "住民票の写しの交付申請について\r\n令和6年4月1日 総務課\r\n申請書は窓口で受け付けます。\r\n"

func fixtures() []fixture {
	return []fixture{
		// Executables and other never-allowed kinds.
		{"pe.exe", peFile()},
		{"pe_named.pdf", peFile()},
		{"dos.com", dosFile()},
		{"elf", elfFile()},
		{"macho", machoFile()},
		{"macho_fat", fatMachoFile()},
		{"Hello.class", classFile()},
		{"module.wasm", []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00")},
		{"classes.dex", dexFile()},
		{"run.sh", []byte("#!/bin/sh\necho hello\n")},
		{"run", []byte("#!/usr/bin/env python3\nprint('hello')\n")},
		{"script.js", []byte("var s = 'hello';\nWScript.Echo(s);\n")},
		{"script_utf16.ps1", encode(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "Write-Output 'hello'\r\n")},
		{"script_as.txt", []byte("#!/bin/sh\necho hello\n")},
		{"app.hta", []byte("<html><head><title>app</title></head><body>hello</body></html>\n")},
		{"hta_as.html", []byte("<html><head><HTA:APPLICATION ID=\"app\" APPLICATIONNAME=\"app\"/></head><body>hello</body></html>\n")},
		{"shortcut.lnk", lnkFile()},
		{"notebook.one", oneNoteFile()},
		{"help.chm", chmFile()},
		{"disk.iso", isoFile()},
		{"disk.vhd", vhdFile()},
		{"disk.vhdx", append([]byte("vhdxfile"), make([]byte, 504)...)},
		{"disk.dmg", dmgFile()},
		{"floppy.bin", fatBootSector()},
		{"raw.img", randomBytes(1024, 7)},

		// OOXML, ODF, XPS and other zips.
		{"docx.docx", ooxml("word", ctDocx, nil)},
		{"docm.docm", ooxml("word", ctDocm, nil)},
		{"docm_vba_only.docx", ooxml("word", ctDocx, []string{"word/vbaProject.bin"})},
		{"dotm.dotm", ooxml("word", "application/vnd.ms-word.template.macroEnabledTemplate.main+xml", nil)},
		{"xlsx.xlsx", ooxml("xl", ctXlsx, nil)},
		{"xlsm.xlsm", ooxml("xl", ctXlsm, nil)},
		{"xlsx_xlm.xlsx", ooxml("xl", ctXlsx, []string{"xl/macrosheets/sheet1.xml"})},
		{"xlsb.xlsb", ooxml("xl", "application/vnd.ms-excel.sheet.binary.macroEnabled.main", nil)},
		{"pptx.pptx", ooxml("ppt", ctPptx, nil)},
		{"pptm.pptm", ooxml("ppt", ctPptm, nil)},
		{"ppsm.ppsm", ooxml("ppt", "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml", nil)},
		{"odt.odt", odf("application/vnd.oasis.opendocument.text")},
		{"ods.ods", odf("application/vnd.oasis.opendocument.spreadsheet")},
		{"odp.odp", odf("application/vnd.oasis.opendocument.presentation")},
		{"xps.xps", xpsFile()},
		{"app.jar", zipOf(entry{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: Hello\r\n\r\n"}, entry{"Hello.class", string(classFile())})},
		{"app.apk", zipOf(entry{"AndroidManifest.xml", "\x03\x00\x08\x00"}, entry{"classes.dex", string(dexFile())})},
		{"jar_as.zip", zipOf(entry{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n"})},
		{"docx_jar_polyglot.docx", ooxml("word", ctDocx, []string{"META-INF/MANIFEST.MF"})},
		{"plain.zip", zipOf(entry{"readme.txt", "hello\n"}, entry{"data/list.csv", "a,b\n1,2\n"})},
		{"empty.zip", append([]byte("PK\x05\x06"), make([]byte, 18)...)},
		{"broken.zip", append([]byte("PK\x03\x04"), randomBytes(200, 3)...)},

		// OLE2 compound files.
		{"word.doc", cfbFile{streams: []cfbStream{{"WordDocument", make([]byte, 600)}, {"1Table", make([]byte, 100)}, {"\x05SummaryInformation", make([]byte, 100)}}}.bytes()},
		{"word_v4.doc", cfbFile{v4: true, streams: []cfbStream{{"WordDocument", make([]byte, 600)}, {"1Table", make([]byte, 100)}}}.bytes()},
		{"excel.xls", cfbFile{streams: []cfbStream{{"Workbook", make([]byte, 5000)}, {"\x05SummaryInformation", make([]byte, 100)}}}.bytes()},
		{"excel95.xls", cfbFile{streams: []cfbStream{{"Book", make([]byte, 300)}}}.bytes()},
		{"slides.ppt", cfbFile{streams: []cfbStream{{"PowerPoint Document", make([]byte, 300)}, {"Current User", make([]byte, 60)}, {"Pictures", nil}}}.bytes()},
		{"outlook.msg", cfbFile{streams: []cfbStream{{"__properties_version1.0", make([]byte, 64)}, {"__substg1.0_0037001F", []byte("s\x00u\x00b\x00")}, {"__substg1.0_1000001F", []byte("b\x00o\x00d\x00y\x00")}}}.bytes()},
		{"installer.msi", cfbFile{rootCLSID: [16]byte{0x84, 0x10, 0x0C, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}, streams: []cfbStream{{"\u4840\u3F3F\u4577", make([]byte, 40)}, {"\x05SummaryInformation", make([]byte, 100)}}}.bytes()},
		{"msi_tables_only.msi", cfbFile{streams: []cfbStream{{"\u4840\u3F3F\u4577", make([]byte, 40)}, {"\u4840\u3FFF\u4832", make([]byte, 40)}, {"\x05SummaryInformation", make([]byte, 100)}}}.bytes()},
		{"encrypted.docx", cfbFile{streams: []cfbStream{{"EncryptionInfo", make([]byte, 200)}, {"EncryptedPackage", make([]byte, 4200)}}}.bytes()},
		{"other.ole", cfbFile{streams: []cfbStream{{"Contents", make([]byte, 100)}}}.bytes()},
		{"loop.doc", cfbFile{loopDir: true, streams: []cfbStream{{"WordDocument", make([]byte, 600)}, {"A", nil}, {"B", nil}, {"C", nil}, {"D", nil}}}.bytes()},
		{"truncated.doc", cfbFile{streams: []cfbStream{{"WordDocument", make([]byte, 600)}}}.bytes()[:300]},

		// PDF, RTF, markup, mail.
		{"junk_header.pdf", append([]byte("\x00\x01junk before the header\r\n"), pdfFile()...)},
		{"pdf_as.txt", pdfFile()},
		{"headerless.pdf", []byte("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n")},
		{"doc.rtf", []byte("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 hello\\par}\n")},
		{"rt_only.txt", []byte("{\\rtx hello}\n")},
		{"page.html", []byte("<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>t</title></head><body><p>hello</p></body></html>\n")},
		{"html_as.txt", []byte("\xEF\xBB\xBF<!-- note -->\n<SCRIPT>alert(1)</SCRIPT>\n")},
		{"html_utf16_as.txt", encode(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "<html><body>hello</body></html>\r\n")},
		{"html_late_tag.txt", []byte("Dear user,\nplease open <iframe src=\"x\"> now\n")},
		{"image.svg", []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- drawn by hand -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>\n")},
		{"svg_as.xml", []byte("<?xml version=\"1.0\"?>\n<doc><svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"/></doc>\n")},
		{"xhtml_ns.xml", []byte("<?xml version=\"1.0\"?>\n<x:script xmlns:x=\"http://www.w3.org/1999/xhtml\">alert(1)</x:script>\n")},
		{"data.xml", []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<list><item id=\"1\">one</item></list>\n")},
		{"nodecl.xml", []byte("<list><item>one</item></list>\n")},
		{"word2003_macro.xml", []byte("<?xml version=\"1.0\"?>\n<?mso-application progid=\"Word.Document\"?>\n<w:wordDocument xmlns:w=\"http://schemas.microsoft.com/office/word/2003/wordml\" w:macrosPresent=\"yes\"><w:body/></w:wordDocument>\n")},
		{"mail.eml", []byte("Return-Path: <sender@example.jp>\r\nFrom: Sender <sender@example.jp>\r\nTo: soumu@example.lg.jp\r\nSubject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\nDate: Mon, 1 Apr 2024 09:00:00 +0900\r\nMessage-ID: <1@example.jp>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\nhello\r\n")},
		{"mbox_mail.txt", []byte("From sender@example.jp Mon Apr  1 09:00:00 2024\nFrom: sender@example.jp\nSubject: hi\n\nbody\n")},

		// Text in the charsets Japanese offices use.
		{"utf8.txt", []byte(japaneseText)},
		{"utf16le.txt", encode(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), japaneseText)},
		{"utf16be.txt", encode(unicode.UTF16(unicode.BigEndian, unicode.UseBOM), japaneseText)},
		{"sjis.txt", encode(japanese.ShiftJIS, japaneseText)},
		{"eucjp.txt", encode(japanese.EUCJP, japaneseText)},
		{"iso2022jp.txt", encode(japanese.ISO2022JP, japaneseText)},
		{"list.csv", encode(japanese.ShiftJIS, "番号,氏名,住所\r\n1,山田太郎,東京都\r\n")},
		{"list.tsv", []byte("id\tname\n1\tyamada\n")},
		{"sylk.csv", []byte("ID;PWXL;N;E\r\nC;X1;Y1;K\"hello\"\r\nE\r\n")},
		{"postscript.ps", []byte("%!PS-Adobe-3.0\n/Times findfont 12 scalefont setfont\n72 720 moveto (hello) show showpage\n")},
		{"random.bin", randomBytes(4096, 1)},

		// Images.
		{"image.png", pngFile()},
		{"image.jpg", jpegFile()},
		{"image.gif", gifFile()},
		{"png_as.jpg", pngFile()},
		{"image.bmp", bmpFile()},
		{"image.tif", tiffFile()},
		{"image.webp", webpFile()},
		{"image.ico", icoFile()},
		{"image.heic", heicFile()},

		// Archives and compressed streams.
		{"data.tar", tarFile()},
		{"v7.tar", v7TarFile()},
		{"data.gz", gzipFile()},
		{"data.7z", sevenZFile()},
		{"rar4.rar", []byte("Rar!\x1a\x07\x00\xcf\x90\x73\x00\x00\x0d\x00\x00\x00\x00\x00\x00\x00")},
		{"rar5.rar", []byte("Rar!\x1a\x07\x01\x00\x33\x92\xb5\xe5\x0a\x01\x05\x06\x00\x05\x01\x01\x80\x80\x00")},
		{"data.lzh", lzhFile()},
		{"data.bz2", []byte("BZh9\x17\x72\x45\x38\x50\x90\x00\x00\x00\x00")},
		{"data.xz", xzFile()},
		{"data.zst", []byte("\x28\xb5\x2f\xfd\x24\x00\x01\x00\x00\x99\xe9\xd8\x51")},
		{"data.cab", cabFile()},
	}
}

// encode converts UTF-8 text to another charset.
func encode(e encoding.Encoding, s string) []byte {
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x6d75676169))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// peFile is a DOS stub and PE32 headers ([PE/COFF] §2-3) with no sections.
func peFile() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	le.PutUint16(b[2:], 0x90)    // bytes on last page
	le.PutUint16(b[4:], 3)       // pages
	le.PutUint16(b[8:], 4)       // header paragraphs
	le.PutUint32(b[0x3C:], 0x80) // e_lfanew
	copy(b[0x40:], "This program cannot be run in DOS mode.\r\r\n$")
	p := b[0x80:]
	copy(p, "PE\x00\x00")
	le.PutUint16(p[4:], 0x14C) // i386
	le.PutUint16(p[6:], 0)     // sections
	le.PutUint16(p[20:], 224)  // optional header size
	le.PutUint16(p[22:], 0x0102)
	le.PutUint16(p[24:], 0x10B) // PE32
	return b
}

// dosFile is a bare MZ executable: DOS header and a few bytes of code.
func dosFile() []byte {
	b := make([]byte, 64)
	copy(b, "MZ")
	le.PutUint16(b[2:], 64)
	le.PutUint16(b[4:], 1)
	le.PutUint16(b[8:], 2)
	return append(b, 0xB4, 0x4C, 0xCD, 0x21) // mov ah,4Ch; int 21h
}

// elfFile is an ELF64 little-endian executable header (System V ABI §4).
func elfFile() []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 2)    // ET_EXEC
	le.PutUint16(b[18:], 0x3E) // x86-64
	le.PutUint32(b[20:], 1)
	le.PutUint16(b[52:], 64) // header size
	return b
}

// machoFile is a 64-bit little-endian Mach-O header with no load commands.
func machoFile() []byte {
	b := make([]byte, 32)
	le.PutUint32(b, 0xFEEDFACF)
	le.PutUint32(b[4:], 0x01000007) // x86_64
	le.PutUint32(b[8:], 3)
	le.PutUint32(b[12:], 2) // MH_EXECUTE
	return b
}

// fatMachoFile is a universal binary header with two architectures.
func fatMachoFile() []byte {
	be := binary.BigEndian
	b := make([]byte, 8+2*20)
	be.PutUint32(b, 0xCAFEBABE)
	be.PutUint32(b[4:], 2)
	be.PutUint32(b[8:], 0x01000007)
	be.PutUint32(b[28:], 0x0100000C)
	return b
}

// classFile is a Java class file header (JVMS §4.1), Java 8.
func classFile() []byte {
	return []byte{0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x00, 0x00, 0x34, 0x00, 0x01, 0x00, 0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
}

// dexFile is a Dalvik executable header.
func dexFile() []byte {
	b := make([]byte, 0x70)
	copy(b, "dex\n035\x00")
	le.PutUint32(b[0x20:], 0x70) // file size
	le.PutUint32(b[0x24:], 0x70) // header size
	le.PutUint32(b[0x28:], 0x12345678)
	return b
}

// lnkFile is a Shell Link header ([MS-SHLLINK] §2.1).
func lnkFile() []byte {
	b := make([]byte, 0x4C)
	le.PutUint32(b, 0x4C)
	copy(b[4:], []byte{0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46})
	le.PutUint32(b[0x14:], 0x80) // LinkFlags: IsUnicode
	return b
}

// oneNoteFile starts with the OneNote revision store file format GUID
// ([MS-ONESTORE] §2.3.1).
func oneNoteFile() []byte {
	b := []byte{0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D, 0xAE, 0xB1, 0x53, 0x78, 0xD0, 0x29, 0x96, 0xD3}
	return append(b, make([]byte, 1024-len(b))...)
}

// chmFile is an ITSF header.
func chmFile() []byte {
	b := make([]byte, 0x60)
	copy(b, "ITSF")
	le.PutUint32(b[4:], 3)
	le.PutUint32(b[8:], 0x60)
	return b
}

// isoFile is an ISO 9660 image: 16 empty system sectors, a primary volume
// descriptor ("CD001" at 0x8001) and a terminator.
func isoFile() []byte {
	b := make([]byte, 0x8000+2*2048)
	pvd := b[0x8000:]
	pvd[0] = 1
	copy(pvd[1:], "CD001\x01")
	copy(pvd[40:], "MUGAI_TEST                      ")
	term := b[0x8800:]
	term[0] = 255
	copy(term[1:], "CD001\x01")
	return b
}

// vhdFile is a fixed VHD: data then a 512-byte footer starting "conectix".
func vhdFile() []byte {
	b := make([]byte, 1024+512)
	f := b[1024:]
	copy(f, "conectix")
	binary.BigEndian.PutUint32(f[12:], 0x00010000)
	binary.BigEndian.PutUint64(f[16:], 0xFFFFFFFFFFFFFFFF)
	copy(f[28:], "mgai")
	binary.BigEndian.PutUint32(f[60:], 2) // fixed disk
	return b
}

// dmgFile is data followed by a UDIF "koly" trailer.
func dmgFile() []byte {
	b := make([]byte, 1024+512)
	t := b[1024:]
	copy(t, "koly")
	binary.BigEndian.PutUint32(t[4:], 4)
	binary.BigEndian.PutUint32(t[8:], 512)
	return b
}

// fatBootSector is the first sector of a FAT12 floppy image.
func fatBootSector() []byte {
	b := make([]byte, 1024)
	copy(b, []byte{0xEB, 0x3C, 0x90})
	copy(b[3:], "MSDOS5.0")
	le.PutUint16(b[11:], 512)
	b[13] = 1
	le.PutUint16(b[14:], 1)
	b[16] = 2
	le.PutUint16(b[17:], 224)
	le.PutUint16(b[19:], 2880)
	b[21] = 0xF0
	copy(b[0x2B:], "NO NAME    FAT12   ")
	b[510], b[511] = 0x55, 0xAA
	return b
}

// entry is one zip member.
type entry struct{ name, body string }

// zipOf writes a deflated zip with fixed timestamps.
func zipOf(entries ...entry) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.name == "mimetype" {
			method = zip.Store
		}
		f, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: method, Modified: epoch})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := f.Write([]byte(e.body)); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// Main part content types (ECMA-376-1 and the macro-enabled variants).
const (
	ctDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	ctDocm = "application/vnd.ms-word.document.macroEnabled.main+xml"
	ctXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	ctXlsm = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
	ctPptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
	ctPptm = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"
)

// ooxml writes a minimal OPC package whose main part (under dir) has the
// content type main; extra names empty parts to add.
func ooxml(dir, main string, extra []string) []byte {
	part := map[string]string{"word": "document.xml", "xl": "workbook.xml", "ppt": "presentation.xml"}[dir]
	ct := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/%s/%s" ContentType="%s"/></Types>`, dir, part, main)
	rels := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s/%s"/></Relationships>`, dir, part)
	entries := []entry{
		{"[Content_Types].xml", ct},
		{"_rels/.rels", rels},
		{dir + "/" + part, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><root/>`},
	}
	for _, e := range extra {
		entries = append(entries, entry{e, ""})
	}
	return zipOf(entries...)
}

// odf writes a minimal ODF package: a stored mimetype entry first.
func odf(mimetype string) []byte {
	return zipOf(
		entry{"mimetype", mimetype},
		entry{"META-INF/manifest.xml", `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>`},
		entry{"content.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>`},
	)
}

// xpsFile writes a minimal XPS package.
func xpsFile() []byte {
	return zipOf(
		entry{"[Content_Types].xml", `<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="fdseq" ContentType="application/vnd.ms-package.xps-fixeddocumentsequence+xml"/></Types>`},
		entry{"FixedDocumentSequence.fdseq", `<FixedDocumentSequence xmlns="http://schemas.microsoft.com/xps/2005/06"/>`},
	)
}

// pdfFile is a one-page PDF with a correct cross-reference table.
func pdfFile() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
	}
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// testImage is a 4×4 gradient.
func testImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := range 4 {
			img.Set(x, y, color.RGBA{uint8(x * 60), uint8(y * 60), 128, 255})
		}
	}
	return img
}

func pngFile() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func jpegFile() []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), &jpeg.Options{Quality: 75}); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func gifFile() []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, testImage(), nil); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// bmpFile is a 2×2 24-bit BMP with a BITMAPINFOHEADER.
func bmpFile() []byte {
	b := make([]byte, 14+40+2*8)
	copy(b, "BM")
	le.PutUint32(b[2:], uint32(len(b)))
	le.PutUint32(b[10:], 54)
	le.PutUint32(b[14:], 40)
	le.PutUint32(b[18:], 2)
	le.PutUint32(b[22:], 2)
	le.PutUint16(b[26:], 1)
	le.PutUint16(b[28:], 24)
	le.PutUint32(b[34:], 16)
	for i := 54; i < len(b); i++ {
		b[i] = 0x80
	}
	return b
}

// tiffFile is a 1×1 8-bit grey little-endian TIFF.
func tiffFile() []byte {
	var b bytes.Buffer
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8))
	tags := [][3]uint32{ // tag, type(SHORT=3, LONG=4), value
		{256, 3, 1}, {257, 3, 1}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
		{273, 4, 8 + 2 + 9*12 + 4}, {277, 3, 1}, {278, 3, 1}, {279, 4, 1},
	}
	binary.Write(&b, le, uint16(len(tags)))
	for _, t := range tags {
		binary.Write(&b, le, uint16(t[0]))
		binary.Write(&b, le, uint16(t[1]))
		binary.Write(&b, le, uint32(1))
		binary.Write(&b, le, t[2])
	}
	binary.Write(&b, le, uint32(0))
	b.WriteByte(0x7F)
	return b.Bytes()
}

// webpFile is a RIFF WEBP container with a tiny VP8L chunk header.
func webpFile() []byte {
	chunk := []byte{0x2F, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(4+8+len(chunk)))
	b.WriteString("WEBPVP8L")
	binary.Write(&b, le, uint32(len(chunk)))
	b.Write(chunk)
	return b.Bytes()
}

// icoFile is an icon directory with one PNG image.
func icoFile() []byte {
	img := pngFile()
	b := make([]byte, 6+16)
	le.PutUint16(b[2:], 1)
	le.PutUint16(b[4:], 1)
	b[6], b[7] = 4, 4
	le.PutUint16(b[10:], 1)
	le.PutUint16(b[12:], 32)
	le.PutUint32(b[14:], uint32(len(img)))
	le.PutUint32(b[18:], 22)
	return append(b, img...)
}

// heicFile is an ftyp box (major brand mif1, compatible heic) and an empty
// meta box.
func heicFile() []byte {
	be := binary.BigEndian
	ftyp := []byte("\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic")
	be.PutUint32(ftyp, uint32(len(ftyp)))
	meta := make([]byte, 12)
	be.PutUint32(meta, 12)
	copy(meta[4:], "meta")
	return append(ftyp, meta...)
}

func tarFile() []byte {
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	body := []byte("hello\n")
	if err := w.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(body)), ModTime: epoch, Format: tar.FormatUSTAR}); err != nil {
		log.Fatal(err)
	}
	if _, err := w.Write(body); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// v7TarFile is a pre-POSIX tar: no magic, only the header checksum.
func v7TarFile() []byte {
	b := make([]byte, 512*4)
	h := b[:512]
	copy(h, "hello.txt")
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0001750\x00")
	copy(h[116:], "0001750\x00")
	copy(h[124:], "00000000006\x00")
	copy(h[136:], fmt.Sprintf("%011o\x00", epoch.Unix()))
	copy(h[148:], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	copy(b[512:], "hello\n")
	return b
}

func gzipFile() []byte {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		log.Fatal(err)
	}
	w.ModTime = epoch
	if _, err := w.Write([]byte("hello, gzip\n")); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// sevenZFile is a 7z signature header pointing at an empty next header.
func sevenZFile() []byte {
	b := make([]byte, 32)
	copy(b, []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4})
	le.PutUint32(b[8:], crc32.ChecksumIEEE(b[12:32]))
	return b
}

// lzhFile is one stored (-lh0-) LHA level-0 member.
func lzhFile() []byte {
	body := []byte("hello\n")
	name := "hello.txt"
	h := []byte{0, 0}
	h = append(h, "-lh0-"...)
	h = le.AppendUint32(h, uint32(len(body)))
	h = le.AppendUint32(h, uint32(len(body)))
	h = le.AppendUint32(h, 0x58810000) // DOS time
	h = append(h, 0x20, 0)             // attribute, level 0
	h = append(h, byte(len(name)))
	h = append(h, name...)
	h = le.AppendUint16(h, 0) // CRC-16 (not checked by detection)
	h[0] = byte(len(h) - 2)
	var sum byte
	for _, c := range h[2:] {
		sum += c
	}
	h[1] = sum
	h = append(h, body...)
	return append(h, 0)
}

// xzFile is an empty .xz stream (no blocks), with correct CRC32s.
func xzFile() []byte {
	flags := []byte{0, 1} // CRC32 check
	b := []byte{0xFD, '7', 'z', 'X', 'Z', 0}
	b = append(b, flags...)
	b = le.AppendUint32(b, crc32.ChecksumIEEE(flags))
	index := []byte{0, 0, 0, 0}
	b = append(b, index...)
	b = le.AppendUint32(b, crc32.ChecksumIEEE(index))
	footer := le.AppendUint32(nil, uint32(len(index)+4)/4-1)
	footer = append(footer, flags...)
	b = le.AppendUint32(b, crc32.ChecksumIEEE(footer))
	b = append(b, footer...)
	return append(b, 'Y', 'Z')
}

// cabFile is a cabinet header with one folder and one stored file.
func cabFile() []byte {
	body := []byte("hello\n")
	name := "hello.txt\x00"
	const hdr, folder, file = 36, 8, 16
	dataOff := hdr + folder + file + len(name)
	total := dataOff + 8 + len(body)
	b := make([]byte, 0, total)
	b = append(b, "MSCF"...)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(total))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, hdr+folder) // first CFFILE
	b = le.AppendUint32(b, 0)
	b = append(b, 3, 1)       // version 1.3
	b = le.AppendUint16(b, 1) // folders
	b = le.AppendUint16(b, 1) // files
	b = le.AppendUint16(b, 0) // flags
	b = le.AppendUint16(b, 1) // set id
	b = le.AppendUint16(b, 0) // cabinet number
	b = le.AppendUint32(b, uint32(dataOff))
	b = le.AppendUint16(b, 1) // data blocks
	b = le.AppendUint16(b, 0) // stored
	b = le.AppendUint32(b, uint32(len(body)))
	b = le.AppendUint32(b, 0) // offset in folder
	b = le.AppendUint16(b, 0) // folder index
	b = le.AppendUint16(b, 0x5881)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0x20)
	b = append(b, name...)
	b = le.AppendUint32(b, 0) // checksum (0: not computed)
	b = le.AppendUint16(b, uint16(len(body)))
	b = le.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}
