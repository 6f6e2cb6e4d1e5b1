package replay

import (
	"image"
	"math"

	"github.com/integritybot/integritybot/media"
)

// The frame cue (measured, NOT wired into Observe): the edges of a phone, tablet or
// printout held up to the camera. Such an object is in front of the person it shows, so
// its edges run straight and unbroken across places where a live person's own head and
// shoulders would hide anything behind them; a door frame, shelf or picture behind a live
// candidate is hidden by the head or shoulders where it passes them. The cue therefore
// looks only where the body must be, in face widths (fw) and heights (fh) of the face box:
//
//   - sides (a screen's bezel): a straight edge on each side of the face, 0.5-1.4 fw
//     from its centre, unbroken from the top of the face box to 0.7 fh below it (at
//     least 0.3 fh where the picture ends sooner); the two roughly parallel.
//   - top (the top edge of a printout): a straight edge across the head, between 0.25 fh
//     above the top of the face box (hair) and 0.05 fh into it, unbroken from 0.5 fw left
//     of the box to 0.5 fw right of it (at least 0.2 fw, over the hair).
//
// Each line is searched at tilts up to ±0.2 (a hand-held object is rarely square to the
// camera) on a grid of a 48th of the face width; a sample supports a line when the luma
// steps by at least frameMinStep levels across it, within one grid step of it, with the
// line's sign.
//
// Why it is not wired in (REPLAY_MEASURE=1 go test -run TestMeasureFrame -v, issue 6):
// the top rule separates the print still (cover 1.00) from the live still (0.42) and
// every sample of the 19 genuine clips (at most 0.42), but the screen still's left bezel
// is black against a black background and black on-screen hair over 40 % of its length
// (sides 0.58, the same as genuine clips: up to 0.58, and the live still: 0.62), and one
// side alone is not evidence (a split-screen divider and a studio backdrop edge reach
// 0.90-1.00). Flagging only prints would be half a rule; see the README.
const (
	frameGrid    = 48  // grid steps per face width
	frameSamples = 48  // samples along a line
	frameMinStep = 24  // luma levels across an edge (a bezel, a paper margin)
	frameCover   = 0.9 // share of samples that must support a line
	frameTilts   = 17  // tilts from -frameMaxTilt to +frameMaxTilt
	frameMaxTilt = 0.2
	// parallelTilt: the two side lines of a rigid rectangle differ in tilt by little more
	// than perspective makes.
	parallelTilt = 0.06
	minFaceFrame = 40 // px: smaller faces give too coarse a grid

	// Where the lines are searched, in face widths and heights of the face box.
	sideNear, sideFar = 0.5, 1.4 // side bands, from the centre of the box
	sideBelow         = 0.7      // sides run this far below the box ...
	sideMinBelow      = 0.3      // ... and at least this far (the picture may end)
	topAbove, topInto = 0.25, 0.05
	topWide           = 0.5 // the top line runs this far beyond the box on each side ...
	topMinWide        = 0.2 // ... and at least this far (over the hair)
)

// edgeLine is the best-supported straight line of one search.
type edgeLine struct {
	pos   float64 // offset from the face centre (sides) or top (top), in face widths / heights
	tilt  float64
	cover float64 // share of samples supporting it
	step  float64 // mean luma step across it over the supporting samples
}

// frameMeasure is one frame's measurement.
type frameMeasure struct {
	ok               bool // the lines could be searched (face found, big enough, room in the picture)
	okSides, okTop   bool
	left, right, top edgeLine
	sides, topEdge   bool // the cue held
	box              image.Rectangle
}

// frameDetector measures the frame cue; its buffer is reused (no allocation per call).
type frameDetector struct {
	prof [frameSamples][frameGrid * 2]float32 // luma step per sample and grid position
}

// measure searches f for the lines around box.
func (d *frameDetector) measure(f *media.Frame, box image.Rectangle) frameMeasure {
	m := frameMeasure{box: box}
	fw, fh := float64(box.Dx()), float64(box.Dy())
	if fw < minFaceFrame || fh < minFaceFrame {
		return m
	}
	u := fw / frameGrid // px per grid step
	W, H := float64(f.Width), float64(f.Height)
	cx := float64(box.Min.X+box.Max.X) / 2
	top, bottom := float64(box.Min.Y), float64(box.Max.Y)
	// Sides: from the top of the face box down past the neck, as far as the picture goes
	// (at least to sideMinBelow); each side's band clipped to the picture.
	if y1 := min(bottom+sideBelow*fh, H-1); y1 >= bottom+sideMinBelow*fh {
		lx0, lx1 := max(cx-sideFar*fw, 2*u), cx-sideNear*fw
		rx0, rx1 := cx+sideNear*fw, min(cx+sideFar*fw, W-1-2*u)
		if lx1-lx0 >= 2*u && rx1-rx0 >= 2*u {
			m.okSides = true
			m.left = d.search(f, true, lx0, lx1, top, y1, u)
			m.right = d.search(f, true, rx0, rx1, top, y1, u)
			m.left.pos, m.right.pos = (m.left.pos-cx)/fw, (m.right.pos-cx)/fw
			m.sides = m.left.cover >= frameCover && m.right.cover >= frameCover &&
				math.Abs(m.left.tilt-m.right.tilt) <= parallelTilt
		}
	}
	// Top: across the head, at least over the hair at its sides.
	ty0, ty1 := top-topAbove*fh, top+topInto*fh
	x0, x1 := max(float64(box.Min.X)-topWide*fw, 0), min(float64(box.Max.X)+topWide*fw, W-1)
	if ty0-2*u >= 0 && x0 <= float64(box.Min.X)-topMinWide*fw && x1 >= float64(box.Max.X)+topMinWide*fw {
		m.okTop = true
		m.top = d.search(f, false, ty0, ty1, x0, x1, u)
		m.top.pos = (m.top.pos - top) / fh
		m.topEdge = m.top.cover >= frameCover
	}
	m.ok = m.okSides || m.okTop
	return m
}

// search finds the best-supported straight line crossing the band [a0, a1) (x for a
// vertical line, y for a horizontal one) and running along [b0, b1].
func (d *frameDetector) search(f *media.Frame, vertical bool, a0, a1, b0, b1, u float64) edgeLine {
	n := min(int((a1-a0)/u)+1, len(d.prof[0]))
	// Widen the band so that a tilted line stays inside it.
	pad := int(math.Ceil(frameMaxTilt*(b1-b0)/2/u)) + 1
	n = min(n+2*pad, len(d.prof[0]))
	start := a0 - float64(pad)*u
	for k := range frameSamples {
		b := b0 + (float64(k)+0.5)*(b1-b0)/frameSamples
		for i := range n {
			a := start + float64(i)*u
			d.prof[k][i] = step(f, vertical, a, b, u)
		}
	}
	best := edgeLine{}
	for t := range frameTilts {
		tilt := -frameMaxTilt + 2*frameMaxTilt*float64(t)/(frameTilts-1)
		for i := pad; i < n-pad; i++ {
			l := d.line(i, tilt, n, b1-b0, u)
			if l.cover > best.cover || l.cover == best.cover && l.step > best.step {
				l.pos = start + float64(i)*u
				best = l
			}
		}
	}
	return best
}

// line scores the line through grid position i (at the middle of the run) with tilt.
func (d *frameDetector) line(i int, tilt float64, n int, length, u float64) edgeLine {
	var pos, neg int
	var sp, sn float64
	for k := range frameSamples {
		off := tilt * ((float64(k)+0.5)/frameSamples - 0.5) * length / u
		j := i + int(math.Round(off))
		var hi, lo float32
		for q := max(j-1, 0); q <= min(j+1, n-1); q++ {
			hi, lo = max(hi, d.prof[k][q]), min(lo, d.prof[k][q])
		}
		if hi >= frameMinStep {
			pos++
			sp += float64(hi)
		}
		if -lo >= frameMinStep {
			neg++
			sn -= float64(lo)
		}
	}
	l := edgeLine{tilt: tilt}
	if pos >= neg && pos > 0 {
		l.cover, l.step = float64(pos)/frameSamples, sp/float64(pos)
	} else if neg > 0 {
		l.cover, l.step = float64(neg)/frameSamples, sn/float64(neg)
	}
	return l
}

// step is the luma step across a line at (a, b): the mean of two pixels one grid step
// beyond it minus the mean of two before it (a across the line, b along it).
func step(f *media.Frame, vertical bool, a, b, u float64) float32 {
	px := func(a, b float64) int {
		x, y := int(a), int(b)
		if !vertical {
			x, y = y, x
		}
		x, y = clampInt(x, f.Width), clampInt(y, f.Height)
		return int(f.Y[y*f.YStride+x])
	}
	h := max(u/2, 1)
	after := px(a+h, b) + px(a+h+u, b)
	before := px(a-h, b) + px(a-h-u, b)
	return float32(after-before) / 2
}

func clampInt(v, n int) int { return max(0, min(v, n-1)) }
