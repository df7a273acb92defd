package detect

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDir is the shared third-party corpus, read in place (never copied
// into this repository). Tests skip when it is absent.
const corpusDir = "../../../shared/corpus"

// corpusMaxTime is how long one Detect call may take on a corpus file. It is
// generous (Detect takes microseconds) so that a slow, shared CI machine
// under -race does not flake, while a loop or a whole-file read still fails.
const corpusMaxTime = 2 * time.Second

// corpusMaxRead bounds the bytes Detect may read of one corpus file.
const corpusMaxRead = 4 << 20

// corpusKinds is the expected kind of corpus files whose type is
// unambiguous, keyed by category/staged_filename of MANIFEST.tsv. Each was
// checked with file(1) and xxd; the comment says why where the answer is
// not the extension.
var corpusKinds = map[string]Kind{
	// Executables.
	"misc/fileformat__executable_sample.elf":      ELF, // "\x7fELF" and nothing else: still ELF
	"misc/clamav__clam-upx.exe":                   PE,
	"misc/clamav__clam-fsg.exe":                   PE,
	"misc/clamav__clam-nsis.exe":                  PE,
	"misc/clamav__clam-pespin.exe":                PE,
	"misc/clamav__clam-petite.exe":                PE,
	"misc/clamav__clam-upack.exe":                 PE,
	"misc/clamav__clam-yc.exe":                    PE,
	"misc/clamav__clam_IScab_int.exe":             PE,
	"misc/clamav__clam_ISmsi_ext.exe":             PE,
	"misc/clamav__clam_ISmsi_int.exe":             PE,
	"misc/tika__testTinyPE.exe":                   PE,
	"misc/tika__testWindows-x86-32.exe":           PE,
	"misc/fileformat__executable_sample.dll":      PE, // MZ with an invalid PE signature: still PE
	"misc/tika__testLinux-x86-64":                 ELF,
	"misc/fileformat__package_sample.AppImage":    ELF,
	"misc/tika__testMacOS-x86_64":                 MachO,
	"misc/fileformat__executable_sample.mach":     MachO,     // CAFEBABE + 1 arch: fat Mach-O
	"misc/fileformat__executable_sample.class":    JavaClass, // CAFEBABE, truncated
	"misc/fileformat__executable_sample.wasm":     WASM,
	"misc/fileformat__executable_sample.dex":      JAR,
	"misc/fileformat__package_sample.apk":         JAR,
	"misc/tika__testAPK.apk":                      JAR,
	"misc/tika__testJAR.jar":                      JAR,
	"misc/fileformat__other_sample.chm":           CHM,
	"misc/clamav__clam.chm":                       CHM,
	"office/tika__IMJPCLE.CHM":                    CHM,
	"misc/circlean__autorun.inf":                  Script, // text named .inf
	"misc/patt__xss.url.url":                      Script, // HTML named .url: the name makes it a script
	"office/tika__testOneNoteEmbeddedImage.one":   OneNote,
	"office/tika__testOneNoteEmbeddedWordDoc.one": OneNote,

	// Archives.
	"misc/fileformat__archive_sample.7z":               SevenZ,
	"misc/fileformat__archive_sample.cab":              CAB,
	"misc/fileformat__archive_sample.lzh":              LZH,
	"misc/fileformat__archive_sample.rar":              RAR, // RAR 5
	"misc/fileformat__archive_sample.zip":              ZIP,
	"misc/fileformat__compressed_sample.gz":            GZIP,
	"misc/fileformat__compressed_sample.zst":           ZSTD,
	"misc/fileformat__compressed_sample.bz":            Binary, // bzip (v1) "BZ0", not bzip2
	"archive/clamav__clam.7z":                          SevenZ,
	"archive/clamav__clam.cab":                         CAB,
	"archive/clamav__clam.exe.bz2":                     BZIP2,
	"archive/clamav__clam.zip":                         ZIP,
	"archive/circlean__archivebomb.zip":                ZIP,
	"archive/tika__bob.gz":                             GZIP,
	"archive/tika__test-documents.tgz":                 GZIP,
	"archive/tika__test-nested-tarball.tar":            TAR,
	"archive/tika__testTAR_no_magic.tar":               TAR, // v7 tar: found by header checksum
	"archive/tika__test-documents.7z":                  SevenZ,
	"archive/tika__test-documents.cab":                 CAB,
	"archive/tika__test-documents-enc.rar":             RAR,
	"archive/tika__test-documents-spanned.z01":         ZIP,
	"archive/tika__testJAR_with_PEHDR.jar":             JAR,
	"archive/libarchive__rar5_solid.rar":               RAR,
	"archive/libarchive__rar4_encrypted_filenames.rar": RAR,
	"archive/lhasa__lha213_lh5.lzh":                    LZH,
	"archive/lhasa__pmarc2_pm2.pma":                    LZH, // PMarc "-pm2-"
	"archive/libarchive__zip_zip64a.zip":               ZIP,
	"archive/libzip__manyfiles-zip.zip":                ZIP,
	"archive/libzip__bogus.zip":                        Text, // not a zip at all: text
	"archive/clamav__clam.exe.szdd":                    Binary,
	"archive/tika__test-documents.tar.Z":               Binary, // compress(1): no kind of its own

	// Documents.
	"misc/fileformat__document_sample.pdf":                   PDF,
	"misc/fileformat__document_sample.doc":                   DOC,
	"misc/fileformat__document_sample.docx":                  ZIP, // magic-only sample: a zip holding an empty word/ directory, no [Content_Types].xml
	"misc/fileformat__presentation_sample.pptx":              ZIP, // likewise, ppt/ only
	"misc/fileformat__document_sample.xps":                   ZIP, // pages but no FixedDocumentSequence.fdseq
	"misc/fileformat__document_sample.odt":                   ODT,
	"misc/fileformat__presentation_sample.odp":               ODP,
	"misc/fileformat__presentation_sample.ppt":               PPT,
	"misc/fileformat__spreadsheet_sample.xls":                XLS,
	"misc/fileformat__document_sample.ps":                    Binary, // "%!\0": not text
	"misc/fileformat__other_sample.pst":                      Binary, // PST is "!BDN", not OLE2
	"misc/clamav__clam.exe.rtf":                              RTF,
	"office/poi__SimpleMacro.docm":                           DOCM,
	"office/oletools__oleobj_embedded-simple-2007.dotm":      DOCM,
	"office/oletools__oleobj_embedded-simple-2007.docx":      DOCX,
	"office/oletools__oleobj_embedded-simple-2007.dotx":      DOCX,
	"office/oletools__oleobj_embedded-simple-2007.xlsx":      XLSX,
	"office/oletools__oleobj_embedded-simple-2007.xltm":      XLSM,
	"office/oletools__oleobj_embedded-simple-2007.xlam":      XLSM,
	"office/oletools__oleobj_embedded-simple-2007.xlsb":      XLSB,
	"office/oletools__oleobj_embedded-simple-2007.pptx":      PPTX,
	"office/oletools__oleobj_embedded-simple-2007.ppsm":      PPTM,
	"office/oletools__oleobj_embedded-simple-2007.potm":      PPTM,
	"office/oletools__oleobj_embedded-simple-2007.doc":       DOC,
	"office/oletools__oleobj_embedded-simple-2007.xls":       XLS,
	"office/oletools__oleobj_embedded-simple-2007.pps":       PPT,
	"office/poi__xlmmacro.xlsm":                              XLSM,
	"office/tika__testEXCEL_macro.xlsm":                      XLSM,
	"office/tika__testPPT_macros.pptm":                       PPTM,
	"office/poi__Simple.xlsb":                                XLSB,
	"office/tika__testWORD_macros.doc":                       DOC,
	"office/poi__SimpleMacro.vsd":                            OLE, // Visio: a compound file of another kind
	"office/oletools__encrypted_encrypted.docm":              OLE, // encrypted OOXML: EncryptedPackage
	"office/poi__protected_agile.docx":                       OLE,
	"office/tika__testODTMacro.odt":                          ODT,
	"office/oletools__presentation.xps":                      XPS,
	"office/oletools__msodde_dde-in-csv.csv":                 CSV,
	"office/oletools__excel4-macros_excel4_sample_macro.slk": Binary, // SYLK
	"office/oletools__msodde_dde-in-excel2003.xml":           XML,

	// Mail.
	"mail/tika__testMSG.msg":                        MSG,
	"mail/poi__outlook_30_msg.msg":                  MSG,
	"mail/hunny__m1001.eml":                         EML,
	"mail/mime4j__russian.eml":                      EML, // Content-Type, Content-Disposition, Subject
	"mail/sisimai__mac_lhost-amazonworkmail-01.eml": EML, // CR line ends
	"mail/flanker__enclosed-global.eml":             EML, // white space before the headers
	"mail/mimekit__yenc_simple.msg":                 EML, // header block, then a binary body
	"mail/tika__testEMLX.emlx":                      EML, // emlx byte-count line
	"mail/mime4j__malformedHeader-noheader.eml":     Text,
	"mail/clamav__clam.tnef":                        Binary, // TNEF: no kind of its own

	// Images.
	"misc/fileformat__image_sample.heic":                           HEIC,
	"misc/fileformat__image_sample.tiff":                           TIFF,
	"misc/fileformat__image_sample.avif":                           Binary, // AVIF is not HEIC
	"misc/fileformat__image_sample.jp2":                            Binary,
	"misc/fileformat__image_sample.psd":                            Binary,
	"misc/patt__GIF_exploit.gif":                                   GIF,
	"misc/patt__PHP_exif_phpinfo.jpg":                              JPEG,
	"misc/patt__imagemagick_CVE-2022-44268_convert_etc_passwd.png": PNG,
	"misc/patt__CVE-2021-22204_exiftool_echo.jpg":                  Binary, // DjVu named .jpg
	"misc/patt__imagetragik1_payload_url_touch.jpg":                Text,   // ImageMagick MVG text named .jpg
	"misc/pdfcpu__VectorApple_36.tif":                              TIFF,
	"misc/pdfcpu__mountain.webp":                                   WEBP,
	"misc/tika__testBMP.bmp":                                       BMP,
	"misc/tika__testGIF.gif":                                       GIF,
	"misc/tika__testJPEG_EXIF.jpg":                                 JPEG,
	"misc/tika__testTIFF.tif":                                      TIFF,
	"misc/tika__testWEBP.webp":                                     WEBP,

	// Text and markup.
	"misc/fileformat__other_sample.empty":             Empty,
	"misc/fileformat__other_sample.html":              HTML,
	"misc/fileformat__other_sample.xml":               XML,
	"misc/fileformat__other_sample.ics":               Text,
	"misc/clamav__clam.exe.html":                      HTML,
	"misc/circlean__Example.svg":                      SVG,
	"misc/patt__SVG_XSS1.svg":                         SVG,
	"misc/patt__ssrf_iframe.svg":                      SVG,
	"misc/patt__xss.html":                             HTML,
	"misc/patt__xss.svgz":                             HTML,   // <a:script> in the XHTML namespace
	"misc/patt__imagemagick_ghostscript_cmd_exec.pdf": Binary, // PostScript named .pdf
	"misc/tika__testHTML_charset_utf16le.html":        HTML,   // UTF-16LE with BOM
	"misc/tika__testTXTNonASCIIUTF8.txt":              Text,
	"misc/tika__testXDP.xdp":                          XML,
}

// readManifest returns the category/staged_filename keys of MANIFEST.tsv.
func readManifest(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := make(map[string]bool)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 2 {
			continue
		}
		keys[cols[0]+"/"+cols[1]] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	manifest := readManifest(t)
	for key := range corpusKinds {
		if !manifest[key] {
			t.Errorf("corpusKinds names %s, which MANIFEST.tsv lacks", key)
		}
	}
	for _, cat := range []string{"misc", "archive", "office", "pdf", "mail"} {
		entries, err := os.ReadDir(filepath.Join(corpusDir, cat))
		if err != nil {
			t.Fatal(err)
		}
		for i, de := range entries {
			if !de.Type().IsRegular() {
				continue
			}
			// Every misc file; in -short mode a sample of one in ten of
			// the others.
			if cat != "misc" && testing.Short() && i%10 != 0 {
				continue
			}
			key := cat + "/" + de.Name()
			start := time.Now()
			got, read := detectFile(t, filepath.Join(corpusDir, cat, de.Name()))
			if d := time.Since(start); d > corpusMaxTime {
				t.Errorf("%s: Detect took %v", key, d)
			}
			if read > corpusMaxRead {
				t.Errorf("%s: Detect read %d bytes", key, read)
			}
			if !Known(got) {
				t.Errorf("%s: Detect returned unknown kind %q", key, got)
			}
			if want, ok := corpusKinds[key]; ok && got != want {
				t.Errorf("%s: Detect = %q, want %q", key, got, want)
			}
		}
	}
}

// TestCorpusCategories checks broad expectations per category: every file
// of pdf/ that file(1) calls a PDF is PDF (all of them have %PDF- in the
// first KiB), and no office or mail file is reported as an executable
// kind (none is one).
func TestCorpusCategories(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	for _, cat := range []string{"office", "mail", "pdf"} {
		entries, err := os.ReadDir(filepath.Join(corpusDir, cat))
		if err != nil {
			t.Fatal(err)
		}
		for _, de := range entries {
			path := filepath.Join(corpusDir, cat, de.Name())
			got, _ := detectFile(t, path)
			if c := ClassOf(got); c == ClassExecutable && got != OneNote && got != CHM {
				t.Errorf("%s/%s: detected %q", cat, de.Name(), got)
			}
			if cat == "pdf" && hasPDFHeaderFile(t, path) && got != PDF {
				t.Errorf("%s/%s: has %%PDF- in the first KiB, detected %q", cat, de.Name(), got)
			}
		}
	}
}

// hasPDFHeaderFile reports whether the first KiB of path holds "%PDF-",
// read independently of Detect.
func hasPDFHeaderFile(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, pdfHeaderWindow+4)
	n, _ := f.Read(b)
	return strings.Contains(string(b[:n]), "%PDF-")
}
