package archive

import (
	"errors"
	"io"
)

// lhDecoder decodes the -lh5-, -lh6- and -lh7- methods: LZSS over a
// window of 2^dictBits bytes, coded in blocks, each with its own static
// Huffman tables (a table for the code lengths, one for literals and match
// lengths, one for match positions). It produces exactly size bytes and
// fails on any invalid code; it never reads past its input.
type lhDecoder struct {
	br      bitReader
	window  []byte
	mask    int
	pos     int
	left    int64 // bytes still to produce
	block   int   // symbols left in the current block
	np      int
	pbit    uint
	cTable  huffman
	ptTable huffman
	copyLen int // bytes of a match still to copy
	copyPos int
	err     error
}

var errLH = errors.New("lzh: invalid compressed data")

const (
	lhNC     = 510 // 256 literals + lengths 3..256
	lhNT     = 19
	lhTBits  = 5
	lhCBits  = 9
	lhMaxLen = 16
)

func newLHDecoder(r io.Reader, dictBits int, size int64) *lhDecoder {
	d := &lhDecoder{br: bitReader{r: r}, window: make([]byte, 1<<dictBits), mask: 1<<dictBits - 1, left: size}
	for i := range d.window {
		d.window[i] = ' ' // as LHA starts its dictionary
	}
	d.np = dictBits + 1
	d.pbit = 4
	if dictBits > 13 {
		d.pbit = 5
	}
	return d
}

func (d *lhDecoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n := 0
	for n < len(p) && d.left > 0 {
		if d.copyLen > 0 {
			c := d.window[d.copyPos&d.mask]
			d.copyPos++
			d.copyLen--
			d.put(c)
			p[n] = c
			n++
			continue
		}
		if d.block == 0 {
			if err := d.readBlock(); err != nil {
				d.err = err
				return n, err
			}
		}
		d.block--
		c, err := d.cTable.decode(&d.br)
		if err != nil {
			d.err = err
			return n, err
		}
		if c < 256 {
			d.put(byte(c))
			p[n] = byte(c)
			n++
			continue
		}
		dist, err := d.position()
		if err != nil {
			d.err = err
			return n, err
		}
		d.copyLen = c - 256 + 3
		d.copyPos = d.pos - dist - 1
	}
	if d.br.overrun() {
		d.err = errLH
		return n, d.err
	}
	if d.left == 0 && n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (d *lhDecoder) put(c byte) {
	d.window[d.pos&d.mask] = c
	d.pos++
	d.left--
}

func (d *lhDecoder) position() (int, error) {
	p, err := d.ptTable.decode(&d.br)
	if err != nil {
		return 0, err
	}
	if p > 1 {
		p = 1<<(p-1) + int(d.br.bits(uint(p-1)))
	}
	if p > d.mask {
		return 0, errLH
	}
	return p, nil
}

func (d *lhDecoder) readBlock() error {
	d.block = int(d.br.bits(16))
	if d.block == 0 || d.br.overrun() {
		return errLH
	}
	if err := d.readPTLen(lhNT, lhTBits, 3); err != nil {
		return err
	}
	if err := d.readCLen(); err != nil {
		return err
	}
	return d.readPTLen(d.np, d.pbit, -1)
}

// readPTLen reads the code lengths of the length table (nn symbols, count
// in nbit bits); after the symbol special, a 2-bit count of zero lengths
// follows.
func (d *lhDecoder) readPTLen(nn int, nbit uint, special int) error {
	n := int(d.br.bits(nbit))
	if n == 0 {
		c := int(d.br.bits(nbit))
		if c >= nn {
			return errLH
		}
		d.ptTable.single(c)
		return nil
	}
	if n > nn {
		return errLH
	}
	lens := make([]uint8, nn)
	for i := 0; i < n; {
		c := int(d.br.bits(3))
		if c == 7 {
			for d.br.bits(1) == 1 {
				c++
				if c > lhMaxLen {
					return errLH
				}
			}
		}
		lens[i] = uint8(c)
		i++
		if i == special {
			z := int(d.br.bits(2))
			for ; z > 0 && i < nn; z-- {
				lens[i] = 0
				i++
			}
		}
	}
	return d.ptTable.build(lens)
}

// readCLen reads the literal/length code lengths, themselves coded with
// the length table.
func (d *lhDecoder) readCLen() error {
	n := int(d.br.bits(lhCBits))
	if n == 0 {
		c := int(d.br.bits(lhCBits))
		if c >= lhNC {
			return errLH
		}
		d.cTable.single(c)
		return nil
	}
	if n > lhNC {
		return errLH
	}
	lens := make([]uint8, lhNC)
	for i := 0; i < n; {
		c, err := d.ptTable.decode(&d.br)
		if err != nil {
			return err
		}
		if c <= 2 {
			switch c {
			case 0:
				c = 1
			case 1:
				c = int(d.br.bits(4)) + 3
			default:
				c = int(d.br.bits(lhCBits)) + 20
			}
			for ; c > 0 && i < n; c-- {
				lens[i] = 0
				i++
			}
			continue
		}
		lens[i] = uint8(c - 2)
		i++
	}
	return d.cTable.build(lens)
}

// huffman is a canonical code (shorter codes first, then symbol order), as
// LHA's make_table assigns them, decoded bit by bit.
type huffman struct {
	count   [lhMaxLen + 1]int
	symbols []int
	only    int // the one symbol of a zero-bit code, or -1
}

func (h *huffman) single(c int) {
	h.only = c
	h.symbols = h.symbols[:0]
}

func (h *huffman) build(lens []uint8) error {
	h.only = -1
	h.count = [lhMaxLen + 1]int{}
	for _, l := range lens {
		if l > lhMaxLen {
			return errLH
		}
		h.count[l]++
	}
	h.count[0] = 0
	left := 1
	for l := 1; l <= lhMaxLen; l++ {
		left <<= 1
		left -= h.count[l]
		if left < 0 {
			return errLH // over-subscribed
		}
	}
	h.symbols = h.symbols[:0]
	for l := 1; l <= lhMaxLen; l++ {
		for s, sl := range lens {
			if int(sl) == l {
				h.symbols = append(h.symbols, s)
			}
		}
	}
	return nil
}

func (h *huffman) decode(br *bitReader) (int, error) {
	if h.only >= 0 {
		return h.only, nil
	}
	code, first, index := 0, 0, 0
	for l := 1; l <= lhMaxLen; l++ {
		code |= int(br.bits(1))
		c := h.count[l]
		if code-c < first {
			return h.symbols[index+code-first], nil
		}
		index += c
		first = (first + c) << 1
		code <<= 1
	}
	return 0, errLH
}

// bitReader reads bits most significant first. Past the end of its input
// it yields zeros (LHA pads the last byte) and counts them; more than 16
// such bits is an overrun.
type bitReader struct {
	r     io.Reader
	buf   [4096]byte
	b     []byte
	acc   uint64
	n     uint
	extra uint
	eof   bool
}

func (b *bitReader) bits(n uint) uint32 {
	if n == 0 {
		return 0
	}
	for b.n < n {
		if len(b.b) == 0 && !b.eof {
			k, err := b.r.Read(b.buf[:])
			b.b = b.buf[:k]
			if err != nil && k == 0 {
				b.eof = true
			}
		}
		var c byte
		if len(b.b) > 0 {
			c = b.b[0]
			b.b = b.b[1:]
		} else {
			b.extra += 8
		}
		b.acc = b.acc<<8 | uint64(c)
		b.n += 8
	}
	b.n -= n
	return uint32(b.acc>>b.n) & (1<<n - 1)
}

func (b *bitReader) overrun() bool { return b.extra > 16+8 }
