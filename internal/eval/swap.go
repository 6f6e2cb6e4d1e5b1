package eval

import (
	"context"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// SwapAttacks are the face-swap renderings Synthesize makes from every genuine clip whose
// face is big enough (SwapMinFace), in this order per clip.
//
// They model the rendering path of the common real-time swappers (roop, Deep-Live-Cam,
// FaceFusion with inswapper_128): the face is cut out of the camera picture, rendered at
// 128×128, upscaled back and pasted with a feathered mask; face_swap_enhanced adds what a
// face enhancer (GFPGAN, CodeFormer) does to the render: an over-sharp face. The rendered
// face is the clip's own face, so the identity does not change: these files isolate the
// resolution bottleneck, the blend and a skin-tone shift, not a different person's
// geometry nor the temporal behaviour of a real swapper.
var SwapAttacks = []string{"face_swap_lowres", "face_swap_enhanced"}

// SwapMinFace is the smallest median face box, in frame pixels, of a clip a swap is made
// from: below it a 128-pixel render loses nothing and the face check calls it small.
const SwapMinFace = 80

// swapDuration bounds each swap file (the face_swap check scores 2-second windows).
const swapDuration = 4 * time.Second

// SwapStyle is one way of rendering a swapped face.
type SwapStyle struct {
	Render  int     // side of the square render in pixels (inswapper_128: 128)
	Enlarge float64 // the rendered square's side over the face box's (default 1.1)
	Feather float64 // soft edge of the elliptical mask as a share of the face box (default 0.08)
	DU, DV  int     // chroma shift of the pasted face (another person's skin), in U/V levels
	Sharpen float64 // unsharp-mask amount on the upscaled render (0: none; a face enhancer: ~1.5)
	Smooth  float64 // weight of the newest detection in the tracked box (default 0.5)
}

func (s SwapStyle) withDefaults() SwapStyle {
	if s.Render <= 0 {
		s.Render = 128
	}
	if s.Enlarge <= 0 {
		s.Enlarge = 1.1
	}
	if s.Feather <= 0 {
		s.Feather = 0.08
	}
	if s.Smooth <= 0 || s.Smooth > 1 {
		s.Smooth = 0.5
	}
	return s
}

// Swapper re-renders the face of successive frames of one clip the way a real-time swapper
// does: it follows the face check's main face (lightly smoothed), samples the enlarged box
// down to Render×Render (bilinear, as an aligner's warp does), upscales it bilinearly and
// blends it into the frame through an elliptical mask with a feathered edge. Frames before
// the first face are passed through, as a swapper shows the camera when it finds no face.
type Swapper struct {
	style SwapStyle
	faces *face.Analyzer
	dets  []face.Detection
	box   [3]float64 // tracked centre x, centre y, side
	have  bool
	sides []float64 // side of every detection, for MedianFace
}

// NewSwapper returns a Swapper detecting faces with faces (a fresh analyzer for this clip;
// its Config.Interval sets how often the face is searched, the box is kept in between).
func NewSwapper(style SwapStyle, faces *face.Analyzer) *Swapper {
	return &Swapper{style: style.withDefaults(), faces: faces}
}

// Frame returns a copy of f with the face re-rendered, and whether a face was rendered.
func (s *Swapper) Frame(f *media.Frame) (*media.Frame, bool) {
	s.track(f)
	out := f.Clone()
	if !s.have {
		return out, false
	}
	st := s.style
	side := s.box[2] * st.Enlarge
	x0, y0 := s.box[0]-side/2, s.box[1]-side/2
	n, cn := st.Render, max(st.Render/2, 1)
	ry := make([]byte, n*n)
	resizePlane(ry, n, n, n, f.Y, f.YStride, f.Width, f.Height, x0, y0, side, side)
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	ru, rv := make([]byte, cn*cn), make([]byte, cn*cn)
	resizePlane(ru, cn, cn, cn, f.U, f.UVStride, cw, ch, x0/2, y0/2, side/2, side/2)
	resizePlane(rv, cn, cn, cn, f.V, f.UVStride, cw, ch, x0/2, y0/2, side/2, side/2)
	feather := st.Feather * s.box[2]
	paste(plane{out.Y, out.YStride, out.Width, out.Height}, ry, n, x0, y0, side, feather, st.Sharpen, 0)
	paste(plane{out.U, out.UVStride, cw, ch}, ru, cn, x0/2, y0/2, side/2, feather/2, 0, float64(st.DU))
	paste(plane{out.V, out.UVStride, cw, ch}, rv, cn, x0/2, y0/2, side/2, feather/2, 0, float64(st.DV))
	return out, true
}

// MedianFace returns the median side of the faces detected so far (0 if none).
func (s *Swapper) MedianFace() float64 {
	if len(s.sides) == 0 {
		return 0
	}
	c := slices.Clone(s.sides)
	slices.Sort(c)
	return c[len(c)/2]
}

// track runs the face check on f and follows its main face.
func (s *Swapper) track(f *media.Frame) {
	s.faces.Observe(f)
	s.dets = s.faces.Recent(s.dets[:0], 4)
	for i := len(s.dets) - 1; i >= 0; i-- {
		if d := s.dets[i]; d.PTS == f.PTS && d.Rank == 0 {
			s.follow(d.Box)
			return
		}
	}
}

// follow moves the tracked box towards a face found at box.
func (s *Swapper) follow(box image.Rectangle) {
	b := [3]float64{float64(box.Min.X+box.Max.X) / 2, float64(box.Min.Y+box.Max.Y) / 2, float64(box.Dx())}
	s.sides = append(s.sides, b[2])
	if !s.have || math.Hypot(b[0]-s.box[0], b[1]-s.box[1]) > s.box[2]/2 {
		s.box, s.have = b, true // first face, or another one: no smoothing across the jump
		return
	}
	a := s.style.Smooth
	for k := range s.box {
		s.box[k] = a*b[k] + (1-a)*s.box[k]
	}
}

// plane is one image plane to paste into.
type plane struct {
	pix           []byte
	stride        int
	width, height int
}

// paste upscales the n×n render r bilinearly onto the square (x0, y0, side) of dst, blends
// it through an ellipse inscribed in the square (0.9 of its width, its full height) whose
// edge fades over feather pixels, after an unsharp mask of amount sharpen and adding shift.
func paste(dst plane, r []byte, n int, x0, y0, side, feather, sharpen, shift float64) {
	bx0, by0 := max(0, int(math.Floor(x0))), max(0, int(math.Floor(y0)))
	bx1, by1 := min(dst.width, int(math.Ceil(x0+side))), min(dst.height, int(math.Ceil(y0+side)))
	bw, bh := bx1-bx0, by1-by0
	if bw <= 0 || bh <= 0 {
		return
	}
	up := make([]float64, bw*bh)
	for y := range bh {
		sy := (float64(by0+y)+0.5-y0)/side*float64(n) - 0.5
		iy := int(math.Floor(sy))
		fy := sy - float64(iy)
		y1, y2 := clampi(iy, n), clampi(iy+1, n)
		for x := range bw {
			sx := (float64(bx0+x)+0.5-x0)/side*float64(n) - 0.5
			ix := int(math.Floor(sx))
			fx := sx - float64(ix)
			x1, x2 := clampi(ix, n), clampi(ix+1, n)
			a := float64(r[y1*n+x1])*(1-fx) + float64(r[y1*n+x2])*fx
			b := float64(r[y2*n+x1])*(1-fx) + float64(r[y2*n+x2])*fx
			up[y*bw+x] = a*(1-fy) + b*fy
		}
	}
	if sharpen > 0 {
		unsharp(up, bw, bh, sharpen)
	}
	cx, cy := x0+side/2, y0+side/2
	ax, ay := 0.45*side, 0.5*side
	for y := range bh {
		for x := range bw {
			u := (float64(bx0+x) + 0.5 - cx) / ax
			v := (float64(by0+y) + 0.5 - cy) / ay
			m := (1 - math.Hypot(u, v)) * ax / max(feather, 0.5)
			if m <= 0 {
				continue
			}
			m = min(m, 1)
			i := (by0+y)*dst.stride + bx0 + x
			val := m*(up[y*bw+x]+shift) + (1-m)*float64(dst.pix[i])
			dst.pix[i] = byte(max(0, min(255, math.Round(val))))
		}
	}
}

// unsharp sharpens a w×h plane in place: p + amount·(p − blur(p)), blur a 3×3 binomial.
func unsharp(p []float64, w, h int, amount float64) {
	blur := make([]float64, len(p))
	for y := range h {
		for x := range w {
			var s float64
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					wt := float64((2 - abs(dx)) * (2 - abs(dy)))
					s += wt * p[clampi(y+dy, h)*w+clampi(x+dx, w)]
				}
			}
			blur[y*w+x] = s / 16
		}
	}
	for i := range p {
		p[i] += amount * (p[i] - blur[i])
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// SwapStyles returns the styles of SwapAttacks for the k-th source clip: the low-resolution
// render alternates 128 and 96 pixels, the chroma shift takes 4-8 levels with alternating
// signs, and the enhanced render is the 128-pixel one sharpened (amount 1.5).
func SwapStyles(k int) []SwapStyle {
	du, dv := 4+k%5, 8-k%5
	if k%2 == 1 {
		du = -du
	}
	if k%3 == 1 {
		dv = -dv
	}
	render := 128
	if k%2 == 1 {
		render = 96
	}
	return []SwapStyle{
		{Render: render, DU: du, DV: dv},
		{Render: 128, DU: -du, DV: dv, Sharpen: 1.5},
	}
}

// swapFaces returns the face detector prototype for the swaps: opt.Faces or the embedded
// cascades, searching every frame.
func swapFaces(opt SynthOptions) (*face.Analyzer, error) {
	if opt.Faces != nil {
		return opt.Faces, nil
	}
	return face.New(face.Config{Interval: time.Millisecond})
}

// synthSwaps writes SwapAttacks for every genuine clip of corpus with a face of at least
// SwapMinFace (at most opt.Swaps clips when positive).
func synthSwaps(ctx context.Context, dir string, opt SynthOptions, corpus []Row) ([]Row, error) {
	proto, err := swapFaces(opt)
	if err != nil {
		return nil, fmt.Errorf("face swaps: %w", err)
	}
	var rows []Row
	k := 0
	for _, src := range corpus {
		if src.Label != LabelGenuine || src.Attack != "" {
			continue
		}
		if opt.Swaps > 0 && k >= opt.Swaps {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		frames, err := loadClip(ctx, SynthOptions{Open: opt.Open, FPS: opt.FPS, Duration: min(opt.Duration, swapDuration)}, src.File)
		if err != nil {
			return nil, fmt.Errorf("face swaps from %s: %w", src.Path, err)
		}
		var made []Row
		for i, st := range SwapStyles(k) {
			r, ok, err := writeSwap(dir, src, SwapAttacks[i], k+1, frames, st, proto.Fresh(), opt.FPS)
			if err != nil {
				return nil, fmt.Errorf("face swaps from %s: %w", src.Path, err)
			}
			if !ok {
				break // the face is too small to be worth a swap
			}
			made = append(made, r)
		}
		if len(made) > 0 {
			rows = append(rows, made...)
			k++
		}
	}
	return rows, nil
}

// writeSwap renders frames with style and writes them as attack n; ok is false (and nothing
// is written) when the clip's median face is under SwapMinFace.
func writeSwap(dir string, src Row, attack string, n int, frames []*media.Frame, style SwapStyle, faces *face.Analyzer, fps int) (Row, bool, error) {
	sw := NewSwapper(style, faces)
	out := make([]*media.Frame, len(frames))
	rendered := 0
	for i, f := range frames {
		var ok bool
		if out[i], ok = sw.Frame(f); ok {
			rendered++
		}
	}
	side := sw.MedianFace()
	if side < SwapMinFace || rendered < len(frames)/2 {
		return Row{}, false, nil
	}
	name := fmt.Sprintf("%s_%d.y4m", attack, n)
	if err := writeY4M(filepath.Join(dir, name), out, fps); err != nil {
		return Row{}, false, err
	}
	st := style.withDefaults()
	content := fmt.Sprintf("the same person's own face (median box %.0f px) re-rendered at %d px, upscaled and pasted with a feathered ellipse, chroma shifted (%+d, %+d)",
		side, st.Render, st.DU, st.DV)
	if st.Sharpen > 0 {
		content += fmt.Sprintf(", sharpened (unsharp mask ×%.1f) as a face enhancer does", st.Sharpen)
	}
	g := generator{src: src}
	f := frames[0]
	return g.row(name, attack, f.Width, f.Height, fps, len(out), "rawvideo", content), true, nil
}
