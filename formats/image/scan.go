package image

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// layout is what the structural scan of one file found, before any pixel is
// decoded: the dimensions and frames the decoder will allocate, the
// containers of metadata that re-encoding drops, the bytes after the format's
// end marker, and the orientation to apply.
type layout struct {
	width, height int   // canvas
	frames        int   // frames (GIF) or pages (TIFF); 1 for still formats
	pixels        int64 // pixels the decoder allocates: all GIF frames together, the largest TIFF page
	end           int64 // offset just past the format's end marker
	metadata      []string
	extraFrames   string // what the re-encoder cannot keep ("APNG animation")
	orientation   int    // EXIF / TIFF orientation 1–8; 0 when none was given
	animated      bool   // an animated WebP (not decodable here)
	truncated     bool   // the pixel data the header promises is not all there (BMP)
	progressive   bool   // a progressive JPEG: the decoder keeps every coefficient
	pages         []tiffPage
	scans         int // JPEG scans (SOS segments)
}

// maxMetaNames caps the distinct metadata names one report lists.
const maxMetaNames = 12

func (l *layout) meta(name string) {
	if !slices.Contains(l.metadata, name) && len(l.metadata) < maxMetaNames {
		l.metadata = append(l.metadata, name)
	}
}

// errScan wraps every structural problem; the caller maps it to
// sanitize.ErrMalformed.
var errScan = errors.New("image: malformed structure")

func scanErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errScan, fmt.Sprintf(format, args...))
}

// reader is a buffered reader that knows its offset.
type reader struct {
	br  *bufio.Reader
	pos int64
}

func newReader(r io.Reader) *reader { return &reader{br: bufio.NewReaderSize(r, 64<<10)} }

func (r *reader) byte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		r.pos++
	}
	return c, eofIsUnexpected(err)
}

func (r *reader) full(p []byte) error {
	n, err := io.ReadFull(r.br, p)
	r.pos += int64(n)
	return eofIsUnexpected(err)
}

func (r *reader) skip(n int64) error {
	for n > 0 {
		step := int(min(n, 1<<30))
		d, err := r.br.Discard(step)
		r.pos += int64(d)
		n -= int64(d)
		if err != nil {
			return eofIsUnexpected(err)
		}
	}
	return nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ---- JPEG (ITU-T T.81 Annex B, JFIF 1.02, Exif 2.32 §4.5.4) ----

// scanJPEG walks the marker segments, skipping entropy-coded data, up to EOI.
func scanJPEG(r io.Reader, l *layout) error {
	rd := newReader(r)
	var soi [2]byte
	if err := rd.full(soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return scanErr("jpeg: no SOI")
	}
	sof := 0
	var m byte // the pending marker, when entropy-coded data ended on one
	for {
		if m == 0 {
			c, err := rd.byte()
			if err != nil {
				return scanErr("jpeg: %v", err)
			}
			if c != 0xFF {
				// Bytes where a marker should be. Go's decoder, like
				// libjpeg, skips them; they are not carried over.
				l.meta("extraneous bytes")
				for c != 0xFF {
					if c, err = rd.byte(); err != nil {
						return scanErr("jpeg: %v", err)
					}
				}
			}
			for c == 0xFF { // fill bytes (T.81 B.1.1.2)
				if c, err = rd.byte(); err != nil {
					return scanErr("jpeg: %v", err)
				}
			}
			m = c
		}
		marker := m
		m = 0
		switch {
		case marker == 0xD9: // EOI
			l.end = rd.pos
			if sof == 0 {
				return scanErr("jpeg: no frame header")
			}
			l.frames = 1
			l.pixels = int64(l.width) * int64(l.height)
			return nil
		case marker >= 0xD0 && marker <= 0xD7, marker == 0x01:
			continue // RSTn and TEM have no length
		case marker == 0x00 || marker == 0xD8:
			return scanErr("jpeg: unexpected marker 0x%02X", marker)
		}
		var lb [2]byte
		if err := rd.full(lb[:]); err != nil {
			return scanErr("jpeg: %v", err)
		}
		n := int64(binary.BigEndian.Uint16(lb[:])) - 2
		if n < 0 {
			return scanErr("jpeg: segment length %d", n+2)
		}
		switch {
		case isSOF(marker):
			if n < 6 {
				return scanErr("jpeg: short frame header")
			}
			var h [6]byte
			if err := rd.full(h[:]); err != nil {
				return scanErr("jpeg: %v", err)
			}
			sof++
			if sof > 1 {
				return scanErr("jpeg: more than one frame header")
			}
			l.progressive = marker&3 == 2 // SOF2, SOF6, SOF10, SOF14
			l.height = int(binary.BigEndian.Uint16(h[1:]))
			l.width = int(binary.BigEndian.Uint16(h[3:]))
			if err := rd.skip(n - 6); err != nil {
				return scanErr("jpeg: %v", err)
			}
		case marker == 0xE1 && n >= 6:
			// APP1: Exif (orientation read here) or XMP or another.
			seg := make([]byte, n)
			if err := rd.full(seg); err != nil {
				return scanErr("jpeg: %v", err)
			}
			switch {
			case bytes.HasPrefix(seg, []byte("Exif\x00")):
				l.meta("EXIF")
				if l.orientation == 0 && len(seg) > 6 {
					l.orientation = exifOrientation(seg[6:])
				}
			case bytes.HasPrefix(seg, []byte("http://ns.adobe.com/")):
				l.meta("XMP")
			default:
				l.meta("APP1")
			}
		case marker >= 0xE0 && marker <= 0xEF:
			head := make([]byte, min(n, 16))
			if err := rd.full(head); err != nil {
				return scanErr("jpeg: %v", err)
			}
			if name := appName(marker, head, n); name != "" {
				l.meta(name)
			}
			if err := rd.skip(n - int64(len(head))); err != nil {
				return scanErr("jpeg: %v", err)
			}
		case marker == 0xFE:
			l.meta("comment")
			if err := rd.skip(n); err != nil {
				return scanErr("jpeg: %v", err)
			}
		case marker == 0xDA: // SOS: header, then entropy-coded data
			if sof == 0 {
				return scanErr("jpeg: scan before frame header")
			}
			l.scans++
			if l.scans > maxJPEGScans {
				return nil // the caller blocks on the count
			}
			if err := rd.skip(n); err != nil {
				return scanErr("jpeg: %v", err)
			}
			next, err := skipEntropy(rd)
			if err != nil {
				return scanErr("jpeg: %v", err)
			}
			m = next
		case marker == 0xDB, marker == 0xC4, marker == 0xDD, marker == 0xDC, marker == 0xCC:
			// DQT, DHT, DRI, DNL, DAC: structure the decoder reads.
			if err := rd.skip(n); err != nil {
				return scanErr("jpeg: %v", err)
			}
		default:
			l.meta(fmt.Sprintf("marker 0x%02X", marker))
			if err := rd.skip(n); err != nil {
				return scanErr("jpeg: %v", err)
			}
		}
	}
}

// maxJPEGScans caps the scans of one JPEG: each scan of a progressive JPEG
// makes the decoder walk every block again, so thousands of tiny scans cost
// seconds. Encoders write about ten; libjpeg-turbo's tools refuse more than
// a few hundred when asked to be strict.
const maxJPEGScans = 500

// isSOF reports the start-of-frame markers SOF0–SOF15 (not DHT, JPG, DAC).
func isSOF(m byte) bool {
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC
}

// appName names an APPn segment that counts as metadata, or "" for the ones
// that only describe the coding: a JFIF APP0 without thumbnail and Adobe's
// APP14 colour transform.
func appName(marker byte, head []byte, n int64) string {
	switch marker {
	case 0xE0:
		if bytes.HasPrefix(head, []byte("JFIF\x00")) && len(head) >= 14 && head[12] == 0 && head[13] == 0 && n == 14 {
			return ""
		}
		if bytes.HasPrefix(head, []byte("JFIF\x00")) || bytes.HasPrefix(head, []byte("JFXX\x00")) {
			return "JFIF thumbnail"
		}
	case 0xE2:
		if bytes.HasPrefix(head, []byte("ICC_PROFILE\x00")) {
			return "ICC profile"
		}
		if bytes.HasPrefix(head, []byte("MPF\x00")) {
			return "MPF"
		}
	case 0xED:
		return "IPTC/Photoshop"
	case 0xEE:
		if bytes.HasPrefix(head, []byte("Adobe")) && n == 12 {
			return ""
		}
	}
	return fmt.Sprintf("APP%d", marker-0xE0)
}

// skipEntropy reads entropy-coded data up to the next marker that is not a
// stuffed byte or a restart marker, and returns that marker.
func skipEntropy(rd *reader) (byte, error) {
	for {
		s, err := rd.br.ReadSlice(0xFF)
		rd.pos += int64(len(s))
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return 0, eofIsUnexpected(err)
		}
		c, err := rd.byte()
		if err != nil {
			return 0, err
		}
		for c == 0xFF {
			if c, err = rd.byte(); err != nil {
				return 0, err
			}
		}
		if c == 0x00 || (c >= 0xD0 && c <= 0xD7) {
			continue
		}
		return c, nil
	}
}

// ---- PNG (ISO/IEC 15948, PNG 3rd edition §5, §11) ----

var pngSig = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}

// pngStructural are the chunks the decoder needs and the encoder writes.
var pngStructural = map[string]bool{"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true, "tRNS": true}

func scanPNG(r io.Reader, l *layout) error {
	rd := newReader(r)
	var sig [8]byte
	if err := rd.full(sig[:]); err != nil || !bytes.Equal(sig[:], pngSig) {
		return scanErr("png: no signature")
	}
	first := true
	for {
		var h [8]byte
		if err := rd.full(h[:]); err != nil {
			return scanErr("png: %v", err)
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:])
		if n > 1<<31-1 {
			return scanErr("png: chunk length %d", n)
		}
		if first != (typ == "IHDR") {
			return scanErr("png: IHDR must come first")
		}
		first = false
		switch typ {
		case "IHDR":
			if n != 13 {
				return scanErr("png: IHDR length %d", n)
			}
			var d [13]byte
			if err := rd.full(d[:]); err != nil {
				return scanErr("png: %v", err)
			}
			w, ht := binary.BigEndian.Uint32(d[:4]), binary.BigEndian.Uint32(d[4:8])
			if w > 1<<31-1 || ht > 1<<31-1 {
				return scanErr("png: dimensions")
			}
			l.width, l.height = int(w), int(ht)
			n = 0
		case "eXIf":
			l.meta("eXIf")
			if n <= 64<<10 {
				d := make([]byte, n)
				if err := rd.full(d); err != nil {
					return scanErr("png: %v", err)
				}
				l.orientation = exifOrientation(d)
				n = 0
			}
		case "acTL", "fcTL", "fdAT":
			l.extraFrames = "APNG animation (the default image is kept)"
		default:
			if !pngStructural[typ] {
				l.meta(chunkName(h[4:]))
			}
		}
		if err := rd.skip(n + 4); err != nil { // data and CRC
			return scanErr("png: %v", err)
		}
		if typ == "IEND" {
			l.end = rd.pos
			l.frames = 1
			l.pixels = int64(l.width) * int64(l.height)
			return nil
		}
	}
}

// chunkName names a PNG chunk for a finding: its type when it is four
// ASCII letters (as ISO/IEC 15948 §5.4 requires), else its hex value, so no
// file content reaches a report.
func chunkName(t []byte) string {
	for _, c := range t {
		if c|0x20 < 'a' || c|0x20 > 'z' {
			return fmt.Sprintf("chunk 0x%X", t)
		}
	}
	return string(t)
}

// ---- GIF (GIF89a specification) ----

func scanGIF(r io.Reader, l *layout, maxFrames int) error {
	rd := newReader(r)
	var h [13]byte
	if err := rd.full(h[:]); err != nil {
		return scanErr("gif: %v", err)
	}
	if string(h[:6]) != "GIF87a" && string(h[:6]) != "GIF89a" {
		return scanErr("gif: no signature")
	}
	l.width = int(binary.LittleEndian.Uint16(h[6:]))
	l.height = int(binary.LittleEndian.Uint16(h[8:]))
	if h[10]&0x80 != 0 {
		if err := rd.skip(3 << (h[10]&7 + 1)); err != nil {
			return scanErr("gif: %v", err)
		}
	}
	for {
		c, err := rd.byte()
		if err != nil {
			return scanErr("gif: %v", err)
		}
		switch c {
		case 0x21: // extension
			label, err := rd.byte()
			if err != nil {
				return scanErr("gif: %v", err)
			}
			switch label {
			case 0xF9: // graphic control
			case 0xFF: // application
				var id [12]byte
				if err := rd.full(id[:]); err != nil {
					return scanErr("gif: %v", err)
				}
				if id[0] != 11 {
					return scanErr("gif: application extension block size %d", id[0])
				}
				if s := string(id[1:]); s != "NETSCAPE2.0" && s != "ANIMEXTS1.0" {
					l.meta("application extension " + printable(id[1:]))
				}
			case 0xFE:
				l.meta("comment")
			case 0x01:
				l.meta("plain text extension")
			default:
				l.meta(fmt.Sprintf("extension 0x%02X", label))
			}
			if err := skipSubBlocks(rd); err != nil {
				return scanErr("gif: %v", err)
			}
		case 0x2C: // image descriptor
			var d [9]byte
			if err := rd.full(d[:]); err != nil {
				return scanErr("gif: %v", err)
			}
			l.frames++
			if l.frames > maxFrames {
				return nil // the caller blocks on the count; no need to read on
			}
			fw, fh := int64(binary.LittleEndian.Uint16(d[4:])), int64(binary.LittleEndian.Uint16(d[6:]))
			l.pixels += fw * fh
			if d[8]&0x80 != 0 {
				if err := rd.skip(3 << (d[8]&7 + 1)); err != nil {
					return scanErr("gif: %v", err)
				}
			}
			if _, err := rd.byte(); err != nil { // LZW minimum code size
				return scanErr("gif: %v", err)
			}
			if err := skipSubBlocks(rd); err != nil {
				return scanErr("gif: %v", err)
			}
		case 0x3B: // trailer
			if l.frames == 0 {
				return scanErr("gif: no image")
			}
			l.end = rd.pos
			return nil
		default:
			return scanErr("gif: unknown block 0x%02X", c)
		}
	}
}

func skipSubBlocks(rd *reader) error {
	for {
		n, err := rd.byte()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if err := rd.skip(int64(n)); err != nil {
			return err
		}
	}
}

// printable returns the ASCII letters, digits and dots of b, for naming an
// application extension in a finding without copying file content.
func printable(b []byte) string {
	var out []byte
	for _, c := range b {
		if c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '.' {
			out = append(out, c)
		}
	}
	return string(out)
}

// ---- BMP (the layouts golang.org/x/image/bmp decodes) ----

func scanBMP(r io.ReaderAt, size int64, l *layout) error {
	var h [54]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return scanErr("bmp: %v", err)
	}
	off := int64(binary.LittleEndian.Uint32(h[10:]))
	w := int64(int32(binary.LittleEndian.Uint32(h[18:])))
	ht := int64(int32(binary.LittleEndian.Uint32(h[22:])))
	bpp := int64(binary.LittleEndian.Uint16(h[28:]))
	if ht < 0 {
		ht = -ht
	}
	if w < 0 || w > 1<<30 || ht > 1<<30 {
		return scanErr("bmp: dimensions")
	}
	stride := (w*bpp + 31) / 32 * 4
	l.width, l.height = int(w), int(ht)
	l.frames = 1
	l.pixels = w * ht
	l.end = off + stride*ht
	if l.end > size {
		// Reported after the limits: a huge header is a limit, not damage.
		l.end, l.truncated = size, true
	}
	return nil
}

// ---- TIFF (TIFF 6.0 §2, §8) ----

// tiffStructural are the tags that describe how the pixels are stored; the
// encoder regenerates what it needs. Every other tag is metadata.
var tiffStructural = map[uint16]bool{
	254: true, 255: true, 256: true, 257: true, 258: true, 259: true, 262: true, 263: true,
	266: true, 273: true, 274: true, 277: true, 278: true, 279: true, 280: true, 281: true,
	282: true, 283: true, 284: true, 290: true, 291: true, 292: true, 293: true, 296: true,
	317: true, 318: true, 319: true, 320: true, 322: true, 323: true, 324: true, 325: true,
	338: true, 339: true, 340: true, 341: true, 347: true, 529: true, 530: true, 531: true, 532: true,
}

var tiffTagNames = map[uint16]string{
	269: "DocumentName", 270: "ImageDescription", 271: "Make", 272: "Model", 285: "PageName",
	305: "Software", 306: "DateTime", 315: "Artist", 316: "HostComputer", 330: "SubIFDs",
	700: "XMP", 33432: "Copyright", 33723: "IPTC", 34377: "Photoshop", 34665: "EXIF",
	34675: "ICC profile", 34853: "GPS", 37724: "ImageSourceData",
}

// maxTIFFPages and maxTIFFEntries bound the IFD walk.
const (
	maxTIFFPages   = 10000
	maxTIFFEntries = 4096
)

func scanTIFF(r io.ReaderAt, size int64, l *layout) error {
	var h [8]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return scanErr("tiff: %v", err)
	}
	var bo binary.ByteOrder
	switch string(h[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return scanErr("tiff: not a classic TIFF header (BigTIFF is not supported)")
	}
	off := int64(bo.Uint32(h[4:]))
	seen := map[int64]bool{}
	for off != 0 && off < size {
		if seen[off] || len(seen) > maxTIFFPages {
			break // a loop, or more pages than any limit allows: counted below
		}
		seen[off] = true
		first := len(seen) == 1
		var nb [2]byte
		if _, err := r.ReadAt(nb[:], off); err != nil {
			if first {
				return scanErr("tiff: IFD: %v", err)
			}
			break
		}
		n := int(bo.Uint16(nb[:]))
		if n == 0 || n > maxTIFFEntries {
			if first {
				return scanErr("tiff: IFD with %d entries", n)
			}
			break
		}
		ifd := make([]byte, 12*n+4)
		if _, err := r.ReadAt(ifd, off+2); err != nil {
			if first {
				return scanErr("tiff: IFD: %v", err)
			}
			break
		}
		p := tiffPage{off: off}
		for i := range n {
			e := ifd[12*i : 12*i+12]
			tag := bo.Uint16(e)
			typ := bo.Uint16(e[2:])
			switch {
			case tag == 256 || tag == 257:
				// One inline SHORT or LONG, or the decoder may read the
				// size elsewhere (a count over 1 makes it an offset) and
				// allocate past every limit.
				if count := bo.Uint32(e[4:]); count != 1 || typ != 3 && typ != 4 {
					return scanErr("tiff: page %d: image size given as %d values of type %d", len(seen), count, typ)
				}
				if tag == 256 {
					p.width = int(tiffValue(bo, typ, e[8:]))
				} else {
					p.height = int(tiffValue(bo, typ, e[8:]))
				}
			case tag == 274 && typ == 3:
				p.orientation = int(bo.Uint16(e[8:]))
			case !tiffStructural[tag]:
				if name, ok := tiffTagNames[tag]; ok {
					l.meta(name)
				} else {
					l.meta(fmt.Sprintf("tag %d", tag))
				}
			}
		}
		l.pages = append(l.pages, p)
		l.width, l.height = max(l.width, p.width), max(l.height, p.height)
		l.pixels = max(l.pixels, int64(p.width)*int64(p.height)) // pages are decoded one at a time
		off = int64(bo.Uint32(ifd[12*n:]))
	}
	l.frames = len(l.pages)
	l.end = size // TIFF has no end marker; unreferenced bytes are dropped silently
	return nil
}

// tiffValue reads an inline SHORT or LONG value.
func tiffValue(bo binary.ByteOrder, typ uint16, v []byte) uint32 {
	switch typ {
	case 3:
		return uint32(bo.Uint16(v))
	case 4:
		return bo.Uint32(v)
	}
	return 0
}

// ---- WebP (RFC 9649) ----

func scanWebP(r io.Reader, size int64, l *layout) error {
	rd := newReader(r)
	var h [12]byte
	if err := rd.full(h[:]); err != nil {
		return scanErr("webp: %v", err)
	}
	if string(h[:4]) != "RIFF" || string(h[8:]) != "WEBP" {
		return scanErr("webp: no RIFF header")
	}
	riffEnd := 8 + int64(binary.LittleEndian.Uint32(h[4:]))
	if riffEnd > size {
		return scanErr("webp: RIFF size past the end of the file")
	}
	image := false
	for rd.pos+8 <= riffEnd {
		var ch [8]byte
		if err := rd.full(ch[:]); err != nil {
			return scanErr("webp: %v", err)
		}
		id := string(ch[:4])
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		if rd.pos+n > riffEnd {
			return scanErr("webp: chunk %q past the RIFF end", printable(ch[:4]))
		}
		pad := n & 1
		switch id {
		case "VP8 ", "VP8L", "ALPH", "VP8X":
			image = image || id == "VP8 " || id == "VP8L"
		case "ANIM", "ANMF":
			l.animated = true
		case "EXIF":
			l.meta("EXIF")
			if n <= 64<<10 {
				d := make([]byte, n)
				if err := rd.full(d); err != nil {
					return scanErr("webp: %v", err)
				}
				d = bytes.TrimPrefix(d, []byte("Exif\x00\x00"))
				l.orientation = exifOrientation(d)
				n = 0
			}
		case "XMP ":
			l.meta("XMP")
		case "ICCP":
			l.meta("ICC profile")
		default:
			l.meta("chunk " + printable(ch[:4]))
		}
		if err := rd.skip(n + pad); err != nil {
			return scanErr("webp: %v", err)
		}
	}
	if !image && !l.animated {
		return scanErr("webp: no image chunk")
	}
	l.frames = 1
	l.end = min(riffEnd, size)
	return nil
}
