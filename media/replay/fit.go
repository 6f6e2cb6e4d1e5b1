package replay

import (
	"image"
	"math"
	"slices"
)

// similarity maps a point (x, y), relative to the picture centre, to its displacement
// (a·x − b·y + tx, b·x + a·y + ty): a shift, a zoom by |1+a+ib| and a rotation.
type similarity struct{ a, b, tx, ty float64 }

func (s similarity) at(x, y float64) (float64, float64) {
	return s.a*x - s.b*y + s.tx, s.b*x + s.a*y + s.ty
}

// fit is the least-squares similarity of the inlier vectors (closed form: centred
// coordinates decouple the shift from zoom and rotation).
func fit(vs []blockVec) similarity {
	var n, mx, my, mu, mv float64
	for _, b := range vs {
		if b.in {
			n++
			mx, my, mu, mv = mx+b.x, my+b.y, mu+b.u, mv+b.v
		}
	}
	if n == 0 {
		return similarity{}
	}
	mx, my, mu, mv = mx/n, my/n, mu/n, mv/n
	var sxx, sa, sb float64
	for _, b := range vs {
		if b.in {
			x, y, u, v := b.x-mx, b.y-my, b.u-mu, b.v-mv
			sxx += x*x + y*y
			sa += x*u + y*v
			sb += x*v - y*u
		}
	}
	var s similarity
	if sxx > 0 {
		s.a, s.b = sa/sxx, sb/sxx
	}
	s.tx = mu - (s.a*mx - s.b*my)
	s.ty = mv - (s.b*mx + s.a*my)
	return s
}

// refine improves the transform to a small fraction of a pixel by Gauss-Newton steps
// on the whole picture (Lucas-Kanade for a similarity): block matching alone is biased
// towards whole pixels, and on a textured photo a quarter-pixel error leaves as much
// difference as a blink.
func (m *motionDetector) refine(s similarity, cx, cy float64) similarity {
	for range 2 {
		var h [4][4]float64
		var g [4]float64
		// Every second pixel in both directions, with the gradients of the new picture
		// (the transform is small, so they stand in for the old one's at the moved point:
		// one bilinear sample per pixel instead of five).
		for y := 2; y < m.h-2; y += 2 {
			for x := 2; x < m.w-2; x += 2 {
				px, py := float64(x)+0.5-cx, float64(y)+0.5-cy
				du, dv := s.at(px, py)
				sx, sy := float64(x)-du, float64(y)-dv
				if sx < 0 || sy < 0 || int(sx)+1 >= m.w || int(sy)+1 >= m.h {
					continue
				}
				i := y*m.w + x
				gx := (float64(m.cur[i+1]) - float64(m.cur[i-1])) / 2
				gy := (float64(m.cur[i+m.w]) - float64(m.cur[i-m.w])) / 2
				r := float64(m.cur[i]) - m.sample(sx, sy)
				// cur(p) = old(p - d(p)): d(cur) / d(theta) = -grad(old) * d(d)/d(theta).
				j := [4]float64{-(gx*px + gy*py), -(-gx*py + gy*px), -gx, -gy}
				for a := range 4 {
					g[a] += j[a] * r
					for b := a; b < 4; b++ {
						h[a][b] += j[a] * j[b]
					}
				}
			}
		}
		for a := range 4 {
			for b := range a {
				h[a][b] = h[b][a]
			}
		}
		d, ok := solve4(h, g)
		if !ok {
			return s
		}
		s.a, s.b, s.tx, s.ty = s.a+d[0], s.b+d[1], s.tx+d[2], s.ty+d[3]
		if math.Abs(d[2])+math.Abs(d[3]) < 0.01 {
			break
		}
	}
	return s
}

// sample is the old picture at (x, y), bilinearly; the caller keeps (x, y) inside.
func (m *motionDetector) sample(x, y float64) float64 {
	ix, iy := int(x), int(y)
	fx, fy := x-float64(ix), y-float64(iy)
	o := m.old[iy*m.w+ix:]
	p := m.old[(iy+1)*m.w+ix:]
	a := float64(o[0])*(1-fx) + float64(o[1])*fx
	b := float64(p[0])*(1-fx) + float64(p[1])*fx
	return a*(1-fy) + b*fy
}

// solve4 solves h·x = g by Gaussian elimination with partial pivoting.
func solve4(h [4][4]float64, g [4]float64) ([4]float64, bool) {
	var x [4]float64
	for c := range 4 {
		p := c
		for r := c + 1; r < 4; r++ {
			if math.Abs(h[r][c]) > math.Abs(h[p][c]) {
				p = r
			}
		}
		if math.Abs(h[p][c]) < 1e-9 {
			return x, false
		}
		h[c], h[p] = h[p], h[c]
		g[c], g[p] = g[p], g[c]
		for r := c + 1; r < 4; r++ {
			f := h[r][c] / h[c][c]
			for k := c; k < 4; k++ {
				h[r][k] -= f * h[c][k]
			}
			g[r] -= f * g[c]
		}
	}
	for c := 3; c >= 0; c-- {
		v := g[c]
		for k := c + 1; k < 4; k++ {
			v -= h[c][k] * x[k]
		}
		x[c] = v / h[c][c]
	}
	return x, true
}

// floorResidual is the upper quartile, over an 8×6 grid of the whole picture, of the mean
// absolute difference after compensation: what resampling, noise and coding leave
// everywhere, against which the face's change is judged.
func (m *motionDetector) floorResidual(s similarity, cx, cy float64) float64 {
	var cells [48]float64
	for j := range 6 {
		for i := range 8 {
			box := image.Rect(i*m.w/8, j*m.h/6, (i+1)*m.w/8, (j+1)*m.h/6).Intersect(image.Rect(2, 2, m.w-2, m.h-2))
			cells[j*8+i] = m.meanResidual(box, s, cx, cy, 2)
		}
	}
	slices.Sort(cells[:])
	return cells[35] // the upper quartile: resampling errors are largest where there is texture
}

// meanResidual is the mean absolute difference inside box after compensation, on every
// step-th pixel in both directions.
func (m *motionDetector) meanResidual(box image.Rectangle, s similarity, cx, cy float64, step int) float64 {
	var sum float64
	n := 0
	for y := box.Min.Y; y < box.Max.Y; y += step {
		for x := box.Min.X; x < box.Max.X; x += step {
			du, dv := s.at(float64(x)+0.5-cx, float64(y)+0.5-cy)
			sx, sy := float64(x)-du, float64(y)-dv
			if sx < 0 || sy < 0 || int(sx)+1 >= m.w || int(sy)+1 >= m.h {
				continue
			}
			sum += math.Abs(float64(m.cur[y*m.w+x]) - m.sample(sx, sy))
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// residual is the largest mean absolute difference, over a 4×4 grid of cells of box,
// between the new picture and the old one moved by the transform (bilinear sampling).
// Cells, not the whole box: a blink or a moving mouth changes a small part of the face.
func (m *motionDetector) residual(box image.Rectangle, s similarity, cx, cy float64) float64 {
	if box.Dx() < 4 || box.Dy() < 4 {
		return 0
	}
	var sum [4][4]float64
	var cnt [4][4]int
	for y := box.Min.Y; y < box.Max.Y; y++ {
		cyi := (y - box.Min.Y) * 4 / box.Dy()
		for x := box.Min.X; x < box.Max.X; x++ {
			px, py := float64(x)+0.5-cx, float64(y)+0.5-cy
			du, dv := s.at(px, py)
			sx, sy := float64(x)-du, float64(y)-dv
			ix, iy := int(math.Floor(sx)), int(math.Floor(sy))
			if ix < 0 || iy < 0 || ix+1 >= m.w || iy+1 >= m.h {
				continue
			}
			fx, fy := sx-float64(ix), sy-float64(iy)
			o := m.old[iy*m.w+ix:]
			p := m.old[(iy+1)*m.w+ix:]
			a := float64(o[0])*(1-fx) + float64(o[1])*fx
			b := float64(p[0])*(1-fx) + float64(p[1])*fx
			cxi := (x - box.Min.X) * 4 / box.Dx()
			sum[cyi][cxi] += math.Abs(float64(m.cur[y*m.w+x]) - (a*(1-fy) + b*fy))
			cnt[cyi][cxi]++
		}
	}
	worst := 0.0
	for j := range 4 {
		for i := range 4 {
			if cnt[j][i] > 0 {
				worst = max(worst, sum[j][i]/float64(cnt[j][i]))
			}
		}
	}
	return worst
}
