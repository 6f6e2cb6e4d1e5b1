// Package liveness implements the "liveness" check: active challenges the candidate answers
// on camera, scored from the video.
//
// The interviewer starts a short sequence of prompts (Sequence): turn the head to full
// profile left and hold, then right; pass a hand slowly across the face; come closer to the
// camera. The room tells the candidate's page what to do and records each prompt's window of
// call time with Challenge. The analyzer scores each window from the face check's detections
// (media/face: a frontal face detector) and from how much the picture changes inside the face
// region between two looks:
//   - a genuine frontal face is lost when the head turns to full profile or a hand covers it,
//     and comes back smoothly;
//   - a face that stays frontal-detected, with a steady score, through "turn to full profile"
//     or through a hand moving over it is suspicious: a photo does not turn, and a real-time
//     face swap renders its face over the hand or keeps a frontal face through the turn;
//   - a face that flashes in and out many times in one prompt is what failing swappers show,
//     and so is, under a hand, the face region flashing between two pictures from frame to
//     frame (flash.go: the session hands this check every frame of a prompt);
//   - "come closer" must make the face box grow;
//   - nothing changing at all is "did not respond in time".
//
// The Analyzer is pure: no goroutines and no wall clock; time comes from frame PTS and the
// windows given to Challenge. It is not safe for concurrent use; the session calls it under
// its lock.
package liveness

import (
	"image"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/snapshot"
)

// Steps of the challenge sequence, as sent to the candidate's page (docs/protocol.md): the
// report's challenge steps (internal/report owns the words).
const (
	TurnLeft  = report.StepTurnLeft
	TurnRight = report.StepTurnRight
	Hand      = report.StepHand
	Closer    = report.StepCloser
	// Custom is a challenge the interviewer asked for in their own words (marked through
	// the API): what the face did is described, not judged.
	Custom = report.StepCustom
)

// Prompt is one step of the challenge sequence.
type Prompt struct {
	Step string
	Text string        // what the candidate's page shows
	Hold time.Duration // how long the window lasts
}

// Sequence returns the prompts the hosted room runs, in order. Four or five seconds each:
// long enough to turn and hold for two seconds after reading, short enough that the whole
// check takes about half a minute.
func Sequence() []Prompt {
	return []Prompt{
		{TurnLeft, "Turn your head to your left, all the way to full profile, and hold it there.", 4 * time.Second},
		{TurnRight, "Now turn your head to your right, all the way to full profile, and hold it there.", 4 * time.Second},
		{Hand, "Pass your open hand slowly across your face, from one side to the other.", 5 * time.Second},
		{Closer, "Move your face closer to the camera, then back.", 4 * time.Second},
	}
}

// Text returns the prompt text of step and whether step is known.
func Text(step string) (string, bool) {
	for _, p := range Sequence() {
		if p.Step == step {
			return p.Text, true
		}
	}
	return "", false
}

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
	// Grace is how long after a prompt's window a response still counts (default 1.5s): the
	// prompt reaches the page, is read, and the video comes back over the network.
	Grace time.Duration
	// MinLost is the shortest loss of the face that counts as turned away or covered
	// (default 400ms: two looks at five a second).
	MinLost time.Duration
	// Motion is the mean change of the face region between two looks, in luma levels, from
	// which the head or a hand counts as moving there (default 10; a talking head measures
	// 1-4 on the corpus webcam clips).
	Motion float64
	// Chroma is the mean change of the face region's chroma between two looks (Cb plus Cr
	// levels) from which something counts as moving over the face under a "hand" prompt
	// (default 6): a drawn hand of the face's own skin tone under a rendered face changed the
	// luma by only 8-10 levels but the chroma by 6.8-27; without a hand, below 10 luma
	// levels, the chroma changed by at most 5.4 (docs/checks/liveness.md).
	Chroma float64
	// Closer is how much wider than before the prompt the face box must get for "come
	// closer" (default 1.2).
	Closer float64
	// Keep is how much call time of looks the analyzer keeps (default 90s).
	Keep time.Duration
	// NoSwitch turns off the rule that flags the face region switching to another picture
	// from one frame to the next (splice.go), for measuring what it adds.
	NoSwitch bool
	// Passive adds two supporting evidence items after the prompts', never a change of status:
	// the pulse in the face skin and the blinks (passive.go; ~20 µs per frame). Off by
	// default: callers (and cmd/integritybot's end-to-end test) expect one item per prompt.
	Passive bool
}

// DefaultConfig returns the defaults used for zero Config fields.
func DefaultConfig() Config {
	return Config{
		Interval: 200 * time.Millisecond,
		Grace:    1500 * time.Millisecond,
		MinLost:  400 * time.Millisecond,
		Motion:   10,
		Chroma:   6,
		Closer:   1.2,
		Keep:     90 * time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.Grace <= 0 {
		c.Grace = d.Grace
	}
	if c.MinLost <= 0 {
		c.MinLost = d.MinLost
	}
	if c.Motion <= 0 {
		c.Motion = d.Motion
	}
	if c.Chroma <= 0 {
		c.Chroma = d.Chroma
	}
	if c.Closer <= 1 {
		c.Closer = d.Closer
	}
	if c.Keep <= 0 {
		c.Keep = d.Keep
	}
	return c
}

// look is what one frame the face check searched showed.
type look struct {
	at     time.Duration
	face   bool
	box    image.Rectangle
	score  float32
	motion float64 // mean change of the face region's luma since the previous look; -1 when unknown
	// chroma is the same region's change of chroma (Cb + Cr, blocks.go); -1 when unknown.
	// A hand of the face's own skin tone changes the luma of the region little, but it
	// covers hair and background around the face, whose colour differs.
	chroma float64
}

// window is one challenge: a prompt and the call time it ran.
type window struct {
	step        string
	from, until time.Duration
	done        bool
	out         outcome
	// snap is the evidence snapshot: the look in the window where the face region changed
	// most while a face was found (the first face look until then). Dropped when the window
	// is judged a live response.
	snap       string
	snapMotion float64
}

// Analyzer is the liveness check for one video stream. Create it with New.
type Analyzer struct {
	detBuf []face.Detection // reused by recentFaces
	cfg    Config
	faces  Faces

	frames   int
	haveLast bool
	lastPTS  time.Duration
	called   bool
	lastCall time.Duration

	looks   []look
	windows []window

	passive passive // pulse and blinks: supporting evidence only (passive.go)
	// finished: the call is over (Finish); prompts are judged without waiting for their grace.
	finished bool

	region image.Rectangle // where the face region's change is measured
	patch  blocks
	havePt bool

	flash  flash  // frame-by-frame flashing of the region during prompts (flash.go)
	splice splice // the region switching to another face between two frames (splice.go)
}

// New returns the check reading the face check's detections from faces, which must observe
// every frame before this analyzer does (list it earlier among the session's analyzers). A
// nil faces makes the check unknown ("face detection unavailable").
func New(cfg Config, faces Faces) *Analyzer {
	return &Analyzer{cfg: cfg.withDefaults(), faces: faces}
}

// Challenge records that the candidate was asked to do step from call time from until until.
// Finish tells the check the call (or recording) ended at call time at: prompts still within
// their grace are judged with the video that arrived (bot.Finisher).
func (a *Analyzer) Finish(at time.Duration) { a.finished = true }

// Windows may arrive before their frames (the hosted room records a prompt when it sends it);
// a window is scored once the video has passed its end and the grace period.
func (a *Analyzer) Challenge(step string, from, until time.Duration) {
	if until <= from {
		return
	}
	a.windows = append(a.windows, window{step: step, from: from, until: until})
}

// Observe looks at one frame: on frames the face check searched, it records whether a face
// was found, its box and score, and how much the face region changed since the last look.
func (a *Analyzer) Observe(f *media.Frame) {
	if a.faces == nil || f == nil || f.Width <= 0 || f.Height <= 0 || len(f.Y) < (f.Height-1)*f.YStride+f.Width {
		return
	}
	if a.haveLast && f.PTS < a.lastPTS {
		return
	}
	a.frames++
	a.haveLast, a.lastPTS = true, f.PTS
	if a.cfg.Passive {
		a.passive.observe(f, a.faces) // every frame, before the looks' sampling (passive.go)
	}
	if a.active(f.PTS) && a.flash.observe(f, a.region, a.cfg.Keep) { // every frame of a prompt (flash.go)
		// The face switching to another picture (splice.go); a frame that may be such a
		// cut keeps its snapshot, the evidence of a break.
		if a.splice.observe(f, a.region, a.cfg.Keep) {
			a.splice.snap(f, shrink(a.region))
		}
	}
	if a.called && f.PTS-a.lastCall < a.cfg.Interval*9/10 {
		return
	}
	a.called, a.lastCall = true, f.PTS
	a.sample(f)
	a.snapshot(f)
	a.score(f.PTS)
}

// maxSnaps bounds the snapshots of flagged prompts kept (the first ones judged).
const maxSnaps = 3

// snapshot takes the evidence snapshot of the windows f falls in, while f is valid: at
// their first look with a face, then whenever the face region changed clearly more than at
// the last one taken (the moment a flag would point at: a frontal face under a moving hand).
func (a *Analyzer) snapshot(f *media.Frame) {
	l := a.looks[len(a.looks)-1]
	if !l.face {
		return
	}
	for i := range a.windows {
		w := &a.windows[i]
		if w.done || l.at < w.from || l.at > w.until+a.cfg.Grace {
			continue
		}
		if w.snap != "" && (l.motion < a.cfg.Motion || l.motion < 1.25*w.snapMotion) {
			continue
		}
		if s, err := snapshot.Encode(f, l.box, snapshot.DefaultWidth); err == nil {
			w.snap, w.snapMotion = s, max(l.motion, 0)
		}
	}
}

// flagged reports whether an outcome is a warning sign (its evidence carries a snapshot).
func flagged(kind string) bool {
	return kind == kindFrontal || kind == kindFlicker || kind == kindNoResponse || kind == kindBreak
}

// sample records the look at f.
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
	l := look{at: f.PTS}
	if d != nil {
		l.face, l.box, l.score = true, d.Box, d.Score
	}
	c := a.measure(f, d)
	l.motion, l.chroma = c.luma, c.chroma
	a.looks = append(a.looks, l)
	if old := a.looks[0].at; f.PTS-old > a.cfg.Keep {
		i := 0
		for i < len(a.looks) && f.PTS-a.looks[i].at > a.cfg.Keep {
			i++
		}
		a.looks = append(a.looks[:0], a.looks[i:]...)
	}
}

// score scores the windows whose video has fully arrived by now.
func (a *Analyzer) score(now time.Duration) {
	for i := range a.windows {
		w := &a.windows[i]
		if !w.done && now >= w.until+a.cfg.Grace {
			w.out = a.judge(*w)
			w.done = true
			w.snap = a.snapOf(*w)
			if !flagged(w.out.kind) || a.flaggedSnaps() > maxSnaps {
				w.snap = "" // memory stays bounded: only flags show a snapshot
			}
		}
	}
}

// snapOf is the evidence snapshot of judged window w: for a break, the frame of its first
// cut (the switch to another face) while it is kept, else the window's look snapshot.
func (a *Analyzer) snapOf(w window) string {
	if w.out.kind == kindBreak {
		for _, c := range w.out.cuts {
			if s := a.splice.snapAt(c.at); s != "" {
				return s
			}
		}
	}
	return w.snap
}

// flaggedSnaps counts the judged, flagged windows holding a snapshot.
func (a *Analyzer) flaggedSnaps() int {
	n := 0
	for _, w := range a.windows {
		if w.done && w.snap != "" && flagged(w.out.kind) {
			n++
		}
	}
	return n
}

// recentDetections is how many of the face check's newest detections are read per look:
// enough for every face of the last sampled frames.
const recentDetections = 8

// recentFaces reads the newest face detections into a reused buffer.
func (a *Analyzer) recentFaces() []face.Detection {
	a.detBuf = a.faces.Recent(a.detBuf[:0], recentDetections)
	return a.detBuf
}
