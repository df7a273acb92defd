package image

import (
	"image"
	"image/draw"
)

// orient returns m turned so that it displays upright without the
// orientation tag o (Exif 2.32 Orientation, TIFF 6.0 p. 36): 1 is as
// stored, 2 mirrored, 3 turned 180°, 4 flipped, 5 transposed, 6 turned 90°
// clockwise, 7 transversed, 8 turned 90° anticlockwise. Values outside 2–8
// return m. YCbCr images keep their planes (4:2:2 becomes 4:4:0 when turned
// a quarter); the common pixel types keep their type; anything else is
// converted to NRGBA first.
func orient(m image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return m
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	transpose := o >= 5
	nw, nh := w, h
	if transpose {
		nw, nh = h, w
	}
	nr := image.Rect(0, 0, nw, nh)
	switch s := m.(type) {
	case *image.YCbCr:
		if s.Rect.Min != (image.Point{}) {
			break
		}
		ratio := s.SubsampleRatio
		if transpose {
			switch ratio {
			case image.YCbCrSubsampleRatio422:
				ratio = image.YCbCrSubsampleRatio440
			case image.YCbCrSubsampleRatio440:
				ratio = image.YCbCrSubsampleRatio422
			case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420:
			default:
				return orient(toNRGBA(m), o) // 4:1:1 and 4:1:0 have no transposed twin
			}
		}
		d := image.NewYCbCr(nr, ratio)
		cw, ch := chromaSize(w, h, s.SubsampleRatio)
		turnPlane(d.Y, d.YStride, s.Y, s.YStride, w, h, 1, o)
		turnPlane(d.Cb, d.CStride, s.Cb, s.CStride, cw, ch, 1, o)
		turnPlane(d.Cr, d.CStride, s.Cr, s.CStride, cw, ch, 1, o)
		return d
	case *image.Gray:
		d := image.NewGray(nr)
		turnPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride, w, h, 1, o)
		return d
	case *image.Gray16:
		d := image.NewGray16(nr)
		turnPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride, w, h, 2, o)
		return d
	case *image.RGBA:
		d := image.NewRGBA(nr)
		turnPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride, w, h, 4, o)
		return d
	case *image.NRGBA:
		d := image.NewNRGBA(nr)
		turnPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride, w, h, 4, o)
		return d
	case *image.RGBA64:
		d := image.NewRGBA64(nr)
		turnPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride, w, h, 8, o)
		return d
	case *image.NRGBA64:
		d := image.NewNRGBA64(nr)
		turnPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride, w, h, 8, o)
		return d
	case *image.CMYK:
		d := image.NewCMYK(nr)
		turnPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride, w, h, 4, o)
		return d
	case *image.Paletted:
		d := image.NewPaletted(nr, s.Palette)
		turnPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride, w, h, 1, o)
		return d
	}
	return orient(toNRGBA(m), o)
}

// chromaSize is the size of the Cb and Cr planes of a w×h YCbCr image.
func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// turnPlane writes the w×h plane src (bpp bytes per pixel, stride sstride)
// into dst turned by orientation o: destination pixel (x, y) takes source
// pixel (sx, sy), an affine function of (x, y) per orientation, so the
// source offset moves by a fixed step along a row and down the rows.
func turnPlane(dst []byte, dstride int, src []byte, sstride, w, h, bpp, o int) {
	nw, nh := w, h
	if o >= 5 {
		nw, nh = h, w
	}
	// sx = ax*x + bx*y + cx, sy = ay*x + by*y + cy.
	var ax, bx, cx, ay, by, cy int
	switch o {
	case 2:
		ax, cx, by = -1, w-1, 1
	case 3:
		ax, cx, by, cy = -1, w-1, -1, h-1
	case 4:
		ax, by, cy = 1, -1, h-1
	case 5:
		bx, ay = 1, 1
	case 6:
		bx, ay, cy = 1, -1, h-1
	case 7:
		bx, cx, ay, cy = -1, w-1, -1, h-1
	case 8:
		bx, cx, ay = -1, w-1, 1
	default:
		ax, by = 1, 1
	}
	stepX := ay*sstride + ax*bpp
	stepY := by*sstride + bx*bpp
	base := cy*sstride + cx*bpp
	for y := range nh {
		row := dst[y*dstride : y*dstride+nw*bpp]
		si := base + y*stepY
		if bpp == 1 {
			for x := range row {
				row[x] = src[si]
				si += stepX
			}
			continue
		}
		for x := 0; x < len(row); x += bpp {
			copy(row[x:x+bpp], src[si:si+bpp])
			si += stepX
		}
	}
}

// toNRGBA converts any image to NRGBA with its origin at (0, 0).
func toNRGBA(m image.Image) *image.NRGBA {
	b := m.Bounds()
	d := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(d, d.Rect, m, b.Min, draw.Src)
	return d
}
