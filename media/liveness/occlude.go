package liveness

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// Ways a drawn hand pass is composed with the face (HandPass.Mode).
const (
	// HandOver: the hand covers the face, as a live person's hand does.
	HandOver = "hand"
	// HandSwapOver: a real-time face swap renders its face over the hand: the face's inner
	// ellipse (the frame's own pixels, feathered) stays in front of the hand.
	HandSwapOver = "hand_swap_over"
	// HandSwapFlash: a swap that keeps losing the hand: two frames face over hand, two
	// frames hand over face, and so on.
	HandSwapFlash = "hand_swap_flash"
)

// HandPass draws a hand passing across a face, for measuring the "hand across the face"
// prompt on recordings of real faces where nobody raised a hand (media/liveness tests and
// `integritybot eval --synthesize`). The hand is drawn, not filmed: a palm ellipse, four
// finger capsules, a thumb and the forearm, filled with the person's own skin (median colour
// and fine texture of their cheeks in that frame), shaded darker towards the edges and
// slightly motion-blurred. It measures how the face detector and the rule respond to an
// occluder over a real face, not a real hand's shading or a real swapper.
type HandPass struct {
	Start time.Duration // when the hand reaches the face's side
	Cross time.Duration // from clear of the face on one side to clear on the other
	// Face is the face box the hand is placed and sized by (the face before the pass; the
	// hand moves in the room, not with the head) and whose cheeks give its skin.
	Face image.Rectangle
	// FromLeft: the hand enters from the left of the picture.
	FromLeft bool
	// Drop is the vertical travel during the crossing in face widths (+ down, 0 level).
	Drop float64
	// Size is the hand's length (wrist to middle fingertip) in face widths (about 1.0-1.3).
	Size float64
	// Tilt is the fingers' angle from vertical, radians (+ towards the picture's right).
	Tilt float64
	// Mode is HandOver, HandSwapOver or HandSwapFlash.
	Mode string
	// Lead moves where the hand starts and ends this many face widths further out (0: at
	// the face's side, inside the region the check watches, so the hand appears there at
	// once; 1: outside it, entering the picture as an arm does, which the frame-by-frame
	// switch rule of splice.go needs).
	Lead float64
}

// NewHandPass returns the pass of a "hand" prompt from from to until over the face box face,
// varied by seed as people do it: the hand starts 0.6-1.2 s into a prompt of 4 s or more
// (0.15 s into a shorter one), crosses in 1.0-2.0 s (what fits before until), level or
// diagonally downwards, 1.0-1.3 face widths long, tilted up to 20°, from either side.
func NewHandPass(seed uint64, face image.Rectangle, from, until time.Duration, mode string) HandPass {
	r := rand.New(rand.NewPCG(seed, 6))
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	start := from + sec(0.6+0.6*r.Float64())
	if until-from < 4*time.Second {
		start = from + 150*time.Millisecond
	}
	h := HandPass{
		Start: start, Cross: min(sec(1.0+r.Float64()), until-start-100*time.Millisecond), Face: face,
		FromLeft: r.IntN(2) == 0, Size: 1.0 + 0.3*r.Float64(), Tilt: (r.Float64()*2 - 1) * 0.35, Mode: mode,
	}
	if r.IntN(2) == 0 {
		h.Drop = 0.2 + 0.4*r.Float64()
	}
	return h
}

// Active reports whether the hand is in view at pts.
func (h HandPass) Active(pts time.Duration) bool {
	return pts >= h.Start && pts <= h.Start+h.Cross && !h.Face.Empty()
}

// capsule is a segment with a radius, in hand units (hand lengths), v pointing up.
type capsule struct{ u0, v0, u1, v1, r float64 }

// handShape is the hand's fingers, thumb and forearm: palm centre at the origin; the thumb on +u (mirrored for the other hand).
var handShape = func() []capsule {
	c := []capsule{
		{0.17, -0.10, 0.17 + 0.30*math.Sin(0.9), -0.10 + 0.30*math.Cos(0.9), 0.05}, // thumb
		{0, -0.22, 0, -1.8, 0.15}, // wrist and forearm
	}
	// Fingers from the little finger (-u) to the index (+u): base, length, splay.
	for _, f := range [][3]float64{{-0.14, 0.30, -0.20}, {-0.05, 0.40, -0.07}, {0.04, 0.43, 0.04}, {0.13, 0.38, 0.15}} {
		c = append(c, capsule{f[0], 0.18, f[0] + f[1]*math.Sin(f[2]), 0.18 + f[1]*math.Cos(f[2]), 0.042})
	}
	return c
}()

// Palm ellipse semi-axes, hand units.
const palmA, palmB = 0.21, 0.25

// handSDF is the signed distance (hand units) from (u, v) to the hand's outline, and the depth
// used for shading (0 at the outline, 1 well inside).
func handSDF(u, v float64) (d, depth float64) {
	d = (math.Hypot(u/palmA, v/palmB) - 1) * palmA
	depth = clamp01(-d / 0.08)
	for _, c := range handShape {
		cd := segDist(u, v, c) - c.r
		if cd < d {
			d = cd
		}
		depth = max(depth, clamp01(-cd/c.r))
	}
	return d, depth
}

func segDist(u, v float64, c capsule) float64 {
	du, dv := c.u1-c.u0, c.v1-c.v0
	t := clamp01(((u-c.u0)*du + (v-c.v0)*dv) / (du*du + dv*dv))
	return math.Hypot(u-c.u0-t*du, v-c.v0-t*dv)
}

func clamp01(x float64) float64 { return max(0, min(1, x)) }

// skin is the colour and texture the hand is filled with.
type skin struct {
	y, u, v float64
	tex     []float64 // luma residual of a cheek patch, texN×texN
}

const texN = 16

// sampleSkin reads the median colour of both cheeks of the face box and the fine texture
// of one of them (luma minus the patch mean).
func sampleSkin(f *media.Frame, box image.Rectangle) skin {
	var ys, us, vs []float64
	w, hgt := float64(box.Dx()), float64(box.Dy())
	for _, fx := range [][2]float64{{0.18, 0.36}, {0.64, 0.82}} {
		r := image.Rect(box.Min.X+int(fx[0]*w), box.Min.Y+int(0.5*hgt), box.Min.X+int(fx[1]*w), box.Min.Y+int(0.75*hgt))
		r = r.Intersect(image.Rect(0, 0, f.Width, f.Height))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				ys = append(ys, float64(f.Y[y*f.YStride+x]))
				us = append(us, float64(f.U[(y/2)*f.UVStride+x/2]))
				vs = append(vs, float64(f.V[(y/2)*f.UVStride+x/2]))
			}
		}
	}
	s := skin{y: 150, u: 110, v: 150, tex: make([]float64, texN*texN)}
	if len(ys) == 0 {
		return s
	}
	s.y, s.u, s.v = med(ys), med(us), med(vs)
	x0, y0 := box.Min.X+int(0.2*w), box.Min.Y+int(0.52*hgt)
	for i := range s.tex {
		x, y := min(max(x0+i%texN, 0), f.Width-1), min(max(y0+i/texN, 0), f.Height-1)
		s.tex[i] = max(-6, min(6, 0.4*(float64(f.Y[y*f.YStride+x])-s.y)))
	}
	return s
}

func med(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// place is the hand's palm centre (pixels) and scale (pixels per hand unit) at t.
func (h HandPass) place(t time.Duration) (cx, cy, scale float64) {
	w := float64(h.Face.Dx())
	size := h.Size
	if size <= 0 {
		size = 1.15
	}
	scale = size * w
	s := clamp01(float64(t-h.Start) / float64(max(h.Cross, time.Millisecond)))
	s = s * s * (3 - 2*s) // eases in and out, as an arm does
	reach := 0.5*w + 0.42*scale + h.Lead*w
	fc := centre(h.Face)
	dir := 1.0
	if !h.FromLeft {
		dir = -1
	}
	cx = float64(fc.X) + dir*reach*(2*s-1)
	cy = float64(fc.Y) + 0.05*w + h.Drop*w*(s-0.5)
	return cx, cy, scale
}

// Draw draws the hand into f (in place) as it is at f.PTS; n is the frame's number in the
// stream (HandSwapFlash alternates on it) and face the face box found in the frame before
// drawing (where a swapper would render; Face when zero). It reports whether anything was
// drawn.
func (h HandPass) Draw(f *media.Frame, face image.Rectangle, n int) bool {
	if !h.Active(f.PTS) {
		return false
	}
	if face.Empty() {
		face = h.Face
	}
	var keep *media.Frame
	if h.Mode == HandSwapOver || h.Mode == HandSwapFlash && (n/2)%2 == 0 {
		keep = f.Clone()
	}
	sk := sampleSkin(f, h.Face)
	h.paint(f, sk)
	if keep != nil {
		pasteEllipse(f, keep, face)
	}
	return true
}

// blurSamples hand positions are averaged per frame: the motion blur of a ~20 ms exposure.
const blurSamples = 3

// paint composites the hand over f.
func (h HandPass) paint(f *media.Frame, sk skin) {
	type pos struct{ cx, cy, scale float64 }
	var ps [blurSamples]pos
	for i := range ps {
		dt := time.Duration(i-blurSamples/2) * 10 * time.Millisecond
		ps[i].cx, ps[i].cy, ps[i].scale = h.place(f.PTS + dt)
	}
	sin, cos := math.Sincos(h.Tilt)
	mirror := 1.0
	if h.FromLeft { // the hand nearer the side it comes from: its thumb leads
		mirror = -1
	}
	// hand samples the hand at pixel (x, y): coverage, depth and texture coordinates.
	hand := func(x, y float64) (alpha, depth, tu, tv float64) {
		for _, p := range ps {
			dx, dy := (x-p.cx)/p.scale, -(y-p.cy)/p.scale
			u, v := mirror*(dx*cos-dy*sin), dx*sin+dy*cos
			d, dp := handSDF(u, v)
			a := clamp01(0.5 - d*p.scale)
			alpha += a / blurSamples
			depth += dp * a / blurSamples
			tu, tv = x-p.cx, y-p.cy
		}
		return alpha, depth, tu, tv
	}
	cx, cy, scale := ps[blurSamples/2].cx, ps[blurSamples/2].cy, ps[blurSamples/2].scale
	r := image.Rect(int(cx-scale), int(cy-scale), int(cx+scale)+1, f.Height).Intersect(image.Rect(0, 0, f.Width, f.Height))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			a, dp, tu, tv := hand(float64(x), float64(y))
			if a <= 0 {
				continue
			}
			shade := 0.8 + 0.2*math.Sqrt(dp/max(a, 1e-6)) // rounder, darker at the edges
			tx, ty := mirrorIdx(int(tu)), mirrorIdx(int(tv))
			val := sk.y*0.97*shade + sk.tex[ty*texN+tx]
			i := y*f.YStride + x
			f.Y[i] = byte(max(0, min(255, a*val+(1-a)*float64(f.Y[i])+0.5)))
		}
	}
	for y := r.Min.Y / 2; y < (r.Max.Y+1)/2; y++ {
		for x := r.Min.X / 2; x < (r.Max.X+1)/2; x++ {
			a, _, _, _ := hand(float64(2*x)+0.5, float64(2*y)+0.5)
			if a <= 0 {
				continue
			}
			i := y*f.UVStride + x
			f.U[i] = byte(a*sk.u + (1-a)*float64(f.U[i]) + 0.5)
			f.V[i] = byte(a*sk.v + (1-a)*float64(f.V[i]) + 0.5)
		}
	}
}

// mirrorIdx folds a pixel offset into the texture, mirrored so that tiles join smoothly.
func mirrorIdx(i int) int {
	i = ((i % (2 * texN)) + 2*texN) % (2 * texN)
	if i >= texN {
		i = 2*texN - 1 - i
	}
	return i
}

// pasteEllipse copies the inner ellipse of the face box from src into dst, feathered over
// the outer 15 % of its radius: the face a swapper renders, in front of whatever covers it.
func pasteEllipse(dst, src *media.Frame, box image.Rectangle) {
	c := centre(box)
	ax, ay := 0.40*float64(box.Dx()), 0.50*float64(box.Dy())
	alpha := func(x, y float64) float64 {
		r := math.Hypot((x-float64(c.X))/ax, (y-float64(c.Y))/ay)
		return clamp01((1 - r) / 0.15)
	}
	r := box.Intersect(image.Rect(0, 0, dst.Width, dst.Height))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a := alpha(float64(x), float64(y)); a > 0 {
				i, j := y*dst.YStride+x, y*src.YStride+x
				dst.Y[i] = byte(a*float64(src.Y[j]) + (1-a)*float64(dst.Y[i]) + 0.5)
			}
		}
	}
	for y := r.Min.Y / 2; y < (r.Max.Y+1)/2; y++ {
		for x := r.Min.X / 2; x < (r.Max.X+1)/2; x++ {
			if a := alpha(float64(2*x)+0.5, float64(2*y)+0.5); a > 0 {
				i, j := y*dst.UVStride+x, y*src.UVStride+x
				dst.U[i] = byte(a*float64(src.U[j]) + (1-a)*float64(dst.U[i]) + 0.5)
				dst.V[i] = byte(a*float64(src.V[j]) + (1-a)*float64(dst.V[i]) + 0.5)
			}
		}
	}
}

// MainFaces appends to out the main face's (rank 0) detections among recent (the face
// check's Recent) that were made on the frame at pts: the track a HandPass is placed by.
func MainFaces(out, recent []face.Detection, pts time.Duration) []face.Detection {
	for _, d := range recent {
		if d.PTS == pts && d.Rank == 0 {
			out = append(out, d)
		}
	}
	return out
}

// MedianFace is the square box at the median centre and width of the detections from from
// to to (zero if none): the face a HandPass is placed and sized by.
func MedianFace(dets []face.Detection, from, to time.Duration) image.Rectangle {
	var xs, ys, ws []int
	for _, d := range dets {
		if d.PTS >= from && d.PTS <= to {
			c := centre(d.Box)
			xs, ys, ws = append(xs, c.X), append(ys, c.Y), append(ws, d.Box.Dx())
		}
	}
	if len(ws) == 0 {
		return image.Rectangle{}
	}
	for _, s := range [][]int{xs, ys, ws} {
		slices.Sort(s)
	}
	x, y, w := xs[len(xs)/2], ys[len(ys)/2], ws[len(ws)/2]
	return image.Rect(x-w/2, y-w/2, x+w/2, y+w/2)
}
