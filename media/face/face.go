// Package face implements the "face" check: is one person's face in view during the call?
//
// An Analyzer samples decoded frames by their timestamps (DefaultConfig: five a second),
// finds faces with pigo (github.com/esimov/pigo, a pure-Go pixel-intensity-comparison
// detector) on a small grayscale copy of the luma plane, and reports, with time ranges a
// human can verify, the share of the call with a face, intervals with no face (the
// candidate left or the camera points away), more than one face (someone else may be in
// view), and a face too small or too dark to judge. Between two detections the last result
// holds: faces in a call move little in 200 ms, and every finding needs two seconds (or
// three detections) of agreement anyway.
//
// For later detectors it keeps the recent detections (box, score, pupils and optionally
// facial landmarks) in a bounded ring: see Analyzer.Detections.
//
// The Analyzer is pure: no goroutines and no wall clock; time comes from frame PTS. It is
// not safe for concurrent use; the pipeline calls it from one goroutine.
package face

import (
	"fmt"
	"image"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/snapshot"
)

// Config tunes the check. Zero fields take the values of DefaultConfig.
type Config struct {
	// Interval is the time between two detections (default 200ms: five a second).
	Interval time.Duration
	// DetectWidth is the width frames are downscaled to before detection (default 320).
	// Narrower frames are used as they are.
	DetectWidth int
	// MinFace is the smallest face searched for first, as a share of the frame width
	// (default 0.125). The cost grows with the square of 1/MinFace; smaller faces (down to
	// 6 %) are searched for only when none of this size is found.
	MinFace float64
	// MinScore is the smallest pigo score (clustered) counted as a face (default 8).
	MinScore float64
	// MultiScore is the smallest score of a second or further face (default 20). Measured
	// on the corpus: spurious second faces (a waving hand) mostly scored below 11, once (1
	// frame of 33) above 20; the real second face of the split-screen clip 36 and more.
	// A finding also needs three detections over a second, which single frames never reach.
	MultiScore float64
	// SmallFace: a face narrower than this share of the frame width is too small to judge
	// (default 0.1; in a 640×480 picture, 64 px).
	SmallFace float64
	// DarkFace: a face whose mean luma (0..255) is below this is too dark to judge (default 50).
	DarkFace float64
	// NoFaceAfter: no face, or a small or dark one, for longer than this is a finding (default 2s).
	NoFaceAfter time.Duration
	// MultipleAfter: two or more faces for at least this long, on at least three
	// detections, is a finding (default 1s).
	MultipleAfter time.Duration
	// MinVideo: less analyzed video than this makes the check unknown (default 2s).
	MinVideo time.Duration
	// Pupils also locates the pupils of the main face (pigo's puploc, about 0.75 ms per eye),
	// at most once a second (see pupilsEvery), kept with that detection for eye-based
	// detectors. integritybot turns it on (config face.pupils); the package default is off.
	// Landmarks turns it on for every detection (landmarks are placed from the pupils).
	Pupils bool
	// Landmarks also locates 15 facial landmarks per main face (pigo's lps cascades).
	Landmarks bool
	// Keep is how many recent detections Detections returns (default 512, ~100 s at five a second).
	Keep int
	// CascadeDir reads pigo's cascades (facefinder, puploc, lps/) from this directory
	// instead of the copy embedded at build time.
	CascadeDir string
}

// DefaultConfig returns the defaults used for zero Config fields.
//
// The sampling numbers were chosen by measurement (one core of the shared 2-core AMD EPYC
// dev machine, pigo v1.4.6, corpus clips; go test -bench . and TestCorpusRecall):
//   - pigo's search cost depends on the smallest face searched for relative to the
//     picture, not on the detection width (its window step grows with the window): per
//     frame 8-11 ms from 8 % of the width, 5-7 ms from 10 %, 3.2-4.7 ms from 12.5 %, the
//     same at 160, 240, 320 and 480 px wide. Recall on every corpus clip was 100 % in
//     each of those settings, so MinFace is 12.5 %, with a fallback search from 6 % only
//     when nothing was found (small faces are reported rather than missed).
//   - DetectWidth 320: downscaling costs 0.4 ms (640×480) to 1.1 ms (1280×720); 320 keeps
//     the 6 % fallback at 19 px, above pigo's 12-20 px floor (at 160 px it would be 10 px),
//     and eye positions precise to 2-4 frame pixels.
//   - Pupils add about 0.75 ms per eye (28 % of the check's CPU when they were on by
//     default) and no check reads them, hence off (Config.Pupils); the 15 landmarks about
//     22 ms, off too.
//   - Every other detection searches only around the one face of the previous full search
//     (detect): a quarter of the cost, falling back to the full search when it finds
//     nothing, so recall stays at 100 % (TestCorpusRecall).
//   - A detection then takes 2.3 ms on average at 640×480 (BenchmarkDetect; 5.3 ms with
//     pupils and a full search every time). At five a second (Interval 200 ms) that is about
//     0.4 ms per frame of a 30 fps stream, against 60-65 % of a core for pigo on every
//     frame (docs/pitfalls.md); every finding needs 1-2 s, so it still rests on 5-10 detections.
func DefaultConfig() Config {
	return Config{
		Interval:      200 * time.Millisecond,
		DetectWidth:   320,
		MinFace:       0.125,
		MinScore:      8,
		MultiScore:    20,
		SmallFace:     0.1,
		DarkFace:      50,
		NoFaceAfter:   2 * time.Second,
		MultipleAfter: time.Second,
		MinVideo:      2 * time.Second,
		Keep:          512,
	}
}

// withDefaults fills zero (or negative) fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.DetectWidth <= 0 {
		c.DetectWidth = d.DetectWidth
	}
	if c.MinFace <= 0 {
		c.MinFace = d.MinFace
	}
	if c.MinScore <= 0 {
		c.MinScore = d.MinScore
	}
	if c.MultiScore <= 0 {
		c.MultiScore = d.MultiScore
	}
	if c.SmallFace <= 0 {
		c.SmallFace = d.SmallFace
	}
	if c.DarkFace <= 0 {
		c.DarkFace = d.DarkFace
	}
	if c.NoFaceAfter <= 0 {
		c.NoFaceAfter = d.NoFaceAfter
	}
	if c.MultipleAfter <= 0 {
		c.MultipleAfter = d.MultipleAfter
	}
	if c.MinVideo <= 0 {
		c.MinVideo = d.MinVideo
	}
	if c.Keep <= 0 {
		c.Keep = d.Keep
	}
	return c
}

// Detection is one face found in one sampled frame. Coordinates are in pixels of the
// original frame.
type Detection struct {
	PTS   time.Duration
	Rank  int             // 0 for the best-scoring face of its frame, 1 for the next, ...
	Faces int             // faces found in that frame
	Box   image.Rectangle // square face box
	Score float32         // pigo's clustered score; MinScore and up
	Luma  float64         // mean luma inside the box, 0..255
	// Pupils, found for the main face only (Rank 0) when Config.Pupils or
	// Config.Landmarks is set. LeftEye is the eye on the left of the
	// picture. A zero point means not found.
	LeftEye, RightEye image.Point
	// Landmarks of the main face when Config.Landmarks is set, nil otherwise: eye corners
	// and eyelids of lp46, lp44, lp42, lp38, lp312 (left of picture then right, in that
	// order), then mouth points of lp93, lp84, lp82, lp81 and the mirrored lp84. Points not
	// found are zero.
	Landmarks *[NumLandmarks]image.Point
}

// Analyzer is the face check for one video stream. Create it with New.
type Analyzer struct {
	cfg Config
	cas *cascades
	det detector

	// finished: the call is over (Finish); Result words what is missing as final, not pending.
	finished bool

	frames        int
	haveLast      bool
	lastPTS       time.Duration
	firstPTS      time.Duration
	lastDetect    time.Duration
	detected      bool
	samples       int
	width, height int

	ring  []Detection // ring buffer of the last cfg.Keep detections
	ringN int         // detections written so far

	tl    timeline
	snaps int // evidence snapshots taken
}

// New returns an Analyzer; zero fields in cfg take the defaults of DefaultConfig. pigo's
// cascades are unpacked on the first New of a process (per CascadeDir) and shared after
// that. It fails (with ErrNoCascades when they are absent) if the cascades cannot be loaded.
func New(cfg Config) (*Analyzer, error) {
	cfg = cfg.withDefaults()
	c, err := sharedCascades(cfg.CascadeDir, cfg.Landmarks)
	if err != nil {
		return nil, err
	}
	return newWith(cfg, c), nil
}

func newWith(cfg Config, c *cascades) *Analyzer {
	return &Analyzer{cfg: cfg, cas: c, tl: timeline{cfg: cfg}}
}

// Fresh returns a new Analyzer with a's configuration and cascades and nothing observed:
// one per stream, from the Analyzer New made.
func (a *Analyzer) Fresh() *Analyzer {
	return newWith(a.cfg, a.cas)
}

// Observe looks at one frame. Only frames at least Config.Interval after the last
// detection (by PTS) are searched for faces; the others cost a comparison.
func (a *Analyzer) Observe(f *media.Frame) {
	if f == nil || f.Width <= 0 || f.Height <= 0 || len(f.Y) < (f.Height-1)*f.YStride+f.Width {
		return
	}
	if a.haveLast && f.PTS < a.lastPTS {
		return // out of order: time only moves forward
	}
	if !a.haveLast {
		a.firstPTS = f.PTS
	}
	a.frames++
	a.haveLast, a.lastPTS = true, f.PTS
	resized := f.Width != a.width || f.Height != a.height
	// A tenth of the interval in hand keeps 30 fps (33.3 ms steps) at five detections a
	// second instead of slipping to every seventh frame.
	if a.detected && !resized && f.PTS-a.lastDetect < a.cfg.Interval*9/10 {
		return
	}
	a.width, a.height = f.Width, f.Height
	a.detected, a.lastDetect = true, f.PTS
	a.samples++
	faces := a.det.detect(a.cas, a.cfg, f)
	for i := range faces {
		a.keep(faces[i])
	}
	a.tl.add(f.PTS, faces, f.Width)
	if m := &a.tl.multiple; m.on && m.snap == "" && a.snaps < maxSnaps &&
		m.hits >= minMultiple && m.to-m.from >= a.cfg.MultipleAfter {
		// The multiple_faces finding just opened: this frame shows the faces.
		boxes := make([]image.Rectangle, len(faces))
		for i, d := range faces {
			boxes[i] = d.Box
		}
		if s, err := snapshot.EncodeBoxes(f, boxes, snapshot.DefaultWidth); err == nil {
			m.snap = s
			a.snaps++
		}
	}
}

// maxSnaps bounds the evidence snapshots of one stream (the first multiple_faces findings).
const maxSnaps = 3

// keep stores d in the ring buffer.
func (a *Analyzer) keep(d Detection) {
	if len(a.ring) < a.cfg.Keep {
		a.ring = append(a.ring, d)
	} else {
		a.ring[a.ringN%a.cfg.Keep] = d
	}
	a.ringN++
}

// Recent appends the newest n detections (fewer if there are fewer), oldest first, to dst and
// returns it. Analyzers that read the face check on every sampled frame use it with a reused
// dst, so reading costs no allocation (Detections copies the whole ring).
func (a *Analyzer) Recent(dst []Detection, n int) []Detection {
	n = min(n, len(a.ring))
	for k := a.ringN - n; k < a.ringN; k++ {
		dst = append(dst, a.ring[k%len(a.ring)])
	}
	return dst
}

// Detections returns a copy of the last Config.Keep detections, oldest first. Sampled
// frames without a face add nothing.
func (a *Analyzer) Detections() []Detection {
	out := make([]Detection, 0, len(a.ring))
	if len(a.ring) < a.cfg.Keep {
		return append(out, a.ring...)
	}
	i := a.ringN % a.cfg.Keep
	out = append(out, a.ring[i:]...)
	return append(out, a.ring[:i]...)
}

// String describes the configuration for logs.
func (c Config) String() string {
	return fmt.Sprintf("every %s at %d px wide, faces from %.0f%% of the width", c.Interval, c.DetectWidth, 100*c.MinFace)
}

// Unavailable stands in for the face check when New failed (for example ErrNoCascades in
// a binary built without make): it observes nothing and reports the check as unknown with
// the reason, so the report says the face was not checked instead of leaving it out.
type Unavailable struct {
	Err error
}

// Observe does nothing.
func (u Unavailable) Observe(*media.Frame) {}

// Result reports the check as unknown, naming the reason.
func (u Unavailable) Result(time.Duration) report.Check {
	return report.Check{
		ID: report.CheckFace, Status: report.Unknown, Evidence: []report.Evidence{},
		Summary:  fmt.Sprintf("The face check could not run on this server (%v).", u.Err),
		NextStep: "Look at the candidate's video yourself; ask the operator to rebuild the bot with make build.",
	}
}
