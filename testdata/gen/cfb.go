package main

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode/utf16"
)

// A tiny writer of Compound File Binary files ([MS-CFB]), enough for the
// detection fixtures: one root storage holding streams (no sub-storages),
// streams below the 4096-byte cutoff kept in the mini stream, one FAT
// sector, one MiniFAT sector. It writes version 3 (512-byte sectors) or
// version 4 (4096-byte sectors).

const (
	cfbFreeSect   = 0xFFFFFFFF
	cfbEndOfChain = 0xFFFFFFFE
	cfbFATSect    = 0xFFFFFFFD
	cfbNoStream   = 0xFFFFFFFF
	cfbMiniSize   = 64
	cfbMiniCutoff = 4096
)

// cfbStream is one stream in the root storage.
type cfbStream struct {
	name string
	data []byte
}

// cfbFile describes a compound file to write.
type cfbFile struct {
	v4        bool     // 4096-byte sectors
	rootCLSID [16]byte // CLSID of the root storage
	streams   []cfbStream
	// loopDir makes the directory's FAT chain point back to itself, a
	// malformed file the detector must survive.
	loopDir bool
}

// cfbLess orders directory entries as [MS-CFB] §2.6.4 requires: shorter
// names first, then by upper-cased code units.
func cfbLess(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	if len(ua) != len(ub) {
		return len(ua) - len(ub)
	}
	return strings.Compare(strings.ToUpper(a), strings.ToUpper(b))
}

func (f cfbFile) bytes() []byte {
	secSize := 512
	if f.v4 {
		secSize = 4096
	}
	perSec := secSize / 4

	streams := slices.Clone(f.streams)
	slices.SortFunc(streams, func(a, b cfbStream) int { return cfbLess(a.name, b.name) })

	// Mini stream: every small stream, padded to 64-byte mini sectors.
	var mini []byte
	miniStart := make([]uint32, len(streams))
	var miniFAT []uint32
	for i, s := range streams {
		if len(s.data) >= cfbMiniCutoff {
			continue
		}
		n := (len(s.data) + cfbMiniSize - 1) / cfbMiniSize
		if n == 0 {
			miniStart[i] = cfbEndOfChain
			continue
		}
		first := uint32(len(miniFAT))
		miniStart[i] = first
		for j := range n {
			if j == n-1 {
				miniFAT = append(miniFAT, cfbEndOfChain)
			} else {
				miniFAT = append(miniFAT, first+uint32(j)+1)
			}
		}
		padded := make([]byte, n*cfbMiniSize)
		copy(padded, s.data)
		mini = append(mini, padded...)
	}

	// Sector plan: 0 FAT, then directory, MiniFAT, mini stream, big streams.
	entries := 1 + len(streams)
	dirSecs := (entries*128 + secSize - 1) / secSize
	fat := []uint32{cfbFATSect}
	next := func(n int) uint32 { // allocate a chain of n sectors
		if n == 0 {
			return cfbEndOfChain
		}
		first := uint32(len(fat))
		for j := range n {
			if j == n-1 {
				fat = append(fat, cfbEndOfChain)
			} else {
				fat = append(fat, first+uint32(j)+1)
			}
		}
		return first
	}
	dirStart := next(dirSecs)
	if f.loopDir {
		fat[dirStart+uint32(dirSecs)-1] = dirStart
	}
	miniFATSecs := 0
	if len(miniFAT) > 0 {
		miniFATSecs = (len(miniFAT)*4 + secSize - 1) / secSize
	}
	miniFATStart := next(miniFATSecs)
	miniSecs := (len(mini) + secSize - 1) / secSize
	miniStreamStart := next(miniSecs)
	bigStart := make([]uint32, len(streams))
	for i, s := range streams {
		if len(s.data) >= cfbMiniCutoff {
			bigStart[i] = next((len(s.data) + secSize - 1) / secSize)
		}
	}
	if len(fat) > perSec {
		panic("cfb: fixture too large for one FAT sector")
	}

	out := make([]byte, secSize*(1+len(fat)))
	le := binary.LittleEndian
	sector := func(s uint32) []byte { o := (int(s) + 1) * secSize; return out[o : o+secSize] }

	// Header ([MS-CFB] §2.2).
	h := out[:512]
	copy(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(h[0x18:], 0x3E)
	if f.v4 {
		le.PutUint16(h[0x1A:], 4)
		le.PutUint16(h[0x1E:], 12)
		le.PutUint32(h[0x28:], uint32(dirSecs))
	} else {
		le.PutUint16(h[0x1A:], 3)
		le.PutUint16(h[0x1E:], 9)
	}
	le.PutUint16(h[0x1C:], 0xFFFE)
	le.PutUint16(h[0x20:], 6)
	le.PutUint32(h[0x2C:], 1) // FAT sectors
	le.PutUint32(h[0x30:], dirStart)
	le.PutUint32(h[0x38:], cfbMiniCutoff)
	if miniFATSecs > 0 {
		le.PutUint32(h[0x3C:], miniFATStart)
	} else {
		le.PutUint32(h[0x3C:], cfbEndOfChain)
	}
	le.PutUint32(h[0x40:], uint32(miniFATSecs))
	le.PutUint32(h[0x44:], cfbEndOfChain)
	for i := 0; i < 109; i++ {
		le.PutUint32(h[0x4C+4*i:], cfbFreeSect)
	}
	le.PutUint32(h[0x4C:], 0) // the FAT is sector 0

	// FAT.
	fs := sector(0)
	for i := range perSec {
		v := uint32(cfbFreeSect)
		if i < len(fat) {
			v = fat[i]
		}
		le.PutUint32(fs[4*i:], v)
	}

	// MiniFAT.
	if miniFATSecs > 0 {
		m := out[(int(miniFATStart)+1)*secSize : (int(miniFATStart)+1+miniFATSecs)*secSize]
		for i := range len(m) / 4 {
			v := uint32(cfbFreeSect)
			if i < len(miniFAT) {
				v = miniFAT[i]
			}
			le.PutUint32(m[4*i:], v)
		}
	}
	if miniSecs > 0 {
		copy(out[(int(miniStreamStart)+1)*secSize:], mini)
	}
	for i, s := range streams {
		if len(s.data) >= cfbMiniCutoff {
			copy(out[(int(bigStart[i])+1)*secSize:], s.data)
		}
	}

	// Directory: the root, then the streams as a balanced binary search tree
	// coloured so that it is a valid red-black tree.
	dir := out[(int(dirStart)+1)*secSize : (int(dirStart)+1+dirSecs)*secSize]
	left := make([]uint32, len(streams))
	right := make([]uint32, len(streams))
	red := make([]bool, len(streams))
	var build func(lo, hi, depth int) uint32
	maxDepth := 0
	for n := len(streams); n > 0; n /= 2 {
		maxDepth++
	}
	perfect := len(streams)&(len(streams)+1) == 0
	build = func(lo, hi, depth int) uint32 {
		if lo >= hi {
			return cfbNoStream
		}
		mid := (lo + hi) / 2
		left[mid] = build(lo, mid, depth+1)
		right[mid] = build(mid+1, hi, depth+1)
		red[mid] = !perfect && depth == maxDepth-1
		return uint32(mid + 1) // entry ids: root is 0
	}
	child := build(0, len(streams), 0)

	put := func(id int, name string, typ byte, isRed bool, l, r, c uint32, clsid []byte, start uint32, size uint64) {
		e := dir[id*128 : id*128+128]
		u := utf16.Encode([]rune(name))
		for i, cu := range u {
			le.PutUint16(e[2*i:], cu)
		}
		le.PutUint16(e[0x40:], uint16(2*(len(u)+1)))
		e[0x42] = typ
		e[0x43] = 1
		if isRed {
			e[0x43] = 0
		}
		le.PutUint32(e[0x44:], l)
		le.PutUint32(e[0x48:], r)
		le.PutUint32(e[0x4C:], c)
		copy(e[0x50:], clsid)
		le.PutUint32(e[0x74:], start)
		le.PutUint64(e[0x78:], size)
	}
	// Unused entries: NOSTREAM pointers.
	for id := entries; id < len(dir)/128; id++ {
		e := dir[id*128:]
		le.PutUint32(e[0x44:], cfbNoStream)
		le.PutUint32(e[0x48:], cfbNoStream)
		le.PutUint32(e[0x4C:], cfbNoStream)
	}
	rootStart := miniStreamStart
	put(0, "Root Entry", 5, false, cfbNoStream, cfbNoStream, child, f.rootCLSID[:], rootStart, uint64(len(mini)))
	for i, s := range streams {
		start := miniStart[i]
		if len(s.data) >= cfbMiniCutoff {
			start = bigStart[i]
		}
		put(i+1, s.name, 2, red[i], left[i], right[i], cfbNoStream, nil, start, uint64(len(s.data)))
	}
	return out
}
