package ooxml

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

// bigDocx is a Word document of about size bytes of XML (a 1 MB package
// expands to about 35 MB: the worst case for the XML rewriter): paragraphs of
// Japanese and ASCII text with a field now and then.
func bigDocx(b testing.TB, size int) []byte {
	var body strings.Builder
	for i := 0; body.Len() < size; i++ {
		fmt.Fprintf(&body, `<w:p><w:pPr><w:jc w:val="both"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">第%d条 市民の皆様へのお知らせ。Paragraph %d of the benchmark document.</w:t></w:r>`, i, i)
		if i%20 == 0 {
			body.WriteString(`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`)
		}
		body.WriteString(`</w:p>`)
	}
	return docx(b, ctDocx, body.String(), nil, nil)
}

// bigXlsx is a workbook with one sheet of about size bytes of XML: numbers,
// shared strings, formulas and inline strings.
func bigXlsx(b testing.TB, size int) []byte {
	var cells strings.Builder
	cells.WriteString(`<c r="B1"><v>1</v></c></row>`)
	r := 2
	for ; cells.Len() < size; r++ {
		fmt.Fprintf(&cells, `<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="s"><v>0</v></c><c r="C%d"><f>A%d*2</f><v>%d</v></c><c r="D%d" t="inlineStr"><is><t>備考 %d</t></is></c></row>`, r, r, r, r, r, r, 2*r, r, r)
	}
	fmt.Fprintf(&cells, `<row r="%d">`, r)
	return xlsx(b, ctXlsx, cells.String(), "", nil, "", nil)
}

// ofSize calls gen with a growing XML size until the package is about
// want bytes.
func ofSize(b testing.TB, want int, gen func(testing.TB, int) []byte) []byte {
	size := want
	in := gen(b, size)
	for range 3 {
		size = int(float64(size) * float64(want) / float64(len(in)))
		in = gen(b, size)
	}
	return in
}

func bench(b *testing.B, in []byte, name string) {
	eng := newEngine(b, Options{}, sanitize.Limits{})
	eng.SkipVerify = true
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		rep, blob, err := eng.Run(b.Context(), sanitize.Input{R: bytes.NewReader(in), Name: name})
		if err != nil || blob == nil {
			b.Fatalf("%v %+v", err, rep)
		}
		blob.Close()
	}
}

// sharedDocx is the 1 MB docx of the team's benchmark generator
// (../shared/bench/gen/make-docx.py: text and noise images), made in a
// temp dir; the sub-benchmark skips without python3 or the script.
func sharedDocx(b *testing.B) []byte {
	script := "../../../shared/bench/gen/make-docx.py"
	if _, err := os.Stat(script); err != nil {
		b.Skip(err)
	}
	out := filepath.Join(b.TempDir(), "bench.docx")
	if err := exec.Command("python3", script, out, "--target-bytes", "1048576").Run(); err != nil {
		b.Skip(err)
	}
	in, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return in
}

func BenchmarkSanitize(b *testing.B) {
	b.Run("docx-make-docx", func(b *testing.B) { bench(b, sharedDocx(b), "a.docx") })
	b.Run("docx-1MB", func(b *testing.B) { bench(b, ofSize(b, 1<<20, bigDocx), "a.docx") })
	b.Run("xlsx-1MB", func(b *testing.B) { bench(b, ofSize(b, 1<<20, bigXlsx), "a.xlsx") })
}
