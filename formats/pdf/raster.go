package pdf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of pdftoppm's pages
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/mugai-project/mugai/sanitize"
)

// RuleRasterized records that the pages were rendered to images.
const RuleRasterized = "pdf.rasterized"

// Defaults for rasterizing.
const (
	DefaultRasterPixels  = 2000             // long side of a page image, in pixels
	DefaultRasterPages   = 200              // pages rendered at most
	DefaultRasterTimeout = 60 * time.Second // for the whole pdftoppm run
	DefaultRasterMemory  = 1 << 30          // address space of the renderer, bytes
)

// Sandbox says whether the renderer must run inside bubblewrap.
type Sandbox uint8

// Sandbox settings.
const (
	// SandboxAuto runs the renderer inside bubblewrap when bwrap is
	// installed and can create its namespaces, and without it otherwise
	// (the finding's detail and the startup check say so).
	SandboxAuto Sandbox = iota
	// SandboxRequired fails every rasterizing (and the startup check) when
	// bubblewrap cannot be used: fail closed.
	SandboxRequired
	// SandboxOff never uses bubblewrap.
	SandboxOff
)

// RasterOptions configure rasterizing (Options.Raster): every page is
// rendered to a JPEG image by poppler's pdftoppm and a new PDF is made of
// the images only, for the most dangerous senders. The zero value of each
// field is its default.
type RasterOptions struct {
	// Pdftoppm is the path of poppler's pdftoppm; "" looks it up in PATH.
	// A missing tool is an error, never a silent fallback to disarming.
	Pdftoppm string
	// Pixels is the long side of each page image (DefaultRasterPixels),
	// whatever the page size: the pixel limit.
	Pixels int
	// MaxPages is the most pages rendered; a longer document is an error
	// wrapping sanitize.ErrTooLarge (DefaultRasterPages).
	MaxPages int
	// Timeout bounds the pdftoppm run (DefaultRasterTimeout).
	Timeout time.Duration
	// MaxMemory bounds the renderer's address space through prlimit(1)
	// when it is installed (DefaultRasterMemory).
	MaxMemory int64
	// Sandbox: SandboxAuto (zero), SandboxRequired or SandboxOff.
	Sandbox Sandbox
	// Bwrap is the path of bubblewrap; "" looks up bwrap in PATH.
	Bwrap string
}

func (o RasterOptions) tool() (string, error) {
	p := o.Pdftoppm
	if p == "" {
		p = "pdftoppm"
	}
	path, err := exec.LookPath(p)
	if err != nil {
		return "", fmt.Errorf("pdf: rasterize: pdftoppm not found (install poppler-utils): %w", err)
	}
	return path, nil
}

// CheckSandbox reports whether the renderer can run inside bubblewrap with
// these options, by running pdftoppm -v in it (the result is cached per
// tool pair). The error says why not.
func (o RasterOptions) CheckSandbox() error {
	tool, err := o.tool()
	if err != nil {
		return err
	}
	bw, err := o.bwrap()
	if err != nil {
		return err
	}
	key := bw + "\x00" + tool
	probeMu.Lock()
	defer probeMu.Unlock()
	if err, ok := probed[key]; ok {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "mugai-pdf-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, bw, append(bwrapArgs(dir), tool, "-v")...)
	cmd.Env = []string{}
	if out, err := cmd.CombinedOutput(); err != nil {
		probed[key] = fmt.Errorf("pdf: rasterize: bubblewrap cannot run here: %v: %s", err, firstLineOf(out))
	} else {
		probed[key] = nil
	}
	return probed[key]
}

var (
	probeMu sync.Mutex
	probed  = map[string]error{}
)

func (o RasterOptions) bwrap() (string, error) {
	p := o.Bwrap
	if p == "" {
		p = "bwrap"
	}
	path, err := exec.LookPath(p)
	if err != nil {
		return "", fmt.Errorf("pdf: rasterize: bubblewrap not found (install bubblewrap): %w", err)
	}
	return path, nil
}

// validate checks what rasterizing needs before the first item: the
// renderer, and bubblewrap when it is required.
func (o RasterOptions) validate() error {
	if _, err := o.tool(); err != nil {
		return err
	}
	if o.Sandbox > SandboxOff {
		return errors.New("pdf: rasterize: unknown sandbox setting")
	}
	if o.Sandbox == SandboxRequired {
		return o.CheckSandbox()
	}
	return nil
}

// bwrapArgs are bubblewrap's arguments for a renderer that sees only the
// system's programs, libraries and fonts read-only, and dir (at /job) read-
// write: no network, no other file, no environment, a new session, killed
// with us.
func bwrapArgs(dir string) []string {
	args := []string{"--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
		"--ro-bind", "/usr", "/usr"}
	for _, p := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		if t, err := os.Readlink(p); err == nil {
			args = append(args, "--symlink", t, p)
		} else {
			args = append(args, "--ro-bind-try", p, p)
		}
	}
	return append(args, "--ro-bind-try", "/etc/fonts", "/etc/fonts",
		"--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--bind", dir, "/job", "--chdir", "/job", "--")
}

func firstLineOf(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

// rasterize renders the disarmed document (written by c) with pdftoppm and
// writes a PDF of the page images to w. The renderer only ever sees our own
// disarmed output, inside bubblewrap unless the sandbox is off or (auto)
// unusable; sandboxed reports whether it was used.
func (c *cleaner) rasterize(ctx context.Context, w io.Writer, disarmed []byte, o RasterOptions) (sandboxed bool, err error) {
	tool, err := o.tool()
	if err != nil {
		return false, err
	}
	maxPages := orDefault(o.MaxPages, DefaultRasterPages)
	if n := len(c.pageRefs); n > maxPages {
		return false, fmt.Errorf("pdf: rasterize: %w: %d pages", sanitize.ErrTooLarge, n)
	}
	var bw string
	switch o.Sandbox {
	case SandboxRequired, SandboxAuto:
		serr := o.CheckSandbox()
		if serr != nil && o.Sandbox == SandboxRequired {
			return false, serr
		}
		if serr == nil {
			var berr error
			if bw, berr = o.bwrap(); berr != nil && o.Sandbox == SandboxRequired {
				return false, berr // never run unconfined when the sandbox is required
			}
		}
	}
	dir, err := os.MkdirTemp("", "mugai-pdf-raster-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "in.pdf"), disarmed, 0o600); err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, orDefault(o.Timeout, DefaultRasterTimeout))
	defer cancel()
	work := dir
	var argv []string
	if bw != "" {
		argv = append([]string{bw}, bwrapArgs(dir)...)
		work = "/job"
	}
	if pl, err := exec.LookPath("prlimit"); err == nil {
		argv = append(argv, pl, "--as="+strconv.FormatInt(orDefault(o.MaxMemory, DefaultRasterMemory), 10), "--core=0", "--")
	} else if o.Sandbox == SandboxRequired {
		return false, fmt.Errorf("pdf: rasterize: prlimit (util-linux) not found, and the sandbox is required: %w", err)
	}
	argv = append(argv, tool, "-q", "-l", strconv.Itoa(maxPages), "-jpeg", "-jpegopt", "quality=85",
		"-scale-to", strconv.Itoa(orDefault(o.Pixels, DefaultRasterPixels)), work+"/in.pdf", work+"/p")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = []string{} // nothing from our environment
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("pdf: rasterize: %w", sanitize.ErrTimeout)
		}
		return false, fmt.Errorf("pdf: rasterize: %w: pdftoppm: %v: %s", sanitize.ErrMalformed, err, firstLineOf(out))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "p-*.jpg"))
	// pdftoppm pads page numbers to the same width, so names sort in order.
	slices.Sort(files)
	if len(files) == 0 || len(files) != len(c.pageRefs) {
		return false, fmt.Errorf("pdf: rasterize: %w: %d of %d pages rendered", sanitize.ErrMalformed, len(files), len(c.pageRefs))
	}
	// The pages stay in their files until each is written: memory holds
	// one page image at a time.
	pages := make([]rasterPage, 0, len(files))
	for i, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return false, err
		}
		cfg, _, err := image.DecodeConfig(fh)
		fh.Close()
		if err != nil {
			return false, fmt.Errorf("pdf: rasterize: page %d: %w", i+1, err)
		}
		pages = append(pages, rasterPage{path: f, w: cfg.Width, h: cfg.Height, size: c.pageSize(i)})
	}
	buf := bufio.NewWriter(w)
	if err := writeImagePDF(buf, pages); err != nil {
		return false, err
	}
	return bw != "", buf.Flush()
}

type rasterPage struct {
	path string // the JPEG file
	w, h int
	size [2]float64 // page width and height in points
}

// pageSize returns the width and height of page i from its CropBox or
// MediaBox, or A4 when neither is usable.
func (c *cleaner) pageSize(i int) [2]float64 {
	a4 := [2]float64{595, 842}
	if i >= len(c.pageRefs) {
		return a4
	}
	d, ok := c.object(c.pageRefs[i]).(types.Dict)
	if !ok {
		return a4
	}
	// pdftoppm renders the crop box (which defaults to the media box).
	box, ok := c.object(d["CropBox"]).(types.Array)
	if !ok || len(box) != 4 {
		box, ok = c.object(d["MediaBox"]).(types.Array)
	}
	if !ok || len(box) != 4 {
		return a4
	}
	var v [4]float64
	for j, e := range box {
		switch n := c.object(e).(type) {
		case types.Integer:
			v[j] = float64(n)
		case types.Float:
			v[j] = float64(n)
		default:
			return a4
		}
	}
	wd, ht := v[2]-v[0], v[3]-v[1]
	if wd < 0 {
		wd = -wd
	}
	if ht < 0 {
		ht = -ht
	}
	if wd < 1 || ht < 1 || wd > 14400 || ht > 14400 {
		return a4
	}
	if r, ok := c.object(d["Rotate"]).(types.Integer); ok && (r/90)%2 != 0 {
		wd, ht = ht, wd
	}
	return [2]float64{wd, ht}
}

// writeImagePDF writes one page per image, each image filling its page.
func writeImagePDF(w *bufio.Writer, pages []rasterPage) error {
	cw := &countWriter{w: w}
	cw.str("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	n := 2 + 3*len(pages)
	offs := make([]int64, n+1)
	obj := func(i int, body string) {
		offs[i] = cw.n
		cw.str(strconv.Itoa(i) + " 0 obj\n" + body + "\nendobj\n")
	}
	obj(1, "<</Pages 2 0 R/Type /Catalog>>")
	kids := ""
	for i := range pages {
		kids += " " + strconv.Itoa(3+3*i) + " 0 R"
	}
	obj(2, "<</Count "+strconv.Itoa(len(pages))+"/Kids ["+kids[1:]+"]/Type /Pages>>")
	for i, p := range pages {
		jpeg, err := os.ReadFile(p.path)
		if err != nil {
			return err
		}
		pg, ct, im := 3+3*i, 4+3*i, 5+3*i
		wd, ht := fmtNum(p.size[0]), fmtNum(p.size[1])
		obj(pg, fmt.Sprintf("<</Contents %d 0 R/MediaBox [0 0 %s %s]/Parent 2 0 R/Resources <</XObject <</Im0 %d 0 R>>>>/Type /Page>>", ct, wd, ht, im))
		content := "q " + wd + " 0 0 " + ht + " 0 0 cm /Im0 Do Q"
		obj(ct, "<</Length "+strconv.Itoa(len(content))+">>\nstream\n"+content+"\nendstream")
		offs[im] = cw.n
		cw.str(fmt.Sprintf("%d 0 obj\n<</BitsPerComponent 8/ColorSpace /DeviceRGB/Filter /DCTDecode/Height %d/Length %d/Subtype /Image/Type /XObject/Width %d>>\nstream\n", im, p.h, len(jpeg), p.w))
		cw.bytes(jpeg)
		cw.str("\nendstream\nendobj\n")
	}
	xref := cw.n
	cw.str("xref\n0 " + strconv.Itoa(n+1) + "\n0000000000 65535 f \n")
	for _, off := range offs[1:] {
		cw.str(fmt.Sprintf("%010d 00000 n \n", off))
	}
	cw.str("trailer\n<</Root 1 0 R /Size " + strconv.Itoa(n+1) + ">>\nstartxref\n" + strconv.FormatInt(xref, 10) + "\n%%EOF\n")
	if cw.err != nil {
		return cw.err
	}
	return nil
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
