package image

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// FuzzImage: for any bytes under any image kind, Sanitize does not panic
// (its own recover is off here: a panic fails the target), returns within
// the deadline, fails only with the sanitize errors, and a successful output
// detects as the output kind, carries no metadata or trailing bytes, and
// re-scans with no finding above Recorded.
func FuzzImage(f *testing.F) {
	kinds := []detect.Kind{detect.JPEG, detect.PNG, detect.GIF, detect.BMP, detect.TIFF, detect.WEBP}
	f.Add(hostileJPEG(f, 9, 7, 6), uint8(0))
	f.Add(hostilePNG(f, gradient(5, 4), 8), uint8(1))
	f.Add(hostilePNG(f, palettedFrame(5, 4, 0, payloadPalette()), 0), uint8(1))
	f.Add(hostileGIF(f, 2), uint8(2))
	f.Add(hostileBMP(f), uint8(3))
	f.Add(tiffFile(gradient(3, 2), 6, 2, "x"), uint8(4))
	f.Add(hostileWebP(5, 3, 5), uint8(5))
	s := New(Options{MaxPixels: 1 << 16, MaxFrames: 16})
	f.Fuzz(func(t *testing.T, in []byte, sel uint8) {
		kind := kinds[int(sel)%len(kinds)]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var out bytes.Buffer
		start := time.Now()
		res, err := s.sanitize(ctx, &out, &sanitize.Item{Src: newSection(in), Kind: kind})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
		if err != nil {
			if !errors.Is(err, sanitize.ErrMalformed) && !errors.Is(err, sanitize.ErrUnsupported) && !errors.Is(err, sanitize.ErrTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if hasBlocked(res.Findings) {
			return
		}
		want := kind
		if res.Kind != "" {
			want = res.Kind
		}
		b := out.Bytes()
		if got := detect.Detect(bytes.NewReader(b), int64(len(b)), ""); got != want {
			t.Fatalf("output detects as %s, want %s", got, want)
		}
		res2, err := s.sanitize(ctx, &bytes.Buffer{}, &sanitize.Item{Src: newSection(b), Kind: want})
		if err != nil || hasRisk(res2.Findings) {
			t.Fatalf("re-scan: %v %v", err, res2.Findings)
		}
	})
}
