package face

import (
	"errors"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// astronaut returns the corpus photo with one frontal face (512×512, face ~110 px wide).
func astronaut(t testing.TB) *media.Frame {
	t.Helper()
	return stillFrame(t, filepath.Join(corpusDir(t), "photo", "skimage_astronaut.png"))
}

// placement puts a square source picture, scaled to size×size, at (x, y) of a canvas.
type placement struct {
	x, y, size int
}

// scene returns a w×h grey frame with src drawn at each placement (nearest neighbour)
// and every luma value multiplied by gain.
func scene(src *media.Frame, w, h int, gain float64, ps ...placement) *media.Frame {
	f := blank(w, h, 120)
	for _, p := range ps {
		for y := range p.size {
			for x := range p.size {
				dx, dy := p.x+x, p.y+y
				if dx < 0 || dy < 0 || dx >= w || dy >= h {
					continue
				}
				f.Y[dy*w+dx] = src.Y[(y*src.Height/p.size)*src.YStride+x*src.Width/p.size]
			}
		}
	}
	if gain != 1 {
		for i, v := range f.Y {
			f.Y[i] = byte(min(255, float64(v)*gain))
		}
	}
	return f
}

// segment is a stretch of a synthetic stream showing one picture.
type segment struct {
	pic *media.Frame // nil: a plain grey picture
	dur time.Duration
}

// play feeds the segments to a at fps and returns the stream's end time.
func play(a *Analyzer, fps float64, segs ...segment) time.Duration {
	step := time.Duration(float64(time.Second) / fps)
	var at time.Duration
	grey := blank(640, 480, 120)
	for _, s := range segs {
		pic := s.pic
		if pic == nil {
			pic = grey
		}
		for end := at + s.dur; at < end; at += step {
			f := *pic
			f.PTS = at
			a.Observe(&f)
		}
	}
	return at - step
}

func kinds(c report.Check) []string {
	var ks []string
	for _, e := range c.Evidence {
		if !slices.Contains(ks, e.Kind) {
			ks = append(ks, e.Kind)
		}
	}
	return ks
}

func TestStreams(t *testing.T) {
	ast := astronaut(t)
	one := scene(ast, 640, 480, 1, placement{80, 0, 480})
	two := scene(ast, 860, 480, 1, placement{0, 0, 480}, placement{380, 0, 480})
	dark := scene(ast, 640, 480, 0.25, placement{80, 0, 480})
	small := scene(ast, 1280, 720, 1, placement{400, 100, 420})
	// A person on a sofa in front of a 1080p camera: the face (~21 % of the photo) is 8 % and
	// 6 % of the width, 25 and 19 px in the 320-px search copy.
	sofa8 := scene(ast, 1920, 1080, 1, placement{900, 300, 715})
	sofa6 := scene(ast, 1920, 1080, 1, placement{900, 300, 536})
	s := time.Second
	tests := []struct {
		name    string
		segs    []segment
		status  report.Status
		want    []string // evidence kinds, in order of first appearance
		summary string   // a part of the summary
	}{
		{"one face throughout", []segment{{one, 10 * s}}, report.Pass, nil, "One face was in view for 100%"},
		{"no face at all", []segment{{nil, 10 * s}}, report.Fail, []string{"no_face"}, "only 0%"},
		{"left for four seconds", []segment{{one, 4 * s}, {nil, 4 * s}, {one, 6 * s}}, report.Warn, []string{"no_face"}, "none for 4.0 s"},
		{"looked away for one second", []segment{{one, 4 * s}, {nil, s}, {one, 5 * s}}, report.Pass, nil, "One face"},
		{"two faces", []segment{{one, 2 * s}, {two, 5 * s}, {one, 3 * s}}, report.Warn, []string{"multiple_faces"}, "Up to 2 faces"},
		{"second face flickers by", []segment{{one, 4 * s}, {two, 300 * time.Millisecond}, {one, 5 * s}}, report.Pass, nil, "One face"},
		{"dark face", []segment{{dark, 3 * s}}, report.Warn, []string{"face_dark"}, "too dark"},
		{"small face", []segment{{small, 3 * s}}, report.Warn, []string{"face_small"}, "too small"},
		{"distant face, 8 % of 1080p", []segment{{sofa8, 5 * s}}, report.Warn, []string{"face_small"}, "too small"},
		{"distant face, 6 % of 1080p", []segment{{sofa6, 5 * s}}, report.Warn, []string{"face_small"}, "too small"},
		{"too little video", []segment{{one, s}}, report.Unknown, nil, "Not enough video"},
		{"a still image", []segment{{one, time.Millisecond}}, report.Unknown, nil, "Only a single picture: one face"},
	}
	base := newTest(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base.Fresh()
			end := play(a, 10, tt.segs...)
			c := a.Result(end)
			if c.ID != report.CheckFace || c.Status != tt.status || !reflect.DeepEqual(kinds(c), tt.want) ||
				!strings.Contains(c.Summary, tt.summary) {
				t.Fatalf("got %s %v %q, want %s %v summary containing %q\n%+v", c.Status, kinds(c), c.Summary, tt.status, tt.want, tt.summary, c)
			}
			if c.Status != report.Pass && c.NextStep == "" {
				t.Errorf("no next step for %s", c.Status)
			}
			for _, e := range c.Evidence {
				if e.Kind == "multiple_faces" {
					checkSnapshot(t, e.Snapshot)
				} else if e.Snapshot != "" {
					t.Errorf("%s evidence has a snapshot", e.Kind)
				}
			}
			if (c.Status == report.Pass || c.Status == report.Warn || c.Status == report.Fail) && (c.Confidence <= 0 || c.Confidence > 1) {
				t.Errorf("confidence %v", c.Confidence)
			}
			if again := a.Result(end); !reflect.DeepEqual(again, c) {
				t.Errorf("Result changed the analyzer:\n%+v\n%+v", c, again)
			}
		})
	}
}

func TestNoFaceRange(t *testing.T) {
	a := newTest(t, Config{})
	one := scene(astronaut(t), 640, 480, 1, placement{80, 0, 480})
	end := play(a, 10, segment{one, 3 * time.Second}, segment{nil, 5 * time.Second}, segment{one, 4 * time.Second})
	c := a.Result(end)
	if len(c.Evidence) != 1 {
		t.Fatalf("evidence %+v", c.Evidence)
	}
	e := c.Evidence[0]
	if e.AtS < 2.9 || e.AtS > 3.3 || e.UntilS == nil || *e.UntilS < 7.9 || *e.UntilS > 8.3 {
		t.Errorf("no_face from %v to %v, want about 3 s to 8 s", e.AtS, *e.UntilS)
	}
	if !strings.Contains(e.Detail, "No face was in view from") {
		t.Errorf("detail %q", e.Detail)
	}
}

func TestOpenFindingGrows(t *testing.T) {
	a := newTest(t, Config{})
	one := scene(astronaut(t), 640, 480, 1, placement{80, 0, 480})
	end := play(a, 10, segment{one, 3 * time.Second}, segment{nil, 3 * time.Second})
	c := a.Result(end)
	if kinds(c)[0] != "no_face" || *c.Evidence[0].UntilS < end.Seconds()-0.01 {
		t.Fatalf("open no_face should last until %v: %+v", end, c.Evidence)
	}
}

func TestStillPhotos(t *testing.T) {
	dir := corpusDir(t)
	a := newTest(t, Config{Landmarks: true})
	for _, tt := range []struct {
		path  string
		faces int
	}{
		{"photo/skimage_astronaut.png", 1},
		{"photo/tpsmm_source_official_portrait.png", 1},
		{"photo/silentface_T1_live_same_person_upright.jpg", 1},
		{"photo/facerec_obama-1080p.jpg", 1},
	} {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			b := a.Fresh()
			f := stillFrame(t, filepath.Join(dir, tt.path))
			b.Observe(f)
			ds := b.Detections()
			if len(ds) != tt.faces {
				t.Fatalf("%d faces, want %d: %+v", len(ds), tt.faces, ds)
			}
			d := ds[0]
			for _, p := range []struct {
				name string
				x, y int
			}{{"left eye", d.LeftEye.X, d.LeftEye.Y}, {"right eye", d.RightEye.X, d.RightEye.Y}} {
				if p.x < d.Box.Min.X || p.x >= d.Box.Max.X || p.y < d.Box.Min.Y || p.y >= d.Box.Max.Y {
					t.Errorf("%s at (%d,%d) outside the face %v", p.name, p.x, p.y, d.Box)
				}
			}
			if d.LeftEye.X >= d.RightEye.X {
				t.Errorf("left eye %v is not left of right eye %v", d.LeftEye, d.RightEye)
			}
			if d.Landmarks == nil {
				t.Fatal("no landmarks")
			}
			c := b.Result(0)
			if c.Status != report.Unknown || !strings.Contains(c.Summary, "one face") {
				t.Errorf("still: %s %q", c.Status, c.Summary)
			}
		})
	}
}

func TestDetectionsRing(t *testing.T) {
	a := newTest(t, Config{Keep: 5})
	one := scene(astronaut(t), 320, 240, 1, placement{40, 0, 240})
	play(a, 5, segment{one, 3 * time.Second})
	ds := a.Detections()
	if len(ds) != 5 {
		t.Fatalf("%d detections, want 5", len(ds))
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].PTS <= ds[i-1].PTS {
			t.Fatalf("not oldest first: %v then %v", ds[i-1].PTS, ds[i].PTS)
		}
	}
	if last := ds[len(ds)-1].PTS; last < 2600*time.Millisecond {
		t.Errorf("last detection at %v, want the newest", last)
	}
	if ds[0].LeftEye != (image.Point{}) {
		t.Errorf("pupils located although Config.Pupils is off: %v", ds[0].LeftEye)
	}
}

func TestSampling(t *testing.T) {
	a := newTest(t, Config{Interval: 200 * time.Millisecond})
	one := scene(astronaut(t), 320, 240, 1, placement{40, 0, 240})
	play(a, 30, segment{one, 2 * time.Second})
	if a.samples < 10 || a.samples > 11 {
		t.Errorf("%d detections in 2 s at 30 fps, want 10 (one per 200 ms)", a.samples)
	}
}

func TestNoFrames(t *testing.T) {
	a := newTest(t, Config{})
	c := a.Result(10 * time.Second)
	if c.Status != report.Unknown || c.Evidence == nil || !strings.Contains(c.Summary, "no video") {
		t.Errorf("%+v", c)
	}
	a.Observe(nil)
	a.Observe(&media.Frame{Width: 10, Height: 10, YStride: 10}) // planes too short
	if a.frames != 0 {
		t.Errorf("bad frames counted")
	}
}

func TestCascadeErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := New(Config{CascadeDir: empty}); !errors.Is(err, ErrNoCascades) {
		t.Errorf("empty dir: %v, want ErrNoCascades", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "facefinder"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{CascadeDir: bad}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt cascade: %v", err)
	}
}

// TestFreshConcurrent: analyzers made by Fresh share the cascades and run in the
// sessions' own goroutines; run with -race.
func TestFreshConcurrent(t *testing.T) {
	base := newTest(t, Config{})
	one := scene(astronaut(t), 320, 240, 1, placement{40, 0, 240})
	done := make(chan report.Check)
	for range 2 {
		go func() {
			a := base.Fresh()
			done <- a.Result(play(a, 5, segment{one, 3 * time.Second}))
		}()
	}
	for range 2 {
		if c := <-done; c.Status != report.Pass {
			t.Errorf("%s %q", c.Status, c.Summary)
		}
	}
}

// TestCascadesUnpackedOnce: every joined call makes its analyzers with New; the cascades
// are unpacked once per source and shared, a failed load is tried again.
func TestCascadesUnpackedOnce(t *testing.T) {
	a, b := newTest(t, Config{}), newTest(t, Config{Interval: time.Second})
	if a.cas != b.cas {
		t.Error("two New calls unpacked the cascades twice")
	}
	if l := newTest(t, Config{Landmarks: true}); l.cas == a.cas || l.cas.lps == nil {
		t.Error("landmarks share the cascades without landmarks")
	}
	dir := t.TempDir()
	if _, err := New(Config{CascadeDir: dir}); !errors.Is(err, ErrNoCascades) {
		t.Fatalf("empty dir: %v", err)
	}
	var src fs.FS = os.DirFS(a.cfg.CascadeDir)
	if a.cfg.CascadeDir == "" {
		src, _ = fs.Sub(embedded, "cascade")
	}
	if err := os.CopyFS(dir, src); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{CascadeDir: dir}); err != nil {
		t.Errorf("after the files arrived: %v", err)
	}
}
