package rtf

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/mugai-project/mugai/sanitize"
)

var (
	braceOpen  = []byte{'{'}
	braceClose = []byte{'}'}
	starBytes  = []byte(`\*`)
)

// field is one \field being read: its output is held until its instruction
// is known.
type field struct {
	buf    bytes.Buffer
	parent *bytes.Buffer // where the held output goes; nil: the output
	inst   strings.Builder
	nested bool // a field inside the instruction
}

// group is the state of one {…} group.
type group struct {
	skip     bool          // dropped: nothing more of it is written
	first    bool          // no token seen yet
	star     bool          // \* seen as the first token
	sink     *bytes.Buffer // held output of an undecided field; nil: the output
	field    *field        // the field this group started (\field seen here)
	insts    []*field      // fields whose instruction this group is part of
	unwrap   bool          // the group of a removed field: its \fldrslt is kept as a plain group
	hidden   bool          // not document text (text mode)
	fonttbl  bool          // inside the font table
	fontNum  int64         // font defined by this group (font table) or selected (\f)
	uc       int64         // \ucN: bytes of fallback after \u
	isInst   bool          // this group is a \fldinst
	instOf   *field        // for an \fldinst group: its field
	dest     string
	codepage int
}

// filter is one run of the sanitizer over one RTF input.
type filter struct {
	ctx      context.Context
	opt      *Options
	tok      *tokenizer
	out      *bufio.Writer
	stack    []group // pointers into it are valid until the next open
	findings []sanitize.Finding
	seen     map[string]bool
	textMode bool
	held     int64 // bytes held in field buffers
	instSkip int64 // fallback bytes after a \u in an instruction, not part of it

	// text mode
	ansicpg  int
	fonts    map[int64]int // font number → code page
	pending  []byte        // code-page bytes not yet decoded
	pendCP   int
	skipN    int64 // fallback bytes still to skip after \u
	highSurr rune
	wrote    bool
	decoders map[int]*encoding.Decoder
}

func (f *filter) find(rule, where, detail string, a sanitize.Action) {
	k := rule + "\x00" + detail
	if f.seen[k] {
		return
	}
	f.seen[k] = true
	f.findings = append(f.findings, sanitize.Finding{Rule: rule, Where: where, Action: a, Detail: detail})
}

func (f *filter) top() *group { return &f.stack[len(f.stack)-1] }

// write sends raw bytes of a kept token to the group's sink.
func (f *filter) write(g *group, b []byte) error {
	if g.skip || f.textMode {
		return nil
	}
	if g.sink != nil {
		f.held += int64(len(b))
		if f.held > f.opt.MaxFieldBytes {
			return fmt.Errorf("rtf: a field holds more than %d bytes: %w", f.opt.MaxFieldBytes, sanitize.ErrTooLarge)
		}
		g.sink.Write(b)
		return nil
	}
	_, err := f.out.Write(b)
	return err
}

// run reads the whole input.
func (f *filter) run() error {
	t, err := f.tok.next()
	if err != nil {
		return err
	}
	if t.kind != tokOpen {
		return errMalformed("does not start with {\\rtf")
	}
	if err := f.open(); err != nil {
		return err
	}
	t, err = f.tok.next()
	if err != nil {
		return err
	}
	if t.kind != tokWord || !strings.HasPrefix(t.word, "rtf") {
		return errMalformed("does not start with {\\rtf")
	}
	if err := f.token(t); err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := f.ctx.Err(); err != nil {
				return err
			}
		}
		t, err := f.tok.next()
		if err != nil {
			return err
		}
		if t.kind == tokEOF {
			break
		}
		if len(f.stack) == 0 {
			// After the root group: Word ignores the rest.
			if len(bytes.TrimSpace(bytes.Trim(t.raw, "\x00"))) > 0 {
				f.find(RuleStructure, "", "data after the end of the document dropped", sanitize.Recorded)
			}
			continue
		}
		if err := f.token(t); err != nil {
			return err
		}
	}
	if len(f.stack) > 0 {
		f.find(RuleStructure, "", fmt.Sprintf("%d unclosed groups closed", len(f.stack)), sanitize.Recorded)
		for len(f.stack) > 0 {
			if err := f.close(); err != nil {
				return err
			}
		}
	}
	return f.flushText()
}

// open starts a group.
func (f *filter) open() error {
	if len(f.stack) >= f.opt.MaxDepth {
		return fmt.Errorf("rtf: groups nested deeper than %d: %w", f.opt.MaxDepth, sanitize.ErrTooLarge)
	}
	g := group{first: true, uc: 1, codepage: 0, fontNum: -1}
	if len(f.stack) > 0 {
		p := f.top()
		g.skip, g.sink, g.insts, g.hidden, g.fonttbl = p.skip, p.sink, p.insts, p.hidden, p.fonttbl
		g.uc, g.codepage = p.uc, p.codepage
		if err := f.write(p, braceOpen); err != nil {
			return err
		}
	} else if !f.textMode {
		if _, err := f.out.Write(braceOpen); err != nil {
			return err
		}
	}
	f.stack = append(f.stack, g)
	return nil
}

// close ends the top group, deciding its field if it started one.
func (f *filter) close() error {
	g := f.top()
	if f.textMode {
		if g.fonttbl && g.fontNum >= 0 && g.codepage != 0 {
			f.fonts[g.fontNum] = g.codepage
		}
	}
	f.stack = f.stack[:len(f.stack)-1]
	var parent *group
	if len(f.stack) > 0 {
		parent = f.top()
	}
	closeTo := g
	if parent != nil && g.skip && !parent.skip {
		closeTo = parent // the group was dropped after its '{' was written
	}
	if g.field != nil && g.sink == &g.field.buf {
		// A field without an instruction: nothing to decide.
		if err := f.release(g); err != nil {
			return err
		}
	}
	if g.isInst && g.instOf != nil && parent != nil && parent.field == g.instOf {
		// The instruction is complete: decide the field.
		if err := f.write(closeTo, braceClose); err != nil {
			return err
		}
		return f.decide(parent)
	}
	if parent == nil {
		if f.textMode {
			return nil
		}
		_, err := f.out.Write(braceClose)
		return err
	}
	return f.write(closeTo, braceClose)
}

// release writes a field's held output to where its group writes.
func (f *filter) release(g *group) error {
	fl := g.field
	g.sink = fl.parent
	f.held -= int64(fl.buf.Len())
	b := fl.buf.Bytes()
	fl.buf = bytes.Buffer{}
	return f.write(g, b)
}

// decide keeps or removes the field started in g now that its instruction
// is known.
func (f *filter) decide(g *group) error {
	fl := g.field
	rule := fieldRule(fl.inst.String(), fl.nested)
	if rule == "" {
		return f.release(g)
	}
	f.find(rule, fmt.Sprintf("offset %d", f.tok.off), "field "+firstWord(fl.inst.String())+" removed; its result text kept", sanitize.Removed)
	f.held -= int64(fl.buf.Len())
	fl.buf = bytes.Buffer{}
	g.sink = fl.parent
	g.unwrap = true
	g.field = nil
	return nil
}

func firstWord(s string) string {
	w := strings.Fields(s)
	if len(w) == 0 {
		return ""
	}
	return strings.ToUpper(strings.Trim(w[0], `"\`))
}

// drop removes the rest of group g under rule.
func (f *filter) drop(g *group, rule, what string) {
	if !g.skip {
		f.find(rule, fmt.Sprintf("offset %d", f.tok.off), what+" removed", sanitize.Removed)
	}
	g.skip = true
}

// token handles one token inside the current group.
func (f *filter) token(t token) error {
	switch t.kind {
	case tokOpen:
		return f.open()
	case tokClose:
		return f.close()
	}
	g := f.top()
	first := g.first
	g.first = false
	if first && t.kind == tokSymbol && t.word == "*" {
		g.star, g.first = true, true
		return nil
	}
	if g.star {
		g.star = false
		if t.kind != tokWord {
			f.drop(g, RuleDestination, "malformed \\* destination")
			return nil
		}
		if r := deniedWord(t.word); r != "" {
			f.drop(g, r, "\\*\\"+t.word)
			return nil
		}
		if !starAllowedWord(t.word) {
			f.drop(g, RuleDestination, "\\*\\"+t.word)
			return nil
		}
		if err := f.write(g, starBytes); err != nil {
			return err
		}
		first = true
	}
	switch t.kind {
	case tokText:
		return f.text(g, t)
	case tokHex:
		return f.hexByte(g, t)
	case tokSymbol:
		if t.word == "*" {
			// \* inside a group: the next word is an ignorable
			// destination for readers; treat the group as one.
			g.star = true
			return nil
		}
		return f.symbol(g, t)
	}
	// A control word.
	if g.skip {
		if t.word == "bin" && t.hasParam {
			return f.bin(g, t)
		}
		return nil
	}
	if r := deniedWord(t.word); r != "" {
		f.drop(g, r, "\\"+t.word)
		return nil
	}
	if t.word == "uc" && t.hasParam && t.param >= 0 {
		g.uc = t.param
	}
	if len(g.insts) > 0 {
		// Word reads \u characters of an instruction as text.
		f.instSkip = 0
		if t.word == "u" && t.hasParam {
			r := rune(t.param)
			if r < 0 {
				r += 65536
			}
			f.appendInst(g, string(r))
			f.instSkip = g.uc
		}
	}
	switch t.word {
	case "field":
		fl := &field{parent: g.sink}
		for _, p := range g.insts {
			p.nested = true
		}
		g.field = fl
		g.sink = &fl.buf
	case "fldinst":
		if len(f.stack) >= 2 {
			if p := &f.stack[len(f.stack)-2]; p.field != nil && p.sink == &p.field.buf && first {
				g.isInst, g.instOf = true, p.field
				g.insts = append(append([]*field(nil), g.insts...), p.field)
			}
		}
		g.hidden = true
	case "fldrslt":
		if len(f.stack) >= 2 && f.stack[len(f.stack)-2].unwrap && first {
			return nil // the removed field's result becomes a plain group
		}
	case "bin":
		if !t.hasParam || t.param < 0 {
			return errMalformed("\\bin without a length")
		}
		if err := f.write(g, t.raw); err != nil {
			return err
		}
		return f.bin(g, t)
	}
	if first {
		g.dest = t.word
		if hiddenDest[t.word] {
			g.hidden = true
		}
		if t.word == "fonttbl" {
			g.fonttbl = true
		}
	}
	if f.textMode {
		return f.textWord(g, t)
	}
	return f.write(g, t.raw)
}

func (f *filter) bin(g *group, t token) error {
	var w io.Writer
	switch {
	case g.skip || f.textMode:
	case g.sink != nil:
		f.held += t.param
		if f.held > f.opt.MaxFieldBytes {
			return fmt.Errorf("rtf: a field holds more than %d bytes: %w", f.opt.MaxFieldBytes, sanitize.ErrTooLarge)
		}
		w = g.sink
	default:
		w = f.out
	}
	return f.tok.binary(t.param, w)
}

// appendInst adds instruction text to every field g's instruction belongs
// to, up to a bound.
func (f *filter) appendInst(g *group, s string) {
	for _, fl := range g.insts {
		if fl.inst.Len() < 4096 {
			fl.inst.WriteString(s)
		}
	}
}

func (f *filter) text(g *group, t token) error {
	if g.skip {
		return nil
	}
	if len(g.insts) > 0 {
		raw := t.raw
		for len(raw) > 0 && f.instSkip > 0 {
			if raw[0] != '\r' && raw[0] != '\n' {
				f.instSkip--
			}
			raw = raw[1:]
		}
		f.appendInst(g, string(raw))
	}
	if f.textMode {
		for _, c := range t.raw {
			if c == '\r' || c == '\n' {
				continue
			}
			if f.skipN > 0 {
				f.skipN--
				continue
			}
			if !g.hidden {
				f.addByte(g, c)
			}
		}
		return nil
	}
	return f.write(g, t.raw)
}

func (f *filter) hexByte(g *group, t token) error {
	if g.skip {
		return nil
	}
	if len(g.insts) > 0 {
		if f.instSkip > 0 {
			f.instSkip--
		} else {
			f.appendInst(g, string(rune(t.hex)))
		}
	}
	if f.textMode {
		if f.skipN > 0 {
			f.skipN--
			return nil
		}
		if !g.hidden {
			f.addByte(g, t.hex)
		}
		return nil
	}
	return f.write(g, t.raw)
}

func (f *filter) symbol(g *group, t token) error {
	if g.skip {
		return nil
	}
	if f.textMode {
		if f.skipN > 0 {
			f.skipN--
			return nil
		}
		if g.hidden {
			return nil
		}
		switch t.word {
		case "\\", "{", "}":
			f.addByte(g, t.word[0])
		case "~":
			return f.emit("\u00A0")
		case "_":
			return f.emit("\u2011")
		case "\r", "\n":
			return f.emit("\n")
		}
		return nil
	}
	if len(g.insts) > 0 && (t.word == "\\" || t.word == "{" || t.word == "}") {
		f.appendInst(g, t.word)
	}
	return f.write(g, t.raw)
}

// textWord handles a control word in text mode.
func (f *filter) textWord(g *group, t token) error {
	f.skipN = 0
	switch t.word {
	case "ansicpg":
		if t.hasParam {
			f.ansicpg = int(t.param)
		}
		return nil
	case "uc":
		if t.hasParam && t.param >= 0 {
			g.uc = t.param
		}
		return nil
	case "f":
		if t.hasParam {
			if g.fonttbl {
				g.fontNum = t.param
			} else {
				g.codepage = f.fonts[t.param]
			}
		}
		return nil
	case "fcharset":
		if g.fonttbl && t.hasParam {
			if cp, ok := charsetCodepage[t.param]; ok && g.codepage == 0 {
				g.codepage = cp
				if t.param == 0 {
					g.codepage = -1 // ANSI: the document's code page
				}
			}
		}
		return nil
	case "cpg":
		if g.fonttbl && t.hasParam {
			g.codepage = int(t.param)
		}
		return nil
	case "u":
		if !t.hasParam || g.hidden {
			f.skipN = g.uc
			return nil
		}
		r := rune(t.param)
		if r < 0 {
			r += 65536
		}
		f.skipN = g.uc
		if utf16.IsSurrogate(r) {
			if r < 0xDC00 {
				f.highSurr = r
				return nil
			}
			if f.highSurr != 0 {
				r = utf16.DecodeRune(f.highSurr, r)
				f.highSurr = 0
			} else {
				r = utf8.RuneError
			}
		}
		return f.emit(string(r))
	}
	if g.hidden {
		return nil
	}
	if s, ok := textSymbols[t.word]; ok {
		return f.emit(s)
	}
	return nil
}

// addByte adds one code-page byte of text.
func (f *filter) addByte(g *group, c byte) {
	cp := g.codepage
	if cp <= 0 {
		cp = f.ansicpg
	}
	if cp != f.pendCP && len(f.pending) > 0 {
		f.flushText()
	}
	f.pendCP = cp
	f.pending = append(f.pending, c)
	if len(f.pending) >= 4096 {
		f.flushText()
	}
}

// emit writes decoded text.
func (f *filter) emit(s string) error {
	if err := f.flushText(); err != nil {
		return err
	}
	if s != "" {
		f.wrote = true
	}
	_, err := f.out.WriteString(s)
	return err
}

// flushText decodes the pending code-page bytes.
func (f *filter) flushText() error {
	if !f.textMode || len(f.pending) == 0 {
		return nil
	}
	b := f.pending
	f.pending = f.pending[:0]
	f.wrote = true
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		_, err := f.out.Write(b)
		return err
	}
	dec := f.decoders[f.pendCP]
	if dec == nil {
		dec = codepageEncoding(f.pendCP).NewDecoder()
		f.decoders[f.pendCP] = dec
	}
	d, err := dec.Bytes(b)
	if err != nil {
		d = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	_, err = f.out.Write(d)
	return err
}

// codepageEncoding returns the decoder of a Windows code page; unknown ones
// are read as 1252.
func codepageEncoding(cp int) encoding.Encoding {
	switch cp {
	case 932:
		// x/text's Shift_JIS is the WHATWG one, which is CP932 (NEC and
		// IBM extensions included) except the user-defined area.
		return japanese.ShiftJIS
	case 936:
		return simplifiedchinese.GBK
	case 949:
		return korean.EUCKR
	case 950:
		return traditionalchinese.Big5
	case 874:
		return charmap.Windows874
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	}
	return charmap.Windows1252
}
