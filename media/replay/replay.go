// Package replay implements the "replay" check: is the candidate's video played back from
// recorded material instead of a live camera?
//
// An Analyzer looks for three kinds of replay, each with evidence a person can verify:
//
//   - loop: the same stretch of video recurring. Every frame gets a cheap signature
//     (16×12 block means of the luma); ten times a second the newest frame is compared
//     with every frame of the last Config.MaxLoop, and a run of matches at one constant
//     lag is a candidate loop of that length. A person sitting still matches themselves
//     at many lags (breathing, a head returning to rest: issue 14's news readers), so
//     matching is not the evidence: the evidence is the same *motion* repeated — probes
//     where the picture changed clearly within the last 0.3 s and yet matched the frame
//     one lag earlier (moving matches, loop.go). A fail needs half a second of them in a
//     run of at least Config.MinRun that covers two lags (the stretch shown three times)
//     or 5 s; two or more moving matches over Config.MinRun are a warning with the
//     evidence. A frozen picture is the camera check's.
//     A loop of a person sitting still repeats no motion; what it repeats is its frames,
//     down to their fine grain (still.go): ten times a second the newest frame's 48×36
//     cell means are compared with those of every frame 0.1-4.2 s earlier. Live video
//     is closest to its own recent past; a loop's frame one loop earlier is the same
//     picture, at most half as different as the frame just before it and the frames
//     beside that lag. Such probes at one constant lag of at least Config.MinLoop,
//     spread over the stretch shown three times, are a warning from 5 within 8 s and a
//     fail from 20.
//
//   - photo_motion: a still photo moved by a virtual camera or a hand (pan, zoom, sway,
//     shake). Twice a second the picture of half a second earlier, and the one of a second
//     earlier (a slow pan moves too little in half a second), is matched block by block
//     against the current one (160 px wide); a similarity transform (shift, zoom, rotation)
//     is fitted to the block motions and refined to a fraction of a pixel (Lucas-Kanade).
//     A photo moves rigidly: nearly every textured block follows the transform and, once
//     it is compensated, no cell of the face box changes much more than the rest of the
//     picture. A live face does not: eyes blink and the mouth moves. A stretch of at least
//     Config.PhotoWindow with no live step, half or more of its steps rigid (the rest still:
//     a sway stops at its turns) and the face's change under calmRatio times the picture's
//     in most steps is a finding (motion.go; thresholds fixed on the tuning half of the
//     corpus's people, figures in docs/checks/replay-eval.md).
//
//   - screen and print (warn): a phone, tablet or printout held to the camera. At most
//     twice a second the picture around the face box is searched for the straight edges
//     such an object has and a live head does not: a corner of a frame around the face
//     (a display's top edge above the head meeting a side edge that runs down past the
//     face: screen) or a straight edge across the top of the head (a printout's edge:
//     print); see frame.go. In video a rule must hold in two thirds of the looks over
//     at least 2 s; a single still picture is its one look.
//
// Not built: glare (measured, see glareOf in the tests: the corpus's screen shows a face
// that is itself clipped, so a highlight cannot be told apart), moiré and refresh banding
// (not measured: one screen still, a 480×640 JPEG). Video too short
// for the photo window and without a frame edge is unknown, as is a single picture
// without one (a loop or a moving photo shows only in video).
//
// The Analyzer is pure: no goroutines and no wall clock; time comes from frame PTS. It is
// not safe for concurrent use; the pipeline calls it from one goroutine.
package replay

import (
	"image"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/snapshot"
)

// Faces gives the face boxes found so far; *face.Analyzer implements it. The replay check
// reads the box of the newest detection twice a second, to look for non-rigid motion of
// the face (blinks, speech) that a moving photo does not have.
type Faces interface {
	// Recent appends the newest n detections, oldest first, to dst (see face.Analyzer.Recent).
	Recent(dst []face.Detection, n int) []face.Detection
}

var _ Faces = (*face.Analyzer)(nil)

// Config tunes the check. Zero fields take the values of DefaultConfig.
type Config struct {
	// MaxLoop is the longest loop searched for (default 20 s): every frame's signature
	// of that long is kept (192 bytes each; 115 KB at 30 fps) and compared ten times a second.
	MaxLoop time.Duration
	// MinLoop is the shortest loop (default 1 s): a shorter lag is ordinary smooth motion.
	MinLoop time.Duration
	// MinRun is how long the matches at one lag must last to be a loop (default 3 s; low-
	// motion genuine video matches itself far longer — 13 s in a clip slowed 4 times — so
	// the moving matches inside the run decide, see loop.go).
	MinRun time.Duration
	// PhotoWindow is how long the picture must move rigidly, with nothing changing in the
	// face, to be a photo with synthetic motion (default 4 s; people blink every 2-10 s).
	PhotoWindow time.Duration
	// MinVideo: less analyzed video than this makes the check unknown (default 4 s, the
	// photo window).
	MinVideo time.Duration
}

// DefaultConfig returns the defaults used for zero Config fields.
func DefaultConfig() Config {
	return Config{
		MaxLoop:     20 * time.Second,
		MinLoop:     time.Second,
		MinRun:      3 * time.Second,
		PhotoWindow: 4 * time.Second,
		MinVideo:    4 * time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxLoop <= 0 {
		c.MaxLoop = d.MaxLoop
	}
	if c.MinLoop <= 0 {
		c.MinLoop = d.MinLoop
	}
	if c.MinRun <= 0 {
		c.MinRun = d.MinRun
	}
	if c.PhotoWindow <= 0 {
		c.PhotoWindow = d.PhotoWindow
	}
	if c.MinVideo <= 0 {
		c.MinVideo = d.MinVideo
	}
	c.MaxLoop = max(c.MaxLoop, 2*c.MinLoop)
	return c
}

// Analyzer is the replay check for one video stream. Create it with New.
type Analyzer struct {
	detBuf []face.Detection // reused by recentFaces
	cfg    Config
	faces  Faces // nil: the centre of the picture stands in for the face

	frames        int
	textured      int  // frames with a picture in them: not black, not one flat colour
	finished      bool // the call or recording is over (Finish)
	haveLast      bool
	firstPTS      time.Duration
	lastPTS       time.Duration
	width, height int

	loop   loopDetector
	pair   pairWait
	motion motionDetector
	cues   cueTracker
}

// pairWait waits for a loop's second picture: the frame a loop was found on shows again one
// loop later. Of the frames within pairWindow of that time, the one closest to it (by
// signature, within matchDist) is snapshotted too, so the evidence shows the same picture at
// two times, side by side. One encode per closer match: a handful at most.
type pairWait struct {
	active bool
	seq    int           // the loop finding (loopFinding.seq)
	sig    sig           // the first frame's signature
	due    time.Duration // the first frame's PTS plus the loop's length
	best   float32       // the closest match so far
}

// pairWindow is how far from one loop later the repeat of the first frame is looked for:
// frame times jitter by a frame or two.
const pairWindow = 150 * time.Millisecond

// New returns an Analyzer. faces, if not nil, supplies face boxes (normally the session's
// face analyzer, which must observe each frame before this one); without it the centre of
// the picture is taken as the face.
func New(cfg Config, faces Faces) *Analyzer {
	cfg = cfg.withDefaults()
	a := &Analyzer{cfg: cfg, faces: faces}
	a.loop.init(cfg)
	a.motion.init(cfg)
	return a
}

// Observe looks at one frame.
func (a *Analyzer) Observe(f *media.Frame) {
	if f == nil || f.Width < 32 || f.Height < 32 || len(f.Y) < (f.Height-1)*f.YStride+f.Width {
		return
	}
	if a.haveLast && f.PTS < a.lastPTS {
		return // out of order: time only moves forward
	}
	if !a.haveLast {
		a.firstPTS = f.PTS
	}
	if a.haveLast && (f.Width != a.width || f.Height != a.height) {
		// A new size is a new picture: matches across the switch mean nothing.
		a.loop.reset()
		a.motion.reset()
		a.cues.reset()
	}
	a.frames++
	if textured(f) {
		a.textured++
	}
	a.haveLast, a.lastPTS = true, f.PTS
	a.width, a.height = f.Width, f.Height
	a.loop.observe(f)
	if a.loop.opened {
		a.loop.opened = false
		l := &a.loop.findings[len(a.loop.findings)-1]
		l.snap, l.at = shot(f, a.faceBox(f)), f.PTS
		a.pair = pairWait{active: l.snap != "", seq: l.seq, sig: *a.loop.newest(), due: f.PTS + l.lag, best: matchDist}
		capLoopSnaps(a.loop.findings)
	} else if a.pair.active {
		a.pairLook(f)
	}
	if a.motion.due(f.PTS) {
		box := a.faceBox(f)
		a.motion.observe(f, box)
		if m := &a.motion; m.good.pairs > 0 && m.span.snap == "" && a.photoSnaps() < maxSnaps {
			// The moving photo was just found: this frame shows it.
			m.span.snap = shot(f, box)
			m.good.snap = m.span.snap
		}
	}
	if a.cues.due(f.PTS) {
		box := a.faceBox(f)
		a.cues.observe(f, box, func() string { return shot(f, box) })
	}
}

// maxSnaps bounds the evidence snapshots kept per kind of finding.
const maxSnaps = 3

// shot is the evidence snapshot of f with the face box outlined ("" if it cannot be made).
func shot(f *media.Frame, box image.Rectangle) string {
	s, err := snapshot.Encode(f, box, snapshot.DefaultWidth)
	if err != nil {
		return ""
	}
	return s
}

// pairLook snapshots f as the loop's second picture if it is due and repeats the first frame
// more closely than any frame before it.
func (a *Analyzer) pairLook(f *media.Frame) {
	p := &a.pair
	switch {
	case f.PTS < p.due-pairWindow:
		return
	case f.PTS > p.due+pairWindow:
		p.active = false
		return
	}
	l := a.loop.finding(p.seq)
	if l == nil || l.snap == "" { // dropped, or its snapshot went to a longer loop
		p.active = false
		return
	}
	if d, ok := matches(a.loop.newest(), &p.sig, p.best); ok {
		if s := shot(f, a.faceBox(f)); s != "" {
			l.snap2, l.at2, p.best = s, f.PTS, d
		}
	}
}

// capLoopSnaps keeps the snapshots of the maxSnaps longest loops only.
func capLoopSnaps(ls []loopFinding) {
	for {
		n, shortest := 0, -1
		for i, l := range ls {
			if l.snap == "" {
				continue
			}
			n++
			if shortest < 0 || l.to-l.from < ls[shortest].to-ls[shortest].from {
				shortest = i
			}
		}
		if n <= maxSnaps {
			return
		}
		ls[shortest].snap, ls[shortest].snap2 = "", ""
	}
}

// photoSnaps counts the moving-photo findings with a snapshot: the first maxSnaps get one.
func (a *Analyzer) photoSnaps() int {
	n := 0
	for _, p := range a.motion.findings {
		if p.snap != "" {
			n++
		}
	}
	return n
}

// faceBox returns the newest face box no older than a second, or the empty rectangle.
func (a *Analyzer) faceBox(f *media.Frame) image.Rectangle {
	if a.faces == nil {
		return image.Rectangle{}
	}
	ds := a.recentFaces()
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		if f.PTS-d.PTS > time.Second {
			break
		}
		if d.Rank == 0 {
			return d.Box.Intersect(image.Rect(0, 0, f.Width, f.Height))
		}
	}
	return image.Rectangle{}
}

// recentDetections is how many of the face check's newest detections are read per look:
// enough for every face of the last sampled frames.
const recentDetections = 16

// recentFaces reads the newest face detections into a reused buffer.
func (a *Analyzer) recentFaces() []face.Detection {
	a.detBuf = a.faces.Recent(a.detBuf[:0], recentDetections)
	return a.detBuf
}

// Finish tells the check that the call or recording is over (bot.Finisher): its sentences
// then say what the call gave, not what to wait for.
func (a *Analyzer) Finish(time.Duration) { a.finished = true }

// textured reports whether f shows a picture: the luma of a sparse grid (every 8th pixel of
// every 8th row) spreads by more than flatSpread. Black video (a disabled track sends black
// frames) and a single flat colour do not; a replay check on them would pass on nothing.
func textured(f *media.Frame) bool {
	lo, hi := byte(255), byte(0)
	for y := 0; y < f.Height; y += 8 {
		row := f.Y[y*f.YStride : y*f.YStride+f.Width]
		for x := 0; x < len(row); x += 8 {
			lo, hi = min(lo, row[x]), max(hi, row[x])
		}
		if hi-lo > flatSpread {
			return true
		}
	}
	return false
}

// flatSpread is the luma range (of 255) under which a picture counts as flat: encoder noise on
// black or a flat colour stays within a few levels.
const flatSpread = 12
