package faceswap

import (
	"image"
	"math"

	"github.com/integritybot/integritybot/media"
)

// patchSize is the side of the square patch, in patch pixels, that the region around a
// face is resampled to. The patch spans patchSpan face-box sides, so a face box is about
// patchSize/patchSpan = 58 patch pixels wide: the face of a 640×480 webcam call (80-200 px)
// is averaged over at most 4×4 frame pixels and the cost stays fixed. A face rendered at 128
// px and upscaled is finer than the patch, so its softness shows only in part (see fine for
// the frame-resolution measure, and docs/checks/face_swap-passive-cues.md for what was measured).
const (
	patchSize = 128
	patchSpan = 2.2
)

// Region masks in box units (u, v): the face box spans [-0.5, 0.5] around its centre. The
// face contour is modelled as an ellipse 0.84 box wide and 1.1 box high, a little below the
// box centre (pigo's box centre sits near the nose bridge).
const (
	ellA, ellB, ellDY = 0.42, 0.55, 0.05
	innerMax          = 0.62 // elliptic radius of the inner face (eyes, nose, mouth, cheeks)
	bandMin, bandMax  = 0.85, 1.15
	ringMin, ringMax  = 1.35, 1.85
)

// cues are the per-sample measurements of one face (see cueNames).
type cues struct {
	sharp   float64 // log Laplacian energy, inner face vs outer ring
	edge    float64 // log gradient energy, contour band vs outer ring
	innerG  float64 // log gradient energy, inner face vs contour band
	chroma  float64 // chroma distance of the inner face from the neck, U/V units
	lum     float64 // log luma ratio inner face / neck
	flicker float64 // log frame-to-frame change, inner face vs outer ring (needs the next frame)
	hf      float64 // log Laplacian/gradient energy ratio, inner face minus outer ring (spectral slope)
	hfBand  float64 // the same, inner face minus contour band (hair, ears, jaw: the face's own depth)
	noise   float64 // log median |Laplacian|, inner face vs outer ring
	sat     float64 // chroma saturation of the inner face minus the contour band's
	hfFlick float64 // log frame-to-frame change of the Laplacian, inner vs ring, over the same for luma
	fine    float64 // native-resolution detail slope, inner face minus contour band (see fine)
	faceU   float64 // mean chroma of the inner face (for temporal flicker of colour)
	faceV   float64
	ringU   float64
	ringV   float64
}

// region is a class of patch pixel.
type region uint8

const (
	regNone region = iota
	regInner
	regBand
	regRing
	regNeck
)

// patcher resamples the region around a face into fixed-size patches; it owns every buffer
// so that, after the first sample, measuring allocates nothing.
type patcher struct {
	mask  [patchSize * patchSize]region
	y     [patchSize * patchSize]float32 // luma
	prev  [patchSize * patchSize]float32 // luma of the sampled frame, kept for the next one
	u, v  [patchSize * patchSize]float32 // chroma
	valid [patchSize * patchSize]bool    // inside the frame
	box   image.Rectangle
	step  float64 // frame pixels per patch pixel
	ox    float64 // frame position of patch pixel (0, 0)
	oy    float64
}

// buildMask fills the region mask once (it depends only on the constants).
func (p *patcher) buildMask() {
	for j := range patchSize {
		for i := range patchSize {
			u := (float64(i)+0.5)/patchSize*patchSpan - patchSpan/2
			v := (float64(j)+0.5)/patchSize*patchSpan - patchSpan/2
			r := math.Hypot(u/ellA, (v-ellDY)/ellB)
			m := regNone
			switch {
			case r < innerMax:
				m = regInner
			case r >= bandMin && r < bandMax:
				m = regBand
			case r >= ringMin && r < ringMax && v < 0.45:
				m = regRing
			}
			// Neck and chin-side skin: a strip below the chin, inside the jaw's width.
			if math.Abs(u) < 0.22 && v > 0.72 && v < 1.0 {
				m = regNeck
			}
			p.mask[j*patchSize+i] = m
		}
	}
}

// load resamples the patch around box from f (area average over step×step cells).
func (p *patcher) load(f *media.Frame, box image.Rectangle, dst *[patchSize * patchSize]float32, withChroma bool) {
	s := float64(box.Dx())
	p.box = box
	p.step = s * patchSpan / patchSize
	cx := float64(box.Min.X+box.Max.X) / 2
	cy := float64(box.Min.Y+box.Max.Y) / 2
	p.ox, p.oy = cx-s*patchSpan/2, cy-s*patchSpan/2
	k := max(1, int(p.step+0.5)) // frame pixels averaged per patch pixel along each axis
	for j := range patchSize {
		fy := int(p.oy + float64(j)*p.step)
		for i := range patchSize {
			fx := int(p.ox + float64(i)*p.step)
			idx := j*patchSize + i
			if fx < 0 || fy < 0 || fx+k > f.Width || fy+k > f.Height {
				p.valid[idx] = false
				dst[idx] = 0
				continue
			}
			p.valid[idx] = true
			sum := 0
			for y := fy; y < fy+k; y++ {
				row := f.Y[y*f.YStride+fx : y*f.YStride+fx+k]
				for _, b := range row {
					sum += int(b)
				}
			}
			dst[idx] = float32(sum) / float32(k*k)
			if withChroma {
				c := (fy/2)*f.UVStride + fx/2
				p.u[idx] = float32(f.U[c])
				p.v[idx] = float32(f.V[c])
			}
		}
	}
}

// measure computes the spatial cues of the patch in p.y.
func (p *patcher) measure() cues {
	var lap, grad, n [5]float64
	var sumY, sumU, sumV, satS [5]float64
	var hist [5][64]int32
	const w = patchSize
	for j := 1; j < w-1; j++ {
		for i := 1; i < w-1; i++ {
			idx := j*w + i
			m := p.mask[idx]
			if m == regNone || !p.valid[idx-1] || !p.valid[idx+1] || !p.valid[idx-w] || !p.valid[idx+w] {
				continue
			}
			c := p.y[idx]
			l := p.y[idx-1] + p.y[idx+1] + p.y[idx-w] + p.y[idx+w] - 4*c
			gx := p.y[idx+1] - p.y[idx-1]
			gy := p.y[idx+w] - p.y[idx-w]
			lap[m] += float64(l * l)
			hist[m][min(int(abs32(l)/2), 63)]++
			du, dv := p.u[idx]-128, p.v[idx]-128
			satS[m] += float64(du*du + dv*dv)
			grad[m] += float64(gx*gx + gy*gy)
			n[m]++
			sumY[m] += float64(c)
			sumU[m] += float64(p.u[idx])
			sumV[m] += float64(p.v[idx])
		}
	}
	mean := func(a [5]float64, m region) float64 { return a[m] / max(n[m], 1) }
	lr := func(a, b float64) float64 { return math.Log((a + 1) / (b + 1)) }
	var c cues
	c.sharp = lr(mean(lap, regInner), mean(lap, regRing))
	c.edge = lr(mean(grad, regBand), mean(grad, regRing))
	c.innerG = lr(mean(grad, regInner), mean(grad, regBand))
	c.hf = lr(mean(lap, regInner), mean(grad, regInner)) - lr(mean(lap, regRing), mean(grad, regRing))
	c.hfBand = lr(mean(lap, regInner), mean(grad, regInner)) - lr(mean(lap, regBand), mean(grad, regBand))
	c.noise = math.Log((median(&hist[regInner], n[regInner]) + 0.5) / (median(&hist[regRing], n[regRing]) + 0.5))
	c.sat = math.Sqrt(mean(satS, regInner)) - math.Sqrt(mean(satS, regBand)) // RMS saturation
	c.faceU, c.faceV = mean(sumU, regInner), mean(sumV, regInner)
	c.ringU, c.ringV = mean(sumU, regRing), mean(sumV, regRing)
	if n[regNeck] > 0 {
		du := c.faceU - mean(sumU, regNeck)
		dv := c.faceV - mean(sumV, regNeck)
		c.chroma = math.Hypot(du, dv)
		c.lum = lr(mean(sumY, regInner), mean(sumY, regNeck))
	}
	return c
}

// change returns the log ratio of the mean absolute frame-to-frame luma change in the inner
// face to that in the outer ring, between p.prev and p.y (the same box in both frames).
func (p *patcher) change() float64 {
	var d, n [5]float64
	for idx, m := range p.mask {
		if (m != regInner && m != regRing) || !p.valid[idx] {
			continue
		}
		d[m] += math.Abs(float64(p.y[idx] - p.prev[idx]))
		n[m]++
	}
	if n[regInner] == 0 || n[regRing] == 0 {
		return 0
	}
	return math.Log((d[regInner]/n[regInner] + 0.5) / (d[regRing]/n[regRing] + 0.5))
}

// median returns the median of a histogram of |Laplacian|/2 with n entries, in Laplacian units.
func median(h *[64]int32, n float64) float64 {
	half := int32(n / 2)
	var acc int32
	for i, c := range h {
		acc += c
		if acc > half {
			return float64(2 * i)
		}
	}
	return 126
}

// hfChange returns the log ratio, inner face to outer ring, of the mean absolute
// frame-to-frame change of the Laplacian (fine texture) over the same ratio for luma:
// fine texture that changes more than the picture does is a rendered face "boiling".
func (p *patcher) hfChange() float64 {
	var d, n [5]float64
	const w = patchSize
	for j := 1; j < w-1; j++ {
		for i := 1; i < w-1; i++ {
			idx := j*w + i
			m := p.mask[idx]
			if (m != regInner && m != regRing) || !p.valid[idx-1] || !p.valid[idx+1] || !p.valid[idx-w] || !p.valid[idx+w] {
				continue
			}
			l1 := p.y[idx-1] + p.y[idx+1] + p.y[idx-w] + p.y[idx+w] - 4*p.y[idx]
			l0 := p.prev[idx-1] + p.prev[idx+1] + p.prev[idx-w] + p.prev[idx+w] - 4*p.prev[idx]
			d[m] += math.Abs(float64(l1 - l0))
			n[m]++
		}
	}
	if n[regInner] == 0 || n[regRing] == 0 {
		return 0
	}
	return math.Log((d[regInner]/n[regInner] + 0.5) / (d[regRing]/n[regRing] + 0.5))
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// fineGrid is the number of grid steps across a face box at which fine measures its points.
const fineGrid = 48

// fine returns the native-resolution detail slope of the inner face against its contour
// band: log of the 1-pixel Laplacian energy over the 2-pixel one, inner face minus band,
// measured on the frame itself (not the patch) on a grid of points fineGrid per box side.
// The patch averages a 200-pixel face over 3×3 frame pixels, which hides a face that was
// rendered at 128 pixels and upscaled; at the frame's own resolution the upscaled face has
// little 1-pixel detail for its 2-pixel detail, and a face enhancer's over-sharpened render
// too much. The band (hair, ears, jaw, passed through from the camera) sets each clip's own
// level, as for hfBand.
func fine(f *media.Frame, box image.Rectangle) float64 {
	s := float64(box.Dx())
	cx, cy := float64(box.Min.X+box.Max.X)/2, float64(box.Min.Y+box.Max.Y)/2
	step := max(1, s/fineGrid)
	var e1, e2, n [5]float64
	ys := f.YStride
	for v := -0.7; v <= 0.75; v += step / s {
		y := int(cy + v*s)
		if y < 2 || y >= f.Height-2 {
			continue
		}
		for u := -0.55; u <= 0.55; u += step / s {
			x := int(cx + u*s)
			if x < 2 || x >= f.Width-2 {
				continue
			}
			r := math.Hypot(u/ellA, (v-ellDY)/ellB)
			var m region
			switch {
			case r < innerMax:
				m = regInner
			case r >= bandMin && r < bandMax:
				m = regBand
			default:
				continue
			}
			i := y*ys + x
			c := 4 * int(f.Y[i])
			l1 := int(f.Y[i-1]) + int(f.Y[i+1]) + int(f.Y[i-ys]) + int(f.Y[i+ys]) - c
			l2 := int(f.Y[i-2]) + int(f.Y[i+2]) + int(f.Y[i-2*ys]) + int(f.Y[i+2*ys]) - c
			e1[m] += float64(l1 * l1)
			e2[m] += float64(l2 * l2)
			n[m]++
		}
	}
	if n[regInner] == 0 || n[regBand] == 0 {
		return 0
	}
	return math.Log((e1[regInner]+n[regInner])/(e2[regInner]+n[regInner])) - math.Log((e1[regBand]+n[regBand])/(e2[regBand]+n[regBand]))
}
