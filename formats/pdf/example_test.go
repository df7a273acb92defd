package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"

	"github.com/mugai-project/mugai/formats/pdf"
	"github.com/mugai-project/mugai/sanitize"
)

func Example() {
	// A one-page PDF whose open action runs JavaScript (offsets need not be
	// right: the cross-reference table is rebuilt).
	in := []byte("%PDF-1.7\n" +
		"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" +
		"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n" +
		"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	s := pdf.New(pdf.Options{})
	it := &sanitize.Item{Src: io.NewSectionReader(bytes.NewReader(in), 0, int64(len(in))), Name: "a.pdf"}
	var out bytes.Buffer
	res, err := s.Sanitize(context.Background(), &out, it)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range res.Findings {
		fmt.Println(f.Rule, f.Where, f.Action)
	}
	// Output:
	// pdf.javascript /Root/OpenAction removed
}
