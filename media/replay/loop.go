package replay

import (
	"time"

	"github.com/integritybot/integritybot/media"
)

// Signature grid: the mean luma of 16×12 blocks of the frame (4:3; a 16:9 frame gets
// wider blocks). Fine enough that a head turn or a hand changes several blocks, coarse
// enough that re-encoding noise averages out (each block mean is taken over ~64 pixels).
const (
	sigW   = 16
	sigH   = 12
	sigLen = sigW * sigH
)

type sig [sigLen]uint8

// dist is the mean absolute difference of two signatures, in luma levels (0..255), and
// the number of blocks that differ by blockChange or more.
func dist(a, b *sig) (float32, int) {
	s, n := 0, 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		s += d
		if d >= blockChange {
			n++
		}
	}
	return float32(s) / sigLen, n
}

// matches reports whether a and b match (no block differs by blockChange or more) more
// closely than limit (mean difference), and their mean difference. It stops at the first
// block that rules the match out: most pairs of a moving picture end within a few blocks.
func matches(a, b *sig, limit float32) (float32, bool) {
	budget := int(limit * sigLen)
	s := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		s += d
		if d >= blockChange || s >= budget {
			return 0, false
		}
	}
	return float32(s) / sigLen, true
}

// Loop matching thresholds, in mean luma levels per block (dist). Measured on the
// corpus's 19 genuine clips (TestMeasureLoop): between two frames of one clip at least a
// second apart the closest match is 0.6-6 levels (still speakers in front of a flat
// backdrop come closest); between frames a tenth of a second apart a moving person
// changes 1-10. An exact replay matches at 0; a re-encoded one (a virtual camera, then
// the call's VP8) within about one level.
const (
	// matchDist: two frames whose signatures differ by less than this on average, with
	// no block differing by blockChange or more, show the same picture.
	matchDist = 1.0
	// blockChange: a block whose mean changed by this many levels shows motion; noise
	// and re-encoding move a mean of ~64 pixels by a level or two.
	blockChange = 6
	// minChanged: the matched stretch must itself change: at least this many blocks
	// (1.5 % of the picture) change by blockChange between its start and a later frame of
	// it (up to loopProbesBack probes apart). A still scene matches itself at every lag;
	// this keeps it from being a loop.
	minChanged = 3
)

const (
	probeEvery     = 90 * time.Millisecond // ten probes a second (a tenth in hand for 30 fps steps)
	lagBin         = 40 * time.Millisecond // lags are grouped in bins of this width
	maxFPS         = 60                    // signatures kept per second of MaxLoop at most
	loopProbesBack = 32                    // probes (~3 s) back for the change of a run
)

// stamped is the signature of one frame.
type stamped struct {
	pts time.Duration
	s   sig
}

// binState is a run of probes that matched at one lag.
type binState struct {
	run    int32         // consecutive matching probes
	start  time.Duration // PTS of the run's first probe
	lag    time.Duration // lag of the newest match
	change int32         // most blocks changed within the run so far
	sumD   float32       // summed match distances
}

// loopFinding is a stretch of video shown again.
type loopFinding struct {
	from, to time.Duration // from the start of the original to the end of the last repeat
	lag      time.Duration // loop length
	probes   int           // matching probes
	meanD    float32       // mean match distance
	change   int           // most blocks changed within the matched stretch
	snap     string        // evidence snapshot taken when the loop was first found
}

// loopDetector finds recurring stretches of video. All buffers are allocated in init.
type loopDetector struct {
	cfg    Config
	ring   []stamped // signatures of the last MaxLoop of frames
	n      int       // signatures written
	probes []int     // ring positions (n values) of the last loopProbesBack probes
	np     int
	last   time.Duration
	probed bool

	best       []float32 // per lag bin: the closest match of this probe
	bestLag    []time.Duration
	prev, next []binState
	chg        [loopProbesBack + 1]int32

	trace func(now time.Duration, bins []binState) // tests only: the runs after each probe

	findings []loopFinding
	opened   bool // the last probe opened a finding: the analyzer snapshots the frame
}

func (l *loopDetector) init(cfg Config) {
	l.cfg = cfg
	l.ring = make([]stamped, int(cfg.MaxLoop.Seconds()*maxFPS)+1)
	l.probes = make([]int, loopProbesBack+1)
	bins := int(cfg.MaxLoop/lagBin) + 2
	l.best = make([]float32, bins)
	l.bestLag = make([]time.Duration, bins)
	l.prev = make([]binState, bins)
	l.next = make([]binState, bins)
}

func (l *loopDetector) reset() {
	l.n, l.np, l.probed = 0, 0, false
	clear(l.prev)
}

// observe stores f's signature and, ten times a second, matches it against the past.
func (l *loopDetector) observe(f *media.Frame) {
	e := &l.ring[l.n%len(l.ring)]
	e.pts = f.PTS
	signature(f, &e.s)
	l.n++
	if l.probed && f.PTS-l.last < probeEvery {
		return
	}
	l.probed, l.last = true, f.PTS
	l.probe()
}

// probe matches the newest signature against every kept one at least MinLoop older and
// extends the runs of matches per lag.
func (l *loopDetector) probe() {
	cur := &l.ring[(l.n-1)%len(l.ring)]
	for i := range l.best {
		l.best[i] = matchDist
	}
	oldest := max(0, l.n-len(l.ring))
	for j := l.n - 2; j >= oldest; j-- {
		h := &l.ring[j%len(l.ring)]
		lag := cur.pts - h.pts
		if lag < l.cfg.MinLoop {
			continue
		}
		if lag > l.cfg.MaxLoop {
			break
		}
		b := int((lag + lagBin/2) / lagBin)
		if d, ok := matches(&cur.s, &h.s, l.best[b]); ok {
			l.best[b], l.bestLag[b] = d, lag
		}
	}
	// Change from the probes before this one, for the runs' change.
	l.probes[l.np%len(l.probes)] = l.n - 1
	l.np++
	for k := 1; k < len(l.chg); k++ {
		l.chg[k] = 0
		if k < l.np && l.n-1-l.probes[(l.np-1-k)%len(l.probes)] < len(l.ring) {
			_, n := dist(&cur.s, &l.ring[l.probes[(l.np-1-k)%len(l.probes)]%len(l.ring)].s)
			l.chg[k] = int32(n)
		}
	}
	l.extend(cur.pts)
}

// extend updates the runs per lag bin with this probe's matches (a run may move to a
// neighbouring bin: timestamps jitter) and records the shortest qualifying loop.
func (l *loopDetector) extend(now time.Duration) {
	qualified := -1
	for b := range l.next {
		n := &l.next[b]
		if l.best[b] >= matchDist {
			*n = binState{}
			continue
		}
		p := l.prev[b]
		for _, nb := range [2]int{b - 1, b + 1} {
			if nb >= 0 && nb < len(l.prev) && l.prev[nb].run > p.run {
				p = l.prev[nb]
			}
		}
		if p.run == 0 {
			p.start = now
		}
		p.run++
		p.lag = l.bestLag[b]
		p.sumD += l.best[b]
		p.change = max(p.change, l.chg[min(int(p.run)-1, loopProbesBack)])
		*n = p
		if qualified < 0 && now-p.start >= l.cfg.MinRun && p.change >= minChanged {
			qualified = b
		}
	}
	l.prev, l.next = l.next, l.prev
	if l.trace != nil {
		l.trace(now, l.prev)
	}
	if qualified >= 0 {
		l.record(l.prev[qualified], now)
	}
}

// record adds or extends a loop finding.
func (l *loopDetector) record(s binState, now time.Duration) {
	f := loopFinding{from: max(s.start-s.lag, 0), to: now, lag: s.lag, probes: int(s.run), meanD: s.sumD / float32(s.run), change: int(s.change)}
	if k := len(l.findings) - 1; k >= 0 && f.from <= l.findings[k].to+time.Second {
		g := &l.findings[k]
		g.from, g.to = min(g.from, f.from), max(g.to, f.to)
		g.lag = min(g.lag, f.lag)
		g.probes = max(g.probes, f.probes)
		g.meanD = min(g.meanD, f.meanD)
		g.change = max(g.change, f.change)
		return
	}
	if len(l.findings) >= maxStored {
		l.findings = l.findings[1:] // the oldest goes: memory stays bounded in long calls
	}
	l.findings = append(l.findings, f)
	l.opened = true
}

// maxStored bounds the findings kept per kind.
const maxStored = 64

// signature computes the block means of f's luma, reading about 8×8 pixels per block.
func signature(f *media.Frame, s *sig) {
	for by := range sigH {
		y0, y1 := by*f.Height/sigH, (by+1)*f.Height/sigH
		sy := max(1, (y1-y0)/8)
		for bx := range sigW {
			x0, x1 := bx*f.Width/sigW, (bx+1)*f.Width/sigW
			sx := max(1, (x1-x0)/8)
			sum, n := 0, 0
			for y := y0 + sy/2; y < y1; y += sy {
				row := f.Y[y*f.YStride:]
				for x := x0 + sx/2; x < x1; x += sx {
					sum += int(row[x])
					n++
				}
			}
			s[by*sigW+bx] = uint8((sum + n/2) / max(n, 1))
		}
	}
}
