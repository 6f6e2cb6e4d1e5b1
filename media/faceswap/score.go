package faceswap

import (
	"math"
	"time"
)

// The window score is a logistic combination of the window means of two cues:
//
//	score = 1 / (1 + exp(-(biasW + hfBandW·hfBand + noiseW·noise)))
//
// hfBand (Laplacian/gradient energy ratio of the inner face minus that of the contour band:
// crisp features against the hair and jaw of the same head) carries most of the weight;
// noise (median |Laplacian| of the inner face against the outer ring: how smooth the skin
// is) adds the rest. The weights were fitted by class-balanced logistic regression on the
// 2-second windows of ../shared/corpus (6 windows of the 3 GHOST swaps, 84 of 19 genuine clips)
// and checked leave-one-clip-out: every held-out swap flagged, no held-out genuine clip
// flagged (see TestCorpus and docs/checks/face_swap-passive-cues.md). All three swaps are one source
// clip with three identities, so this is a calibration, not a claim of generality. Of the
// other cues measured, the frame-to-frame flicker, the contour edge energy, the face/neck
// colour and luma, the Laplacian ratio and the colour spread separated each swap from its
// frame-aligned original but not from the other genuine clips (their level depends on the
// backdrop and the lighting of each clip), so they carry no weight.
//
// A softer face (a 128-pixel render upscaled and pasted back, as roop and Deep-Live-Cam do)
// lowers hfBand, which this one-sided score does not reward. Refits that add the swaps
// synthesized that way (eval.SwapAttacks) and two-sided sharpness terms flagged 2-4 of 16
// genuine sources leave-one-source-out, against a 5 % target, so the weights stay fitted on
// the GHOST swaps alone (TestSyntheticSwaps; docs/checks/face_swap-passive-cues.md).
const (
	biasW   = -3.536
	hfBandW = 11.06
	noiseW  = -1.913
)

// defaultThreshold is the score over which a window is evidence. In the corpus windows the
// highest genuine score was 0.40 (an older woman's curly grey hair around the face), the
// lowest swap score 0.94.
const defaultThreshold = 0.5

// score returns the window score of the cue means.
func score(hfBand, noise float64) float64 {
	return 1 / (1 + math.Exp(-(biasW + hfBandW*hfBand + noiseW*noise)))
}

// bin sums the cues of the measured faces of one second of video.
type bin struct {
	sec           int64
	n             int
	hfBand, noise float64
	snap          shot // the best-scoring face of the second over the threshold, if any
}

// shot is an evidence snapshot and the score of the face it shows.
type shot struct {
	score float64
	data  string
}

// better returns the higher-scoring of two shots.
func better(a, b shot) shot {
	if b.data != "" && (a.data == "" || b.score > a.score) {
		return b
	}
	return a
}

// window is one scored window.
type window struct {
	from, to      time.Duration
	n             int
	score         float64
	hfBand, noise float64
	snap          shot
}

// run is a stretch of consecutive windows over the threshold.
type run struct {
	from, to      time.Duration
	windows       int
	sumScore      float64
	maxScore      float64
	hfBand, noise float64 // sums over the windows
	snap          shot    // the strongest face seen over the threshold in its windows
}

// windows turns measured samples into scored windows. Windows start every second and span
// Config.Window; samples are summed per second so memory stays bounded by the runs.
type windows struct {
	cfg    Config
	bins   []bin // the bins of the open windows, oldest first (at most perWindow+1)
	scored int   // windows scored
	best   window
	over   int   // windows over the threshold
	runs   []run // runs of windows over the threshold
	last   bool  // the previous scored window was over the threshold
}

func (w *windows) perWindow() int {
	return max(1, int((w.cfg.Window+time.Second/2)/time.Second))
}

// add counts sample s into its second, scoring every window that s closes.
func (w *windows) add(s sample) {
	sec := int64(s.at / time.Second)
	if n := len(w.bins); n > 0 && w.bins[n-1].sec != sec {
		// Windows starting at or before sec-perWindow are complete.
		for len(w.bins) > 0 && w.bins[0].sec <= sec-int64(w.perWindow()) {
			w.close(w.window(w.bins, w.bins[0].sec))
			w.bins = w.bins[:copy(w.bins, w.bins[1:])]
		}
	}
	if !s.face {
		return
	}
	if n := len(w.bins); n == 0 || w.bins[n-1].sec != sec {
		w.bins = append(w.bins, bin{sec: sec})
	}
	b := &w.bins[len(w.bins)-1]
	b.n++
	b.hfBand += s.c.hfBand
	b.noise += s.c.noise
	b.snap = better(b.snap, s.snap)
}

// window sums the bins of the window starting at second start.
func (w *windows) window(bins []bin, start int64) window {
	end := start + int64(w.perWindow())
	win := window{from: time.Duration(start) * time.Second, to: time.Duration(end) * time.Second}
	for _, b := range bins {
		if b.sec >= start && b.sec < end {
			win.n += b.n
			win.hfBand += b.hfBand
			win.noise += b.noise
			win.snap = better(win.snap, b.snap)
		}
	}
	if win.n > 0 {
		win.hfBand /= float64(win.n)
		win.noise /= float64(win.n)
		win.score = score(win.hfBand, win.noise)
	}
	return win
}

// close accounts a complete window.
func (w *windows) close(win window) {
	if win.n < w.cfg.MinSamples {
		w.last = false
		return
	}
	w.scored++
	if win.score > w.best.score || w.scored == 1 {
		w.best = win
	}
	if win.score <= w.cfg.Threshold {
		w.last = false
		return
	}
	w.over++
	if !w.last {
		w.runs = append(w.runs, run{from: win.from})
	}
	w.last = true
	r := &w.runs[len(w.runs)-1]
	r.to = win.to
	r.windows++
	r.sumScore += win.score
	r.maxScore = max(r.maxScore, win.score)
	r.hfBand += win.hfBand
	r.noise += win.noise
	r.snap = better(r.snap, win.snap)
	w.capSnaps()
}

// maxSnaps bounds the snapshots kept: those of the strongest runs (by peak score).
const maxSnaps = 3

// capSnaps drops the snapshots of all but the maxSnaps strongest runs, so memory stays
// bounded in a long call with many runs.
func (w *windows) capSnaps() {
	for {
		n, weakest := 0, -1
		for i, r := range w.runs {
			if r.snap.data == "" {
				continue
			}
			n++
			if weakest < 0 || r.maxScore < w.runs[weakest].maxScore {
				weakest = i
			}
		}
		if n <= maxSnaps {
			return
		}
		w.runs[weakest].snap = shot{}
	}
}

// wantsShot reports whether a face of score sc at time at would be the best snapshot of its
// second: over the threshold and above the one already taken.
func (w *windows) wantsShot(at time.Duration, sc float64) bool {
	if sc <= w.cfg.Threshold {
		return false
	}
	n := len(w.bins)
	return n == 0 || w.bins[n-1].sec != int64(at/time.Second) || sc > w.bins[n-1].snap.score
}

// finish returns a copy of w with the open windows closed at stream time end: a window
// still open counts when it spans at least three quarters of Config.Window (the end of a
// recording, or the state of a live call).
func (w *windows) finish(end time.Duration) windows {
	c := *w
	c.runs = append([]run(nil), w.runs...)
	for _, b := range w.bins {
		from := time.Duration(b.sec) * time.Second
		if end-from < w.cfg.Window*3/4 {
			break
		}
		win := c.window(w.bins, b.sec)
		win.to = min(win.to, end)
		c.close(win)
	}
	return c
}
