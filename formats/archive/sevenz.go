package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/bodgit/sevenzip"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// sevenZip sanitizes a 7z archive with github.com/bodgit/sevenzip and writes
// a zip (the output kind changes: a.7z → a.zip). Encrypted content or
// headers block with archive.encrypted; the library's panics are recovered
// into sanitize.ErrMalformed.
// The header is pre-checked first (checkSevenZipHeader): the library
// allocates by the counts the header claims.
func (w *walker) sevenZip(dst io.Writer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("archive: 7z: recovered panic: %v: %w", p, sanitize.ErrMalformed)
		}
	}()
	if err := checkSevenZipHeader(w.it.Src, w.it.Src.Size(), w.it.Limits.MaxParts); err != nil {
		return w.sevenZipHeaderErr(err)
	}
	zr, err := sevenzip.NewReader(w.it.Src, w.it.Src.Size())
	if err != nil {
		return w.sevenZipErr("", err)
	}
	if len(zr.File) > w.it.Limits.MaxParts {
		w.find(block(sanitize.RuleLimitParts, "", fmt.Sprintf("%d entries, limit %d", len(zr.File), w.it.Limits.MaxParts)))
		return nil
	}
	keys := map[string]bool{}
	var total uint64
	members := make([]*member, 0, len(zr.File))
	for _, f := range zr.File {
		p, why := cleanPath(f.Name)
		if why != "" {
			w.find(block(RulePath, f.Name, why))
			return nil
		}
		mode := f.Mode()
		if mode&(fs.ModeSymlink|fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeCharDevice|fs.ModeIrregular) != 0 ||
			f.Attributes&0x400 != 0 {
			w.find(block(RuleLink, p, "symbolic link, reparse point, device, FIFO or socket"))
			return nil
		}
		if mode.IsDir() && p[len(p)-1] != '/' {
			p += "/"
		}
		if w.duplicate(keys, p) {
			return nil
		}
		m := &member{path: p, mod: f.Modified, size: int64(f.UncompressedSize), crc: f.CRC32, hasCRC: f.CRC32 != 0}
		if f.UncompressedSize > uint64(w.maxMember) {
			fd := sanitize.Finding{Rule: sanitize.RuleLimitSize, Where: p, Action: sanitize.Blocked,
				Detail: fmt.Sprintf("declares %d bytes, member limit %d", f.UncompressedSize, w.maxMember)}
			m.removed = &fd
		} else {
			total += f.UncompressedSize
		}
		f := f
		ratio := w.it.Limits.MaxRatio
		size := w.it.Src.Size()
		m.open = func() (io.ReadCloser, error) {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			// Solid archives share one stream; the archive's whole size
			// is the fair denominator.
			return readCloser{&ratioGuard{r: rc, known: size, ratio: ratio}, rc}, nil
		}
		members = append(members, m)
	}
	if total > uint64(w.it.Limits.MaxExpanded) {
		w.find(block(sanitize.RuleLimitSize, "", fmt.Sprintf("declares %d bytes expanded, limit %d", total, w.it.Limits.MaxExpanded)))
		return nil
	}
	if total > ratioFloor && total > uint64(w.it.Limits.MaxRatio)*uint64(max(w.it.Src.Size(), 1)) {
		w.find(block(RuleBomb, "", fmt.Sprintf("declares %d bytes from %d (ratio limit %d)", total, w.it.Src.Size(), w.it.Limits.MaxRatio)))
		return nil
	}
	w.res.Kind = detect.ZIP
	w.find(sanitize.Finding{Rule: RuleKind, Action: sanitize.Converted, Detail: "7z archive rewritten as zip"})
	out := newZipSink(dst)
	for _, m := range members {
		if err := w.member(out, m); err != nil {
			if e := w.finish(err); e != nil {
				return w.sevenZipErr(m.path, e)
			}
			return nil
		}
	}
	return out.close()
}

// sevenZipErr maps the library's errors: a read error flagged as involving
// encryption is archive.encrypted.
func (w *walker) sevenZipErr(where string, err error) error {
	var re *sevenzip.ReadError
	if errors.As(err, &re) && re.Encrypted {
		w.find(block(RuleEncrypted, where, "encrypted 7z content"))
		return fmt.Errorf("archive: 7z: %w", sanitize.ErrEncrypted)
	}
	if errors.Is(err, sanitize.ErrTooLarge) || errors.Is(err, sanitize.ErrMalformed) || errors.Is(err, sanitize.ErrTimeout) {
		return err
	}
	return fmt.Errorf("archive: 7z: %v: %w", err, sanitize.ErrMalformed)
}
