package archive

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
)

// lzhFile is one member of a generated LZH archive: stored (-lh0-), with a
// header of the given level.
type lzhFile struct {
	name  []byte
	data  []byte
	level int
	mode  uint16 // unix mode for a level 2 0x50 extended header, 0 for none
}

func crc16(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = crc16Table[byte(c)^x] ^ c>>8
	}
	return c
}

// buildLZH writes files as an LZH archive, the way LHA lays out headers of
// level 0 and 2 (level 1 as level 0 plus an empty extended header chain).
func buildLZH(files []lzhFile) []byte {
	var b bytes.Buffer
	for _, f := range files {
		switch f.level {
		case 0, 1:
			var h bytes.Buffer
			h.Write([]byte{0, 0})
			h.WriteString("-lh0-")
			binary.Write(&h, binary.LittleEndian, uint32(len(f.data)))
			binary.Write(&h, binary.LittleEndian, uint32(len(f.data)))
			binary.Write(&h, binary.LittleEndian, uint32(0x5A210000))
			h.WriteByte(0x20)
			h.WriteByte(byte(f.level))
			h.WriteByte(byte(len(f.name)))
			h.Write(f.name)
			binary.Write(&h, binary.LittleEndian, crc16(f.data))
			if f.level == 1 {
				h.WriteByte('M')                                 // OS
				binary.Write(&h, binary.LittleEndian, uint16(0)) // no extended header
			}
			hb := h.Bytes()
			hb[0] = byte(len(hb) - 2)
			var sum byte
			for _, c := range hb[2:] {
				sum += c
			}
			hb[1] = sum
			b.Write(hb)
		case 2:
			var ext bytes.Buffer
			// filename extended header, then unix mode, then the end.
			binary.Write(&ext, binary.LittleEndian, uint16(3+len(f.name)))
			ext.WriteByte(0x01)
			ext.Write(f.name)
			if f.mode != 0 {
				binary.Write(&ext, binary.LittleEndian, uint16(5))
				ext.WriteByte(0x50)
				binary.Write(&ext, binary.LittleEndian, f.mode)
			}
			binary.Write(&ext, binary.LittleEndian, uint16(0))
			var h bytes.Buffer
			binary.Write(&h, binary.LittleEndian, uint16(24+ext.Len()))
			h.WriteString("-lh0-")
			binary.Write(&h, binary.LittleEndian, uint32(len(f.data)))
			binary.Write(&h, binary.LittleEndian, uint32(len(f.data)))
			binary.Write(&h, binary.LittleEndian, uint32(1700000000))
			h.WriteByte(0x20)
			h.WriteByte(2)
			binary.Write(&h, binary.LittleEndian, crc16(f.data))
			h.WriteByte('U')
			h.Write(ext.Bytes())
			b.Write(h.Bytes())
		}
		b.Write(f.data)
	}
	b.WriteByte(0)
	return b.Bytes()
}

func TestLZH(t *testing.T) {
	cases := []struct {
		name    string
		in      []byte
		blocked string
		want    map[string]string
	}{
		{"levels", buildLZH([]lzhFile{{name: []byte("a.txt"), data: []byte("zero"), level: 0},
			{name: []byte(`dir\b.txt`), data: []byte("one"), level: 1},
			{name: []byte("c.txt"), data: []byte("two"), level: 2}}),
			"", map[string]string{"a.txt": "zero", "dir/b.txt": "one", "c.txt": "two"}},
		{"cp932", buildLZH([]lzhFile{{name: sjis(`資料\予算表.txt`), data: []byte("x"), level: 0}, {name: sjis("議事録.txt"), data: []byte("y"), level: 2}}),
			"", map[string]string{"資料/予算表.txt": "x", "議事録.txt": "y"}},
		{"traversal", buildLZH([]lzhFile{{name: []byte(`..\..\evil.txt`), data: []byte("x")}}), RulePath, nil},
		{"absolute", buildLZH([]lzhFile{{name: []byte("/etc/x"), data: []byte("x"), level: 2}}), RulePath, nil},
		{"symlink", buildLZH([]lzhFile{{name: []byte("l|/etc/passwd"), level: 2, mode: 0o120777}}), RuleLink, nil},
		{"duplicate", buildLZH([]lzhFile{{name: []byte("a.txt"), data: []byte("1")}, {name: []byte("A.TXT"), data: []byte("2")}}), RuleDuplicate, nil},
		{"executable removed", buildLZH([]lzhFile{{name: []byte("a.exe"), data: []byte(mz)}}), "", map[string]string{"a.exe.removed.txt": "このファイル"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t, sanitize.Limits{})
			rep, out := run(t, eng, "in.lzh", tc.in)
			if tc.blocked != "" {
				if out != nil || !rules(rep, sanitize.Blocked)[tc.blocked] {
					t.Fatalf("%s %+v, want blocked by %s", rep.Outcome, rep.Findings, tc.blocked)
				}
				return
			}
			if out == nil {
				t.Fatalf("blocked: %+v %s", rep.Findings, rep.Error)
			}
			if rep.OutputType != "zip" {
				t.Errorf("output %s, want zip", rep.OutputType)
			}
			got := zipNames(t, out)
			for n, c := range tc.want {
				if !strings.HasPrefix(got[n], c) {
					t.Errorf("%q = %q, want prefix %q (have %q)", n, got[n], c, keys(got))
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("entries %q, want %q", keys(got), keys(tc.want))
			}
		})
	}
}

// TestLZHOracle decodes the corpus's -lh5-/-lh6-/-lh7- archives and
// compares every member with what lhasa (Debian "lhasa", an independent
// decoder) prints for it. Skips without lha or without the corpus.
func TestLZHOracle(t *testing.T) {
	lha, err := exec.LookPath("lha")
	if err != nil {
		t.Skip("lha (lhasa) not installed")
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "archive", "*.lzh"))
	if len(files) == 0 {
		t.Skip("no shared corpus")
	}
	checked := 0
	for _, f := range files {
		in, _ := os.ReadFile(f)
		ents, err := readLZH(bytes.NewReader(in), int64(len(in)), 1000)
		if err != nil {
			continue
		}
		for _, e := range ents {
			dict := map[string]int{"-lh5-": 13, "-lh6-": 15, "-lh7-": 16}[e.method]
			if dict == 0 || e.dir {
				continue
			}
			got, err := io.ReadAll(&crc16Reader{r: newLHDecoder(io.NewSectionReader(bytes.NewReader(in), e.dataOff, e.csize), dict, e.usize), want: e.crc, check: e.hasCRC})
			if err != nil {
				t.Errorf("%s %s: %v", filepath.Base(f), e.raw, err)
				continue
			}
			dir := t.TempDir()
			abs, _ := filepath.Abs(f)
			cmd := exec.Command(lha, "xq", abs)
			cmd.Dir = dir
			_ = cmd.Run()
			// lhasa lower-cases names from MS-DOS archives: find the file
			// ignoring case.
			var want []byte
			filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Mode().IsRegular() {
					rel, _ := filepath.Rel(dir, p)
					if strings.EqualFold(rel, strings.ReplaceAll(string(e.raw), `\`, "/")) {
						want, _ = os.ReadFile(p)
					}
				}
				return nil
			})
			if want == nil {
				continue // lhasa refused it (links, odd names)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s: differs from lhasa", filepath.Base(f), e.raw)
			}
			checked++
		}
	}
	t.Logf("%d compressed members identical to lhasa's", checked)
	if checked == 0 {
		t.Error("nothing compared")
	}
}

var _ = zip.Deflate

// FuzzLH: the -lh5-/-lh7- decoder never panics, never loops and never
// produces more than it was asked for.
func FuzzLH(f *testing.F) {
	f.Add([]byte{0x00, 0x05, 0x28, 0x00, 0x40, 0x12}, uint16(100))
	if files, _ := filepath.Glob(filepath.Join(corpusDir, "archive", "lhasa__*lh[57].lzh")); len(files) > 0 {
		for _, p := range files {
			in, _ := os.ReadFile(p)
			if ents, err := readLZH(bytes.NewReader(in), int64(len(in)), 10); err == nil && len(ents) > 0 {
				e := ents[0]
				f.Add(in[e.dataOff:e.dataOff+e.csize], uint16(min(e.usize, 60000)))
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, size uint16) {
		for _, dict := range []int{13, 16} {
			n, _ := io.Copy(io.Discard, newLHDecoder(bytes.NewReader(in), dict, int64(size)))
			if n > int64(size) {
				t.Fatalf("produced %d of %d", n, size)
			}
		}
	})
}

// FuzzLZHHeaders: the header reader never panics and stays within the
// input.
func FuzzLZHHeaders(f *testing.F) {
	f.Add(buildLZH([]lzhFile{{name: []byte("a.txt"), data: []byte("zero"), level: 0}, {name: []byte("c.txt"), data: []byte("two"), level: 2, mode: 0o100644}}))
	f.Add(buildLZH([]lzhFile{{name: []byte(`dir\b.txt`), data: []byte("one"), level: 1}}))
	f.Fuzz(func(t *testing.T, in []byte) {
		ents, err := readLZH(bytes.NewReader(in), int64(len(in)), 100)
		if err != nil {
			return
		}
		for _, e := range ents {
			if e.dataOff < 0 || e.csize < 0 || e.dataOff+e.csize > int64(len(in)) {
				t.Fatalf("entry out of range: %+v", e)
			}
		}
	})
}
