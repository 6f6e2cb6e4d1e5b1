package liveness

import (
	"bytes"
	"image"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/snapshot"
)

// fakeFaces plays the face check: the test decides what it found in each searched frame.
type fakeFaces struct{ dets []face.Detection }

func (f *fakeFaces) Recent(dst []face.Detection, n int) []face.Detection {
	return append(dst, f.dets[max(0, len(f.dets)-n):]...)
}

const (
	fw, fh = 320, 240
	fps    = 15
)

// scene says what a frame at call time at shows: whether the face detector finds a face and
// where, and what is drawn in the picture.
type scene struct {
	face  bool
	box   image.Rectangle
	score float32
	shift int // the head texture is drawn this many pixels to the right (a turning head)
	hand  int // a bright vertical bar (a hand) at this x; 0 for none
}

var frontal = image.Rect(110, 60, 210, 160)

func still(time.Duration) scene { return scene{face: true, box: frontal, score: 40} }

// frame draws sc: a mid-grey picture with a textured head region.
func frame(at time.Duration, sc scene) *media.Frame {
	f := &media.Frame{PTS: at, Width: fw, Height: fh, YStride: fw, UVStride: fw / 2,
		Y: make([]byte, fw*fh), U: make([]byte, fw*fh/4), V: make([]byte, fw*fh/4)}
	for y := range fh {
		for x := range fw {
			v := byte(90)
			hx := x - sc.shift
			if hx >= 100 && hx < 220 && y >= 50 && y < 170 {
				v = byte(60 + (hx*7+y*13)%120) // head texture
			}
			if sc.hand > 0 && x >= sc.hand && x < sc.hand+40 && y >= 40 && y < 200 {
				v = 210
			}
			f.Y[y*fw+x] = v
		}
	}
	return f
}

// play feeds the analyzer frames from 0 to until, the face check's part played by ff.
func play(a *Analyzer, ff *fakeFaces, from, until time.Duration, at func(time.Duration) scene) {
	for t := from; t < until; t += time.Second / fps {
		sc := at(t)
		if sc.face {
			ff.dets = append(ff.dets, face.Detection{PTS: t, Box: sc.box, Score: sc.score, Faces: 1})
		}
		a.Observe(frame(t, sc))
	}
}

// sequence records the hosted room's windows starting at start: 4, 4, 5 and 4 s with 2 s between.
func sequence(a *Analyzer, start time.Duration) {
	t := start
	for _, p := range Sequence() {
		a.Challenge(p.Step, t, t+p.Hold)
		t += p.Hold + 2*time.Second
	}
}

const seqStart = 5 * time.Second

// windowOf returns the step whose window (with grace) holds t, or "".
func windowOf(t time.Duration) (string, time.Duration) {
	s := seqStart
	for _, p := range Sequence() {
		if t >= s && t < s+p.Hold+1500*time.Millisecond {
			return p.Step, t - s
		}
		s += p.Hold + 2*time.Second
	}
	return "", 0
}

// genuine is a live person following the prompts, with a second of reaction.
func genuine(t time.Duration) scene {
	sc := still(t)
	step, in := windowOf(t)
	if in < time.Second || in > 3500*time.Millisecond {
		return sc
	}
	switch step {
	case TurnLeft, TurnRight:
		sc.face, sc.shift = false, 35
	case Hand:
		x := 60 + int((in-time.Second).Seconds()*80) // sweeps across in ~2.5 s
		sc.hand = x
		if x > 110 && x < 190 {
			sc.face = false
		}
	case Closer:
		sc.box = image.Rect(90, 40, 230, 180)
		sc.score = 45
	}
	return sc
}

// swap is a rendered face that moves with the head but never leaves the detector.
func swap(t time.Duration) scene {
	sc := genuine(t)
	sc.face, sc.score = true, 38
	if sc.box != frontal && sc.box.Dx() < frontal.Dx() {
		sc.box = frontal
	}
	return sc
}

func run(t *testing.T, at func(time.Duration) scene, length time.Duration, challenge bool) report.Check {
	t.Helper()
	ff := &fakeFaces{}
	a := New(Config{}, ff)
	if challenge {
		sequence(a, seqStart)
	}
	play(a, ff, 0, length, at)
	c := a.Result(length)
	t.Logf("%s (%.2f): %s", c.Status, c.Confidence, c.Summary)
	for _, e := range c.Evidence {
		t.Logf("  %s %.1f–%.1f: %s", e.Kind, e.AtS, *e.UntilS, e.Detail)
	}
	return c
}

func TestResult(t *testing.T) {
	const length = 35 * time.Second
	cases := []struct {
		name      string
		at        func(time.Duration) scene
		challenge bool
		status    report.Status
		kinds     []string // evidence kinds, one per prompt
		says      string
	}{
		{"no challenge", genuine, false, report.Unknown, nil, "No liveness challenge has been run yet."},
		{"live person", genuine, true, report.Pass, []string{kindResponded, kindResponded, kindResponded, kindResponded}, "answered 4 of 4"},
		{"photo or replay", still, true, report.Warn, []string{kindNoResponse, kindNoResponse, kindNoResponse, kindNoResponse}, "did not respond in time to 4 of 4"},
		{"face swap", swap, true, report.Fail, []string{kindFrontal, kindFrontal, kindFrontal, kindResponded}, "kept facing the camera"},
		{"flashing face", func(t time.Duration) scene {
			sc := swap(t)
			if step, in := windowOf(t); step == TurnLeft && in > time.Second && in < 3500*time.Millisecond {
				sc.face = (t/(200*time.Millisecond))%2 == 0
			}
			return sc
		}, true, report.Fail, []string{kindFlicker, kindFrontal, kindFrontal, kindResponded}, "kept facing the camera"},
		{"no face at all", func(t time.Duration) scene { return scene{} }, true, report.Unknown,
			[]string{kindNoFace, kindNoFace, kindNoFace, kindNoFace}, "nothing could be judged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := run(t, tc.at, length, tc.challenge)
			if c.ID != report.CheckLiveness || c.Status != tc.status {
				t.Fatalf("status %s (%s); want %s", c.Status, c.Summary, tc.status)
			}
			if !strings.Contains(c.Summary, tc.says) {
				t.Errorf("summary %q lacks %q", c.Summary, tc.says)
			}
			if c.Status != report.Pass && c.NextStep == "" {
				t.Error("no next step")
			}
			if len(c.Evidence) != len(tc.kinds) {
				t.Fatalf("%d evidence items; want %d", len(c.Evidence), len(tc.kinds))
			}
			start := seqStart
			flags := 0
			for i, e := range c.Evidence {
				p := Sequence()[i]
				if e.Kind != tc.kinds[i] {
					t.Errorf("prompt %s: kind %s (%s); want %s", p.Step, e.Kind, e.Detail, tc.kinds[i])
				}
				// Flagged prompts carry a snapshot, the first maxSnaps of them; others none.
				switch {
				case flagged(e.Kind) && flags < maxSnaps:
					flags++
					checkSnapshot(t, e.Snapshot)
				case e.Snapshot != "":
					t.Errorf("prompt %s (%s): a snapshot although not flagged or over the cap", p.Step, e.Kind)
				}
				if e.AtS != start.Seconds() || e.UntilS == nil || *e.UntilS != (start+p.Hold).Seconds() {
					t.Errorf("prompt %s: window %v–%v; want %v–%v", p.Step, e.AtS, e.UntilS, start.Seconds(), (start + p.Hold).Seconds())
				}
				start += p.Hold + 2*time.Second
			}
		})
	}
}

func TestFlickerAlone(t *testing.T) {
	// Only the left turn was asked (an interviewer's mark), and the face flashed through it.
	ff := &fakeFaces{}
	a := New(Config{}, ff)
	a.Challenge(TurnLeft, 5*time.Second, 9*time.Second)
	play(a, ff, 0, 14*time.Second, func(t time.Duration) scene {
		sc := still(t)
		if t > 6*time.Second && t < 8500*time.Millisecond {
			sc.face, sc.shift = (t/(200*time.Millisecond))%2 == 0, 20
		}
		return sc
	})
	c := a.Result(14 * time.Second)
	if c.Status != report.Warn || c.Evidence[0].Kind != kindFlicker || !strings.Contains(c.Summary, "flashed") {
		t.Fatalf("%s %q %+v; want a face_flicker warning", c.Status, c.Summary, c.Evidence)
	}
	checkSnapshot(t, c.Evidence[0].Snapshot)
}

// checkSnapshot fails unless s is a JPEG data URL that decodes.
func checkSnapshot(t *testing.T, s string) {
	t.Helper()
	b, err := snapshot.Decode(s)
	if err != nil {
		t.Errorf("evidence snapshot: %v", err)
		return
	}
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil || len(b) > snapshot.MaxBytes {
		t.Errorf("evidence snapshot of %d bytes does not decode: %v", len(b), err)
	}
}

func TestRunningAndUnfinished(t *testing.T) {
	ff := &fakeFaces{}
	a := New(Config{}, ff)
	sequence(a, seqStart)
	play(a, ff, 0, 8*time.Second, genuine)
	c := a.Result(8 * time.Second)
	if c.Status != report.Unknown || !strings.Contains(c.Summary, "running") {
		t.Fatalf("mid-sequence: %s %q; want unknown, running", c.Status, c.Summary)
	}
	for _, e := range c.Evidence {
		if e.Kind != kindNotFinished {
			t.Errorf("mid-sequence evidence %s: %s", e.Kind, e.Detail)
		}
	}
	// The video stops in the hand prompt; the call ends much later: what was seen is judged,
	// the rest says no video.
	play(a, ff, 8*time.Second, 18*time.Second, genuine)
	c = a.Result(40 * time.Second)
	kinds := []string{}
	for _, e := range c.Evidence {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "responded,responded,no_video,no_video" || c.Status != report.Pass {
		t.Fatalf("%s %q kinds %v; want pass with responded×2 then no_video×2", c.Status, c.Summary, kinds)
	}
	if !strings.Contains(c.Summary, "2 prompt(s) could not be judged") {
		t.Errorf("summary %q does not say a prompt could not be judged", c.Summary)
	}
}

func TestUnavailable(t *testing.T) {
	a := New(Config{}, nil)
	a.Challenge(TurnLeft, time.Second, 5*time.Second)
	a.Observe(frame(time.Second, still(0)))
	if c := a.Result(10 * time.Second); c.Status != report.Unknown || !strings.Contains(c.Summary, "face detection") {
		t.Fatalf("%s %q; want unknown naming face detection", c.Status, c.Summary)
	}
}

func TestText(t *testing.T) {
	for _, p := range Sequence() {
		if s, ok := Text(p.Step); !ok || s != p.Text || p.Hold < 3*time.Second {
			t.Errorf("%s: %q %v %s", p.Step, s, ok, p.Hold)
		}
	}
	if _, ok := Text("smile"); ok {
		t.Error("unknown step accepted")
	}
}

// BenchmarkObserve is the cost per frame outside prompts: the looks five times a second
// (benchObserve in flash_test.go).
func BenchmarkObserve(b *testing.B) {
	benchObserve(b, false)
}

// TestFinish: a call that ends during a prompt's grace (or mid-prompt) leaves no prompt
// pending in the final report; what arrived is judged.
func TestFinish(t *testing.T) {
	ff := &fakeFaces{}
	a := New(Config{}, ff)
	sequence(a, seqStart)
	play(a, ff, 0, 8*time.Second, genuine)
	a.Finish(8 * time.Second)
	c := a.Result(8 * time.Second)
	for _, e := range c.Evidence {
		if e.Kind == kindNotFinished {
			t.Errorf("after Finish, prompt %s is still pending: %s", e.Kind, e.Detail)
		}
	}
	if strings.Contains(c.Summary, "running") {
		t.Errorf("after Finish the summary says the challenge is running: %q", c.Summary)
	}
	t.Logf("%s: %s", c.Status, c.Summary)
}
