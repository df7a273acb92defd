package xlsx

import (
	"archive/zip"
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// The fixtures are workbooks written by book: raw SpreadsheetML, so that
// formulas carry cached values and every construct is exactly as Excel
// writes it.

const benign = "市民の皆様へ Benign text 42"

const (
	nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	relPkg = "http://schemas.openxmlformats.org/package/2006/relationships"
)

// stylesXML has cell formats: 1 bold red 14pt with a yellow fill, thin
// border and centred; 2 the custom number format 0.00%.
const stylesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="` + nsMain + `"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.00%"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><i/><sz val="14"/><color rgb="FFFF0000"/><name val="Calibri"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFFFFF00"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center"/></xf><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`

// themeXML is a small theme: black text on white.
const themeXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="mugai"><a:themeElements><a:clrScheme name="mugai"><a:dk1><a:srgbClr val="000000"/></a:dk1><a:lt1><a:srgbClr val="FFFFFF"/></a:lt1><a:dk2><a:srgbClr val="1F497D"/></a:dk2><a:lt2><a:srgbClr val="EEECE1"/></a:lt2><a:accent1><a:srgbClr val="4F81BD"/></a:accent1><a:accent2><a:srgbClr val="C0504D"/></a:accent2><a:accent3><a:srgbClr val="9BBB59"/></a:accent3><a:accent4><a:srgbClr val="8064A2"/></a:accent4><a:accent5><a:srgbClr val="4BACC6"/></a:accent5><a:accent6><a:srgbClr val="F79646"/></a:accent6><a:hlink><a:srgbClr val="0000FF"/></a:hlink><a:folHlink><a:srgbClr val="800080"/></a:folHlink></a:clrScheme><a:fontScheme name="mugai"><a:majorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme><a:fmtScheme name="mugai"><a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:fillStyleLst><a:lnStyleLst><a:ln w="9525"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="9525"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="9525"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln></a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>`

type sheetDef struct {
	name, typ, body string // typ: "worksheet" or "macrosheet"
}

// book writes a workbook with the given sheets and shared strings; extra
// entries are added as they are (unreferenced parts).
func book(t testing.TB, sst []string, sheets []sheetDef, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	var ct, wb, wrels strings.Builder
	ct.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`)
	wb.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets>`)
	wrels.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="` + relPkg + `"><Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rIdH" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="theme/theme1.xml"/><Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`)
	for i, s := range sheets {
		dir, ctype, rtype := "worksheets", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
		if s.typ == "macrosheet" {
			dir, ctype, rtype = "macrosheets", "application/vnd.ms-excel.macrosheet+xml", "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet"
		}
		part := fmt.Sprintf("%s/sheet%d.xml", dir, i+1)
		fmt.Fprintf(&ct, `<Override PartName="/xl/%s" ContentType="%s"/>`, part, ctype)
		fmt.Fprintf(&wb, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, s.name, i+1, i+1)
		fmt.Fprintf(&wrels, `<Relationship Id="rId%d" Type="%s" Target="%s"/>`, i+1, rtype, part)
		put("xl/"+part, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="`+nsMain+`" xmlns:r="`+nsRel+`">`+s.body+`</worksheet>`)
	}
	if _, ok := extra["xl/vbaProject.bin"]; ok {
		ct.WriteString(`<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>`)
	}
	ct.WriteString(`</Types>`)
	wb.WriteString(`</sheets><definedNames><definedName name="_xlnm.Auto_Open">Macro1!$A$1</definedName></definedNames></workbook>`)
	wrels.WriteString(`</Relationships>`)
	put("[Content_Types].xml", ct.String())
	put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="`+relPkg+`"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", wb.String())
	put("xl/_rels/workbook.xml.rels", wrels.String())
	put("xl/styles.xml", stylesXML)
	put("xl/theme/theme1.xml", themeXML)
	var ss strings.Builder
	fmt.Fprintf(&ss, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="%s" count="%d" uniqueCount="%d">`, nsMain, len(sst), len(sst))
	for _, s := range sst {
		fmt.Fprintf(&ss, `<si><t xml:space="preserve">%s</t></si>`, s)
	}
	ss.WriteString(`</sst>`)
	put("xl/sharedStrings.xml", ss.String())
	for _, n := range slices.Sorted(maps.Keys(extra)) { // a stable fixture, a stable golden file
		put(n, extra[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mainSheet has a shared string, an inline string, numbers, a styled
// cell, a percent, a formula with its cached value, DDE and external
// formulas, merged cells, a column width and a row height.
const mainSheet = `<cols><col min="1" max="1" width="30.5" customWidth="1"/></cols><sheetData>` +
	`<row r="1" ht="24" customHeight="1"><c r="A1" t="s" s="1"><v>0</v></c><c r="B1"><v>42</v></c><c r="C1" s="2"><v>0.125</v></c></row>` +
	`<row r="2"><c r="A2" t="inlineStr"><is><t>インライン</t></is></c><c r="B2"><f>B1*2</f><v>84</v></c><c r="C2" t="str"><f>UPPER("ok")</f><v>OK</v></c><c r="D2" t="b"><v>1</v></c></row>` +
	`<row r="4"><c r="A4"><f>cmd|'/c calc.exe'!A0</f><v>0</v></c><c r="B4"><f>[1]Sheet1!A1</f><v>7</v></c><c r="C4" t="str"><f>WEBSERVICE("http://x.example/")</f><v>w</v></c><c r="D4" t="s"><v>1</v></c></row>` +
	`</sheetData><mergeCells count="1"><mergeCell ref="E1:F2"/></mergeCells>`

type fixture struct {
	name  string
	file  string
	in    []byte
	rules []string
}

func fixtures(t testing.TB) []fixture {
	sst := []string{benign, "二番目"}
	return []fixture{
		{name: "values styles formulas", file: "a.xlsx", in: book(t, sst, []sheetDef{{"データ", "worksheet", mainSheet}}, nil),
			rules: []string{RuleRebuild, RuleFormula, RuleDDE}},
		{name: "macros and links", file: "a.xlsm", in: book(t, sst, []sheetDef{{"Sheet1", "worksheet", mainSheet}, {"Macro1", "macrosheet", `<sheetData><row r="1"><c r="A1"><f>EXEC("calc.exe")</f></c><c r="A2"><f>HALT()</f></c></row></sheetData>`}},
			map[string]string{"xl/vbaProject.bin": "\xd0\xcf\x11\xe0macro", "xl/externalLinks/externalLink1.xml": `<externalLink xmlns="` + nsMain + `"><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>`, "xl/embeddings/oleObject1.bin": "\xd0\xcf\x11\xe0"}),
			rules: []string{RuleRebuild, RulePart, RuleDDE}},
	}
}
