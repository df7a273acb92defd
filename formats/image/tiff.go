package image

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"

	"golang.org/x/image/tiff"

	"github.com/mugai-project/mugai/sanitize"
)

// tiffPage is one image file directory found by the scan.
type tiffPage struct {
	off                        int64
	width, height, orientation int
}

// tiffPages decodes every page in turn (the decoder reads only the first
// IFD, so each page is presented to it through a header that points at its
// IFD), applies the page's orientation, encodes it as a one-page
// Deflate-compressed TIFF and appends it to a multi-page file. At most two
// encoded pages are held at a time.
//
// A page after the first that does not decode (a thumbnail in an old JPEG
// compression, say) is left out and listed in dropped; the first page must
// decode.
func (s *Sanitizer) tiffPages(ctx context.Context, w io.Writer, src io.ReaderAt, size int64, pages []tiffPage) (oriented bool, dropped []int, err error) {
	tw := &tiffWriter{w: w}
	for i, p := range pages {
		if err := ctx.Err(); err != nil {
			return oriented, dropped, err
		}
		page := io.NewSectionReader(&ifdOverlay{r: src, ifd: uint32(p.off)}, 0, size)
		// The decoder's own view of this page's size, against the limits,
		// before it allocates the canvas (the scan checked the IFD; this
		// checks what the decoder will actually use).
		cfg, err := tiff.DecodeConfig(page)
		if err == nil {
			if f, ok := s.checkLimits(&layout{width: cfg.Width, height: cfg.Height, pixels: int64(cfg.Width) * int64(cfg.Height)}, true); !ok {
				return oriented, dropped, fmt.Errorf("image: tiff page %d: %s: %w", i+1, f.Detail, sanitize.ErrTooLarge)
			}
			page = io.NewSectionReader(&ifdOverlay{r: src, ifd: uint32(p.off)}, 0, size)
		}
		var m image.Image
		if err == nil {
			m, err = tiff.Decode(page)
		}
		if err != nil {
			if i == 0 {
				return oriented, dropped, err
			}
			dropped = append(dropped, i+1)
			continue
		}
		if p.orientation >= 2 && p.orientation <= 8 {
			m = orient(m, p.orientation)
			oriented = true
		}
		var buf bytes.Buffer
		if err := tiff.Encode(&buf, compactIfPaletted(m), &tiff.Options{Compression: tiff.Deflate}); err != nil {
			return oriented, dropped, err
		}
		if err := tw.add(buf.Bytes()); err != nil {
			return oriented, dropped, err
		}
	}
	return oriented, dropped, tw.close()
}

// ifdOverlay is a TIFF whose header's first-IFD offset (bytes 4–7) reads
// as ifd; every other byte is r's.
type ifdOverlay struct {
	r   io.ReaderAt
	ifd uint32
}

func (o *ifdOverlay) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.r.ReadAt(p, off)
	var hdr [8]byte
	if off < 8 {
		if _, herr := o.r.ReadAt(hdr[:], 0); herr != nil {
			return n, err
		}
		order := binary.ByteOrder(binary.LittleEndian)
		if hdr[0] == 'M' {
			order = binary.BigEndian
		}
		order.PutUint32(hdr[4:], o.ifd)
		for i := off; i < 8 && i-off < int64(n); i++ {
			p[i-off] = hdr[i]
		}
	}
	return n, err
}

// tiffWriter joins one-page little-endian TIFFs as written by
// golang.org/x/image/tiff (header, strip, then the IFD and its out-of-line
// values) into one multi-page file: each page's body is moved to its place,
// every offset in its IFD is shifted accordingly, and the IFDs are chained.
type tiffWriter struct {
	w           io.Writer
	n           int64  // bytes written
	pending     []byte // the page waiting for its successor's IFD position
	pendingBase int64  // where the pending page's byte 8 goes
}

var errTIFFPage = errors.New("image: unexpected TIFF from the encoder")

// ifdAt returns the offset of a one-page TIFF's IFD.
func ifdAt(page []byte) (int64, error) {
	if len(page) < 8 || string(page[:4]) != "II*\x00" {
		return 0, errTIFFPage
	}
	off := int64(binary.LittleEndian.Uint32(page[4:]))
	if off < 8 || off+2 > int64(len(page)) {
		return 0, errTIFFPage
	}
	return off, nil
}

func (tw *tiffWriter) add(page []byte) error {
	page, err := evenIFD(page)
	if err != nil {
		return err
	}
	ifd, err := ifdAt(page)
	if err != nil {
		return err
	}
	if tw.pending == nil && tw.n == 0 {
		var h [8]byte
		copy(h[:], "II*\x00")
		binary.LittleEndian.PutUint32(h[4:], uint32(ifd)) // base 8: no shift
		if err := tw.write(h[:]); err != nil {
			return err
		}
		tw.pending, tw.pendingBase = page, 8
		return nil
	}
	next := tw.pendingBase + int64(len(tw.pending)) - 8
	next += next & 1 // IFDs and data start on a word boundary
	if err := tw.flush(next + ifd - 8); err != nil {
		return err
	}
	tw.pending, tw.pendingBase = page, next
	return nil
}

// evenIFD moves a one-page TIFF's IFD (and the values after it) one byte
// on when it starts at an odd offset, as TIFF 6.0 §2 wants IFDs on a word
// boundary: the encoder puts it right after a strip of any length.
func evenIFD(page []byte) ([]byte, error) {
	ifd, err := ifdAt(page)
	if err != nil || ifd%2 == 0 {
		return page, err
	}
	le := binary.LittleEndian
	out := make([]byte, 0, len(page)+1)
	out = append(out, page[:ifd]...)
	out = append(out, 0)
	out = append(out, page[ifd:]...)
	ifd++
	le.PutUint32(out[4:], uint32(ifd))
	n := int64(le.Uint16(out[ifd:]))
	if ifd+2+12*n+4 > int64(len(out)) {
		return nil, errTIFFPage
	}
	for i := range n {
		e := out[ifd+2+12*i:]
		typ, count := le.Uint16(e[2:]), int64(le.Uint32(e[4:]))
		if tiffTypeSize(typ)*count > 4 && le.Uint16(e) != 273 && le.Uint16(e) != 324 {
			le.PutUint32(e[8:], le.Uint32(e[8:])+1) // values sit after the IFD
		}
	}
	return out, nil
}

func (tw *tiffWriter) close() error {
	if tw.pending == nil {
		return errTIFFPage
	}
	return tw.flush(0)
}

// flush writes the pending page at its base, with nextIFD as the offset of
// the following IFD (0 for the last page).
func (tw *tiffWriter) flush(nextIFD int64) error {
	page := bytes.Clone(tw.pending)
	delta := tw.pendingBase - 8
	if tw.pendingBase+int64(len(page)) > 1<<32-1 {
		return fmt.Errorf("image: TIFF output over 4 GiB")
	}
	ifd, err := ifdAt(page)
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	n := int64(le.Uint16(page[ifd:]))
	end := ifd + 2 + 12*n + 4
	if end > int64(len(page)) {
		return errTIFFPage
	}
	for i := range n {
		e := page[ifd+2+12*i:]
		tag, typ, count := le.Uint16(e), le.Uint16(e[2:]), int64(le.Uint32(e[4:]))
		if (tag == 273 || tag == 324) && count != 1 {
			return errTIFFPage // one strip per page is what the encoder writes
		}
		if tag == 273 || tag == 324 || tiffTypeSize(typ)*count > 4 {
			// StripOffsets (TileOffsets) and out-of-line values hold
			// offsets.
			le.PutUint32(e[8:], uint32(int64(le.Uint32(e[8:]))+delta))
		}
	}
	le.PutUint32(page[end-4:], uint32(nextIFD))
	for tw.n < tw.pendingBase {
		if err := tw.write([]byte{0}); err != nil {
			return err
		}
	}
	return tw.write(page[8:])
}

func (tw *tiffWriter) write(p []byte) error {
	n, err := tw.w.Write(p)
	tw.n += int64(n)
	return err
}

// tiffTypeSize is the size of one value of a TIFF field type (TIFF 6.0
// §2, "Types"); unknown types count as 1.
func tiffTypeSize(typ uint16) int64 {
	switch typ {
	case 3, 8:
		return 2
	case 4, 9, 11:
		return 4
	case 5, 10, 12:
		return 8
	}
	return 1
}
