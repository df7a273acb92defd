package archive

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"

	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// newEngine is an engine with this package for the archive kinds and the
// text sanitizer for members; every other kind is denied, so a member
// such as an executable is removed.
func newEngine(t testing.TB, lim sanitize.Limits) *sanitize.Engine {
	t.Helper()
	arc := New(Options{})
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{
			detect.ZIP: arc, detect.TAR: arc, detect.GZIP: arc, detect.SevenZ: arc,
			detect.BZIP2: arc, detect.XZ: arc, detect.LZH: arc,
			detect.Text: text.New(text.Options{}), detect.CSV: text.New(text.Options{}),
		},
		Mode: func(k sanitize.Kind) sanitize.Mode {
			switch k {
			case detect.ZIP, detect.TAR, detect.GZIP, detect.SevenZ, detect.BZIP2, detect.XZ, detect.LZH, detect.Text, detect.CSV:
				return sanitize.ModeSanitize
			case detect.Empty:
				return sanitize.ModeVerify
			}
			return sanitize.ModeBlock
		},
		Limits:  lim,
		TempDir: t.TempDir(),
	}
}

// run sanitizes in as name and returns the report and the output bytes
// (nil when blocked).
func run(t testing.TB, eng *sanitize.Engine, name string, in []byte) (*sanitize.Report, []byte) {
	t.Helper()
	rep, out, err := eng.RunBlob(t.Context(), sanitize.BlobBytes(in), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return rep, sanitizetest.Output(t, out)
}

// rawEntry is one entry of a zip built byte by byte, so that tests can
// write what archive/zip refuses to: wrong flags, links, overlaps, lies.
type rawEntry struct {
	name      []byte
	data      []byte // stored as is (method 0) unless comp is set
	comp      []byte // compressed bytes for method
	method    uint16
	flags     uint16
	madeBy    uint16
	extAttr   uint32
	extra     []byte // central and local
	cdName    []byte // central name when it differs from the local one
	usize     int64  // declared size when >= 0 (default: len(data))
	offset    int64  // central record's header offset when >= 0 (default: where it was written)
	zip64     bool   // write sizes and offset through the ZIP64 extra field
	skipLocal bool   // write no local header or data (points at offset)
}

// buildZip writes entries as a zip, with ZIP64 end records when any entry
// uses ZIP64.
func buildZip(entries []rawEntry) []byte {
	var b bytes.Buffer
	le := func(vs []any) {
		for _, v := range vs {
			_ = binary.Write(&b, binary.LittleEndian, v)
		}
	}
	offs := make([]int64, len(entries))
	any64 := false
	for i := range entries {
		e := &entries[i]
		if e.usize == 0 && len(e.data) > 0 {
			e.usize = int64(len(e.data))
		}
		if e.comp == nil {
			e.comp = e.data
		}
		any64 = any64 || e.zip64
		offs[i] = int64(b.Len())
		if e.skipLocal {
			continue
		}
		crc := crc32.ChecksumIEEE(e.data)
		b.WriteString("PK\x03\x04")
		extra := e.extra
		csz, usz := uint32(len(e.comp)), uint32(e.usize)
		if e.zip64 {
			csz, usz = 0xFFFFFFFF, 0xFFFFFFFF
			var x bytes.Buffer
			for _, v := range []any{uint16(1), uint16(16), uint64(e.usize), uint64(len(e.comp))} {
				_ = binary.Write(&x, binary.LittleEndian, v)
			}
			extra = append(x.Bytes(), extra...)
		}
		le([]any{uint16(45), e.flags, e.method, uint16(0), uint16(0x5A21), crc, csz, usz, uint16(len(e.name)), uint16(len(extra))})
		b.Write(e.name)
		b.Write(extra)
		b.Write(e.comp)
	}
	cdStart := int64(b.Len())
	for i, e := range entries {
		off := offs[i]
		if e.offset >= 0 && (e.offset > 0 || e.skipLocal) {
			off = e.offset
		}
		name := e.name
		if e.cdName != nil {
			name = e.cdName
		}
		extra := e.extra
		csz, usz, o32 := uint32(len(e.comp)), uint32(e.usize), uint32(off)
		if e.zip64 {
			csz, usz, o32 = 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF
			var x bytes.Buffer
			for _, v := range []any{uint16(1), uint16(24), uint64(e.usize), uint64(len(e.comp)), uint64(off)} {
				_ = binary.Write(&x, binary.LittleEndian, v)
			}
			extra = append(x.Bytes(), extra...)
		}
		b.WriteString("PK\x01\x02")
		le([]any{e.madeBy, uint16(45), e.flags, e.method, uint16(0), uint16(0x5A21), crc32.ChecksumIEEE(e.data), csz, usz,
			uint16(len(name)), uint16(len(extra)), uint16(0), uint16(0), uint16(0), e.extAttr, o32})
		b.Write(name)
		b.Write(extra)
	}
	cdEnd := int64(b.Len())
	n := len(entries)
	if any64 {
		b.WriteString("PK\x06\x06")
		le([]any{uint64(44), uint16(45), uint16(45), uint32(0), uint32(0), uint64(n), uint64(n), uint64(cdEnd - cdStart), uint64(cdStart)})
		b.WriteString("PK\x06\x07")
		le([]any{uint32(0), uint64(cdEnd), uint32(1)})
		b.WriteString("PK\x05\x06")
		le([]any{uint16(0), uint16(0), uint16(0xFFFF), uint16(0xFFFF), uint32(0xFFFFFFFF), uint32(0xFFFFFFFF), uint16(0)})
		return b.Bytes()
	}
	b.WriteString("PK\x05\x06")
	le([]any{uint16(0), uint16(0), uint16(n), uint16(n), uint32(cdEnd - cdStart), uint32(cdStart), uint16(0)})
	return b.Bytes()
}

// stdZip writes files with archive/zip (deflate, UTF-8 names flagged).
func stdZip(t testing.TB, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rules lists the rules of r's findings with action at least min, r's
// children included.
func rules(r *sanitize.Report, min sanitize.Action) map[string]bool {
	m := map[string]bool{}
	r.Walk(func(_ int, c *sanitize.Report) {
		for _, f := range c.Findings {
			if f.Action >= min {
				m[f.Rule] = true
			}
		}
	})
	return m
}

// zipNames lists the output's entry names and checks that every non-ASCII
// one has the UTF-8 flag.
func zipNames(t testing.TB, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("output does not open: %v", err)
	}
	m := map[string]string{}
	for _, f := range zr.File {
		if f.NonUTF8 || (!isASCII([]byte(f.Name)) && f.Flags&0x800 == 0) {
			t.Errorf("%q: UTF-8 flag not set", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		c, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		m[f.Name] = string(c)
	}
	return m
}
