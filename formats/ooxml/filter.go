package ooxml

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/mugai-project/mugai/sanitize"
)

// maxFieldDepth bounds complex fields open inside each other.
const maxFieldDepth = 256

// maxCapture bounds the text of one captured element (a cell formula, a
// defined name); Excel's own limit is 8 192 characters.
const maxCapture = 64 << 10

// filterPart streams one XML part from f to w, removing what the rules name.
func (j *job) filterPart(w io.Writer, f *zip.File, ct string) error {
	key := lowerASCII(f.Name)
	word := strings.Contains(ct, "wordprocessingml") || strings.Contains(ct, "ms-word")
	var fields map[int]string
	if word {
		var err error
		if fields, err = j.scanFields(f); err != nil {
			return err
		}
	}
	rc, err := j.openPart(f, !word) // a word part was charged by scanFields
	if err != nil {
		return err
	}
	defer rc.Close()
	live := map[string]bool{}
	for _, r := range j.rels[key] {
		if r.drop == "" {
			live[r.id] = true
		}
	}
	flt := &filter{
		j: j, part: f.Name, live: live, fields: fields,
		x:     newXMLReader(rc, f.Name, j.opt, strings.HasSuffix(ct, "vmldrawing")),
		out:   newXMLWriter(w),
		sheet: strings.HasSuffix(ct, "spreadsheetml.worksheet+xml"),
		wb:    mainTypes[ct] == ctXlsx,
		word:  word,
	}
	if err := flt.run(); err != nil {
		return err
	}
	return flt.out.flush()
}

type filter struct {
	j      *job
	part   string
	live   map[string]bool
	x      *xmlReader
	out    *xmlWriter
	sheet  bool
	wb     bool
	word   bool
	fields map[int]string // field number → rule, for fields whose code is blanked

	wrote    []bool // per open element: its tags are written
	fieldNo  int    // fields begun so far
	fstack   []int  // open fields (numbers)
	blank    bool   // inside an instrText whose field is blanked
	badShare map[string]bool
}

func (t *filter) run() error {
	first := true
	for {
		tok, err := t.x.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch tk := tok.(type) {
		case xml.ProcInst:
			if first && tk.Target == "xml" {
				t.out.decl()
			}
		case xml.StartElement:
			if err := t.start(tk); err != nil {
				return err
			}
		case xml.EndElement:
			n := len(t.wrote) - 1
			if t.wrote[n] {
				t.out.end(tk.Name)
			}
			t.wrote = t.wrote[:n]
			if tk.Name.Local == "instrText" {
				t.blank = false
			}
		case xml.CharData:
			if !t.blank && t.x.depth() > 0 {
				t.out.text(tk)
			}
		}
		first = false
	}
}

// skip consumes the rest of the element just started.
func (t *filter) skip() error {
	d := t.x.depth()
	for t.x.depth() >= d {
		if _, err := t.x.next(); err != nil {
			if err == io.EOF {
				return fmt.Errorf("ooxml: unexpected end: %w", sanitize.ErrMalformed)
			}
			return err
		}
	}
	return nil
}

// capture reads the text of the element just started, up to its end.
func (t *filter) capture() (string, error) {
	var b strings.Builder
	d := t.x.depth()
	for t.x.depth() >= d {
		tok, err := t.x.next()
		if err != nil {
			if err == io.EOF {
				return "", fmt.Errorf("ooxml: unexpected end: %w", sanitize.ErrMalformed)
			}
			return "", err
		}
		if cd, ok := tok.(xml.CharData); ok {
			if b.Len()+len(cd) > maxCapture {
				return "", fmt.Errorf("ooxml: %s: element text over %d bytes: %w", t.part, maxCapture, sanitize.ErrTooLarge)
			}
			b.Write(cd)
		}
	}
	return b.String(), nil
}

func (t *filter) start(se xml.StartElement) error {
	local := se.Name.Local
	if rule, ok := dropElements[local]; ok && !(local == "control" && !t.isOfficeNS(se)) {
		t.j.find(rule, t.part, sanitize.Removed, "element "+local)
		return t.skip()
	}
	if strings.HasPrefix(local, "hlink") {
		if act, _ := attr(se, "action"); act != "" {
			a := lowerASCII(act)
			rule := ""
			switch {
			case strings.HasPrefix(a, "ppaction://macro"):
				rule = RuleVBA
			case strings.HasPrefix(a, "ppaction://ole"):
				rule = RuleOLE
			case strings.HasPrefix(a, "ppaction://program"):
				rule = RuleExternal
			}
			if rule != "" {
				t.j.find(rule, t.part, sanitize.Removed, "action "+act)
				return t.skip()
			}
		}
	}
	unwrap := false
	// Relationship references to removed relationships.
	attrs := se.Attr[:0:0]
	for _, a := range se.Attr {
		if a.Name.Space == "" && a.Name.Local == "macro" && a.Value != "" {
			// A macro assigned to a drawing shape (xdr:sp macro="…"),
			// possibly in another workbook.
			t.j.find(RuleVBA, t.part, sanitize.Removed, "macro assignment")
			continue
		}
		if a.Name.Space != "" && a.Name.Space != "xmlns" && isRelNS(t.x.uri(a.Name.Space)) && !t.live[a.Value] {
			if dropIfDangling[local] {
				if local == "hyperlink" && t.word {
					unwrap = true
					continue
				}
				return t.skip()
			}
			continue
		}
		attrs = append(attrs, a)
	}
	se.Attr = attrs

	switch {
	case t.word && local == "fldChar":
		typ, _ := attr(se, "fldCharType")
		switch typ {
		case "begin":
			t.fieldNo++
			t.fstack = append(t.fstack, t.fieldNo)
		case "end":
			if len(t.fstack) > 0 {
				t.fstack = t.fstack[:len(t.fstack)-1]
			}
		}
	case t.word && local == "instrText":
		if len(t.fstack) > 0 && t.fields[t.fstack[len(t.fstack)-1]] != "" {
			t.blank = true
		}
	case t.word && local == "fldSimple":
		instr, _ := attr(se, "instr")
		if rule := fieldRule(instr); rule != "" {
			t.j.find(rule, t.part, sanitize.Removed, "field "+fieldKeyword(instr))
			unwrap = true
		}
	case t.sheet && local == "f":
		return t.formula(se)
	case t.wb && local == "definedName":
		return t.definedName(se)
	}
	if unwrap {
		t.wrote = append(t.wrote, false)
		return nil
	}
	t.out.start(se)
	t.wrote = append(t.wrote, true)
	return nil
}

// isOfficeNS reports whether the element is in a namespace whose "control"
// element is an ActiveX control (WordprocessingML, SpreadsheetML,
// PresentationML).
func (t *filter) isOfficeNS(se xml.StartElement) bool {
	u := t.x.uri(se.Name.Space)
	return strings.Contains(u, "wordprocessingml") || strings.Contains(u, "spreadsheetml") || strings.Contains(u, "presentationml")
}

// formula handles a cell formula: DDE and external-reference formulas are
// removed (the cached value stays), others are written back.
func (t *filter) formula(se xml.StartElement) error {
	text, err := t.capture()
	if err != nil {
		return err
	}
	si, _ := attr(se, "si")
	rule := formulaRule(text)
	if rule == "" && si != "" && t.badShare[si] {
		rule = RuleDDE
	}
	if rule != "" {
		if si != "" {
			if t.badShare == nil {
				t.badShare = map[string]bool{}
			}
			t.badShare[si] = true
		}
		t.j.find(rule, t.part, sanitize.Removed, "cell formula")
		return nil
	}
	t.out.start(se)
	t.out.text([]byte(text))
	t.out.end(se.Name)
	return nil
}

// definedName drops names that run macros when the workbook opens or
// closes, names marked as macros, and names that are DDE or external
// references.
func (t *filter) definedName(se xml.StartElement) error {
	text, err := t.capture()
	if err != nil {
		return err
	}
	name, _ := attr(se, "name")
	n := lowerASCII(strings.TrimPrefix(lowerASCII(name), "_xlnm."))
	rule := ""
	for _, p := range []string{"auto_open", "auto_close", "auto_activate", "auto_deactivate"} {
		if strings.HasPrefix(n, p) {
			rule = RuleMacroSheet
		}
	}
	for _, a := range []string{"function", "vbProcedure", "xlm"} {
		if v, _ := attr(se, a); v == "1" || v == "true" {
			rule = RuleMacroSheet
		}
	}
	if rule == "" {
		rule = formulaRule(text)
	}
	if rule != "" {
		t.j.find(rule, t.part, sanitize.Removed, "defined name")
		return nil
	}
	t.out.start(se)
	t.out.text([]byte(text))
	t.out.end(se.Name)
	return nil
}

// formulaRule classifies a formula: a | outside string literals is a DDE
// call (=cmd|' /C calc'!A0); [n] workbook references, WEBSERVICE, RTD and
// the XLM functions that call code are external or macro content.
func formulaRule(f string) string {
	inStr := false
	var outside strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '"' {
			inStr = !inStr
			continue
		}
		if inStr {
			continue
		}
		if c == '|' {
			return RuleDDE
		}
		outside.WriteByte(c)
	}
	o := strings.ToUpper(outside.String())
	switch {
	case strings.Contains(o, "DDE("), strings.Contains(o, "DDEAUTO"):
		return RuleDDE
	case strings.Contains(o, "WEBSERVICE("), strings.Contains(o, "RTD("), strings.Contains(o, "FILTERXML(WEBSERVICE"):
		return RuleExternal
	case strings.Contains(o, "CALL("), strings.Contains(o, "REGISTER("), strings.Contains(o, "EXEC("),
		strings.Contains(o, "REGISTER.ID("):
		return RuleMacroSheet
	}
	if externalRef(o) {
		return RuleExternal
	}
	return ""
}

// externalRef reports a [digits] workbook reference outside quotes, or a
// quoted path reference such as 'C:\x\[a.xlsx]Sheet1'!A1 or '\\host\…'.
func externalRef(o string) bool {
	for i := 0; i < len(o); i++ {
		if o[i] != '[' {
			continue
		}
		j := i + 1
		for j < len(o) && o[j] >= '0' && o[j] <= '9' {
			j++
		}
		if j > i+1 && j < len(o) && o[j] == ']' {
			return true
		}
	}
	return strings.Contains(o, "\\\\") || strings.Contains(o, ":\\") || strings.Contains(o, "HTTP://") || strings.Contains(o, "HTTPS://")
}

// field keywords and the rules that remove them: DDE runs programs, the
// others fetch or embed content from outside the document.
var fieldRules = map[string]string{
	"DDE": RuleDDE, "DDEAUTO": RuleDDE,
	"INCLUDETEXT": RuleExternal, "INCLUDEPICTURE": RuleExternal, "INCLUDE": RuleExternal,
	"IMPORT": RuleExternal, "LINK": RuleExternal, "EMBED": RuleOLE,
}

func fieldKeyword(instr string) string {
	s := strings.TrimLeftFunc(instr, func(r rune) bool { return unicode.IsSpace(r) || r == '\\' })
	end := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\\' })
	if end >= 0 {
		s = s[:end]
	}
	return strings.ToUpper(s)
}

func fieldRule(instr string) string { return fieldRules[fieldKeyword(instr)] }

// scanFields is the first pass over a WordprocessingML part: it finds the
// complex fields (ECMA-376-1 §17.16.18) whose code, gathered from every
// w:instrText of the field (an instruction may be split across runs), is
// dangerous, or is built from a nested field (the nested field's result
// becomes the keyword, { {QUOTE 68 68 69} … } spells DDE). Such fields and
// the fields nested in their code are blanked in the second pass.
func (j *job) scanFields(f *zip.File) (map[int]string, error) {
	// Most parts have no complex field: a byte scan (which charges the
	// budget) decides whether the tokenized pass is needed at all.
	has, err := j.contains(f, "instrText")
	if err != nil || !has {
		return nil, err
	}
	rc, err := j.openPart(f, false)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	type field struct {
		own        strings.Builder
		parent     int // 0: none
		inCode     bool
		nested     bool // a nested field began before any own text
		nonEmpty   bool
		children   []int
		treeFilled bool
	}
	fs := []*field{nil} // numbered from 1
	var stack []int
	inInstr := false
	x := newXMLReader(rc, f.Name, j.opt, false)
	for {
		tok, err := x.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			switch tk.Name.Local {
			case "fldChar":
				typ, _ := attr(tk, "fldCharType")
				switch typ {
				case "begin":
					nf := &field{inCode: true}
					n := len(fs)
					if len(stack) > 0 {
						p := fs[stack[len(stack)-1]]
						if p.inCode {
							nf.parent = stack[len(stack)-1]
							p.children = append(p.children, n)
							if strings.TrimSpace(p.own.String()) == "" {
								p.nested = true
							}
						}
					}
					if len(stack) >= maxFieldDepth {
						return nil, fmt.Errorf("ooxml: %s: fields nested deeper than %d: %w", f.Name, maxFieldDepth, sanitize.ErrTooLarge)
					}
					fs = append(fs, nf)
					stack = append(stack, n)
				case "separate":
					if len(stack) > 0 {
						fs[stack[len(stack)-1]].inCode = false
					}
				case "end":
					if len(stack) > 0 {
						stack = stack[:len(stack)-1]
					}
				}
			case "instrText":
				inInstr = true
			}
		case xml.EndElement:
			if tk.Name.Local == "instrText" {
				inInstr = false
			}
		case xml.CharData:
			if inInstr && len(stack) > 0 {
				fl := fs[stack[len(stack)-1]]
				if len(bytes.TrimSpace(tk)) != 0 {
					fl.nonEmpty = true
				}
				if fl.own.Len() < 256 {
					fl.own.Write(tk)
				}
			}
		}
	}
	// A field's tree is non-empty if it or a field nested in its code has
	// instruction text; children have higher numbers than their parent.
	for n := len(fs) - 1; n >= 1; n-- {
		if fs[n].nonEmpty && fs[n].parent != 0 {
			fs[fs[n].parent].treeFilled = true
		}
		if fs[n].treeFilled && fs[n].parent != 0 {
			fs[fs[n].parent].treeFilled = true
		}
	}
	out := map[int]string{}
	mark := func(n int, rule string) {
		todo := []int{n}
		for len(todo) > 0 {
			m := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			out[m] = rule
			todo = append(todo, fs[m].children...)
		}
	}
	for n := 1; n < len(fs); n++ {
		if out[n] != "" {
			continue
		}
		rule := fieldRule(fs[n].own.String())
		detail := "field " + fieldKeyword(fs[n].own.String())
		if rule == "" && fs[n].nested && fs[n].treeFilled {
			rule, detail = RuleDDE, "field code built from a nested field"
		}
		if rule != "" {
			j.find(rule, f.Name, sanitize.Removed, detail)
			mark(n, rule)
		}
	}
	return out, nil
}

// contains reports whether the expanded bytes of f contain s.
func (j *job) contains(f *zip.File, s string) (bool, error) {
	rc, err := j.open(f)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	keep := 0
	found := false
	for {
		n, err := rc.Read(buf[keep:])
		n += keep
		if !found && bytes.Contains(buf[:n], []byte(s)) {
			found = true
		}
		if err == io.EOF {
			return found, nil
		}
		if err != nil {
			return false, err
		}
		keep = min(len(s)-1, n)
		copy(buf, buf[n-keep:n])
	}
}
