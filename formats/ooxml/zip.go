package ooxml

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mugai-project/mugai/sanitize"
)

// cdRecord is what we read ourselves from one central directory record
// (APPNOTE.TXT §4.3.12), to compare with the local header.
type cdRecord struct {
	name      string
	flags     uint16
	method    uint16
	crc       uint32
	csize     uint64
	hdrOffset uint64
}

// pkg is an opened, checked package.
type pkg struct {
	zr    *zip.Reader
	files []*zip.File          // parts (directory entries left out), in directory order
	byKey map[string]*zip.File // lower-case part name → entry
}

// openPackage reads the central directory with our limits before
// archive/zip sees it, then checks every entry: names, duplicates, the
// local header against the central directory, overlapping entries, declared
// sizes and ratios. A structural problem is returned as a blocking finding;
// an unreadable package as an error.
func openPackage(it *sanitize.Item, opt *Options) (*pkg, []sanitize.Finding, error) {
	return openZip(it, opt.MaxPartSize, ooxmlZipRules)
}

// ZipRules name the rules and the error prefix a zip-based format reports
// its structural problems under.
type ZipRules struct {
	Prefix    string // error prefix: "ooxml", "odf"
	Zip       string // directory and local headers disagree, overlaps
	Path      string // unsafe entry name
	Duplicate string // two names equal ignoring case
	Bomb      string // expands beyond the ratio limit
}

var ooxmlZipRules = ZipRules{Prefix: "ooxml", Zip: RuleZip, Path: RulePath, Duplicate: RuleDuplicate, Bomb: RuleBomb}

// Package is a zip package opened and checked by OpenZip.
type Package struct {
	Files []*zip.File          // entries (directories left out), in directory order
	ByKey map[string]*zip.File // lower-case name → entry
}

// OpenZip opens it.Src as a zip package with the checks and limits this
// package applies to OOXML (see the package documentation, "Reading"):
// MaxParts entries, maxPartSize expanded bytes per entry by declaration,
// MaxRatio, safe and unique names, local headers agreeing with the central
// directory, no overlaps. Structural problems come back as blocking
// findings under rules; an unreadable zip as an error wrapping
// sanitize.ErrMalformed (or ErrEncrypted, ErrTooLarge). Reading an entry's
// bytes is the caller's business: charge them with it.ExpandLimit.
func OpenZip(it *sanitize.Item, maxPartSize int64, rules ZipRules) (*Package, []sanitize.Finding, error) {
	p, fs, err := openZip(it, maxPartSize, rules)
	if p == nil {
		return nil, fs, err
	}
	return &Package{Files: p.files, ByKey: p.byKey}, fs, err
}

func openZip(it *sanitize.Item, maxPartSize int64, zr ZipRules) (*pkg, []sanitize.Finding, error) {
	src, size := it.Src, it.Src.Size()
	recs, fs, err := readDirectory(src, size, it.Limits.MaxParts, zr)
	if err != nil || len(fs) > 0 {
		return nil, fs, err
	}
	zrd, err := zip.NewReader(src, size)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: zip: %v: %w", zr.Prefix, err, sanitize.ErrMalformed)
	}
	if len(zrd.File) != len(recs) {
		return nil, []sanitize.Finding{block(zr.Zip, "", "central directory entry count disagrees")}, nil
	}
	p := &pkg{zr: zrd, byKey: make(map[string]*zip.File, len(zrd.File))}
	type span struct{ start, end uint64 }
	spans := make([]span, 0, len(recs))
	for i, f := range zrd.File {
		rec := recs[i]
		if rec.name != f.Name {
			return nil, []sanitize.Finding{block(zr.Zip, f.Name, "central directory disagrees with archive/zip")}, nil
		}
		if msg := badName(f.Name); msg != "" {
			fs = append(fs, block(zr.Path, f.Name, msg))
			continue
		}
		if f.Flags&1 != 0 {
			return nil, nil, fmt.Errorf("%s: %s: %w", zr.Prefix, f.Name, sanitize.ErrEncrypted)
		}
		end, msg := checkLocal(src, size, rec)
		if msg != "" {
			fs = append(fs, block(zr.Zip, f.Name, msg))
			continue
		}
		spans = append(spans, span{rec.hdrOffset, end})
		if strings.HasSuffix(f.Name, "/") {
			if f.UncompressedSize64 != 0 {
				fs = append(fs, block(zr.Zip, f.Name, "directory entry with content"))
			}
			continue
		}
		key := lowerASCII(f.Name)
		if _, dup := p.byKey[key]; dup {
			fs = append(fs, block(zr.Duplicate, f.Name, "two entries with the same name (ignoring case)"))
			continue
		}
		if f.UncompressedSize64 > uint64(maxPartSize) {
			return nil, nil, fmt.Errorf("%s: %s: %d bytes expanded, limit %d: %w", zr.Prefix, f.Name, f.UncompressedSize64, maxPartSize, sanitize.ErrTooLarge)
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64 > uint64(it.Limits.MaxRatio)*max(f.CompressedSize64, 1) {
			fs = append(fs, block(zr.Bomb, f.Name, fmt.Sprintf("expands %d times", f.UncompressedSize64/max(f.CompressedSize64, 1))))
			continue
		}
		p.byKey[key] = f
		p.files = append(p.files, f)
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.start < b.start {
			return -1
		}
		if a.start > b.start {
			return 1
		}
		return 0
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			fs = append(fs, block(zr.Zip, "", "entries overlap"))
			break
		}
	}
	return p, fs, nil
}

// ratioFloor: parts that expand to no more than this are not judged by
// ratio; a small part that compresses well is no bomb.
const ratioFloor = 1 << 20

// badName explains why a zip entry name is not a safe part name
// (ECMA-376-2 §6.2.2.2 and what extractors get wrong), or returns "".
func badName(n string) string {
	switch {
	case n == "":
		return "empty name"
	case strings.ContainsAny(n, "\\"):
		return "backslash in name"
	case strings.HasPrefix(n, "/"):
		return "absolute path"
	case len(n) >= 2 && n[1] == ':':
		return "drive letter in name"
	}
	for _, r := range n {
		if r < 0x20 || r == 0x7f {
			return "control character in name"
		}
	}
	segs := strings.Split(strings.TrimSuffix(n, "/"), "/")
	for _, s := range segs {
		switch {
		case s == "":
			return "empty path segment"
		case s == "." || s == "..":
			return "path traversal"
		case strings.HasSuffix(s, "."):
			return "segment ends with a dot"
		}
	}
	return ""
}

// readDirectory finds the end of central directory record the way
// archive/zip does (the last signature in the final 64 KiB + 22 bytes), bounds
// its entry count by maxParts and reads every record.
func readDirectory(r io.ReaderAt, size int64, maxParts int, zr ZipRules) ([]cdRecord, []sanitize.Finding, error) {
	const eocdLen = 22
	malformed := func(msg string) ([]cdRecord, []sanitize.Finding, error) {
		return nil, nil, fmt.Errorf("%s: zip: %s: %w", zr.Prefix, msg, sanitize.ErrMalformed)
	}
	n := min(size, 65535+eocdLen)
	if n < eocdLen {
		return malformed("too short")
	}
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("%s: %w", zr.Prefix, err)
	}
	p := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	for p >= 0 && p+eocdLen > len(tail) {
		p = bytes.LastIndex(tail[:p], []byte("PK\x05\x06"))
	}
	if p < 0 {
		return malformed("no end of central directory")
	}
	e := tail[p:]
	count := uint64(binary.LittleEndian.Uint16(e[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(e[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(e[16:]))
	if count == 0xFFFF || dirSize == 0xFFFFFFFF || dirOff == 0xFFFFFFFF {
		eocdOff := size - n + int64(p)
		var loc [20]byte
		if eocdOff < 20 {
			return malformed("zip64 locator missing")
		}
		if _, err := r.ReadAt(loc[:], eocdOff-20); err != nil || string(loc[:4]) != "PK\x06\x07" {
			return malformed("zip64 locator missing")
		}
		var end [56]byte
		off := binary.LittleEndian.Uint64(loc[8:])
		if off > uint64(size) {
			return malformed("zip64 record out of range")
		}
		if _, err := r.ReadAt(end[:], int64(off)); err != nil || string(end[:4]) != "PK\x06\x06" {
			return malformed("zip64 record missing")
		}
		count = binary.LittleEndian.Uint64(end[32:])
		dirSize = binary.LittleEndian.Uint64(end[40:])
		dirOff = binary.LittleEndian.Uint64(end[48:])
	}
	if count > uint64(maxParts) {
		return nil, []sanitize.Finding{{Rule: sanitize.RuleLimitParts, Action: sanitize.Blocked,
			Detail: fmt.Sprintf("%d entries, limit %d", count, maxParts)}}, nil
	}
	if dirOff > uint64(size) || dirSize > uint64(size)-dirOff {
		return malformed("central directory out of range")
	}
	dir := make([]byte, dirSize)
	if _, err := r.ReadAt(dir, int64(dirOff)); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("%s: %w", zr.Prefix, err)
	}
	recs := make([]cdRecord, 0, count)
	for len(dir) >= 46 && string(dir[:4]) == "PK\x01\x02" {
		if len(recs) >= maxParts {
			return nil, []sanitize.Finding{{Rule: sanitize.RuleLimitParts, Action: sanitize.Blocked,
				Detail: fmt.Sprintf("more than %d entries", maxParts)}}, nil
		}
		nameLen := int(binary.LittleEndian.Uint16(dir[28:]))
		extraLen := int(binary.LittleEndian.Uint16(dir[30:]))
		commentLen := int(binary.LittleEndian.Uint16(dir[32:]))
		total := 46 + nameLen + extraLen + commentLen
		if total > len(dir) {
			return malformed("central directory record truncated")
		}
		rec := cdRecord{
			flags:     binary.LittleEndian.Uint16(dir[8:]),
			method:    binary.LittleEndian.Uint16(dir[10:]),
			crc:       binary.LittleEndian.Uint32(dir[16:]),
			csize:     uint64(binary.LittleEndian.Uint32(dir[20:])),
			hdrOffset: uint64(binary.LittleEndian.Uint32(dir[42:])),
			name:      string(dir[46 : 46+nameLen]),
		}
		usize := uint64(binary.LittleEndian.Uint32(dir[24:]))
		extra := dir[46+nameLen : 46+nameLen+extraLen]
		for len(extra) >= 4 {
			id := binary.LittleEndian.Uint16(extra)
			l := int(binary.LittleEndian.Uint16(extra[2:]))
			if 4+l > len(extra) {
				break
			}
			if id == 1 { // zip64 extended information, APPNOTE §4.5.3
				f := extra[4 : 4+l]
				take := func(v *uint64) {
					if *v == 0xFFFFFFFF && len(f) >= 8 {
						*v = binary.LittleEndian.Uint64(f)
						f = f[8:]
					}
				}
				take(&usize)
				take(&rec.csize)
				take(&rec.hdrOffset)
			}
			extra = extra[4+l:]
		}
		recs = append(recs, rec)
		dir = dir[total:]
	}
	if uint64(len(recs)) != count {
		return nil, []sanitize.Finding{block(zr.Zip, "", "central directory entry count disagrees")}, nil
	}
	return recs, nil, nil
}

// checkLocal compares the local file header of rec (APPNOTE §4.3.7) with
// the central directory record and returns where the entry's data ends, or
// a message saying how they disagree.
func checkLocal(r io.ReaderAt, size int64, rec cdRecord) (uint64, string) {
	var h [30]byte
	if rec.hdrOffset > uint64(size) {
		return 0, "local header out of range"
	}
	if _, err := r.ReadAt(h[:], int64(rec.hdrOffset)); err != nil || string(h[:4]) != "PK\x03\x04" {
		return 0, "local header missing"
	}
	nameLen := uint64(binary.LittleEndian.Uint16(h[26:]))
	extraLen := uint64(binary.LittleEndian.Uint16(h[28:]))
	name := make([]byte, nameLen)
	if _, err := r.ReadAt(name, int64(rec.hdrOffset)+30); err != nil {
		return 0, "local header truncated"
	}
	if string(name) != rec.name {
		return 0, "local header names another file"
	}
	if binary.LittleEndian.Uint16(h[8:]) != rec.method {
		return 0, "local header has another compression method"
	}
	if binary.LittleEndian.Uint16(h[6:])&8 == 0 && rec.flags&8 == 0 {
		if binary.LittleEndian.Uint32(h[14:]) != rec.crc {
			return 0, "local header has another CRC"
		}
		if cs := uint64(binary.LittleEndian.Uint32(h[18:])); cs != 0xFFFFFFFF && cs != rec.csize {
			return 0, "local header has another size"
		}
	}
	end := rec.hdrOffset + 30 + nameLen + extraLen + rec.csize
	if end > uint64(size) {
		return 0, "entry data out of range"
	}
	return end, ""
}

func block(rule, where, detail string) sanitize.Finding {
	return sanitize.Finding{Rule: rule, Where: where, Action: sanitize.Blocked, Detail: detail}
}
