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

// texture returns a w×h picture of smooth random blobs (a stand-in for a room).
func texture(w, h int, seed uint64) *media.Frame {
	r := rand.New(rand.NewPCG(seed, 1))
	const cell = 16
	gw, gh := w/cell+2, h/cell+2
	grid := make([]float64, gw*gh)
	for i := range grid {
		grid[i] = 40 + 180*r.Float64()
	}
	f := grey(w, h, 0)
	for y := range h {
		for x := range w {
			gx, gy := float64(x)/cell, float64(y)/cell
			ix, iy := int(gx), int(gy)
			fx, fy := gx-float64(ix), gy-float64(iy)
			a := grid[iy*gw+ix]*(1-fx) + grid[iy*gw+ix+1]*fx
			b := grid[(iy+1)*gw+ix]*(1-fx) + grid[(iy+1)*gw+ix+1]*fx
			f.Y[y*w+x] = byte(a*(1-fy) + b*fy)
		}
	}
	return f
}

// scene returns n frames of bg with a dark 80×80 square (a head) at positions from pos,
// plus a little noise.
func scene(bg *media.Frame, n int, pos func(i int) (int, int), seed uint64) []*media.Frame {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]*media.Frame, n)
	for i := range out {
		f := bg.Clone()
		px, py := pos(i)
		for y := py; y < py+80 && y < f.Height; y++ {
			for x := px; x < px+80 && x < f.Width; x++ {
				f.Y[y*f.Width+x] = 30
			}
		}
		for k := range f.Y {
			f.Y[k] = byte(max(0, min(255, int(f.Y[k])+r.IntN(5)-2)))
		}
		out[i] = f
	}
	return out
}

func feed(a *Analyzer, frames []*media.Frame) {
	for _, f := range frames {
		a.Observe(f)
	}
}

func TestLoop(t *testing.T) {
	bg := texture(320, 240, 1)
	// A head that wanders for 2 s, played 4 times.
	walk := scene(bg, 30, func(i int) (int, int) { return 100 + 3*i, 60 + i%7 }, 3)
	frames := restamp(loopOf(walk, 30, 120), 15)
	a := New(Config{}, nil)
	feed(a, frames)
	c := a.Result(frames[len(frames)-1].PTS)
	if c.Status != report.Fail || !strings.Contains(c.Summary, "2.0-second stretch") {
		t.Fatalf("loop: %s %q", c.Status, c.Summary)
	}
	if len(c.Evidence) == 0 || c.Evidence[0].Kind != kindLoop || c.Evidence[0].UntilS == nil {
		t.Fatalf("evidence %+v", c.Evidence)
	}
	if c.NextStep == "" || c.Confidence < 0.75 || c.Confidence > 1 {
		t.Errorf("next step %q, confidence %.2f", c.NextStep, c.Confidence)
	}
	checkSnapshot(t, c.Evidence[0].Snapshot)
	t.Logf("%s (%.2f): %s | %s", c.Status, c.Confidence, c.Summary, c.Evidence[0].Detail)
}

func TestNotLoop(t *testing.T) {
	bg := texture(320, 240, 1)
	r := rand.New(rand.NewPCG(9, 9))
	sway := newSway(180, 60, 3, 10)
	x, y := 120, 80
	for _, tc := range []struct {
		name   string
		frames []*media.Frame
	}{
		// A person sitting still: every frame matches every other one, but nothing changes.
		{"still person", scene(bg, 150, func(int) (int, int) { return 120, 80 }, 4)},
		// A person swaying slowly (breathing, rocking), every sway a little different in
		// length and size as a live one is: the picture matches itself about one period
		// later again and again and changes within each period, but the motion is never
		// repeated exactly (issue 14's news readers).
		{"swaying person", scene(bg, 180, func(i int) (int, int) {
			return 120 + int(math.Round(sway.at(i))), 80
		}, 7)},
		// A frozen picture (the camera check's finding, not a loop).
		{"frozen", restamp(loopOf(scene(bg, 1, func(int) (int, int) { return 120, 80 }, 5), 1, 150), 15)},
		// A person who keeps moving, never the same way twice.
		{"moving person", scene(bg, 150, func(int) (int, int) {
			x, y = max(0, min(230, x+r.IntN(7)-3)), max(0, min(150, y+r.IntN(5)-2))
			return x, y
		}, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames := restamp(tc.frames, 15)
			a := New(Config{}, nil)
			feed(a, frames)
			c := a.Result(frames[len(frames)-1].PTS)
			if c.Status != report.Pass {
				t.Fatalf("%s: %s %q %+v", tc.name, c.Status, c.Summary, c.Evidence)
			}
		})
	}
}

// swayPath is a quasi-periodic sideways position: each cycle's length and amplitude vary.
type swayPath []float64

func (s swayPath) at(i int) float64 { return s[i] }

// newSway returns n positions swaying with cycles of about period frames and amplitude amp
// pixels, each cycle 20 % longer or shorter and its amplitude ±30 % at random (seed).
func newSway(n, period int, amp float64, seed uint64) swayPath {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make(swayPath, n)
	phase, step, a := 0.0, 2*math.Pi/float64(period), amp
	for i := range out {
		out[i] = a * math.Sin(phase)
		prev := phase
		phase += step
		if math.Floor(phase/(2*math.Pi)) != math.Floor(prev/(2*math.Pi)) { // a new cycle
			step = 2 * math.Pi / (float64(period) * (0.8 + 0.4*r.Float64()))
			a = amp * (0.7 + 0.6*r.Float64())
		}
	}
	return out
}

func TestPhotoMotion(t *testing.T) {
	photo := texture(640, 480, 7)
	frames := restamp(photoMotion(photo, 320, 240, 120, 0.2), 15)
	a := New(Config{}, nil)
	feed(a, frames)
	c := a.Result(frames[len(frames)-1].PTS)
	if c.Status != report.Fail || len(c.Evidence) == 0 || c.Evidence[0].Kind != kindPhoto {
		t.Fatalf("moving photo: %s %q %+v", c.Status, c.Summary, c.Evidence)
	}
	checkSnapshot(t, c.Evidence[0].Snapshot)
	t.Logf("%s (%.2f): %s | %s", c.Status, c.Confidence, c.Summary, c.Evidence[0].Detail)
}

func TestTooLittle(t *testing.T) {
	bg := texture(320, 240, 1)
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"nothing", 0, "no video"},
		{"single picture", 1, "single picture"},
		{"two seconds", 30, "Not enough video"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Config{}, nil)
			frames := restamp(scene(bg, tc.n, func(i int) (int, int) { return 100 + i, 60 }, 1), 15)
			feed(a, frames)
			c := a.Result(time.Duration(tc.n) * time.Second / 15)
			if c.Status != report.Unknown || !strings.Contains(c.Summary, tc.want) || c.NextStep == "" {
				t.Fatalf("%s %q (next %q)", c.Status, c.Summary, c.NextStep)
			}
		})
	}
}

// TestResolutionSwitch is the regression test for a crash: 640×480 and 320×240 downscale to
// the same grid but not the same cell edges.
func TestResolutionSwitch(t *testing.T) {
	a := New(Config{}, nil)
	for i, size := range [][2]int{{640, 480}, {320, 240}, {640, 480}, {160, 120}, {1280, 720}} {
		for k := 0; k < 30; k++ {
			w, h := size[0], size[1]
			f := &media.Frame{PTS: time.Duration(i*30+k) * time.Second / 15, Width: w, Height: h,
				YStride: w, UVStride: w / 2, Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
			for p := range f.Y {
				f.Y[p] = byte(p*7 + k*3)
			}
			a.Observe(f)
		}
	}
	if r := a.Result(10 * time.Second); r.ID == "" {
		t.Fatal("no result after resolution switches")
	}
}

// TestPhotoFamilies moves a textured picture as each of issue 14's families does (a
// virtual camera's slow zoom with a sway, a pan, a sway, a hand's shake; a printout and a
// screen held in a shaking hand before a wall) for 10 s: each is a moving photo.
func TestPhotoFamilies(t *testing.T) {
	pic := texture(320, 240, 11)
	for i, fam := range []string{"photo_zoom", "photo_pan", "photo_sway", "photo_shake", "print_shake", "screen_shake"} {
		t.Run(fam, func(t *testing.T) {
			src, bg := pic, (*media.Frame)(nil)
			switch fam {
			case "print_shake":
				src, bg = attack.Printed(pic), attack.Wall(320, 240, uint64(i))
			case "screen_shake":
				src, bg = attack.OnScreen(pic), attack.Wall(320, 240, uint64(i))
			}
			m := attack.NewMotion(fam, uint64(i))
			frames := make([]*media.Frame, 150)
			for k := range frames {
				frames[k] = attack.Warp(src, bg, m.At(float64(k)/15))
			}
			frames = restamp(frames, 15)
			a := New(Config{}, nil)
			feed(a, frames)
			c := a.Result(frames[len(frames)-1].PTS)
			if c.Status != report.Fail || c.Evidence[0].Kind != kindPhoto {
				t.Fatalf("%s (%s): %s %q", fam, m, c.Status, c.Summary)
			}
		})
	}
}

// TestNoPicture: black video (a disabled camera track) and a single flat colour are unknown,
// never a pass; after the call a check that saw no video says so in the past tense.
func TestNoPicture(t *testing.T) {
	for _, tc := range []struct {
		name string
		luma byte
	}{{"black", 16}, {"flat grey", 128}} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Config{}, nil)
			var frames []*media.Frame
			for i := range 150 { // 10 s at 15 fps, with a little encoder noise
				f := grey(320, 240, tc.luma)
				f.Y[(i*37)%len(f.Y)] += 3
				f.PTS = time.Duration(i) * time.Second / 15
				frames = append(frames, f)
			}
			feed(a, frames)
			c := a.Result(10 * time.Second)
			if c.Status != report.Unknown || !strings.Contains(c.Summary, "black or a single flat colour") {
				t.Fatalf("%s %q", c.Status, c.Summary)
			}
		})
	}
	a := New(Config{}, nil)
	a.Finish(0)
	if c := a.Result(0); c.Status != report.Unknown || c.Summary != "Not checked: no video arrived during the call." || c.NextStep != "" {
		t.Errorf("finished without video: %s %q next %q", c.Status, c.Summary, c.NextStep)
	}
}

// TestLoopShowsTwoFrames: a looped clip's evidence carries two snapshots, the frame the loop
// was found on and the same picture one loop (2 s) later, each with its time inside the
// loop's range; the first is also the evidence's one snapshot.
func TestLoopShowsTwoFrames(t *testing.T) {
	bg := texture(320, 240, 1)
	walk := scene(bg, 30, func(i int) (int, int) { return 100 + 3*i, 60 + i%7 }, 3)
	frames := restamp(loopOf(walk, 30, 120), 15)
	a := New(Config{}, nil)
	feed(a, frames)
	c := a.Result(frames[len(frames)-1].PTS)
	if c.Status != report.Fail || len(c.Evidence) == 0 {
		t.Fatalf("loop: %s %+v", c.Status, c.Evidence)
	}
	e := c.Evidence[0]
	if e.Kind != kindLoop || len(e.Snapshots) != 2 {
		t.Fatalf("loop evidence has %d snapshots; want 2", len(e.Snapshots))
	}
	first, again := e.Snapshots[0], e.Snapshots[1]
	checkSnapshot(t, first.Snapshot)
	checkSnapshot(t, again.Snapshot)
	if first.Snapshot != e.Snapshot {
		t.Error("the evidence's snapshot is not the first of its two")
	}
	if gap := again.AtS - first.AtS; math.Abs(gap-2.0) > pairWindow.Seconds() {
		t.Errorf("the two frames are %.3f s apart; want one loop, 2.0 s", gap)
	}
	if first.AtS < e.AtS || again.AtS > *e.UntilS {
		t.Errorf("frames at %.2f and %.2f s lie outside the loop's %.2f–%.2f s", first.AtS, again.AtS, e.AtS, *e.UntilS)
	}
	// The same picture: the frames are 30 apart in a 30-frame loop.
	i, j := int(math.Round(first.AtS*15)), int(math.Round(again.AtS*15))
	if (j-i)%30 != 0 {
		t.Errorf("frames %d and %d are not one loop apart", i, j)
	}
}

// TestCorpusLoopShowsTwoFrames: a genuine webcam clip of the corpus looped every 3 s (its
// native size, with the face check's boxes) gives a loop whose evidence carries two
// snapshots one loop apart.
func TestCorpusLoopShowsTwoFrames(t *testing.T) {
	dir := corpusDir(t)
	needFFmpeg(t)
	const fps = 15
	src := resample(loadFrames(t, filepath.Join(dir, "genuine", "headtrackr_capture4_webcam.mp4"), 6*time.Second), fps)
	frames := restamp(loopOf(src, 3*fps, 12*fps), fps)
	a := pipeline(newFaces(t), Config{}, frames)
	c := a.Result(a.lastPTS)
	if c.Status != report.Fail || c.Evidence[0].Kind != kindLoop {
		t.Fatalf("looped clip: %s %q", c.Status, c.Summary)
	}
	ss := c.Evidence[0].Snapshots
	if len(ss) != 2 {
		t.Fatalf("loop evidence has %d snapshots; want 2", len(ss))
	}
	checkSnapshot(t, ss[0].Snapshot)
	checkSnapshot(t, ss[1].Snapshot)
	if gap := ss[1].AtS - ss[0].AtS; math.Abs(gap-3.0) > pairWindow.Seconds() {
		t.Errorf("the two frames are %.3f s apart; want one loop, 3.0 s", gap)
	}
	t.Logf("frames at %.2f s and %.2f s", ss[0].AtS, ss[1].AtS)
}
