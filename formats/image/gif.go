package image

import (
	"bytes"
	"compress/lzw"
	"encoding/binary"
	"fmt"
	"io"
)

// normalizeGIF rewrites a GIF so that the standard decoder accepts what
// browsers and giflib accept: each frame's LZW data is decoded to exactly
// the frame's pixel count and compressed again, so extra codes after the
// last pixel ("gif: too much image data", common in files from old
// encoders and in crafted ones) are dropped. Extensions other than graphic
// control and the loop count are left out (they would be dropped anyway).
// The input has passed scanGIF. Too little pixel data is still an error.
func normalizeGIF(r io.Reader) ([]byte, error) {
	rd := newReader(r)
	var out bytes.Buffer
	var h [13]byte
	if err := rd.full(h[:]); err != nil {
		return nil, err
	}
	out.Write(h[:])
	if h[10]&0x80 != 0 {
		if err := copyN(&out, rd, 3<<(h[10]&7+1)); err != nil {
			return nil, err
		}
	}
	for {
		c, err := rd.byte()
		if err != nil {
			return nil, err
		}
		switch c {
		case 0x21:
			label, err := rd.byte()
			if err != nil {
				return nil, err
			}
			data, err := readSubBlocks(rd, 1<<20)
			if err != nil {
				return nil, err
			}
			keep := label == 0xF9 || label == 0xFF && (bytes.HasPrefix(data, []byte("NETSCAPE2.0")) || bytes.HasPrefix(data, []byte("ANIMEXTS1.0")))
			if !keep {
				continue
			}
			// Both are written back as the decoder expects them: the first
			// sub-block is the fixed part.
			out.Write([]byte{0x21, label})
			if label == 0xF9 {
				writeSubBlocks(&out, data)
			} else {
				out.WriteByte(11)
				out.Write(data[:11])
				writeSubBlocks(&out, data[11:])
			}
		case 0x2C:
			var d [9]byte
			if err := rd.full(d[:]); err != nil {
				return nil, err
			}
			out.WriteByte(0x2C)
			out.Write(d[:])
			if d[8]&0x80 != 0 {
				if err := copyN(&out, rd, 3<<(d[8]&7+1)); err != nil {
					return nil, err
				}
			}
			lit, err := rd.byte()
			if err != nil {
				return nil, err
			}
			if lit < 2 || lit > 8 {
				return nil, fmt.Errorf("gif: LZW minimum code size %d", lit)
			}
			n := int(binary.LittleEndian.Uint16(d[4:])) * int(binary.LittleEndian.Uint16(d[6:]))
			comp, err := readSubBlocks(rd, 1<<31-1)
			if err != nil {
				return nil, err
			}
			pix := make([]byte, n)
			zr := lzw.NewReader(bytes.NewReader(comp), lzw.LSB, int(lit))
			if _, err := io.ReadFull(zr, pix); err != nil {
				zr.Close()
				return nil, fmt.Errorf("gif: not enough image data: %w", err)
			}
			zr.Close()
			var re bytes.Buffer
			zw := lzw.NewWriter(&re, lzw.LSB, int(lit))
			if _, err := zw.Write(pix); err != nil {
				return nil, err
			}
			if err := zw.Close(); err != nil {
				return nil, err
			}
			out.WriteByte(lit)
			writeSubBlocks(&out, re.Bytes())
		case 0x3B:
			out.WriteByte(0x3B)
			return out.Bytes(), nil
		default:
			return nil, fmt.Errorf("gif: unknown block 0x%02X", c)
		}
	}
}

func copyN(dst *bytes.Buffer, rd *reader, n int64) error {
	b := make([]byte, n)
	if err := rd.full(b); err != nil {
		return err
	}
	dst.Write(b)
	return nil
}

// readSubBlocks concatenates a sequence of data sub-blocks, failing past max
// bytes.
func readSubBlocks(rd *reader, max int) ([]byte, error) {
	var out []byte
	var blk [255]byte
	for {
		n, err := rd.byte()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		if err := rd.full(blk[:n]); err != nil {
			return nil, err
		}
		if len(out)+int(n) > max {
			return nil, fmt.Errorf("gif: extension over %d bytes", max)
		}
		out = append(out, blk[:n]...)
	}
}

func writeSubBlocks(w *bytes.Buffer, data []byte) {
	for len(data) > 0 {
		n := min(len(data), 255)
		w.WriteByte(byte(n))
		w.Write(data[:n])
		data = data[n:]
	}
	w.WriteByte(0)
}
