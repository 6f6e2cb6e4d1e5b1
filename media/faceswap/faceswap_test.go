package faceswap

import (
	"bytes"
	"image"
	"image/jpeg"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/snapshot"
)

// fixedFaces reports one face at box on every frame whose PTS it is told, without allocating.
type fixedFaces struct {
	dets []face.Detection
	on   bool
}

func (f *fixedFaces) at(pts time.Duration) { f.dets[0].PTS = pts }

func (f *fixedFaces) Recent(dst []face.Detection, n int) []face.Detection {
	if !f.on {
		return dst
	}
	return append(dst, f.dets[max(0, len(f.dets)-n):]...)
}

func newFixed(box image.Rectangle) *fixedFaces {
	return &fixedFaces{dets: []face.Detection{{Box: box, Faces: 1, Score: 30}}, on: true}
}

// testFrame returns a w×h frame with a textured background and a lighter square "face".
func testFrame(w, h int) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw,
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for y := range h {
		for x := range w {
			f.Y[y*w+x] = byte(60 + (x*7+y*13)%50)
			if x > w/3 && x < 2*w/3 && y > h/4 && y < 3*h/4 {
				f.Y[y*w+x] = byte(150 + (x*x+y)%20)
			}
		}
	}
	for i := range f.U {
		f.U[i], f.V[i] = 110, 150
	}
	return f
}

func feed(a *Analyzer, ff *fixedFaces, f *media.Frame, from, to, step time.Duration) {
	for t := from; t < to; t += step {
		f.PTS = t
		if ff != nil {
			ff.at(t)
		}
		a.Observe(f)
	}
}

func TestUnknown(t *testing.T) {
	box := image.Rect(220, 130, 420, 330)
	tests := []struct {
		name  string
		setup func() *Analyzer
		want  string
	}{
		{"no face detection", func() *Analyzer { return New(Config{}, nil) }, "face detection is unavailable"},
		{"no video", func() *Analyzer { return New(Config{}, newFixed(box)) }, "no video has arrived"},
		{"still", func() *Analyzer {
			ff := newFixed(box)
			a := New(Config{}, ff)
			feed(a, ff, testFrame(640, 480), 0, time.Millisecond, time.Millisecond)
			return a
		}, "single picture"},
		{"no face", func() *Analyzer {
			ff := newFixed(box)
			ff.on = false
			a := New(Config{}, ff)
			feed(a, ff, testFrame(640, 480), 0, 5*time.Second, 40*time.Millisecond)
			return a
		}, "No face was found"},
		{"face too small", func() *Analyzer {
			ff := newFixed(image.Rect(300, 200, 320, 220))
			a := New(Config{}, ff)
			feed(a, ff, testFrame(640, 480), 0, 5*time.Second, 40*time.Millisecond)
			return a
		}, "too small"},
		{"too little video", func() *Analyzer {
			ff := newFixed(box)
			a := New(Config{}, ff)
			feed(a, ff, testFrame(640, 480), 0, 900*time.Millisecond, 40*time.Millisecond)
			return a
		}, "Not enough face video"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.setup().Result(10 * time.Second)
			if c.ID != report.CheckFaceSwap || c.Status != report.Unknown || !strings.Contains(c.Summary, tt.want) || c.Evidence == nil {
				t.Errorf("got %s %q, want unknown with %q", c.Status, c.Summary, tt.want)
			}
		})
	}
}

// windowed returns an analyzer given model scores two a second as if scored from frames (the
// scores come from pixels; this tests the windows and the report).
func windowed(cfg Config, d time.Duration, score func(at time.Duration) float64) *Analyzer {
	a := New(cfg, newFixed(image.Rect(0, 0, 100, 100)))
	a.frames, a.haveLast = 2, true
	for t := time.Duration(0); t < d; t += 500 * time.Millisecond {
		a.scored++
		a.lastPTS = t
		a.win.add(t, score(t))
	}
	return a
}

func TestResult(t *testing.T) {
	m, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	hi, lo := min(1, m.Threshold+0.2), max(0, m.Threshold-0.2)
	swapFrom8to14 := func(t time.Duration) float64 {
		if t >= 8*time.Second && t < 14*time.Second {
			return hi
		}
		return lo
	}
	tests := []struct {
		name   string
		warn   bool
		score  func(time.Duration) float64
		status report.Status
		runs   int
	}{
		{"genuine, information only", false, func(time.Duration) float64 { return lo }, report.Unknown, 0},
		{"swap for 6 s, information only", false, swapFrom8to14, report.Unknown, 1},
		{"genuine, warnings on", true, func(time.Duration) float64 { return lo }, report.Pass, 0},
		{"swap for 6 s, warnings on", true, swapFrom8to14, report.Warn, 1},
		{"a 0.5 s burst is averaged out", true, func(t time.Duration) float64 {
			if t == 8*time.Second {
				return 1
			}
			return max(0, m.Threshold-0.3)
		}, report.Pass, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := windowed(Config{Warn: tt.warn}, 20*time.Second, tt.score)
			c := a.Result(20 * time.Second)
			if c.Status != tt.status || len(c.Evidence) != 1+tt.runs {
				t.Fatalf("got %s with %d evidence (%s), want %s with %d", c.Status, len(c.Evidence), c.Summary, tt.status, 1+tt.runs)
			}
			if c2 := a.Result(20 * time.Second); !reflect.DeepEqual(c, c2) {
				t.Errorf("Result changed the analyzer: %+v then %+v", c, c2)
			}
			if !tt.warn && (!strings.HasPrefix(c.Summary, informational) || c.Confidence != 0 || c.NextStep != nextStep) {
				t.Errorf("information only: %+v", c)
			}
			for _, e := range c.Evidence {
				if e.Kind != kindModel || e.UntilS == nil || *e.UntilS <= e.AtS || !strings.Contains(e.Detail, m.Version) ||
					strings.Contains(e.Detail, "Information only") == tt.warn {
					t.Errorf("evidence %+v", e)
				}
			}
			if tt.runs > 0 {
				// Windows at or over the threshold hold at least half swap-like crops: those
				// starting at 7 to 13 s.
				e := c.Evidence[1]
				if e.AtS < 7 || e.AtS > 8 || *e.UntilS < 14 || *e.UntilS > 15 {
					t.Errorf("run %.1f-%.1f s, want about 8-14 s", e.AtS, *e.UntilS)
				}
			}
			if tt.status == report.Warn && (c.NextStep != nextStep || c.Confidence < m.Threshold) {
				t.Errorf("warning without next step or with confidence %.2f", c.Confidence)
			}
		})
	}
}

// TestObserveScores: on a 30 fps stream with a face, two crops a second are scored, the
// highest-scoring one is the evidence's picture, and a frame the face check did not search
// is never cropped.
func TestObserveScores(t *testing.T) {
	ff := newFixed(image.Rect(220, 130, 420, 330))
	a := New(Config{}, ff)
	var at []time.Duration
	var scores []float64
	a.trace = func(t time.Duration, sc float64) {
		at = append(at, t)
		scores = append(scores, sc)
	}
	f := testFrame(640, 480)
	// The face check searches every sixth frame (200 ms); the other frames carry no detection.
	for i := range 300 {
		f.PTS = time.Duration(i) * time.Second / 30
		if i%6 == 0 {
			ff.at(f.PTS)
		}
		a.Observe(f)
	}
	if len(at) < 16 || len(at) > 20 {
		t.Errorf("%d crops scored in 10 s, want about 2 a second: %v", len(at), at)
	}
	for i, x := range at {
		if x%(200*time.Millisecond) != 0 {
			t.Errorf("crop at %v: a frame the face check did not search", x)
		}
		if scores[i] < 0 || scores[i] > 1 {
			t.Errorf("crop at %v: score %v", x, scores[i])
		}
	}
	c := a.Result(a.lastPTS)
	if len(c.Evidence) == 0 {
		t.Fatalf("no evidence: %+v", c)
	}
	// The picture is the highest-scoring face: a JPEG of the frame that decodes.
	jpg, err := snapshot.Decode(c.Evidence[0].Snapshot)
	if err != nil {
		t.Fatalf("evidence snapshot: %v", err)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(jpg)); err != nil || cfg.Width != snapshot.DefaultWidth {
		t.Errorf("snapshot %+v: %v", cfg, err)
	}
}

func TestOutOfOrderAndBadFrames(t *testing.T) {
	ff := newFixed(image.Rect(220, 130, 420, 330))
	a := New(Config{}, ff)
	f := testFrame(640, 480)
	feed(a, ff, f, time.Second, 2*time.Second, 40*time.Millisecond)
	n := a.frames
	f.PTS = 0
	a.Observe(f)
	a.Observe(nil)
	a.Observe(&media.Frame{Width: 640, Height: 480})
	if a.frames != n {
		t.Errorf("frames %d, want %d: out-of-order or broken frames were counted", a.frames, n)
	}
}

// TestObserveAllocs: after the first frames, observing allocates nothing (the face of the
// same frame scores the same, so no new snapshot is encoded).
func TestObserveAllocs(t *testing.T) {
	ff := newFixed(image.Rect(220, 130, 420, 330))
	a := New(Config{}, ff)
	f := testFrame(640, 480)
	feed(a, ff, f, 0, 3*time.Second, 33*time.Millisecond)
	pts := 3 * time.Second
	allocs := testing.AllocsPerRun(300, func() {
		pts += 33 * time.Millisecond
		f.PTS = pts
		ff.at(pts)
		a.Observe(f)
	})
	// Looks are appended to the 90-s history (amortised growth) and windows close.
	if allocs > 0.05 {
		t.Errorf("%.2f allocs per frame, want about 0", allocs)
	}
}

// TestCrop: the crop is the square of CropMargin times the box centred on it, edges repeated.
func TestCrop(t *testing.T) {
	f := testFrame(640, 480)
	// A vertical luma ramp, neutral chroma: the crop's rows follow the ramp.
	for y := range f.Height {
		for x := range f.Width {
			f.Y[y*f.YStride+x] = byte(y / 2)
		}
	}
	for i := range f.U {
		f.U[i], f.V[i] = 128, 128
	}
	dst := make([]byte, 3*CropSide*CropSide)
	box := image.Rect(200, 100, 328, 228) // side 128: the crop is 192 frame pixels, 1.5 per crop pixel
	Crop(dst, f, box)
	for _, oy := range []int{0, 64, 127} {
		wantY := (164 - 96 + (float64(oy)+0.5)*1.5) / 2
		got := float64(dst[3*(oy*CropSide+64)])
		if got < wantY-1.5 || got > wantY+1.5 || dst[3*(oy*CropSide+64)+1] != dst[3*(oy*CropSide+64)] {
			t.Errorf("row %d: %v, want grey %.1f", oy, dst[3*(oy*CropSide+64):3*(oy*CropSide+64)+3], wantY)
		}
	}
	// A box over the corner: the outside repeats the edge, nothing panics.
	Crop(dst, f, image.Rect(-100, -100, 60, 60))
	if dst[0] != dst[3*(10*CropSide+10)] {
		t.Errorf("outside the frame: %d, edge %d", dst[0], dst[3*(10*CropSide+10)])
	}
}

// TestChallengeAfterTheFact: a window marked after its video was seen is judged from the kept
// looks; a window still running adds no evidence.
func TestChallengeAfterTheFact(t *testing.T) {
	f := testFrame(640, 480)
	ff := newFixed(image.Rect(220, 130, 420, 330))
	a := New(Config{}, ff)
	feed(a, ff, f, 0, 10*time.Second, 40*time.Millisecond)
	a.Challenge("hand", 3*time.Second, 6*time.Second)
	a.Challenge("turn_left", 9*time.Second, 13*time.Second)
	c := a.Result(a.lastPTS)
	var n int
	for _, e := range c.Evidence {
		if e.Kind == kindChallenge || e.Kind == kindChallengeSwap {
			n++
			if e.AtS != 3 || !strings.Contains(e.Detail, `Prompt "hand" (3.0–6.0 s)`) {
				t.Errorf("evidence: %+v", e)
			}
		}
	}
	if n != 1 || len(a.chal) != 2 || !a.chal[0].done || a.chal[1].done {
		t.Errorf("%d challenge evidence items, windows %+v", n, a.chal)
	}
	if a.chal[0].in.faces == 0 || a.chal[0].before.faces == 0 {
		t.Errorf("window scored nothing: %+v", a.chal[0])
	}
}
