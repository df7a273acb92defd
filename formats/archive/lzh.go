package archive

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// LZH (LHA) archives: headers of level 0, 1 and 2, members stored (-lh0-)
// or compressed with -lh5-, -lh6- or -lh7- (static Huffman blocks over an
// 8, 32 or 64 KiB window), decoded by this package. Other methods (-lh1-
// to -lh4-, -lzs-, -lz5-, PMarc's -pm*-) are removed from the output with
// archive.method; level 3 headers are malformed. The output is a zip.

// lzhEntry is one header, read and checked before anything is decoded.
type lzhEntry struct {
	method   string
	raw      []byte // name bytes, directory part included, '/'-separated
	csize    int64
	usize    int64
	mod      time.Time
	dataOff  int64
	crc      uint16
	hasCRC   bool
	dir      bool
	unixMode uint16
	hasMode  bool
	path     string
}

var errLZH = errors.New("lzh: malformed header")

// readLZH lists the headers of the archive in r, at most maxParts of them.
func readLZH(r io.ReaderAt, size int64, maxParts int) ([]*lzhEntry, error) {
	var out []*lzhEntry
	off := int64(0)
	for off < size {
		var h [26]byte
		n, _ := r.ReadAt(h[:], off)
		if n == 0 || h[0] == 0 {
			break // end marker (a zero byte) or end of file
		}
		if n < 22 {
			return nil, fmt.Errorf("%w: truncated at %d", errLZH, off)
		}
		if len(out) >= maxParts {
			return nil, errTooManyEntries
		}
		e := &lzhEntry{method: string(h[2:7])}
		if h[2] != '-' || h[6] != '-' {
			return nil, fmt.Errorf("%w: no method at %d", errLZH, off)
		}
		e.csize = int64(binary.LittleEndian.Uint32(h[7:]))
		e.usize = int64(binary.LittleEndian.Uint32(h[11:]))
		level := h[20]
		var next int64
		switch level {
		case 0, 1:
			hsize := int64(h[0]) + 2
			if hsize < 24 {
				return nil, fmt.Errorf("%w: header too short at %d", errLZH, off)
			}
			hdr := make([]byte, hsize)
			if _, err := r.ReadAt(hdr, off); err != nil {
				return nil, fmt.Errorf("%w: truncated at %d", errLZH, off)
			}
			var sum byte
			for _, c := range hdr[2:] {
				sum += c
			}
			if sum != hdr[1] {
				return nil, fmt.Errorf("%w: header checksum at %d", errLZH, off)
			}
			e.mod = dosTime(binary.LittleEndian.Uint32(hdr[15:]))
			nl := int64(hdr[21])
			if 22+nl+2 > hsize {
				return nil, fmt.Errorf("%w: name too long at %d", errLZH, off)
			}
			e.raw = slashes(hdr[22 : 22+nl])
			if hdr[19]&0x10 != 0 {
				e.dir = true
			}
			if 22+nl+2 <= hsize {
				e.crc = binary.LittleEndian.Uint16(hdr[22+nl:])
				e.hasCRC = true
			}
			next = off + hsize
			if level == 1 {
				// The compressed size includes the extended headers.
				if hsize < 22+nl+5 {
					return nil, fmt.Errorf("%w: level 1 header too short at %d", errLZH, off)
				}
				extSize := int64(binary.LittleEndian.Uint16(hdr[hsize-2:]))
				used, err := e.extended(r, next, extSize, size, maxParts)
				if err != nil {
					return nil, err
				}
				next += used
				e.csize -= used
				if e.csize < 0 {
					return nil, fmt.Errorf("%w: extended headers longer than the data at %d", errLZH, off)
				}
			}
		case 2:
			hsize := int64(binary.LittleEndian.Uint16(h[0:]))
			if hsize < 26 {
				return nil, fmt.Errorf("%w: level 2 header too short at %d", errLZH, off)
			}
			e.mod = time.Unix(int64(binary.LittleEndian.Uint32(h[15:])), 0).UTC()
			e.crc = binary.LittleEndian.Uint16(h[21:])
			e.hasCRC = true
			extSize := int64(binary.LittleEndian.Uint16(h[24:]))
			used, err := e.extended(r, off+26, extSize, size, maxParts)
			if err != nil {
				return nil, err
			}
			if 26+used > hsize {
				return nil, fmt.Errorf("%w: extended headers past the header at %d", errLZH, off)
			}
			next = off + hsize
		default:
			return nil, fmt.Errorf("%w: header level %d at %d", errLZH, level, off)
		}
		if e.method == "-lhd-" {
			e.dir = true
		}
		e.dataOff = next
		if e.csize < 0 || e.dataOff > size || e.csize > size-e.dataOff {
			return nil, fmt.Errorf("%w: data out of range at %d", errLZH, off)
		}
		out = append(out, e)
		off = e.dataOff + e.csize
	}
	return out, nil
}

var errTooManyEntries = errors.New("lzh: too many entries")

// extended reads the chain of extended headers starting at off (the first
// of size first) and returns their total length. Each is a type byte, its
// data and the size of the next one.
func (e *lzhEntry) extended(r io.ReaderAt, off, first, size int64, maxParts int) (int64, error) {
	var dir, name []byte
	haveName := false
	total := int64(0)
	for n, count := first, 0; n != 0; count++ {
		if n < 3 || count > 64 || off+total+n > size {
			return 0, fmt.Errorf("%w: extended header", errLZH)
		}
		b := make([]byte, n)
		if _, err := r.ReadAt(b, off+total); err != nil {
			return 0, fmt.Errorf("%w: extended header", errLZH)
		}
		data := b[1 : n-2]
		switch b[0] {
		case 0x01:
			name, haveName = data, true
		case 0x02:
			dir = data
		case 0x50:
			if len(data) >= 2 {
				e.unixMode, e.hasMode = binary.LittleEndian.Uint16(data), true
			}
		case 0x54:
			if len(data) >= 4 {
				e.mod = time.Unix(int64(binary.LittleEndian.Uint32(data)), 0).UTC()
			}
		}
		total += n
		n = int64(binary.LittleEndian.Uint16(b[n-2:]))
	}
	if haveName {
		e.raw = slashes(name)
	}
	if dir != nil {
		d := slashes(dir)
		if len(d) > 0 && d[len(d)-1] != '/' {
			d = append(d, '/')
		}
		e.raw = append(d, e.raw...)
	}
	return total, nil
}

// slashes copies a name turning the 0xFF directory separator of LHa for
// UNIX into '/'. Backslashes are left for cleanPath, after decoding (0x5C
// is a CP932 trail byte).
func slashes(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c == 0xFF {
			c = '/'
		}
		out[i] = c
	}
	return out
}

func dosTime(v uint32) time.Time {
	d, t := uint16(v>>16), uint16(v)
	if d == 0 {
		return time.Time{}
	}
	return time.Date(int(d>>9)+1980, time.Month(d>>5&0xF), int(d&0x1F), int(t>>11), int(t>>5&0x3F), int(t&0x1F)*2, 0, time.UTC)
}

// lzh sanitizes an LZH archive into a zip.
func (w *walker) lzh(dst io.Writer) error {
	ents, err := readLZH(w.it.Src, w.it.Src.Size(), w.it.Limits.MaxParts)
	if errors.Is(err, errTooManyEntries) {
		w.find(block(sanitize.RuleLimitParts, "", fmt.Sprintf("more than %d entries", w.it.Limits.MaxParts)))
		return nil
	}
	if err != nil {
		return fmt.Errorf("archive: %v: %w", err, sanitize.ErrMalformed)
	}
	raws := make([][]byte, len(ents))
	for i, e := range ents {
		raws[i] = e.raw
	}
	cs := guessCharset(raws)
	if cs == CharsetCP932 || cs == CharsetEUCJP {
		w.find(sanitize.Finding{Rule: RuleCharset, Action: sanitize.Converted, Detail: "entry names decoded from " + cs.String()})
	}
	keys := map[string]bool{}
	var total int64
	members := make([]*member, 0, len(ents))
	for _, e := range ents {
		name, ok := decodeName(cs, e.raw)
		if !ok {
			name = cp437(e.raw)
			w.find(sanitize.Finding{Rule: RuleName, Where: name, Action: sanitize.Converted, Detail: "name in an unknown charset; read as CP437"})
		}
		p, why := cleanPath(name)
		if why != "" {
			w.find(block(RulePath, name, why))
			return nil
		}
		if e.hasMode {
			switch t := uint32(e.unixMode) & sIFMT; t {
			case 0, sIFREG, sIFDIR:
			default:
				w.find(block(RuleLink, p, fmt.Sprintf("unix file type %#o (symbolic link, device, FIFO or socket)", t)))
				return nil
			}
		}
		if e.dir && p[len(p)-1] != '/' {
			p += "/"
		}
		if w.duplicate(keys, p) {
			return nil
		}
		e.path = p
		m := &member{path: p, mod: e.mod, size: e.usize}
		members = append(members, m)
		if e.dir {
			continue
		}
		if e.usize > ratioFloor && e.usize > w.it.Limits.MaxRatio*max(e.csize, 1) {
			w.find(block(RuleBomb, p, fmt.Sprintf("declares %d bytes from %d (ratio limit %d)", e.usize, e.csize, w.it.Limits.MaxRatio)))
			return nil
		}
		dict := 0
		switch e.method {
		case "-lh0-":
			if e.usize != e.csize {
				w.find(block(RuleStructure, p, "stored entry with different sizes"))
				return nil
			}
		case "-lh5-":
			dict = 13
		case "-lh6-":
			dict = 15
		case "-lh7-":
			dict = 16
		default:
			f := sanitize.Finding{Rule: RuleMethod, Where: p, Action: sanitize.Blocked, Detail: "compression method " + e.method + " is not supported"}
			m.removed = &f
			continue
		}
		if e.usize > w.maxMember {
			f := sanitize.Finding{Rule: sanitize.RuleLimitSize, Where: p, Action: sanitize.Blocked,
				Detail: fmt.Sprintf("declares %d bytes, member limit %d", e.usize, w.maxMember)}
			m.removed = &f
			continue
		}
		total += e.usize
		e := e
		src := w.it.Src
		ratio := w.it.Limits.MaxRatio
		m.open = func() (io.ReadCloser, error) {
			raw := io.NewSectionReader(src, e.dataOff, e.csize)
			var r io.Reader = raw
			if dict > 0 {
				r = newLHDecoder(raw, dict, e.usize)
			}
			r = &crc16Reader{r: r, want: e.crc, check: e.hasCRC}
			return io.NopCloser(&ratioGuard{r: r, known: e.csize, ratio: ratio}), nil
		}
	}
	if total > w.it.Limits.MaxExpanded {
		w.find(block(sanitize.RuleLimitSize, "", fmt.Sprintf("declares %d bytes expanded, limit %d", total, w.it.Limits.MaxExpanded)))
		return nil
	}
	w.res.Kind = detect.ZIP
	w.find(sanitize.Finding{Rule: RuleKind, Action: sanitize.Converted, Detail: "LZH archive rewritten as zip"})
	out := newZipSink(dst)
	for _, m := range members {
		if err := w.member(out, m); err != nil {
			if e := w.finish(err); e != nil {
				if errors.Is(e, errLZH) {
					return fmt.Errorf("archive: %v: %w", e, sanitize.ErrMalformed)
				}
				return e
			}
			return nil
		}
	}
	return out.close()
}

// crc16Reader checks the CRC-16 (polynomial 0xA001, reflected, initial 0)
// LHA stores for each member, at the end of the stream.
type crc16Reader struct {
	r     io.Reader
	crc   uint16
	want  uint16
	check bool
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA001
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

func (c *crc16Reader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for _, b := range p[:n] {
		c.crc = crc16Table[byte(c.crc)^b] ^ c.crc>>8
	}
	if err == io.EOF && c.check && c.crc != c.want {
		return n, errCRC
	}
	return n, err
}
