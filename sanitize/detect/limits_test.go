package detect

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Limits are tested at N and N+1 (STYLE.md §1.4).

func TestBudgetReaderAt(t *testing.T) {
	data := bytes.Repeat([]byte{'x'}, 100)
	b := &budgetReaderAt{r: bytes.NewReader(data), size: int64(len(data)), left: 10}
	p := make([]byte, 10)
	if n, err := b.ReadAt(p, 0); n != 10 || err != nil {
		t.Fatalf("read of N=10: n=%d err=%v", n, err)
	}
	if n, err := b.ReadAt(p[:1], 10); n != 0 || !errors.Is(err, errReadBudget) {
		t.Fatalf("read of N+1st byte: n=%d err=%v, want errReadBudget", n, err)
	}

	b = &budgetReaderAt{r: bytes.NewReader(data), size: 50, left: 1000}
	if n, err := b.ReadAt(make([]byte, 20), 40); n != 10 || err != io.EOF {
		t.Fatalf("read across size: n=%d err=%v, want 10, EOF", n, err)
	}
	if n, err := b.ReadAt(make([]byte, 1), 50); n != 0 || err != io.EOF {
		t.Fatalf("read at size: n=%d err=%v", n, err)
	}
	if _, err := b.ReadAt(make([]byte, 1), -1); err == nil {
		t.Fatal("negative offset accepted")
	}
}

// hugeReaderAt serves data, then zeros up to any offset: a file that claims
// to be enormous.
type hugeReaderAt struct{ data []byte }

func (h hugeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	if off < int64(len(h.data)) {
		copy(p, h.data[off:])
	}
	return len(p), nil
}

// TestDetectBoundedOnHugeInput runs every fixture as the start of a 1 TiB
// file and checks the bytes read stay under maxReadBytes.
func TestDetectBoundedOnHugeInput(t *testing.T) {
	for _, name := range fixtureFiles(t) {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		cr := &countingReaderAt{r: hugeReaderAt{data}}
		Detect(cr, 1<<40, name)
		if cr.n > maxReadBytes {
			t.Errorf("%s as a 1 TiB file: read %d bytes, budget %d", name, cr.n, maxReadBytes)
		}
	}
}

// eocd builds an end of central directory record.
func eocd(records uint16, dirSize, dirOff uint32) []byte {
	b := make([]byte, 22)
	copy(b, "PK\x05\x06")
	binary.LittleEndian.PutUint16(b[8:], records)
	binary.LittleEndian.PutUint16(b[10:], records)
	binary.LittleEndian.PutUint32(b[12:], dirSize)
	binary.LittleEndian.PutUint32(b[16:], dirOff)
	return b
}

func TestZipDirectoryBounded(t *testing.T) {
	// The claimed size is checked against a real file of matching size.
	check := func(records uint16, dirSize uint32) bool {
		data := append(make([]byte, dirSize), eocd(records, dirSize, 0)...)
		copy(data, "PK\x03\x04")
		r := &budgetReaderAt{r: bytes.NewReader(data), size: int64(len(data)), left: maxReadBytes}
		return zipDirectoryBounded(r, int64(len(data)))
	}
	if !check(zipMaxEntries, 100) {
		t.Error("N entries refused")
	}
	if check(zipMaxEntries+1, 100) {
		t.Error("N+1 entries accepted")
	}
	if !check(10, zipMaxDirBytes) {
		t.Error("N directory bytes refused")
	}
	if check(10, zipMaxDirBytes+1) {
		t.Error("N+1 directory bytes accepted")
	}

	// A zip64 record claiming 2^40 entries behind saturated fields.
	var b bytes.Buffer
	b.WriteString("PK\x03\x04")
	end64 := b.Len()
	rec := make([]byte, 56)
	copy(rec, "PK\x06\x06")
	binary.LittleEndian.PutUint64(rec[24:], 1<<40)
	binary.LittleEndian.PutUint64(rec[32:], 1<<40)
	binary.LittleEndian.PutUint64(rec[40:], 100)
	b.Write(rec)
	loc := make([]byte, 20)
	copy(loc, "PK\x06\x07")
	binary.LittleEndian.PutUint64(loc[8:], uint64(end64))
	binary.LittleEndian.PutUint32(loc[16:], 1)
	b.Write(loc)
	b.Write(eocd(0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF))
	data := b.Bytes()
	r := &budgetReaderAt{r: bytes.NewReader(data), size: int64(len(data)), left: maxReadBytes}
	if zipDirectoryBounded(r, int64(len(data))) {
		t.Error("zip64 claim of 2^40 entries accepted")
	}
	if got := Detect(bytes.NewReader(data), int64(len(data)), ""); got != ZIP {
		t.Errorf("zip64 bomb: Detect = %q, want zip", got)
	}
}

// docxWithEntries builds a DOCX with n entries in total.
func docxWithEntries(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	add := func(name, body string) {
		f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, body)
	}
	add("[Content_Types].xml", `<Types><Override PartName="/word/document.xml" ContentType="`+
		`application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)
	add("word/document.xml", "<w/>")
	for i := 2; i < n; i++ {
		add(fmt.Sprintf("p/%05d", i), "")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestZipEntryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two zips of 10 000 entries")
	}
	for _, tc := range []struct {
		n    int
		want Kind
	}{
		{zipMaxEntries, DOCX},
		{zipMaxEntries + 1, ZIP}, // too many entries to examine: fail closed
	} {
		data := docxWithEntries(t, tc.n)
		if got := Detect(bytes.NewReader(data), int64(len(data)), "a.docx"); got != tc.want {
			t.Errorf("%d entries: Detect = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// docxWithContentTypesLen builds a DOCX whose [Content_Types].xml is n
// bytes long, padded with a comment after the main part's Override.
func docxWithContentTypesLen(t *testing.T, n int) []byte {
	t.Helper()
	head := `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><!--`
	tail := "--></Types>"
	ct := head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("[Content_Types].xml")
	io.WriteString(f, ct)
	f, _ = w.Create("word/document.xml")
	io.WriteString(f, "<w/>")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestContentTypesLimit(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want Kind
	}{
		{zipMaxCTBytes, DOCX},
		{zipMaxCTBytes + 1, ZIP}, // a part not read to its end could hide a macro type
	} {
		data := docxWithContentTypesLen(t, tc.n)
		if got := Detect(bytes.NewReader(data), int64(len(data)), ""); got != tc.want {
			t.Errorf("content types of %d bytes: Detect = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// cfbWithDirectory builds a version 3 compound file with n directory
// entries: the root, whose child is entry child, and streams named
// "S<id>", except entry child, which is named WordDocument.
func cfbWithDirectory(n int, child uint32) []byte {
	const sec = 512
	le := binary.LittleEndian
	dirSecs := (n*128 + sec - 1) / sec
	fatSecs := (1+dirSecs)/(sec/4) + 1
	total := fatSecs + dirSecs
	out := make([]byte, sec*(1+total))
	h := out[:sec]
	copy(h, magicOLE)
	le.PutUint16(h[0x1A:], 3)
	le.PutUint16(h[0x1C:], 0xFFFE)
	le.PutUint16(h[0x1E:], 9)
	le.PutUint32(h[0x2C:], uint32(fatSecs))
	le.PutUint32(h[0x30:], uint32(fatSecs)) // directory after the FAT
	le.PutUint32(h[0x44:], oleEndOfChain)
	for i := range 109 {
		v := uint32(0xFFFFFFFF)
		if i < fatSecs {
			v = uint32(i)
		}
		le.PutUint32(h[0x4C+4*i:], v)
	}
	fat := make([]uint32, fatSecs*(sec/4))
	for i := range fat {
		fat[i] = 0xFFFFFFFF
	}
	for i := range fatSecs {
		fat[i] = 0xFFFFFFFD
	}
	for i := range dirSecs {
		s := fatSecs + i
		fat[s] = uint32(s + 1)
		if i == dirSecs-1 {
			fat[s] = oleEndOfChain
		}
	}
	for i, v := range fat {
		le.PutUint32(out[sec+4*i:], v)
	}
	dir := out[sec*(1+fatSecs):]
	for id := range n {
		e := dir[id*128:]
		name := fmt.Sprintf("S%d", id)
		typ := byte(oleTypeStream)
		switch {
		case id == 0:
			name, typ = "Root Entry", oleTypeRoot
		case uint32(id) == child:
			name = "WordDocument"
		}
		for i, c := range name {
			le.PutUint16(e[2*i:], uint16(c))
		}
		le.PutUint16(e[0x40:], uint16(2*len(name)+2))
		e[0x42] = typ
		le.PutUint32(e[0x44:], 0xFFFFFFFF)
		le.PutUint32(e[0x48:], 0xFFFFFFFF)
		le.PutUint32(e[0x4C:], 0xFFFFFFFF)
		if id == 0 {
			le.PutUint32(e[0x4C:], child)
		}
	}
	return out
}

func TestOLEDirectoryLimit(t *testing.T) {
	for _, tc := range []struct {
		child uint32
		want  Kind
	}{
		{oleMaxDirEntries - 1, DOC}, // the N-th entry is read
		{oleMaxDirEntries, OLE},     // the N+1-th is not: undecided, generic OLE
	} {
		data := cfbWithDirectory(oleMaxDirEntries+8, tc.child)
		cr := &countingReaderAt{r: bytes.NewReader(data)}
		if got := Detect(cr, int64(len(data)), ""); got != tc.want {
			t.Errorf("WordDocument at entry %d: Detect = %q, want %q", tc.child, got, tc.want)
		}
		if max := int64(prefixLen + (oleMaxDirEntries+4)*128 + 4*oleMaxDirEntries); cr.n > max {
			t.Errorf("read %d bytes, want ≤ %d", cr.n, max)
		}
	}
}

func TestOLEMalformed(t *testing.T) {
	good := cfbWithDirectory(8, 3)
	if got := Detect(bytes.NewReader(good), int64(len(good)), ""); got != DOC {
		t.Fatalf("base file: Detect = %q, want doc", got)
	}
	le := binary.LittleEndian
	for _, tc := range []struct {
		name  string
		patch func(b []byte)
	}{
		{"byte order", func(b []byte) { le.PutUint16(b[0x1C:], 0xFEFF) }},
		{"sector shift", func(b []byte) { le.PutUint16(b[0x1E:], 10) }},
		{"directory outside file", func(b []byte) { le.PutUint32(b[0x30:], 1<<20) }},
		{"directory at special sector", func(b []byte) { le.PutUint32(b[0x30:], oleMaxRegSect) }},
		{"FAT sector outside file", func(b []byte) { le.PutUint32(b[0x4C:], 1<<20) }},
		{"directory chain loop", func(b []byte) {
			dirStart := le.Uint32(b[0x30:])
			le.PutUint32(b[512+4*int(dirStart)+4:], dirStart) // second dir sector → first
		}},
		{"root not a root", func(b []byte) { b[512*(1+int(le.Uint32(b[0x30:])))+0x42] = oleTypeStream }},
	} {
		b := bytes.Clone(good)
		tc.patch(b)
		if got := Detect(bytes.NewReader(b), int64(len(b)), ""); got != OLE {
			t.Errorf("%s: Detect = %q, want ole", tc.name, got)
		}
	}
	// The child pointers form a cycle: each entry visited once, still DOC.
	b := bytes.Clone(good)
	dir := b[512*(1+int(le.Uint32(b[0x30:]))):]
	le.PutUint32(dir[3*128+0x44:], 3)
	le.PutUint32(dir[3*128+0x48:], 0)
	if got := Detect(bytes.NewReader(b), int64(len(b)), ""); got != DOC {
		t.Errorf("sibling cycle: Detect = %q, want doc", got)
	}
}

// difatReaderAt is a sparse compound file of 512-byte sectors: sector 0 is
// a FAT sector whose entries are all 7, sectors 1 and up are DIFAT sectors
// whose entries all name FAT sector 0 and whose last slot links to the next.
type difatReaderAt struct{}

func (difatReaderAt) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		o := off + int64(i)
		sec, in := o/512-1, o%512
		var v uint32
		switch {
		case sec < 0:
			v = 0
		case sec == 0:
			v = 7
		case in/4 == 127:
			v = uint32(sec + 1)
		}
		p[i] = byte(v >> (8 * (in % 4)))
	}
	return len(p), nil
}

func TestOLEDIFATHops(t *testing.T) {
	hdr := make([]byte, oleHeaderLen)
	binary.LittleEndian.PutUint32(hdr[0x44:], 1) // first DIFAT sector
	c := &cfb{r: &budgetReaderAt{r: difatReaderAt{}, size: 1 << 40, left: maxReadBytes}, size: 1 << 40, hdr: hdr, secSize: 512}
	for _, tc := range []struct {
		hops uint32
		ok   bool
	}{
		{oleMaxDIFATHops - 1, true},
		{oleMaxDIFATHops, false},
	} {
		s := (109 + tc.hops*127) * 128 // a sector whose FAT entry needs tc.hops DIFAT hops
		v, ok := c.next(s)
		if ok != tc.ok || ok && v != 7 {
			t.Errorf("%d hops: next = %d, %v; want ok=%v", tc.hops, v, ok, tc.ok)
		}
	}
}

// TestZipBudgetExhausted checks that a zip whose content types cannot all
// be read within the read budget is ZIP, not the kind of the part that was
// read: four stored 1 MiB [Content_Types].xml parts, the first a DOCX.
func TestZipBudgetExhausted(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := range 4 {
		f, err := w.CreateHeader(&zip.FileHeader{Name: "[Content_Types].xml", Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		ct := "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
		if i > 0 {
			ct = "application/vnd.ms-word.document.macroEnabled.main+xml"
		}
		body := `<Types><Override PartName="/word/document.xml" ContentType="` + ct + `"/><!--`
		io.WriteString(f, body+strings.Repeat("x", zipMaxCTBytes-len(body))+"-->")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	if got := Detect(bytes.NewReader(data), int64(len(data)), "a.docx"); got != ZIP {
		t.Errorf("Detect = %q, want zip", got)
	}
}
