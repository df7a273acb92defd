package archive

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"path"
	"strings"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Options tune the archive sanitizer. The zero value is the default.
type Options struct {
	// MaxMemberSize caps the expanded size of one member; zero means the
	// item's MaxInput (a member is an item of its own once extracted).
	MaxMemberSize int64
	// Lang of the .removed.txt notices' first language: "ja" (default) or
	// "en". Both languages are always written.
	Lang string
}

// Sanitizer rebuilds archives from their sanitized members. It is safe for
// concurrent use.
type Sanitizer struct{ opt Options }

// New returns an archive sanitizer.
func New(opt Options) *Sanitizer { return &Sanitizer{opt: opt} }

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// ratioFloor: a stream that expands to no more than this is not judged by
// its ratio; a small text that compresses well is no bomb.
const ratioFloor = 1 << 20

// Internal errors that end the walk over an archive; each maps to a
// blocking finding.
var (
	errBomb     = errors.New("archive: expands beyond the ratio limit")
	errOverSize = errors.New("archive: member longer than declared")
	errCRC      = errors.New("archive: member checksum mismatch")
)

// Sanitize reads it.Src as it.Kind, sends every member through the engine
// and writes a new archive of the sanitized members.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (res sanitize.Result, err error) {
	w := &walker{ctx: ctx, it: it, opt: &s.opt, seen: map[string]bool{}}
	w.maxMember = s.opt.MaxMemberSize
	if w.maxMember <= 0 {
		w.maxMember = it.Limits.MaxInput
	}
	switch it.Kind {
	case detect.ZIP:
		err = w.zip(dst)
	case detect.TAR:
		err = w.tar(dst)
	case detect.GZIP, detect.BZIP2, detect.XZ:
		err = w.stream(dst)
	case detect.SevenZ:
		err = w.sevenZip(dst)
	case detect.LZH:
		err = w.lzh(dst)
	default:
		err = fmt.Errorf("archive: %s: %w", it.Kind, sanitize.ErrUnsupported)
	}
	w.res.Findings = append(w.res.Findings, w.finds...)
	return w.res, err
}

// walker carries the state of one archive being rebuilt.
type walker struct {
	ctx       context.Context
	it        *sanitize.Item
	opt       *Options
	res       sanitize.Result
	finds     []sanitize.Finding
	maxMember int64
	seen      map[string]bool // dupKey of output names
	members   int
	digest    *sanitize.Digest // of the input, computed on first use
}

func (w *walker) find(f sanitize.Finding) { w.finds = append(w.finds, f) }

// blocked reports whether a blocking finding was recorded.
func (w *walker) blocked() bool {
	for _, f := range w.finds {
		if f.Action == sanitize.Blocked {
			return true
		}
	}
	return false
}

// inputDigest hashes the whole input once (for the quine check).
func (w *walker) inputDigest() (sanitize.Digest, error) {
	if w.digest != nil {
		return *w.digest, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(w.it.Src, 0, w.it.Src.Size())); err != nil {
		return sanitize.Digest{}, fmt.Errorf("archive: %w", err)
	}
	var d sanitize.Digest
	copy(d[:], h.Sum(nil))
	w.digest = &d
	return d, nil
}

// sink receives the output archive's entries in order.
type sink interface {
	dir(name string, mod time.Time) error
	file(name string, mod time.Time, size int64, r io.Reader) error
	close() error
}

// member is one file or directory of an input archive, ready to be read.
type member struct {
	path   string    // cleaned relative path, '/'-separated; directories end in '/'
	mod    time.Time // modification time as recorded (deterministic output)
	size   int64     // declared expanded size, -1 if unknown
	crc    uint32    // declared CRC-32 when hasCRC
	hasCRC bool
	open   func() (io.ReadCloser, error)
	// removed, when set, is why the member is not extracted at all (an
	// unsupported method, a declared size over the limit): it is replaced
	// by a notice without being read.
	removed *sanitize.Finding
}

// member runs one member through the engine and writes the result (or a
// notice) to out. It returns an error only for what ends the archive.
func (w *walker) member(out sink, m *member) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if strings.HasSuffix(m.path, "/") {
		name := w.unique(m.path)
		return out.dir(name, m.mod)
	}
	dir, base := splitName(m.path)
	if m.removed != nil {
		rep := &sanitize.Report{Input: m.path, Size: max(m.size, 0), Outcome: sanitize.OutcomeBlocked,
			Findings: []sanitize.Finding{*m.removed}, Error: m.removed.Detail}
		w.res.Children = append(w.res.Children, rep)
		return w.notice(out, m, rep)
	}
	rc, err := m.open()
	if err != nil {
		return err
	}
	g := &guard{r: rc, declared: m.size, max: w.maxMember, crc: crc32.NewIEEE(), wantCRC: m.crc, hasCRC: m.hasCRC}
	rep, blob, err := w.it.Child(w.ctx, g, base, "")
	rc.Close()
	if err != nil {
		return err
	}
	rep.Input = m.path
	w.res.Children = append(w.res.Children, rep)
	if d, derr := w.inputDigest(); derr == nil && rep.SHA256 == d {
		blob.Close()
		w.find(block(RuleQuine, m.path, "the member is the archive itself"))
		return errStop
	} else if derr != nil {
		blob.Close()
		return derr
	}
	if blob == nil {
		return w.notice(out, m, rep)
	}
	defer blob.Close()
	kind := rep.OutputType
	outName := base
	if kind != "" && kind != detect.Empty {
		outName = sanitize.OutputName(base, kind)
	}
	name := w.unique(dir + outName)
	return out.file(name, m.mod, blob.Size(), blob.Reader())
}

// errStop ends the walk after a blocking finding was recorded.
var errStop = errors.New("archive: stop")

// notice writes <name>.removed.txt in place of a removed member.
func (w *walker) notice(out sink, m *member, rep *sanitize.Report) error {
	w.find(sanitize.Finding{Rule: RuleMember, Where: m.path, Action: sanitize.Removed, Detail: "member removed: " + reasonEN(rep)})
	txt := noticeText(m.path, rep, w.opt.Lang)
	name := w.unique(m.path + ".removed.txt")
	return out.file(name, m.mod, int64(len(txt)), strings.NewReader(txt))
}

// unique returns p, or p with " (2)", " (3)"… before its extension when an
// earlier output entry already has that name (ignoring case). Renaming a
// sanitized member (a.docm → a.docx) may collide with another member.
func (w *walker) unique(p string) string {
	isDir := strings.HasSuffix(p, "/")
	base := strings.TrimSuffix(p, "/")
	cand := base
	for i := 2; w.seen[dupKey(cand)]; i++ {
		ext := path.Ext(base)
		if isDir || len(ext) > 16 {
			ext = ""
		}
		cand = fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(base, ext), i, ext)
	}
	w.seen[dupKey(cand)] = true
	if isDir {
		return cand + "/"
	}
	return cand
}

// countMember enforces MaxParts for formats read as a stream.
func (w *walker) countMember() bool {
	w.members++
	if w.members > w.it.Limits.MaxParts {
		w.find(block(sanitize.RuleLimitParts, "", fmt.Sprintf("more than %d entries", w.it.Limits.MaxParts)))
		return false
	}
	return true
}

// finish maps the error that ended a walk: errStop and recorded blocks are
// findings, not errors.
func (w *walker) finish(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errStop):
		return nil
	case errors.Is(err, errBomb):
		w.find(block(RuleBomb, "", err.Error()))
		return nil
	case errors.Is(err, errOverSize), errors.Is(err, errCRC):
		w.find(block(RuleStructure, "", err.Error()))
		return nil
	}
	return err
}

// guard wraps one member's expanded stream: it fails with errOverSize past
// the declared size, with sanitize.ErrTooLarge past the per-member limit,
// and with errCRC at the end when the checksum disagrees.
type guard struct {
	r        io.Reader
	n        int64
	declared int64
	max      int64
	crc      hash.Hash32
	wantCRC  uint32
	hasCRC   bool
}

func (g *guard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.declared >= 0 && g.n > g.declared {
		return 0, fmt.Errorf("%w (%d bytes declared)", errOverSize, g.declared)
	}
	if g.n > g.max {
		return 0, fmt.Errorf("archive: member over %d bytes: %w", g.max, sanitize.ErrTooLarge)
	}
	g.crc.Write(p[:n])
	if err == io.EOF {
		if g.declared >= 0 && g.n != g.declared {
			return n, fmt.Errorf("%w: %d bytes, %d declared", errOverSize, g.n, g.declared)
		}
		if g.hasCRC && g.crc.Sum32() != g.wantCRC {
			return n, errCRC
		}
	}
	return n, err
}

// ratioReader counts the compressed bytes read from below a decompressor.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioGuard fails a decompressed stream with errBomb once it has expanded
// past ratioFloor and past ratio times the compressed bytes consumed (or,
// when the compressed size is known up front, ratio times that).
type ratioGuard struct {
	r     io.Reader
	in    *countReader
	known int64 // compressed size, 0 when only counted
	ratio int64
	n     int64
}

func (g *ratioGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > ratioFloor {
		c := g.known
		if c <= 0 && g.in != nil {
			c = g.in.n
		}
		if g.n > g.ratio*max(c, 1) {
			return 0, fmt.Errorf("%w: %d bytes from %d", errBomb, g.n, c)
		}
	}
	return n, err
}

// reasonEN and reasonJA explain why a member's report blocked it.
func reasonEN(rep *sanitize.Report) string { return reason(rep, "en") }

func reason(rep *sanitize.Report, lang string) string {
	var parts []string
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Action != sanitize.Blocked || seen[f.Rule] {
			continue
		}
		seen[f.Rule] = true
		parts = append(parts, sanitize.DescribeRule(f.Rule, lang)+" ("+f.Rule+")")
	}
	if len(parts) == 0 {
		if rep.Error != "" {
			return rep.Error
		}
		return "blocked"
	}
	sep := "; "
	if lang == "ja" {
		sep = "、"
	}
	return strings.Join(parts, sep)
}

// noticeText is the content of <name>.removed.txt: what was removed, why,
// and how to get the original, in Japanese and English (lang first).
func noticeText(name string, rep *sanitize.Report, lang string) string {
	ja := "このファイル「" + name + "」は無害化の際に取り除かれました。\r\n" +
		"理由: " + reason(rep, "ja") + "\r\n" +
		"元のファイルは隔離保管されています。必要な場合は、この圧縮ファイルを受け取った日時と名前を添えてシステム管理者に連絡してください。\r\n"
	en := "The file \"" + name + "\" was removed when this archive was sanitized.\r\n" +
		"Reason: " + reason(rep, "en") + "\r\n" +
		"The original is kept in quarantine. If you need it, ask your system administrator, giving the time you received this archive and its name.\r\n"
	if lang == "en" {
		return en + "\r\n" + ja
	}
	return ja + "\r\n" + en
}
