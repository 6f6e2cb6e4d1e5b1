package faceswap

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/eval"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/vpx"
)

// call passes frames through VP8 at about 0.15 bits per pixel, as a browser sends a camera.
type call struct {
	enc *vpx.Encoder
	dec *vpx.Decoder
	n   int
}

func (c *call) pass(t testing.TB, f *media.Frame) *media.Frame {
	if c.enc == nil {
		var err error
		if c.enc, err = vpx.NewEncoder(vpx.VP8, f.Width, f.Height, 25, max(200, f.Width*f.Height*25*15/100/1000)); err != nil {
			t.Fatal(err)
		}
		if c.dec, err = vpx.NewDecoder(vpx.VP8); err != nil {
			t.Fatal(err)
		}
	}
	pk, err := c.enc.Encode(f, c.n == 0)
	c.n++
	if err != nil {
		t.Fatal(err)
	}
	out := f
	for _, p := range pk {
		g, err := c.dec.Decode(p.Data, f.PTS)
		if err != nil {
			t.Fatal(err)
		}
		if g != nil {
			out = g.Clone()
			out.PTS = f.PTS
		}
	}
	return out
}

func (c *call) close() {
	if c.enc != nil {
		c.enc.Close()
		c.dec.Close()
	}
}

// periodic is a resampling cue (after Popescu and Farid): a picture upscaled bilinearly from
// a coarser grid has its second differences peak periodically at the grid's pitch. It sums,
// along x and along y, the log peak-to-median power of the spectrum of the inner face's
// |second difference| profile, leaving out the 8-pixel block frequencies of the codecs.
func periodic(f *media.Frame, box image.Rectangle) float64 {
	s := float64(box.Dx())
	cx, cy := float64(box.Min.X+box.Max.X)/2, float64(box.Min.Y+box.Max.Y)/2
	return periodicAt(f, cx, cy, s)
}

// periodicRef is periodic on the same-sized squares left and right of the face (the larger).
func periodicRef(f *media.Frame, box image.Rectangle) float64 {
	s := float64(box.Dx())
	cx, cy := float64(box.Min.X+box.Max.X)/2, float64(box.Min.Y+box.Max.Y)/2
	return max(periodicAt(f, cx-0.8*s, cy, s), periodicAt(f, cx+0.8*s, cy, s))
}

func periodicAt(f *media.Frame, cx, cy, s float64) float64 {
	if cx-0.25*s < 1 || cx+0.25*s > float64(f.Width-1) {
		return 0
	}
	x0, x1 := max(1, int(cx-0.25*s)), min(f.Width-1, int(cx+0.25*s))
	y0, y1 := max(1, int(cy-0.25*s)), min(f.Height-1, int(cy+0.35*s))
	if x1-x0 < 16 || y1-y0 < 16 {
		return 0
	}
	px := make([]float64, x1-x0)
	py := make([]float64, y1-y0)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			i := y*f.YStride + x
			c := 2 * int(f.Y[i])
			px[x-x0] += math.Abs(float64(int(f.Y[i-1]) + int(f.Y[i+1]) - c))
			py[y-y0] += math.Abs(float64(int(f.Y[i-f.YStride]) + int(f.Y[i+f.YStride]) - c))
		}
	}
	return peak(px) + peak(py)
}

// peak returns the log of the strongest over the median spectral power of p between 0.06
// and 0.5 cycles per pixel, away from multiples of 1/8.
func peak(p []float64) float64 {
	n := len(p)
	var m float64
	for _, v := range p {
		m += v / float64(n)
	}
	var pw []float64
	best := 0.0
	for k := 1; k < n/2; k++ {
		fr := float64(k) / float64(n)
		if fr < 0.06 {
			continue
		}
		skip := false
		for j := 1; j <= 4; j++ {
			if math.Abs(fr-float64(j)/8) < 0.02 {
				skip = true
			}
		}
		if skip {
			continue
		}
		var re, im float64
		for x, v := range p {
			a := 2 * math.Pi * float64(k*x) / float64(n)
			re += (v - m) * math.Cos(a)
			im += (v - m) * math.Sin(a)
		}
		q := re*re + im*im
		pw = append(pw, q)
		best = max(best, q)
	}
	if len(pw) == 0 {
		return 0
	}
	slices.Sort(pw)
	return math.Log(best / (pw[len(pw)/2] + 1e-9))
}

// TestSwapResampling measures periodic on every genuine clip and its synthesized swaps, as
// written (raw) and after one VP8 pass at about 0.15 bits per pixel (what a browser sends):
// the cue separates the raw files but not the VP8 ones, so it stays out of the score
// (docs/checks/face_swap-passive-cues.md). About a minute: FACESWAP_MEASURE=1.
func TestSwapResampling(t *testing.T) {
	if os.Getenv("FACESWAP_MEASURE") == "" {
		t.Skip("set FACESWAP_MEASURE=1 (about a minute)")
	}
	dir := corpusDir(t)
	var b strings.Builder
	type key struct {
		vp8  bool
		kind string
	}
	med := map[key][]float64{}
	for i, row := range corpusRows {
		if strings.Contains(row.path, "2person") {
			continue
		}
		p := filepath.Join(dir, row.path)
		kinds := append([]string{"genuine"}, eval.SwapAttacks...)
		if row.attack {
			kinds = []string{"ghost"}
		}
		for _, vp8 := range []bool{false, true} {
			for j, k := range kinds {
				var sw *eval.Swapper
				if j > 0 {
					sw = eval.NewSwapper(eval.SwapStyles(i)[j-1], swapFaces(t))
				}
				fa := newFaces(t)
				var c call
				var vals, refs []float64
				eachFrame(t, p, 4*time.Second, func(f *media.Frame) {
					if sw != nil {
						f, _ = sw.Frame(f)
					}
					if vp8 {
						f = c.pass(t, f)
					}
					fa.Observe(f)
					for _, d := range fa.Recent(nil, 2) {
						if d.PTS == f.PTS && d.Rank == 0 && d.Box.Dx() >= 40 {
							vals = append(vals, periodic(f, d.Box))
							refs = append(refs, periodicRef(f, d.Box))
						}
					}
				})
				c.close()
				slices.Sort(vals)
				slices.Sort(refs)
				if len(vals) > 0 {
					fmt.Fprintf(&b, "%-36s %-20s vp8=%-5v n=%2d median %.2f ref %.2f\n", filepath.Base(p), k, vp8, len(vals), vals[len(vals)/2], refs[len(refs)/2])
					med[key{vp8, k}] = append(med[key{vp8, k}], vals[len(vals)/2])
				}
			}
		}
	}
	t.Log("\n" + b.String())
	for _, vp8 := range []bool{false, true} {
		top := slices.Max(med[key{vp8, "genuine"}])
		for _, k := range eval.SwapAttacks {
			n := 0
			for _, v := range med[key{vp8, k}] {
				if v > top {
					n++
				}
			}
			t.Logf("vp8=%v: %s above the highest genuine clip median (%.2f): %d of %d", vp8, k, top, n, len(med[key{vp8, k}]))
		}
	}
}
