package faceswap

import "time"

// Windows: the model's scores of the sampled face crops are averaged over windows of
// Config.Window starting at every whole second; a window is scored when it holds at least
// Config.MinSamples crops. scripts/train-faceswap.py (recordings) scores a recording the same
// way, so the threshold it fixes applies here unchanged.

// bin holds the crops of one second.
type bin struct {
	sec int64
	n   int
	sum float64
}

// window is one scored window.
type window struct {
	from, to time.Duration
	n        int
	score    float64
}

// run is a stretch of consecutive windows over the threshold.
type run struct {
	from, to time.Duration
	windows  int
	sumScore float64
	maxScore float64
}

// windows scores the sliding windows as crops arrive.
type windows struct {
	cfg    Config
	thr    float64
	bins   []bin // the bins of the open windows, oldest first (at most perWindow+1)
	scored int   // windows scored
	best   window
	runs   []run // runs of windows over the threshold
	last   bool  // the previous scored window was over the threshold
}

func (w *windows) perWindow() int {
	return max(1, int((w.cfg.Window+time.Second/2)/time.Second))
}

// add counts the crop scored sc at time at.
func (w *windows) add(at time.Duration, sc float64) {
	sec := int64(at / time.Second)
	if n := len(w.bins); n > 0 && w.bins[n-1].sec != sec {
		for len(w.bins) > 0 && w.bins[0].sec <= sec-int64(w.perWindow()) {
			w.close(w.window(w.bins, w.bins[0].sec))
			w.bins = w.bins[:copy(w.bins, w.bins[1:])]
		}
	}
	if n := len(w.bins); n == 0 || w.bins[n-1].sec != sec {
		w.bins = append(w.bins, bin{sec: sec})
	}
	b := &w.bins[len(w.bins)-1]
	b.n++
	b.sum += sc
}

// window is the window starting at second start.
func (w *windows) window(bins []bin, start int64) window {
	end := start + int64(w.perWindow())
	win := window{from: time.Duration(start) * time.Second, to: time.Duration(end) * time.Second}
	var sum float64
	for _, b := range bins {
		if b.sec >= start && b.sec < end {
			win.n += b.n
			sum += b.sum
		}
	}
	if win.n > 0 {
		win.score = sum / float64(win.n)
	}
	return win
}

// close scores a window that will get no more crops.
func (w *windows) close(win window) {
	if win.n < w.cfg.MinSamples {
		w.last = false
		return
	}
	w.scored++
	if win.score > w.best.score || w.scored == 1 {
		w.best = win
	}
	if win.score < w.thr {
		w.last = false
		return
	}
	if !w.last {
		w.runs = append(w.runs, run{from: win.from})
	}
	w.last = true
	r := &w.runs[len(w.runs)-1]
	r.to = win.to
	r.windows++
	r.sumScore += win.score
	r.maxScore = max(r.maxScore, win.score)
}

// finish returns a copy with the windows still open scored, each ending at end at the latest.
func (w *windows) finish(end time.Duration) windows {
	c := *w
	c.runs = append([]run(nil), w.runs...)
	for _, b := range w.bins {
		win := c.window(w.bins, b.sec)
		win.to = min(win.to, max(end, win.from))
		c.close(win)
	}
	return c
}
