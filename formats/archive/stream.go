package archive

import (
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ulikunitz/xz"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// stream sanitizes a single compressed stream (gzip, bzip2, xz): its one
// member goes through the engine and the result is written as gzip. The
// stream is judged as a whole: past MaxRatio times its compressed size (and
// past 1 MiB) it is a bomb. A blocked member blocks the stream: there is
// nothing else in it to deliver.
func (w *walker) stream(dst io.Writer) error {
	src := io.NewSectionReader(w.it.Src, 0, w.it.Src.Size())
	cr := &countReader{r: src}
	var (
		r    io.Reader
		name string
		mod  time.Time
	)
	inner := innerName(w.it.Name, w.it.Kind)
	switch w.it.Kind {
	case detect.GZIP:
		zr, err := gzip.NewReader(cr)
		if err != nil {
			return fmt.Errorf("archive: gzip: %v: %w", err, sanitize.ErrMalformed)
		}
		r, name, mod = zr, zr.Name, zr.ModTime
	case detect.BZIP2:
		r = bzip2.NewReader(cr)
	case detect.XZ:
		xr, err := xz.NewReader(cr)
		if err != nil {
			return fmt.Errorf("archive: xz: %v: %w", err, sanitize.ErrMalformed)
		}
		r = xr
	default:
		return fmt.Errorf("archive: %s: %w", w.it.Kind, sanitize.ErrUnsupported)
	}
	if name == "" || !utf8.ValidString(name) {
		name = inner
	} else {
		name = sanitize.CleanName(name)
	}
	rg := &ratioGuard{r: r, known: w.it.Src.Size(), ratio: w.it.Limits.MaxRatio}
	g := &guard{r: rg, declared: -1, max: w.maxMember, crc: nopHash{}}
	rep, blob, err := w.it.Child(w.ctx, g, name, "")
	if err != nil {
		if e := w.finish(err); e != nil {
			return fmt.Errorf("archive: %s: %v: %w", w.it.Kind, e, sanitize.ErrMalformed)
		}
		return nil
	}
	w.res.Children = append(w.res.Children, rep)
	if d, err := w.inputDigest(); err != nil {
		blob.Close()
		return err
	} else if rep.SHA256 == d {
		blob.Close()
		w.find(block(RuleQuine, name, "the stream holds itself"))
		return nil
	}
	if blob == nil {
		w.find(block(RuleMember, name, "the only member was blocked: "+reasonEN(rep)))
		return nil
	}
	defer blob.Close()
	if w.it.Kind != detect.GZIP {
		w.res.Kind = detect.GZIP
		w.find(sanitize.Finding{Rule: RuleKind, Action: sanitize.Converted, Detail: fmt.Sprintf("%s stream rewritten as gzip", w.it.Kind)})
	}
	zw, _ := gzip.NewWriterLevel(dst, gzip.DefaultCompression)
	if rep.OutputType != "" && rep.OutputType != detect.Empty {
		name = sanitize.OutputName(name, rep.OutputType)
	}
	zw.Name = name
	if !mod.IsZero() {
		zw.ModTime = mod
	}
	if _, err := io.Copy(zw, blob.Reader()); err != nil {
		return err
	}
	return zw.Close()
}

// innerName derives the member's name from the stream's: "a.txt.gz" →
// "a.txt", "a.tgz" → "a.tar".
func innerName(outer string, k sanitize.Kind) string {
	base := sanitize.CleanName(outer)
	ext := strings.ToLower(path.Ext(base))
	stem := strings.TrimSuffix(base, path.Ext(base))
	switch ext {
	case ".tgz", ".tbz", ".tbz2", ".txz":
		return stem + ".tar"
	case ".gz", ".bz2", ".xz", ".z":
		if stem != "" {
			return stem
		}
	}
	if outer == "" {
		return "data"
	}
	return base + ".out"
}

// nopHash stands in for a CRC where the format checks its own.
type nopHash struct{}

func (nopHash) Write(p []byte) (int, error) { return len(p), nil }
func (nopHash) Sum(b []byte) []byte         { return b }
func (nopHash) Reset()                      {}
func (nopHash) Size() int                   { return 4 }
func (nopHash) BlockSize() int              { return 1 }
func (nopHash) Sum32() uint32               { return 0 }
