package liveness

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// turnScene is a head turning away during a "turn left" prompt at 5-9 s: the head texture
// moves smoothly 35 px to the side over 6-7 s and back over 8-9 s; the detector loses the
// face from 6.5 to 8.5 s, as a live face turned far enough is lost.
func turnScene(ts time.Duration) scene {
	sc := still(ts)
	s := func(from time.Duration) int { return int(35 * (ts - from).Seconds()) }
	switch {
	case ts >= 6*time.Second && ts < 7*time.Second:
		sc.shift = s(6 * time.Second)
	case ts >= 7*time.Second && ts < 8*time.Second:
		sc.shift = 35
	case ts >= 8*time.Second && ts < 9*time.Second:
		sc.shift = 35 - s(8*time.Second)
	}
	if ts >= 6500*time.Millisecond && ts < 8500*time.Millisecond {
		sc.face = false
	}
	return sc
}

// headFrame draws sc with a smooth head texture (a face's shading changes little when it
// moves a pixel), another person's when other is set (the face a swap renders).
func headFrame(ts time.Duration, sc scene, other bool) *media.Frame {
	f := frame(ts, scene{})
	for y := 50; y < 170; y++ {
		for x := 100 + sc.shift; x < 220+sc.shift && x < f.Width; x++ {
			hx := float64(x - sc.shift)
			v := 120 + 40*math.Sin(hx/9) + 30*math.Cos(float64(y)/11)
			if other {
				v = 120 + 40*math.Sin(float64(y)/7) + 30*math.Cos(hx/13)
			}
			f.Y[y*f.YStride+x] = byte(v)
		}
	}
	return f
}

// turnPrompt plays turnScene at rate frames a second; swapped says when the other face is
// painted (a swap), nil for the live face throughout.
func turnPrompt(t *testing.T, rate int, swapped func(time.Duration) bool, edit func(time.Duration, *media.Frame)) report.Check {
	t.Helper()
	ff := &fakeFaces{}
	a := New(Config{}, ff)
	a.Challenge(TurnLeft, 5*time.Second, 9*time.Second)
	for ts := time.Duration(0); ts < 12*time.Second; ts += time.Second / time.Duration(rate) {
		sc := turnScene(ts)
		if sc.face {
			ff.dets = append(ff.dets, face.Detection{PTS: ts, Box: sc.box, Score: sc.score, Faces: 1})
		}
		f := headFrame(ts, sc, swapped != nil && swapped(ts))
		if edit != nil {
			edit(ts, f)
		}
		a.Observe(f)
	}
	c := a.Result(12 * time.Second)
	t.Logf("%s (%.2f): %s", c.Status, c.Confidence, c.Summary)
	for _, e := range c.Evidence {
		t.Logf("  %s: %s", e.Kind, e.Detail)
	}
	return c
}

// breaking is a swap that renders the other face except from 6.4 to 8.0 s, where it lost
// the turning head and the real face shows.
func breaking(ts time.Duration) bool {
	return ts < 6400*time.Millisecond || ts >= 8*time.Second
}

// TestTurnBreak: a live head turning is judged a response; a swap that loses the face in the
// turn (the face region switches to the real face from one frame to the next, and back) is a
// face_break with its time, numbers and the snapshot of the switch; a swap that never breaks
// is no break.
func TestTurnBreak(t *testing.T) {
	live := turnPrompt(t, 30, nil, nil)
	if k := live.Evidence[0].Kind; k != kindResponded || live.Status != report.Pass {
		t.Errorf("live turn: %s %s, want responded and pass", k, live.Status)
	}
	always := turnPrompt(t, 30, func(time.Duration) bool { return true }, nil)
	if k := always.Evidence[0].Kind; k == kindBreak {
		t.Errorf("a swap that never breaks: %s", k)
	}
	c := turnPrompt(t, 30, breaking, nil)
	e := c.Evidence[0]
	if e.Kind != kindBreak || c.Status != report.Warn {
		t.Fatalf("breaking swap: %s %s, want %s and warn", e.Kind, c.Status, kindBreak)
	}
	for _, want := range []string{"switched to a different picture from one frame to the next at 6.4 s", "switched again at 8.0 s"} {
		if !strings.Contains(e.Detail, want) {
			t.Errorf("detail lacks %q: %s", want, e.Detail)
		}
	}
	if !strings.Contains(c.NextStep, "snapshot") {
		t.Errorf("next step: %s", c.NextStep)
	}
	checkSnapshot(t, e.Snapshot)
}

// TestTurnBreakSlow: below 20 frames a second a live turn changes too much between two
// frames to tell a switch, so the rule is off and the evidence says so.
func TestTurnBreakSlow(t *testing.T) {
	c := turnPrompt(t, 15, breaking, nil)
	e := c.Evidence[0]
	if e.Kind == kindBreak {
		t.Fatalf("judged at 15 fps: %s", e.Detail)
	}
	if !strings.Contains(e.Detail, "not looked for") {
		t.Errorf("detail does not say the switch was not looked for: %s", e.Detail)
	}
}

// TestExposureStepNoBreak: a camera stepping its exposure brightens every block alike in one
// frame: no cut.
func TestExposureStepNoBreak(t *testing.T) {
	c := turnPrompt(t, 30, nil, func(ts time.Duration, f *media.Frame) {
		if ts >= 7500*time.Millisecond {
			for i := range f.Y {
				f.Y[i] = byte(min(255, int(f.Y[i])+25))
			}
		}
	})
	if k := c.Evidence[0].Kind; k == kindBreak {
		t.Errorf("exposure step: %s", c.Evidence[0].Detail)
	}
}
