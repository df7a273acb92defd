package ole

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/mugai-project/mugai/sanitize"
)

// Compound File Binary format ([MS-CFB]) constants.
const (
	headerLen    = 512
	dirEntryLen  = 128
	miniSecSize  = 64
	maxRegSect   = 0xFFFFFFFA
	endOfChain   = 0xFFFFFFFE
	freeSect     = 0xFFFFFFFF
	noStream     = 0xFFFFFFFF
	typeEmpty    = 0
	typeStorage  = 1
	typeStream   = 2
	typeRoot     = 5
	headerDIFATs = 109
)

var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// errCFB marks a structural error in the compound file; it wraps
// sanitize.ErrMalformed.
func errCFB(format string, args ...any) error {
	return fmt.Errorf("ole: "+format+": %w", append(args, sanitize.ErrMalformed)...)
}

// errLimit is a limit of this reader; it wraps sanitize.ErrTooLarge.
func errLimit(format string, args ...any) error {
	return fmt.Errorf("ole: "+format+": %w", append(args, sanitize.ErrTooLarge)...)
}

// entry is one directory entry ([MS-CFB] §2.6), with its path resolved.
type entry struct {
	id                 uint32
	name               string
	typ                byte
	left, right, child uint32
	start              uint32
	size               int64
	path               string // "/"-joined names from the root, root excluded
	depth              int    // 0 for the root's children
	parent             uint32 // id of the storage holding it
}

// cfb is a bounded, read-only view of a compound file. It reads the FAT and
// the directory eagerly (both bounded by the file size and MaxEntries) and
// streams lazily. Every sector belongs to at most one chain: a chain that
// loops, runs into another chain or leaves the file is an error, so the
// total work is bounded by the file size.
type cfb struct {
	r          io.ReaderAt
	size       int64
	secSize    int64
	miniCutoff int64
	fat        []uint32
	claimed    []bool // regular sectors already in a chain
	miniFAT    []uint32
	miniClaim  []bool
	miniChain  []uint32 // sectors of the mini stream (the root's stream)
	entries    []*entry // by directory id; nil for unused or unreachable
	tree       []*entry // reachable entries, parents before children
}

// openCFB reads the header, the FAT, the mini FAT and the directory.
// maxEntries bounds the directory slots read.
func openCFB(r io.ReaderAt, size int64, maxEntries int) (*cfb, error) {
	if size < headerLen {
		return nil, errCFB("file shorter than the header")
	}
	h := make([]byte, headerLen)
	if _, err := r.ReadAt(h, 0); err != nil {
		return nil, ioErr(err)
	}
	if string(h[:8]) != string(cfbMagic) {
		return nil, errCFB("not a compound file")
	}
	if binary.LittleEndian.Uint16(h[0x1C:]) != 0xFFFE {
		return nil, errCFB("bad byte order mark")
	}
	shift := binary.LittleEndian.Uint16(h[0x1E:])
	if shift != 9 && shift != 12 {
		return nil, errCFB("sector shift %d", shift)
	}
	if binary.LittleEndian.Uint16(h[0x20:]) != 6 {
		return nil, errCFB("mini sector shift")
	}
	c := &cfb{r: r, size: size, secSize: 1 << shift}
	c.miniCutoff = int64(binary.LittleEndian.Uint32(h[0x38:]))
	if c.miniCutoff != 4096 {
		return nil, errCFB("mini stream cutoff %d", c.miniCutoff)
	}
	// Sector s starts at (s+1)*secSize: the header fills sector -1.
	nSect := (size - 1) / c.secSize
	if nSect <= 0 {
		return nil, errCFB("no sectors")
	}
	c.claimed = make([]bool, nSect)
	if err := c.readFAT(h, nSect); err != nil {
		return nil, err
	}
	if err := c.readDirectory(binary.LittleEndian.Uint32(h[0x30:]), maxEntries); err != nil {
		return nil, err
	}
	if err := c.readMiniFAT(binary.LittleEndian.Uint32(h[0x3C:]), binary.LittleEndian.Uint32(h[0x40:])); err != nil {
		return nil, err
	}
	return c, nil
}

func ioErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errCFB("truncated")
	}
	return fmt.Errorf("ole: %w", err)
}

// offset returns the file offset of regular sector s.
func (c *cfb) offset(s uint32) (int64, error) {
	if int64(s) >= int64(len(c.claimed)) {
		return 0, errCFB("sector %d outside the file", s)
	}
	return (int64(s) + 1) * c.secSize, nil
}

// readSector reads regular sector s into b (len secSize); a short last
// sector is padded with zeros.
func (c *cfb) readSector(b []byte, s uint32) error {
	off, err := c.offset(s)
	if err != nil {
		return err
	}
	n, err := c.r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if errors.Is(err, io.EOF) {
		clear(b[n:])
		return nil
	}
	return ioErr(err)
}

// readFAT collects the FAT sectors from the header and the DIFAT chain
// ([MS-CFB] §2.5) and reads them. There are never more FAT sectors than the
// file can hold.
func (c *cfb) readFAT(h []byte, nSect int64) error {
	perSec := c.secSize / 4
	nFAT := int64(binary.LittleEndian.Uint32(h[0x2C:]))
	if nFAT == 0 || nFAT > nSect {
		return errCFB("FAT sector count %d", nFAT)
	}
	fatSecs := make([]uint32, 0, nFAT)
	for i := 0; i < headerDIFATs && int64(len(fatSecs)) < nFAT; i++ {
		fatSecs = append(fatSecs, binary.LittleEndian.Uint32(h[0x4C+4*i:]))
	}
	d := binary.LittleEndian.Uint32(h[0x44:])
	buf := make([]byte, c.secSize)
	for hops := int64(0); int64(len(fatSecs)) < nFAT; hops++ {
		if d >= maxRegSect || hops > nSect {
			return errCFB("DIFAT chain ends early")
		}
		if err := c.claim(d); err != nil {
			return err
		}
		if err := c.readSector(buf, d); err != nil {
			return err
		}
		for i := int64(0); i < perSec-1 && int64(len(fatSecs)) < nFAT; i++ {
			fatSecs = append(fatSecs, binary.LittleEndian.Uint32(buf[4*i:]))
		}
		d = binary.LittleEndian.Uint32(buf[4*(perSec-1):])
	}
	c.fat = make([]uint32, 0, nFAT*perSec)
	for _, s := range fatSecs {
		if err := c.claim(s); err != nil {
			return err
		}
		if err := c.readSector(buf, s); err != nil {
			return err
		}
		for i := int64(0); i < perSec; i++ {
			c.fat = append(c.fat, binary.LittleEndian.Uint32(buf[4*i:]))
		}
	}
	return nil
}

// claim marks regular sector s as used by a chain; a sector used twice is a
// loop or a cross-link.
func (c *cfb) claim(s uint32) error {
	if int64(s) >= int64(len(c.claimed)) {
		return errCFB("sector %d outside the file", s)
	}
	if c.claimed[s] {
		return errCFB("sector %d used twice (loop or cross-link)", s)
	}
	c.claimed[s] = true
	return nil
}

// chain follows the FAT from start for at most want sectors (want < 0: to
// the end of the chain), claiming each sector.
func (c *cfb) chain(start uint32, want int64) ([]uint32, error) {
	var out []uint32
	s := start
	for s != endOfChain && (want < 0 || int64(len(out)) < want) {
		if s >= maxRegSect || int64(s) >= int64(len(c.fat)) {
			return nil, errCFB("chain runs to sector %#x", s)
		}
		if err := c.claim(s); err != nil {
			return nil, err
		}
		out = append(out, s)
		s = c.fat[s]
	}
	if want >= 0 && int64(len(out)) < want {
		return nil, errCFB("chain shorter than its stream")
	}
	return out, nil
}

// readDirectory reads the directory chain, at most maxEntries slots, and
// resolves the tree from the root.
func (c *cfb) readDirectory(first uint32, maxEntries int) error {
	chain, err := c.chain(first, -1)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	perSec := int(c.secSize / dirEntryLen)
	if len(chain)*perSec > maxEntries {
		return errLimit("directory holds more than %d entries", maxEntries)
	}
	buf := make([]byte, c.secSize)
	c.entries = make([]*entry, 0, len(chain)*perSec)
	for _, s := range chain {
		if err := c.readSector(buf, s); err != nil {
			return err
		}
		for i := 0; i < perSec; i++ {
			c.entries = append(c.entries, parseEntry(buf[i*dirEntryLen:(i+1)*dirEntryLen], uint32(len(c.entries))))
		}
	}
	if len(c.entries) == 0 || c.entries[0] == nil || c.entries[0].typ != typeRoot {
		return errCFB("no root entry")
	}
	return c.resolveTree()
}

func parseEntry(b []byte, id uint32) *entry {
	typ := b[0x42]
	if typ != typeStorage && typ != typeStream && typ != typeRoot {
		return nil
	}
	e := &entry{
		id:    id,
		typ:   typ,
		left:  binary.LittleEndian.Uint32(b[0x44:]),
		right: binary.LittleEndian.Uint32(b[0x48:]),
		child: binary.LittleEndian.Uint32(b[0x4C:]),
		start: binary.LittleEndian.Uint32(b[0x74:]),
		size:  int64(binary.LittleEndian.Uint64(b[0x78:])),
	}
	units := int(binary.LittleEndian.Uint16(b[0x40:]))/2 - 1
	units = max(0, min(units, 31))
	u := make([]uint16, units)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	e.name = string(utf16.Decode(u))
	return e
}

// maxTreeDepth bounds storage nesting.
const maxTreeDepth = 64

// resolveTree walks the red-black trees of every storage from the root,
// each entry at most once, and fills path, depth and parent.
func (c *cfb) resolveTree() error {
	visited := make([]bool, len(c.entries))
	visited[0] = true
	root := c.entries[0]
	type item struct {
		id     uint32
		parent *entry
		depth  int
	}
	stack := []item{{root.child, root, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.id == noStream {
			continue
		}
		if int64(it.id) >= int64(len(c.entries)) || c.entries[it.id] == nil {
			return errCFB("directory entry %d out of range or unused", it.id)
		}
		if visited[it.id] {
			return errCFB("directory entry %d reached twice", it.id)
		}
		visited[it.id] = true
		e := c.entries[it.id]
		if e.typ == typeRoot {
			return errCFB("second root entry")
		}
		if it.depth > maxTreeDepth {
			return errLimit("storages nested deeper than %d", maxTreeDepth)
		}
		e.depth = it.depth
		e.parent = it.parent.id
		e.path = e.name
		if it.parent != root {
			e.path = it.parent.path + "/" + e.name
		}
		c.tree = append(c.tree, e)
		stack = append(stack, item{e.left, it.parent, it.depth}, item{e.right, it.parent, it.depth})
		if e.typ == typeStorage {
			stack = append(stack, item{e.child, e, it.depth + 1})
		} else if e.child != noStream {
			return errCFB("stream %q has children", e.name)
		}
	}
	return nil
}

// readMiniFAT reads the mini FAT and locates the mini stream.
func (c *cfb) readMiniFAT(first, n uint32) error {
	root := c.entries[0]
	if root.size == 0 || first == endOfChain || n == 0 {
		return nil
	}
	if int64(n) > int64(len(c.claimed)) {
		return errCFB("mini FAT sector count %d", n)
	}
	chain, err := c.chain(first, int64(n))
	if err != nil {
		return fmt.Errorf("mini FAT: %w", err)
	}
	buf := make([]byte, c.secSize)
	for _, s := range chain {
		if err := c.readSector(buf, s); err != nil {
			return err
		}
		for i := int64(0); i < c.secSize/4; i++ {
			c.miniFAT = append(c.miniFAT, binary.LittleEndian.Uint32(buf[4*i:]))
		}
	}
	if root.size < 0 || root.size > c.size {
		return errCFB("mini stream size %d", root.size)
	}
	if c.miniChain, err = c.chain(root.start, (root.size+c.secSize-1)/c.secSize); err != nil {
		return fmt.Errorf("mini stream: %w", err)
	}
	c.miniClaim = make([]bool, len(c.miniFAT))
	return nil
}

// find returns the entry at path (names compared case-insensitively), or
// nil.
func (c *cfb) find(path string) *entry {
	for _, e := range c.tree {
		if strings.EqualFold(e.path, path) {
			return e
		}
	}
	return nil
}

// children returns the entries directly inside storage id.
func (c *cfb) children(id uint32) []*entry {
	var out []*entry
	for _, e := range c.tree {
		if e.parent == id {
			out = append(out, e)
		}
	}
	return out
}

// open returns a reader of stream e's bytes. Each stream can be opened once
// (its sectors are claimed); the size is checked against the file.
func (c *cfb) open(e *entry) (*streamReader, error) {
	if e.typ != typeStream {
		return nil, errCFB("%q is not a stream", e.path)
	}
	if e.size < 0 || e.size > c.size {
		return nil, errCFB("stream %q size %d", e.path, e.size)
	}
	sr := &streamReader{c: c, size: e.size}
	if e.size == 0 {
		return sr, nil
	}
	if e.size < c.miniCutoff {
		sr.mini = true
		want := (e.size + miniSecSize - 1) / miniSecSize
		s := e.start
		for s != endOfChain && int64(len(sr.chain)) < want {
			if int64(s) >= int64(len(c.miniFAT)) || int64(s)*miniSecSize >= int64(len(c.miniChain))*c.secSize {
				return nil, errCFB("mini chain of %q runs to %#x", e.path, s)
			}
			if c.miniClaim[s] {
				return nil, errCFB("mini sector %d used twice", s)
			}
			c.miniClaim[s] = true
			sr.chain = append(sr.chain, s)
			s = c.miniFAT[s]
		}
		if int64(len(sr.chain)) < want {
			return nil, errCFB("mini chain of %q shorter than its stream", e.path)
		}
		return sr, nil
	}
	ch, err := c.chain(e.start, (e.size+c.secSize-1)/c.secSize)
	if err != nil {
		return nil, fmt.Errorf("stream %q: %w", e.path, err)
	}
	sr.chain = ch
	return sr, nil
}

// streamReader reads one stream sequentially; it implements io.Reader and
// io.ReaderAt.
type streamReader struct {
	c     *cfb
	chain []uint32
	mini  bool
	size  int64
	pos   int64
}

func (s *streamReader) Read(p []byte) (int, error) {
	n, err := s.ReadAt(p, s.pos)
	s.pos += int64(n)
	return n, err
}

// ReadAt reads from one sector at a time.
func (s *streamReader) ReadAt(p []byte, off int64) (int, error) {
	total := 0
	for len(p) > 0 {
		if off >= s.size {
			return total, io.EOF
		}
		sec := s.c.secSize
		if s.mini {
			sec = miniSecSize
		}
		idx, in := off/sec, off%sec
		n := min(int64(len(p)), sec-in, s.size-off)
		var fileOff int64
		if s.mini {
			m := int64(s.chain[idx]) * miniSecSize
			ms := m / s.c.secSize
			if ms >= int64(len(s.c.miniChain)) {
				return total, errCFB("mini sector outside the mini stream")
			}
			o, err := s.c.offset(s.c.miniChain[ms])
			if err != nil {
				return total, err
			}
			fileOff = o + m%s.c.secSize + in
		} else {
			o, err := s.c.offset(s.chain[idx])
			if err != nil {
				return total, err
			}
			fileOff = o + in
		}
		k, err := s.c.r.ReadAt(p[:n], fileOff)
		total += k
		off += int64(k)
		p = p[k:]
		if int64(k) < n {
			if err == nil || errors.Is(err, io.EOF) {
				return total, errCFB("stream data past the end of the file")
			}
			return total, err
		}
	}
	return total, nil
}
