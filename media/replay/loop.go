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
)

const (
	probeEvery     = 90 * time.Millisecond // ten probes a second (a tenth in hand for 30 fps steps)
	lagBin         = 40 * time.Millisecond // lags are grouped in bins of this width
	maxFPS         = 60                    // signatures kept per second of MaxLoop at most
	loopProbesBack = 32                    // probes (~3 s) back for the change of a run
	// lagDrift: a run's lag may wander this far from its first lag (frame times jitter by
	// a frame); a slowly drifting quasi-periodic motion (breathing, rocking) may not chain
	// from bin to bin into one long run.
	lagDrift = 70 * time.Millisecond
)

// Moving matches: the evidence a still-ish live person cannot give. A person who barely
// moves matches themselves at many lags (breathing shoulders, a head returning to rest);
// what only a replay does is repeat a *motion* exactly: the frame now differs clearly
// from the one movingBack probes (~0.3 s) earlier, and yet matches the frame one lag
// earlier within matchDist. A probe that does both is a moving match.
const (
	movingBack = 3 // probes back for "moving now" (~0.27 s)
	// minMoving: blocks that must change by blockChange since movingBack probes ago for
	// the picture to be moving now (1.5 % of the picture). Measured (REPLAY_MEASURE=1,
	// TestMeasureLoopNegatives, REPLAY_SWEEP): no run of the corpus's 50 genuine clips, as
	// recorded or slowed 2 and 4 times, had a single moving match at 3 (at 2: up to 2; at
	// 1: up to 5); loops of 1-4 s made from them: 13 of 230 had fewer than weakMoves (the
	// looped second showed a person sitting still), 11 of them 1-second loops.
	minMoving = 3
	// strongMoves: moving matches in one run (at one constant lag) for a fail: about half
	// a second of exactly repeated motion. weakMoves: for a warn.
	strongMoves = 6
	weakMoves   = 2
	// longRun: a run this long counts as repeated evidence even when shown only twice
	// (a loop longer than half the video); shorter runs must cover two lags (the stretch
	// shown three times) for a fail.
	longRun = 5 * time.Second
)

// stamped is the signature of one frame.
type stamped struct {
	pts time.Duration
	s   sig
}

// binState is a run of probes that matched at one lag.
type binState struct {
	run    int32         // consecutive matching probes
	moves  int32         // moving matches among them
	start  time.Duration // PTS of the run's first probe
	lag0   time.Duration // lag of the run's first match
	lag    time.Duration // lag of the newest match
	change int32         // most blocks changed within the run so far
	sumD   float32       // summed match distances
}

// strong reports whether a run at now is a fail: long enough, exactly repeated motion
// inside it, and repeated (the stretch shown three times) or long.
func (b binState) strong(now time.Duration, cfg Config) bool {
	d := now - b.start
	return d >= cfg.MinRun && b.moves >= strongMoves && (d >= 2*b.lag || d >= longRun)
}

// weak reports whether a run at now is worth a warning: long enough, with some exactly
// repeated motion.
func (b binState) weak(now time.Duration, cfg Config) bool {
	return now-b.start >= cfg.MinRun && b.moves >= weakMoves
}

// loopFinding is a stretch of video shown again.
type loopFinding struct {
	from, to time.Duration // from the start of the original to the end of the last repeat
	lag      time.Duration // loop length
	probes   int           // matching probes
	meanD    float32       // mean match distance
	change   int           // most blocks changed within the matched stretch
	moves    int           // moving matches: probes where the picture moved and still matched
	strong   bool          // enough repeated motion for a fail (binState.strong)
	snap     string        // evidence snapshot taken when the loop was first found
	at       time.Duration // the PTS of snap's frame
	// snap2 is the same picture one loop later (at2), snapshotted when it showed again
	// (Analyzer.pairLook): the two frames side by side show the loop.
	snap2 string
	at2   time.Duration
	seq   int // the finding's number, to find it again after older ones were dropped
	// still: found by the still-loop cue (still.go); probes is then its evidence probes
	// and ratio their mean ratio of the difference one lag earlier to the next frame's.
	still bool
	ratio float32
	next  float32 // mean difference from the frame before, at the evidence probes
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
	// minMoving, movingBack: the constants of that name; tests sweep them.
	minMoving  int32
	movingBack int

	findings []loopFinding
	opened   bool // the last probe opened a finding: the analyzer snapshots the frame
	seq      int  // findings opened so far

	still stillDetector // the still-loop cue (still.go)
}

func (l *loopDetector) init(cfg Config) {
	l.cfg = cfg
	l.minMoving, l.movingBack = minMoving, movingBack
	l.ring = make([]stamped, int(cfg.MaxLoop.Seconds()*maxFPS)+1)
	l.probes = make([]int, loopProbesBack+1)
	bins := int(cfg.MaxLoop/lagBin) + 2
	l.best = make([]float32, bins)
	l.bestLag = make([]time.Duration, bins)
	l.prev = make([]binState, bins)
	l.next = make([]binState, bins)
	l.still.init(cfg)
}

func (l *loopDetector) reset() {
	l.n, l.np, l.probed = 0, 0, false
	clear(l.prev)
	l.still.reset()
}

// observe stores f's signature and, ten times a second, matches it against the past.
func (l *loopDetector) observe(f *media.Frame) {
	e := &l.ring[l.n%len(l.ring)]
	e.pts = f.PTS
	signature(f, &e.s)
	l.n++
	l.still.add(f)
	if l.probed && f.PTS-l.last < probeEvery {
		return
	}
	l.probed, l.last = true, f.PTS
	l.probe()
	l.probeStill(f.PTS)
}

// probeStill runs the still-loop cue at this probe and records what it found
// (stillRun.verdict).
func (l *loopDetector) probeStill(now time.Duration) {
	p, ok := l.still.probe()
	if !ok {
		return
	}
	r := l.still.count(p)
	weak, strong := r.verdict(now)
	if !weak {
		return
	}
	l.record(loopFinding{from: max(r.first-r.lag, 0), to: now, lag: r.lag, probes: r.n, strong: strong,
		still: true, ratio: r.ratio, meanD: r.atMean, next: r.nextMean})
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
// neighbouring bin: timestamps jitter, but it stays within lagDrift of its first lag)
// and records the strongest qualifying run.
func (l *loopDetector) extend(now time.Duration) {
	moving := l.np > l.movingBack && l.chg[l.movingBack] >= l.minMoving
	qualified, strong := -1, false
	for b := range l.next {
		n := &l.next[b]
		if l.best[b] >= matchDist {
			*n = binState{}
			continue
		}
		lag := l.bestLag[b]
		var p binState
		for _, nb := range [3]int{b, b - 1, b + 1} {
			if nb < 0 || nb >= len(l.prev) {
				continue
			}
			q := l.prev[nb]
			if q.run > p.run && absDur(lag-q.lag0) <= lagDrift {
				p = q
			}
		}
		if p.run == 0 {
			p = binState{start: now, lag0: lag}
		}
		p.run++
		p.lag = lag
		p.sumD += l.best[b]
		p.change = max(p.change, l.chg[min(int(p.run)-1, loopProbesBack)])
		if moving && int(p.run) > l.movingBack { // the motion's start matched one lag earlier too
			p.moves++
		}
		*n = p
		if s := p.strong(now, l.cfg); s && !strong || qualified < 0 && p.weak(now, l.cfg) {
			qualified, strong = b, s
		}
	}
	l.prev, l.next = l.next, l.prev
	if l.trace != nil {
		l.trace(now, l.prev)
	}
	if qualified >= 0 {
		s := l.prev[qualified]
		l.record(loopFinding{from: max(s.start-s.lag, 0), to: now, lag: s.lag, probes: int(s.run), meanD: s.sumD / float32(s.run),
			change: int(s.change), moves: int(s.moves), strong: strong})
	}
}

func absDur(d time.Duration) time.Duration { return max(d, -d) }

// record adds or extends a loop finding. Both cues (moving matches and the still cue)
// may see one loop: they extend one finding, described by the moving matches when they
// have seen it (their evidence is the stronger), else by the still cue's numbers.
func (l *loopDetector) record(f loopFinding) {
	if k := len(l.findings) - 1; k >= 0 && f.from <= l.findings[k].to+time.Second {
		g := &l.findings[k]
		switch {
		case g.still && !f.still: // the moving matches take over the description
			g.still, g.probes, g.meanD = false, f.probes, f.meanD
		case !g.still && f.still: // a moving-match finding keeps its numbers
		case f.still && f.probes >= g.probes: // the still cue's numbers: of its largest run
			g.ratio, g.next, g.meanD = f.ratio, f.next, f.meanD
		case !f.still:
			g.meanD = min(g.meanD, f.meanD)
		}
		if g.still == f.still {
			g.probes = max(g.probes, f.probes)
		}
		g.from, g.to = min(g.from, f.from), max(g.to, f.to)
		g.lag = min(g.lag, f.lag)
		g.change = max(g.change, f.change)
		g.moves = max(g.moves, f.moves)
		g.strong = g.strong || f.strong
		return
	}
	if len(l.findings) >= maxStored {
		l.findings = l.findings[1:] // the oldest goes: memory stays bounded in long calls
	}
	l.seq++
	f.seq = l.seq
	l.findings = append(l.findings, f)
	l.opened = true
}

// newest is the signature of the newest frame observed.
func (l *loopDetector) newest() *sig { return &l.ring[(l.n-1)%len(l.ring)].s }

// finding returns the stored finding numbered seq, or nil when it was dropped.
func (l *loopDetector) finding(seq int) *loopFinding {
	for i := len(l.findings) - 1; i >= 0; i-- {
		if l.findings[i].seq == seq {
			return &l.findings[i]
		}
	}
	return nil
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
