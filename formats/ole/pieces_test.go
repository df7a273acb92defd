package ole

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// splitDoc builds a Word document whose text is two pieces ([MS-DOC]
// §2.9.38): a, 8-bit at 0x600, then b, UTF-16 at 0x800. Read in stream
// order the two halves are apart; in character order they join.
func splitDoc(a, b string) []*node {
	wd := wordDoc(0xC1, 0, "", 0x800+2*len(b)+16)
	binary.LittleEndian.PutUint16(wd[32:], 14)  // csw
	binary.LittleEndian.PutUint16(wd[62:], 22)  // cslw
	binary.LittleEndian.PutUint16(wd[152:], 93) // cbRgFcLcb
	copy(wd[0x600:], a)
	copy(wd[0x800:], utf16le(b))
	var clx bytes.Buffer
	clx.Write([]byte{0x01, 2, 0, 0xAA, 0xBB}) // a Prc to skip
	plc := u32s(0, uint32(len(a)), uint32(len(a)+len(b)))
	pcd := func(fc uint32) []byte { return append(append([]byte{0, 0}, u32s(fc)...), 0, 0) }
	plc = append(plc, pcd(0x600*2|0x40000000)...)
	plc = append(plc, pcd(0x800)...)
	clx.WriteByte(0x02)
	clx.Write(u32s(uint32(len(plc))))
	clx.Write(plc)
	tbl := append(make([]byte, 0x40), clx.Bytes()...)
	binary.LittleEndian.PutUint32(wd[0x1A2:], 0x40)
	binary.LittleEndian.PutUint32(wd[0x1A6:], uint32(clx.Len()))
	return []*node{stream("WordDocument", wd), stream("1Table", tbl)}
}

func TestPieceTable(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		rule       string
	}{
		{"split dde", "BENIGN-TEXT \x13 DD", "EAUTO c:\\\\cmd.exe \x14r\x15", RuleDDE},
		{"split include", "BENIGN-TEXT \x13 INCLUDE", "PICTURE \"http://example.com/a.png\" \x15", RuleExternal},
		{"clean", "BENIGN-TEXT \x13 PA", "GE \x14 1\x15 text", ""},
		{"nested if", "BENIGN-TEXT \x13 IF \x13 MERGEFIELD a \x14x\x15", " = 1 \"y\" \x14y\x15", ""},
		{"computed", "BENIGN-TEXT \x13 \x13 QUOTE \"DDE\" \x14", "DDE\x15 \"c\" \x14r\x15", RuleDDE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := buildCFB(splitDoc(tc.a, tc.b)...)
			res, err := scanBytes(t, in, detect.DOC, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := sanitizetest.RuleSet(res.Findings)
			if tc.rule == "" && len(got) > 0 || tc.rule != "" && (!got[tc.rule] || len(got) != 1) {
				t.Errorf("findings %+v, want %q", res.Findings, tc.rule)
			}
		})
	}
}

// TestPieceTableRealFiles reads the piece tables of real Word files: every
// clean corpus .doc has one this package can read, and its text in
// character order holds the INCLUDEPICTURE field of Bug51890.doc.
func TestPieceTableRealFiles(t *testing.T) {
	for _, name := range []string{"oletools__msodde_harmless-clean.doc", "poi__TestShiftJIS.doc", "poi__Bug51890.doc", "tika__testWORD_macros.doc"} {
		in, err := os.ReadFile(filepath.Join(corpusRoot, "office", name))
		if err != nil {
			t.Skipf("corpus absent: %v", err)
		}
		c, err := openCFB(bytes.NewReader(in), int64(len(in)), DefaultMaxEntries)
		if err != nil {
			t.Fatal(err)
		}
		wd, err := c.open(c.find("WordDocument"))
		if err != nil {
			t.Fatal(err)
		}
		tbl := c.find("1Table")
		if tbl == nil {
			tbl = c.find("0Table")
		}
		tr, err := c.open(tbl)
		if err != nil {
			t.Fatal(err)
		}
		pcs, ok := pieceTable(wd, tr)
		if !ok {
			t.Errorf("%s: piece table not read", name)
			continue
		}
		s := &scanner{ctx: t.Context(), c: c, seen: map[[2]string]bool{}}
		m := &fieldMatcher{s: s, where: "WordDocument"}
		var chars int64
		for _, p := range pcs {
			chars += p.n
			b := make([]byte, p.n*map[bool]int64{true: 2, false: 1}[p.wide])
			wd.ReadAt(b, p.fc)
			for i := int64(0); i < p.n; i++ {
				if p.wide {
					m.feed(rune(binary.LittleEndian.Uint16(b[2*i:])))
				} else {
					m.feed(rune(b[i]))
				}
			}
		}
		m.end()
		t.Logf("%s: %d pieces, %d characters, findings %v", name, len(pcs), chars, s.findings)
		if want := name == "poi__Bug51890.doc"; want != (len(s.findings) > 0) {
			t.Errorf("%s: findings %+v", name, s.findings)
		}
		for _, f := range s.findings {
			if f.Rule != RuleExternal || f.Action != sanitize.Blocked {
				t.Errorf("%s: %+v", name, f)
			}
		}
	}
}
