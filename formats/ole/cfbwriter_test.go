package ole

import (
	"bytes"
	"encoding/binary"
	"sort"
	"strings"
	"unicode/utf16"
)

// A small compound file writer for test fixtures ([MS-CFB] version 3,
// 512-byte sectors). Streams under 4096 bytes go to the mini stream. Every
// storage's children hang as a chain of right siblings (all black), which
// readers accept. It is written here so that no third-party file is
// committed.

type node struct {
	name     string
	data     []byte // streams
	children []*node
	storage  bool
	clsid    [16]byte
}

func stream(name string, data []byte) *node { return &node{name: name, data: data} }
func storage(name string, ch ...*node) *node {
	return &node{name: name, storage: true, children: ch}
}

// buildCFB lays out root's children as a compound file.
func buildCFB(root ...*node) []byte {
	const sec = 512
	type dent struct {
		n                  *node
		left, right, child uint32
		start              uint32
		size               uint64
		typ                byte
	}
	var ents []*dent
	ents = append(ents, &dent{n: &node{name: "Root Entry"}, left: noStream, right: noStream, child: noStream, typ: typeRoot})
	var add func(parent *dent, ch []*node)
	add = func(parent *dent, ch []*node) {
		sorted := append([]*node(nil), ch...)
		sort.SliceStable(sorted, func(i, j int) bool { return cfbLess(sorted[i].name, sorted[j].name) })
		var prev *dent
		for _, c := range sorted {
			d := &dent{n: c, left: noStream, right: noStream, child: noStream, typ: typeStream}
			if c.storage {
				d.typ = typeStorage
			}
			id := uint32(len(ents))
			ents = append(ents, d)
			if prev == nil {
				parent.child = id
			} else {
				prev.right = id
			}
			prev = d
			if c.storage {
				add(d, c.children)
			}
		}
	}
	add(ents[0], root)

	// Mini stream and big streams.
	var mini []byte
	var miniFAT []uint32
	var bigs [][]byte
	var bigOwners []*dent
	for _, d := range ents[1:] {
		if d.typ != typeStream {
			continue
		}
		d.size = uint64(len(d.n.data))
		switch {
		case len(d.n.data) == 0:
			d.start = endOfChain
		case len(d.n.data) < 4096:
			d.start = uint32(len(mini) / miniSecSize)
			n := (len(d.n.data) + miniSecSize - 1) / miniSecSize
			for i := range n {
				if i == n-1 {
					miniFAT = append(miniFAT, endOfChain)
				} else {
					miniFAT = append(miniFAT, d.start+uint32(i)+1)
				}
			}
			mini = append(mini, d.n.data...)
			mini = append(mini, make([]byte, n*miniSecSize-len(d.n.data))...)
		default:
			bigs = append(bigs, d.n.data)
			bigOwners = append(bigOwners, d)
		}
	}
	secs := func(n int) int { return (n + sec - 1) / sec }
	nDir := secs(len(ents) * dirEntryLen)
	nMiniFAT := secs(len(miniFAT) * 4)
	nMini := secs(len(mini))
	nBig := 0
	for _, b := range bigs {
		nBig += secs(len(b))
	}
	nFAT := 1
	for (nFAT+nDir+nMiniFAT+nMini+nBig)*4 > nFAT*sec {
		nFAT++
	}
	total := nFAT + nDir + nMiniFAT + nMini + nBig
	fat := make([]uint32, nFAT*sec/4)
	for i := range fat {
		fat[i] = freeSect
	}
	next := uint32(0)
	chain := func(n int) uint32 {
		if n == 0 {
			return endOfChain
		}
		start := next
		for i := range n {
			if i == n-1 {
				fat[next] = endOfChain
			} else {
				fat[next] = next + 1
			}
			next++
		}
		return start
	}
	for i := 0; i < nFAT; i++ {
		fat[next] = 0xFFFFFFFD // FATSECT
		next++
	}
	dirStart := chain(nDir)
	miniFATStart := chain(nMiniFAT)
	ents[0].start = chain(nMini)
	ents[0].size = uint64(len(mini))
	for i, b := range bigs {
		bigOwners[i].start = chain(secs(len(b)))
	}
	sectors := make([][]byte, total)
	for i := range sectors {
		sectors[i] = make([]byte, sec)
	}
	for i := 0; i < nFAT; i++ {
		for j := 0; j < sec/4; j++ {
			binary.LittleEndian.PutUint32(sectors[i][4*j:], fat[i*sec/4+j])
		}
	}
	var dir bytes.Buffer
	for _, d := range ents {
		var b [dirEntryLen]byte
		u := utf16.Encode([]rune(d.n.name))
		for i, c := range u {
			binary.LittleEndian.PutUint16(b[2*i:], c)
		}
		binary.LittleEndian.PutUint16(b[0x40:], uint16(2*len(u)+2))
		b[0x42] = d.typ
		b[0x43] = 1
		binary.LittleEndian.PutUint32(b[0x44:], d.left)
		binary.LittleEndian.PutUint32(b[0x48:], d.right)
		binary.LittleEndian.PutUint32(b[0x4C:], d.child)
		copy(b[0x50:], d.n.clsid[:])
		binary.LittleEndian.PutUint32(b[0x74:], d.start)
		binary.LittleEndian.PutUint64(b[0x78:], d.size)
		dir.Write(b[:])
	}
	for dir.Len()%sec != 0 {
		var b [dirEntryLen]byte
		binary.LittleEndian.PutUint32(b[0x44:], noStream)
		binary.LittleEndian.PutUint32(b[0x48:], noStream)
		binary.LittleEndian.PutUint32(b[0x4C:], noStream)
		dir.Write(b[:])
	}
	put := func(start uint32, data []byte) {
		for i := 0; i*sec < len(data); i++ {
			copy(sectors[int(start)+i], data[i*sec:])
		}
	}
	put(dirStart, dir.Bytes())
	var mf bytes.Buffer
	for _, v := range miniFAT {
		binary.Write(&mf, binary.LittleEndian, v)
	}
	for mf.Len()%sec != 0 {
		binary.Write(&mf, binary.LittleEndian, uint32(freeSect))
	}
	if nMiniFAT > 0 {
		put(miniFATStart, mf.Bytes())
	}
	if nMini > 0 {
		put(ents[0].start, mini)
	}
	for i, b := range bigs {
		put(bigOwners[i].start, b)
	}

	h := make([]byte, sec)
	copy(h, cfbMagic)
	binary.LittleEndian.PutUint16(h[0x18:], 0x3E)
	binary.LittleEndian.PutUint16(h[0x1A:], 3)
	binary.LittleEndian.PutUint16(h[0x1C:], 0xFFFE)
	binary.LittleEndian.PutUint16(h[0x1E:], 9)
	binary.LittleEndian.PutUint16(h[0x20:], 6)
	binary.LittleEndian.PutUint32(h[0x2C:], uint32(nFAT))
	binary.LittleEndian.PutUint32(h[0x30:], dirStart)
	binary.LittleEndian.PutUint32(h[0x38:], 4096)
	binary.LittleEndian.PutUint32(h[0x3C:], miniFATStart)
	binary.LittleEndian.PutUint32(h[0x40:], uint32(nMiniFAT))
	binary.LittleEndian.PutUint32(h[0x44:], endOfChain)
	for i := 0; i < headerDIFATs; i++ {
		v := uint32(freeSect)
		if i < nFAT {
			v = uint32(i)
		}
		binary.LittleEndian.PutUint32(h[0x4C+4*i:], v)
	}
	var out bytes.Buffer
	out.Write(h)
	for _, s := range sectors {
		out.Write(s)
	}
	return out.Bytes()
}

// cfbLess orders names as [MS-CFB] §2.6.4 does: shorter first, then by
// upper-case code units.
func cfbLess(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	if len(ua) != len(ub) {
		return len(ua) < len(ub)
	}
	return strings.ToUpper(a) < strings.ToUpper(b)
}
