package image

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Rule IDs this package emits.
const (
	RuleLimit       = "image.limit"       // dimensions, pixels or frames over the limit: blocked before decoding
	RuleMetadata    = "image.metadata"    // EXIF, XMP, IPTC, ICC, comments, text chunks: removed
	RuleTrailing    = "image.trailing"    // bytes after the end marker (polyglots, appended files): removed
	RuleFrames      = "image.frames"      // frames or pages the re-encoder cannot keep (APNG, undecodable TIFF pages): removed
	RuleConverted   = "image.converted"   // re-encoded in another format (WebP → PNG)
	RuleOrientation = "image.orientation" // the orientation tag was applied to the pixels
	RuleSVG         = "image.svg"         // SVG is script-capable markup: blocked
)

// Defaults for Options.
const (
	DefaultMaxSide     = 20000
	DefaultMaxPixels   = 40_000_000
	DefaultMaxFrames   = 1000
	DefaultJPEGQuality = 90
)

// Options configure the image Sanitizer. The zero value of each field means
// its default.
type Options struct {
	// MaxWidth and MaxHeight cap each side of the canvas and of every frame,
	// in pixels. Default DefaultMaxSide.
	MaxWidth, MaxHeight int
	// MaxPixels caps the pixels one image decodes to: all frames of a GIF
	// together, each page of a TIFF (pages are decoded one at a time). Default DefaultMaxPixels (40 million: an A4 page
	// scanned at 600 dpi, or a 24-megapixel photo, fit).
	MaxPixels int64
	// MaxFrames caps the frames of an animated GIF and the pages of a
	// TIFF. Default DefaultMaxFrames.
	MaxFrames int
	// JPEGQuality is the quality (1–100) JPEG images are re-encoded at.
	// Default DefaultJPEGQuality (90): visually lossless for photos, about
	// the size of a camera's own output.
	JPEGQuality int
}

func (o Options) withDefaults() Options {
	if o.MaxWidth <= 0 {
		o.MaxWidth = DefaultMaxSide
	}
	if o.MaxHeight <= 0 {
		o.MaxHeight = DefaultMaxSide
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.MaxFrames <= 0 {
		o.MaxFrames = DefaultMaxFrames
	}
	if o.JPEGQuality <= 0 || o.JPEGQuality > 100 {
		o.JPEGQuality = DefaultJPEGQuality
	}
	return o
}

// Sanitizer decodes JPEG, PNG, GIF, BMP, TIFF and WebP images within
// limits and writes them again from their pixels alone. It blocks SVG. It is
// safe for concurrent use.
type Sanitizer struct {
	opt Options
}

var _ sanitize.Sanitizer = (*Sanitizer)(nil)

// New returns an image Sanitizer.
func New(opt Options) *Sanitizer { return &Sanitizer{opt: opt.withDefaults()} }

// Kinds lists the kinds the Sanitizer handles, for the format table.
func Kinds() []detect.Kind {
	return []detect.Kind{detect.JPEG, detect.PNG, detect.GIF, detect.BMP, detect.TIFF, detect.WEBP, detect.SVG}
}

// Sanitize implements sanitize.Sanitizer for it.Kind (detected from the
// content when empty). The result's Kind is PNG for a WebP input, else the
// input's kind. Structural damage and decoder errors wrap
// sanitize.ErrMalformed, an animated WebP wraps sanitize.ErrUnsupported;
// limits are Blocked findings (RuleLimit) found before any pixel is
// decoded. A decoder panic is recovered here and becomes ErrMalformed.
func (s *Sanitizer) Sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (res sanitize.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res = sanitize.Result{}
			err = fmt.Errorf("image: %w: decoder panic: %v", sanitize.ErrMalformed, p)
		}
	}()
	return s.sanitize(ctx, dst, it)
}

// sanitize is Sanitize without the recover, so that the fuzz target sees
// panics.
func (s *Sanitizer) sanitize(ctx context.Context, dst io.Writer, it *sanitize.Item) (res sanitize.Result, err error) {
	kind := it.Kind
	if kind == "" {
		kind = detect.Detect(it.Src, it.Src.Size(), it.Name)
	}
	if kind == detect.SVG {
		res.Findings = append(res.Findings, sanitize.Finding{
			Rule: RuleSVG, Action: sanitize.Blocked,
			Detail: "SVG can carry script and external references; no renderer is configured to rasterise it",
		})
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	src := it.Src
	size := src.Size()
	var l layout
	switch kind {
	case detect.JPEG:
		err = scanJPEG(io.NewSectionReader(src, 0, size), &l)
	case detect.PNG:
		err = scanPNG(io.NewSectionReader(src, 0, size), &l)
	case detect.GIF:
		err = scanGIF(io.NewSectionReader(src, 0, size), &l, s.opt.MaxFrames)
	case detect.BMP:
		err = scanBMP(src, size, &l)
	case detect.TIFF:
		err = scanTIFF(src, size, &l)
	case detect.WEBP:
		err = scanWebP(io.NewSectionReader(src, 0, size), size, &l)
	default:
		return res, fmt.Errorf("image: %w: kind %q", sanitize.ErrUnsupported, kind)
	}
	if err != nil {
		return res, s.wrap(ctx, err)
	}
	if l.animated {
		return res, fmt.Errorf("image: %w: animated WebP", sanitize.ErrUnsupported)
	}
	if f, ok := s.checkLimits(&l, false); !ok {
		res.Findings = append(res.Findings, f)
		return res, nil
	}
	if l.truncated {
		return res, fmt.Errorf("image: %w: pixel data missing", sanitize.ErrMalformed)
	}
	// The decoder's own view of the header, before it allocates anything.
	body := io.NewSectionReader(src, 0, l.end)
	cfg, err := decodeConfig(kind, io.NewSectionReader(src, 0, l.end))
	if err != nil {
		return res, s.wrap(ctx, err)
	}
	l.width, l.height = max(l.width, cfg.Width), max(l.height, cfg.Height)
	l.pixels = max(l.pixels, int64(cfg.Width)*int64(cfg.Height))
	if f, ok := s.checkLimits(&l, true); !ok {
		res.Findings = append(res.Findings, f)
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	if len(l.metadata) > 0 {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleMetadata, Where: strings.Join(l.metadata, ", "), Action: sanitize.Removed})
	}
	if l.end < size {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleTrailing, Where: fmt.Sprintf("offset %d", l.end), Action: sanitize.Removed,
			Detail: fmt.Sprintf("%d bytes after the end of the image", size-l.end)})
	}
	if l.extraFrames != "" {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleFrames, Action: sanitize.Removed, Detail: l.extraFrames})
	}

	mw := &markerWriter{w: dst}
	bw := bufio.NewWriterSize(mw, 64<<10)
	switch kind {
	case detect.GIF:
		err = s.gif(ctx, bw, body)
	case detect.TIFF:
		var oriented bool
		var dropped []int
		oriented, dropped, err = s.tiffPages(ctx, bw, src, size, l.pages)
		if oriented {
			res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleOrientation, Action: sanitize.Converted, Detail: "orientation applied to the pixels"})
		}
		if len(dropped) > 0 {
			res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleFrames, Action: sanitize.Removed,
				Where: fmt.Sprintf("pages %v", dropped), Detail: "TIFF pages that could not be decoded"})
		}
	default:
		var m image.Image
		m, err = decode(kind, bufio.NewReaderSize(body, 64<<10))
		if err != nil {
			return res, s.wrap(ctx, err)
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if l.orientation >= 2 && l.orientation <= 8 {
			m = orient(m, l.orientation)
			res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleOrientation, Action: sanitize.Converted,
				Detail: fmt.Sprintf("orientation %d applied to the pixels", l.orientation)})
		}
		switch kind {
		case detect.JPEG:
			err = jpeg.Encode(bw, m, &jpeg.Options{Quality: s.opt.JPEGQuality})
		case detect.PNG:
			err = encodePNG(bw, m)
		case detect.BMP:
			err = bmp.Encode(bw, compactIfPaletted(m))
		case detect.WEBP:
			res.Kind = detect.PNG
			res.Findings = append(res.Findings, sanitize.Finding{Rule: RuleConverted, Action: sanitize.Converted, Detail: "WebP re-encoded as PNG (no WebP encoder)"})
			err = encodePNG(bw, m)
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return res, s.wrap(ctx, err)
	}
	if mw.hit != "" {
		res.Findings = append(res.Findings, sanitize.Finding{Rule: RulePayload, Action: sanitize.Blocked,
			Detail: fmt.Sprintf("the re-encoded image still contains %q", mw.hit)})
	}
	return res, nil
}

// checkLimits compares the layout with the options.
// Before the decoder's header is read (final false), dimensions the scan did
// not find are not yet an error.
func (s *Sanitizer) checkLimits(l *layout, final bool) (sanitize.Finding, bool) {
	block := func(detail string) (sanitize.Finding, bool) {
		return sanitize.Finding{Rule: RuleLimit, Action: sanitize.Blocked, Detail: detail}, false
	}
	switch {
	case final && (l.width <= 0 || l.height <= 0):
		return block(fmt.Sprintf("empty canvas %dx%d", l.width, l.height))
	case l.width > s.opt.MaxWidth || l.height > s.opt.MaxHeight:
		return block(fmt.Sprintf("%dx%d exceeds %dx%d", l.width, l.height, s.opt.MaxWidth, s.opt.MaxHeight))
	case l.scans > maxJPEGScans:
		return block(fmt.Sprintf("more than %d JPEG scans", maxJPEGScans))
	case l.frames > s.opt.MaxFrames:
		return block(fmt.Sprintf("more than %d frames", s.opt.MaxFrames))
	case l.pixels > s.opt.MaxPixels:
		return block(fmt.Sprintf("%d pixels exceed %d", l.pixels, s.opt.MaxPixels))
	case l.progressive && l.pixels > s.opt.MaxPixels/2:
		return block(fmt.Sprintf("progressive JPEG of %d pixels exceeds half the pixel limit (%d): its decoder keeps every coefficient", l.pixels, s.opt.MaxPixels/2))
	}
	return sanitize.Finding{}, true
}

// wrap turns an error into the engine's vocabulary: the context's error
// when it ended, sanitize errors as they are, anything else malformed.
func (s *Sanitizer) wrap(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("image: %w", cerr)
	}
	for _, e := range []error{sanitize.ErrTooLarge, sanitize.ErrMalformed, sanitize.ErrUnsupported, sanitize.ErrTimeout} {
		if errors.Is(err, e) {
			return err
		}
	}
	return fmt.Errorf("image: %w: %v", sanitize.ErrMalformed, err)
}

func decodeConfig(kind detect.Kind, r io.Reader) (image.Config, error) {
	br := bufio.NewReader(r)
	switch kind {
	case detect.JPEG:
		return jpeg.DecodeConfig(br)
	case detect.PNG:
		return png.DecodeConfig(br)
	case detect.GIF:
		return gif.DecodeConfig(br)
	case detect.BMP:
		return bmp.DecodeConfig(br)
	case detect.TIFF:
		return tiff.DecodeConfig(r) // reads through ReaderAt when it can
	case detect.WEBP:
		return webp.DecodeConfig(br)
	}
	return image.Config{}, errors.New("no decoder")
}

func decode(kind detect.Kind, br *bufio.Reader) (image.Image, error) {
	switch kind {
	case detect.JPEG:
		return jpeg.Decode(br)
	case detect.PNG:
		return png.Decode(br)
	case detect.BMP:
		return bmp.Decode(br)
	case detect.WEBP:
		return webp.Decode(br)
	}
	return nil, errors.New("no decoder")
}

// gif normalizes the LZW data (see normalizeGIF), decodes every frame and
// writes them again with compacted local
// palettes and no extensions but the frame timing and the loop count.
func (s *Sanitizer) gif(ctx context.Context, w io.Writer, r io.Reader) error {
	norm, err := normalizeGIF(r)
	if err != nil {
		return err
	}
	g, err := gif.DecodeAll(bytes.NewReader(norm))
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, f := range g.Image {
		g.Image[i] = compactPalette(f)
	}
	g.Config.ColorModel = nil // local palettes only
	g.BackgroundIndex = 0
	return gif.EncodeAll(w, g)
}

// encodePNG writes m as PNG. Types the PNG encoder has no fast path for
// (YCbCr from WebP, CMYK) are converted to RGBA first: the encoder would
// otherwise convert pixel by pixel through interfaces.
func encodePNG(w io.Writer, m image.Image) error {
	switch m.(type) {
	case *image.Paletted, *image.Gray, *image.Gray16, *image.RGBA, *image.NRGBA, *image.RGBA64, *image.NRGBA64:
	case *image.YCbCr, *image.CMYK:
		b := m.Bounds()
		d := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(d, d.Rect, m, b.Min, draw.Src)
		m = d
	default:
		m = toNRGBA(m)
	}
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	return enc.Encode(w, compactIfPaletted(m))
}

func compactIfPaletted(m image.Image) image.Image {
	if p, ok := m.(*image.Paletted); ok {
		return compactPalette(p)
	}
	return m
}

// compactPalette returns a copy of p whose palette holds only the colours
// its pixels use, in an order keyed by the content: unused entries of the
// original palette (a place to hide bytes that survives a naive re-encode)
// are gone, and neither the palette order nor the pixel indices follow the
// input's, so a payload spelled by used colours or by the compressed indices
// is scrambled too. An index past
// the palette, which some decoders tolerate, becomes opaque black.
func compactPalette(p *image.Paletted) *image.Paletted {
	b := p.Bounds()
	var used [256]bool
	for y := 0; y < b.Dy(); y++ {
		for _, c := range p.Pix[p.PixOffset(b.Min.X, b.Min.Y+y):][:b.Dx()] {
			used[c] = true
		}
	}
	type entry struct {
		key uint64
		old int
		col color.Color
	}
	var es []entry
	for i, u := range used {
		if !u {
			continue
		}
		var col color.Color = color.RGBA{A: 0xFF}
		if i < len(p.Palette) {
			col = p.Palette[i]
		}
		r, g, bl, a := col.RGBA()
		es = append(es, entry{uint64(r)<<48 | uint64(g)<<32 | uint64(bl)<<16 | uint64(a), i, col})
	}
	slices.SortStableFunc(es, func(x, y entry) int { return cmp.Compare(x.key, y.key) })
	// Then shuffle them with a permutation keyed by a digest of the
	// frame's pixels and palette: indices, and so the compressed pixel
	// stream, can no longer be chosen to spell bytes (the "payload in the
	// LZW data that survives re-encoding" trick), yet the same input gives
	// the same output.
	// The digest is taken over the pixels as ranks in the sorted palette,
	// which do not depend on the input's palette order: an output
	// sanitized again gets the same permutation and stays byte-identical.
	var rank [256]uint8
	for i, e := range es {
		rank[e.old] = uint8(i)
	}
	h := sha256.New()
	row := make([]byte, b.Dx())
	for y := 0; y < b.Dy(); y++ {
		for x, c := range p.Pix[p.PixOffset(b.Min.X, b.Min.Y+y):][:b.Dx()] {
			row[x] = rank[c]
		}
		h.Write(row)
	}
	for _, e := range es {
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], e.key)
		h.Write(k[:])
	}
	var seed [32]byte
	h.Sum(seed[:0])
	rng := rand.New(rand.NewChaCha8(seed))
	rng.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
	var remap [256]uint8
	pal := make(color.Palette, 0, max(len(es), 1))
	for i, e := range es {
		remap[e.old] = uint8(i)
		pal = append(pal, e.col)
	}
	if len(pal) == 0 {
		pal = append(pal, color.RGBA{A: 0xFF})
	}
	d := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), pal)
	for y := 0; y < b.Dy(); y++ {
		srow := p.Pix[p.PixOffset(b.Min.X, b.Min.Y+y):][:b.Dx()]
		drow := d.Pix[y*d.Stride:][:b.Dx()]
		for x, c := range srow {
			drow[x] = remap[c]
		}
	}
	if b.Min != (image.Point{}) {
		d.Rect = d.Rect.Add(b.Min) // keep a GIF frame's position
	}
	return d
}
