package ooxml

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// newEngine is a real engine with this sanitizer, configured by opt, for
// every OOXML kind.
func newEngine(t testing.TB, opt Options, lim sanitize.Limits) *sanitize.Engine {
	return sanitizetest.Engine(t, lim, New(opt), detect.DOCX, detect.DOCM, detect.XLSX, detect.XLSM, detect.PPTX, detect.PPTM)
}

func TestFixtures(t *testing.T) {
	eng := newEngine(t, Options{}, sanitize.Limits{})
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			start := time.Now()
			rep, out := sanitizetest.Run(t, eng, fx.in, fx.file)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			got := sanitizetest.Rules(rep.Findings)
			if fx.blocked != "" {
				if rep.Outcome != sanitize.OutcomeBlocked || !slices.Contains(got, fx.blocked) {
					t.Fatalf("outcome %s, rules %v; want blocked by %s", rep.Outcome, got, fx.blocked)
				}
				return
			}
			if rep.Outcome != sanitize.OutcomeSanitized {
				t.Fatalf("outcome %s (%s), findings %+v", rep.Outcome, rep.Error, rep.Findings)
			}
			for _, r := range fx.rules {
				if !slices.Contains(got, r) {
					t.Errorf("rule %s missing from %v", r, got)
				}
			}
			for _, f := range rep.Findings {
				if f.Where == "" && f.Rule != sanitize.RuleMismatch {
					t.Errorf("finding without Where: %+v", f)
				}
			}
			checkOutput(t, out, rep.Detected)
			all := xmlText(t, out)
			for _, k := range fx.keep {
				if !strings.Contains(all, k) {
					t.Errorf("output lost %q", k)
				}
			}
			// Idempotent: the output sanitized again has no finding
			// that changes anything.
			rep2, out2 := sanitizetest.Run(t, eng, out, "b"+path.Ext(fx.file))
			if rep2.Outcome == sanitize.OutcomeBlocked {
				t.Fatalf("re-sanitize blocked: %+v", rep2.Findings)
			}
			for _, f := range rep2.Findings {
				if f.Action > sanitize.Recorded {
					t.Errorf("re-sanitize finding %+v", f)
				}
			}
			if !bytes.Equal(out, out2) {
				t.Errorf("S(S(x)) != S(x)")
			}
			// Deterministic.
			_, out3 := sanitizetest.Run(t, eng, fx.in, fx.file)
			if !bytes.Equal(out, out3) {
				t.Errorf("two runs differ")
			}
		})
	}
}

// checkOutput is the independent oracle: it lists the zip and scans every
// XML part with encoding/xml for each removed class, checks that every XML
// part is well-formed, that every internal relationship target exists and
// that the output detects as the regular twin.
func checkOutput(t *testing.T, out []byte, in sanitize.Kind) {
	t.Helper()
	want := map[sanitize.Kind]sanitize.Kind{detect.DOCM: detect.DOCX, detect.XLSM: detect.XLSX, detect.PPTM: detect.PPTX}[in]
	if want == "" {
		want = in
	}
	if got := detect.Detect(bytes.NewReader(out), int64(len(out)), ""); got != want {
		t.Errorf("output detects as %s, want %s", got, want)
	}
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[strings.ToLower(f.Name)] = true
	}
	badName := regexp.MustCompile(`(?i)(vbaproject|vbadata|activex|oleobject|embeddings/|macrosheets/|externallinks/|connections\.xml|querytables/|customui|_xmlsignatures|afchunk)`)
	badXML := regexp.MustCompile(`(?i)(instrText[^>]*>[^<]*DDE|instr="[^"]*DDE|<f>[^<"]*\||<[a-z]*:?altChunk|<[A-Za-z0-9]*:?(OLEObject|oleObj)[ >/]|<[a-z]*:?control[ >/]|attachedTemplate|externalReference|auto_open|macroEnabled|vbaProject|macrosheet|EXEC\(|file://|203\.0\.113|ppaction://(macro|program|ole))`)
	for _, f := range zr.File {
		if badName.MatchString(f.Name) {
			t.Errorf("removed part survived: %s", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(f.Name, ".xml") && !strings.HasSuffix(f.Name, ".rels") {
			continue
		}
		if m := badXML.Find(b); m != nil {
			t.Errorf("%s still holds %q", f.Name, m)
		}
		d := xml.NewDecoder(bytes.NewReader(b))
		var src string
		if strings.HasSuffix(f.Name, ".rels") {
			dir, base := path.Split(f.Name)
			src = path.Join(path.Dir(path.Clean(dir)), strings.TrimSuffix(base, ".rels"))
		}
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s not well-formed: %v", f.Name, err)
			}
			se, ok := tok.(xml.StartElement)
			if !ok || se.Name.Local != "Relationship" {
				continue
			}
			var target, mode, typ string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "Target":
					target = a.Value
				case "TargetMode":
					mode = a.Value
				case "Type":
					typ = a.Value
				}
			}
			if mode == "External" {
				if !strings.HasSuffix(typ, "/hyperlink") {
					t.Errorf("%s: external %s relationship survived", f.Name, typ)
				}
				continue
			}
			p := target
			if !strings.HasPrefix(p, "/") {
				p = path.Join(path.Dir("/"+src), p)
				if strings.HasPrefix(f.Name, "_rels/") {
					p = "/" + target
				}
			}
			if !names[strings.ToLower(strings.TrimPrefix(path.Clean(p), "/"))] {
				t.Errorf("%s: target %s (%s) missing", f.Name, target, p)
			}
		}
	}
}

// xmlText concatenates every XML part of a package.
func xmlText(t testing.TB, out []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&b, rc)
		rc.Close()
	}
	return b.String()
}

// cells reads an xlsx's first sheet with encoding/xml: cell reference →
// value, shared strings resolved. It is an oracle independent of the
// sanitizer's reader.
func cells(t testing.TB, out []byte) map[string]string {
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string, v any) {
		f, err := zr.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := xml.NewDecoder(f).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var sst struct {
		SI []struct {
			T string `xml:"t"`
		} `xml:"si"`
	}
	read("xl/sharedStrings.xml", &sst)
	var ws struct {
		Rows []struct {
			C []struct {
				R string `xml:"r,attr"`
				T string `xml:"t,attr"`
				F string `xml:"f"`
				V string `xml:"v"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	read("xl/worksheets/sheet1.xml", &ws)
	m := map[string]string{}
	for _, r := range ws.Rows {
		for _, c := range r.C {
			v := c.V
			if c.T == "s" {
				var i int
				for _, d := range v {
					i = i*10 + int(d-'0')
				}
				v = sst.SI[i].T
			}
			m[c.R] = v
			if c.F != "" {
				m[c.R+"#f"] = c.F
			}
		}
	}
	return m
}

func TestXLSXValues(t *testing.T) {
	eng := newEngine(t, Options{}, sanitize.Limits{})
	for _, fx := range fixtures(t) {
		if !strings.HasPrefix(fx.name, "xls") {
			continue
		}
		t.Run(fx.name, func(t *testing.T) {
			_, out := sanitizetest.Run(t, eng, fx.in, fx.file)
			c := cells(t, out)
			if c["A1"] != benign {
				t.Errorf("A1 = %q", c["A1"])
			}
			for _, k := range []string{"B1#f", "C1#f"} {
				if f, ok := c[k]; ok && strings.Contains(fx.name, "dde") {
					t.Errorf("%s kept %q", k, f)
				}
			}
			if strings.Contains(fx.name, "dde") && (c["C1"] != "5" || c["D1#f"] != "SUM(1,2)" || c["E1#f"] != `"a|b"&"c"`) {
				t.Errorf("cells %v", c)
			}
		})
	}
}

func TestHyperlinkOptions(t *testing.T) {
	in := docx(t, ctDocx, `<w:p><w:hyperlink r:id="rId5"><w:r><w:t>WEB</w:t></w:r></w:hyperlink><w:hyperlink r:id="rId6"><w:r><w:t>MAIL</w:t></w:r></w:hyperlink></w:p>`,
		[]string{"rId5", "hyperlink", "ext:https://example.jp/", "rId6", "hyperlink", "ext:mailto:a@example.jp"}, nil)
	for _, tc := range []struct {
		opt  Hyperlinks
		kept bool
	}{{HyperlinksKeepWeb, true}, {HyperlinksStrip, false}} {
		eng := newEngine(t, Options{Hyperlinks: tc.opt}, sanitize.Limits{})
		rep, out := sanitizetest.Run(t, eng, in, "a.docx")
		all := xmlText(t, out)
		if strings.Contains(all, "https://example.jp/") != tc.kept || strings.Contains(all, "mailto:") != tc.kept {
			t.Errorf("opt %d: links kept = %v, want %v", tc.opt, !tc.kept, tc.kept)
		}
		if !strings.Contains(all, "WEB") || !strings.Contains(all, "MAIL") {
			t.Errorf("opt %d: link text lost", tc.opt)
		}
		if slices.Contains(sanitizetest.Rules(rep.Findings), RuleHyperlink) == tc.kept {
			t.Errorf("opt %d: findings %v", tc.opt, sanitizetest.Rules(rep.Findings))
		}
	}
}

// Limits are tested at N (crosses) and N+1 (blocked).
func TestLimits(t *testing.T) {
	nest := func(n int) []byte {
		// document + body + p = 3 levels; the rest are w:r/w:rPr-ish
		// wrappers of a custom namespace.
		body := strings.Repeat("<w:sdt>", n-3) + strings.Repeat("</w:sdt>", n-3)
		return buildZip(t, types("/word/document.xml", ctDocx), rootRels,
			entry{"word/document.xml", decl + `<w:document ` + nsW + `><w:body><w:p>` + body + `</w:p></w:body></w:document>`})
	}
	withParts := func(n int) []byte {
		// 3 entries in the base package; the rest are benign images.
		var extra []entry
		var rs []string
		for i := range n - 4 {
			name := "media/i" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + ".png"
			extra = append(extra, entry{"word/" + name, "\x89PNG"})
			rs = append(rs, "rId"+name, "image", name)
		}
		return docx(t, ctDocx, "", rs, []string{"png", "image/png"}, extra...)
	}
	sized := func(n int) []byte {
		// the part holds exactly n bytes.
		head := decl + `<w:document ` + nsW + `><w:body><w:p><w:r><w:t>`
		tail := `</w:t></w:r></w:p></w:body></w:document>`
		return buildZip(t, types("/word/document.xml", ctDocx), rootRels,
			entry{"word/document.xml", head + strings.Repeat("x", n-len(head)-len(tail)) + tail})
	}
	fields := func(n int) []byte {
		body := strings.Repeat(`<w:r><w:fldChar w:fldCharType="begin"/></w:r>`, n) + `<w:r><w:instrText> PAGE </w:instrText></w:r>` +
			strings.Repeat(`<w:r><w:fldChar w:fldCharType="end"/></w:r>`, n)
		return docx(t, ctDocx, `<w:p>`+body+`</w:p>`, nil, nil)
	}
	tokens := func(n int) []byte {
		// declaration, the newline after it, document, body and their
		// ends: 6 tokens; each paragraph 2, a text node 1.
		body := strings.Repeat(`<w:p></w:p>`, (n-6)/2)
		if (n-6)%2 == 1 {
			body += "x"
		}
		return buildZip(t, types("/word/document.xml", ctDocx), rootRels,
			entry{"word/document.xml", decl + `<w:document ` + nsW + `><w:body>` + body + `</w:body></w:document>`})
	}
	attrs := func(n int) []byte {
		var a strings.Builder
		for i := range n {
			fmt.Fprintf(&a, ` w:a%d="1"`, i)
		}
		return docx(t, ctDocx, `<w:p`+a.String()+`/>`, nil, nil)
	}
	tests := []struct {
		name string
		opt  Options
		lim  sanitize.Limits
		in   func(int) []byte
		n    int
		rule string
	}{
		{"xml depth", Options{MaxXMLDepth: 20}, sanitize.Limits{}, nest, 20, sanitize.RuleLimitSize},
		{"entries", Options{}, sanitize.Limits{MaxParts: 30}, withParts, 30, sanitize.RuleLimitParts},
		{"xml tokens", Options{MaxXMLTokens: 101}, sanitize.Limits{}, tokens, 101, sanitize.RuleLimitSize},
		{"xml attributes", Options{MaxXMLAttrs: 10}, sanitize.Limits{}, attrs, 10, sanitize.RuleLimitSize},
		{"field depth", Options{}, sanitize.Limits{}, fields, maxFieldDepth, sanitize.RuleLimitSize},
		{"part size", Options{MaxPartSize: 5000}, sanitize.Limits{}, sized, 5000, sanitize.RuleLimitSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t, tc.opt, tc.lim)
			eng.SkipVerify = true // the re-scan would spend the budget again
			rep, _ := sanitizetest.Run(t, eng, tc.in(tc.n), "a.docx")
			if rep.Outcome == sanitize.OutcomeBlocked {
				t.Fatalf("N=%d blocked: %+v", tc.n, rep.Findings)
			}
			rep, _ = sanitizetest.Run(t, eng, tc.in(tc.n+1), "a.docx")
			if rep.Outcome != sanitize.OutcomeBlocked || !slices.Contains(sanitizetest.Rules(rep.Findings), tc.rule) {
				t.Fatalf("N+1: outcome %s, findings %+v", rep.Outcome, rep.Findings)
			}
		})
	}
}

func TestBillionLaughsFast(t *testing.T) {
	eng := newEngine(t, Options{}, sanitize.Limits{})
	var in []byte
	for _, fx := range fixtures(t) {
		if fx.name == "billion laughs" {
			in = fx.in
		}
	}
	start := time.Now()
	rep, _ := sanitizetest.Run(t, eng, in, "a.docx")
	if d := time.Since(start); d > time.Second || rep.Outcome != sanitize.OutcomeBlocked {
		t.Fatalf("%v %s", d, rep.Outcome)
	}
	if i := slices.IndexFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Rule == RuleDTD }); i < 0 || rep.Findings[i].Where != "word/document.xml" {
		t.Errorf("findings %+v", rep.Findings)
	}
}

func TestErrorsAreSentinels(t *testing.T) {
	eng := newEngine(t, Options{}, sanitize.Limits{})
	for _, in := range [][]byte{[]byte("PK\x03\x04garbage"), buildZip(t, entry{"a.xml", "<a/>"})} {
		rep, _ := sanitizetest.Run(t, eng, in, "a.docx")
		if rep.Outcome != sanitize.OutcomeBlocked {
			t.Errorf("outcome %s", rep.Outcome)
		}
	}
}

// The expanded-bytes budget: a package whose entries expand to exactly the
// budget crosses, one byte less of budget blocks it.
func TestExpandedBudget(t *testing.T) {
	in := docx(t, ctDocx, "", nil, nil)
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range zr.File {
		total += int64(f.UncompressedSize64)
	}
	for _, tc := range []struct {
		budget  int64
		blocked bool
	}{{total, false}, {total - 1, true}} {
		eng := newEngine(t, Options{}, sanitize.Limits{MaxExpanded: tc.budget})
		eng.SkipVerify = true
		rep, _ := sanitizetest.Run(t, eng, in, "a.docx")
		if (rep.Outcome == sanitize.OutcomeBlocked) != tc.blocked {
			t.Errorf("budget %d of %d: outcome %s %+v", tc.budget, total, rep.Outcome, rep.Findings)
		}
		if tc.blocked && !slices.Contains(sanitizetest.Rules(rep.Findings), sanitize.RuleLimitSize) {
			t.Errorf("findings %+v", rep.Findings)
		}
	}
}

// A lenient (VML) part made of stray end tags must not recurse per tag.
func TestVMLStrayEndTags(t *testing.T) {
	vml := `<xml>` + strings.Repeat(`</a>`, 2_000_000) + `</xml>`
	in := buildZip(t, types("/word/document.xml", ctDocx, "vml", "application/vnd.openxmlformats-officedocument.vmlDrawing"), rootRels,
		entry{"word/document.xml", `<w:document ` + nsW + `/>`},
		rels("word/_rels/document.xml.rels", "rId1", "http://x/vmlDrawing", "d.vml"), entry{"word/d.vml", vml})
	eng := newEngine(t, Options{}, sanitize.Limits{MaxRatio: 1 << 20}) // past the ratio check
	rep, _ := sanitizetest.Run(t, eng, in, "a.docx")
	if rep.Outcome != sanitize.OutcomeSanitized {
		t.Fatalf("%s %+v", rep.Outcome, rep.Findings)
	}
}
