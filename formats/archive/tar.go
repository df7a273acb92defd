package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/encoding/charmap"

	"github.com/mugai-project/mugai/sanitize"
)

// tar sanitizes a tar archive (POSIX ustar, PAX, GNU, v7) member by member
// as it streams, and writes a new PAX tar.
func (w *walker) tar(dst io.Writer) error {
	tr := tar.NewReader(io.NewSectionReader(w.it.Src, 0, w.it.Src.Size()))
	out := newTarSink(dst)
	keys := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, tar.ErrInsecurePath) {
				err = nil
			} else {
				return fmt.Errorf("archive: tar: %v: %w", err, sanitize.ErrMalformed)
			}
		}
		if !w.countMember() {
			return nil
		}
		raw := []byte(h.Name)
		cs := guessCharset([][]byte{raw})
		name, ok := decodeName(cs, raw)
		if !ok {
			name = cp437(raw)
			w.find(sanitize.Finding{Rule: RuleName, Where: name, Action: sanitize.Converted, Detail: "name in an unknown charset; read as CP437"})
		} else if cs != CharsetUTF8 {
			w.find(sanitize.Finding{Rule: RuleCharset, Where: name, Action: sanitize.Converted, Detail: "entry name decoded from " + cs.String()})
		}
		p, why := cleanPath(name)
		if why != "" {
			w.find(block(RulePath, name, why))
			return nil
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir: // archive/tar reports the old "\x00" type as TypeReg
		case tar.TypeSymlink, tar.TypeLink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			w.find(block(RuleLink, p, fmt.Sprintf("tar entry type %q (link, device or FIFO)", h.Typeflag)))
			return nil
		default:
			w.find(block(RuleEntry, p, fmt.Sprintf("tar entry type %q cannot be carried", h.Typeflag)))
			return nil
		}
		if h.Typeflag == tar.TypeDir && p[len(p)-1] != '/' {
			p += "/"
		}
		if w.duplicate(keys, p) {
			return nil
		}
		m := &member{path: p, mod: h.ModTime, size: h.Size}
		if h.Size > w.maxMember {
			f := sanitize.Finding{Rule: sanitize.RuleLimitSize, Where: p, Action: sanitize.Blocked,
				Detail: fmt.Sprintf("declares %d bytes, member limit %d", h.Size, w.maxMember)}
			m.removed = &f
		}
		m.open = func() (io.ReadCloser, error) { return io.NopCloser(tr), nil }
		if err := w.member(out, m); err != nil {
			return w.finish(err)
		}
	}
	return out.close()
}

// cp437 decodes b as IBM code page 437, which maps every byte: names in
// an unknown charset stay distinct and readable as far as they are ASCII.
func cp437(b []byte) string {
	s, _ := charmap.CodePage437.NewDecoder().Bytes(b)
	return string(s)
}
