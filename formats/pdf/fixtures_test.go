package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"sort"
	"strings"
)

// The fixtures are written here, object by object, with correct
// cross-reference offsets: no third-party files, no real malware.

// pdfDoc is a document under construction: object n is objs[n].
type pdfDoc struct {
	objs    map[int]string
	trailer string // extra trailer entries
}

// pageText is the text every fixture shows on its first page.
const pageText = "Hello mugai sanitizer"

// baseDoc returns a one-page document with text; extra catalog, page and
// trailer entries are spliced in.
func baseDoc(catalog, page string) *pdfDoc {
	content := "BT /F1 24 Tf 72 700 Td (" + pageText + ") Tj ET"
	return &pdfDoc{objs: map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R " + catalog + " >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R " + page + " >>",
		4: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content)+1, content),
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}}
}

func (d *pdfDoc) set(n int, body string) *pdfDoc { d.objs[n] = body; return d }

func sortedNums(m map[int]string) []int {
	var ns []int
	for n := range m {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return ns
}

func maxNum(m map[int]string) int {
	ns := sortedNums(m)
	return ns[len(ns)-1]
}

// bytes writes the document with a classic xref table.
func (d *pdfDoc) bytes() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	writeSection(&b, d.objs, 0, d.trailer)
	return b.Bytes()
}

// writeSection appends objects and their xref section and trailer to b;
// prev is the previous xref offset (0: none).
func writeSection(b *bytes.Buffer, objs map[int]string, prev int, trailer string) int {
	offs := map[int]int{}
	for _, n := range sortedNums(objs) {
		offs[n] = b.Len()
		fmt.Fprintf(b, "%d 0 obj\n%s\nendobj\n", n, objs[n])
	}
	xref := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f \n")
	for _, n := range sortedNums(objs) {
		fmt.Fprintf(b, "%d 1\n%010d 00000 n \n", n, offs[n])
	}
	size := maxNum(objs) + 1
	fmt.Fprintf(b, "trailer\n<< /Size %d /Root 1 0 R %s", size, trailer)
	if prev > 0 {
		fmt.Fprintf(b, " /Prev %d", prev)
	}
	fmt.Fprintf(b, " >>\nstartxref\n%d\n%%%%EOF\n", xref)
	return xref
}

// incremental writes d, then an update that replaces or adds the objects
// of upd (ISO 32000-1 7.5.6).
func (d *pdfDoc) incremental(upd map[int]string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	prev := writeSection(&b, d.objs, 0, d.trailer)
	all := map[int]string{}
	for n, s := range d.objs {
		all[n] = s
	}
	for n, s := range upd {
		all[n] = s
	}
	offs := map[int]int{}
	for _, n := range sortedNums(upd) {
		offs[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, upd[n])
	}
	xref := b.Len()
	b.WriteString("xref\n")
	for _, n := range sortedNums(upd) {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", n, offs[n])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", maxNum(all)+1, d.trailer, prev, xref)
	return b.Bytes()
}

// objStm writes d with every non-stream object except the catalog inside
// one compressed object stream, and a cross-reference stream
// (ISO 32000-1 7.5.7, 7.5.8).
func (d *pdfDoc) objStm() []byte { return d.objStmAt(0) }

// objStmAt is objStm for a body that will start at offset base of a file.
func (d *pdfDoc) objStmAt(base int) []byte {
	var inStm, direct []int
	for _, n := range sortedNums(d.objs) {
		if n == 1 || strings.Contains(d.objs[n], "stream\n") {
			direct = append(direct, n)
		} else {
			inStm = append(inStm, n)
		}
	}
	var head, body bytes.Buffer
	for i, n := range inStm {
		if i > 0 {
			head.WriteByte(' ')
		}
		fmt.Fprintf(&head, "%d %d", n, body.Len())
		body.WriteString(d.objs[n] + "\n")
	}
	head.WriteByte('\n')
	first := head.Len()
	stmNr := maxNum(d.objs) + 1
	xrefNr := stmNr + 1
	data := deflate(append(head.Bytes(), body.Bytes()...))

	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	type ent struct{ typ, f2, f3 int }
	ents := map[int]ent{0: {0, 0, 65535}}
	for _, n := range direct {
		ents[n] = ent{1, base + b.Len(), 0}
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, d.objs[n])
	}
	ents[stmNr] = ent{1, base + b.Len(), 0}
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n", stmNr, len(inStm), first, len(data))
	b.Write(data)
	b.WriteString("\nendstream\nendobj\n")
	for i, n := range inStm {
		ents[n] = ent{2, stmNr, i}
	}
	ents[xrefNr] = ent{1, base + b.Len(), 0}
	var rows []byte
	for n := 0; n <= xrefNr; n++ {
		e, ok := ents[n]
		if !ok {
			e = ent{0, 0, 0}
		}
		rows = append(rows, byte(e.typ), byte(e.f2>>24), byte(e.f2>>16), byte(e.f2>>8), byte(e.f2), byte(e.f3>>8), byte(e.f3))
	}
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R %s /Length %d >>\nstream\n", xrefNr, xrefNr+1, d.trailer, len(rows))
	xref := ents[xrefNr].f2
	b.Write(rows)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

func deflate(p []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

// appendObjStmUpdate appends to a complete file an incremental update
// whose objects (every object of upd except streams, which stay direct)
// sit in a compressed object stream, indexed by a cross-reference stream
// with /Prev pointing at the file's last xref (ISO 32000-1 7.5.6, 7.5.8).
func appendObjStmUpdate(base []byte, upd *pdfDoc) []byte {
	prev := lastStartxref(base)
	body := upd.objStm()
	// Re-base the update: its offsets move by len(base), its header goes.
	hdr := bytes.Index(body, []byte("\n%\xe2\xe3\xcf\xd3\n")) + len("\n%\xe2\xe3\xcf\xd3\n")
	doc := &pdfDoc{objs: upd.objs, trailer: fmt.Sprintf("/Prev %d", prev)}
	body = doc.objStmAt(len(base) - hdr)
	return append(append([]byte{}, base...), body[hdr:]...)
}

func lastStartxref(b []byte) int {
	i := bytes.LastIndex(b, []byte("startxref\n"))
	var n int
	fmt.Sscanf(string(b[i+len("startxref\n"):]), "%d", &n)
	return n
}
