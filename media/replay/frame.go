package replay

import (
	"image"
	"math"

	"github.com/integritybot/integritybot/media"
)

// The frame cue: the edges of a phone, tablet or printout held up to the camera. Such an
// object is in front of the person it shows, so its edges run straight and unbroken
// across places where a live person's own head would hide anything behind it, and meet
// in a corner close around the face, where a live head's outline is round. The cue looks
// only near the face box, in face widths (fw) and heights (fh) of it, for two shapes:
//
//   - print (the top edge of a printout): a straight edge across the head, between
//     0.25 fh above the top of the face box (hair) and 0.05 fh into it, unbroken from
//     0.5 fw left of the box to 0.5 fw right of it (at least 0.2 fw, over the hair). A
//     live head is round: its outline is not straight over two face widths.
//   - screen (the corner of a display or its bezel): a straight edge above the head
//     (0.2-0.8 fh above the box, over the middle 0.6 fw) and a straight side edge
//     0.5-1.4 fw from the face centre that runs from it down to 0.3 fh below the box,
//     the top edge continuing unbroken from the face centre out to the side edge, both
//     up to cornerGap short of the corner (displays have rounded corners). A head's
//     outline curves where a frame has a corner.
//
// Each line is searched at tilts up to ±0.2 (a hand-held object is rarely square to the
// camera) on a grid of a 48th of the face width; a sample supports a line when the luma
// steps by at least frameMinStep levels across it, within one grid step of it, with the
// line's sign; a line holds when frameCover of its samples support it. Uniform black
// borders of the picture (letterboxing) are left out first: their edges frame
// everything.
//
// Measured (REPLAY_MEASURE=1 go test -run TestMeasureFrame -v, issue 6): print rule:
// print still 1.00, live still 0.42, every sample (~1/s) of the 19 genuine clips ≤ 0.42;
// corner rule (the weakest of top, side and join): screen still 1.00, live still and
// genuine clips ≤ 0.60, print still 0.71. An earlier rule, a straight edge on both
// sides of the face, did not separate (screen 0.58: its left bezel is black on black).
const (
	frameGrid    = 48  // grid steps per face width
	frameSamples = 48  // samples along a line
	frameMinStep = 24  // luma levels across an edge (a bezel, a paper margin)
	frameCover   = 0.9 // share of samples that must support a line
	frameTilts   = 17  // tilts from -frameMaxTilt to +frameMaxTilt
	frameMaxTilt = 0.2
	minFaceFrame = 40 // px: smaller faces give too coarse a grid

	// The print rule, in face widths and heights of the face box.
	topAbove, topInto = 0.25, 0.05
	topWide           = 0.5 // the top line runs this far beyond the box on each side ...
	topMinWide        = 0.2 // ... and at least this far (over the hair)

	// The screen (corner) rule.
	cornerHigh, cornerLow = 0.8, 0.2 // top line band, in fh above the top of the box
	cornerSpan            = 0.3      // top line searched over the centre ± this, in fw
	sideNear, sideFar     = 0.5, 1.4 // side band, in fw from the centre
	cornerBelow           = 0.3      // the side runs from the top line to this far below the box
	cornerGap             = 0.15     // left out at the corner (a rounded corner), in fw

	// borderLuma: a row or column of the picture's edge no brighter than this anywhere
	// is a black border.
	borderLuma = 40
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
	box             image.Rectangle
	okTop, okCorner bool     // the rule could be measured (room in the picture)
	top             edgeLine // the print rule's line
	cornerTop       edgeLine // the screen rule's line above the head
	cornerSide      edgeLine // its better-joined side line
	cornerJoin      float64  // cover of the top line from the centre out to the side line
	cornerRight     bool     // the side line is on the right of the picture
	print, screen   bool     // the rule held
}

// cornerCover is the corner's weakest part.
func (m frameMeasure) cornerCover() float64 {
	return min(m.cornerTop.cover, m.cornerSide.cover, m.cornerJoin)
}

// frameDetector measures the frame cue; its buffer is reused (no allocation per call).
type frameDetector struct {
	prof [frameSamples][frameGrid * 2]float32 // luma step per sample and grid position
	area image.Rectangle                      // the active picture: no edge outside it counts
	// all: search the corner's sides even when its top line does not hold (to measure
	// margins; otherwise skipped, saving most of the cost on most frames).
	all bool
}

// measure searches f for the lines around box.
func (d *frameDetector) measure(f *media.Frame, box image.Rectangle) frameMeasure {
	m := frameMeasure{box: box}
	if box.Dx() < minFaceFrame || box.Dy() < minFaceFrame {
		return m
	}
	area := activeArea(f)
	d.area = area
	d.measureTop(f, area, &m)
	d.measureCorner(f, area, &m)
	return m
}

// measureTop applies the print rule: a straight edge across the head.
func (d *frameDetector) measureTop(f *media.Frame, area image.Rectangle, m *frameMeasure) {
	box := m.box
	fw, fh := float64(box.Dx()), float64(box.Dy())
	u := fw / frameGrid
	top := float64(box.Min.Y)
	ty0, ty1 := top-topAbove*fh, top+topInto*fh
	x0 := max(float64(box.Min.X)-topWide*fw, float64(area.Min.X))
	x1 := min(float64(box.Max.X)+topWide*fw, float64(area.Max.X-1))
	if ty0-2*u < float64(area.Min.Y) || x0 > float64(box.Min.X)-topMinWide*fw || x1 < float64(box.Max.X)+topMinWide*fw {
		return
	}
	m.okTop = true
	m.top = d.search(f, false, ty0, ty1, x0, x1, u)
	m.top.pos = (m.top.pos - top) / fh
	m.print = m.top.cover >= frameCover
}

// measureCorner applies the screen rule: a straight line above the head and a side line
// running from it down past the face, the two meeting.
func (d *frameDetector) measureCorner(f *media.Frame, area image.Rectangle, m *frameMeasure) {
	box := m.box
	fw, fh := float64(box.Dx()), float64(box.Dy())
	u := fw / frameGrid
	cx := float64(box.Min.X+box.Max.X) / 2
	top, bottom := float64(box.Min.Y), float64(box.Max.Y)
	ty0, ty1 := max(top-cornerHigh*fh, float64(area.Min.Y)+2*u), top-cornerLow*fh
	y1 := min(bottom+cornerBelow*fh, float64(area.Max.Y-1)-2*u)
	if ty1-ty0 < 2*u || y1 < bottom {
		return
	}
	t := d.search(f, false, ty0, ty1, cx-cornerSpan*fw, cx+cornerSpan*fw, u)
	m.okCorner = true
	m.cornerTop = t
	m.cornerTop.pos = (t.pos - top) / fh
	if t.cover < frameCover && !d.all {
		return
	}
	gap := max(cornerGap*fw, 2*u)
	for _, right := range []bool{false, true} {
		x0, x1 := max(cx-sideFar*fw, float64(area.Min.X)+2*u), cx-sideNear*fw
		if right {
			x0, x1 = cx+sideNear*fw, min(cx+sideFar*fw, float64(area.Max.X-1)-2*u)
		}
		if x1-x0 < 2*u {
			continue
		}
		yt := t.pos + t.tilt*((x0+x1)/2-cx) // the top line's y over the band
		s := d.search(f, true, x0, x1, yt+gap, y1, u)
		// The top line, from the centre out to the side line where it meets the top.
		xs := s.pos + s.tilt*(yt-(yt+gap+y1)/2)
		if right {
			xs -= gap
		} else {
			xs += gap
		}
		join := d.lineCover(f, false, t.pos, t.tilt, cx, min(cx, xs), max(cx, xs), u)
		if min(s.cover, join) > min(m.cornerSide.cover, m.cornerJoin) {
			m.cornerSide, m.cornerJoin, m.cornerRight = s, join, right
			m.cornerSide.pos = (s.pos - cx) / fw
		}
	}
	m.screen = m.cornerCover() >= frameCover
}

// activeArea is the picture without uniform black borders (letterboxing, or a portrait
// picture pillarboxed in a wide one: 34 % each side), up to 2/5 of each dimension on
// each side.
func activeArea(f *media.Frame) image.Rectangle {
	r := image.Rect(0, 0, f.Width, f.Height)
	for r.Min.Y < f.Height*2/5 && darkLine(f, false, r.Min.Y) {
		r.Min.Y++
	}
	for r.Max.Y > f.Height*3/5 && darkLine(f, false, r.Max.Y-1) {
		r.Max.Y--
	}
	for r.Min.X < f.Width*2/5 && darkLine(f, true, r.Min.X) {
		r.Min.X++
	}
	for r.Max.X > f.Width*3/5 && darkLine(f, true, r.Max.X-1) {
		r.Max.X--
	}
	return r
}

// darkLine reports whether row i (column i if vertical) is black: no sampled pixel
// brighter than borderLuma.
func darkLine(f *media.Frame, vertical bool, i int) bool {
	n, stride, at := f.Width, 1, i*f.YStride
	if vertical {
		n, stride, at = f.Height, f.YStride, i
	}
	for k := 0; k < n; k += 4 {
		if f.Y[at+k*stride] > borderLuma {
			return false
		}
	}
	return true
}

// search finds the best-supported straight line crossing the band [a0, a1) (x for a
// vertical line, y for a horizontal one) and running along [b0, b1]. The line's pos is
// its position at the middle of the run, its tilt the change of a per unit of b.
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
			d.prof[k][i] = d.step(f, vertical, a, b, u)
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

// lineCover is the share of frameSamples samples of the given line (at pos where
// b = mid, with tilt) between b0 and b1 where the luma steps across it by frameMinStep,
// within a grid step, with the majority's sign.
func (d *frameDetector) lineCover(f *media.Frame, vertical bool, pos, tilt, mid, b0, b1, u float64) float64 {
	if b1-b0 < u {
		return 0
	}
	var up, down int
	for k := range frameSamples {
		b := b0 + (float64(k)+0.5)*(b1-b0)/frameSamples
		a := pos + tilt*(b-mid)
		var hi, lo float32
		for q := -1.0; q <= 1; q++ {
			v := d.step(f, vertical, a+q*u, b, u)
			hi, lo = max(hi, v), min(lo, v)
		}
		if hi >= frameMinStep {
			up++
		}
		if -lo >= frameMinStep {
			down++
		}
	}
	return float64(max(up, down)) / frameSamples
}

// step is the luma step across a line at (a, b): the mean of two pixels one grid step
// beyond it minus the mean of two before it (a across the line, b along it); 0 where
// those pixels leave the active picture.
func (d *frameDetector) step(f *media.Frame, vertical bool, a, b, u float64) float32 {
	h := max(u/2, 1)
	lo, hi, bl, bh := d.area.Min.X, d.area.Max.X, d.area.Min.Y, d.area.Max.Y
	if !vertical {
		lo, hi, bl, bh = bl, bh, lo, hi
	}
	if a-h-u < float64(lo) || a+h+u >= float64(hi) || b < float64(bl) || b >= float64(bh) {
		return 0
	}
	px := func(a, b float64) int {
		x, y := int(a), int(b)
		if !vertical {
			x, y = y, x
		}
		x, y = clampInt(x, f.Width), clampInt(y, f.Height)
		return int(f.Y[y*f.YStride+x])
	}
	after := px(a+h, b) + px(a+h+u, b)
	before := px(a-h, b) + px(a-h-u, b)
	return float32(after-before) / 2
}

func clampInt(v, n int) int { return max(0, min(v, n-1)) }
