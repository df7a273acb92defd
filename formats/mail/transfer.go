package mail

import (
	"io"
	"strings"
	"sync"
)

// transferDecoder returns a reader that undoes a Content-Transfer-Encoding
// (RFC 2045 section 6) leniently: invalid characters in base64 and invalid
// escapes in quoted-printable are counted, not fatal, so the readable part of
// a damaged body survives. Unknown encodings are passed through and flagged
// by the caller. Give the reader to releaseDecoder when done with it.
func transferDecoder(cte string, r io.Reader) (io.Reader, *decodeStats, bool) {
	st := new(decodeStats)
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		b := b64Readers.Get().(*b64Reader)
		b.reset(r, st)
		return b, st, true
	case "quoted-printable":
		q := qpReaders.Get().(*qpReader)
		q.reset(r, st)
		return q, st, true
	case "", "7bit", "8bit", "binary":
		return r, st, true
	}
	return r, st, false
}

// The decoders' buffers are pooled: a small mail should not pay for several
// kilobytes of them per part. transferDecoder resets a decoder before it
// hands it out.
var (
	b64Readers = sync.Pool{New: func() any { return new(b64Reader) }}
	qpReaders  = sync.Pool{New: func() any { return new(qpReader) }}
)

// maxPooledQP bounds the storage a pooled qpReader keeps.
const maxPooledQP = 64 << 10

// releaseDecoder returns a reader from transferDecoder to its pool. The
// reader must not be used afterwards.
func releaseDecoder(r io.Reader) {
	switch d := r.(type) {
	case *b64Reader:
		d.reset(nil, nil)
		b64Readers.Put(d)
	case *qpReader:
		if cap(d.data)+cap(d.dec)+cap(d.rest) > maxPooledQP {
			return
		}
		d.reset(nil, nil)
		qpReaders.Put(d)
	}
}

// reset readies b to decode r. Its buffers are not cleared: a byte of them
// is always written before it is read. (Assigning a whole new value would
// build the large struct on the stack first.)
func (b *b64Reader) reset(r io.Reader, st *decodeStats) {
	b.r, b.st = r, st
	b.out, b.acc, b.nq, b.err = nil, 0, 0, nil
}

// reset readies q to decode r; its slices keep their storage, and every use
// starts by truncating them.
func (q *qpReader) reset(r io.Reader, st *decodeStats) {
	q.r, q.st = r, st
	q.data, q.dec, q.out, q.rest, q.err = q.data[:0], q.dec[:0], nil, q.rest[:0], nil
}

// decodeStats counts what a lenient decoder had to skip.
type decodeStats struct {
	invalid int64
}

// Classes in b64val besides the 6-bit values.
const (
	b64Space   = 0xfd // white space, skipped
	b64Pad     = 0xfe // "=", ends a group
	b64Invalid = 0xff
)

var b64val = func() (t [256]byte) {
	for i := range t {
		t[i] = b64Invalid
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = byte(i)
	}
	// The URL-safe alphabet turns up too.
	t['-'], t['_'] = 62, 63
	t[' '], t['\t'], t['\n'], t['\r'] = b64Space, b64Space, b64Space, b64Space
	t['='] = b64Pad
	return t
}()

// b64Reader decodes base64, skipping white space and counting other
// characters that do not belong. Padding ends a group; data after it (two
// bodies glued together) is decoded as a new run.
type b64Reader struct {
	r   io.Reader
	st  *decodeStats
	in  [4096]byte
	dec [3072 + 3]byte // decoded bytes of one read of in
	out []byte         // not yet returned part of dec
	acc uint32         // the 6-bit values of the group so far
	nq  int            // how many
	err error
}

func (b *b64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			b.out = b.dec[:b.emit(0)]
			if len(b.out) > 0 {
				break
			}
			return 0, b.err
		}
		n, err := b.r.Read(b.in[:])
		b.err = err
		in, o := b.in[:n], 0
		acc, nq := b.acc, b.nq
		for i := 0; i < len(in); i++ {
			if nq == 0 && i+4 <= len(in) {
				// Fast path: a whole group of four plain characters.
				v0, v1, v2, v3 := b64val[in[i]], b64val[in[i+1]], b64val[in[i+2]], b64val[in[i+3]]
				if v0|v1|v2|v3 < 64 {
					g := uint32(v0)<<18 | uint32(v1)<<12 | uint32(v2)<<6 | uint32(v3)
					b.dec[o], b.dec[o+1], b.dec[o+2] = byte(g>>16), byte(g>>8), byte(g)
					o += 3
					i += 3
					continue
				}
			}
			v := b64val[in[i]]
			if v < 64 {
				acc = acc<<6 | uint32(v)
				nq++
				if nq == 4 {
					b.dec[o], b.dec[o+1], b.dec[o+2] = byte(acc>>16), byte(acc>>8), byte(acc)
					o += 3
					acc, nq = 0, 0
				}
				continue
			}
			switch v {
			case b64Pad:
				b.acc, b.nq = acc, nq
				o = b.emit(o)
				acc, nq = 0, 0
			case b64Invalid:
				b.st.invalid++
			}
		}
		b.acc, b.nq = acc, nq
		b.out = b.dec[:o]
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// emit decodes a group cut short by padding or the end of input into dec at
// o and returns the new end.
func (b *b64Reader) emit(o int) int {
	acc, n := b.acc, b.nq
	b.acc, b.nq = 0, 0
	switch n {
	case 3:
		b.dec[o], b.dec[o+1] = byte(acc>>10), byte(acc>>2)
		return o + 2
	case 2:
		b.dec[o] = byte(acc >> 4)
		return o + 1
	case 1:
		b.st.invalid++
	}
	return o
}

// qpReader decodes quoted-printable. "=XX" is a byte, "=" at the end of a
// line is a soft break, white space before a line end is dropped, and any
// other "=" is kept as it is (and counted).
type qpReader struct {
	r    io.Reader
	st   *decodeStats
	buf  [4096]byte
	data []byte // rest plus the bytes of one read
	dec  []byte // decoded bytes of data
	out  []byte // not yet returned part of dec
	err  error
	rest []byte // undecided bytes carried to the next read
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.out) == 0 {
		if q.err != nil && len(q.rest) == 0 {
			return 0, q.err
		}
		data := append(q.data[:0], q.rest...)
		if q.err == nil {
			n, err := q.r.Read(q.buf[:])
			q.err = err
			data = append(data, q.buf[:n]...)
		}
		q.data = data
		q.rest = q.rest[:0]
		out := q.dec[:0]
		eof := q.err != nil
		i := 0
		for i < len(data) {
			c := data[i]
			switch {
			case c == '=':
				if i+2 >= len(data) && !eof {
					q.rest = append(q.rest, data[i:]...)
					i = len(data)
					continue
				}
				if i+1 < len(data) && data[i+1] == '\n' {
					i += 2 // soft line break
					continue
				}
				if i+2 < len(data) {
					if hi, ok := unhex(data[i+1]); ok {
						if lo, ok := unhex(data[i+2]); ok {
							out = append(out, hi<<4|lo)
							i += 3
							continue
						}
					}
				}
				// "=" followed by spaces then a line end is a soft break too.
				j := i + 1
				for j < len(data) && (data[j] == ' ' || data[j] == '\t') {
					j++
				}
				if j < len(data) && data[j] == '\n' {
					i = j + 1
					continue
				}
				if j == len(data) && !eof {
					q.rest = append(q.rest, data[i:]...)
					i = len(data)
					continue
				}
				q.st.invalid++
				out = append(out, '=')
				i++
			case c == ' ' || c == '\t':
				// Trailing white space before a line end is transport padding.
				j := i
				for j < len(data) && (data[j] == ' ' || data[j] == '\t') {
					j++
				}
				if j == len(data) && !eof {
					q.rest = append(q.rest, data[i:]...)
					i = len(data)
					continue
				}
				if j < len(data) && data[j] == '\n' {
					i = j
					continue
				}
				out = append(out, data[i:j]...)
				i = j
			default:
				out = append(out, c)
				i++
			}
		}
		q.dec = out
		q.out = out
		if len(out) == 0 && q.err == nil && len(q.rest) > 8<<10 {
			// A run of spaces or "=" longer than any real line: give it up as text.
			q.dec = append(q.dec[:0], q.rest...)
			q.out, q.rest = q.dec, q.rest[:0]
		}
	}
	n := copy(p, q.out)
	q.out = q.out[n:]
	return n, nil
}
