package image

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// photo is a w×h picture with gradients and noise, so that JPEG has
// realistic work to do.
func photo(w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			m.Y[y*m.YStride+x] = uint8((x*255/w+y*255/h)/2) + uint8(r.IntN(24))
		}
	}
	for i := range m.Cb {
		m.Cb[i] = uint8(100 + r.IntN(40))
		m.Cr[i] = uint8(120 + r.IntN(40))
	}
	return m
}

// peakHeap samples the live heap every few milliseconds while the
// benchmark runs and reports the highest value seen.
type peakHeap struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startPeak() *peakHeap {
	runtime.GC()
	p := &peakHeap{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			p.peak = max(p.peak, s[0].Value.Uint64())
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) report(b *testing.B) {
	close(p.stop)
	p.wg.Wait()
	b.ReportMetric(float64(p.peak)/(1<<20), "peak-heap-MiB")
}

func benchImage(b *testing.B, in []byte, kind detect.Kind) {
	s := New(Options{})
	it := &sanitize.Item{Src: newSection(in), Kind: kind}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	p := startPeak()
	for b.Loop() {
		if _, err := s.Sanitize(b.Context(), io.Discard, it); err != nil {
			b.Fatal(err)
		}
	}
	p.report(b)
}

// BenchmarkSanitize measures re-encoding: a 12-megapixel photo (4000×3000,
// generated here) as JPEG, upright and with EXIF orientation 6 (turned), a
// 4-megapixel PNG, and a 100-frame GIF.
func BenchmarkSanitize(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photo(4000, 3000), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	j := buf.Bytes()
	b.Run("jpeg_12MP", func(b *testing.B) { benchImage(b, j, detect.JPEG) })
	rotated := append(append([]byte{0xFF, 0xD8}, jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(6, "camera")...))...), j[2:]...)
	b.Run("jpeg_12MP_orientation6", func(b *testing.B) { benchImage(b, rotated, detect.JPEG) })

	var pb bytes.Buffer
	if err := png.Encode(&pb, gradient(2000, 2000)); err != nil {
		b.Fatal(err)
	}
	b.Run("png_4MP", func(b *testing.B) { benchImage(b, pb.Bytes(), detect.PNG) })

	g := &gif.GIF{}
	pal := color.Palette{color.Black, color.White, color.RGBA{0xFF, 0, 0, 0xFF}}
	for i := range 100 {
		g.Image = append(g.Image, palettedFrame(320, 240, i, pal))
		g.Delay = append(g.Delay, 5)
	}
	var gb bytes.Buffer
	if err := gif.EncodeAll(&gb, g); err != nil {
		b.Fatal(err)
	}
	b.Run("gif_100_frames", func(b *testing.B) { benchImage(b, gb.Bytes(), detect.GIF) })
}
