package sanitize

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// Spool collects a stream of bytes in memory up to a threshold and in an
// unlinked temp file beyond it, hashing as it goes, and refuses to grow past a
// hard limit. Finish turns it into an immutable Blob.
//
// A Spool is not safe for concurrent use. Close releases it whether or not
// Finish was called; Close after Finish is a no-op.
type Spool struct {
	dir  string
	mem  int64
	max  int64
	buf  bytes.Buffer
	f    *os.File
	n    int64
	h    hash.Hash
	err  error // sticky
	done bool
}

// NewSpool returns a Spool that keeps up to mem bytes in memory, spills to a
// temp file in dir ("" means os.TempDir) and fails with ErrTooLarge past max
// bytes.
func NewSpool(dir string, mem, max int64) *Spool {
	return &Spool{dir: dir, mem: mem, max: max, h: sha256.New()}
}

// Write appends p. Past the hard limit it writes nothing more and returns an
// error wrapping ErrTooLarge; the error is sticky.
func (s *Spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.done {
		return 0, errors.New("sanitize: spool: write after finish")
	}
	if s.n+int64(len(p)) > s.max {
		s.err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.max)
		return 0, s.err
	}
	if s.f == nil && int64(s.buf.Len()+len(p)) > s.mem {
		f, err := os.CreateTemp(s.dir, "mugai-spool-*")
		if err != nil {
			s.err = fmt.Errorf("sanitize: spool: %w", err)
			return 0, s.err
		}
		// Unlink at once: the open descriptor keeps the data, and a crash
		// leaves nothing behind.
		_ = os.Remove(f.Name())
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			_ = f.Close()
			s.err = fmt.Errorf("sanitize: spool: %w", err)
			return 0, s.err
		}
		s.buf = bytes.Buffer{}
		s.f = f
	}
	var err error
	if s.f != nil {
		_, err = s.f.Write(p)
	} else {
		s.buf.Write(p)
	}
	if err != nil {
		s.err = fmt.Errorf("sanitize: spool: %w", err)
		return 0, s.err
	}
	s.h.Write(p)
	s.n += int64(len(p))
	return len(p), nil
}

// ReadFrom copies r into the spool until EOF or an error.
func (s *Spool) ReadFrom(r io.Reader) (int64, error) {
	bufp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bufp)
	buf := *bufp
	var total int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := s.Write(buf[:n]); err != nil {
				return total, err
			}
			total += int64(n)
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// grow makes room for n more bytes in memory, so that a spool whose final
// size is about known does not grow its buffer step by step. It does
// nothing once the spool has spilled to a file.
func (s *Spool) grow(n int64) {
	if n > 0 && s.f == nil {
		s.buf.Grow(int(n))
	}
}

// Len reports the bytes written so far.
func (s *Spool) Len() int64 { return s.n }

// Finish seals the spool and returns its content as a Blob. The Blob owns the
// storage: close the Blob, not the Spool, afterwards.
func (s *Spool) Finish() (*Blob, error) {
	if s.err != nil {
		s.Close()
		return nil, s.err
	}
	if s.done {
		return nil, errors.New("sanitize: spool: finished twice")
	}
	s.done = true
	b := &Blob{size: s.n}
	copy(b.sum[:], s.h.Sum(nil))
	if s.f != nil {
		b.f = s.f
		s.f = nil
	} else {
		b.data = s.buf.Bytes()
	}
	return b, nil
}

// Close releases the spool's storage unless Finish handed it to a Blob.
func (s *Spool) Close() error {
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		return err
	}
	return nil
}

// Blob is immutable spooled content. It is safe for concurrent reads.
// Close releases it; reads after Close fail.
type Blob struct {
	data []byte
	f    *os.File
	size int64
	sum  Digest
}

// BlobBytes wraps b as a Blob without copying; b must not change afterwards.
func BlobBytes(b []byte) *Blob {
	return &Blob{data: b, size: int64(len(b)), sum: sha256.Sum256(b)}
}

// ReadAt implements io.ReaderAt.
func (b *Blob) ReadAt(p []byte, off int64) (int, error) {
	if b.f != nil {
		return b.f.ReadAt(p, off)
	}
	if off < 0 {
		return 0, errors.New("sanitize: blob: negative offset")
	}
	if off >= int64(len(b.data)) {
		return 0, io.EOF
	}
	n := copy(p, b.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Reader returns a new reader over the whole content.
func (b *Blob) Reader() *io.SectionReader { return io.NewSectionReader(b, 0, b.size) }

// Stream returns a new reader over the whole content that also implements
// io.WriterTo: io.Copy from it writes in-memory content in one call and file
// content through a pooled buffer, instead of allocating a buffer per copy.
func (b *Blob) Stream() io.Reader { return &blobStream{b: b} }

type blobStream struct {
	b   *Blob
	off int64
}

func (s *blobStream) Read(p []byte) (int, error) {
	if s.off >= s.b.size {
		return 0, io.EOF
	}
	n, err := s.b.ReadAt(p[:min(int64(len(p)), s.b.size-s.off)], s.off)
	s.off += int64(n)
	if err == io.EOF && s.off < s.b.size {
		err = io.ErrUnexpectedEOF
	} else if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (s *blobStream) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if s.b.f == nil {
		n, err := w.Write(s.b.data[min(s.off, s.b.size):])
		s.off += int64(n)
		return int64(n), err
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	for s.off < s.b.size {
		n, err := s.Read(*bp)
		if n > 0 {
			m, werr := w.Write((*bp)[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Size reports the content length.
func (b *Blob) Size() int64 { return b.size }

// SHA256 reports the digest of the content.
func (b *Blob) SHA256() Digest { return b.sum }

// InMemory reports whether the content is held in memory.
func (b *Blob) InMemory() bool { return b.f == nil }

// Close releases the content. It may be called more than once.
func (b *Blob) Close() error {
	if b == nil {
		return nil
	}
	// Memory content is left to the garbage collector: an abandoned
	// sanitizer may still be reading it.
	if b.f != nil {
		err := b.f.Close()
		if errors.Is(err, os.ErrClosed) {
			err = nil
		}
		return err
	}
	return nil
}
