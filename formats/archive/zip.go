package archive

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

// Limits of the zip pre-pass that are not configuration.
const (
	zipMaxDirBytes = 16 << 20 // central directory read into memory
	eocdLen        = 22
	loc64Len       = 20
	end64Len       = 56
)

// zipEntry is what the pre-pass reads from one central directory record
// (APPNOTE.TXT §4.3.12) and checks against its local header (§4.3.7).
type zipEntry struct {
	raw       []byte // name bytes as stored
	name      string // decoded
	unicode   string // Info-ZIP Unicode Path (0x7075), if present and valid
	hasUni    bool
	madeBy    uint16
	flags     uint16
	method    uint16
	modTime   uint16
	modDate   uint16
	crc       uint32
	csize     uint64
	usize     uint64
	hdrOffset uint64
	extAttr   uint32
	aes       bool
	dataOff   uint64 // start of the compressed data
	path      string // cleaned
}

// zipDir is a pre-read archive.
type zipDir struct {
	entries []*zipEntry
	dirOff  uint64
}

// readZipDir reads the end records and the central directory with the
// item's limits and checks everything that can be checked without
// expanding anything. Blocking problems are recorded as findings (the walk
// stops); an unreadable zip is an error.
func (w *walker) readZipDir() (*zipDir, error) {
	src, size := w.it.Src, w.it.Src.Size()
	malformed := func(msg string) (*zipDir, error) {
		return nil, fmt.Errorf("archive: zip: %s: %w", msg, sanitize.ErrMalformed)
	}
	n := min(size, 65535+eocdLen)
	if n < eocdLen {
		return malformed("too short")
	}
	tail := make([]byte, n)
	if _, err := src.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return nil, fmt.Errorf("archive: %w", err)
	}
	// Every end record whose comment reaches exactly the end of the file
	// is a candidate. More than one means a zip hidden in the comment:
	// readers would disagree on what the archive holds.
	var exact []int
	last := -1
	for p := bytes.LastIndex(tail, []byte("PK\x05\x06")); p >= 0; p = bytes.LastIndex(tail[:p], []byte("PK\x05\x06")) {
		if p+eocdLen > len(tail) {
			continue
		}
		cl := int(binary.LittleEndian.Uint16(tail[p+20:]))
		if p+eocdLen+cl == len(tail) {
			exact = append(exact, p)
		}
		if last < 0 && p+eocdLen+cl <= len(tail) {
			last = p
		}
	}
	p := last
	switch {
	case len(exact) > 1:
		w.find(block(RuleStructure, "", "several end-of-central-directory records (an archive inside the comment)"))
		return nil, errStop
	case len(exact) == 1:
		p = exact[0]
	case last >= 0:
		w.find(sanitize.Finding{Rule: RuleStructure, Action: sanitize.Recorded, Detail: "data after the end of the archive ignored"})
	default:
		return malformed("no end of central directory")
	}
	e := tail[p:]
	eocdOff := uint64(size-n) + uint64(p)
	disk, cdDisk := binary.LittleEndian.Uint16(e[4:]), binary.LittleEndian.Uint16(e[6:])
	count := uint64(binary.LittleEndian.Uint16(e[10:]))
	countDisk := uint64(binary.LittleEndian.Uint16(e[8:]))
	dirSize := uint64(binary.LittleEndian.Uint32(e[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(e[16:]))
	if disk != 0 || cdDisk != 0 || countDisk != count {
		w.find(block(RuleStructure, "", "split or spanned archive"))
		return nil, errStop
	}
	endOfDir := eocdOff
	// ZIP64 (APPNOTE §4.3.14, §4.3.15): the locator sits right before the
	// end record; its values replace the saturated 32-bit ones and must
	// agree with the others.
	if eocdOff >= loc64Len {
		var loc [loc64Len]byte
		if _, err := src.ReadAt(loc[:], int64(eocdOff-loc64Len)); err == nil && string(loc[:4]) == "PK\x06\x07" {
			off := binary.LittleEndian.Uint64(loc[8:])
			if binary.LittleEndian.Uint32(loc[4:]) != 0 || binary.LittleEndian.Uint32(loc[16:]) > 1 {
				w.find(block(RuleStructure, "", "split or spanned archive (zip64)"))
				return nil, errStop
			}
			var end [end64Len]byte
			if off > eocdOff-loc64Len || eocdOff-loc64Len-off < end64Len {
				return malformed("zip64 end record out of range")
			}
			if _, err := src.ReadAt(end[:], int64(off)); err != nil || string(end[:4]) != "PK\x06\x06" {
				return malformed("zip64 end record missing")
			}
			c64 := binary.LittleEndian.Uint64(end[32:])
			s64 := binary.LittleEndian.Uint64(end[40:])
			o64 := binary.LittleEndian.Uint64(end[48:])
			agree := func(v32, sat, v64 uint64) bool { return v32 == sat || v32 == v64 }
			if !agree(count, 0xFFFF, c64) || !agree(dirSize, 0xFFFFFFFF, s64) || !agree(dirOff, 0xFFFFFFFF, o64) ||
				binary.LittleEndian.Uint64(end[24:]) != c64 {
				w.find(block(RuleStructure, "", "zip64 end record disagrees with the end record"))
				return nil, errStop
			}
			count, dirSize, dirOff = c64, s64, o64
			endOfDir = off
		}
	}
	if count == 0xFFFF || dirSize == 0xFFFFFFFF || dirOff == 0xFFFFFFFF {
		// Saturated without a zip64 record: take them as they are; the
		// range checks below decide.
		_ = count
	}
	if count > uint64(w.it.Limits.MaxParts) {
		w.find(block(sanitize.RuleLimitParts, "", fmt.Sprintf("%d entries, limit %d", count, w.it.Limits.MaxParts)))
		return nil, errStop
	}
	if dirOff > endOfDir || dirSize != endOfDir-dirOff {
		if dirOff > endOfDir || dirSize > endOfDir-dirOff {
			return malformed("central directory out of range")
		}
		w.find(block(RuleStructure, "", "bytes between the central directory and the end record"))
		return nil, errStop
	}
	if dirSize > zipMaxDirBytes {
		w.find(block(sanitize.RuleLimitSize, "", fmt.Sprintf("central directory of %d bytes", dirSize)))
		return nil, errStop
	}
	dir := make([]byte, dirSize)
	if _, err := src.ReadAt(dir, int64(dirOff)); err != nil && err != io.EOF {
		return nil, fmt.Errorf("archive: %w", err)
	}
	zd := &zipDir{dirOff: dirOff, entries: make([]*zipEntry, 0, count)}
	for i := uint64(0); i < count; i++ {
		if len(dir) < 46 || string(dir[:4]) != "PK\x01\x02" {
			w.find(block(RuleStructure, "", "central directory has fewer entries than the end record says"))
			return nil, errStop
		}
		nameLen := int(binary.LittleEndian.Uint16(dir[28:]))
		extraLen := int(binary.LittleEndian.Uint16(dir[30:]))
		commentLen := int(binary.LittleEndian.Uint16(dir[32:]))
		total := 46 + nameLen + extraLen + commentLen
		if total > len(dir) {
			return malformed("central directory record truncated")
		}
		ze := &zipEntry{
			madeBy:    binary.LittleEndian.Uint16(dir[4:]),
			flags:     binary.LittleEndian.Uint16(dir[8:]),
			method:    binary.LittleEndian.Uint16(dir[10:]),
			modTime:   binary.LittleEndian.Uint16(dir[12:]),
			modDate:   binary.LittleEndian.Uint16(dir[14:]),
			crc:       binary.LittleEndian.Uint32(dir[16:]),
			csize:     uint64(binary.LittleEndian.Uint32(dir[20:])),
			usize:     uint64(binary.LittleEndian.Uint32(dir[24:])),
			extAttr:   binary.LittleEndian.Uint32(dir[38:]),
			hdrOffset: uint64(binary.LittleEndian.Uint32(dir[42:])),
			raw:       slices.Clone(dir[46 : 46+nameLen]),
		}
		if binary.LittleEndian.Uint16(dir[34:]) != 0 && binary.LittleEndian.Uint16(dir[34:]) != 0xFFFF {
			w.find(block(RuleStructure, "", "entry on another disk"))
			return nil, errStop
		}
		if !ze.parseExtra(dir[46+nameLen:46+nameLen+extraLen], true) {
			return malformed("bad zip64 extra field")
		}
		zd.entries = append(zd.entries, ze)
		dir = dir[total:]
	}
	if len(dir) != 0 {
		w.find(block(RuleStructure, "", "central directory has more entries than the end record says"))
		return nil, errStop
	}
	return zd, nil
}

// parseExtra reads the extra fields this package needs (APPNOTE §4.5):
// ZIP64 sizes and offset (0x0001), the Info-ZIP Unicode Path (0x7075) and
// the WinZip AES marker (0x9901). It reports false for a ZIP64 field that
// is too short for the values it must replace.
func (ze *zipEntry) parseExtra(extra []byte, central bool) bool {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		l := int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+l > len(extra) {
			break
		}
		f := extra[4 : 4+l]
		switch id {
		case 0x0001:
			take := func(v *uint64) bool {
				if *v != 0xFFFFFFFF {
					return true
				}
				if len(f) < 8 {
					return false
				}
				*v = binary.LittleEndian.Uint64(f)
				f = f[8:]
				return true
			}
			if !take(&ze.usize) || !take(&ze.csize) || (central && !take(&ze.hdrOffset)) {
				return false
			}
		case 0x7075:
			if central && len(f) >= 5 && f[0] == 1 {
				ze.hasUni = true
				if binary.LittleEndian.Uint32(f[1:]) == crc32.ChecksumIEEE(ze.raw) {
					ze.unicode = string(f[5:])
				} else {
					ze.unicode = "\x00stale"
				}
			}
		case 0x9901:
			ze.aes = true
		}
		extra = extra[4+l:]
	}
	return true
}

// checkLocal compares the local header with the central record and sets
// dataOff. It returns why they disagree, or "".
func (ze *zipEntry) checkLocal(r io.ReaderAt, limit uint64) string {
	var h [30]byte
	if ze.hdrOffset >= limit {
		return "local header out of range"
	}
	if _, err := r.ReadAt(h[:], int64(ze.hdrOffset)); err != nil || string(h[:4]) != "PK\x03\x04" {
		return "local header missing"
	}
	nameLen := uint64(binary.LittleEndian.Uint16(h[26:]))
	extraLen := uint64(binary.LittleEndian.Uint16(h[28:]))
	if ze.hdrOffset+30+nameLen+extraLen > limit {
		return "local header out of range"
	}
	buf := make([]byte, nameLen+extraLen)
	if _, err := r.ReadAt(buf, int64(ze.hdrOffset)+30); err != nil {
		return "local header truncated"
	}
	if !bytes.Equal(buf[:nameLen], ze.raw) {
		return "local header names another file"
	}
	lflags := binary.LittleEndian.Uint16(h[6:])
	if binary.LittleEndian.Uint16(h[8:]) != ze.method {
		return "local header has another compression method"
	}
	if lflags&1 != ze.flags&1 {
		return "local header disagrees about encryption"
	}
	if lflags&8 == 0 {
		loc := &zipEntry{
			usize: uint64(binary.LittleEndian.Uint32(h[22:])),
			csize: uint64(binary.LittleEndian.Uint32(h[18:])),
			raw:   ze.raw,
		}
		if !loc.parseExtra(buf[nameLen:], false) {
			return "local zip64 field too short"
		}
		if binary.LittleEndian.Uint32(h[14:]) != ze.crc {
			return "local header has another CRC"
		}
		if loc.csize != ze.csize || loc.usize != ze.usize {
			return "local header has other sizes"
		}
	}
	ze.dataOff = ze.hdrOffset + 30 + nameLen + extraLen
	if ze.csize > limit || ze.dataOff > limit-ze.csize {
		return "entry data out of range"
	}
	return ""
}

// modified decodes the MS-DOS date and time (APPNOTE §4.4.6) as UTC.
func (ze *zipEntry) modified() time.Time {
	d, t := ze.modDate, ze.modTime
	if d == 0 {
		return time.Time{}
	}
	return time.Date(int(d>>9)+1980, time.Month(d>>5&0xF), int(d&0x1F), int(t>>11), int(t>>5&0x3F), int(t&0x1F)*2, 0, time.UTC)
}

// Unix file types in the high half of the external attributes.
const (
	sIFMT  = 0xF000
	sIFREG = 0x8000
	sIFDIR = 0x4000
	sIFIFO = 0x1000
)

// zip sanitizes a zip archive: pre-pass, then one member at a time.
func (w *walker) zip(dst io.Writer) error {
	// Central directory encryption (APPNOTE §7.3) leaves nothing readable
	// but the first local header's flags.
	var h [8]byte
	if _, err := w.it.Src.ReadAt(h[:], 0); err == nil && string(h[:4]) == "PK\x03\x04" {
		if fl := binary.LittleEndian.Uint16(h[6:]); fl&(1|1<<6|1<<13) != 0 {
			w.find(block(RuleEncrypted, "", "encrypted entries or directory"))
			return fmt.Errorf("archive: zip: %w", sanitize.ErrEncrypted)
		}
	}
	zd, err := w.readZipDir()
	if err != nil {
		return w.finish(err)
	}
	if err := w.checkZip(zd); err != nil || w.blocked() {
		return w.finish(err)
	}
	out := newZipSink(dst)
	for _, ze := range zd.entries {
		if err := w.member(out, w.zipMember(ze)); err != nil {
			return w.finish(err)
		}
	}
	return out.close()
}

// checkZip judges every entry before anything is expanded: encryption,
// names, links, local headers, overlaps, declared sizes and ratios, quines.
func (w *walker) checkZip(zd *zipDir) error {
	src, size := w.it.Src, uint64(w.it.Src.Size())
	for _, ze := range zd.entries {
		if ze.flags&1 != 0 || ze.flags&(1<<6) != 0 || ze.flags&(1<<13) != 0 || ze.method == 99 || ze.aes {
			w.find(block(RuleEncrypted, cp437(ze.raw), "encrypted entry"))
			return fmt.Errorf("archive: zip: %w", sanitize.ErrEncrypted)
		}
	}
	// Names: one charset for every name without the UTF-8 flag.
	var rawNames [][]byte
	for _, ze := range zd.entries {
		if ze.flags&(1<<11) == 0 {
			rawNames = append(rawNames, ze.raw)
		}
	}
	cs := guessCharset(rawNames)
	if cs == CharsetCP932 || cs == CharsetEUCJP {
		w.find(sanitize.Finding{Rule: RuleCharset, Action: sanitize.Converted, Detail: "entry names decoded from " + cs.String()})
	}
	keys := map[string]bool{}
	type span struct{ start, end uint64 }
	spans := make([]span, 0, len(zd.entries))
	var total uint64
	var whole *uint32
	for i, ze := range zd.entries {
		var ok bool
		if ze.flags&(1<<11) != 0 {
			ze.name, ok = decodeName(CharsetUTF8, ze.raw)
		} else {
			ze.name, ok = decodeName(cs, ze.raw)
		}
		shown := ze.name
		if !ok {
			shown = cp437(ze.raw)
		}
		if ze.hasUni && ze.unicode == "\x00stale" {
			// Info-ZIP: a field whose CRC does not match the stored name
			// was left behind by a tool that renamed the entry, and must
			// be ignored. Only our reading of the name reaches the output.
			ze.hasUni = false
			w.find(sanitize.Finding{Rule: RuleName, Where: shown, Action: sanitize.Recorded, Detail: "stale Unicode path field ignored"})
		}
		if ze.hasUni {
			switch {
			case !utf8Valid(ze.unicode):
				w.find(block(RuleName, shown, "Unicode path field is not UTF-8"))
				return errStop
			case ok && ze.unicode != ze.name:
				w.find(block(RuleName, shown, "Unicode path field names another file: "+ze.unicode))
				return errStop
			}
			ze.name, ok, shown = ze.unicode, true, ze.unicode
		}
		if !ok && isASCII(ze.raw) {
			ze.name, ok = string(ze.raw), true
		}
		if !ok {
			// APPNOTE Appendix D: without the flag, names are IBM CP437.
			// Nothing Japanese decoded them all, so the spec's default
			// is the honest reading (and keeps names distinct).
			ze.name = cp437(ze.raw)
			w.find(sanitize.Finding{Rule: RuleName, Where: ze.name, Action: sanitize.Converted, Detail: "name in an unknown charset; read as CP437"})
		}
		p, why := cleanPath(ze.name)
		if why != "" {
			w.find(block(RulePath, shown, why))
			return errStop
		}
		ze.path = p
		if os := ze.madeBy >> 8; os == 3 || os == 19 {
			switch t := ze.extAttr >> 16 & sIFMT; t {
			case 0, sIFREG, sIFDIR, sIFIFO:
				// A FIFO entry is what zip records for data read from a
				// pipe ("zip - -"): its content is data, written out as
				// a regular file.
			default:
				w.find(block(RuleLink, p, fmt.Sprintf("unix file type %#o (symbolic link, device, FIFO or socket)", t)))
				return errStop
			}
		}
		if ze.extAttr&0x400 != 0 && ze.madeBy>>8 == 0 { // FILE_ATTRIBUTE_REPARSE_POINT
			w.find(block(RuleLink, p, "Windows reparse point"))
			return errStop
		}
		if w.duplicate(keys, p) {
			return errStop
		}
		if msg := ze.checkLocal(src, zd.dirOff); msg != "" {
			w.find(block(RuleStructure, p, msg))
			return errStop
		}
		spans = append(spans, span{ze.hdrOffset, ze.dataOff + ze.csize})
		if ze.method == 0 && ze.usize != ze.csize {
			w.find(block(RuleStructure, p, "stored entry with different sizes"))
			return errStop
		}
		if ze.usize > ratioFloor && ze.usize > uint64(w.it.Limits.MaxRatio)*max(ze.csize, 1) {
			w.find(block(RuleBomb, p, fmt.Sprintf("declares %d bytes from %d (ratio limit %d)", ze.usize, ze.csize, w.it.Limits.MaxRatio)))
			return errStop
		}
		if ze.usize == size && size > 0 {
			if whole == nil {
				c, err := crcOf(src)
				if err != nil {
					return err
				}
				whole = &c
			}
			if ze.crc == *whole {
				w.find(block(RuleQuine, p, "the entry is the archive itself"))
				return errStop
			}
		}
		if ze.usize <= uint64(w.maxMember) {
			total += ze.usize
		}
		_ = i
	}
	if total > uint64(w.it.Limits.MaxExpanded) {
		w.find(block(sanitize.RuleLimitSize, "", fmt.Sprintf("declares %d bytes expanded, limit %d", total, w.it.Limits.MaxExpanded)))
		return errStop
	}
	slices.SortFunc(spans, func(a, b span) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			w.find(block(RuleOverlap, "", fmt.Sprintf("entries overlap at offset %d", spans[i].start)))
			return errStop
		}
	}
	return nil
}

func utf8Valid(s string) bool {
	return s == "" || bytes.Equal([]byte(s), bytes.ToValidUTF8([]byte(s), nil))
}

// crcOf is the CRC-32 of the whole input.
func crcOf(r *io.SectionReader) (uint32, error) {
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, r.Size())); err != nil {
		return 0, fmt.Errorf("archive: %w", err)
	}
	return h.Sum32(), nil
}

// zipMember prepares one checked entry for the walk.
func (w *walker) zipMember(ze *zipEntry) *member {
	m := &member{path: ze.path, mod: ze.modified(), size: int64(ze.usize), crc: ze.crc, hasCRC: true}
	if ze.usize > uint64(w.maxMember) {
		f := sanitize.Finding{Rule: sanitize.RuleLimitSize, Where: ze.path, Action: sanitize.Blocked,
			Detail: fmt.Sprintf("declares %d bytes, member limit %d", ze.usize, w.maxMember)}
		m.removed = &f
		return m
	}
	switch ze.method {
	case 0, 8, 12:
	default:
		f := sanitize.Finding{Rule: RuleMethod, Where: ze.path, Action: sanitize.Blocked,
			Detail: fmt.Sprintf("compression method %d is not supported", ze.method)}
		m.removed = &f
		return m
	}
	src := w.it.Src
	ratio := w.it.Limits.MaxRatio
	m.open = func() (io.ReadCloser, error) {
		raw := io.NewSectionReader(src, int64(ze.dataOff), int64(ze.csize))
		var r io.Reader
		var c io.Closer = io.NopCloser(nil)
		switch ze.method {
		case 0:
			r = raw
		case 8:
			fr := flate.NewReader(raw)
			r, c = fr, fr
		case 12:
			r = bzip2.NewReader(raw)
		}
		return readCloser{&ratioGuard{r: r, known: int64(ze.csize), ratio: ratio}, c}, nil
	}
	return m
}

type readCloser struct {
	io.Reader
	io.Closer
}
