package image

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"
)

// Payloads the hostile fixtures carry in every place an image can hide
// bytes; none may survive in an output.
var payloads = []string{
	"<?php system($_GET['c']); ?>",
	"<script>alert(document.domain)</script>",
	"PK\x03\x04mugai-polyglot",
	"MUGAI-TRAILER-MARK",
}

// gradient is a w×h test picture with some structure (so that orientation
// mistakes show).
func gradient(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 255 / max(w-1, 1)), uint8(y * 255 / max(h-1, 1)), uint8((x + y) % 256), 0xFF})
		}
	}
	return m
}

// exifTIFF builds an Exif TIFF structure (little-endian) with an
// Orientation tag (0 omits it) and an ImageDescription holding desc.
func exifTIFF(orientation int, desc string) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8))
	n := uint16(1)
	if orientation > 0 {
		n = 2
	}
	binary.Write(&b, le, n)
	dataOff := uint32(8 + 2 + 12*int(n) + 4)
	// ImageDescription (270), ASCII, pointing after the IFD.
	binary.Write(&b, le, uint16(270))
	binary.Write(&b, le, uint16(2))
	binary.Write(&b, le, uint32(len(desc)+1))
	binary.Write(&b, le, dataOff)
	if orientation > 0 {
		binary.Write(&b, le, uint16(0x0112))
		binary.Write(&b, le, uint16(3))
		binary.Write(&b, le, uint32(1))
		binary.Write(&b, le, uint16(orientation))
		binary.Write(&b, le, uint16(0))
	}
	binary.Write(&b, le, uint32(0))
	b.WriteString(desc)
	b.WriteByte(0)
	return b.Bytes()
}

func jpegSegment(marker byte, payload []byte) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// hostileJPEG is a w×h JPEG with EXIF (orientation o), XMP, a comment, an
// APP13 and the payloads after EOI.
func hostileJPEG(t testing.TB, w, h, o int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, gradient(w, h), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	plain := b.Bytes()
	var out bytes.Buffer
	out.Write(plain[:2])
	out.Write(jpegSegment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")))
	out.Write(jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(o, payloads[0])...)))
	out.Write(jpegSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+payloads[1]+"</x:xmpmeta>")))
	out.Write(jpegSegment(0xED, []byte("Photoshop 3.0\x008BIM"+payloads[0])))
	out.Write(jpegSegment(0xFE, []byte(payloads[1])))
	out.Write(plain[2:])
	out.WriteString(payloads[2] + payloads[3] + payloads[0])
	return out.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// insertPNGChunks puts chunks just after IHDR.
func insertPNGChunks(p []byte, chunks ...[]byte) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte{}, p[:afterIHDR]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[afterIHDR:]...)
}

func hostilePNG(t testing.TB, m image.Image, o int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	p := insertPNGChunks(b.Bytes(),
		pngChunk("tEXt", []byte("Comment\x00"+payloads[0])),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+payloads[1])),
		pngChunk("eXIf", exifTIFF(o, payloads[1])),
		pngChunk("tIME", []byte{0x07, 0xEA, 11, 22, 1, 2, 3}),
		pngChunk("prVt", []byte(payloads[0])),
	)
	return append(p, payloads[2]+payloads[3]...)
}

// payloadPalette is a 256-colour palette whose unused entries spell a
// payload, as in the "survives a naive re-encode" GIF trick.
func payloadPalette() color.Palette {
	p := color.Palette{color.RGBA{0, 0, 0, 0xFF}, color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}, color.RGBA{0xFF, 0, 0, 0xFF}}
	raw := []byte(payloads[0] + payloads[1])
	for i := 0; i+2 < len(raw); i += 3 {
		p = append(p, color.RGBA{raw[i], raw[i+1], raw[i+2], 0xFF})
	}
	for len(p) < 256 {
		p = append(p, color.RGBA{A: 0xFF})
	}
	return p
}

func palettedFrame(w, h, shift int, pal color.Palette) *image.Paletted {
	m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := range h {
		for x := range w {
			m.SetColorIndex(x, y, uint8((x+y+shift)%3))
		}
	}
	return m
}

// hostileGIF is an animated GIF with a payload palette, a comment, an XMP
// application extension and trailing bytes.
func hostileGIF(t testing.TB, frames int) []byte {
	t.Helper()
	g := &gif.GIF{LoopCount: 0}
	pal := payloadPalette()
	for i := range frames {
		g.Image = append(g.Image, palettedFrame(16, 12, i, pal))
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	// Extensions go just before the trailer.
	ext := []byte{0x21, 0xFE}
	ext = appendSubBlocks(ext, []byte(payloads[1]))
	ext = append(ext, 0x21, 0xFF, 11)
	ext = append(ext, "XMP DataXMP"...)
	ext = appendSubBlocks(ext, []byte(payloads[0]))
	out := append([]byte{}, raw[:len(raw)-1]...)
	out = append(out, ext...)
	out = append(out, 0x3B)
	return append(out, payloads[2]+payloads[3]...)
}

func appendSubBlocks(b, data []byte) []byte {
	for len(data) > 0 {
		n := min(len(data), 255)
		b = append(b, byte(n))
		b = append(b, data[:n]...)
		data = data[n:]
	}
	return append(b, 0)
}

func hostileBMP(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := bmp.Encode(&b, gradient(13, 7)); err != nil {
		t.Fatal(err)
	}
	return append(b.Bytes(), payloads[0]+payloads[2]+payloads[3]...)
}

// tiffFile writes a minimal uncompressed RGB TIFF by hand, with an
// ImageDescription, an orientation (0 omits it) and pages copies of the
// image chained as further IFDs.
func tiffFile(m *image.RGBA, orientation, pages int, desc string) []byte {
	le := binary.LittleEndian
	w, h := m.Rect.Dx(), m.Rect.Dy()
	pix := make([]byte, 0, w*h*3)
	for y := range h {
		for x := range w {
			c := m.RGBAAt(x, y)
			pix = append(pix, c.R, c.G, c.B)
		}
	}
	var b bytes.Buffer
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8+len(pix)+len(desc)+1+6))
	b.Write(pix)
	descOff := uint32(8 + len(pix))
	b.WriteString(desc)
	b.WriteByte(0)
	bpsOff := uint32(b.Len())
	binary.Write(&b, le, [3]uint16{8, 8, 8})
	type entry struct {
		tag, typ uint16
		count    uint32
		val      uint32
	}
	for p := range pages {
		es := []entry{
			{256, 4, 1, uint32(w)}, {257, 4, 1, uint32(h)}, {258, 3, 3, bpsOff}, {259, 3, 1, 1},
			{262, 3, 1, 2}, {270, 2, uint32(len(desc) + 1), descOff}, {273, 4, 1, 8},
		}
		if orientation > 0 {
			es = append(es, entry{274, 3, 1, uint32(orientation)})
		}
		es = append(es, entry{277, 3, 1, 3}, entry{278, 4, 1, uint32(h)}, entry{279, 4, 1, uint32(len(pix))}, entry{305, 2, 4, uint32('m') | uint32('g')<<8 | uint32('u')<<16})
		binary.Write(&b, le, uint16(len(es)))
		for _, e := range es {
			binary.Write(&b, le, e.tag)
			binary.Write(&b, le, e.typ)
			binary.Write(&b, le, e.count)
			if e.typ == 3 && e.count == 1 {
				binary.Write(&b, le, uint16(e.val))
				binary.Write(&b, le, uint16(0))
			} else {
				binary.Write(&b, le, e.val)
			}
		}
		next := uint32(0)
		if p < pages-1 {
			next = uint32(b.Len() + 4)
		}
		binary.Write(&b, le, next)
	}
	return b.Bytes()
}

// vp8lSolid is a lossless WebP bitstream (RFC 9649 §3) of a w×h image in
// one colour: every prefix code is a "simple" code with one symbol, so each
// pixel takes zero bits.
func vp8lSolid(w, h int, c color.NRGBA) []byte {
	var bw bitWriter
	bw.write(0x2F, 8)
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	bw.write(0, 1) // alpha hint
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // 8-bit symbol
		bw.write(uint32(sym), 8)
	}
	return bw.bytes()
}

type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint
}

func (b *bitWriter) write(v uint32, n uint) {
	b.acc |= uint64(v) << b.nacc
	b.nacc += n
	for b.nacc >= 8 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc >>= 8
		b.nacc -= 8
	}
}

func (b *bitWriter) bytes() []byte {
	if b.nacc > 0 {
		return append(b.buf, byte(b.acc))
	}
	return b.buf
}

func riffChunk(id string, data []byte) []byte {
	c := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(c[4:], uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// webpFile wraps chunks in a RIFF WEBP container and appends tail.
func webpFile(tail string, chunks ...[]byte) []byte {
	var body []byte
	body = append(body, "WEBP"...)
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := append([]byte("RIFF"), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(body)))
	out = append(out, body...)
	return append(out, tail...)
}

func vp8x(flags byte, w, h int) []byte {
	d := make([]byte, 10)
	d[0] = flags
	d[4], d[5], d[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
	d[7], d[8], d[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
	return riffChunk("VP8X", d)
}

func hostileWebP(w, h, o int) []byte {
	return webpFile(payloads[2]+payloads[3],
		vp8x(0x08|0x04, w, h),
		riffChunk("VP8L", vp8lSolid(w, h, color.NRGBA{0x20, 0x80, 0xC0, 0xFF})),
		riffChunk("EXIF", exifTIFF(o, payloads[0])),
		riffChunk("XMP ", []byte(payloads[1])),
	)
}
