package archive

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"sync"
	"time"
)

// dosEpoch is the earliest time a zip entry can carry; entries without a
// time get it, so that the output is deterministic.
var dosEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// zipSink writes a new zip: UTF-8 names with the language encoding flag
// (APPNOTE §4.4.4 bit 11, set by archive/zip for non-ASCII names), deflate,
// the input's times, no comments and no extra fields beyond archive/zip's
// own timestamp.
type zipSink struct{ zw *zip.Writer }

func newZipSink(w io.Writer) *zipSink {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, newFlate)
	return &zipSink{zw: zw}
}

// flateWriters pools compressors: each holds about 1 MB of tables.
var flateWriters sync.Pool

// newFlate returns a pooled fast compressor (level 1: documents are
// compressed by a third to a half at several times the speed of the
// default level); Close returns it to the pool.
func newFlate(w io.Writer) (io.WriteCloser, error) {
	if fw, ok := flateWriters.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return &pooledFlate{fw}, nil
	}
	fw, err := flate.NewWriter(w, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return &pooledFlate{fw}, nil
}

type pooledFlate struct{ *flate.Writer }

func (p *pooledFlate) Close() error {
	err := p.Writer.Close()
	flateWriters.Put(p.Writer)
	p.Writer = nil
	return err
}

func fixTime(t time.Time) time.Time {
	if t.IsZero() || t.Before(dosEpoch) {
		return dosEpoch
	}
	return t.UTC()
}

func (z *zipSink) dir(name string, mod time.Time) error {
	_, err := z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: fixTime(mod)})
	return err
}

func (z *zipSink) file(name string, mod time.Time, size int64, r io.Reader) error {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: fixTime(mod)}
	h.SetMode(0o644)
	fw, err := z.zw.CreateHeader(h)
	if err != nil {
		return err
	}
	n, err := io.Copy(fw, r)
	if err == nil && n != size {
		err = fmt.Errorf("archive: wrote %d bytes of %d", n, size)
	}
	return err
}

func (z *zipSink) close() error { return z.zw.Close() }

// tarSink writes a new POSIX tar (PAX records for long or non-ASCII names),
// regular files 0644 and directories 0755, owned by nobody in particular.
type tarSink struct{ tw *tar.Writer }

func newTarSink(w io.Writer) *tarSink { return &tarSink{tw: tar.NewWriter(w)} }

func (t *tarSink) dir(name string, mod time.Time) error {
	return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: fixTime(mod), Format: tar.FormatPAX})
}

func (t *tarSink) file(name string, mod time.Time, size int64, r io.Reader) error {
	if err := t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: fixTime(mod), Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := io.Copy(t.tw, r)
	return err
}

func (t *tarSink) close() error { return t.tw.Close() }
