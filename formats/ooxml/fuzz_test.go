package ooxml

import (
	"bytes"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// FuzzSanitize: no panic, no run past the deadline, and every output that
// crosses satisfies the oracles: it detects as a regular OOXML kind and
// sanitizes again with no finding that changes anything. Seeds are the
// fixtures.
func FuzzSanitize(f *testing.F) {
	for _, fx := range fixtures(f) {
		f.Add(fx.in)
	}
	eng := newEngine(f, Options{}, sanitize.Limits{Timeout: 5 * time.Second, MaxExpanded: 16 << 20})
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, b := sanitizetest.FuzzRun(t, eng, in, "f.docm", detect.DOCM)
		if b == nil {
			return
		}
		checkDetects(t, b, rep)
		sanitizetest.Resanitize(t, eng, b, "g.docx", detect.DOCX)
	})
}

// FuzzPart fuzzes the XML inside a well-formed package, where FuzzSanitize
// mostly exercises the zip layer: sel picks the part the bytes become (the
// Word document, a worksheet, the workbook, a .rels part, the content types,
// a VML drawing). Properties as for FuzzSanitize.
func FuzzPart(f *testing.F) {
	seeds := []string{
		`<w:document ` + nsW + `><w:body><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>DDE x</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:body></w:document>`,
		`<worksheet ` + nsX + `><sheetData><row r="1"><c r="A1"><f t="shared" si="0">a|b!c</f></c><c r="A2"><f t="shared" si="0"/></c></row></sheetData></worksheet>`,
		`<workbook ` + nsX + `><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets><definedNames><definedName name="_xlnm.Auto_Open">x</definedName></definedNames></workbook>`,
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="x/officeDocument" Target="../../a" TargetMode="External"/></Relationships>`,
		`<xml xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><x:ClientData xmlns:x="urn:schemas-microsoft-com:office:excel"><x:FmlaMacro>[0]!M</x:FmlaMacro><br></x:ClientData></v:shape></xml>`,
		`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), byte(i))
	}
	eng := newEngine(f, Options{}, sanitize.Limits{Timeout: 5 * time.Second, MaxExpanded: 16 << 20})
	f.Fuzz(func(t *testing.T, part []byte, sel byte) {
		var in []byte
		p := string(part)
		switch sel % 6 {
		case 0:
			in = buildZip(t, types("/word/document.xml", ctDocm), rootRels, entry{"word/document.xml", p})
		case 1:
			in = buildZip(t, types("/xl/workbook.xml", ctXlsx, "/xl/worksheets/sheet1.xml", ctWS),
				rels("_rels/.rels", "rId1", "officeDocument", "xl/workbook.xml"),
				entry{"xl/workbook.xml", `<workbook ` + nsX + `><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`},
				rels("xl/_rels/workbook.xml.rels", "rId1", "worksheet", "worksheets/sheet1.xml"),
				entry{"xl/worksheets/sheet1.xml", p})
		case 2:
			in = buildZip(t, types("/xl/workbook.xml", ctXlsm), rels("_rels/.rels", "rId1", "officeDocument", "xl/workbook.xml"), entry{"xl/workbook.xml", p})
		case 3:
			in = buildZip(t, types("/word/document.xml", ctDocx), rootRels,
				entry{"word/document.xml", `<w:document ` + nsW + `/>`}, entry{"word/_rels/document.xml.rels", p})
		case 4:
			in = buildZip(t, entry{"[Content_Types].xml", p}, rootRels, entry{"word/document.xml", `<w:document ` + nsW + `/>`})
		case 5:
			in = buildZip(t, types("/word/document.xml", ctDocx, "vml", "application/vnd.openxmlformats-officedocument.vmlDrawing"), rootRels,
				entry{"word/document.xml", `<w:document ` + nsW + `/>`},
				rels("word/_rels/document.xml.rels", "rId1", "http://x/vmlDrawing", "d.vml"), entry{"word/d.vml", p})
		}
		rep, b := sanitizetest.FuzzRun(t, eng, in, "f.docm", detect.DOCM)
		if b == nil {
			return
		}
		checkDetects(t, b, rep)
		if c := sanitizetest.Resanitize(t, eng, b, "g.docx", detect.DOCX); c != nil && !bytes.Equal(b, c) {
			t.Fatalf("S(S(x)) != S(x) for %q", part)
		}
	})
}

// checkDetects is the detection oracle: an output detects as a regular
// (macro-free) OOXML kind.
func checkDetects(t *testing.T, b []byte, rep *sanitize.Report) {
	t.Helper()
	switch k := detect.Detect(bytes.NewReader(b), int64(len(b)), ""); k {
	case detect.DOCX, detect.XLSX, detect.PPTX:
	default:
		t.Fatalf("output detects as %s (report %+v)", k, rep)
	}
}
