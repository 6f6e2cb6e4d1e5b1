package replay

import (
	"image"
	"math"
	"time"

	"github.com/integritybot/integritybot/media"
)

// Motion analysis works on the luma downscaled to smallW pixels wide, every motionEvery,
// against the picture of the previous sample.
const (
	smallW      = 160
	motionEvery = 500 * time.Millisecond
	blockSize   = 8  // block matching: 8×8 blocks ...
	blockStep   = 12 // ... on a 12-pixel grid ...
	searchR     = 5  // ... searched ±5 pixels (10 px a second at 160 px wide: 6 % of the width)
)

// Thresholds of one pair of samples (pixels and luma levels of the 160-px picture).
const (
	// minGradient: a block is textured enough to match when its mean absolute gradient
	// is at least this in both directions (flat walls and backdrops are skipped).
	minGradient = 1.5
	// inlierPx: a block follows the fitted transform when it moved within this distance
	// of it; sub-pixel matching on real frames is good to about a third of a pixel.
	inlierPx = 0.75
	// minInliers: the share of textured blocks that must follow the transform for the
	// picture to have moved as one rigid plane.
	minInliers = 0.75
	// minMotion: the transform must move the picture by at least this (mean over blocks)
	// to count as motion; below it a still picture and a still person look alike. 0.3
	// (0.6 px a second at 160 px wide) catches a slow pan or zoom of a photo (issue 14:
	// a slow zoom with a small sway passed at 0.5) and flagged none of the tuning
	// half's genuine clips (TestMeasurePhoto, docs/checks/replay-eval.md).
	minMotion = 0.3
	// rigidShare: the share of a stretch's pairs that must have moved rigidly; the rest
	// may be still (a swaying picture stops at each turn) but none live. At 0.75 a
	// sway's turns broke it up; at 0.5 the tuning half's genuine clips stay clear.
	rigidShare = 0.5
	// calmRatio: in most of a stretch's pairs (its median) the face must change by less
	// than this times the picture's floor. A photo's face changes like the rest of it
	// (the tuning half's moving pictures: medians 1.0-2.3); a live face slowed down
	// stays under liveRatio but not under this (one slowed genuine clip of the tuning
	// half: median 3.0, flagged without this rule).
	calmRatio = 2.5
	// liveRatio and liveFloor: a face cell that changed, after compensation, by more than
	// liveRatio times the upper quartile of the picture's cells and by more than
	// liveFloor levels moved by itself (a blink, speech, a turn). Measured (TestMeasure,
	// 160 px, smoothed): the moving photos made from the corpus leave at most ~4 times
	// the quartile (resampling aliases the fine detail of eyes and hair most); live
	// faces mostly 4-15 times, and a pair in which a live face happens to stay still is
	// outweighed by the other pairs of the window, 75 % of which must be rigid.
	liveRatio = 5.0
	liveFloor = 2.0
	// minBlocks: fewer textured blocks than this cannot support a fit.
	minBlocks = 12
)

// pairKind is what one pair of samples showed.
type pairKind int

const (
	pairStill pairKind = iota // no motion, or nothing conclusive
	pairRigid                 // the whole picture moved as one plane, the face did not change
	pairLive                  // the face changed beyond a rigid motion
)

// pairResult is the measurement of one pair of samples.
type pairResult struct {
	kind     pairKind
	blocks   int     // textured blocks
	inliers  float64 // share of them following the transform
	motion   float64 // mean displacement by the transform, px at smallW
	residual float64 // largest mean change of a face cell after compensation
	floor    float64 // upper quartile of the picture's cells' mean change after compensation
	scale    float64 // zoom factor of the transform
	tx, ty   float64
}

// photoFinding is a stretch of rigid motion with an unchanging face.
type photoFinding struct {
	from, to time.Duration
	rigid    int     // pairs that moved rigidly
	pairs    int     // all pairs in the stretch
	motion   float64 // largest mean displacement of a pair, px at smallW per motionEvery
	residual float64 // largest residual of a rigid pair
	ratio    float64 // non-rigid energy: largest face residual over the picture's floor
	calm     int     // pairs whose face residual is under calmRatio times the floor
	zoom     float64 // largest relative zoom of a pair
	snap     string  // evidence snapshot taken when the stretch first qualified
}

func (p photoFinding) length() time.Duration { return p.to - p.from }

// motionDetector finds pictures that move only rigidly. Its buffers are reused.
type motionDetector struct {
	cfg      Config
	cur, old []uint8 // downscaled, smoothed luma of this and the previous sample
	older    []uint8 // ... and of the sample before that
	hasOlder bool    // older holds a sample of the current size
	tmp      []uint16
	w, h     int
	srcW     int // source size the cell edges xs, ys were made for
	srcH     int
	xs, ys   []int
	have     bool
	sampled  bool
	last     time.Duration
	vecs     []blockVec
	samples  int

	span     photoFinding // open stretch; span.pairs == 0 when none
	good     photoFinding // span as of its last qualifying pair (pairs == 0: none yet)
	findings []photoFinding

	trace func(pts time.Duration, r pairResult) // tests only: each pair's measurement
}

type blockVec struct {
	x, y, u, v float64 // block centre (relative to the picture centre) and its motion
	in         bool
}

func (m *motionDetector) init(cfg Config) { m.cfg = cfg }

func (m *motionDetector) reset() {
	m.have, m.sampled = false, false
	m.closeSpan()
}

func (m *motionDetector) due(pts time.Duration) bool {
	return !m.sampled || pts-m.last >= motionEvery*9/10
}

// observe downscales f and compares it with the previous sample.
func (m *motionDetector) observe(f *media.Frame, face image.Rectangle) {
	m.sampled, m.last = true, f.PTS
	m.older, m.old, m.cur = m.old, m.cur, m.older
	m.downscale(f)
	m.samples++
	if !m.have {
		m.have, m.hasOlder = true, false
		return
	}
	box := m.faceBox(f, face)
	r := m.pair(box)
	if r.kind != pairLive && m.hasOlder {
		r = m.across(box, r)
	}
	m.hasOlder = true
	if m.trace != nil {
		m.trace(f.PTS, r)
	}
	m.account(f.PTS, r)
}

// across compares the sample of a second ago with this one as well: a slow pan or zoom
// moves a picture too little in half a second to measure (issue 14's slow photos), and a
// live face changes more in a second. A live second-long pair makes the pair live; a
// rigid one makes a still pair rigid (its motion halved, per half second).
func (m *motionDetector) across(box image.Rectangle, r pairResult) pairResult {
	m.old, m.older = m.older, m.old
	r2 := m.pair(box)
	m.old, m.older = m.older, m.old
	switch {
	case r2.kind == pairLive:
		return r2
	case r.kind == pairStill && r2.kind == pairRigid:
		r2.motion /= 2
		return r2
	}
	return r
}

// account adds one pair's result to the open stretch.
func (m *motionDetector) account(pts time.Duration, r pairResult) {
	switch r.kind {
	case pairLive:
		m.closeSpan()
	case pairRigid:
		if m.span.pairs == 0 {
			m.span = photoFinding{from: pts - motionEvery}
		}
		m.span.rigid++
		m.span.motion = max(m.span.motion, r.motion)
		m.span.residual = max(m.span.residual, r.residual)
		m.span.zoom = max(m.span.zoom, math.Abs(r.scale-1))
		fallthrough
	default:
		if m.span.pairs > 0 || r.kind == pairRigid {
			m.span.pairs++
			m.span.to = pts
			ratio := r.residual / max(r.floor, 0.1)
			m.span.ratio = max(m.span.ratio, ratio)
			if ratio < calmRatio {
				m.span.calm++
			}
		}
	}
	if m.qualifies(m.span) {
		m.good = m.span // a stretch that qualified stays a finding when still pairs follow
	}
}

// qualifies reports whether a stretch is a photo with synthetic motion.
func (m *motionDetector) qualifies(s photoFinding) bool {
	return s.rigid > 0 && s.length() >= m.cfg.PhotoWindow && float64(s.rigid) >= rigidShare*float64(s.pairs) && 2*s.calm > s.pairs
}

func (m *motionDetector) closeSpan() {
	if m.good.pairs > 0 {
		if len(m.findings) >= maxStored {
			m.findings = m.findings[1:]
		}
		m.findings = append(m.findings, m.good)
	}
	m.span, m.good = photoFinding{}, photoFinding{}
}

// downscale box-filters f's luma into m.cur (smallW wide, or f's width if narrower).
func (m *motionDetector) downscale(f *media.Frame) {
	w := min(smallW, f.Width)
	h := max(1, (f.Height*w+f.Width/2)/f.Width)
	// The cell edges depend on the source size too: 640×480 and 320×240 share a grid but
	// not edges (a resolution switch mid-call crashed here before).
	if w != m.w || h != m.h || f.Width != m.srcW || f.Height != m.srcH || len(m.xs) != w+1 {
		m.w, m.h, m.srcW, m.srcH = w, h, f.Width, f.Height
		m.xs, m.ys = edges(m.xs, f.Width, w), edges(m.ys, f.Height, h)
		m.cur, m.old, m.older = make([]uint8, w*h), make([]uint8, w*h), make([]uint8, w*h)
		m.have, m.hasOlder = false, false
	}
	// About 2×2 pixels per cell (every second row and column of a 4×4 cell at 640 px):
	// the picture is smoothed afterwards anyway, and reading every pixel cost more
	// than the rest of the check.
	for oy := range h {
		y0, y1 := m.ys[oy], m.ys[oy+1]
		sy := max(1, (y1-y0)/2)
		for ox := range w {
			x0, x1 := m.xs[ox], m.xs[ox+1]
			sx := max(1, (x1-x0)/2)
			sum, n := 0, 0
			for y := y0; y < y1; y += sy {
				row := f.Y[y*f.YStride:]
				for x := x0; x < x1; x += sx {
					sum += int(row[x])
					n++
				}
			}
			m.cur[oy*w+ox] = uint8((sum + n/2) / max(n, 1))
		}
	}
	m.blur()
}

// blur smooths m.cur with a [1 2 1]/4 kernel in both directions (edges kept). Resampling
// a photo to pan or zoom it blurs and aliases its finest detail differently in every
// frame; the smoothing removes that, while a blink or a moving mouth, several pixels
// across even at 160 px, stays.
func (m *motionDetector) blur() {
	w, h := m.w, m.h
	if cap(m.tmp) < w*h {
		m.tmp = make([]uint16, w*h)
	}
	t := m.tmp[:w*h]
	for y := range h {
		row := m.cur[y*w : (y+1)*w]
		for x := range w {
			l, r := row[max(x-1, 0)], row[min(x+1, w-1)]
			t[y*w+x] = uint16(l) + 2*uint16(row[x]) + uint16(r)
		}
	}
	for y := range h {
		u, d := max(y-1, 0), min(y+1, h-1)
		for x := range w {
			v := t[u*w+x] + 2*t[y*w+x] + t[d*w+x]
			m.cur[y*w+x] = uint8((v + 8) / 16)
		}
	}
}

// edges returns the source index where each of n output cells starts, plus the end.
func edges(buf []int, src, n int) []int {
	buf = buf[:0]
	for i := 0; i <= n; i++ {
		buf = append(buf, i*src/n)
	}
	return buf
}

// faceBox maps the face box (frame pixels) to the small picture, shrunk to its inner
// part (eyes, nose, mouth; no background at the edges). Without a face, the middle of
// the picture stands in.
func (m *motionDetector) faceBox(f *media.Frame, face image.Rectangle) image.Rectangle {
	var r image.Rectangle
	if face.Empty() {
		r = image.Rect(m.w*3/10, m.h/4, m.w*7/10, m.h*3/4)
	} else {
		sx, sy := float64(m.w)/float64(f.Width), float64(m.h)/float64(f.Height)
		r = image.Rect(int(float64(face.Min.X)*sx), int(float64(face.Min.Y)*sy), int(float64(face.Max.X)*sx), int(float64(face.Max.Y)*sy))
		r = r.Inset(r.Dx() / 10)
	}
	return r.Intersect(image.Rect(2, 2, m.w-2, m.h-2))
}

// pair measures the motion from m.old to m.cur.
func (m *motionDetector) pair(face image.Rectangle) pairResult {
	m.vecs = m.vecs[:0]
	cx, cy := float64(m.w)/2, float64(m.h)/2
	for y := searchR + 1; y+blockSize+searchR+1 <= m.h; y += blockStep {
		for x := searchR + 1; x+blockSize+searchR+1 <= m.w; x += blockStep {
			if !m.textured(x, y) {
				continue
			}
			u, v, ok := m.match(x, y)
			if ok {
				m.vecs = append(m.vecs, blockVec{x: float64(x) + blockSize/2 - cx, y: float64(y) + blockSize/2 - cy, u: u, v: v})
			}
		}
	}
	r := pairResult{kind: pairStill, blocks: len(m.vecs), scale: 1}
	if len(m.vecs) < minBlocks {
		return r
	}
	var mdl similarity
	for i := range m.vecs {
		m.vecs[i].in = true
	}
	for range 3 {
		mdl = fit(m.vecs)
		in := 0
		for i := range m.vecs {
			b := &m.vecs[i]
			du, dv := mdl.at(b.x, b.y)
			b.in = math.Hypot(b.u-du, b.v-dv) <= inlierPx
			if b.in {
				in++
			}
		}
		r.inliers = float64(in) / float64(len(m.vecs))
		if in < minBlocks {
			break
		}
	}
	var sum float64
	for _, b := range m.vecs {
		du, dv := mdl.at(b.x, b.y)
		sum += math.Hypot(du, dv)
	}
	r.motion = sum / float64(len(m.vecs))
	mdl = m.refine(mdl, cx, cy)
	r.scale, r.tx, r.ty = math.Hypot(1+mdl.a, mdl.b), mdl.tx, mdl.ty
	r.residual = m.residual(face, mdl, cx, cy)
	r.floor = m.floorResidual(mdl, cx, cy)
	switch {
	case r.residual > liveRatio*r.floor && r.residual > liveFloor:
		r.kind = pairLive
	case r.motion >= minMotion && r.inliers >= minInliers:
		r.kind = pairRigid
	}
	return r
}

// textured reports whether the block at (x, y) of the old picture has gradients in both
// directions.
func (m *motionDetector) textured(x, y int) bool {
	gx, gy := 0, 0
	for j := range blockSize {
		row := m.old[(y+j)*m.w+x:]
		next := m.old[(y+j+1)*m.w+x:]
		for i := range blockSize {
			gx += absi(int(row[i+1]) - int(row[i]))
			gy += absi(int(next[i]) - int(row[i]))
		}
	}
	return min(gx, gy) >= minGradient*blockSize*blockSize
}

// match finds where the old block at (x, y) went in the new picture, to a fraction of a
// pixel (a parabola through the SADs beside the best one).
func (m *motionDetector) match(x, y int) (u, v float64, ok bool) {
	best, bu, bv := math.MaxInt, 0, 0
	for dv := -searchR; dv <= searchR; dv++ {
		for du := -searchR; du <= searchR; du++ {
			s := 0
			for j := range blockSize {
				a := m.old[(y+j)*m.w+x:]
				b := m.cur[(y+j+dv)*m.w+x+du:]
				for i := range blockSize {
					s += absi(int(a[i]) - int(b[i]))
				}
				if s >= best {
					break
				}
			}
			if s < best {
				best, bu, bv = s, du, dv
			}
		}
	}
	if bu == -searchR || bu == searchR || bv == -searchR || bv == searchR {
		return 0, 0, false // at the edge of the search: the true motion may lie beyond
	}
	// The search stopped summing early; the parabola needs the neighbours' full SADs.
	u = float64(bu) + parabola(m.sad(x, y, bu-1, bv), best, m.sad(x, y, bu+1, bv))
	v = float64(bv) + parabola(m.sad(x, y, bu, bv-1), best, m.sad(x, y, bu, bv+1))
	return u, v, true
}

// sad is the sum of absolute differences between the old block at (x, y) and the new
// picture's block displaced by (du, dv).
func (m *motionDetector) sad(x, y, du, dv int) int {
	s := 0
	for j := range blockSize {
		a := m.old[(y+j)*m.w+x:]
		b := m.cur[(y+j+dv)*m.w+x+du:]
		for i := range blockSize {
			s += absi(int(a[i]) - int(b[i]))
		}
	}
	return s
}

// parabola returns the offset of the minimum of a parabola through (-1, l), (0, c), (1, r).
func parabola(l, c, r int) float64 {
	den := float64(l - 2*c + r)
	if den <= 0 {
		return 0
	}
	return math.Max(-0.5, math.Min(0.5, 0.5*float64(l-r)/den))
}

func absi(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
