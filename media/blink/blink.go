// Package blink finds eye blinks in video of a face, for the liveness check: a live person
// blinks every few seconds (about 8–21 times a minute in conversation), a photo never does.
//
// For every frame (at most MaxRate a second) a Detector samples three small patches of
// block means scaled to the face box: one around each eye, and one of the nose bridge for
// reference. Eye positions come from the pupils the face check finds about once a second,
// kept relative to the face box (pigo's geometry until then). A blink closes and reopens the
// eyes within a few hundred milliseconds, so the patch of an eye at time t differs from the
// patch Lag before and from the one Lag after, while those two match each other:
//
//	score(t) = min(d(t, t−Lag), d(t, t+Lag)) − d(t−Lag, t+Lag)
//
// where d is the mean absolute difference of two patches, minimised over shifts of up to
// two cells (head motion and the box's jitter between detections move a patch, a blink
// changes it), and t±Lag are the most similar looks Lag to Lag+100 ms away. Both eyes must
// score at least Threshold times their open contrast and RefRatio times the nose bridge
// (relative to its contrast), which a blink leaves alone but a turn, a nod or a compression
// burst does not; a nose bridge displaced at t but not between t−Lag and t+Lag is a jerk of
// the head. A blink is reported at the local maximum of that score. Patches are only compared
// while the face is watched (MinFace) and their anchor kept its scale and pupils.
//
// The Detector is pure (time comes from frame timestamps) and not safe for concurrent use.
package blink

import (
	"image"
	"math"
	"time"

	"github.com/integritybot/integritybot/media"
)

// Config tunes a Detector. Zero fields take the values of DefaultConfig.
type Config struct {
	// MaxRate is the most frames a second looked at (default 20; a blink's closed phase lasts
	// 100–300 ms).
	MaxRate float64
	// Lag is how far before and after a frame its eyes are compared (default 300 ms): longer
	// than the closed phase of a blink, short enough that the head stays put.
	Lag time.Duration
	// MaxGap is the longest time between two looked-at frames that still counts as watching
	// the eyes (default 150 ms); video thinned out under load is not watched.
	MaxGap time.Duration
	// Threshold is the smallest blink score of both eyes, as a share of the eye patch's
	// contrast (default 0.2). Measured (BLINK_MEASURE=1 go test -run TestMeasure ./media/blink):
	// the blinks seen frame by frame in the corpus's GRID clips score 0.14–0.50 (3 of 5 over
	// 0.2), the GRID clips without a blink at most 0.06, a moving photo up to 0.25 once, where
	// the face box jumped away and back (docs/checks/liveness.md, "Pulse and blinks").
	Threshold float64
	// RefRatio: both eyes' scores must be at least this many times the nose bridge's (default 2).
	RefRatio float64
	// MinFace is the width, in pixels, from which a face's eyes are watched (until the smoothed
	// box falls under 85 % of it; default 140: an eye is then about 25 px wide). The blinks were
	// checked frame by frame on the corpus's GRID clips (faces of 148–158 px); in the 117–131 px
	// faces of its 400×300 webcam clips an eye is 15 px wide, a blink cannot be told from
	// compression by eye, and this detector found one in 77 s.
	MinFace int
	// Keep is how many blinks are kept (default 4096).
	Keep int
}

// DefaultConfig returns the defaults used for zero Config fields.
func DefaultConfig() Config {
	return Config{MaxRate: 20, Lag: 300 * time.Millisecond, MaxGap: 150 * time.Millisecond,
		Threshold: 0.2, RefRatio: 2, MinFace: 140, Keep: 4096}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxRate <= 0 {
		c.MaxRate = d.MaxRate
	}
	if c.Lag <= 0 {
		c.Lag = d.Lag
	}
	if c.MaxGap <= 0 {
		c.MaxGap = d.MaxGap
	}
	if c.Threshold <= 0 {
		c.Threshold = d.Threshold
	}
	if c.RefRatio <= 0 {
		c.RefRatio = d.RefRatio
	}
	if c.MinFace <= 0 {
		c.MinFace = d.MinFace
	}
	if c.Keep <= 0 {
		c.Keep = d.Keep
	}
	return c
}

// spread is the span of looks, Lag and more away, an eye is compared with.
const spread = 100 * time.Millisecond

// Where the eyes sit in pigo's square face box (see media/face: its pupil search starts at
// 41.5 % of the height, 31.5 % and 68.5 % of the width), as fractions of its side.
var defaultEyes = [2][2]float64{{0.315, 0.415}, {0.685, 0.415}}

// look is one frame's patches.
type look struct {
	at    time.Duration
	ok    bool     // a face and all three patches
	epoch int      // the smoothed box's epoch: looks of different epochs are not compared
	jerk  bool     // the nose bridge moved away and back around this look
	p     [3]patch // left eye, right eye, nose bridge
	score [3]float32
}

// Detector finds blinks in one stream. Create it with New.
type Detector struct {
	cfg Config
	eye [2][2]float64 // eye centres relative to the face box

	cx, cy, side float64 // the smoothed face box: centre and side
	boxAt        time.Duration
	haveBox      bool
	epoch        int  // counts the box's jumps
	large        bool // the smoothed box is large enough to watch (MinFace)
	anchor       struct {
		cx, cy, side float64
		eye          [2][2]float64
	}

	ring []look // looks of the last 2·Lag and a little more, oldest first
	last time.Duration
	have bool

	watched   time.Duration // time with the eyes in view at a sufficient frame rate
	blinks    []time.Duration
	lastPeak  time.Duration
	lastScore float64
	peaked    bool

	// trace, when set, receives every scored look: both eyes' scores as shares of their
	// contrast, and the nose bridge's (measurements in tests).
	trace func(at time.Duration, left, right, ref float32)
}

// New returns a Detector; zero fields of cfg take the defaults.
func New(cfg Config) *Detector {
	return &Detector{cfg: cfg.withDefaults(), eye: defaultEyes}
}

// Add looks at the face box of f. left and right are the pupils found in f's detection (the
// one on the left of the picture first), or zero points when none were searched for; the
// Detector then keeps the last ones found, relative to the box. An empty box means no face.
func (d *Detector) Add(f *media.Frame, box image.Rectangle, left, right image.Point) {
	if d.have && (f.PTS <= d.last || f.PTS-d.last < time.Duration(float64(time.Second)/d.cfg.MaxRate*0.9)) {
		return
	}
	s := float64(box.Dx())
	if !box.Empty() && left != (image.Point{}) && right != (image.Point{}) && right.X > left.X {
		l := [2]float64{float64(left.X-box.Min.X) / s, float64(left.Y-box.Min.Y) / s}
		r := [2]float64{float64(right.X-box.Min.X) / s, float64(right.Y-box.Min.Y) / s}
		if near(l, defaultEyes[0]) && near(r, defaultEyes[1]) {
			// Half way to the new pupils: one mislocated pupil moves the patch half as far.
			for k := range 2 {
				d.eye[0][k] += (l[k] - d.eye[0][k]) / 2
				d.eye[1][k] += (r[k] - d.eye[1][k]) / 2
			}
		}
	}
	lk := look{at: f.PTS}
	if !box.Empty() {
		d.smooth(box, f.PTS)
		// Watched from MinFace on, until the smoothed box falls under 85 % of it.
		switch {
		case d.side >= float64(d.cfg.MinFace):
			d.large = true
		case d.side < 0.85*float64(d.cfg.MinFace):
			d.large = false
		}
		if d.large {
			lk.ok = d.sample(f, &lk)
			lk.epoch = d.epoch
		}
	}
	if d.have && f.PTS-d.last <= d.cfg.MaxGap && lk.ok && len(d.ring) > 0 && d.ring[len(d.ring)-1].ok {
		d.watched += f.PTS - d.last
	}
	d.have, d.last = true, f.PTS
	d.ring = append(d.ring, lk)
	d.score()
	// Keep 2·(Lag+spread) of looks and one more.
	cut := 0
	for cut+1 < len(d.ring) && f.PTS-d.ring[cut+1].at > 2*(d.cfg.Lag+spread)+d.cfg.MaxGap {
		cut++
	}
	if cut > 0 {
		d.ring = append(d.ring[:0], d.ring[cut:]...)
	}
}

// near: a pupil more than 12 % of the box from where pigo's geometry puts it is a
// mislocated pupil, not a different face.
func near(p, q [2]float64) bool { return math.Hypot(p[0]-q[0], p[1]-q[1]) < 0.12 }

// Time constants of the face box's smoothing: the detector's box jumps by a few per cent in
// size and place from one detection to the next, which would change a patch as much as a
// blink; a face's size changes slowly, its place a little faster.
const (
	tauSide   = time.Second
	tauCentre = 250 * time.Millisecond
)

// smooth follows the face box: exponentially, or at once after a gap or a jump of more
// than a third of its side (another face, or a fast move).
func (d *Detector) smooth(box image.Rectangle, at time.Duration) {
	cx, cy, s := float64(box.Min.X+box.Max.X)/2, float64(box.Min.Y+box.Max.Y)/2, float64(box.Dx())
	dt := (at - d.boxAt).Seconds()
	if !d.haveBox || dt > d.cfg.MaxGap.Seconds() || math.Hypot(cx-d.cx, cy-d.cy) > d.side/3 || math.Abs(s-d.side) > d.side/3 {
		d.cx, d.cy, d.side = cx, cy, s
		d.epoch++
	} else {
		ks, kc := min(dt/tauSide.Seconds(), 1), min(dt/tauCentre.Seconds(), 1)
		d.side += ks * (s - d.side)
		d.cx += kc * (cx - d.cx)
		d.cy += kc * (cy - d.cy)
	}
	d.haveBox, d.boxAt = true, at
}

// sample takes the three patches of f. They stay anchored where they were while the
// smoothed box stays within a cell of it and within 5 % of its size (and the pupils within a
// cell): then the patches of a still face are sampled from the same pixels, and the box's
// jitter changes nothing.
func (d *Detector) sample(f *media.Frame, lk *look) bool {
	cell := patchW * d.side / cellsX
	rescale := d.anchor.side == 0 || math.Abs(d.side-d.anchor.side) > 0.05*d.anchor.side
	eyes := math.Max(math.Hypot(d.eye[0][0]-d.anchor.eye[0][0], d.eye[0][1]-d.anchor.eye[0][1]),
		math.Hypot(d.eye[1][0]-d.anchor.eye[1][0], d.eye[1][1]-d.anchor.eye[1][1])) * d.side
	if rescale || eyes > cell || math.Hypot(d.cx-d.anchor.cx, d.cy-d.anchor.cy) > cell {
		d.anchor.cx, d.anchor.cy, d.anchor.side, d.anchor.eye = d.cx, d.cy, d.side, d.eye
	}
	if rescale || eyes > cell {
		// Patches of another scale, or placed on other pupils, are not compared: the shift
		// search undoes neither a zoom nor a patch that moved against the face.
		d.epoch++
	}
	a := d.anchor
	at := func(rel [2]float64) image.Point {
		return image.Pt(int(a.cx+(rel[0]-0.5)*a.side+0.5), int(a.cy+(rel[1]-0.5)*a.side+0.5))
	}
	l, r := at(a.eye[0]), at(a.eye[1])
	// The nose bridge and the top of the nose: between the eyes, a little lower.
	ref := image.Pt((l.X+r.X)/2, (l.Y+r.Y)/2+int(0.1*a.side))
	return lk.p[0].sample(f, l, a.side) && lk.p[1].sample(f, r, a.side) && lk.p[2].sample(f, ref, a.side)
}

// score scores the look Lag+Spread before the newest one, now that the looks after it
// exist: each eye's patch is compared with the most similar look Lag to Lag+Spread before
// and after it (the most similar, so that a head moving at one of those moments does not
// pass for a blink), and those two with each other.
func (d *Detector) score() {
	n := len(d.ring)
	now := d.ring[n-1].at
	mid := d.nearest(now - d.cfg.Lag - spread)
	if mid < 0 || !d.ring[mid].ok {
		return
	}
	m := &d.ring[mid]
	first := -1
	for k := range mid {
		if m.at-d.ring[k].at <= d.cfg.Lag+spread {
			first = k
			break
		}
	}
	if first < 0 || m.at-d.ring[first].at < d.cfg.Lag || !d.continuous(first, n-1) || !d.ring[first].ok {
		return
	}
	var bestA, bestB [3]*look
	for i := range 3 {
		var db, da float32 = -1, -1
		for k := first; k < n; k++ {
			x := &d.ring[k]
			gap := x.at - m.at
			switch {
			case gap <= -d.cfg.Lag:
				if v := diff(&m.p[i], &x.p[i]); db < 0 || v < db {
					db, bestA[i] = v, x
				}
			case gap >= d.cfg.Lag:
				if v := diff(&m.p[i], &x.p[i]); da < 0 || v < da {
					da, bestB[i] = v, x
				}
			}
		}
		if db < 0 || da < 0 {
			return
		}
		m.score[i] = max(min(db, da)-diff(&bestA[i].p[i], &bestB[i].p[i]), 0)
	}
	// A head that jerks and comes back moves the nose bridge away from where it is before
	// and after; a blink leaves it in place.
	_, sa := diffAt(&m.p[2], &bestA[2].p[2])
	_, sb := diffAt(&m.p[2], &bestB[2].p[2])
	_, sab := diffAt(&bestA[2].p[2], &bestB[2].p[2])
	m.jerk = sa != (image.Point{}) && sb != (image.Point{}) && sab == (image.Point{})
	if d.trace != nil {
		d.trace(m.at, m.score[0]/max(m.p[0].cont, 1), m.score[1]/max(m.p[1].cont, 1), m.score[2]/max(m.p[2].cont, 1))
	}
	d.peak(mid)
}

// blinkScore is how much both eyes changed and came back at look i, each as a share of its
// own contrast, the smaller of the two; 0 unless both eyes changed, so measured, clearly more
// than the nose bridge (which a blink leaves alone and a moving head does not).
func (d *Detector) blinkScore(i int) float64 {
	m := &d.ring[i]
	if m.jerk {
		return 0
	}
	rel := func(k int) float32 { return m.score[k] / max(m.p[k].cont, 1) }
	e := min(rel(0), rel(1))
	if e < float32(d.cfg.RefRatio)*rel(2) {
		return 0
	}
	return float64(e)
}

// peak counts a blink at look i when it scores over the threshold and highest among the
// scored looks within Lag either side that are known so far (a later, higher look within
// Lag replaces it).
func (d *Detector) peak(i int) {
	s := d.blinkScore(i)
	if s < d.cfg.Threshold {
		return
	}
	at := d.ring[i].at
	if d.peaked && at-d.lastPeak <= d.cfg.Lag {
		if s <= d.lastScore {
			return
		}
		d.blinks = d.blinks[:len(d.blinks)-1] // the same blink, seen better now
	}
	if len(d.blinks) >= d.cfg.Keep {
		d.blinks = append(d.blinks[:0], d.blinks[1:]...)
	}
	d.blinks = append(d.blinks, at)
	d.peaked, d.lastPeak, d.lastScore = true, at, s
}

// nearest returns the index of the look closest to t (within MaxGap/2), or -1.
func (d *Detector) nearest(t time.Duration) int {
	best, bd := -1, d.cfg.MaxGap/2+1
	for i, l := range d.ring {
		dd := l.at - t
		if dd < 0 {
			dd = -dd
		}
		if dd < bd {
			best, bd = i, dd
		}
	}
	return best
}

// continuous reports whether looks i..j have the face, in one epoch of the box, and no gap
// over MaxGap.
func (d *Detector) continuous(i, j int) bool {
	for k := i + 1; k <= j; k++ {
		if !d.ring[k].ok || d.ring[k].epoch != d.ring[i].epoch || d.ring[k].at-d.ring[k-1].at > d.cfg.MaxGap {
			return false
		}
	}
	return true
}

// Blinks returns the times of the blinks found so far (at most Config.Keep, the newest),
// oldest first. The slice is the Detector's: read it before the next Add.
func (d *Detector) Blinks() []time.Duration { return d.blinks }

// Watched returns how long the eyes were in view at a frame rate that can show a blink.
func (d *Detector) Watched() time.Duration { return d.watched }
