package attack

import (
	"fmt"
	"math"

	"github.com/integritybot/integritybot/media"
)

// The moving pictures: a still picture moved over time as a virtual camera or a hand
// moves it, in one of the families photo_zoom, photo_pan, photo_sway, photo_shake,
// print_shake and screen_shake (the last two are the hand's motion; print and screen are
// made with Printed and OnScreen).

// mathPi is a short name for the sinusoids below.
const mathPi = math.Pi

// sinus is one sinusoidal component of a motion: amplitude, period in seconds, phase.
type sinus struct{ amp, period, phase float64 }

func (s sinus) at(t float64) float64 { return s.amp * math.Sin(2*mathPi*t/s.period+s.phase) }

// motion is how a picture moves over time: a zoom rate, a drift, and sinusoids for
// shift, rotation, scale and tilt.
type Motion struct {
	family     string
	zoomPerSec float64 // relative zoom per second
	dx, dy     float64 // drift, in picture widths per second
	sx, sy     []sinus // shift, in picture widths
	rot        []sinus // rotation, radians
	scale      []sinus // relative scale
	tilt       []sinus // perspective (keystone) term, per picture width
}

// pose is the transform of one frame: scale, rotation, shift (picture widths), tilt.
type Pose struct{ s, r, x, y, p float64 }

// newMotion draws a motion of family from seed (deterministic).
func NewMotion(family string, seed uint64) Motion {
	rnd := splitmix(seed*7919 + 17)
	u := func(a, b float64) float64 { return a + (b-a)*rnd() }
	ph := func() float64 { return u(0, 2*mathPi) }
	m := Motion{family: family}
	switch family {
	case "photo_zoom":
		m.zoomPerSec = u(0.004, 0.012) // 5-15 % over 12 s
		m.sx = []sinus{{u(0.01, 0.02), u(4, 7), ph()}}
	case "photo_pan":
		m.dx, m.dy = u(0.004, 0.008)*sign(rnd()), u(-0.002, 0.002)
	case "photo_sway":
		m.sx = []sinus{{u(0.01, 0.025), u(3, 6), ph()}}
		m.rot = []sinus{{u(0.005, 0.02), u(3, 6), ph()}}
	default: // photo_shake, print_shake, screen_shake: a hand
		for _, per := range []float64{u(0.4, 0.8), u(1, 2), u(2.5, 4)} {
			m.sx = append(m.sx, sinus{u(0.002, 0.006), per, ph()})
			m.sy = append(m.sy, sinus{u(0.002, 0.006), per * u(0.8, 1.2), ph()})
			m.rot = append(m.rot, sinus{u(0.003, 0.01), per * u(0.8, 1.2), ph()})
			m.scale = append(m.scale, sinus{u(0.002, 0.006), per * u(0.8, 1.2), ph()})
			m.tilt = append(m.tilt, sinus{u(0.005, 0.02), per * u(0.8, 1.2), ph()})
		}
	}
	return m
}

func sign(v float64) float64 {
	if v < 0.5 {
		return -1
	}
	return 1
}

// splitmix returns a deterministic generator of floats in [0, 1).
func splitmix(seed uint64) func() float64 {
	s := seed
	return func() float64 {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		return float64(z>>11) / (1 << 53)
	}
}

func sum(ss []sinus, t float64) float64 {
	v := 0.0
	for _, s := range ss {
		v += s.at(t)
	}
	return v
}

func (m Motion) At(t float64) Pose {
	return Pose{
		s: (1 + m.zoomPerSec*t) * (1 + sum(m.scale, t)),
		r: sum(m.rot, t),
		x: m.dx*t + sum(m.sx, t),
		y: m.dy*t + sum(m.sy, t),
		p: sum(m.tilt, t),
	}
}

func (m Motion) String() string {
	switch m.family {
	case "photo_zoom":
		return fmt.Sprintf("a slow zoom (%.1f %% a second) with a sideways sway of %.1f %% of the width", 100*m.zoomPerSec, 100*m.sx[0].amp)
	case "photo_pan":
		return fmt.Sprintf("a slow pan (%.1f %% of the width a second)", 100*math.Abs(m.dx))
	case "photo_sway":
		return fmt.Sprintf("a sideways sway of %.1f %% of the width rocking %.1f degrees", 100*m.sx[0].amp, m.rot[0].amp*180/mathPi)
	case "print_shake":
		return "printed (paper margin, lower contrast, warmer) and held in a shaking hand in front of a wall"
	case "screen_shake":
		return "shown on a phone screen (black bezel, raised blacks, faint moiré) held in a shaking hand in front of a wall"
	}
	return "held in a shaking hand (small quick shifts, rotation, scale and tilt)"
}

// warp renders pic moved by ps into a frame of pic's size: the picture is scaled by
// ps.s about its centre, rotated by ps.r, shifted by (ps.x, ps.y) picture widths and
// tilted (a keystone: the right side nearer by ps.p). Outside the picture is bg (a
// hand-held print or screen) or the picture's edge repeated (a virtual camera's crop;
// the zoom keeps it inside).
func Warp(pic, bg *media.Frame, ps Pose) *media.Frame {
	w, h := pic.Width, pic.Height
	var out *media.Frame
	if bg != nil {
		out = bg.Clone()
	} else {
		out = Flat(w, h, 0, 128, 128)
	}
	if bg == nil {
		ps.s *= 1.06 // a virtual camera crops a little inside the picture: no edge shows
	}
	cx, cy := float64(w)/2, float64(h)/2
	cos, sin := math.Cos(ps.r), math.Sin(ps.r)
	// inverse maps an output pixel to the picture: undo the shift, the tilt, the
	// rotation and the scale.
	inverse := func(x, y float64) (float64, float64, bool) {
		x -= cx + ps.x*float64(w)
		y -= cy + ps.y*float64(w)
		d := 1 + ps.p*x/float64(w)
		if d <= 0.1 {
			return 0, 0, false
		}
		x, y = x/d, y/d
		x, y = (cos*x+sin*y)/ps.s, (-sin*x+cos*y)/ps.s
		return x + cx, y + cy, true
	}
	plane := func(dst []byte, stride, dw, dh int, src []byte, sstride, sw, sh, div int) {
		for y := range dh {
			for x := range dw {
				sx, sy, ok := inverse(float64(x*div)+float64(div)/2, float64(y*div)+float64(div)/2)
				if !ok {
					continue
				}
				sx, sy = sx/float64(div)-0.5, sy/float64(div)-0.5
				if bg != nil && (sx < 0 || sy < 0 || sx > float64(sw-1) || sy > float64(sh-1)) {
					continue
				}
				dst[y*stride+x] = bilinear(src, sstride, sw, sh, sx, sy)
			}
		}
	}
	plane(out.Y, out.YStride, w, h, pic.Y, pic.YStride, pic.Width, pic.Height, 1)
	cw, ch := (w+1)/2, (h+1)/2
	plane(out.U, out.UVStride, cw, ch, pic.U, pic.UVStride, (pic.Width+1)/2, (pic.Height+1)/2, 2)
	plane(out.V, out.UVStride, cw, ch, pic.V, pic.UVStride, (pic.Width+1)/2, (pic.Height+1)/2, 2)
	return out
}

// bilinear samples src at (x, y), clamped to the plane.
func bilinear(src []byte, stride, w, h int, x, y float64) byte {
	ix, iy := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(ix), y-float64(iy)
	x1, x2 := clampi(ix, w), clampi(ix+1, w)
	y1, y2 := clampi(iy, h), clampi(iy+1, h)
	a := float64(src[y1*stride+x1])*(1-fx) + float64(src[y1*stride+x2])*fx
	b := float64(src[y2*stride+x1])*(1-fx) + float64(src[y2*stride+x2])*fx
	return byte(a*(1-fy) + b*fy + 0.5)
}

// printed returns pic as a printout photographed by a camera: scaled to 80 % inside a
// white paper margin, contrast reduced (paper does not reach the screen's black), a
// warmer tint (office light on paper).
func Printed(pic *media.Frame) *media.Frame {
	w, h := pic.Width, pic.Height
	out := Flat(w, h, 225, 124, 134)
	inner := Resize(pic, w*4/5, h*4/5, 0, 0, float64(w), float64(h))
	ox, oy := w/10, h/10
	for y := range inner.Height {
		for x := range inner.Width {
			out.Y[(y+oy)*out.YStride+x+ox] = byte(40 + float64(inner.Y[y*inner.YStride+x])*0.7)
		}
	}
	for y := range (inner.Height + 1) / 2 {
		for x := range (inner.Width + 1) / 2 {
			i, o := y*inner.UVStride+x, (y+oy/2)*out.UVStride+x+ox/2
			out.U[o] = byte(128 + (float64(inner.U[i])-128)*0.7 - 4)
			out.V[o] = byte(128 + (float64(inner.V[i])-128)*0.7 + 6)
		}
	}
	return out
}

// onScreen returns pic as shown on a phone screen photographed by a camera: scaled to
// 84 % inside a black bezel, the black level raised (a lit screen), a faint moiré of
// two close line frequencies beating.
func OnScreen(pic *media.Frame) *media.Frame {
	w, h := pic.Width, pic.Height
	out := Flat(w, h, 18, 128, 128)
	inner := Resize(pic, w*21/25, h*21/25, 0, 0, float64(w), float64(h))
	ox, oy := w*2/25, h*2/25
	for y := range inner.Height {
		for x := range inner.Width {
			moire := 4 * math.Sin(2*mathPi*(float64(x)*0.47+float64(y)*0.05))
			v := 24 + float64(inner.Y[y*inner.YStride+x])*0.85 + moire
			out.Y[(y+oy)*out.YStride+x+ox] = byte(math.Max(0, math.Min(255, v)))
		}
	}
	for y := range (inner.Height + 1) / 2 {
		for x := range (inner.Width + 1) / 2 {
			i, o := y*inner.UVStride+x, (y+oy/2)*out.UVStride+x+ox/2
			out.U[o] = byte(128 + (float64(inner.U[i])-128)*0.9 + 3) // a bluish white point
			out.V[o] = inner.V[i]
		}
	}
	return out
}

// wall returns a w×h plain wall with a soft light gradient and a little texture.
func Wall(w, h int, seed uint64) *media.Frame {
	rnd := splitmix(seed + 99)
	base, slope := 120+60*rnd(), 30*(rnd()-0.5)
	out := Flat(w, h, 0, byte(120+16*rnd()), byte(122+16*rnd()))
	for y := range h {
		for x := range w {
			v := base + slope*float64(x)/float64(w) + 3*math.Sin(float64(x)*0.13+float64(y)*0.07)
			out.Y[y*out.YStride+x] = byte(v)
		}
	}
	return out
}

// Flat returns a w×h frame of one colour.
func Flat(w, h int, y, u, v byte) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for i := range f.Y {
		f.Y[i] = y
	}
	for i := range f.U {
		f.U[i], f.V[i] = u, v
	}
	return f
}

// Resize samples the rectangle (x0, y0, cw, ch) of src into a new w×h frame, bilinearly.
func Resize(src *media.Frame, w, h int, x0, y0, cw, ch float64) *media.Frame {
	dst := Flat(w, h, 0, 0, 0)
	ResizePlane(dst.Y, w, w, h, src.Y, src.YStride, src.Width, src.Height, x0, y0, cw, ch)
	dcw, dch := (w+1)/2, (h+1)/2
	scw, sch := (src.Width+1)/2, (src.Height+1)/2
	ResizePlane(dst.U, dcw, dcw, dch, src.U, src.UVStride, scw, sch, x0/2, y0/2, cw/2, ch/2)
	ResizePlane(dst.V, dcw, dcw, dch, src.V, src.UVStride, scw, sch, x0/2, y0/2, cw/2, ch/2)
	return dst
}

// ResizePlane samples the rectangle (x0, y0, cw, ch) of a plane sw×sh into a w×h one.
func ResizePlane(dst []byte, dstStride, w, h int, src []byte, srcStride, sw, sh int, x0, y0, cw, ch float64) {
	for y := range h {
		sy := y0 + (float64(y)+0.5)*ch/float64(h) - 0.5
		iy := int(math.Floor(sy))
		fy := sy - float64(iy)
		y1, y2 := clampi(iy, sh), clampi(iy+1, sh)
		for x := range w {
			sx := x0 + (float64(x)+0.5)*cw/float64(w) - 0.5
			ix := int(math.Floor(sx))
			fx := sx - float64(ix)
			x1, x2 := clampi(ix, sw), clampi(ix+1, sw)
			a := float64(src[y1*srcStride+x1])*(1-fx) + float64(src[y1*srcStride+x2])*fx
			b := float64(src[y2*srcStride+x1])*(1-fx) + float64(src[y2*srcStride+x2])*fx
			dst[y*dstStride+x] = byte(a*(1-fy) + b*fy + 0.5)
		}
	}
}

func clampi(v, n int) int { return max(0, min(v, n-1)) }
