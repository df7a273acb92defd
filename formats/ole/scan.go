package ole

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Rule IDs this package emits.
const (
	RuleVBA       = "ole.vba"             // a VBA project (or a BIFF5 VBA module sheet)
	RuleXLM       = "ole.xlm"             // Excel 4.0 macro sheets and auto-run names
	RuleObject    = "ole.object"          // embedded OLE objects and packages
	RuleActiveX   = "ole.activex"         // ActiveX controls
	RuleEncrypted = "ole.encrypted"       // encrypted or obfuscated content
	RuleDDE       = "ole.dde"             // DDE fields and DDE links
	RuleExternal  = "ole.external"        // fields and links that fetch outside content
	RuleAction    = "ole.action"          // PowerPoint actions that run a macro or a program
	RuleLegacy    = "ole.legacy"          // pre-97 formats whose macros this scanner cannot see
	RuleConverted = "ole.converted"       // converted to OOXML by the external converter
	RuleDefaultPW = "ole.defaultpassword" // encrypted with Excel's default password: decrypted and inspected
)

// scanner holds the findings of one scan.
type scanner struct {
	ctx      context.Context
	c        *cfb
	findings []sanitize.Finding
	seen     map[[2]string]bool
}

func (s *scanner) add(rule, where, detail string) { s.addAction(rule, where, detail, sanitize.Blocked) }

func (s *scanner) addAction(rule, where, detail string, a sanitize.Action) {
	k := [2]string{rule, where}
	if s.seen[k] {
		return
	}
	s.seen[k] = true
	s.findings = append(s.findings, sanitize.Finding{Rule: rule, Where: where, Action: a, Detail: detail})
}

// scan looks for every risk factor of a legacy Office file: the structure of
// the compound file first, then the main stream of kind. It returns the
// findings (all Blocked) or an error for a file it cannot read.
func scan(ctx context.Context, c *cfb, kind sanitize.Kind) ([]sanitize.Finding, error) {
	s := &scanner{ctx: ctx, c: c, seen: map[[2]string]bool{}}
	s.structure()
	var err error
	switch kind {
	case detect.DOC:
		err = s.word()
	case detect.XLS:
		err = s.excel()
	case detect.PPT:
		err = s.powerpoint()
	default:
		return nil, fmt.Errorf("ole: %s: %w", kind, sanitize.ErrUnsupported)
	}
	if err != nil {
		if len(s.findings) > 0 && errors.Is(err, sanitize.ErrMalformed) {
			// Already blocked for a stated reason; keep the reason and
			// say the rest could not be read.
			s.findings = append(s.findings, sanitize.Finding{Rule: sanitize.RuleMalformed, Action: sanitize.Blocked, Detail: err.Error()})
			return s.findings, nil
		}
		return s.findings, err
	}
	return s.findings, nil
}

// vbaNames are storages and streams that hold a VBA project ([MS-OVBA]
// §2.2) wherever they appear.
var vbaNames = map[string]bool{
	"_vba_project_cur": true, "macros": true, "vba": true, "_vba_project": true,
}

// structure checks the directory: VBA storages, embedded objects, ActiveX
// persistence and encryption streams.
func (s *scanner) structure() {
	var reported []string // paths already reported, to skip what is inside
	under := func(p string) bool {
		for _, r := range reported {
			if strings.HasPrefix(p, r+"/") {
				return true
			}
		}
		return false
	}
	report := func(rule, where, detail string) {
		s.add(rule, where, detail)
		reported = append(reported, where)
	}
	for _, e := range s.c.tree {
		if under(e.path) {
			continue
		}
		n := strings.ToLower(e.name)
		switch {
		case vbaNames[n]:
			report(RuleVBA, e.path, "VBA project storage")
		case e.depth == 0 && (n == "encryptioninfo" || n == "encryptedpackage" || n == "\x06dataspaces" || n == "encryptedsummary"):
			s.add(RuleEncrypted, e.path, "encryption stream")
		case e.depth == 0 && e.typ == typeStream && n == "ctls":
			s.add(RuleActiveX, e.path, "ActiveX control data")
		case e.typ == typeStorage && n == "objectpool":
			for _, ch := range s.c.children(e.id) {
				if ch.typ == typeStorage {
					report(RuleObject, ch.path, "embedded object")
				}
			}
			reported = append(reported, e.path)
		case e.typ == typeStorage && e.depth == 0 && strings.HasPrefix(n, "mbd"):
			report(RuleObject, e.path, "embedded object")
		case e.typ == typeStream && (n == "\x01ole10native" || n == "\x01compobj" || n == "\x01ole" || n == "\x03objinfo" || n == "\x03epring"):
			if e.depth == 0 {
				if n == "\x01ole10native" {
					s.add(RuleObject, e.path, "OLE package")
				}
				continue // the root's own class information
			}
			p := e.path[:strings.LastIndexByte(e.path, '/')]
			report(RuleObject, p, "embedded object")
		}
	}
}

// scanLimit caps the bytes read from one main stream. Streams are bounded
// by the file anyway; this keeps a scan cheap.
const scanLimit = 256 << 20

// stream opens the root stream named name (case-insensitive), or returns
// nil.
func (s *scanner) stream(names ...string) (*entry, *streamReader, error) {
	for _, name := range names {
		e := s.c.find(name)
		if e == nil || e.depth != 0 || e.typ != typeStream {
			continue
		}
		if e.size > scanLimit {
			return e, nil, errLimit("stream %q is larger than %d bytes", e.path, scanLimit)
		}
		r, err := s.c.open(e)
		return e, r, err
	}
	return nil, nil, nil
}

// Word FIB flags ([MS-DOC] §2.5.2 FibBase).
const (
	fibEncrypted  = 0x0100
	fibObfuscated = 0x8000
	wordIdent     = 0xA5EC
	nFibWord97    = 0x00C1
)

// word checks the FIB for encryption and the text for DDE and include
// fields. Field instructions are found by their begin mark (0x13) in both
// the 8-bit and the UTF-16 text encodings, so the piece table is not needed.
func (s *scanner) word() error {
	e, r, err := s.stream("WordDocument")
	if err != nil {
		return err
	}
	if e == nil {
		return errCFB("no WordDocument stream")
	}
	var fib [12]byte
	if _, err := io.ReadFull(r, fib[:]); err != nil {
		return errCFB("WordDocument shorter than its FIB")
	}
	if binary.LittleEndian.Uint16(fib[0:]) != wordIdent {
		s.add(RuleLegacy, e.path, "not a Word 97 or later document")
		return nil
	}
	nFib := binary.LittleEndian.Uint16(fib[2:])
	flags := binary.LittleEndian.Uint16(fib[0x0A:])
	if flags&(fibEncrypted|fibObfuscated) != 0 {
		s.add(RuleEncrypted, e.path, "Word document is encrypted")
		return nil // the text is unreadable
	}
	if nFib < nFibWord97-1 { // Word 97 writes 0xC1, some writers 0xC0
		s.add(RuleLegacy, e.path, fmt.Sprintf("Word 6/95 document (nFib %#x) may hold WordBasic macros", nFib))
		return nil
	}
	if err := s.fields(e.path, r); err != nil {
		return err
	}
	// The text in character order, through the piece table: finds field
	// instructions that fast saves or a crafted file split across pieces.
	// A document whose piece table cannot be read (or is over a limit)
	// cannot be proven free of them: it does not pass.
	tbl := "0Table"
	if flags&0x0200 != 0 {
		tbl = "1Table"
	}
	_, t, err := s.stream(tbl)
	if err != nil {
		return err
	}
	unreadable := fmt.Errorf("ole: %s: the text cannot be read through its piece table: %w", e.path, sanitize.ErrMalformed)
	if t == nil {
		return unreadable
	}
	pcs, ok := pieceTable(r, t)
	if !ok {
		return unreadable
	}
	m := &fieldMatcher{s: s, where: e.path}
	buf := make([]byte, 32<<10)
	for _, p := range pcs {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		for left, off := p.n, p.fc; left > 0; {
			k := min(left, int64(len(buf)))
			if p.wide {
				k = min(k, int64(len(buf)/2))
			}
			nb := k
			if p.wide {
				nb = 2 * k
			}
			if n, _ := r.ReadAt(buf[:nb], off); int64(n) < nb {
				return unreadable // a piece outside the stream
			}
			for i := int64(0); i < k; i++ {
				if p.wide {
					m.feed(rune(binary.LittleEndian.Uint16(buf[2*i:])))
				} else {
					m.feed(rune(buf[i]))
				}
			}
			left -= k
			off += nb
		}
	}
	m.end()
	return nil
}

// piece is one run of text: n characters at stream offset fc, 8-bit or
// UTF-16.
type piece struct {
	fc, n int64
	wide  bool
}

// maxPieces bounds the piece table.
const maxPieces = 1 << 20

// pieceTable reads the CLX ([MS-DOC] §2.9.38) named by the FIB in
// WordDocument from the table stream. Total characters are bounded by the
// WordDocument size.
func pieceTable(wd, tbl *streamReader) ([]piece, bool) {
	hdr := make([]byte, 34)
	if n, _ := wd.ReadAt(hdr, 0); n < len(hdr) {
		return nil, false
	}
	csw := int64(binary.LittleEndian.Uint16(hdr[32:]))
	pos := 34 + csw*2
	var b2 [2]byte
	if n, _ := wd.ReadAt(b2[:], pos); n < 2 {
		return nil, false
	}
	cslw := int64(binary.LittleEndian.Uint16(b2[:]))
	pos += 2 + cslw*4
	if n, _ := wd.ReadAt(b2[:], pos); n < 2 {
		return nil, false
	}
	if binary.LittleEndian.Uint16(b2[:]) < 34 {
		return nil, false
	}
	var fl [8]byte
	if n, _ := wd.ReadAt(fl[:], pos+2+33*8); n < 8 { // fcClx, lcbClx
		return nil, false
	}
	fc := int64(binary.LittleEndian.Uint32(fl[:]))
	lcb := int64(binary.LittleEndian.Uint32(fl[4:]))
	if lcb <= 0 || fc+lcb > tbl.size {
		return nil, false
	}
	clx := make([]byte, lcb)
	if n, _ := tbl.ReadAt(clx, fc); int64(n) < lcb {
		return nil, false
	}
	for len(clx) > 0 && clx[0] == 0x01 { // Prc
		if len(clx) < 3 {
			return nil, false
		}
		n := int(binary.LittleEndian.Uint16(clx[1:]))
		if 3+n > len(clx) {
			return nil, false
		}
		clx = clx[3+n:]
	}
	if len(clx) < 5 || clx[0] != 0x02 {
		return nil, false
	}
	plc := clx[5:]
	if l := int64(binary.LittleEndian.Uint32(clx[1:])); l < int64(len(plc)) {
		plc = plc[:l]
	}
	// (n+1) CPs of 4 bytes and n PCDs of 8 bytes.
	n := (len(plc) - 4) / 12
	if n <= 0 || n > maxPieces {
		return nil, false
	}
	var out []piece
	var total int64
	for i := 0; i < n; i++ {
		cp0 := int64(binary.LittleEndian.Uint32(plc[4*i:]))
		cp1 := int64(binary.LittleEndian.Uint32(plc[4*i+4:]))
		pcd := plc[4*(n+1)+8*i:]
		fcv := binary.LittleEndian.Uint32(pcd[2:])
		if cp1 < cp0 {
			return nil, false
		}
		p := piece{n: cp1 - cp0}
		if fcv&0x40000000 != 0 {
			p.fc = int64(fcv&^0x40000000) / 2
		} else {
			p.fc, p.wide = int64(fcv), true
		}
		total += p.n
		if total > wd.size {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// fieldMatcher finds dangerous field instructions in a stream of
// characters: the characters after each field begin mark (0x13) are
// compared with the keywords.
type fieldMatcher struct {
	s     *scanner
	where string
	on    bool
	buf   []rune
}

func (m *fieldMatcher) feed(c rune) {
	if c == 0x13 {
		if m.on && strings.TrimLeft(string(m.buf), " ") == "" {
			// An instruction that starts with a field is computed when
			// the document is read ({ {QUOTE "DDE"} … }): its keyword
			// cannot be known here.
			m.s.add(RuleDDE, m.where, "field instruction computed by a nested field")
		}
		m.end()
		m.on, m.buf = true, m.buf[:0]
		return
	}
	if !m.on {
		return
	}
	m.buf = append(m.buf, c)
	if c == 0x14 || c == 0x15 || len(m.buf) >= 40 {
		m.end()
	}
}

func (m *fieldMatcher) end() {
	if !m.on {
		return
	}
	m.on = false
	b := m.buf
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for _, k := range fieldKeywords {
		if len(b) < len(k.word) {
			continue
		}
		match := true
		for j := 0; j < len(k.word); j++ {
			if b[j]&^0x20 != rune(k.word[j]) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		if len(b) == len(k.word) || b[len(k.word)] == ' ' || b[len(k.word)] == '"' || b[len(k.word)] == '\\' || b[len(k.word)] == 0x14 || b[len(k.word)] == 0x15 {
			m.s.add(k.rule, m.where, k.word+" field")
			return
		}
	}
}

// Field keywords and their rules; longer keywords come first.
var fieldKeywords = []struct{ word, rule string }{
	{"DDEAUTO", RuleDDE},
	{"DDE", RuleDDE},
	{"INCLUDETEXT", RuleExternal},
	{"INCLUDEPICTURE", RuleExternal},
	{"INCLUDE", RuleExternal},
	{"IMPORT", RuleExternal},
	{"LINK", RuleExternal},
}

// fields scans r for field begin marks followed by a dangerous keyword.
func (s *scanner) fields(where string, r io.Reader) error {
	const overlap = 64
	buf := make([]byte, 64<<10)
	keep := 0
	var off int64
	for {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(r, buf[keep:])
		end := keep + n
		last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !last {
			return err
		}
		limit := end - overlap
		if last {
			limit = end
		}
		for i := 0; i < limit; i++ {
			j := bytes.IndexByte(buf[i:limit], 0x13)
			if j < 0 {
				break
			}
			i += j
			if kw, rule, ok := fieldAt(buf[i+1 : end]); ok {
				s.add(rule, where, kw+" field at offset "+fmt.Sprint(off+int64(i)))
			}
		}
		if last {
			return nil
		}
		keep = copy(buf, buf[limit:end])
		off += int64(limit)
	}
}

// fieldAt matches a field instruction at the start of b, 8-bit or UTF-16LE.
func fieldAt(b []byte) (string, string, bool) {
	for _, wide := range []bool{false, true} {
		step := 1
		if wide {
			step = 2
		}
		at := func(i int) (byte, bool) {
			if i*step+step > len(b) {
				return 0, false
			}
			if wide && b[i*step+1] != 0 {
				return 0, false
			}
			return b[i*step], true
		}
		i := 0
		if wide {
			// The mark itself is 13 00: skip its high byte.
			if len(b) == 0 || b[0] != 0 {
				continue
			}
			b2 := b[1:]
			at = func(i int) (byte, bool) {
				if 2*i+2 > len(b2) || b2[2*i+1] != 0 {
					return 0, false
				}
				return b2[2*i], true
			}
		}
		for {
			c, ok := at(i)
			if !ok || c != ' ' {
				break
			}
			i++
		}
		for _, k := range fieldKeywords {
			match := true
			for j := 0; j < len(k.word); j++ {
				c, ok := at(i + j)
				if !ok || c&^0x20 != k.word[j] {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			c, ok := at(i + len(k.word))
			if ok && (c == ' ' || c == '"' || c == '\\' || c == 0x14 || c == 0x15) {
				return k.word, k.rule, true
			}
		}
	}
	return "", "", false
}

// BIFF record types ([MS-XLS] §2.3).
const (
	biffBOF        = 0x0809
	biffFilePass   = 0x002F
	biffBoundSheet = 0x0085
	biffName       = 0x0018
	biffSupBook    = 0x01AE
	biffEOF        = 0x000A
	biffMaxRecord  = 8224
)

// excel walks the workbook globals' records: FILEPASS, BOUNDSHEET of macro
// and module types, auto-run NAMEs and DDE/OLE SUPBOOKs. It stops at the end
// of the globals substream (the first EOF): sheets cannot define these.
func (s *scanner) excel() error {
	e, r, err := s.stream("Workbook", "Book")
	if err != nil {
		return err
	}
	if e == nil {
		return errCFB("no Workbook stream")
	}
	br := bufio.NewReaderSize(r, 16<<10)
	var hdr [4]byte
	rec := make([]byte, biffMaxRecord)
	biff8 := strings.EqualFold(e.name, "Workbook")
	var dec *biffDecryptor
	var pos int64 // stream offset of the record's header
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := s.ctx.Err(); err != nil {
				return err
			}
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) && n > 0 {
				return nil
			}
			return errCFB("workbook globals truncated")
		}
		typ := binary.LittleEndian.Uint16(hdr[:])
		ln := int(binary.LittleEndian.Uint16(hdr[2:]))
		if ln > biffMaxRecord {
			return errCFB("BIFF record %#x of %d bytes", typ, ln)
		}
		if _, err := io.ReadFull(br, rec[:ln]); err != nil {
			return errCFB("BIFF record %#x truncated", typ)
		}
		b := rec[:ln]
		data := pos + 4 // stream offset of the record data
		pos += 4 + int64(ln)
		if n == 0 {
			if typ != biffBOF && typ != 0x0409 && typ != 0x0209 && typ != 0x0009 {
				return errCFB("workbook does not start with BOF")
			}
			if typ != biffBOF {
				s.add(RuleLegacy, e.path, "Excel 2-4 workbook")
				return nil
			}
			if len(b) >= 2 && binary.LittleEndian.Uint16(b) < 0x0600 {
				biff8 = false
			}
			continue
		}
		switch typ {
		case biffEOF:
			return nil
		case biffFilePass:
			if dec != nil {
				return errCFB("second FILEPASS")
			}
			if dec = newBIFFDecryptor(b, DefaultExcelPassword); dec == nil {
				s.add(RuleEncrypted, e.path, "workbook is encrypted (FILEPASS)")
				return nil
			}
			s.addAction(RuleDefaultPW, e.path, "workbook encrypted with the default password; decrypted to inspect it", sanitize.Recorded)
		case biffBoundSheet:
			if len(b) < 6 {
				return errCFB("short BOUNDSHEET")
			}
			if dec != nil {
				dec.decryptAt(b[4:], data+4) // lbPlyPos is not encrypted
			}
			switch b[5] {
			case 1:
				s.add(RuleXLM, e.path+"/"+sheetName(b[6:], biff8), "Excel 4.0 macro sheet")
			case 6:
				s.add(RuleVBA, e.path+"/"+sheetName(b[6:], biff8), "VBA module sheet")
			}
		case biffName:
			if dec != nil {
				dec.decryptAt(b, data)
			}
			if auto := autoName(b, biff8); auto != "" {
				s.add(RuleXLM, e.path+"/"+auto, "auto-run name")
			}
		case biffSupBook:
			if dec != nil {
				dec.decryptAt(b, data)
			}
			if len(b) >= 4 {
				ctab := binary.LittleEndian.Uint16(b)
				cch := binary.LittleEndian.Uint16(b[2:])
				// ctab 0 with a real path is a DDE or OLE link source
				// ([MS-XLS] §2.4.271); 0x0401 is this workbook, 0x3A01
				// add-in functions.
				if cch != 0x0401 && cch != 0x3A01 && ctab == 0 && printablePath(b[4:], int(cch)) {
					s.add(RuleDDE, e.path, "DDE or OLE link (SUPBOOK)")
				}
			}
		}
	}
}

// sheetName decodes a BOUNDSHEET name (ShortXLUnicodeString in BIFF8, 8-bit
// in BIFF5) for findings; undecodable names become "sheet".
func sheetName(b []byte, biff8 bool) string {
	if len(b) < 1 {
		return "sheet"
	}
	n := int(b[0])
	b = b[1:]
	if biff8 {
		if len(b) < 1 {
			return "sheet"
		}
		wide := b[0]&1 != 0
		b = b[1:]
		if wide {
			n = min(n, len(b)/2)
			var sb strings.Builder
			for i := range n {
				sb.WriteRune(rune(binary.LittleEndian.Uint16(b[2*i:])))
			}
			return safeName(sb.String())
		}
	}
	n = min(n, len(b))
	return safeName(string(b[:n]))
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || r == '/' {
			return '_'
		}
		return r
	}, strings.ToValidUTF8(s, "_"))
	if s == "" {
		return "sheet"
	}
	return s
}

// autoName returns the name of a NAME record that Excel runs by itself
// (Auto_Open, Auto_Close, Auto_Activate, Auto_Deactivate, built-in or
// spelled out), or "".
func autoName(b []byte, biff8 bool) string {
	if len(b) < 14 {
		return ""
	}
	flags := binary.LittleEndian.Uint16(b)
	cch := int(b[3])
	name := b[14:]
	if biff8 {
		if len(name) < 1 {
			return ""
		}
		wide := name[0]&1 != 0
		name = name[1:]
		if wide {
			var nb []byte
			for i := 0; i+1 < len(name) && i/2 < cch; i += 2 {
				nb = append(nb, name[i])
			}
			name = nb
		}
	}
	name = name[:min(cch, len(name))]
	if flags&0x0020 != 0 && len(name) >= 1 {
		switch name[0] {
		case 0x01:
			return "Auto_Open"
		case 0x02:
			return "Auto_Close"
		case 0x0A:
			return "Auto_Activate"
		case 0x0B:
			return "Auto_Deactivate"
		}
		return ""
	}
	l := strings.ToLower(string(name))
	for _, p := range []string{"auto_open", "auto_close", "auto_activate", "auto_deactivate"} {
		if strings.HasPrefix(l, p) {
			return safeName(string(name))
		}
	}
	return ""
}

// PowerPoint record types ([MS-PPT] §2.13.24).
const (
	pptVBAInfoAtom    = 0x0400
	pptExEmbed        = 0x0FCC
	pptExOleLink      = 0x0FCE
	pptExControl      = 0x0FEE
	pptInteractive    = 0x0FF3
	pptExOleObjStg    = 0x1011
	pptCryptSession   = 0x2F14
	pptMaxRecordCount = 10_000_000
)

// powerpoint walks the records of the PowerPoint Document stream: containers
// are entered, atoms skipped. The stream must parse to its end, except that
// an encrypted file stops at garbage once its CryptSession10Container has
// been seen (or found by its header bytes).
func (s *scanner) powerpoint() error {
	e, r, err := s.stream("PowerPoint Document")
	if err != nil {
		return err
	}
	if e == nil {
		return errCFB("no PowerPoint Document stream")
	}
	br := bufio.NewReaderSize(r, 16<<10)
	var hdr [8]byte
	var pos int64
	var vba, objStg int
	atom := make([]byte, 0, 32)
	for n := 0; pos < e.size; n++ {
		if n%4096 == 0 {
			if err := s.ctx.Err(); err != nil {
				return err
			}
		}
		if n > pptMaxRecordCount {
			return errLimit("more than %d records", pptMaxRecordCount)
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if pos+8 > e.size {
				break // a few trailing bytes
			}
			return errCFB("record header truncated")
		}
		pos += 8
		verInst := binary.LittleEndian.Uint16(hdr[:])
		typ := binary.LittleEndian.Uint16(hdr[2:])
		ln := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if ln > e.size-pos {
			if s.encrypted() || hasCryptSession(r, e.size) {
				s.add(RuleEncrypted, e.path, "presentation is encrypted (CryptSession10Container)")
				return nil
			}
			return errCFB("record %#x at %d runs past the stream", typ, pos-8)
		}
		switch typ {
		case pptExOleObjStg:
			objStg++
		case pptExEmbed:
			s.add(RuleObject, e.path, "embedded OLE object (ExEmbed)")
		case pptExOleLink:
			s.add(RuleExternal, e.path, "linked OLE object (ExOleLink)")
		case pptExControl:
			s.add(RuleActiveX, e.path, "ActiveX control (ExControl)")
		case pptCryptSession:
			s.add(RuleEncrypted, e.path, "presentation is encrypted (CryptSession10Container)")
		}
		if verInst&0x000F == 0x000F {
			continue // a container: its records follow
		}
		if typ == pptVBAInfoAtom && ln >= 8 {
			// persistIdRef, fHasMacros, version ([MS-PPT] §2.4.10).
			atom = atom[:8]
			if _, err := io.ReadFull(br, atom); err != nil {
				return errCFB("VBAInfoAtom truncated")
			}
			if binary.LittleEndian.Uint32(atom[4:]) != 0 {
				vba++
			}
			if _, err := br.Discard(int(ln - 8)); err != nil {
				return errCFB("record truncated")
			}
			pos += ln
			continue
		}
		if typ == pptInteractive && ln >= 9 {
			atom = atom[:9]
			if _, err := io.ReadFull(br, atom); err != nil {
				return errCFB("InteractiveInfoAtom truncated")
			}
			switch atom[8] {
			case 1:
				s.add(RuleAction, e.path, "action runs a macro")
			case 2:
				s.add(RuleAction, e.path, "action runs a program")
			}
			if _, err := br.Discard(int(ln - 9)); err != nil {
				return errCFB("record truncated")
			}
			pos += ln
			continue
		}
		if _, err := br.Discard(int(ln)); err != nil {
			return errCFB("record truncated")
		}
		pos += ln
	}
	if vba > 0 {
		s.add(RuleVBA, e.path, "VBA project stored in the presentation (ExOleObjStg)")
	}
	if objStg > 0 && !(vba > 0 && objStg == 1) {
		s.add(RuleObject, e.path, "embedded object storage (ExOleObjStg)")
	}
	return nil
}

// encrypted reports whether an encryption finding was made.
func (s *scanner) encrypted() bool {
	for _, f := range s.findings {
		if f.Rule == RuleEncrypted {
			return true
		}
	}
	return false
}

// hasCryptSession searches the stream for the header of a
// CryptSession10Container (version 0xF, type 0x2F14): records after it are
// encrypted and cannot be walked.
func hasCryptSession(r io.ReaderAt, size int64) bool {
	pat := []byte{0x0F, 0x00, 0x14, 0x2F}
	buf := make([]byte, 64<<10)
	for off := int64(0); off < size; off += int64(len(buf) - len(pat)) {
		n, _ := r.ReadAt(buf, off)
		if n <= 0 {
			return false
		}
		if bytes.Contains(buf[:n], pat) {
			return true
		}
		if off+int64(n) >= size {
			return false
		}
	}
	return false
}

// printablePath reports whether an XLUnicodeString virtPath of cch
// characters holds a printable character.
func printablePath(b []byte, cch int) bool {
	if len(b) < 1 {
		return false
	}
	wide := b[0]&1 != 0
	b = b[1:]
	for i := 0; i < cch; i++ {
		var c uint16
		if wide {
			if 2*i+1 >= len(b) {
				return false
			}
			c = binary.LittleEndian.Uint16(b[2*i:])
		} else {
			if i >= len(b) {
				return false
			}
			c = uint16(b[i])
		}
		if c > 0x20 {
			return true
		}
	}
	return false
}
