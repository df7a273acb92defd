package detect

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf16"
)

// Limits of the OLE2 / Compound File Binary sniffer ([MS-CFB]).
const (
	oleMaxDirEntries = 1024 // directory entries read (128 bytes each)
	oleMaxDIFATHops  = 64   // DIFAT sectors followed to find one FAT sector
	oleHeaderLen     = 512
	oleDirEntryLen   = 128
)

// Special sector numbers ([MS-CFB] §2.1).
const (
	oleMaxRegSect  = 0xFFFFFFFA
	oleEndOfChain  = 0xFFFFFFFE
	oleTypeStorage = 1
	oleTypeStream  = 2
	oleTypeRoot    = 5
)

// MSI database, patch and transform root storage CLSIDs
// ({000C1084,000C1086,000C1082-0000-0000-C000-000000000046}) in their on-disk
// (mixed-endian) byte order.
var msiCLSIDs = [][]byte{
	{0x84, 0x10, 0x0C, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46},
	{0x86, 0x10, 0x0C, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46},
	{0x82, 0x10, 0x0C, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46},
}

// oleEntry is the part of a directory entry ([MS-CFB] §2.6.1) we use.
type oleEntry struct {
	name               string
	typ                byte
	left, right, child uint32
	clsid              [16]byte
}

// sniffOLE classifies a compound file by its root storage: the root CLSID
// or MSI tables → MSI; an EncryptedPackage stream (an encrypted OOXML file,
// [MS-OFFCRYPTO] §2.3.4.4) → OLE; root-level WordDocument → DOC,
// Workbook/Book → XLS, "PowerPoint Document" → PPT, __substg1.0_* or
// __properties_version1.0 → MSG; anything else, and any malformed file
// (bad header, FAT chain loop, chain outside the file), → OLE.
//
// It reads the 512-byte header from buf, then follows the directory's FAT
// chain with single 4-byte reads, at most oleMaxDirEntries entries, each
// sector once. When the cap cuts the directory short, the entries read so
// far decide.
func sniffOLE(r *budgetReaderAt, size int64, buf []byte) Kind {
	if len(buf) < oleHeaderLen {
		return OLE
	}
	h := buf[:oleHeaderLen]
	if binary.LittleEndian.Uint16(h[0x1C:]) != 0xFFFE {
		return OLE
	}
	shift := binary.LittleEndian.Uint16(h[0x1E:])
	if shift != 9 && shift != 12 {
		return OLE
	}
	c := &cfb{r: r, size: size, hdr: h, secSize: 1 << shift}
	entries, ok := c.directory(binary.LittleEndian.Uint32(h[0x30:]))
	if !ok || r.exhausted || len(entries) == 0 || entries[0].typ != oleTypeRoot {
		return OLE
	}
	root := entries[0]
	for _, id := range msiCLSIDs {
		if bytes.Equal(root.clsid[:], id) {
			return MSI
		}
	}
	var word, excel, ppt, msg, encrypted, summary, msiTable bool
	for _, e := range rootChildren(entries) {
		n := e.name
		switch {
		case strings.EqualFold(n, "WordDocument"):
			word = true
		case strings.EqualFold(n, "Workbook"), strings.EqualFold(n, "Book"):
			excel = true
		case strings.EqualFold(n, "PowerPoint Document"):
			ppt = true
		case strings.EqualFold(n, "EncryptedPackage"):
			encrypted = true
		case n == "\x05SummaryInformation":
			summary = true
		case strings.HasPrefix(strings.ToLower(n), "__substg1.0_"),
			strings.EqualFold(n, "__properties_version1.0"):
			msg = true
		case strings.HasPrefix(n, "\u4840"):
			msiTable = true // MSI table streams: names encoded, prefixed U+4840
		}
	}
	switch {
	case summary && msiTable:
		return MSI
	case encrypted:
		return OLE
	case word:
		return DOC
	case excel:
		return XLS
	case ppt:
		return PPT
	case msg:
		return MSG
	}
	return OLE
}

// cfb reads the directory of one compound file through a budgetReaderAt.
type cfb struct {
	r       *budgetReaderAt
	size    int64
	hdr     []byte
	secSize int64
}

// sectorOffset returns the file offset of sector s, or false if s is not a
// regular sector inside the file.
func (c *cfb) sectorOffset(s uint32) (int64, bool) {
	if s >= oleMaxRegSect {
		return 0, false
	}
	off := (int64(s) + 1) * c.secSize
	return off, off < c.size
}

// u32 reads a little-endian uint32 at off.
func (c *cfb) u32(off int64) (uint32, bool) {
	var b [4]byte
	if !readAt(c.r, b[:], off) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b[:]), true
}

// next returns the FAT entry for sector s: the next sector of its chain. The
// FAT sector holding it is found in the header's 109 DIFAT slots or by
// following at most oleMaxDIFATHops DIFAT sectors ([MS-CFB] §2.5).
func (c *cfb) next(s uint32) (uint32, bool) {
	perSector := uint32(c.secSize / 4)
	idx := s / perSector
	var fatSec uint32
	if idx < 109 {
		fatSec = binary.LittleEndian.Uint32(c.hdr[0x4C+4*idx:])
	} else {
		perDIFAT := perSector - 1 // the last slot links to the next DIFAT sector
		hops := (idx - 109) / perDIFAT
		if hops >= oleMaxDIFATHops {
			return 0, false
		}
		d := binary.LittleEndian.Uint32(c.hdr[0x44:])
		for range hops {
			off, ok := c.sectorOffset(d)
			if !ok {
				return 0, false
			}
			if d, ok = c.u32(off + int64(perDIFAT)*4); !ok {
				return 0, false
			}
		}
		off, ok := c.sectorOffset(d)
		if !ok {
			return 0, false
		}
		if fatSec, ok = c.u32(off + int64((idx-109)%perDIFAT)*4); !ok {
			return 0, false
		}
	}
	off, ok := c.sectorOffset(fatSec)
	if !ok {
		return 0, false
	}
	return c.u32(off + int64(s%perSector)*4)
}

// directory reads directory entries along the chain starting at sector
// first. It fails on a chain that loops, leaves the file or cannot be read;
// it stops early, successfully, at oleMaxDirEntries.
func (c *cfb) directory(first uint32) ([]oleEntry, bool) {
	var entries []oleEntry
	seen := make(map[uint32]bool)
	sec := make([]byte, c.secSize)
	for s := first; s != oleEndOfChain; {
		if seen[s] {
			return nil, false // FAT chain loop
		}
		seen[s] = true
		off, ok := c.sectorOffset(s)
		if !ok {
			return nil, false
		}
		n, _ := c.r.ReadAt(sec, off)
		for i := 0; i+oleDirEntryLen <= n; i += oleDirEntryLen {
			entries = append(entries, parseDirEntry(sec[i:i+oleDirEntryLen]))
			if len(entries) >= oleMaxDirEntries {
				return entries, true
			}
		}
		if int64(n) < c.secSize {
			break // truncated last sector: use what we have
		}
		if s, ok = c.next(s); !ok {
			return nil, false
		}
	}
	return entries, true
}

// parseDirEntry decodes one 128-byte directory entry. The name is up to 31
// UTF-16LE code units; its length field counts bytes including the NUL.
func parseDirEntry(b []byte) oleEntry {
	e := oleEntry{
		typ:   b[0x42],
		left:  binary.LittleEndian.Uint32(b[0x44:]),
		right: binary.LittleEndian.Uint32(b[0x48:]),
		child: binary.LittleEndian.Uint32(b[0x4C:]),
	}
	copy(e.clsid[:], b[0x50:0x60])
	units := int(binary.LittleEndian.Uint16(b[0x40:]))/2 - 1
	units = max(0, min(units, 31))
	u := make([]uint16, units)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	e.name = string(utf16.Decode(u))
	return e
}

// rootChildren returns the entries of the root storage's sibling tree (the
// red-black tree hanging off the root's child pointer), visiting each entry
// at most once. Sub-storages are not entered.
func rootChildren(entries []oleEntry) []oleEntry {
	var out []oleEntry
	visited := make([]bool, len(entries))
	stack := []uint32{entries[0].child}
	visited[0] = true
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id >= uint32(len(entries)) || visited[id] {
			continue
		}
		visited[id] = true
		e := entries[id]
		if e.typ != oleTypeStream && e.typ != oleTypeStorage {
			continue
		}
		out = append(out, e)
		stack = append(stack, e.left, e.right)
	}
	return out
}
