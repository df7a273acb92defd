package odf

import (
	"archive/zip"
	"bytes"
	"fmt"
	"testing"
)

// The fixtures are ODF packages written by these helpers: one per
// construct, each with benign text that must survive.

const benign = "市民の皆様へ Benign text 42"

const (
	mtText  = "application/vnd.oasis.opendocument.text"
	mtSheet = "application/vnd.oasis.opendocument.spreadsheet"
	mtPres  = "application/vnd.oasis.opendocument.presentation"
)

const nsDecl = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" xmlns:form="urn:oasis:names:tc:opendocument:xmlns:form:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:dom="http://www.w3.org/2001/xml-events" xmlns:ooo="http://openoffice.org/2004/office" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2"`

// entry is one zip entry of a fixture.
type entry struct {
	name, body string
	stored     bool
}

// pack writes a package: mimetype first and stored, then the entries, then
// a manifest listing them (unless one is given).
func pack(t testing.TB, mt string, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(mt))
	hasManifest := false
	for _, e := range es {
		if e.name == manifestName {
			hasManifest = true
		}
	}
	if !hasManifest {
		var m bytes.Buffer
		fmt.Fprintf(&m, `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="%s"/>`, mt)
		for _, e := range es {
			fmt.Fprintf(&m, `<manifest:file-entry manifest:full-path="%s" manifest:media-type="text/xml"/>`, e.name)
		}
		m.WriteString(`</manifest:manifest>`)
		es = append(es, entry{name: manifestName, body: m.String()})
	}
	for _, e := range es {
		method := zip.Deflate
		if e.stored {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func content(body string) entry {
	return entry{name: "content.xml", body: `<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + nsDecl + `><office:scripts/><office:body>` + body + `</office:body></office:document-content>`}
}

func textBody(inner string) string {
	return `<office:text><office:forms form:automatic-focus="false" form:apply-design-mode="false"/><text:p text:style-name="P1">` + benign + `</text:p>` + inner + `</office:text>`
}

const stylesXML = `<?xml version="1.0" encoding="UTF-8"?><office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.2"><office:styles><style:style style:name="P1" style:family="paragraph"/></office:styles></office:document-styles>`

const metaXML = `<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"><office:meta><meta:generator>mugai-test</meta:generator><dc:title>試験</dc:title></office:meta></office:document-meta>`

// png is a 1×1 PNG.
var png = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"

type fixture struct {
	name    string
	file    string
	in      []byte
	rules   []string // rules that must fire
	blocked string   // rule that must block, "" when the file crosses
	keep    []string // strings that must survive in the output's XML
	gone    []string // strings no XML part of the output may contain
}

func fixtures(t testing.TB) []fixture {
	std := func(body string, extra ...entry) []byte {
		es := append([]entry{content(body), {name: "styles.xml", body: stylesXML}, {name: "meta.xml", body: metaXML}}, extra...)
		return pack(t, mtText, es...)
	}
	basicLib := entry{name: "Basic/Standard/Module1.xml", body: `<?xml version="1.0" encoding="UTF-8"?><script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">Sub AutoOpen
Shell("cmd.exe /c calc")
End Sub</script:module>`}
	return []fixture{
		{name: "clean", file: "a.odt", in: std(textBody(`<text:p><text:a xlink:type="simple" xlink:href="https://www.example.lg.jp/">リンク</text:a> <text:a xlink:href="#top">上へ</text:a></text:p>`)),
			keep: []string{benign, "https://www.example.lg.jp/", "リンク", "#top", "試験"}},
		{name: "basic macro", file: "macro.odt", in: std(textBody(""), basicLib,
			entry{name: "Basic/script-lc.xml", body: `<?xml version="1.0" encoding="UTF-8"?><library:libraries xmlns:library="http://openoffice.org/2000/library"/>`},
			entry{name: "Scripts/python/evil.py", body: "import os\nos.system('calc')\n"}),
			rules: []string{RuleMacro}, keep: []string{benign}, gone: []string{"Shell(", "os.system"}},
		{name: "event listener", file: "event.odt", in: pack(t, mtText, entry{name: "content.xml", body: `<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + nsDecl + `><office:scripts><office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.AutoOpen?language=Basic&amp;location=document"/></office:event-listeners></office:scripts><office:body><office:text><text:p>` + benign + `<text:a xlink:href="https://www.example.lg.jp/"><office:event-listeners><script:event-listener script:event-name="dom:mouseover" script:macro-name="vnd.sun.star.script:x"/></office:event-listeners>ホーム</text:a><text:execute-macro text:name="Module1.Main">実行</text:execute-macro></text:p></office:text></office:body></office:document-content>`}),
			rules: []string{RuleEvent, RuleMacro}, keep: []string{benign, "ホーム", "実行", "https://www.example.lg.jp/"}, gone: []string{"event-listener", "vnd.sun.star.script", "execute-macro", "office:scripts"}},
		{name: "ole object", file: "ole.odt", in: std(textBody(`<text:p><draw:frame draw:name="Object1" svg:width="2cm" svg:height="2cm"><draw:object-ole xlink:href="./Object 1" xlink:type="simple"/><draw:image xlink:href="./ObjectReplacements/Object 1" xlink:type="simple"/></draw:frame><draw:frame><draw:object xlink:href="./Object 2"/></draw:frame><draw:frame><draw:plugin xlink:href="http://evil.example/x.swf"/></draw:frame></text:p>`),
			entry{name: "Object 1", body: "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1ole"},
			entry{name: "ObjectReplacements/Object 1", body: "VCLMTFxx"},
			entry{name: "Object 2/content.xml", body: `<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>`}),
			rules: []string{RuleObject}, keep: []string{benign}, gone: []string{"object-ole", "draw:object", "ObjectReplacements", "draw:plugin"}},
		{name: "external links", file: "ext.odt", in: std(textBody(`<text:section text:name="S1"><text:section-source xlink:href="file:///C:/secret.odt" text:filter-name="writer8"/></text:section><text:p><text:a xlink:href="file://server/share/x.exe">危険なリンク</text:a><text:a xlink:href="vnd.sun.star.script:Standard.Module1.Run?language=Basic&amp;location=document">マクロリンク</text:a><draw:frame><draw:image xlink:href="http://tracker.example/pixel.png"/></draw:frame><text:bibliography-mark text:bibliography-type="www" text:url="file:///etc/passwd" text:identifier="b1">文献</text:bibliography-mark><draw:frame><draw:image xlink:href="Pictures/ok.png"/></draw:frame></text:p>`),
			entry{name: "Pictures/ok.png", body: png, stored: true},
			entry{name: "Pictures/unused.png", body: png, stored: true}),
			rules: []string{RuleExternal, RuleHyperlink, RuleMacro}, keep: []string{benign, "危険なリンク", "マクロリンク", "Pictures/ok.png", "文献"},
			gone: []string{"file:", "passwd", "vnd.sun.star.script", "tracker.example", "unused.png"}},
		{name: "forms", file: "form.odt", in: std(`<office:text><office:forms><form:form form:name="F" xlink:href="http://evil.example/submit" form:method="post"><form:button form:name="B" form:id="c1"><office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="form:performaction" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/></office:event-listeners></form:button></form:form></office:forms><text:p>` + benign + `<draw:control draw:control="c1"/></text:p></office:text>`),
			rules: []string{RuleForm}, keep: []string{benign}, gone: []string{"form:form", "draw:control", "event-listener", "evil.example"}},
		{name: "dde and formulas", file: "dde.ods", in: pack(t, mtSheet, content(`<office:spreadsheet><table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string"><text:p>`+benign+`</text:p></table:table-cell><table:table-cell table:formula="of:=DDE(&quot;cmd&quot;;&quot;/c calc&quot;;&quot;__&quot;)" office:value-type="float" office:value="7"><text:p>7</text:p></table:table-cell><table:table-cell table:formula="of:=SUM(1;2)" office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell><table:table-cell table:formula="of:=['file:///C:/x.ods'#$Sheet1.A1]" office:value-type="float" office:value="9"><text:p>9</text:p></table:table-cell><table:table-cell table:formula="of:=WEBSERVICE(&quot;http://x&quot;)" office:value-type="string"><text:p>w</text:p></table:table-cell></table:table-row></table:table><table:dde-links><table:dde-link><office:dde-source office:dde-application="cmd" office:dde-topic="/c calc" office:dde-item="x"/></table:dde-link></table:dde-links><table:table-source/></office:spreadsheet>`), entry{name: "styles.xml", body: stylesXML}),
			rules: []string{RuleDDE, RuleExternal}, keep: []string{benign, "of:=SUM(1;2)", `office:value="7"`, `office:value="9"`}, gone: []string{"DDE", "file:", "WEBSERVICE"}},
		{name: "presentation events", file: "p.odp", in: pack(t, mtPres, content(`<office:presentation><draw:page draw:name="p1"><draw:frame><draw:text-box><text:p>`+benign+`</text:p></draw:text-box><office:event-listeners><presentation:event-listener script:event-name="dom:click" presentation:action="execute" xlink:href="C:/Windows/System32/calc.exe"/></office:event-listeners></draw:frame><anim:par xmlns:anim="urn:oasis:names:tc:opendocument:xmlns:animation:1.0"><anim:command anim:command="verb" anim:sub-item="whole"/></anim:par></draw:page></office:presentation>`), entry{name: "styles.xml", body: stylesXML}),
			rules: []string{RuleEvent, RuleObject}, keep: []string{benign}, gone: []string{"calc.exe", "anim:command", "event-listener"}},
		{name: "signature and extras", file: "sig.odt", in: std(textBody(""),
			entry{name: "META-INF/documentsignatures.xml", body: `<?xml version="1.0"?><document-signatures/>`},
			entry{name: "Configurations2/toolbar/custom.xml", body: `<toolbar><item href="macro:///Standard.Module1.Main"/></toolbar>`},
			entry{name: "Configurations2/accelerator/current.xml", body: ``},
			entry{name: "manifest.rdf", body: `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>`},
			entry{name: "Thumbnails/thumbnail.png", body: png, stored: true},
			entry{name: "Pictures/evil.svg", body: `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`},
			entry{name: "payload.exe", body: "MZ\x90\x00"}),
			rules: []string{RuleSignature, RuleMacro, RulePart}, keep: []string{benign}},
		{name: "dtd", file: "dtd.odt", in: pack(t, mtText, entry{name: "content.xml", body: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><office:document-content ` + nsDecl + `><office:body><office:text><text:p>&b;</text:p></office:text></office:body></office:document-content>`}),
			blocked: RuleDTD},
		{name: "traversal", file: "trav.odt", in: std(textBody(""), entry{name: "../../evil.txt", body: "x"}), blocked: RulePath},
		{name: "encrypted", file: "enc.odt", in: pack(t, mtText, content(textBody("")), entry{name: manifestName, body: `<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="` + mtText + `"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/></manifest:file-entry></manifest:manifest>`}),
			blocked: "sanitize.encrypted"},
	}
}
