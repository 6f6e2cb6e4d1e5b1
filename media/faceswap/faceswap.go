// Package faceswap implements the passive "face_swap" check: does the candidate's face look
// blended into the video rather than filmed?
//
// A small convolutional network trained here (model.go; scripts/train-faceswap.py;
// docs/faceswap-model.md) scores face crops: about two a second, cut (Crop) around the main face
// the face check (media/face) found on the frames it searched. The scores are averaged over
// windows of Config.Window starting every second (windows.go); windows at or over the
// threshold fixed on held-out genuine recordings form runs, reported as evidence with their
// time range, score, the model's version and a snapshot of the highest-scoring face.
//
// The network was trained on self-blended faces only (no real swap), and its figures on
// swappers it never saw are in docs/faceswap-model.md. Where they do not meet the bar, the
// check does not decide (Config.Warn off, the default): it stays unknown, reports the score as
// information and points to the active challenge (profile turn, hand across the face).
//
// The check is also told the liveness prompts' windows (Challenge, challenge.go) and reports
// how the model scored inside each one against the seconds before it.
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
	Interval time.Duration
	// Every is the interval between scored face crops (default 500ms: two a second).
	Every time.Duration
	// Window is the length of one scored window (default 2s); windows start every second.
	Window time.Duration
	// MinSamples is the least number of scored crops a window needs (default 2).
	MinSamples int
	// MinFace is the smallest face box scored, in frame pixels (default 40).
	MinFace int
	// Threshold is the window score at or over which a window counts (default: the model's,
	// fixed on held-out genuine recordings for BPCER ≤ 5 %).
	Threshold float64
	// MinVideo is how much video with a scored face a result needs (default 2s).
	MinVideo time.Duration
	// Warn lets runs over the threshold warn. Off by default: the held-out figures of the
	// shipped model do not support a warning (docs/faceswap-model.md), so the score is
	// information only and the check stays unknown.
	Warn bool
}

// DefaultConfig returns the defaults used for zero Config fields.
func DefaultConfig() Config {
	return Config{
		Interval:   200 * time.Millisecond,
		Every:      500 * time.Millisecond,
		Window:     2 * time.Second,
		MinSamples: 2,
		MinFace:    40,
		MinVideo:   2 * time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.Every <= 0 {
		c.Every = d.Every
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
	if c.MinVideo <= 0 {
		c.MinVideo = d.MinVideo
	}
	return c
}

// shot is a snapshot of a scored face.
type shot struct {
	score float64
	at    time.Duration
	data  string
}

// Analyzer is the face_swap check for one video stream. Create it with New.
type Analyzer struct {
	detBuf []face.Detection // reused by the looks
	crop   []byte           // reused face crop
	nb     net              // reused network buffers
	cfg    Config
	faces  Faces
	model  *Model
	err    error // the model could not be loaded

	frames   int
	haveLast bool
	lastPTS  time.Duration
	firstPTS time.Duration
	w, h     int

	looked   bool          // a look was taken
	lastLook time.Duration // when
	pending  bool          // a look is due: waiting for a frame the face check searched
	dueAt    time.Duration

	looks  int // looks taken
	scored int // of which with a face scored
	small  int // of which the face was too small

	win  windows
	best shot // the highest-scoring face crop

	hist []look      // the looks of the last historyKeep, for challenge windows (challenge.go)
	chal []challenge // liveness prompts' windows

	trace func(at time.Duration, sc float64) // tests: every scored crop
}

// New returns the check reading the face check's detections from faces, which must observe
// every frame before this analyzer does (list it earlier among the session's analyzers). A
// nil faces makes the check unknown ("face detection unavailable").
func New(cfg Config, faces Faces) *Analyzer {
	cfg = cfg.withDefaults()
	a := &Analyzer{cfg: cfg, faces: faces, crop: make([]byte, 3*CropSide*CropSide)}
	a.model, a.err = Builtin()
	if a.err == nil && cfg.Threshold == 0 {
		a.cfg.Threshold = a.model.Threshold
	}
	a.win = windows{cfg: a.cfg, thr: a.cfg.Threshold}
	return a
}

// Observe looks at one frame: every Config.Every, the main face the face check found on a
// frame it searched is cropped and scored.
func (a *Analyzer) Observe(f *media.Frame) {
	if a.faces == nil || a.err != nil || f == nil || f.Width <= 0 || f.Height <= 0 ||
		len(f.Y) < (f.Height-1)*f.YStride+f.Width ||
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
	a.w, a.h = f.Width, f.Height
	if !a.pending {
		if a.looked && f.PTS-a.lastLook < a.cfg.Every*9/10 {
			return
		}
		a.pending, a.dueAt = true, f.PTS
	}
	d, searched := a.detection(f.PTS)
	if !searched && f.PTS-a.dueAt <= a.cfg.Interval*3/2 {
		return // wait for a frame the face check searches
	}
	a.pending, a.looked, a.lastLook = false, true, f.PTS
	a.looks++
	l := look{at: f.PTS}
	switch {
	case d == nil:
	case d.Box.Dx() < a.cfg.MinFace:
		a.small++
	default:
		a.scored++
		Crop(a.crop, f, d.Box)
		sc := a.model.Score(a.crop, &a.nb)
		l.face, l.score = true, sc
		if a.trace != nil {
			a.trace(f.PTS, sc)
		}
		a.win.add(f.PTS, sc)
		// The highest-scoring face is the finding's picture: encode it while the frame is at
		// hand, and only for a clearly higher score (an encode costs 1-4 ms).
		if a.best.data == "" || sc > a.best.score+0.02 {
			if data, err := snapshot.Encode(f, d.Box, snapshot.DefaultWidth); err == nil {
				a.best = shot{score: sc, at: f.PTS, data: data}
			}
		}
		a.snapChallenges(f, d.Box, sc)
	}
	a.recordLook(l)
}

// recentDetections is how many of the face check's newest detections are read per look:
// enough for every face of the last searched frames.
const recentDetections = 8

// detection returns the main face the face check found on the frame at pts, and whether it
// searched that frame at all (a search that found nothing leaves no detection, so a frame
// counts as searched when the newest detection is older than the face check's interval).
func (a *Analyzer) detection(pts time.Duration) (*face.Detection, bool) {
	a.detBuf = a.faces.Recent(a.detBuf[:0], recentDetections)
	for i := len(a.detBuf) - 1; i >= 0; i-- {
		d := &a.detBuf[i]
		if d.PTS == pts && d.Rank == 0 {
			return d, true
		}
	}
	n := len(a.detBuf)
	return nil, n == 0 || pts-a.detBuf[n-1].PTS >= a.cfg.Interval*2
}
