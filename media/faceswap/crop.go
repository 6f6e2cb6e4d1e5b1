package faceswap

import (
	"image"
	"image/color"
	"math"

	"github.com/integritybot/integritybot/media"
)

// The face crop the detector reads, shared by training (cmd/facecrops writes these crops for
// scripts/train-faceswap.py) and inference, so both see the same pixels.
const (
	// CropSide is the side of the RGB crop in pixels.
	CropSide = 128
	// CropMargin is the crop's side over the face box's: the box of the face check
	// (media/face) covers brows to chin, the margin adds the hairline, ears, jaw and some
	// background, where a pasted face's blending boundary lies.
	CropMargin = 1.5
	// maxSub bounds the samples per axis averaged into one crop pixel when downscaling.
	maxSub = 4
)

// Crop writes into dst (at least 3·CropSide² bytes, RGB interleaved, row-major) the square of
// CropMargin times box's side centred on box, downscaled by averaging up to maxSub×maxSub
// luma samples per pixel (chroma sampled at their chroma positions) or upscaled by nearest
// sampling, converted with the JFIF equations (as media/snapshot and media/still). Pixels
// outside the frame repeat its edge. f must be a valid I420 frame.
func Crop(dst []byte, f *media.Frame, box image.Rectangle) {
	side := float64(box.Dx()) * CropMargin
	cx, cy := float64(box.Min.X+box.Max.X)/2, float64(box.Min.Y+box.Max.Y)/2
	x0, y0 := cx-side/2, cy-side/2
	step := side / CropSide
	k := max(1, min(maxSub, int(math.Ceil(step))))
	cw := (f.Width + 1) / 2
	var xs [CropSide * maxSub]int
	for ox := range CropSide {
		for i := range k {
			xs[ox*k+i] = clamp(int(x0+(float64(ox)+(float64(i)+0.5)/float64(k))*step), f.Width)
		}
	}
	n := k * k
	for oy := range CropSide {
		var ys [maxSub]int
		for j := range k {
			ys[j] = clamp(int(y0+(float64(oy)+(float64(j)+0.5)/float64(k))*step), f.Height)
		}
		for ox := range CropSide {
			var sy, su, sv int
			for j := range k {
				row := f.Y[ys[j]*f.YStride:]
				crow := ys[j] / 2 * f.UVStride
				for i := range k {
					x := xs[ox*k+i]
					sy += int(row[x])
					c := crow + min(x/2, cw-1)
					su += int(f.U[c])
					sv += int(f.V[c])
				}
			}
			r, g, b := color.YCbCrToRGB(uint8((sy+n/2)/n), uint8((su+n/2)/n), uint8((sv+n/2)/n))
			o := 3 * (oy*CropSide + ox)
			dst[o], dst[o+1], dst[o+2] = r, g, b
		}
	}
}

func clamp(v, n int) int { return max(0, min(v, n-1)) }
