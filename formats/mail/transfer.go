package mail

import (
	"io"
	"strings"
)

// transferDecoder returns a reader that undoes a Content-Transfer-Encoding
// (RFC 2045 section 6) leniently: invalid characters in base64 and invalid
// escapes in quoted-printable are counted, not fatal, so the readable part of
// a damaged body survives. Unknown encodings are passed through and flagged
// by the caller.
func transferDecoder(cte string, r io.Reader) (io.Reader, *decodeStats, bool) {
	st := new(decodeStats)
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return &b64Reader{r: r, st: st}, st, true
	case "quoted-printable":
		return &qpReader{r: r, st: st}, st, true
	case "", "7bit", "8bit", "binary":
		return r, st, true
	}
	return r, st, false
}

// decodeStats counts what a lenient decoder had to skip.
type decodeStats struct {
	invalid int64
}

var b64val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = byte(i)
	}
	// The URL-safe alphabet turns up too.
	t['-'], t['_'] = 62, 63
	return t
}()

// b64Reader decodes base64, skipping white space and counting other
// characters that do not belong. Padding ends a group; data after it (two
// bodies glued together) is decoded as a new run.
type b64Reader struct {
	r    io.Reader
	st   *decodeStats
	in   [4096]byte
	dec  [3072 + 3]byte // decoded bytes of one read of in
	out  []byte         // not yet returned part of dec
	quad [4]byte
	nq   int
	err  error
}

func (b *b64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			b.flushPartial()
			if len(b.out) > 0 {
				break
			}
			return 0, b.err
		}
		n, err := b.r.Read(b.in[:])
		b.err = err
		buf := b.dec[:0]
		for _, c := range b.in[:n] {
			switch {
			case c == '=':
				buf = b.emit(buf)
				continue
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				continue
			}
			v := b64val[c]
			if v == 0xff {
				b.st.invalid++
				continue
			}
			b.quad[b.nq] = v
			b.nq++
			if b.nq == 4 {
				buf = b.emit(buf)
			}
		}
		b.out = buf
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// emit decodes the collected group (complete, or cut short by padding).
func (b *b64Reader) emit(buf []byte) []byte {
	q, n := b.quad, b.nq
	b.nq = 0
	switch {
	case n == 4:
		return append(buf, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
	case n == 3:
		return append(buf, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2)
	case n == 2:
		return append(buf, q[0]<<2|q[1]>>4)
	case n == 1:
		b.st.invalid++
	}
	return buf
}

func (b *b64Reader) flushPartial() {
	if b.nq > 0 {
		b.out = b.emit(b.dec[:0])
	}
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
