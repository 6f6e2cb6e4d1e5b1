package liveness

import (
	"image"
	"math"

	"github.com/integritybot/integritybot/media"
)

// blocks is the face region reduced to a patchN×patchN grid: per block the mean luma and
// the mean chroma (Cb, Cr).
type blocks struct {
	y, u, v [patchN * patchN]float32
}

// sampleBlocks fills b from region r of f, reading every step-th row and column. r must lie
// inside the frame and be at least patchN pixels on each side. It reports false when the
// frame's planes are too short for r.
func sampleBlocks(f *media.Frame, r image.Rectangle, step int, b *blocks) bool {
	if r.Min.X < 0 || r.Min.Y < 0 || r.Max.X > f.Width || r.Max.Y > f.Height ||
		r.Dx() < patchN || r.Dy() < patchN || len(f.Y) < (f.Height-1)*f.YStride+f.Width {
		return false
	}
	haveC := len(f.U) >= ((f.Height+1)/2-1)*f.UVStride+(f.Width+1)/2 && len(f.V) >= len(f.U) && f.UVStride > 0
	for gy := range patchN {
		y0, y1 := r.Min.Y+gy*r.Dy()/patchN, r.Min.Y+(gy+1)*r.Dy()/patchN
		for gx := range patchN {
			x0, x1 := r.Min.X+gx*r.Dx()/patchN, r.Min.X+(gx+1)*r.Dx()/patchN
			sy, su, sv, n := 0, 0, 0, 0
			for y := y0; y < y1; y += step {
				row := f.Y[y*f.YStride:]
				var crow, vrow []byte
				if haveC {
					crow, vrow = f.U[(y/2)*f.UVStride:], f.V[(y/2)*f.UVStride:]
				}
				for x := x0; x < x1; x += step {
					sy += int(row[x])
					if haveC {
						su += int(crow[x/2])
						sv += int(vrow[x/2])
					}
					n++
				}
			}
			i, k := gy*patchN+gx, 1/float32(max(n, 1))
			b.y[i] = float32(sy) * k
			if haveC {
				b.u[i], b.v[i] = float32(su)*k, float32(sv)*k
			} else {
				b.u[i], b.v[i] = 128, 128
			}
		}
	}
	return true
}

// change is how two looks of the same region differ: the mean absolute difference of the
// block means, luma in levels, chroma in Cb plus Cr levels.
type change struct {
	luma, chroma float64
}

// diff returns the change from a to b.
func diff(a, b *blocks) change {
	var dy, dc float64
	for i := range a.y {
		dy += math.Abs(float64(b.y[i] - a.y[i]))
		dc += math.Abs(float64(b.u[i]-a.u[i])) + math.Abs(float64(b.v[i]-a.v[i]))
	}
	n := float64(len(a.y))
	return change{luma: dy / n, chroma: dc / n}
}

// flashSamples is how many rows and columns of each block lumaBlocks reads.
const flashSamples = 4

// lumaBlocks fills y with the mean luma of each block of region r of f from a fixed
// flashSamples×flashSamples grid of pixels per block: the same pixels every frame, so a still
// picture gives the same means, at a fixed cost whatever the face's size (~2,300 reads). It
// reports false when r does not fit in the frame.
func lumaBlocks(f *media.Frame, r image.Rectangle, y *[patchN * patchN]float32) bool {
	if r.Min.X < 0 || r.Min.Y < 0 || r.Max.X > f.Width || r.Max.Y > f.Height ||
		r.Dx() < patchN || r.Dy() < patchN || len(f.Y) < (f.Height-1)*f.YStride+f.Width {
		return false
	}
	var xs [patchN * flashSamples]int
	for i := range xs {
		xs[i] = r.Min.X + (2*i+1)*r.Dx()/(2*len(xs))
	}
	*y = [patchN * patchN]float32{}
	for j := range patchN * flashSamples {
		row := f.Y[(r.Min.Y+(2*j+1)*r.Dy()/(2*patchN*flashSamples))*f.YStride:]
		out := y[(j/flashSamples)*patchN:]
		for gx := range patchN {
			sum := 0
			for _, x := range xs[gx*flashSamples : (gx+1)*flashSamples] {
				sum += int(row[x])
			}
			out[gx] += float32(sum)
		}
	}
	for i := range y {
		y[i] /= flashSamples * flashSamples
	}
	return true
}
