package pulse

import (
	"image"

	"github.com/integritybot/integritybot/media"
)

// Regions of the face box (pigo's square box: the eyes sit at 41.5 % of its height, 31.5 %
// and 68.5 % of its width; see media/face), as fractions of its side. The forehead is the band
// above the eyebrows; the cheeks are two patches under the eyes, either side of the nose.
var (
	foreheadROI = [4]float64{0.30, 0.12, 0.70, 0.28}                                // x0, y0, x1, y1
	cheekROIs   = [2][4]float64{{0.18, 0.53, 0.38, 0.70}, {0.62, 0.53, 0.82, 0.70}} // left, right
)

// maxVisits bounds the chroma pixels read per region (a 2-D stride keeps the mean exact
// enough: the mean of 256 pixels of skin moves by less than the compression noise).
const maxVisits = 256

// minSkin is the smallest share of a region's pixels that must be skin-coloured.
const minSkin = 0.3

// Measure returns the mean colour of the forehead and the cheeks of the face box in f, over
// the skin-coloured pixels only (hair, eyebrows, glasses and background left out), and
// whether both regions held enough skin. It allocates nothing.
func Measure(f *media.Frame, box image.Rectangle) (Sample, bool) {
	s := Sample{At: f.PTS}
	if box.Dx() < 24 || box.Dy() < 24 || len(f.U) == 0 || len(f.V) == 0 {
		return s, false
	}
	var fore, cheek acc
	fore.add(f, sub(box, foreheadROI))
	for _, r := range cheekROIs {
		cheek.add(f, sub(box, r))
	}
	var ok bool
	if s.RGB[Forehead], ok = fore.rgb(); !ok {
		return s, false
	}
	if s.RGB[Cheeks], ok = cheek.rgb(); !ok {
		return s, false
	}
	return s, true
}

func sub(box image.Rectangle, r [4]float64) image.Rectangle {
	w, h := float64(box.Dx()), float64(box.Dy())
	return image.Rect(box.Min.X+int(r[0]*w), box.Min.Y+int(r[1]*h), box.Min.X+int(r[2]*w), box.Min.Y+int(r[3]*h))
}

// acc sums the YUV of skin pixels over one or more rectangles.
type acc struct {
	y, u, v      int
	skin, visits int
}

// add reads the chroma pixels of r (in luma coordinates, clipped to f) with a stride that
// keeps the visits under maxVisits, and the luma pixel at the top left of each.
func (a *acc) add(f *media.Frame, r image.Rectangle) {
	r = r.Intersect(image.Rect(0, 0, f.Width, f.Height))
	cx0, cy0, cx1, cy1 := r.Min.X/2, r.Min.Y/2, r.Max.X/2, r.Max.Y/2
	n := (cx1 - cx0) * (cy1 - cy0)
	if n <= 0 {
		return
	}
	step := 1
	for n/(step*step) > maxVisits {
		step++
	}
	for cy := cy0; cy < cy1; cy += step {
		urow, vrow := f.U[cy*f.UVStride:], f.V[cy*f.UVStride:]
		yrow := f.Y[2*cy*f.YStride:]
		for cx := cx0; cx < cx1; cx += step {
			a.visits++
			u, v := int(urow[cx]), int(vrow[cx])
			// Skin in Cb/Cr (Chai and Ngan 1999: Cb 77–127, Cr 133–173).
			if u < 77 || u > 127 || v < 133 || v > 173 {
				continue
			}
			a.skin++
			a.y += int(yrow[2*cx])
			a.u += u
			a.v += v
		}
	}
}

// rgb converts the mean YUV (BT.601, limited range) to RGB; the conversion is linear, so
// the RGB of the mean is the mean of the RGB.
func (a *acc) rgb() ([3]float64, bool) {
	if a.visits == 0 || a.skin < 8 || float64(a.skin) < minSkin*float64(a.visits) {
		return [3]float64{}, false
	}
	n := float64(a.skin)
	y, u, v := 1.164*(float64(a.y)/n-16), float64(a.u)/n-128, float64(a.v)/n-128
	return [3]float64{y + 1.596*v, y - 0.392*u - 0.813*v, y + 2.017*u}, true
}
