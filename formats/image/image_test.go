package image

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/sanitize/sanitizetest"
)

// run sanitizes in as kind (detected when "") with s.
func run(t testing.TB, s *Sanitizer, in []byte, kind detect.Kind) ([]byte, sanitize.Result, error) {
	t.Helper()
	it := &sanitize.Item{Src: newSection(in), Name: "f", Kind: kind}
	var out bytes.Buffer
	res, err := s.Sanitize(context.Background(), &out, it)
	return out.Bytes(), res, err
}

func newSection(b []byte) *io.SectionReader {
	return io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))
}

func rules(fs []sanitize.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+":"+f.Action.String())
	}
	slices.Sort(out)
	return out
}

// assertClean checks an output: no payload, detected as want, decodable by
// the Go decoder and by the independent tools present, and sanitized again
// it gives no finding above Recorded.
func assertClean(t *testing.T, s *Sanitizer, out []byte, want detect.Kind) {
	t.Helper()
	for _, p := range payloads {
		if bytes.Contains(out, []byte(p)) {
			t.Errorf("payload %q survives", p)
		}
	}
	for _, p := range []string{"<?php", "<script", "PK\x03\x04", "MUGAI"} {
		if bytes.Contains(bytes.ToLower(out), bytes.ToLower([]byte(p))) {
			t.Errorf("payload fragment %q survives", p)
		}
	}
	if got := detect.Detect(bytes.NewReader(out), int64(len(out)), ""); got != want {
		t.Fatalf("output detects as %s, want %s", got, want)
	}
	oracle(t, out, want)
	again, res, err := run(t, s, out, want)
	if err != nil {
		t.Fatalf("re-scan: %v", err)
	}
	for _, f := range res.Findings {
		if f.Action > sanitize.Recorded {
			t.Errorf("re-scan finds %s (%s %s)", f.Rule, f.Where, f.Detail)
		}
	}
	if want != detect.JPEG && !bytes.Equal(again, out) {
		t.Errorf("lossless output is not stable when sanitized again")
	}
}

// oracle decodes out with ImageMagick's identify and, for PNG, pngcheck,
// when they are installed (Debian packages imagemagick, pngcheck); their
// verbose listing must show none of the payloads.
func oracle(t *testing.T, out []byte, kind detect.Kind) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "out"+detect.Ext(kind))
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("identify"); err == nil {
		args := []string{"-regard-warnings", path}
		if len(out) < 1<<20 {
			args = append([]string{"-verbose"}, args...) // lists metadata; slow on big images
		}
		b, err := exec.Command("identify", args...).CombinedOutput()
		if err != nil {
			t.Errorf("identify rejects the output: %v\n%s", err, b)
		}
		for _, p := range []string{"<?php", "<script", "MUGAI"} {
			if bytes.Contains(b, []byte(p)) {
				t.Errorf("identify -verbose shows %q", p)
			}
		}
	}
	if kind == detect.PNG {
		if _, err := exec.LookPath("pngcheck"); err == nil {
			b, err := exec.Command("pngcheck", "-v", path).CombinedOutput()
			if err != nil {
				t.Errorf("pngcheck rejects the output: %v\n%s", err, b)
			}
		}
	}
}

func TestHostileFixtures(t *testing.T) {
	s := New(Options{})
	for _, tc := range []struct {
		name  string
		in    []byte
		kind  detect.Kind
		out   detect.Kind
		rules []string
		size  image.Point // expected output size
	}{
		{"jpeg", hostileJPEG(t, 40, 24, 0), detect.JPEG, detect.JPEG,
			[]string{"image.metadata:removed", "image.trailing:removed"}, image.Pt(40, 24)},
		{"jpeg_orientation6", hostileJPEG(t, 40, 24, 6), detect.JPEG, detect.JPEG,
			[]string{"image.metadata:removed", "image.orientation:converted", "image.trailing:removed"}, image.Pt(24, 40)},
		{"png", hostilePNG(t, gradient(30, 20), 0), detect.PNG, detect.PNG,
			[]string{"image.metadata:removed", "image.trailing:removed"}, image.Pt(30, 20)},
		{"png_paletted_orientation8", hostilePNG(t, palettedFrame(30, 20, 0, payloadPalette()), 8), detect.PNG, detect.PNG,
			[]string{"image.metadata:removed", "image.orientation:converted", "image.trailing:removed"}, image.Pt(20, 30)},
		{"gif", hostileGIF(t, 3), detect.GIF, detect.GIF,
			[]string{"image.metadata:removed", "image.trailing:removed"}, image.Pt(16, 12)},
		{"bmp", hostileBMP(t), detect.BMP, detect.BMP,
			[]string{"image.trailing:removed"}, image.Pt(13, 7)},
		{"tiff", tiffFile(gradient(9, 5), 0, 1, payloads[0]), detect.TIFF, detect.TIFF,
			[]string{"image.metadata:removed"}, image.Pt(9, 5)},
		{"tiff_pages_orientation6", tiffFile(gradient(9, 5), 6, 3, payloads[1]), detect.TIFF, detect.TIFF,
			[]string{"image.metadata:removed", "image.orientation:converted"}, image.Pt(5, 9)},
		{"webp", hostileWebP(21, 11, 0), detect.WEBP, detect.PNG,
			[]string{"image.converted:converted", "image.metadata:removed", "image.trailing:removed"}, image.Pt(21, 11)},
		{"webp_orientation5", hostileWebP(21, 11, 5), detect.WEBP, detect.PNG,
			[]string{"image.converted:converted", "image.metadata:removed", "image.orientation:converted", "image.trailing:removed"}, image.Pt(11, 21)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := detect.Detect(bytes.NewReader(tc.in), int64(len(tc.in)), ""); got != tc.kind {
				t.Fatalf("fixture detects as %s", got)
			}
			out, res, err := run(t, s, tc.in, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if got := rules(res.Findings); !slices.Equal(got, tc.rules) {
				t.Errorf("findings %v, want %v", got, tc.rules)
			}
			wantKind := sanitize.Kind("")
			if tc.out != tc.kind {
				wantKind = tc.out
			}
			if res.Kind != wantKind {
				t.Errorf("result kind %q, want %q", res.Kind, wantKind)
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("output: %v", err)
			}
			if got := image.Pt(cfg.Width, cfg.Height); got != tc.size {
				t.Errorf("output is %v, want %v", got, tc.size)
			}
			assertClean(t, s, out, tc.out)
			if tc.out == detect.TIFF {
				checkTIFFPages(t, tc.in, out)
			}
		})
	}
}

// checkTIFFPages: the output has as many pages as the input, each decodes
// (through the same IFD overlay, and with identify when installed) to the
// first page's size.
func checkTIFFPages(t *testing.T, in, out []byte) {
	t.Helper()
	var li, lo layout
	if err := scanTIFF(bytes.NewReader(in), int64(len(in)), &li); err != nil {
		t.Fatal(err)
	}
	if err := scanTIFF(bytes.NewReader(out), int64(len(out)), &lo); err != nil {
		t.Fatal(err)
	}
	if len(lo.pages) != len(li.pages) {
		t.Fatalf("%d pages in, %d out", len(li.pages), len(lo.pages))
	}
	for i, p := range lo.pages {
		if p.off%2 != 0 {
			t.Errorf("page %d IFD at odd offset %d", i+1, p.off)
		}
		m, err := tiff.Decode(io.NewSectionReader(&ifdOverlay{r: bytes.NewReader(out), ifd: uint32(p.off)}, 0, int64(len(out))))
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		if m.Bounds() != lo.pages[0].bounds() {
			t.Errorf("page %d is %v", i+1, m.Bounds())
		}
	}
	if _, err := exec.LookPath("identify"); err == nil {
		path := filepath.Join(t.TempDir(), "pages.tif")
		os.WriteFile(path, out, 0o600)
		b, err := exec.Command("identify", "-regard-warnings", path).CombinedOutput()
		if err != nil {
			t.Fatalf("identify: %v\n%s", err, b)
		}
		if n := bytes.Count(b, []byte("\n")); n != len(li.pages) {
			t.Errorf("identify lists %d pages, want %d:\n%s", n, len(li.pages), b)
		}
	}
}

func (p tiffPage) bounds() image.Rectangle { return image.Rect(0, 0, p.width, p.height) }

func init() {
	image.RegisterFormat("bmp", "BM", bmp.Decode, bmp.DecodeConfig)
	image.RegisterFormat("tiff", "II*\x00", tiff.Decode, tiff.DecodeConfig)
	_ = gif.Decode
	_ = png.Decode
	_ = jpeg.Decode
}

// TestOrientation checks that each orientation puts a marked corner where
// the tag says it is displayed.
func TestOrientation(t *testing.T) {
	// A 4×2 image, red at stored (0,0).
	src := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	src.Set(0, 0, color.NRGBA{R: 0xFF, A: 0xFF})
	// Where stored (0,0) is displayed, per orientation (Exif 2.32 Table 4
	// figure): 1 top-left, 2 top-right, 3 bottom-right, 4 bottom-left,
	// 5 top-left, 6 top-right, 7 bottom-right, 8 bottom-left.
	want := map[int]image.Point{1: {0, 0}, 2: {3, 0}, 3: {3, 1}, 4: {0, 1}, 5: {0, 0}, 6: {1, 0}, 7: {1, 3}, 8: {0, 3}}
	for o := 1; o <= 8; o++ {
		m := orient(src, o)
		p := want[o]
		if r, _, _, _ := m.At(p.X, p.Y).RGBA(); r != 0xFFFF {
			t.Errorf("orientation %d: red not at %v (size %v)", o, p, m.Bounds())
		}
	}
	// YCbCr planes turn with the ratio swapped: the luma plane must match
	// the same plane turned as a Gray image, chroma keeps its size.
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411} {
		y := image.NewYCbCr(image.Rect(0, 0, 7, 5), ratio)
		g := image.NewGray(y.Rect)
		for i := range y.Y {
			y.Y[i] = uint8(i * 7)
			g.Pix[i] = y.Y[i]
		}
		for o := 1; o <= 8; o++ {
			m := orient(y, o)
			ref := orient(g, o).(*image.Gray)
			if m.Bounds() != ref.Bounds() {
				t.Fatalf("ratio %v orientation %d: size %v, want %v", ratio, o, m.Bounds(), ref.Bounds())
			}
			for py := range ref.Rect.Dy() {
				for px := range ref.Rect.Dx() {
					var got uint8
					switch d := m.(type) {
					case *image.YCbCr:
						got = d.Y[d.YOffset(px, py)]
					default:
						got = ref.GrayAt(px, py).Y // converted through NRGBA: checked by size only
					}
					if got != ref.GrayAt(px, py).Y {
						t.Fatalf("ratio %v orientation %d: luma differs at (%d,%d)", ratio, o, px, py)
					}
				}
			}
		}
	}
}

// TestLimits: N passes, N+1 is blocked, before decoding.
func TestLimits(t *testing.T) {
	enc := func(m image.Image) []byte {
		var b bytes.Buffer
		png.Encode(&b, m)
		return b.Bytes()
	}
	s := New(Options{MaxPixels: 100, MaxWidth: 50, MaxHeight: 40, MaxFrames: 4})
	for _, tc := range []struct {
		name    string
		in      []byte
		blocked bool
	}{
		{"pixels_at_limit", enc(gradient(10, 10)), false},
		{"pixels_over", enc(gradient(10, 11)), true},
		{"width_at_limit", enc(gradient(50, 2)), false},
		{"width_over", enc(gradient(51, 1)), true},
		{"height_over", enc(gradient(1, 41)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res, err := run(t, s, tc.in, detect.PNG)
			if err != nil {
				t.Fatal(err)
			}
			blocked := slices.Contains(rules(res.Findings), "image.limit:blocked")
			if blocked != tc.blocked {
				t.Errorf("blocked %v, want %v (%v)", blocked, tc.blocked, res.Findings)
			}
		})
	}
	// Frames, with frames of 1×1 so that only the count matters.
	gifFrames := func(n int) []byte {
		g := &gif.GIF{}
		for range n {
			g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.Black}))
			g.Delay = append(g.Delay, 1)
		}
		var b bytes.Buffer
		if err := gif.EncodeAll(&b, g); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, n := range []int{4, 5} {
		_, res, err := run(t, s, gifFrames(n), detect.GIF)
		if err != nil {
			t.Fatal(err)
		}
		if blocked := slices.Contains(rules(res.Findings), "image.limit:blocked"); blocked != (n > 4) {
			t.Errorf("%d frames: blocked %v (%v)", n, blocked, res.Findings)
		}
	}
	// The default frame limit, at N and N+1.
	def := New(Options{})
	for _, n := range []int{DefaultMaxFrames, DefaultMaxFrames + 1} {
		out, res, err := run(t, def, gifFrames(n), detect.GIF)
		if err != nil {
			t.Fatal(err)
		}
		blocked := slices.Contains(rules(res.Findings), "image.limit:blocked")
		if blocked != (n > DefaultMaxFrames) {
			t.Errorf("%d frames: blocked %v", n, blocked)
		}
		if !blocked {
			g, err := gif.DecodeAll(bytes.NewReader(out))
			if err != nil || len(g.Image) != n {
				t.Errorf("%d frames in, output has %v frames (%v)", n, len(g.Image), err)
			}
		}
	}
}

// TestBombHeaders: headers that claim huge images are blocked fast, without
// allocating the pixels.
func TestBombHeaders(t *testing.T) {
	s := New(Options{})
	// PNG: IHDR 100000×100000, one small IDAT.
	var b bytes.Buffer
	png.Encode(&b, gradient(1, 1))
	p := b.Bytes()
	ihdr := []byte{0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0}
	bomb := append(append([]byte{}, pngSig...), pngChunk("IHDR", ihdr)...)
	bomb = append(bomb, p[8+25:]...)
	// JPEG: SOF0 65000×65000.
	b.Reset()
	jpeg.Encode(&b, gradient(8, 8), nil)
	j := bytes.Clone(b.Bytes())
	i := bytes.Index(j, []byte{0xFF, 0xC0})
	j[i+5], j[i+6], j[i+7], j[i+8] = 0xFD, 0xE8, 0xFD, 0xE8
	// GIF: canvas and frame 65535×65535.
	b.Reset()
	gif.Encode(&b, palettedFrame(2, 2, 0, color.Palette{color.Black, color.White, color.Black}), nil)
	g := bytes.Clone(b.Bytes())
	g[6], g[7], g[8], g[9] = 0xFF, 0xFF, 0xFF, 0xFF
	k := bytes.IndexByte(g[13:], 0x2C) + 13
	g[k+5], g[k+6], g[k+7], g[k+8] = 0xFF, 0xFF, 0xFF, 0xFF
	// BMP: 50000×50000 header, 8 pixels of data.
	b.Reset()
	bmp.Encode(&b, gradient(2, 2))
	m := bytes.Clone(b.Bytes())
	copy(m[18:], []byte{0x50, 0xC3, 0, 0, 0x50, 0xC3, 0, 0})
	// WebP: VP8X canvas 16384×16384 (within VP8X, over our pixel limit).
	w := webpFile("", vp8x(0, 16384, 16384), riffChunk("VP8L", vp8lSolid(16384, 16384, color.NRGBA{A: 0xFF})))
	// TIFF: 30000×30000 claimed.
	tf := tiffFile(gradient(3, 3), 0, 1, "x")
	tf = bytes.Replace(tf, []byte{0, 1, 4, 0, 1, 0, 0, 0, 3, 0, 0, 0}, []byte{0, 1, 4, 0, 1, 0, 0, 0, 0x30, 0x75, 0, 0}, 1)
	tf = bytes.Replace(tf, []byte{1, 1, 4, 0, 1, 0, 0, 0, 3, 0, 0, 0}, []byte{1, 1, 4, 0, 1, 0, 0, 0, 0x30, 0x75, 0, 0}, 1)

	for _, tc := range []struct {
		name string
		in   []byte
		kind detect.Kind
	}{
		{"png", bomb, detect.PNG}, {"jpeg", j, detect.JPEG}, {"gif", g, detect.GIF},
		{"bmp", m, detect.BMP}, {"webp", w, detect.WEBP}, {"tiff", tf, detect.TIFF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, res, err := run(t, s, tc.in, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(rules(res.Findings), "image.limit:blocked") {
				t.Errorf("not blocked by the limit: %v", res.Findings)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	s := New(Options{})
	j := hostileJPEG(t, 16, 16, 0)
	for _, tc := range []struct {
		name string
		in   []byte
		kind detect.Kind
		want error
	}{
		{"jpeg_truncated", j[:len(j)/3], detect.JPEG, sanitize.ErrMalformed},
		{"png_no_iend", hostilePNG(t, gradient(4, 4), 0)[:60], detect.PNG, sanitize.ErrMalformed},
		{"gif_garbage", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x99"), detect.GIF, sanitize.ErrMalformed},
		{"webp_animated", webpFile("", vp8x(0x02, 4, 4), riffChunk("ANIM", make([]byte, 6)), riffChunk("ANMF", make([]byte, 16))), detect.WEBP, sanitize.ErrUnsupported},
		{"tiff_bigtiff", []byte("II+\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"), detect.TIFF, sanitize.ErrMalformed},
		{"bmp_short", hostileBMP(t)[:60], detect.BMP, sanitize.ErrMalformed},
		{"ico", []byte{0, 0, 1, 0, 1, 0}, detect.ICO, sanitize.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, s, tc.in, tc.kind)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSVGBlocked(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
	out, res, err := run(t, New(Options{}), svg, detect.SVG)
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(res.Findings); !slices.Equal(got, []string{"image.svg:blocked"}) {
		t.Errorf("findings %v", got)
	}
	if len(out) != 0 {
		t.Errorf("SVG output written")
	}
}

// TestContext: a cancelled context stops the work with the context's error.
func TestContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := hostileJPEG(t, 64, 64, 0)
	_, err := New(Options{}).Sanitize(ctx, &bytes.Buffer{}, &sanitize.Item{Src: newSection(in), Kind: detect.JPEG})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}

// TestEngine runs the fixtures through a real engine (detection, limits,
// verification) so that the wiring contract holds: WebP comes out as PNG
// and every output verifies.
func TestEngine(t *testing.T) {
	eng := sanitizetest.Engine(t, sanitize.Limits{}, New(Options{}), Kinds()...)
	for _, tc := range []struct {
		name    string
		in      []byte
		outType detect.Kind
		outcome sanitize.Outcome
	}{
		{"photo.jpg", hostileJPEG(t, 33, 17, 6), detect.JPEG, sanitize.OutcomeSanitized},
		{"pic.png", hostilePNG(t, gradient(5, 5), 0), detect.PNG, sanitize.OutcomeSanitized},
		{"anim.gif", hostileGIF(t, 2), detect.GIF, sanitize.OutcomeSanitized},
		{"scan.tif", tiffFile(gradient(5, 5), 0, 2, payloads[0]), detect.TIFF, sanitize.OutcomeSanitized},
		{"photo.webp", hostileWebP(8, 8, 0), detect.PNG, sanitize.OutcomeSanitized},
		{"old.bmp", hostileBMP(t), detect.BMP, sanitize.OutcomeSanitized},
		{"x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>`), "", sanitize.OutcomeBlocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, b := sanitizetest.Run(t, eng, tc.in, tc.name)
			if rep.Outcome != tc.outcome || rep.OutputType != tc.outType {
				t.Fatalf("outcome %s type %s, want %s %s (%v %s)", rep.Outcome, rep.OutputType, tc.outcome, tc.outType, rep.Findings, rep.Error)
			}
			if tc.outType == detect.PNG && tc.name == "photo.webp" {
				if got := sanitize.OutputName(tc.name, rep.OutputType); got != "photo.png" {
					t.Errorf("output name %q", got)
				}
			}
			// A sanitized output sanitized again passes unchanged (lossless
			// formats) or is rebuilt with no finding (JPEG).
			if b == nil {
				return
			}
			rep2, _ := sanitizetest.Run(t, eng, b, sanitize.OutputName(tc.name, rep.OutputType))
			if rep2.Outcome == sanitize.OutcomeBlocked || len(rep2.Findings) > 0 {
				t.Errorf("second run: %s %v", rep2.Outcome, rep2.Findings)
			}
			if tc.outType != detect.JPEG && rep2.Outcome != sanitize.OutcomePassed {
				t.Errorf("second run of a lossless output: %s", rep2.Outcome)
			}
		})
	}
}

func TestExifOrientation(t *testing.T) {
	for o := 1; o <= 8; o++ {
		if got := exifOrientation(exifTIFF(o, "x")); got != o {
			t.Errorf("orientation %d read as %d", o, got)
		}
	}
	full := exifTIFF(6, "desc")
	for n := range len(full) {
		exifOrientation(full[:n]) // must not panic on any truncation
	}
	big := bytes.Clone(full)
	big[4] = 0xFF // IFD offset out of range
	if got := exifOrientation(big); got != 0 {
		t.Errorf("out-of-range IFD gives %d", got)
	}
	mm := []byte("MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x03\x00\x00\x00\x00\x00\x00")
	if got := exifOrientation(mm); got != 3 {
		t.Errorf("big-endian orientation read as %d", got)
	}
	_ = fmt.Sprint
	_ = strings.Contains
}

// TestRulesDocumented: every rule this package emits is in the rule table.
func TestRulesDocumented(t *testing.T) {
	for _, r := range []string{RuleLimit, RuleMetadata, RuleTrailing, RuleFrames, RuleConverted, RuleOrientation, RuleSVG, RulePayload} {
		if sanitize.DescribeRule(r, "en") == r || sanitize.DescribeRule(r, "ja") == r {
			t.Errorf("rule %s is not in sanitize.RuleTable", r)
		}
	}
}

// TestJPEGQuirks: a progressive frame header counts against half the pixel
// limit; extraneous bytes between segments are skipped as Go's decoder and
// libjpeg skip them, and reported.
func TestJPEGQuirks(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, gradient(10, 8), nil); err != nil {
		t.Fatal(err)
	}
	base := b.Bytes()
	s := New(Options{MaxPixels: 100})
	_, res, err := run(t, s, base, detect.JPEG)
	if err != nil || hasBlocked(res.Findings) {
		t.Fatalf("baseline 80 pixels: %v %v", err, res.Findings)
	}
	prog := bytes.Clone(base)
	i := bytes.Index(prog, []byte{0xFF, 0xC0})
	prog[i+1] = 0xC2
	_, res, err = run(t, s, prog, detect.JPEG)
	if err != nil || !slices.Contains(rules(res.Findings), "image.limit:blocked") {
		t.Errorf("progressive 80 pixels over half of 100: %v %v", err, res.Findings)
	}

	junk := append(append(bytes.Clone(base[:2]), "\x00junk"+payloads[0]...), base[2:]...)
	out, res, err := run(t, New(Options{}), junk, detect.JPEG)
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(res.Findings); !slices.Equal(got, []string{"image.metadata:removed"}) {
		t.Errorf("findings %v", got)
	}
	assertClean(t, New(Options{}), out, detect.JPEG)
}

// TestTIFFPages: the page count is limited at N and N+1; a page after the
// first that does not decode is left out and reported, the others kept.
func TestTIFFPages(t *testing.T) {
	five := tiffFile(gradient(4, 3), 0, 5, "x")
	for _, max := range []int{5, 4} {
		_, res, err := run(t, New(Options{MaxFrames: max}), five, detect.TIFF)
		if err != nil {
			t.Fatal(err)
		}
		if blocked := slices.Contains(rules(res.Findings), "image.limit:blocked"); blocked != (max < 5) {
			t.Errorf("5 pages, limit %d: blocked %v", max, blocked)
		}
	}
	three := tiffFile(gradient(4, 3), 0, 3, "x")
	comp := []byte{0x03, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00}
	first := bytes.Index(three, comp)
	second := bytes.Index(three[first+1:], comp) + first + 1
	three[second+8] = 99 // page 2: an unknown compression
	out, res, err := run(t, New(Options{}), three, detect.TIFF)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rules(res.Findings), "image.frames:removed") {
		t.Errorf("findings %v", res.Findings)
	}
	var l layout
	if err := scanTIFF(bytes.NewReader(out), int64(len(out)), &l); err != nil || len(l.pages) != 2 {
		t.Errorf("output pages %d, %v", len(l.pages), err)
	}
}

// TestJPEGScanLimit: a JPEG with more scans than maxJPEGScans is blocked
// before decoding (repeated scans are the progressive decoder's slow path).
func TestJPEGScanLimit(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, gradient(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	base := b.Bytes()
	sos := bytes.Index(base, []byte{0xFF, 0xDA})
	eoi := len(base) - 2
	scan := base[sos:eoi]
	build := func(n int) []byte {
		out := bytes.Clone(base[:sos])
		for range n {
			out = append(out, scan...)
		}
		return append(out, 0xFF, 0xD9)
	}
	for _, n := range []int{maxJPEGScans, maxJPEGScans + 1} {
		_, res, _ := run(t, New(Options{}), build(n), detect.JPEG)
		blocked := slices.Contains(rules(res.Findings), "image.limit:blocked")
		if blocked != (n > maxJPEGScans) {
			t.Errorf("%d scans: blocked %v (%v)", n, blocked, res.Findings)
		}
	}
}

// TestPixelPayload: pixels chosen so that the encoder writes a script (here
// an uncompressed BMP row that spells it) are blocked with image.payload;
// the marker scan works across write boundaries and ignores case.
func TestPixelPayload(t *testing.T) {
	word := []byte("<SCRIPT>alert(1)</SCRIPT>..") // 27 bytes: 9 BGR pixels
	m := image.NewRGBA(image.Rect(0, 0, 9, 1))
	for i := range 9 {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = word[3*i+2], word[3*i+1], word[3*i], 0xFF
	}
	var b bytes.Buffer
	if err := bmp.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	_, res, err := run(t, New(Options{}), b.Bytes(), detect.BMP)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rules(res.Findings), "image.payload:blocked") {
		t.Errorf("findings %v", res.Findings)
	}
	for split := 1; split < 12; split++ {
		var sink bytes.Buffer
		mw := &markerWriter{w: &sink}
		data := []byte("xxxxJavaScript:yyyy")
		mw.Write(data[:split])
		mw.Write(data[split:])
		if mw.hit != "javascript:" || sink.String() != string(data) {
			t.Errorf("split %d: hit %q", split, mw.hit)
		}
	}
}

// TestTIFFSizeNotInline: a page whose width and height are LONG values with
// a count of 2 makes the TIFF decoder read them from an offset (here
// 30000×30000), not from the entry. The scan refuses such entries, and the
// page decoder checks each page's size as the decoder sees it before it
// allocates anything.
func TestTIFFSizeNotInline(t *testing.T) {
	tf := tiffFile(gradient(3, 3), 0, 2, "x")
	at := uint32(len(tf))
	tf = append(tf, 0x30, 0x75, 0, 0, 0x30, 0x75, 0, 0)
	for _, tag := range [][]byte{{0, 1, 4, 0, 1, 0, 0, 0, 3, 0, 0, 0}, {1, 1, 4, 0, 1, 0, 0, 0, 3, 0, 0, 0}} {
		first := bytes.Index(tf, tag)
		second := bytes.Index(tf[first+1:], tag) + first + 1
		if first < 0 || second <= first {
			t.Fatal("fixture: the page 2 size entries were not found")
		}
		binary.LittleEndian.PutUint32(tf[second+4:], 2)
		binary.LittleEndian.PutUint32(tf[second+8:], at)
	}
	start := time.Now()
	out, res, err := run(t, New(Options{}), tf, detect.TIFF)
	if err == nil && !slices.Contains(rules(res.Findings), "image.limit:blocked") || len(out) > 0 {
		t.Fatalf("a page with an out-of-line size was not blocked: %v %v (%d bytes out)", err, res.Findings, len(out))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}

	// The page decoder's own check, behind the scan.
	var l layout
	l.pages = []tiffPage{{off: int64(binary.LittleEndian.Uint32(tf[4:]))}}
	s := New(Options{})
	_, _, err = s.tiffPages(context.Background(), io.Discard, bytes.NewReader(tf), int64(len(tf)), []tiffPage{l.pages[0], pageTwo(t, tf)})
	if !errors.Is(err, sanitize.ErrTooLarge) {
		t.Fatalf("tiffPages on the 30000×30000 page: %v, want a limit error", err)
	}
}

// pageTwo returns the offset of the second IFD of a little-endian TIFF.
func pageTwo(t *testing.T, tf []byte) tiffPage {
	off := binary.LittleEndian.Uint32(tf[4:])
	n := uint32(binary.LittleEndian.Uint16(tf[off:]))
	return tiffPage{off: int64(binary.LittleEndian.Uint32(tf[off+2+12*n:]))}
}
