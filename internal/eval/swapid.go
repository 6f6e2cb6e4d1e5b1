package eval

import (
	"image"
	"math"
	"path/filepath"
	"strings"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// IDSwapper pastes ANOTHER person's face onto the main face of successive frames, the way a
// one-shot swapper with a 128-pixel generator (inswapper_128 in roop, Deep-Live-Cam,
// FaceFusion) does, without its network: the source face (face B, one still picture) is
// sampled from its enlarged face box down to Render×Render, its colour moved to the target's
// (mean and spread of Y, mean of U and V inside the face ellipse matched to those of the target face
// in the same frame, the chroma's mean only), then upscaled onto the target's tracked face box (face A), blended
// through the feathered ellipse of Swapper and optionally sharpened as a face enhancer does.
// The warp is a box-to-box similarity, not a landmark alignment: head turns of A are not
// followed by B's face, which is what a swapper that lost its alignment shows.
type IDSwapper struct {
	sw         *Swapper
	ry, ru, rv []byte // face B rendered at Render (Y) and Render/2 (U, V)
	st         SwapStyle
}

// NewIDSwapper returns a swapper pasting the face in box of src (a still picture of face B)
// onto the main face that faces (a fresh analyzer) finds in each frame.
func NewIDSwapper(style SwapStyle, src *media.Frame, box image.Rectangle, faces *face.Analyzer) *IDSwapper {
	s := &IDSwapper{sw: NewSwapper(style, faces)}
	s.st = s.sw.style
	n, cn := s.st.Render, max(s.st.Render/2, 1)
	side := float64(box.Dx()) * s.st.Enlarge
	x0 := float64(box.Min.X+box.Max.X)/2 - side/2
	y0 := float64(box.Min.Y+box.Max.Y)/2 - side/2
	s.ry, s.ru, s.rv = renderBox(src, n, cn, x0, y0, side)
	return s
}

// renderBox samples the square (x0, y0, side) of f to n×n luma and cn×cn chroma.
func renderBox(f *media.Frame, n, cn int, x0, y0, side float64) (ry, ru, rv []byte) {
	ry, ru, rv = make([]byte, n*n), make([]byte, cn*cn), make([]byte, cn*cn)
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	resizePlane(ry, n, n, n, f.Y, f.YStride, f.Width, f.Height, x0, y0, side, side)
	resizePlane(ru, cn, cn, cn, f.U, f.UVStride, cw, ch, x0/2, y0/2, side/2, side/2)
	resizePlane(rv, cn, cn, cn, f.V, f.UVStride, cw, ch, x0/2, y0/2, side/2, side/2)
	return ry, ru, rv
}

// Frame returns a copy of f with face B pasted over its main face, and whether a face was
// found to paste on.
func (s *IDSwapper) Frame(f *media.Frame) (*media.Frame, bool) {
	s.sw.track(f)
	out := f.Clone()
	if !s.sw.have {
		return out, false
	}
	s.pasteAt(f, out, s.sw.box)
	return out, true
}

// pasteAt pastes face B onto out over the tracked box b (centre x, centre y, side), its
// colour matched to the target face of f.
func (s *IDSwapper) pasteAt(f, out *media.Frame, b [3]float64) {
	st := s.st
	side := b[2] * st.Enlarge
	x0, y0 := b[0]-side/2, b[1]-side/2
	n, cn := st.Render, max(st.Render/2, 1)
	ty, tu, tv := renderBox(f, n, cn, x0, y0, side)
	feather := st.Feather * b[2]
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	paste(plane{out.Y, out.YStride, out.Width, out.Height}, matchColour(s.ry, ty, n, true), n, x0, y0, side, feather, st.Sharpen, 0)
	paste(plane{out.U, out.UVStride, cw, ch}, matchColour(s.ru, tu, cn, false), cn, x0/2, y0/2, side/2, feather/2, 0, 0)
	paste(plane{out.V, out.UVStride, cw, ch}, matchColour(s.rv, tv, cn, false), cn, x0/2, y0/2, side/2, feather/2, 0, 0)
}

// MedianFace is the median side of the target faces found so far (Swapper.MedianFace).
func (s *IDSwapper) MedianFace() float64 { return s.sw.MedianFace() }

// matchColour returns src (n×n) with the mean, inside the inscribed ellipse of paste, of ref,
// and with spread its standard deviation too (the gain bounded to [0.5, 2]): a colour transfer
// from the target face to the pasted one. Chroma takes the mean only: the spread of a face's
// chroma is a few levels, and scaling it paints noise.
func matchColour(src, ref []byte, n int, spread bool) []byte {
	ms, ss := ellipseStats(src, n)
	mr, sr := ellipseStats(ref, n)
	g := 1.0
	if spread {
		g = max(0.5, min(2, sr/max(ss, 1)))
	}
	out := make([]byte, len(src))
	for i, v := range src {
		out[i] = byte(max(0, min(255, math.Round((float64(v)-ms)*g+mr))))
	}
	return out
}

// ellipseStats is the mean and standard deviation of p (n×n) inside the ellipse of paste.
func ellipseStats(p []byte, n int) (mean, sd float64) {
	var s, s2, k float64
	c := float64(n) / 2
	for y := range n {
		for x := range n {
			u, v := (float64(x)+0.5-c)/(0.45*float64(n)), (float64(y)+0.5-c)/(0.5*float64(n))
			if u*u+v*v > 1 {
				continue
			}
			f := float64(p[y*n+x])
			s, s2, k = s+f, s2+f*f, k+1
		}
	}
	if k == 0 {
		return 128, 1
	}
	mean = s / k
	return mean, math.Sqrt(max(s2/k-mean*mean, 0))
}

// SwapFamily names the swapper of a corpus file from its path, as the face-swap detector's
// figures are reported (docs/faceswap-model.md): dfl_live, dfl_insightface, ghost,
// deepfacelab, blendface; "" for anything outside fake/.
func SwapFamily(path string) string {
	b := filepath.Base(path)
	switch {
	case !strings.HasPrefix(path, "fake/"):
		return ""
	case strings.HasPrefix(b, "dfl_insightface"):
		return "dfl_insightface"
	case strings.HasPrefix(b, "dfl_"):
		return "dfl_live"
	case strings.HasPrefix(b, "ghost_"):
		return "ghost"
	case strings.HasPrefix(b, "deepfacelab_"):
		return "deepfacelab"
	case strings.HasPrefix(b, "blendface_"):
		return "blendface"
	}
	return "other_swap"
}
