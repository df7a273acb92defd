package ole

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Fixture builders: minimal streams of each format, with only the fields
// the scanner reads set.

// wordDoc returns a WordDocument stream: a FIB ([MS-DOC] §2.5.1) with nFib
// and flags, then text at 0x400, padded to size.
func wordDoc(nFib, flags uint16, text string, size int) []byte {
	b := make([]byte, max(size, 0x400+len(text)))
	binary.LittleEndian.PutUint16(b, wordIdent)
	binary.LittleEndian.PutUint16(b[2:], nFib)
	binary.LittleEndian.PutUint16(b[0x0A:], flags|0x0200)
	copy(b[0x400:], text)
	return b
}

// doc returns a Word document: the WordDocument stream of wordDoc and a
// 1Table stream of at least tblSize bytes whose piece table ([MS-DOC]
// §2.9.38) makes everything from 0x400 one 8-bit piece, then extra.
func doc(nFib, flags uint16, text string, size, tblSize int, extra ...*node) []*node {
	wd := wordDoc(nFib, flags, text, size)
	binary.LittleEndian.PutUint16(wd[32:], 14)  // csw
	binary.LittleEndian.PutUint16(wd[62:], 22)  // cslw
	binary.LittleEndian.PutUint16(wd[152:], 93) // cbRgFcLcb
	plc := u32s(0, uint32(len(wd)-0x400))
	plc = append(plc, 0, 0)
	plc = append(plc, u32s(0x400*2|0x40000000)...)
	plc = append(plc, 0, 0)
	clx := append([]byte{0x02}, u32s(uint32(len(plc)))...)
	clx = append(clx, plc...)
	tbl := make([]byte, max(tblSize, 0x40+len(clx)))
	copy(tbl[0x40:], clx)
	binary.LittleEndian.PutUint32(wd[0x1A2:], 0x40)
	binary.LittleEndian.PutUint32(wd[0x1A6:], uint32(len(clx)))
	return append([]*node{stream("WordDocument", wd), stream("1Table", tbl)}, extra...)
}

func utf16le(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

func biff(typ uint16, data []byte) []byte {
	b := make([]byte, 4, 4+len(data))
	binary.LittleEndian.PutUint16(b, typ)
	binary.LittleEndian.PutUint16(b[2:], uint16(len(data)))
	return append(b, data...)
}

func bof() []byte {
	d := make([]byte, 16)
	binary.LittleEndian.PutUint16(d, 0x0600)
	binary.LittleEndian.PutUint16(d[2:], 0x0005)
	return biff(biffBOF, d)
}

func boundSheet(name string, dt byte) []byte {
	d := []byte{0, 0, 0, 0, 0, dt, byte(len(name)), 0}
	return biff(biffBoundSheet, append(d, name...))
}

func nameRec(flags uint16, name []byte) []byte {
	d := make([]byte, 14)
	binary.LittleEndian.PutUint16(d, flags)
	d[3] = byte(len(name))
	d = append(d, 0)
	return biff(biffName, append(d, name...))
}

func workbook(recs ...[]byte) []byte {
	var b bytes.Buffer
	b.Write(bof())
	for _, r := range recs {
		b.Write(r)
	}
	b.Write(biff(biffEOF, nil))
	// A worksheet substream with a cell.
	b.Write(bof())
	b.Write(biff(0x0204, append([]byte{0, 0, 0, 0, 0x0F, 0, 11, 0}, "BENIGN-TEXT"...))) // LABEL
	b.Write(biff(biffEOF, nil))
	return b.Bytes()
}

func pptRec(verInst, typ uint16, body ...[]byte) []byte {
	var d []byte
	for _, x := range body {
		d = append(d, x...)
	}
	b := make([]byte, 8, 8+len(d))
	binary.LittleEndian.PutUint16(b, verInst)
	binary.LittleEndian.PutUint16(b[2:], typ)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(d)))
	return append(b, d...)
}

func presentation(children ...[]byte) []byte {
	atom := pptRec(0x0001, 0x03E9, make([]byte, 40)) // DocumentAtom
	text := pptRec(0x0000, 0x0FA8, []byte("BENIGN-TEXT"))
	return pptRec(0x000F, 0x03E8, append([][]byte{atom, text}, children...)...)
}

func u32s(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

var (
	cleanDoc = doc(0xC1, 0, "BENIGN-TEXT\r", 0, 100, stream("\x01CompObj", make([]byte, 90)), storage("ObjectPool"))
	cleanXLS = []*node{stream("Workbook", workbook(boundSheet("Sheet1", 0)))}
	cleanPPT = []*node{stream("PowerPoint Document", presentation()), stream("Current User", make([]byte, 40))}
)

func with(base []*node, extra ...*node) []*node {
	return append(append([]*node(nil), base...), extra...)
}

var fixtureCases = []struct {
	name  string
	kind  sanitize.Kind
	nodes []*node
	rules []string // nil: passes unchanged
}{
	{"doc_clean", detect.DOC, cleanDoc, nil},
	{"doc_clean_big", detect.DOC, doc(0xC1, 0, "BENIGN-TEXT\x13 HYPERLINK \"https://example.jp/\" \x14link\x15", 9000, 5000), nil},
	{"doc_vba", detect.DOC, with(cleanDoc, storage("Macros", storage("VBA", stream("dir", []byte{1}), stream("_VBA_PROJECT", []byte{0xCC, 0x61})), stream("PROJECT", []byte("ID=")))), []string{RuleVBA}},
	{"doc_encrypted", detect.DOC, []*node{stream("WordDocument", wordDoc(0xC1, fibEncrypted, "", 0)), stream("1Table", make([]byte, 10))}, []string{RuleEncrypted}},
	{"doc_obfuscated", detect.DOC, []*node{stream("WordDocument", wordDoc(0xC1, fibEncrypted|fibObfuscated, "", 0))}, []string{RuleEncrypted}},
	{"doc_dde", detect.DOC, doc(0xC1, 0, "BENIGN-TEXT\x13 DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\" \x14result\x15", 0, 0), []string{RuleDDE}},
	{"doc_dde_utf16", detect.DOC, doc(0xC1, 0, utf16le("BENIGN-TEXT\x13  dde cmd \"/c calc\"\x14r\x15"), 0, 0), []string{RuleDDE}},
	{"doc_includepicture", detect.DOC, doc(0xC1, 0, "BENIGN-TEXT\x13 INCLUDEPICTURE \"http://example.com/t.png\" \\d \x15", 0, 0), []string{RuleExternal}},
	{"doc_object", detect.DOC, with(cleanDoc[:3], storage("ObjectPool", storage("_1234567890", stream("\x01Ole10Native", []byte("\x10\x00\x00\x00calc.exe")), stream("\x01CompObj", make([]byte, 60))))), []string{RuleObject}},
	// Text that cannot be read in character order cannot be proven free of
	// split field instructions: no table stream, or a zeroed piece table.
	{"doc_no_table", detect.DOC, []*node{stream("WordDocument", wordDoc(0xC1, 0, "BENIGN-TEXT", 0))}, []string{sanitize.RuleMalformed}},
	{"doc_bad_piece_table", detect.DOC, []*node{stream("WordDocument", wordDoc(0xC1, 0, "BENIGN-TEXT", 0)), stream("1Table", make([]byte, 100))}, []string{sanitize.RuleMalformed}},
	{"doc_word95", detect.DOC, []*node{stream("WordDocument", wordDoc(0x65, 0, "BENIGN-TEXT", 0))}, []string{RuleLegacy}},
	{"doc_encryptioninfo", detect.DOC, with(cleanDoc, stream("EncryptionInfo", make([]byte, 200))), []string{RuleEncrypted}},
	{"xls_clean", detect.XLS, cleanXLS, nil},
	{"xls_macrosheet", detect.XLS, []*node{stream("Workbook", workbook(boundSheet("Sheet1", 0), boundSheet("Macro1", 1)))}, []string{RuleXLM}},
	{"xls_auto_open", detect.XLS, []*node{stream("Workbook", workbook(boundSheet("Sheet1", 0), nameRec(0x0020, []byte{0x01})))}, []string{RuleXLM}},
	{"xls_auto_open_text", detect.XLS, []*node{stream("Workbook", workbook(boundSheet("Sheet1", 0), nameRec(0, []byte("auto_open_x"))))}, []string{RuleXLM}},
	{"xls_vba_module", detect.XLS, []*node{stream("Workbook", workbook(boundSheet("Module1", 6)))}, []string{RuleVBA}},
	{"xls_filepass", detect.XLS, []*node{stream("Workbook", workbook(biff(biffFilePass, []byte{1, 0, 1, 0, 1, 0}), boundSheet("Sheet1", 0)))}, []string{RuleEncrypted}},
	{"xls_vba", detect.XLS, with(cleanXLS, storage("_VBA_PROJECT_CUR", storage("VBA", stream("dir", []byte{1})))), []string{RuleVBA}},
	{"xls_mbd", detect.XLS, with(cleanXLS, storage("MBD0001ABCD", stream("\x01CompObj", make([]byte, 60)))), []string{RuleObject}},
	{"xls_ctls", detect.XLS, with(cleanXLS, stream("Ctls", make([]byte, 60))), []string{RuleActiveX}},
	{"xls_dde", detect.XLS, []*node{stream("Workbook", workbook(biff(biffSupBook, append(u32s(0x00030000)[:4], append([]byte{0}, "cmd\x03/c calc"...)...)), boundSheet("Sheet1", 0)))}, []string{RuleDDE}},
	{"ppt_clean", detect.PPT, cleanPPT, nil},
	{"ppt_vba", detect.PPT, []*node{stream("PowerPoint Document", presentation(pptRec(0x000F, 0x03FF, pptRec(0x0002, pptVBAInfoAtom, u32s(1, 1, 2))), pptRec(0x0010, pptExOleObjStg, []byte("compressed-vba")))), cleanPPT[1]}, []string{RuleVBA}},
	{"ppt_vba_none", detect.PPT, []*node{stream("PowerPoint Document", presentation(pptRec(0x000F, 0x03FF, pptRec(0x0002, pptVBAInfoAtom, u32s(1, 0, 2))))), cleanPPT[1]}, nil},
	{"ppt_embed", detect.PPT, []*node{stream("PowerPoint Document", presentation(pptRec(0x000F, pptExEmbed, pptRec(0, 0x0FCD, make([]byte, 8))), pptRec(0x0010, pptExOleObjStg, []byte("x")))), cleanPPT[1]}, []string{RuleObject}},
	{"ppt_action", detect.PPT, []*node{stream("PowerPoint Document", presentation(pptRec(0x000F, 0x0FF2, pptRec(0, pptInteractive, u32s(0, 0), []byte{2, 0, 0, 0, 0, 0, 0, 0})))), cleanPPT[1]}, []string{RuleAction}},
	{"ppt_control", detect.PPT, []*node{stream("PowerPoint Document", presentation(pptRec(0x000F, pptExControl, pptRec(0, 0x0FEB, make([]byte, 8))))), cleanPPT[1]}, []string{RuleActiveX}},
	{"ppt_encrypted", detect.PPT, []*node{stream("PowerPoint Document", append(presentation(pptRec(0x000F, pptCryptSession, make([]byte, 20))), 0xFF, 0xFF, 0xFF, 0xFF, 0x13, 0x37, 0xFF, 0x7F)), cleanPPT[1]}, []string{RuleEncrypted}},
}

// TestFixtures runs every fixture through the engine in both sanitize and
// verify modes: clean files pass with the output byte-equal to the input,
// the others are blocked with exactly the expected rules, as recorded in
// the golden files.
func TestFixtures(t *testing.T) {
	for _, mode := range []sanitize.Mode{sanitize.ModeSanitize, sanitize.ModeVerify} {
		eng := newEngine(t, Options{}, mode, sanitize.Limits{})
		for _, tc := range fixtureCases {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				in := buildCFB(tc.nodes...)
				if k := detect.Detect(bytes.NewReader(in), int64(len(in)), ""); k != tc.kind {
					t.Fatalf("fixture detects as %s, want %s", k, tc.kind)
				}
				rep, out := sanitizetest.Run(t, eng, in, tc.name+detect.Ext(tc.kind))
				got := sanitizetest.RuleSet(rep.Findings)
				if tc.rules == nil {
					if rep.Outcome != sanitize.OutcomePassed || !bytes.Equal(out, in) {
						t.Fatalf("outcome %s, findings %+v; want passed unchanged", rep.Outcome, rep.Findings)
					}
					return
				}
				if rep.Outcome != sanitize.OutcomeBlocked || out != nil {
					t.Fatalf("outcome %s; want blocked", rep.Outcome)
				}
				if len(got) != len(tc.rules) {
					t.Errorf("rules %v, want %v", got, tc.rules)
				}
				for _, r := range tc.rules {
					if !got[r] {
						t.Errorf("rules %v, want %v", got, tc.rules)
					}
				}
				if mode == sanitize.ModeSanitize {
					var g strings.Builder
					for _, f := range rep.Findings {
						fmt.Fprintf(&g, "%s\t%q\t%s\t%s\n", f.Rule, f.Where, f.Action, f.Detail)
					}
					golden(t, tc.name, []byte(g.String()))
				}
			})
		}
	}
}

// golden compares got with testdata/golden/name.txt.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	sanitizetest.Golden(t, filepath.Join("testdata", "golden", name+".txt"), got, *update)
}

// scanBytes runs the sanitizer alone.
func scanBytes(t testing.TB, in []byte, kind sanitize.Kind, opt Options) (sanitize.Result, error) {
	t.Helper()
	it := &sanitize.Item{Src: io.NewSectionReader(bytes.NewReader(in), 0, int64(len(in))), Kind: kind}
	return New(opt).Sanitize(t.Context(), io.Discard, it)
}
