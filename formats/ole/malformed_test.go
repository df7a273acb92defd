package ole

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// TestMalformed breaks valid fixtures in the ways hostile files do: every
// one must fail closed (an error the engine turns into a block) and
// quickly.
func TestMalformed(t *testing.T) {
	base := buildCFB(cleanDoc...)
	big := buildCFB(fixtureCases[1].nodes...)
	dirStart := func(b []byte) uint32 { return binary.LittleEndian.Uint32(b[0x30:]) }
	setFAT := func(b []byte, s, v uint32) { binary.LittleEndian.PutUint32(b[512+4*s:], v) }
	entry := func(b []byte, id int) []byte {
		return b[512*(int(dirStart(b))+1)+128*id:]
	}
	for _, tc := range []struct {
		name string
		in   []byte
		mut  func(b []byte)
	}{
		{"directory chain loops", base, func(b []byte) { setFAT(b, dirStart(b), dirStart(b)) }},
		{"directory chain runs into the FAT", base, func(b []byte) { setFAT(b, dirStart(b), 0) }},
		{"chain leaves the file", big, func(b []byte) { setFAT(b, dirStart(b), 0x00FFFFFF) }},
		{"sibling cycle", base, func(b []byte) { binary.LittleEndian.PutUint32(entry(b, 1)[0x48:], 1) }},
		{"child points at root", base, func(b []byte) { binary.LittleEndian.PutUint32(entry(b, 0)[0x4C:], 0) }},
		{"stream with children", base, func(b []byte) { binary.LittleEndian.PutUint32(entry(b, 1)[0x4C:], 2) }},
		{"bad sector shift", base, func(b []byte) { b[0x1E] = 7 }},
		{"FAT count huge", base, func(b []byte) { binary.LittleEndian.PutUint32(b[0x2C:], 1<<30) }},
		{"stream size huge", big, func(b []byte) {
			for id := 1; id < 4; id++ {
				binary.LittleEndian.PutUint64(entry(b, id)[0x78:], 1<<40)
			}
		}},
		{"mini stream sector outside", base, func(b []byte) {
			for id := 1; id < 5; id++ {
				if e := entry(b, id); e[0x42] == typeStream {
					binary.LittleEndian.PutUint32(e[0x74:], 0x7FFFFF)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]byte(nil), tc.in...)
			tc.mut(in)
			res, err := scanBytes(t, in, detect.DOC, Options{})
			if err == nil && !blocked(res.Findings) {
				t.Fatalf("not refused: %+v", res.Findings)
			}
			if err != nil && !errors.Is(err, sanitize.ErrMalformed) && !errors.Is(err, sanitize.ErrTooLarge) {
				t.Errorf("error %v, want malformed or too large", err)
			}
		})
	}
	// Cut anywhere but in the last sector (which may be only padding).
	for n := 0; n <= len(base)-512; n += 97 {
		if _, err := scanBytes(t, base[:n], detect.DOC, Options{}); err == nil {
			t.Errorf("truncated to %d bytes: accepted", n)
		}
	}
}

func blocked(fs []sanitize.Finding) bool {
	for _, f := range fs {
		if f.Action == sanitize.Blocked {
			return true
		}
	}
	return false
}

// TestMaxEntries checks the directory bound at N (read) and N-1 (refused:
// limit.parts).
func TestMaxEntries(t *testing.T) {
	in := buildCFB(cleanDoc...)
	c, err := openCFB(bytesReaderAt(in), int64(len(in)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	n := len(c.entries)
	if res, err := scanBytes(t, in, detect.DOC, Options{MaxEntries: n}); err != nil || len(res.Findings) != 0 {
		t.Errorf("MaxEntries %d: %v %+v", n, err, res.Findings)
	}
	res, err := scanBytes(t, in, detect.DOC, Options{MaxEntries: n - 1})
	if err != nil || len(res.Findings) != 1 || res.Findings[0].Rule != sanitize.RuleLimitParts {
		t.Errorf("MaxEntries %d: %v %+v", n-1, err, res.Findings)
	}
}

// TestRulesDescribed: every rule this package emits is explained.
func TestRulesDescribed(t *testing.T) {
	for _, r := range []string{RuleVBA, RuleXLM, RuleObject, RuleActiveX, RuleEncrypted, RuleDDE, RuleExternal, RuleAction, RuleLegacy, RuleConverted, RuleDefaultPW} {
		if sanitize.DescribeRule(r, "en") == r {
			t.Errorf("%s is not in sanitize.RuleTable", r)
		}
	}
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
