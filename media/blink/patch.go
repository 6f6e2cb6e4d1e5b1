package blink

import (
	"image"

	"github.com/integritybot/integritybot/media"
)

// A patch is a small grid of block means of the luma around an eye (or the nose bridge),
// scaled to the face, with a margin of cells on every side so that two patches can be
// compared at small shifts (head motion and the face box's jitter between detections).
const (
	cellsX, cellsY = 16, 8 // compared cells
	margin         = 2     // extra cells on each side
	gridX, gridY   = cellsX + 2*margin, cellsY + 2*margin
)

// Size of a patch as fractions of the face box's side: an eye is about a fifth of the face
// wide; the patch takes the eyelids, the brow's lower edge and some skin around it.
const patchW, patchH = 0.26, 0.13

type patch struct {
	v    [gridY * gridX]float32 // block means, mean over the compared cells removed
	cont float32                // mean absolute deviation of the compared cells (contrast)
}

// sample fills p from the luma of f around centre c for a face box of side s, and reports
// whether the patch lies inside the frame and is at least one pixel per cell.
func (p *patch) sample(f *media.Frame, c image.Point, s float64) bool {
	cw, ch := patchW*s/cellsX, patchH*s/cellsY
	if cw < 1 || ch < 1 {
		return false
	}
	x0 := float64(c.X) - cw*gridX/2
	y0 := float64(c.Y) - ch*gridY/2
	if x0 < 0 || y0 < 0 || x0+cw*gridX > float64(f.Width) || y0+ch*gridY > float64(f.Height) {
		return false
	}
	// Pixels read per cell: every second row and column once a cell is 4 px or more.
	step := 1
	if cw >= 4 && ch >= 4 {
		step = 2
	}
	for gy := range gridY {
		ya, yb := int(y0+float64(gy)*ch), int(y0+float64(gy+1)*ch)
		for gx := range gridX {
			xa, xb := int(x0+float64(gx)*cw), int(x0+float64(gx+1)*cw)
			sum, n := 0, 0
			for y := ya; y < yb; y += step {
				row := f.Y[y*f.YStride:]
				for x := xa; x < xb; x += step {
					sum += int(row[x])
					n++
				}
			}
			p.v[gy*gridX+gx] = float32(sum) / float32(max(n, 1))
		}
	}
	var mean float32
	for y := margin; y < margin+cellsY; y++ {
		for x := margin; x < margin+cellsX; x++ {
			mean += p.v[y*gridX+x]
		}
	}
	mean /= cellsX * cellsY
	var dev float32
	for i := range p.v {
		p.v[i] -= mean
	}
	for y := margin; y < margin+cellsY; y++ {
		for x := margin; x < margin+cellsX; x++ {
			dev += abs32(p.v[y*gridX+x])
		}
	}
	p.cont = dev / (cellsX * cellsY)
	return true
}

var shifts = [2*margin + 1]int{0, -1, 1, -2, 2}

// diff is the smallest mean absolute difference, in luma levels, between the compared cells
// of a and those of b shifted by up to margin cells either way (mean brightness removed).
func diff(a, b *patch) float32 {
	d, _ := diffAt(a, b)
	return d
}

// diffAt is diff and the shift of b, in cells, at which it is smallest (no shift on a tie).
func diffAt(a, b *patch) (float32, image.Point) {
	best := float32(-1)
	var at image.Point
	// Nearest shifts first: the best is usually small early, and later shifts stop early.
	for _, dy := range shifts {
		for _, dx := range shifts {
			var s float32
			for y := margin; y < margin+cellsY && (best < 0 || s < best); y++ {
				ra := a.v[y*gridX+margin : y*gridX+margin+cellsX]
				o := (y+dy)*gridX + margin + dx
				rb := b.v[o : o+cellsX]
				for x := range ra {
					s += abs32(ra[x] - rb[x])
				}
			}
			if best < 0 || s < best {
				best, at = s, image.Pt(dx, dy)
			}
		}
	}
	return best / (cellsX * cellsY), at
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
