// Package snapshot turns a decoded frame into the small JPEG still that evidence carries:
// the picture at most a few hundred pixels wide, face boxes outlined, as a data URL
// ("data:image/jpeg;base64,...") that report JSON v1 holds in evidence.snapshot.
//
// Analyzers call it from Observe, at the moment a finding opens or its score peaks, because
// a frame is valid only during that call; nothing is computed unless a snapshot is taken.
// A snapshot lives inside the report, so it is kept and deleted with it (retention.days).
package snapshot

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/integritybot/integritybot/media"
)

// Defaults: a 240-px-wide still at JPEG quality 70 is 6-12 KB for a webcam picture; one
// that exceeds MaxBytes is encoded again at lower quality.
const (
	DefaultWidth = 240
	Quality      = 70
	MaxBytes     = 15 << 10
)

// Prefix starts every snapshot string.
const Prefix = "data:image/jpeg;base64,"

// ErrFrame is returned (wrapped) for a frame whose planes do not match its size.
var ErrFrame = errors.New("snapshot: invalid frame")

// boxColor is the outline colour: a green that stands out on skin and most backdrops.
var boxColor = color.RGBA{R: 0, G: 230, B: 64, A: 255}

// Encode returns f downscaled to at most maxWidth pixels wide (DefaultWidth when 0 or less;
// never enlarged) with a 2-px outline around box (frame pixels; none when box is empty), as
// a JPEG data URL of at most MaxBytes of JPEG.
func Encode(f *media.Frame, box image.Rectangle, maxWidth int) (string, error) {
	return EncodeBoxes(f, []image.Rectangle{box}, maxWidth)
}

// EncodeBoxes is Encode with several boxes outlined (several faces in view).
func EncodeBoxes(f *media.Frame, boxes []image.Rectangle, maxWidth int) (string, error) {
	if !valid(f) {
		return "", ErrFrame
	}
	if maxWidth <= 0 {
		maxWidth = DefaultWidth
	}
	img := scale(f, min(maxWidth, f.Width))
	sx := float64(img.Rect.Dx()) / float64(f.Width)
	sy := float64(img.Rect.Dy()) / float64(f.Height)
	for _, b := range boxes {
		if b.Empty() {
			continue
		}
		outline(img, image.Rect(int(float64(b.Min.X)*sx), int(float64(b.Min.Y)*sy),
			int(float64(b.Max.X)*sx+0.5), int(float64(b.Max.Y)*sy+0.5)))
	}
	var buf bytes.Buffer
	for _, q := range []int{Quality, 50, 30} {
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			return "", fmt.Errorf("snapshot: encode: %w", err)
		}
		if buf.Len() <= MaxBytes {
			break
		}
	}
	return Prefix + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// Decode returns the JPEG bytes of a snapshot string (tests and readers).
func Decode(s string) ([]byte, error) {
	if len(s) < len(Prefix) || s[:len(Prefix)] != Prefix {
		return nil, fmt.Errorf("snapshot: not a JPEG data URL")
	}
	return base64.StdEncoding.DecodeString(s[len(Prefix):])
}

func valid(f *media.Frame) bool {
	if f == nil || f.Width <= 0 || f.Height <= 0 || f.YStride < f.Width {
		return false
	}
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	return len(f.Y) >= (f.Height-1)*f.YStride+f.Width && f.UVStride >= cw &&
		len(f.U) >= (ch-1)*f.UVStride+cw && len(f.V) >= (ch-1)*f.UVStride+cw
}

// scale converts f to RGB at width w: luma is the mean of each cell of source pixels
// (sampled at most 4×4 per cell), chroma the sample at the cell's centre.
func scale(f *media.Frame, w int) *image.RGBA {
	h := max(1, (f.Height*w+f.Width/2)/f.Width)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for oy := range h {
		y0, y1 := oy*f.Height/h, max((oy+1)*f.Height/h, oy*f.Height/h+1)
		sy := max(1, (y1-y0)/4)
		for ox := range w {
			x0, x1 := ox*f.Width/w, max((ox+1)*f.Width/w, ox*f.Width/w+1)
			sx := max(1, (x1-x0)/4)
			sum, n := 0, 0
			for y := y0; y < y1; y += sy {
				row := f.Y[y*f.YStride:]
				for x := x0; x < x1; x += sx {
					sum += int(row[x])
					n++
				}
			}
			cx, cy := (x0+x1)/4, (y0+y1)/4
			r, g, b := color.YCbCrToRGB(uint8(sum/n), f.U[cy*f.UVStride+cx], f.V[cy*f.UVStride+cx])
			i := oy*img.Stride + ox*4
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = r, g, b, 255
		}
	}
	return img
}

// outline draws a 2-px frame just inside r, clipped to the picture.
func outline(img *image.RGBA, r image.Rectangle) {
	r = r.Intersect(img.Rect)
	if r.Dx() < 1 || r.Dy() < 1 {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if x-r.Min.X < 2 || r.Max.X-1-x < 2 || y-r.Min.Y < 2 || r.Max.Y-1-y < 2 {
				img.SetRGBA(x, y, boxColor)
			}
		}
	}
}
