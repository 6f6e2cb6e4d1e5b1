// Package faceswap implements the passive "face_swap" check: does the candidate's face look
// rendered onto the video rather than filmed?
//
// Real-time face swappers (DeepFaceLive, Deep-Live-Cam/roop, GHOST, SimSwap) render the face at
// a low resolution, upscale it and blend it into the camera picture through a soft mask. That
// leaves cues that need no large model, measured here around the face box of the face check
// (media/face) on the frames it already searched, in a fixed 128×128 patch:
//   - sharpness: Laplacian energy of the inner face against a ring of hair, ears and
//     background outside it (a rendered face is softer than the camera's own picture);
//   - blending boundary: gradient energy along the face contour against the outer ring, and of
//     the inner face against the contour;
//   - colour and lighting: chroma distance and luma ratio between the inner face and the neck;
//   - flicker: frame-to-frame change of the inner face against the outer ring, and the
//     spread over a window of the face's colour relative to the ring's;
//   - jitter of the face box relative to its size.
//
// The cues of one window (Config.Window, sliding by a second) are combined into one score
// (see score.go for the weights and how they were calibrated). Windows over Config.Threshold
// are evidence, as information only: on independent real swaps and genuine recordings nobody
// tuned on (issue 13) the score caught 2 of 15 swaps and flagged 10 of 35 honest recordings,
// so it never warns; the check stays unknown and points to the active challenge.
//
// The check is also told the liveness prompts' windows (Challenge, challenge.go) and reports
// how the same cues behaved inside each one against the seconds before it.
//
// The Analyzer is pure: no goroutines and no wall clock; time comes from frame PTS. It is not
// safe for concurrent use.
package faceswap

import (
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/snapshot"
)

// Faces gives the detections of the face check. *face.Analyzer implements it.
type Faces interface {
	// Recent appends the newest n detections, oldest first, to dst (see face.Analyzer.Recent).
	Recent(dst []face.Detection, n int) []face.Detection
}

var _ Faces = (*face.Analyzer)(nil)

// Config tunes the check. Zero fields take the values of DefaultConfig.
type Config struct {
	// Interval is the face check's detection interval (face.Config.Interval, default 200ms).
	// The analyzer reads detections only on frames where the face check searched.
	Interval time.Duration
	// Window is the length of one scored window (default 2s); windows start every second.
	Window time.Duration
	// MinSamples is the least number of measured faces a window needs to be scored (default 4).
	MinSamples int
	// MinFace is the smallest face box measured, in frame pixels (default 40): below that the
	// cues are dominated by compression.
	MinFace int
	// Threshold is the window score over which a window is evidence (default: calibrated,
	// see score.go).
	Threshold float64
	// MinVideo is how much video with a measured face a pass needs (default 2s, one window).
	MinVideo time.Duration
}

// DefaultConfig returns the defaults used for zero Config fields.
func DefaultConfig() Config {
	return Config{
		Interval:   200 * time.Millisecond,
		Window:     2 * time.Second,
		MinSamples: 4,
		MinFace:    40,
		Threshold:  defaultThreshold,
		MinVideo:   2 * time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.MinSamples <= 0 {
		c.MinSamples = d.MinSamples
	}
	if c.MinFace <= 0 {
		c.MinFace = d.MinFace
	}
	if c.Threshold == 0 {
		c.Threshold = d.Threshold
	}
	if c.MinVideo <= 0 {
		c.MinVideo = d.MinVideo
	}
	return c
}

// sample is what one searched frame gave.
type sample struct {
	at   time.Duration
	face bool // a face big enough to measure
	c    cues
	box  [3]float64 // centre x, centre y, side
	snap shot       // a snapshot when this face scored over the threshold and best of its second
}

// Analyzer is the face_swap check for one video stream. Create it with New.
type Analyzer struct {
	detBuf []face.Detection // reused by recentFaces
	cfg    Config
	faces  Faces
	p      *patcher

	frames      int
	haveLast    bool
	lastPTS     time.Duration
	firstPTS    time.Duration
	called      bool
	lastCall    time.Duration
	w, h        int
	pendingNext bool // the last frame was measured: the next one gives its flicker

	searched int // frames the face check searched
	measured int // of which with a face measured
	small    int // of which the face was too small

	win windows

	hist []look      // the looks of the last historyKeep, for challenge windows (challenge.go)
	chal []challenge // liveness prompts' windows

	trace     func(sample)             // tests: every sample
	traceNext func(change, hf float64) // tests: the flicker of the last measured sample
}

// New returns the check reading the face check's detections from faces, which must observe
// every frame before this analyzer does (list it earlier among the session's analyzers). A
// nil faces makes the check unknown ("face detection unavailable").
func New(cfg Config, faces Faces) *Analyzer {
	cfg = cfg.withDefaults()
	a := &Analyzer{cfg: cfg, faces: faces, p: new(patcher)}
	a.p.buildMask()
	a.win = windows{cfg: cfg}
	return a
}

// Observe looks at one frame: on frames the face check searched, the main face is measured;
// on the frame after, its frame-to-frame change.
func (a *Analyzer) Observe(f *media.Frame) {
	if a.faces == nil || f == nil || f.Width <= 0 || f.Height <= 0 || len(f.Y) < (f.Height-1)*f.YStride+f.Width ||
		len(f.U) < ((f.Height+1)/2-1)*f.UVStride+(f.Width+1)/2 || len(f.V) < len(f.U) {
		return
	}
	if a.haveLast && f.PTS < a.lastPTS {
		return
	}
	if !a.haveLast {
		a.firstPTS = f.PTS
	}
	a.frames++
	a.haveLast, a.lastPTS = true, f.PTS
	resized := f.Width != a.w || f.Height != a.h
	a.w, a.h = f.Width, f.Height
	if a.pendingNext {
		a.pendingNext = false
		if !resized {
			a.p.load(f, a.p.box, &a.p.y, false)
			if a.traceNext != nil {
				// Flicker is measured for the cue table of the tests only: it separated each
				// swap from its original but not from other genuine clips (score.go).
				a.traceNext(a.p.change(), a.p.hfChange())
			}
		}
	}
	if a.called && !resized && f.PTS-a.lastCall < a.cfg.Interval*9/10 {
		return
	}
	a.called, a.lastCall = true, f.PTS
	a.sample(f)
}

// sample measures the main face the face check found in f, if any.
func (a *Analyzer) sample(f *media.Frame) {
	dets := a.recentFaces()
	var d *face.Detection
	for i := len(dets) - 1; i >= 0 && dets[i].PTS >= f.PTS; i-- {
		if dets[i].PTS == f.PTS && dets[i].Rank == 0 {
			d = &dets[i]
		}
	}
	if d == nil && len(dets) > 0 {
		if last := dets[len(dets)-1].PTS; last < f.PTS && f.PTS-last < a.cfg.Interval*9/10 {
			// The face check searched a frame this analyzer skipped: take up its rhythm.
			a.lastCall = last
		}
	}
	a.searched++
	s := sample{at: f.PTS}
	switch {
	case d == nil:
	case d.Box.Dx() < a.cfg.MinFace:
		a.small++
	default:
		a.measured++
		a.p.load(f, d.Box, &a.p.y, true)
		s.face = true
		s.c = a.p.measure()
		if a.trace != nil {
			// For the cue tables of the tests only: it carries no weight (score.go).
			s.c.fine = fine(f, d.Box)
		}
		// A face scoring over the threshold on its own is what a flagged window will show:
		// snapshot it now, while the frame is valid (only the best of each second is kept).
		if sc := score(s.c.hfBand, s.c.noise); a.win.wantsShot(f.PTS, sc) {
			if data, err := snapshot.Encode(f, d.Box, snapshot.DefaultWidth); err == nil {
				s.snap = shot{score: sc, data: data}
			}
		}
		a.p.prev = a.p.y
		a.pendingNext = a.traceNext != nil
		s.box = [3]float64{float64(d.Box.Min.X+d.Box.Max.X) / 2, float64(d.Box.Min.Y+d.Box.Max.Y) / 2, float64(d.Box.Dx())}
	}
	if a.trace != nil {
		a.trace(s)
	}
	a.recordLook(f, s)
	a.win.add(s)
}

// recentDetections is how many of the face check's newest detections are read per look:
// enough for every face of the last sampled frames.
const recentDetections = 8

// recentFaces reads the newest face detections into a reused buffer.
func (a *Analyzer) recentFaces() []face.Detection {
	a.detBuf = a.faces.Recent(a.detBuf[:0], recentDetections)
	return a.detBuf
}
