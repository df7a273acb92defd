package detect

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// fixtureKinds is the expected kind of every generated fixture in testdata/
// (see testdata/gen). The file name is passed to Detect as the name.
var fixtureKinds = map[string]Kind{
	// Executables and other never-allowed kinds.
	"pe.exe":           PE,
	"pe_named.pdf":     PE,
	"dos.com":          PE,
	"elf":              ELF,
	"macho":            MachO,
	"macho_fat":        MachO,
	"Hello.class":      JavaClass,
	"module.wasm":      WASM,
	"classes.dex":      JAR,
	"run.sh":           Script,
	"run":              Script,
	"script.js":        Script,
	"script_utf16.ps1": Script,
	"script_as.txt":    Script,
	"app.hta":          HTA,
	"hta_as.html":      HTA,
	"shortcut.lnk":     LNK,
	"notebook.one":     OneNote,
	"help.chm":         CHM,
	"disk.iso":         DiskImage,
	"disk.vhd":         DiskImage,
	"disk.vhdx":        DiskImage,
	"disk.dmg":         DiskImage,
	"floppy.bin":       DiskImage,
	"raw.img":          DiskImage,

	// Zips.
	"docx.docx":              DOCX,
	"docm.docm":              DOCM,
	"docm_vba_only.docx":     DOCM,
	"dotm.dotm":              DOCM,
	"xlsx.xlsx":              XLSX,
	"xlsm.xlsm":              XLSM,
	"xlsx_xlm.xlsx":          XLSM,
	"xlsb.xlsb":              XLSB,
	"pptx.pptx":              PPTX,
	"pptm.pptm":              PPTM,
	"ppsm.ppsm":              PPTM,
	"odt.odt":                ODT,
	"ods.ods":                ODS,
	"odp.odp":                ODP,
	"xps.xps":                XPS,
	"app.jar":                JAR,
	"app.apk":                JAR,
	"jar_as.zip":             JAR,
	"docx_jar_polyglot.docx": JAR,
	"plain.zip":              ZIP,
	"empty.zip":              ZIP,
	"broken.zip":             ZIP,

	// OLE2.
	"word.doc":            DOC,
	"word_v4.doc":         DOC,
	"excel.xls":           XLS,
	"excel95.xls":         XLS,
	"slides.ppt":          PPT,
	"outlook.msg":         MSG,
	"installer.msi":       MSI,
	"msi_tables_only.msi": MSI,
	"encrypted.docx":      OLE,
	"other.ole":           OLE,
	"loop.doc":            OLE,
	"truncated.doc":       OLE,

	// PDF, RTF, markup, mail.
	"junk_header.pdf":    PDF,
	"pdf_as.txt":         PDF,
	"headerless.pdf":     PDF,
	"doc.rtf":            RTF,
	"rt_only.txt":        RTF,
	"page.html":          HTML,
	"html_as.txt":        HTML,
	"html_utf16_as.txt":  HTML,
	"html_late_tag.txt":  HTML,
	"image.svg":          SVG,
	"svg_as.xml":         SVG,
	"xhtml_ns.xml":       HTML,
	"data.xml":           XML,
	"nodecl.xml":         XML,
	"word2003_macro.xml": DOCM,
	"mail.eml":           EML,
	"mbox_mail.txt":      EML,

	// Text.
	"utf8.txt":      Text,
	"utf16le.txt":   Text,
	"utf16be.txt":   Text,
	"sjis.txt":      Text,
	"eucjp.txt":     Text,
	"iso2022jp.txt": Text,
	"list.csv":      CSV,
	"list.tsv":      CSV,
	"sylk.csv":      Binary,
	"postscript.ps": Binary,
	"random.bin":    Binary,

	// Images.
	"image.png":  PNG,
	"image.jpg":  JPEG,
	"image.gif":  GIF,
	"png_as.jpg": PNG,
	"image.bmp":  BMP,
	"image.tif":  TIFF,
	"image.webp": WEBP,
	"image.ico":  ICO,
	"image.heic": HEIC,

	// Archives.
	"data.tar": TAR,
	"v7.tar":   TAR,
	"data.gz":  GZIP,
	"data.7z":  SevenZ,
	"rar4.rar": RAR,
	"rar5.rar": RAR,
	"data.lzh": LZH,
	"data.bz2": BZIP2,
	"data.xz":  XZ,
	"data.zst": ZSTD,
	"data.cab": CAB,
}

// fixtureFiles lists the generated fixtures (not the fuzz corpus).
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	des, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		if de.Type().IsRegular() {
			names = append(names, de.Name())
		}
	}
	return names
}

// detectFile runs Detect over a file with its base name, through a
// ReaderAt that counts the bytes read.
func detectFile(t testing.TB, path string) (Kind, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReaderAt{r: f}
	return Detect(cr, fi.Size(), filepath.Base(path)), cr.n
}

func TestDetectFixtures(t *testing.T) {
	for _, name := range fixtureFiles(t) {
		t.Run(name, func(t *testing.T) {
			want, ok := fixtureKinds[name]
			if !ok {
				t.Fatalf("fixture %s has no expected kind in fixtureKinds", name)
			}
			got, _ := detectFile(t, filepath.Join("testdata", name))
			if got != want {
				t.Errorf("Detect(%s) = %q, want %q", name, got, want)
			}
		})
	}
	for name := range fixtureKinds {
		if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
			t.Errorf("fixtureKinds names %s, which testdata lacks (run go generate)", name)
		}
	}
}

// TestDetectIgnoresNameForBinaryFormats checks that a name can neither hide
// nor create a binary format: the same bytes detect the same whatever they
// are called.
func TestDetectIgnoresNameForBinaryFormats(t *testing.T) {
	for _, fixture := range []string{"pe.exe", "docm.docm", "word.doc", "image.png", "disk.iso", "app.jar"} {
		data, err := os.ReadFile(filepath.Join("testdata", fixture))
		if err != nil {
			t.Fatal(err)
		}
		want := fixtureKinds[fixture]
		for _, name := range []string{"", "a.txt", "a.pdf", "a.js", "a.hta", "a.img", "a.csv", "x.exe::$DATA"} {
			if got := Detect(bytes.NewReader(data), int64(len(data)), name); got != want {
				t.Errorf("Detect(%s named %q) = %q, want %q", fixture, name, got, want)
			}
		}
	}
}

func TestDetectByName(t *testing.T) {
	text := []byte("hello, world\n")
	for _, tc := range []struct {
		name string
		want Kind
	}{
		{"", Text},
		{"a.txt", Text},
		{"a.csv", CSV},
		{"A.TSV", CSV},
		{"a.js", Script},
		{"a.VBS", Script},
		{"a.bat", Script},
		{"a.ps1", Script},
		{"a.reg", Script},
		{"a.url", Script},
		{"a.hta", HTA},
		{"a.js. ", Script}, // Windows strips trailing dots and spaces
		{"a.txt\x00.js", Script},
		{"dir/a.js", Script},
		{`C:\dir\a.cmd`, Script},
		{"a.cmd:Zone.Identifier", Script},
		{"a.html", HTML}, // a browser renders it as HTML
		{"a.HTM", HTML},
		{"a.mht", HTML},
		{"a.svg", SVG},
		{"a.img", Text}, // text is not a disk image
		{"a.exe", Text}, // a name never makes text an executable of another kind
	} {
		if got := Detect(bytes.NewReader(text), int64(len(text)), tc.name); got != tc.want {
			t.Errorf("Detect(text, %q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDetectByNameMarkup(t *testing.T) {
	mail := []byte("From: a@example.jp\r\nTo: b@example.jp\r\nMIME-Version: 1.0\r\n\r\n<script>x</script>\r\n")
	rtf := []byte("{\\rtf1 <script>x</script>}")
	xml := []byte("<?xml version=\"1.0\"?><r/>")
	for _, tc := range []struct {
		data []byte
		name string
		want Kind
	}{
		{mail, "a.eml", EML},
		{mail, "a.mht", EML},   // MHTML: the mail sanitizer
		{mail, "a.html", HTML}, // a browser renders the raw message as HTML
		{rtf, "a.rtf", RTF},
		{rtf, "a.htm", HTML},
		{xml, "a.xml", XML},
		{xml, "a.svg", SVG},
		{xml, "a.xhtml", HTML},
		{xml, "a.wsf", Script},
	} {
		if got := Detect(bytes.NewReader(tc.data), int64(len(tc.data)), tc.name); got != tc.want {
			t.Errorf("Detect(%.12q…, %q) = %q, want %q", tc.data, tc.name, got, tc.want)
		}
	}
}

func TestDetectEdgeInputs(t *testing.T) {
	if got := Detect(bytes.NewReader(nil), 0, "a.pdf"); got != Empty {
		t.Errorf("empty: got %q", got)
	}
	if got := Detect(bytes.NewReader([]byte("x")), -1, ""); got != Binary {
		t.Errorf("negative size: got %q", got)
	}
	if got := Detect(nil, 10, ""); got != Binary {
		t.Errorf("nil reader: got %q", got)
	}
	// A size larger than the data: reads come back short, nothing breaks.
	if got := Detect(bytes.NewReader([]byte("%PDF-1.7\n")), 1<<40, ""); got != PDF {
		t.Errorf("oversized: got %q", got)
	}
	// A ReaderAt that fails: Binary, no panic.
	if got := Detect(errReaderAt{}, 100, ""); got != Binary {
		t.Errorf("failing reader: got %q", got)
	}
}

// TestDetectRecoversPanics checks the fail-closed guard: a panic while
// sniffing becomes Binary.
func TestDetectRecoversPanics(t *testing.T) {
	if got := Detect(panicReaderAt{}, 100, ""); got != Binary {
		t.Errorf("panicking reader: got %q, want %q", got, Binary)
	}
}

// TestGeneratorUpToDate regenerates the fixtures into a temporary directory
// and compares them with testdata/.
func TestGeneratorUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	dir := t.TempDir()
	cmd := exec.Command(goTool, "run", "../../testdata/gen", "-out", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, out)
	}
	gen, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(gen) != len(fixtureFiles(t)) {
		t.Errorf("generator wrote %d files, testdata has %d: run go generate", len(gen), len(fixtureFiles(t)))
	}
	for _, de := range gen {
		want, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", de.Name()))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/%s is stale: run go generate", de.Name())
		}
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

type errReaderAt struct{}

func (errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, io.ErrUnexpectedEOF }

type panicReaderAt struct{}

func (panicReaderAt) ReadAt([]byte, int64) (int, error) { panic("boom") }

// Zero bytes are Empty whatever the name says (no fixture file: an empty
// file is identical to every other empty file).
func TestDetectEmpty(t *testing.T) {
	for _, name := range []string{"empty.txt", "a.pdf", ""} {
		if got := Detect(bytes.NewReader(nil), 0, name); got != Empty {
			t.Errorf("Detect(empty, %q) = %s", name, got)
		}
	}
}
