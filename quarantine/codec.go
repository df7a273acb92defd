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

// Writer returns a writer that encodes into w. Close flushes the last chunk;
// it does not close w.
func (c *Codec) Writer(w io.Writer) (io.WriteCloser, error) {
	hdr := []byte(blobMagic + "\x00")
	var sw *sealWriter
	if c.aead != nil {
		hdr[4] = flagEncrypted
		prefix := make([]byte, 7)
		if _, err := rand.Read(prefix); err != nil {
			return nil, err
		}
		hdr = append(hdr, prefix...)
		sw = &sealWriter{w: w, aead: c.aead, prefix: prefix}
	}
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	var dst io.Writer = w
	if sw != nil {
		dst = sw
	}
	fw, err := flate.NewWriter(dst, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return &codecWriter{fw: fw, sw: sw}, nil
}

type codecWriter struct {
	fw *flate.Writer
	sw *sealWriter
}

func (c *codecWriter) Write(p []byte) (int, error) { return c.fw.Write(p) }

func (c *codecWriter) Close() error {
	if err := c.fw.Close(); err != nil {
		return err
	}
	if c.sw != nil {
		return c.sw.finish()
	}
	return nil
}

// sealWriter buffers a chunk and seals it when full; the final chunk is
// sealed by finish with the last flag.
type sealWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	prefix []byte
	buf    []byte
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

func (s *sealWriter) nonce(i uint32, last bool) []byte {
	n := make([]byte, 12)
	copy(n, s.prefix)
	binary.BigEndian.PutUint32(n[7:], i)
	if last {
		n[11] = 1
	}
	return n
}

func (s *sealWriter) seal(last bool) error {
	if s.n == ^uint32(0) {
		return errors.New("quarantine: blob too large to encrypt")
	}
	ct := s.aead.Seal(nil, s.nonce(s.n, last), s.buf, nil)
	s.n++
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(ct)))
	if _, err := s.w.Write(l[:]); err != nil {
		return err
	}
	_, err := s.w.Write(ct)
	s.buf = s.buf[:0]
	return err
}

func (s *sealWriter) finish() error { return s.seal(true) }

// Reader returns the decoded original read from r. A damaged, truncated or
// wrongly keyed blob fails with ErrCorrupt or ErrKey (on read, for damage
// past the header).
func (c *Codec) Reader(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReader(r)
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(br, hdr); err != nil || string(hdr[:4]) != blobMagic {
		return nil, fmt.Errorf("%w: not a quarantine blob", ErrCorrupt)
	}
	var src io.Reader = br
	if hdr[4]&flagEncrypted != 0 {
		if c.aead == nil {
			return nil, fmt.Errorf("%w: the blob is encrypted and no key is configured", ErrKey)
		}
		prefix := make([]byte, 7)
		if _, err := io.ReadFull(br, prefix); err != nil {
			return nil, fmt.Errorf("%w: truncated header", ErrCorrupt)
		}
		src = &openReader{r: br, aead: c.aead, sw: sealWriter{prefix: prefix}}
	}
	return &codecReader{fr: flate.NewReader(src)}, nil
}

type codecReader struct{ fr io.ReadCloser }

func (c *codecReader) Read(p []byte) (int, error) {
	n, err := c.fr.Read(p)
	if err != nil && err != io.EOF {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrKey) {
			err = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	return n, err
}

func (c *codecReader) Close() error { return c.fr.Close() }

// openReader opens the sealed chunks in order.
type openReader struct {
	r    *bufio.Reader
	aead cipher.AEAD
	sw   sealWriter // for nonce()
	i    uint32
	buf  []byte
	done bool
}

func (o *openReader) Read(p []byte) (int, error) {
	for len(o.buf) == 0 {
		if o.done {
			return 0, io.EOF
		}
		var l [4]byte
		if _, err := io.ReadFull(o.r, l[:]); err != nil {
			return 0, fmt.Errorf("%w: truncated (no final chunk)", ErrCorrupt)
		}
		n := binary.BigEndian.Uint32(l[:])
		if n > chunkSize+uint32(o.aead.Overhead()) || n < uint32(o.aead.Overhead()) {
			return 0, fmt.Errorf("%w: bad chunk length %d", ErrCorrupt, n)
		}
		ct := make([]byte, n)
		if _, err := io.ReadFull(o.r, ct); err != nil {
			return 0, fmt.Errorf("%w: truncated chunk", ErrCorrupt)
		}
		// Try as a middle chunk, then as the last one.
		pt, err := o.aead.Open(ct[:0:0], o.sw.nonce(o.i, false), ct, nil)
		if err != nil {
			pt, err = o.aead.Open(ct[:0:0], o.sw.nonce(o.i, true), ct, nil)
			if err != nil {
				if o.i == 0 {
					return 0, fmt.Errorf("%w: cannot decrypt (wrong key or damaged blob)", ErrKey)
				}
				return 0, fmt.Errorf("%w: chunk %d does not authenticate", ErrCorrupt, o.i)
			}
			o.done = true
			if _, err := o.r.ReadByte(); err != io.EOF {
				return 0, fmt.Errorf("%w: data after the final chunk", ErrCorrupt)
			}
		}
		o.i++
		o.buf = pt
	}
	n := copy(p, o.buf)
	o.buf = o.buf[n:]
	return n, nil
}
