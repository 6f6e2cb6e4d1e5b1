package replay

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/replay/attack"
)

// stillScene returns n frames (15 fps) of a textured room with a head that sways by
// under a pixel (breathing: 0.8 px over 5 s) and fresh sensor noise (±2 levels) in every
// frame: a person sitting still in front of a live camera.
func stillScene(n int) []*media.Frame {
	bg := texture(320, 240, 7)
	r := rand.New(rand.NewPCG(11, 3))
	out := make([]*media.Frame, n)
	for i := range out {
		f := bg.Clone()
		cx := 160 + 0.8*math.Sin(2*math.Pi*float64(i)/(5*15))
		cy := 110 + 0.4*math.Cos(2*math.Pi*float64(i)/(7*15))
		for y := 50; y < 170; y++ {
			for x := 100; x < 220; x++ {
				// A dark disc of radius 45 px with a soft 3-px edge.
				d := math.Hypot(float64(x)-cx, float64(y)-cy) - 45
				w := math.Max(0, math.Min(1, 0.5-d/3))
				f.Y[y*f.YStride+x] = byte(float64(f.Y[y*f.YStride+x])*(1-w) + 40*w)
			}
		}
		for k := range f.Y {
			f.Y[k] = byte(max(0, min(255, int(f.Y[k])+r.IntN(5)-2)))
		}
		out[i] = f
	}
	return out
}

// TestStillLive: the same still person live — fresh noise in every frame, 12 s through
// VP8 — and slowed 4 times by blending neighbouring frames (eval's lowmotion negatives,
// where each frame is close to the next) give no still-loop evidence at all.
func TestStillLive(t *testing.T) {
	const fps = 15
	for name, frames := range map[string][]*media.Frame{
		"live":    stillScene(12 * fps),
		"slowed4": attack.Slowed(stillScene(3*fps+1), 4, 12*fps),
	} {
		frames = vp8Trip(t, restamp(frames, fps), fps, 600)
		a := New(Config{}, nil)
		var evidence int
		a.loop.still.trace = func(p stillProbe) {
			if p.evidence(a.cfg.MinLoop) {
				evidence++
			}
		}
		feed(a, frames)
		c := a.Result(a.lastPTS)
		if c.Status != report.Pass || evidence > 0 {
			t.Errorf("%s: %s %q with %d evidence probes", name, c.Status, c.Summary, evidence)
		}
	}
}

// TestStillCount: the still cue's evidence and verdict on given probe measurements. A
// probe is evidence only when the frame one lag (≥ MinLoop) earlier differs by at most
// stillRatio of both the next frame's difference (itself ≥ stillFloor) and the
// neighbouring lags'; evidence at one constant lag spanning two lags makes a finding,
// stillStrong probes within stillWindow a strong one; evidence scattered over lags none.
func TestStillCount(t *testing.T) {
	const s = time.Second
	for _, c := range []struct {
		p    stillProbe
		want bool
	}{
		{stillProbe{lag: s, next: 1, at: 0.2, around: 1.2}, true},
		{stillProbe{lag: s, next: 1, at: 0.6, around: 1.2}, false},                    // not markedly closer than the next frame
		{stillProbe{lag: s, next: 1, at: 0.2, around: 0.3}, false},                    // the neighbouring lags match as well
		{stillProbe{lag: s, next: stillFloor / 2, at: 0, around: 1}, false},           // consecutive frames (nearly) identical
		{stillProbe{lag: 900 * time.Millisecond, next: 1, at: 0.1, around: 1}, false}, // shorter than MinLoop
	} {
		if got := c.p.evidence(s); got != c.want {
			t.Errorf("%+v: evidence %v; want %v", c.p, got, c.want)
		}
	}
	run := func(every int, lagOf func(i int) time.Duration) (weakAt, strongAt time.Duration) {
		d := stillDetector{minLoop: s, events: make([]stillEvent, stillEvents)}
		for i := range 120 { // 12 s of probes a tenth of a second apart
			if i%every != 0 {
				continue
			}
			now := s + time.Duration(i)*100*time.Millisecond
			w, st := d.count(stillProbe{pts: now, lag: lagOf(i), next: 1, at: 0.2, around: 1}).verdict(now)
			if w && weakAt == 0 {
				weakAt = now
			}
			if st && strongAt == 0 {
				strongAt = now
			}
		}
		return weakAt, strongAt
	}
	one := func(int) time.Duration { return s }
	if w, st := run(1, one); w != 3*s || st != 3*s {
		t.Errorf("evidence at every probe at 1 s: a finding at %v, strong at %v; want both at 3 s (the stretch shown three times)", w, st)
	}
	if w, st := run(5, one); w != 3*s || st != 0 {
		t.Errorf("evidence twice a second at 1 s: a finding at %v, strong at %v; want a weak one at 3 s, never strong (16 probes in 8 s)", w, st)
	}
	// Lags of 1-4.16 s in 40-ms steps, each once in 80 probes (8 s): chance matches.
	if w, st := run(1, func(i int) time.Duration { return s + time.Duration(i*37%80)*40*time.Millisecond }); w != 0 || st != 0 {
		t.Errorf("evidence at a different lag each time: a finding at %v, strong at %v; want none", w, st)
	}
}

// TestCorpusStillLoop: the first second of a corpus clip of a person sitting still
// (dfl_emily_winston_1, tuning half) played for 12 s and delivered through VP8 at 15 fps
// repeats too little motion for a moving match, but its frames repeat one second apart
// far more closely than consecutive frames: the still cue reports a loop of 1 s with a
// snapshot (the moving matches find nothing). The same clip live through VP8, and slowed
// 4 times (eval's lowmotion), give no loop finding of any kind.
func TestCorpusStillLoop(t *testing.T) {
	dir := corpusDir(t)
	needFFmpeg(t)
	const fps = 15
	src := resample(loadFrames(t, filepath.Join(dir, "genuine", "dfl_emily_winston_1_original.mp4"), 10*time.Second), fps)
	a := New(Config{}, nil)
	feed(a, vp8Trip(t, restamp(loopOf(src, fps, 12*fps), fps), fps, 600))
	c := a.Result(a.lastPTS)
	// Without face boxes the moving-photo cue may flag the clip too (a still head, the
	// centre of the picture standing in for the face): the loop evidence is looked up.
	var e *report.Evidence
	for i := range c.Evidence {
		if c.Evidence[i].Kind == kindLoop {
			e = &c.Evidence[i]
			break
		}
	}
	if c.Status != report.Warn && c.Status != report.Fail || e == nil || len(a.loop.findings) == 0 {
		t.Fatalf("a still 1-s loop: %s %q, evidence %+v", c.Status, c.Summary, c.Evidence)
	}
	for _, l := range a.loop.findings {
		if !l.still || l.lag < 950*time.Millisecond || l.lag > 1050*time.Millisecond {
			t.Errorf("finding %+v; want the still cue's, at a lag of 1 s", l)
		}
	}
	if !strings.Contains(e.Detail, "fine grain") || !strings.Contains(e.Detail, "constant lag of 1.00 s") {
		t.Errorf("detail %q", e.Detail)
	}
	checkSnapshot(t, e.Snapshot)
	t.Logf("%s: %s (%d snapshots)", c.Status, e.Detail, len(e.Snapshots))
	for name, frames := range map[string][]*media.Frame{
		"live":    src,
		"slowed4": attack.Slowed(src, 4, 12*fps),
	} {
		a := New(Config{}, nil)
		feed(a, vp8Trip(t, restamp(frames, fps), fps, 600))
		if len(a.loop.findings) > 0 {
			c := a.Result(a.lastPTS)
			t.Errorf("%s: %s %q", name, c.Status, c.Summary)
		}
	}
}
