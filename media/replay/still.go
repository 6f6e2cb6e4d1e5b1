package replay

import (
	"time"

	"github.com/integritybot/integritybot/media"
)

// The still-loop cue: a loop of a person sitting still repeats no motion, so the moving
// matches of loop.go cannot see it. What a loop does repeat is the very same pictures,
// down to their fine texture, sensor noise and compression residue. In live video a
// frame is at least as close to the next frame as to one a second later (time only adds
// drift; the sensor's noise is new in every frame); in a loop the frame one loop earlier
// is the same picture, far closer than the frame just before it or than the frames beside
// that lag. The cue compares point samples of the luma (no block means: they would
// average the noise away) and counts probes where this holds at one constant lag.
const (
	fineW   = 48
	fineH   = 36
	fineLen = fineW * fineH

	// fineMaxLag: the longest loop looked for this way (the moving matches cover longer
	// loops; a still second or two is what they miss). The shortest lag compared is
	// fineMinLag: a lag shorter than a loop that matches better rules the loop out (a
	// flicker beating with the frame rate repeats every few frames).
	fineMaxLag = 4*time.Second + 200*time.Millisecond
	fineMinLag = 100 * time.Millisecond
	// fineNextGap: the frame before the probe must be this recent to stand for "the next
	// frame".
	fineNextGap = 150 * time.Millisecond
	// stillWindow: evidence probes older than this no longer count.
	stillWindow = 8 * time.Second
	stillEvents = 128 // evidence probes kept (ten a second over stillWindow at most)
	fineBox     = 0   // fineSignature's box: cell means
	// fineTie: of the lags matching within this factor of the closest, the shortest is
	// taken (a loop matches itself at every multiple of its length too).
	fineTie = 1.1
)

// Still-loop thresholds (fixed on the tuning half, see docs/checks/replay-eval.md).
var (
	// stillFloor: the mean difference of a frame from the one before it (luma levels per
	// sample) under which the probe says nothing: consecutive frames that are (nearly)
	// identical, e.g. an encoder repeating static blocks or a duplicated frame.
	stillFloor float32 = 0.1
	// stillRatio: the frame one lag earlier must differ by at most this share of what the
	// next frame and the neighbouring lags differ by.
	stillRatio float32 = 0.5
	// stillWeak, stillStrong: evidence probes at one lag within stillWindow for a warn and
	// a fail; stillRepeats: the evidence must span this many loop lengths (the stretch
	// shown again and again, not one coincidence).
	stillWeak    = 5
	stillStrong  = 20
	stillRepeats = 3
)

type fineSig [fineLen]uint8

type fineFrame struct {
	pts time.Duration
	s   fineSig
}

// stillProbe is one probe's measurement: the difference from the frame before (next),
// the closest earlier frame at a lag of fineMinLag to fineMaxLag (lag, at) and the
// closest of the frames beside that one (around).
type stillProbe struct {
	pts, lag         time.Duration
	next, at, around float32
}

// evidence reports whether p is evidence of a still loop of at least minLoop.
func (p stillProbe) evidence(minLoop time.Duration) bool {
	return p.lag >= minLoop && p.next >= stillFloor && p.at <= stillRatio*min(p.next, p.around)
}

type stillEvent struct {
	pts, lag        time.Duration
	next, at, ratio float32
}

// stillDetector implements the still-loop cue. Buffers are allocated in init.
type stillDetector struct {
	minLoop time.Duration
	box     int // fineSignature's box
	ring    []fineFrame
	dists   []float32 // probe's distances, newest first
	n       int
	events  []stillEvent // ring of evidence probes
	ne      int
	trace   func(stillProbe) // tests only: every probe
}

func (d *stillDetector) init(cfg Config) {
	d.minLoop = cfg.MinLoop
	d.box = fineBox
	d.ring = make([]fineFrame, int(fineMaxLag.Seconds()*maxFPS)+2)
	d.dists = make([]float32, len(d.ring))
	d.events = make([]stillEvent, stillEvents)
}

func (d *stillDetector) reset() { d.n, d.ne = 0, 0 }

// add stores f's fine signature.
func (d *stillDetector) add(f *media.Frame) {
	e := &d.ring[d.n%len(d.ring)]
	e.pts = f.PTS
	fineSignature(f, &e.s, d.box)
	d.n++
}

func (d *stillDetector) at(i int) *fineFrame { return &d.ring[i%len(d.ring)] }

// probe measures the newest frame against the frames before it; ok is false when there
// is nothing to measure (no recent previous frame, no frame at a lag in range).
func (d *stillDetector) probe() (p stillProbe, ok bool) {
	c := d.n - 1
	if c < 1 {
		return p, false
	}
	cur := d.at(c)
	prev := d.at(c - 1)
	if cur.pts-prev.pts > fineNextGap {
		return p, false
	}
	p = stillProbe{pts: cur.pts, next: fineDist(&cur.s, &prev.s), at: -1}
	oldest := max(0, d.n-len(d.ring))
	k := 0 // distances to frames c-1, c-2, … (d.dists[i] for frame c-1-i)
	for j := c - 1; j >= oldest; j-- {
		h := d.at(j)
		l := cur.pts - h.pts
		v := float32(-1) // not compared
		if l > fineMaxLag {
			break
		}
		if l >= fineMinLag {
			// Only distances within fineTie of the closest so far matter (the closest can
			// only get closer): the rest stop early and count as not close.
			limit := float32(fineLen * 255)
			if p.at >= 0 {
				limit = p.at*fineTie + 0.01
			}
			v = fineDistWithin(&cur.s, &h.s, limit)
			if v >= 0 && (p.at < 0 || v < p.at) {
				p.at = v
			}
			if v < 0 {
				v = 2 * limit // not within fineTie of the closest
			}
		}
		d.dists[k] = v
		k++
	}
	if p.at < 0 {
		return p, false
	}
	best := -1
	for i := range k {
		if v := d.dists[i]; v >= 0 && v <= p.at*fineTie+0.01 {
			best = c - 1 - i
			p.at = v
			break
		}
	}
	p.lag = cur.pts - d.at(best).pts
	p.around = -1
	for _, j := range [2]int{best - 1, best + 1} {
		if j >= oldest && j < c {
			if v := fineDist(&cur.s, &d.at(j).s); p.around < 0 || v < p.around {
				p.around = v
			}
		}
	}
	if p.around < 0 {
		p.around = p.next
	}
	if d.trace != nil {
		d.trace(p)
	}
	return p, true
}

// stillRun is what the evidence probes at one lag within stillWindow add up to.
type stillRun struct {
	n        int           // evidence probes at the lag
	first    time.Duration // the first one's time
	lag      time.Duration
	ratio    float32 // their mean ratio of at to min(next, around)
	nextMean float32 // their mean difference from the frame before
	atMean   float32 // their mean difference from the frame one lag earlier
}

// count adds p to the evidence when it is evidence and returns the run it belongs to:
// the evidence probes within stillWindow at p's lag (n is 0 when p is no evidence).
func (d *stillDetector) count(p stillProbe) (r stillRun) {
	if !p.evidence(d.minLoop) {
		return r
	}
	d.events[d.ne%len(d.events)] = stillEvent{pts: p.pts, lag: p.lag, next: p.next, at: p.at, ratio: p.at / min(p.next, p.around)}
	d.ne++
	r.lag = p.lag
	for k := d.ne - 1; k >= max(0, d.ne-len(d.events)); k-- {
		e := d.events[k%len(d.events)]
		if p.pts-e.pts > stillWindow {
			break
		}
		if absDur(e.lag-p.lag) <= lagDrift {
			r.n++
			r.first = e.pts
			r.ratio += e.ratio
			r.nextMean += e.next
			r.atMean += e.at
		}
	}
	r.ratio /= float32(r.n)
	r.nextMean /= float32(r.n)
	r.atMean /= float32(r.n)
	return r
}

// verdict says whether the run r, at probe time now, is a finding (weak) and strong
// enough for a fail: enough evidence probes, spread over the stretch shown three times.
func (r stillRun) verdict(now time.Duration) (weak, strong bool) {
	if r.n < stillWeak || now-r.first < time.Duration(stillRepeats-1)*r.lag {
		return false, false
	}
	return true, r.n >= stillStrong
}

// fineDistWithin is fineDist(a, b) when that is at most limit, else -1 (it stops as soon
// as the sum passes the limit).
func fineDistWithin(a, b *fineSig, limit float32) float32 {
	budget := int(limit*fineLen) + 1
	s := 0
	for i := 0; i < fineLen; i += fineW {
		for k := i; k < i+fineW; k++ {
			d := int(a[k]) - int(b[k])
			if d < 0 {
				d = -d
			}
			s += d
		}
		if s > budget {
			return -1
		}
	}
	if v := float32(s) / fineLen; v <= limit {
		return v
	}
	return -1
}

// fineDist is the mean absolute difference of two fine signatures, in luma levels.
func fineDist(a, b *fineSig) float32 {
	s := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return float32(s) / fineLen
}

// fineSignature samples f's luma on a fineW×fineH grid of cells: the mean of each cell
// (box 0), reading every pixel of cells up to 15 px wide and about 8×8 of larger ones; or
// (box > 0, measured in TestMeasureStill, not used) the mean of a box×box square at the
// cell's centre.
func fineSignature(f *media.Frame, s *fineSig, box int) {
	for by := range fineH {
		y0, y1 := by*f.Height/fineH, (by+1)*f.Height/fineH
		sy := max(1, (y1-y0)/8)
		if box > 0 {
			yc := (y0 + y1) / 2
			y0, y1, sy = max(0, yc-box/2), min(f.Height, yc-box/2+box), 1
		}
		for bx := range fineW {
			x0, x1 := bx*f.Width/fineW, (bx+1)*f.Width/fineW
			sx := max(1, (x1-x0)/8)
			if box > 0 {
				xc := (x0 + x1) / 2
				x0, x1, sx = max(0, xc-box/2), min(f.Width, xc-box/2+box), 1
			}
			sum, n := 0, 0
			for y := y0; y < y1; y += sy {
				row := f.Y[y*f.YStride+x0 : y*f.YStride+x1]
				if sx == 1 {
					for _, v := range row {
						sum += int(v)
					}
					n += len(row)
					continue
				}
				for x := 0; x < len(row); x += sx {
					sum += int(row[x])
					n++
				}
			}
			s[by*fineW+bx] = uint8((sum + n/2) / max(n, 1))
		}
	}
}
