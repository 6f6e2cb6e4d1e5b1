package liveness

import (
	"image"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/snapshot"
)

// A real-time face swap that loses the face under the challenge — the head turned away, a
// hand over the face — shows the camera's picture, the real face, until it finds the face
// again; then its rendered face is back. Both switches happen from one frame to the next:
// most of the face region turns into another face, while the frames just before and after
// change little. A live face changes gradually: between two frames it moves, and the frame
// before, moved, predicts the next one (docs/checks/liveness.md, "A swap that breaks"). So
// inside prompt windows every frame's fixed face region is reduced to a fineN×fineN grid of
// cell means, and each block of it is compared with the frame before shifted by the best of
// ±fineShift cells each way for that block (the head, a hand and the background move
// apart), the region's mean change taken off (a camera stepping its exposure moves every
// cell alike); a cell jumped when what is left is cutStep levels or more.
const (
	// fineN is the side of the grid of cell means (a cell is about 6 % of the face's width).
	fineN = 24
	// fineShift is the largest shift, in cells, tried between two frames (about 12 % of the
	// face's width: a fast head move between two frames at 20 fps).
	fineShift = 4
	// fineInner is the part of the grid compared: fineShift cells in from each edge.
	fineInner = fineN - 2*fineShift
	// cutStep is the least a cell must jump, in luma levels, beyond the region's mean
	// change after the best shift of its block.
	cutStep = 20
	// A frame is a cut when cutCells or more of the fineInner² compared cells jumped, and
	// both the frame before and the one after had at most cutIsolation of that many jump (a
	// sustained fast motion is no cut). A prompt is a break when it has breakCuts cuts: the
	// swap losing the face and finding it again. Fixed on the train and val people of the
	// generated breaks (internal/eval TestMeasureBreaks): the second-strongest standing-alone
	// frame of 25 genuine prompts reached at most 27 cells at 20 levels; 28 of their 46
	// breaking swaps reached 28 or more (docs/checks/liveness.md).
	cutCells     = 28
	cutIsolation = 0.5
	breakCuts    = 2
	// dupLevel: a frame whose every cell is within this many levels of the frame before
	// repeats it (decoding noise of a repeated picture).
	dupLevel = 1.5
)

// grid is a face region reduced to fineN×fineN cell means.
type grid [fineN * fineN]float32

// fineGrid fills g with the mean luma of r's cells, reading every second row and column.
// It reports false when r does not fit in f or is under 2·fineN pixels on a side.
func fineGrid(f *media.Frame, r image.Rectangle, g *grid) bool {
	if r.Min.X < 0 || r.Min.Y < 0 || r.Max.X > f.Width || r.Max.Y > f.Height ||
		r.Dx() < 2*fineN || r.Dy() < 2*fineN || len(f.Y) < (f.Height-1)*f.YStride+f.Width {
		return false
	}
	for gy := range fineN {
		y0, y1 := r.Min.Y+gy*r.Dy()/fineN, r.Min.Y+(gy+1)*r.Dy()/fineN
		for gx := range fineN {
			x0, x1 := r.Min.X+gx*r.Dx()/fineN, r.Min.X+(gx+1)*r.Dx()/fineN
			sum, n := 0, 0
			for y := y0; y < y1; y += 2 {
				row := f.Y[y*f.YStride:]
				for x := x0; x < x1; x += 2 {
					sum += int(row[x])
					n++
				}
			}
			g[gy*fineN+gx] = float32(sum) / float32(max(n, 1))
		}
	}
	return true
}

// fineBlock is the side, in cells, of the blocks that each take their own shift: the head,
// a hand and the background behind them move differently.
const fineBlock = 4

// residual fills d with now minus prev, each fineBlock×fineBlock block of the inner cells
// compared with prev shifted by the shift (of ±fineShift cells each way) that leaves that
// block the least mean absolute change, the frame's mean change taken off first (a camera
// stepping its exposure moves every cell alike).
func residual(now, prev *grid, d *[fineInner * fineInner]float32) {
	var mean float32
	for y := fineShift; y < fineN-fineShift; y++ {
		for x := fineShift; x < fineN-fineShift; x++ {
			mean += now[y*fineN+x] - prev[y*fineN+x]
		}
	}
	mean /= fineInner * fineInner
	for by := 0; by < fineInner; by += fineBlock {
		for bx := 0; bx < fineInner; bx += fineBlock {
			// No shift first; a shift whose cost passes the best so far is dropped early.
			best, sx, sy := blockCost(now, prev, bx, by, 0, 0, mean, -1), 0, 0
			for dy := -fineShift; dy <= fineShift; dy++ {
				for dx := -fineShift; dx <= fineShift; dx++ {
					if cost := blockCost(now, prev, bx, by, dx, dy, mean, best); cost < best {
						best, sx, sy = cost, dx, dy
					}
				}
			}
			for y := by; y < by+fineBlock; y++ {
				for x := bx; x < bx+fineBlock; x++ {
					gy, gx := y+fineShift, x+fineShift
					d[y*fineInner+x] = now[gy*fineN+gx] - prev[(gy+sy)*fineN+gx+sx] - mean
				}
			}
		}
	}
}

// blockCost is the sum of absolute changes of the block at inner cell (bx, by) from prev
// shifted by (dx, dy), mean taken off; it stops once past limit (no limit when negative).
func blockCost(now, prev *grid, bx, by, dx, dy int, mean, limit float32) float32 {
	var cost float32
	for y := by; y < by+fineBlock; y++ {
		gy := y + fineShift
		r, p := now[gy*fineN+fineShift:], prev[(gy+dy)*fineN+fineShift+dx:]
		for x := bx; x < bx+fineBlock; x++ {
			cost += abs32(r[x] - p[x] - mean)
		}
		if limit >= 0 && cost >= limit {
			return cost
		}
	}
	return cost
}

// cutFrame is one frame's jump count.
type cutFrame struct {
	at     time.Duration
	blocks int                      // cells that jumped since the frame before (-1: a break in the series)
	jump   float32                  // their mean jump, luma levels
	by     [len(measureSteps)]int16 // cells that jumped by each of measureSteps
}

// measureSteps are the jump sizes StrongestCuts counts blocks at, for measurements.
var measureSteps = [...]float32{8, 12, 16, 20, 24, 32}

// cut is a frame where the face region switched to another picture.
type cut struct {
	at     time.Duration
	blocks int
	jump   float32
	iso    float64 // the larger neighbour's count over this frame's
}

// splice follows the fixed face region frame by frame for cuts.
type splice struct {
	region image.Rectangle
	prev   grid
	now    grid
	have   bool
	last   time.Duration
	frames []cutFrame // newest last, the last keep of call time
	snaps  []cutSnap  // snapshots of the newest frames that may be cuts
	d      [fineInner * fineInner]float32
}

// observe adds frame f's region r; a new region or a gap in the frames starts the
// comparison again (no cut across it). It reports whether the frame may be a cut (cutCells
// or more jumped, far more than in the frame before; the frame after decides).
func (s *splice) observe(f *media.Frame, r image.Rectangle, keep time.Duration) bool {
	t := f.PTS
	if !fineGrid(f, r, &s.now) {
		s.have = false
		return false
	}
	if !s.have || r != s.region || t-s.last > flashGap {
		s.region, s.prev, s.have, s.last = r, s.now, true, t
		if len(s.frames) > 0 {
			s.frames = append(s.frames, cutFrame{at: t, blocks: -1}) // a break in the series
		}
		return false
	}
	dup := true
	for i := range s.now {
		if abs32(s.now[i]-s.prev[i]) >= dupLevel {
			dup = false
			break
		}
	}
	if dup {
		// The same picture again (a camera or a recording repeating frames): not a frame of
		// its own, or the change after it would stand alone like a cut.
		s.last = t
		return false
	}
	residual(&s.now, &s.prev, &s.d)
	cf := cutFrame{at: t}
	var sum float32
	for _, v := range s.d {
		a := abs32(v)
		if a >= cutStep {
			cf.blocks++
			sum += a
		}
		for k, step := range measureSteps {
			if a >= step {
				cf.by[k]++
			}
		}
	}
	if cf.blocks > 0 {
		cf.jump = sum / float32(cf.blocks)
	}
	s.frames = append(s.frames, cf)
	s.prev, s.last = s.now, t
	i := 0
	for i < len(s.frames) && t-s.frames[i].at > keep {
		i++
	}
	if i > 0 {
		s.frames = append(s.frames[:0], s.frames[i:]...)
	}
	prev := 0
	if k := len(s.frames); k >= 2 {
		prev = s.frames[k-2].blocks
	}
	return cf.blocks >= cutCells && prev >= 0 && float64(prev) <= cutIsolation*float64(cf.blocks)
}

// maxCutSnaps bounds the snapshots of possible cuts kept (the newest).
const maxCutSnaps = 6

// cutSnap is the evidence snapshot of a frame that may be a cut.
type cutSnap struct {
	at  time.Duration
	jpg string
}

// snap keeps the snapshot of f (the frame just observed) with the face box.
func (s *splice) snap(f *media.Frame, box image.Rectangle) {
	j, err := snapshot.Encode(f, box, snapshot.DefaultWidth)
	if err != nil {
		return
	}
	if len(s.snaps) == maxCutSnaps {
		s.snaps = append(s.snaps[:0], s.snaps[1:]...)
	}
	s.snaps = append(s.snaps, cutSnap{f.PTS, j})
}

// snapAt returns the snapshot of the frame at t ("" when it is gone).
func (s *splice) snapAt(t time.Duration) string {
	for _, c := range s.snaps {
		if c.at == t {
			return c.jpg
		}
	}
	return ""
}

// cuts returns the frames from from to to that are cuts: cutBlocks or more blocks jumped,
// and the neighbouring frames (same series) at most cutIsolation of that many.
func (s *splice) cuts(from, to time.Duration) []cut {
	var out []cut
	for i := 1; i+1 < len(s.frames); i++ {
		f := s.frames[i]
		if f.at < from || f.at > to || f.blocks < cutCells {
			continue
		}
		a, b := s.frames[i-1].blocks, s.frames[i+1].blocks
		if a < 0 || b < 0 {
			continue
		}
		iso := float64(max(a, b)) / float64(f.blocks)
		if iso <= cutIsolation {
			out = append(out, cut{at: f.at, blocks: f.blocks, jump: f.jump, iso: iso})
		}
	}
	return out
}

// strongestCut is, for measurements, the frame from from to to with the most blocks jumped
// among those standing alone (both neighbours at most cutIsolation of its count), whether
// or not that reaches cutBlocks.
func (s *splice) strongestCut(from, to time.Duration) cut {
	var best cut
	for i := 1; i+1 < len(s.frames); i++ {
		f := s.frames[i]
		if f.at < from || f.at > to || f.blocks <= best.blocks {
			continue
		}
		a, b := s.frames[i-1].blocks, s.frames[i+1].blocks
		if a < 0 || b < 0 {
			continue
		}
		if iso := float64(max(a, b)) / float64(f.blocks); iso <= cutIsolation {
			best = cut{at: f.at, blocks: f.blocks, jump: f.jump, iso: iso}
		}
	}
	return best
}

// StrongestCut reports, for measurements, the frame from from to until (call time) where
// the most blocks of the face region jumped from one frame to the next while the frames
// around it changed at most half as much (a cut if blocks reaches cutCells): how many blocks, the
// larger neighbour's count over that, and when. Only frames inside prompts (and a second
// before) are followed.
func (a *Analyzer) StrongestCut(from, until time.Duration) (blocks int, isolation float64, at time.Duration) {
	c := a.splice.strongestCut(from, until)
	return c.blocks, c.iso, c.at
}

// StrongestCuts is, for measurements, StrongestCut for cells jumping by at least each of
// measureSteps, the largest and (second) the second largest standing-alone counts.
func (a *Analyzer) StrongestCuts(from, until time.Duration) (first, second [len(measureSteps)]int) {
	fr := a.splice.frames
	for i := 1; i+1 < len(fr); i++ {
		f := fr[i]
		if f.at < from || f.at > until || fr[i-1].blocks < 0 || fr[i+1].blocks < 0 {
			continue
		}
		for k := range first {
			n := int(f.by[k])
			if float64(max(fr[i-1].by[k], fr[i+1].by[k])) > cutIsolation*float64(n) {
				continue
			}
			if n > first[k] {
				first[k], second[k] = n, first[k]
			} else if n > second[k] {
				second[k] = n
			}
		}
	}
	return first, second
}
