package liveness

import (
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/face"
)

// handPrompt runs one "hand" prompt at 5-10 s over 14 s of at, at 15 fps, and returns the check.
func handPrompt(t *testing.T, at func(time.Duration) scene, paint func(*testing.T, time.Duration, []byte, []byte)) report.Check {
	t.Helper()
	return handPromptAt(t, fps, at, paint)
}

// handPromptAt is handPrompt at rate frames a second.
func handPromptAt(t *testing.T, rate int, at func(time.Duration) scene, paint func(*testing.T, time.Duration, []byte, []byte)) report.Check {
	t.Helper()
	ff := &fakeFaces{}
	a := New(Config{}, ff)
	a.Challenge(Hand, 5*time.Second, 10*time.Second)
	for ts := time.Duration(0); ts < 14*time.Second; ts += time.Second / time.Duration(rate) {
		sc := at(ts)
		if sc.face {
			ff.dets = append(ff.dets, face.Detection{PTS: ts, Box: sc.box, Score: sc.score, Faces: 1})
		}
		f := frame(ts, sc)
		if paint != nil {
			paint(t, ts, f.U, f.V)
		}
		a.Observe(f)
	}
	c := a.Result(14 * time.Second)
	for _, e := range c.Evidence {
		t.Logf("%s: %s", e.Kind, e.Detail)
	}
	return c
}

// handAt is a hand bar sweeping across the face from 6 s to 8.5 s, or 0.
func handAt(ts time.Duration) int {
	if ts < 6*time.Second || ts > 8500*time.Millisecond {
		return 0
	}
	return 60 + int((ts-6*time.Second).Seconds()*80)
}

func TestFlashingSwap(t *testing.T) {
	// A swap that keeps a frontal face found and flashes: two frames its face over the
	// hand, two frames the hand, at 30 fps. Every look (five a second) finds a face, some
	// on "hand" frames: the looks alone would read a face barely touched.
	flashingAt := func(rate int) func(time.Duration) scene {
		return func(ts time.Duration) scene {
			sc := still(ts)
			n := int(ts * time.Duration(rate) / time.Second)
			if x := handAt(ts); x > 0 && (n/2)%2 == 1 {
				sc.hand = x
			}
			return sc
		}
	}
	c := handPromptAt(t, 30, flashingAt(30), nil)
	if c.Status != report.Warn || c.Evidence[0].Kind != kindFlicker || !strings.Contains(c.Evidence[0].Detail, "flashed between two pictures") {
		t.Fatalf("%s %q %+v; want a face_flicker warning for the region flashing", c.Status, c.Summary, c.Evidence)
	}
	checkSnapshot(t, c.Evidence[0].Snapshot)
	// At 15 fps flashing is not judged (a live hand's fingers flash as much there); this
	// swap is still flagged, as a face that stayed frontal under the hand.
	c = handPromptAt(t, 15, flashingAt(15), nil)
	if c.Evidence[0].Kind == kindFlicker || c.Status != report.Warn {
		t.Fatalf("15 fps: %s %+v; want flashing not judged, the prompt still flagged", c.Status, c.Evidence[0])
	}

	// The same hand, not flashing: a live hand hides the face while it passes.
	live := func(ts time.Duration) scene {
		sc := still(ts)
		if x := handAt(ts); x > 0 {
			sc.hand = x
			sc.face = x <= 110 || x >= 190
		}
		return sc
	}
	if c := handPrompt(t, live, nil); c.Status != report.Pass || c.Evidence[0].Kind != kindResponded {
		t.Fatalf("live hand: %s %q; want pass, responded", c.Status, c.Summary)
	} else if !strings.Contains(c.Evidence[0].Detail, "was not looked for: the video ran below 20 frames a second") {
		t.Fatalf("live hand at 15 fps: %q; want it to say flashing was not looked for", c.Evidence[0].Detail)
	}
	if c := handPromptAt(t, 30, live, nil); c.Status != report.Pass || c.Evidence[0].Kind != kindResponded ||
		strings.Contains(c.Evidence[0].Detail, "not looked for") {
		t.Fatalf("live hand at 30 fps: %s %+v; want pass, responded, flashing looked for", c.Status, c.Evidence[0])
	}
}

func TestSameToneHand(t *testing.T) {
	// A swap renders its face over a hand of the face's own luma: the luma of the face
	// region barely changes, but the hand's colour covers the face and its surroundings.
	c := handPrompt(t, still, func(t *testing.T, ts time.Duration, u, v []byte) {
		for i := range u {
			u[i], v[i] = 128, 128
		}
		x := handAt(ts)
		if x == 0 {
			return
		}
		for y := 20; y < 100; y++ { // chroma rows: 40-200 in luma
			for cx := x / 2; cx < (x+40)/2; cx++ {
				u[y*fw/2+cx], v[y*fw/2+cx] = 100, 160
			}
		}
	})
	if c.Status != report.Warn || c.Evidence[0].Kind != kindFrontal || !strings.Contains(c.Evidence[0].Detail, "chroma levels") {
		t.Fatalf("%s %q %+v; want stayed_frontal naming the colour change", c.Status, c.Summary, c.Evidence)
	}
	// Without the hand nothing changed: no response, with the chroma named.
	c = handPrompt(t, still, nil)
	if c.Evidence[0].Kind != kindNoResponse || !strings.Contains(c.Evidence[0].Detail, "0 chroma levels") {
		t.Fatalf("%+v; want no_response naming the chroma", c.Evidence)
	}
}

// BenchmarkObservePrompt is the cost per frame inside a prompt window, where the region's
// blocks are measured on every frame (flash.go), at 30 fps with a face found five times a
// second and a hand flashing in and out.
func BenchmarkObservePrompt(b *testing.B) {
	benchObserve(b, true)
}

// benchObserve feeds frames at 30 fps, the face check finding the face in every sixth, inside
// a prompt window from 2 s on when prompt is set.
func benchObserve(b *testing.B, prompt bool) {
	ff := &fakeFaces{}
	a := New(Config{}, ff)
	if prompt {
		a.Challenge(Hand, 2*time.Second, time.Hour) // the region is fixed from the looks before
	}
	f := frame(0, still(0))
	g := frame(0, scene{face: true, box: frontal, score: 40, hand: 150})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		x := f
		if prompt && i%4 >= 2 {
			x = g
		}
		x.PTS = time.Duration(i) * time.Second / 30
		if i%6 == 0 {
			if len(ff.dets) >= 64 {
				ff.dets = append(ff.dets[:0], ff.dets[len(ff.dets)-8:]...)
			}
			ff.dets = append(ff.dets, face.Detection{PTS: x.PTS, Box: frontal, Score: 40, Faces: 1})
		}
		a.Observe(x)
	}
}
