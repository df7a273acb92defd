package quarantine

import (
	"bufio"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Blob format, shared by every backend:
//
//	"MGQ1" flags(1) [nonce prefix(7) if encrypted] body
//
// The body is a DEFLATE stream of the original. When the encrypted flag is
// set, the DEFLATE stream is cut into chunks of at most chunkSize bytes,
// each sealed with AES-256-GCM and written as length(4, big endian) ||
// ciphertext. Chunk i uses the nonce prefix || i (4 bytes) || last (1 byte,
// 1 for the final chunk), so chunks cannot be reordered, dropped or
// truncated without the open failing (the STREAM construction).
const (
	blobMagic     = "MGQ1"
	flagEncrypted = 1
	chunkSize     = 64 << 10
)

// Codec compresses and, with a key, encrypts blobs. It is safe for
// concurrent use.
type Codec struct {
	aead cipher.AEAD // nil: no encryption
}

// NewCodec returns a codec; key is nil (compress only) or 32 bytes
// (AES-256-GCM).
func NewCodec(key []byte) (*Codec, error) {
	if key == nil {
		return &Codec{}, nil
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%w: want a 32-byte key, got %d bytes", ErrKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Codec{aead: aead}, nil
}

// Encrypted reports whether the codec encrypts.
func (c *Codec) Encrypted() bool { return c.aead != nil }

// LoadKey reads a key file: 32 raw bytes, 64 hex digits or the base64 of 32
// bytes (surrounding white space ignored). A key file that others than its
// owner can read is refused.
func LoadKey(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by others (mode %v); chmod 600 it", ErrKey, path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if len(b) == 32 {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	return nil, fmt.Errorf("%w: %s holds no 32-byte key (raw, hex or base64)", ErrKey, path)
}

// Pools. flate.NewWriter allocates about a megabyte of tables and
// flate.NewReader tens of kilobytes: far more than a 5 KB mail, so writers,
// readers and chunk buffers are reused (flate.Writer.Reset,
// flate.Resetter). A pooled object holds no reference to the previous
// caller's data or files. Reuse does not change the output: a Reset
// writer writes exactly what a new one would.
var (
	flateWriters = sync.Pool{New: func() any {
		w, err := flate.NewWriter(nil, flate.BestSpeed)
		if err != nil {
			panic(err) // BestSpeed is a valid level
		}
		return w
	}}
	flateReaders sync.Pool // of io.ReadCloser that are flate.Resetter
	bufReaders   = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	// chunkBufs hold one chunk plus the AEAD overhead, so that a chunk can
	// be sealed in place.
	chunkBufs = sync.Pool{New: func() any {
		b := make([]byte, 0, chunkSize+chunkSlack)
		return &b
	}}
)

// chunkSlack is the room past a chunk's plaintext in a pooled buffer: at
// least the AEAD overhead (16 bytes for AES-GCM).
const chunkSlack = 64

func getChunkBuf() []byte { return (*chunkBufs.Get().(*[]byte))[:0] }

func putChunkBuf(b []byte) {
	if cap(b) >= chunkSize+chunkSlack {
		b = b[:0]
		chunkBufs.Put(&b)
	}
}

var errClosed = errors.New("quarantine: codec stream already closed")

// Writer returns a writer that encodes into w. Close flushes the last chunk;
// it does not close w. Call Close once; a writer abandoned after an error
// need not be closed.
func (c *Codec) Writer(w io.Writer) (io.WriteCloser, error) {
	var hdr [len(blobMagic) + 1 + noncePrefixSize]byte
	n := copy(hdr[:], blobMagic) + 1
	var sw *sealWriter
	if c.aead != nil {
		hdr[4] = flagEncrypted
		if _, err := rand.Read(hdr[n : n+noncePrefixSize]); err != nil {
			return nil, err
		}
		sw = &sealWriter{w: w, aead: c.aead}
		copy(sw.prefix[:], hdr[n:n+noncePrefixSize])
		n += noncePrefixSize
	}
	if _, err := w.Write(hdr[:n]); err != nil {
		return nil, err
	}
	var dst io.Writer = w
	if sw != nil {
		sw.buf = getChunkBuf()
		dst = sw
	}
	fw := flateWriters.Get().(*flate.Writer)
	fw.Reset(dst)
	return &codecWriter{fw: fw, sw: sw}, nil
}

const noncePrefixSize = 7

type codecWriter struct {
	fw *flate.Writer // nil once closed
	sw *sealWriter
}

func (c *codecWriter) Write(p []byte) (int, error) {
	if c.fw == nil {
		return 0, errClosed
	}
	return c.fw.Write(p)
}

func (c *codecWriter) Close() error {
	if c.fw == nil {
		return errClosed
	}
	err := c.fw.Close()
	if err == nil && c.sw != nil {
		err = c.sw.finish()
	}
	c.fw.Reset(nil) // drop the reference to the destination
	flateWriters.Put(c.fw)
	c.fw = nil
	if c.sw != nil {
		putChunkBuf(c.sw.buf)
		c.sw.buf = nil
	}
	return err
}

// sealWriter buffers a chunk and seals it when full; the final chunk is
// sealed by finish with the last flag.
type sealWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	prefix [noncePrefixSize]byte
	nb     [12]byte // nonce scratch
	buf    []byte   // the chunk being filled; cap chunkSize+chunkSlack
	n      uint32
}

func (s *sealWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if len(s.buf) == chunkSize {
			if err := s.seal(false); err != nil {
				return total - len(p), err
			}
		}
		k := min(chunkSize-len(s.buf), len(p))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
	}
	return total, nil
}

// nonce returns the nonce of chunk i in s.nb (valid until the next call).
func (s *sealWriter) nonce(i uint32, last bool) []byte {
	copy(s.nb[:], s.prefix[:])
	binary.BigEndian.PutUint32(s.nb[7:], i)
	s.nb[11] = 0
	if last {
		s.nb[11] = 1
	}
	return s.nb[:]
}

func (s *sealWriter) seal(last bool) error {
	if s.n == ^uint32(0) {
		return errors.New("quarantine: blob too large to encrypt")
	}
	// In place: the buffer has room for the overhead.
	ct := s.aead.Seal(s.buf[:0], s.nonce(s.n, last), s.buf, nil)
	s.n++
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(ct)))
	if _, err := s.w.Write(l[:]); err != nil {
		return err
	}
	_, err := s.w.Write(ct)
	if cap(ct) >= chunkSize+chunkSlack {
		s.buf = ct[:0]
	} else {
		s.buf = s.buf[:0]
	}
	return err
}

func (s *sealWriter) finish() error { return s.seal(true) }

// Reader returns the decoded original read from r. A damaged, truncated or
// wrongly keyed blob fails with ErrCorrupt or ErrKey (on read, for damage
// past the header). The caller closes the reader (it does not close r).
func (c *Codec) Reader(r io.Reader) (io.ReadCloser, error) {
	br := bufReaders.Get().(*bufio.Reader)
	br.Reset(r)
	var hdr [len(blobMagic) + 1]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil || string(hdr[:4]) != blobMagic {
		putBufReader(br)
		return nil, fmt.Errorf("%w: not a quarantine blob", ErrCorrupt)
	}
	cr := &codecReader{br: br}
	var src io.Reader = br
	if hdr[4]&flagEncrypted != 0 {
		if c.aead == nil {
			putBufReader(br)
			return nil, fmt.Errorf("%w: the blob is encrypted and no key is configured", ErrKey)
		}
		or := &openReader{r: br, aead: c.aead}
		if _, err := io.ReadFull(br, or.sw.prefix[:]); err != nil {
			putBufReader(br)
			return nil, fmt.Errorf("%w: truncated header", ErrCorrupt)
		}
		or.ct, or.pt = getChunkBuf(), getChunkBuf()
		cr.or, src = or, or
	}
	if fr, ok := flateReaders.Get().(io.ReadCloser); ok {
		if err := fr.(flate.Resetter).Reset(src, nil); err == nil {
			cr.fr = fr
		}
	}
	if cr.fr == nil {
		cr.fr = flate.NewReader(src)
	}
	return cr, nil
}

func putBufReader(br *bufio.Reader) {
	br.Reset(nil)
	bufReaders.Put(br)
}

type codecReader struct {
	fr     io.ReadCloser // DEFLATE over br, or over or when encrypted
	br     *bufio.Reader
	or     *openReader // nil: not encrypted
	closed bool
}

func (c *codecReader) Read(p []byte) (int, error) {
	if c.closed {
		return 0, errClosed
	}
	n, err := c.fr.Read(p)
	if err != nil && err != io.EOF {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrKey) {
			err = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	return n, err
}

// Close returns the reader's buffers to their pools; reading after Close
// fails.
func (c *codecReader) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.fr.Close()
	if rs, ok := c.fr.(flate.Resetter); ok && rs.Reset(eofReader{}, nil) == nil {
		flateReaders.Put(c.fr)
	}
	c.fr = nil
	if c.or != nil {
		putChunkBuf(c.or.ct)
		putChunkBuf(c.or.pt)
		c.or.ct, c.or.pt, c.or.buf = nil, nil, nil
		c.or.r = nil
	}
	putBufReader(c.br)
	c.br = nil
	return err
}

// eofReader is what a pooled decompressor is reset onto, so that it holds
// no reference to the last caller's source.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
func (eofReader) ReadByte() (byte, error)  { return 0, io.EOF }

// openReader opens the sealed chunks in order. It is an io.ByteReader, so
// that the decompressor reads it directly rather than through another
// buffer.
type openReader struct {
	r    *bufio.Reader
	aead cipher.AEAD
	sw   sealWriter // for prefix and nonce()
	i    uint32
	ct   []byte // ciphertext scratch, pooled
	pt   []byte // plaintext of the current chunk, pooled
	buf  []byte // unread part of pt
	done bool
}

// fill opens the next chunk into o.buf, or returns io.EOF after the final
// one.
func (o *openReader) fill() error {
	for len(o.buf) == 0 {
		if o.done {
			return io.EOF
		}
		var l [4]byte
		if _, err := io.ReadFull(o.r, l[:]); err != nil {
			return fmt.Errorf("%w: truncated (no final chunk)", ErrCorrupt)
		}
		n := binary.BigEndian.Uint32(l[:])
		if n > chunkSize+uint32(o.aead.Overhead()) || n < uint32(o.aead.Overhead()) {
			return fmt.Errorf("%w: bad chunk length %d", ErrCorrupt, n)
		}
		if cap(o.ct) < int(n) {
			o.ct = make([]byte, 0, chunkSize+chunkSlack)
		}
		ct := o.ct[:n]
		if _, err := io.ReadFull(o.r, ct); err != nil {
			return fmt.Errorf("%w: truncated chunk", ErrCorrupt)
		}
		// Try as a middle chunk, then as the last one. The plaintext goes
		// to its own buffer: a failed Open may overwrite its destination,
		// and ct is needed for the second try.
		pt, err := o.aead.Open(o.pt[:0], o.sw.nonce(o.i, false), ct, nil)
		if err != nil {
			pt, err = o.aead.Open(o.pt[:0], o.sw.nonce(o.i, true), ct, nil)
			if err != nil {
				if o.i == 0 {
					return fmt.Errorf("%w: cannot decrypt (wrong key or damaged blob)", ErrKey)
				}
				return fmt.Errorf("%w: chunk %d does not authenticate", ErrCorrupt, o.i)
			}
			o.done = true
			if _, err := o.r.ReadByte(); err != io.EOF {
				return fmt.Errorf("%w: data after the final chunk", ErrCorrupt)
			}
		}
		o.i++
		o.buf = pt
	}
	return nil
}

func (o *openReader) Read(p []byte) (int, error) {
	if err := o.fill(); err != nil {
		return 0, err
	}
	n := copy(p, o.buf)
	o.buf = o.buf[n:]
	return n, nil
}

func (o *openReader) ReadByte() (byte, error) {
	if err := o.fill(); err != nil {
		return 0, err
	}
	b := o.buf[0]
	o.buf = o.buf[1:]
	return b, nil
}
