package replay

import (
	"encoding/csv"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

// corpusClips returns the genuine clips of the corpus (label genuine) and its photo
// sources (label photo), as paths.
func corpusClips(t testing.TB) (genuine, photos []string) {
	t.Helper()
	dir := corpusDir(t)
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		switch r[1] {
		case "genuine":
			genuine = append(genuine, filepath.Join(dir, r[0]))
		case "photo":
			photos = append(photos, filepath.Join(dir, r[0]))
		}
	}
	return genuine, photos
}

// TestMeasure prints the numbers behind the thresholds: per genuine clip the closest
// match at a lag of a second or more and the motion pairs' inlier share, motion and face
// residual; the same for loops and moving photos made from them. It runs only with
// REPLAY_MEASURE=1:
//
//	REPLAY_MEASURE=1 go test -run TestMeasure -v ./media/replay
func TestMeasure(t *testing.T) {
	if os.Getenv("REPLAY_MEASURE") == "" {
		t.Skip("set REPLAY_MEASURE=1 to print the measurements")
	}
	needFFmpeg(t)
	genuine, photos := corpusClips(t)
	faces := newFaces(t)
	run := func(name string, frames []*media.Frame) {
		var pairs []string
		longest, changed := time.Duration(0), int32(0)
		var fa = faces
		a := New(Config{}, nil)
		if fa != nil {
			fa = faces.Fresh()
			a = New(Config{}, fa)
		}
		a.loop.trace = func(now time.Duration, bins []binState) {
			for _, b := range bins {
				if b.run > 0 && now-b.start >= a.cfg.MinRun {
					longest = max(longest, now-b.start)
					changed = max(changed, b.change)
				}
			}
		}
		a.motion.trace = func(pts time.Duration, r pairResult) {
			pairs = append(pairs, fmt.Sprintf("%d:%.2f/%.1f/%.1f/%.1f", r.kind, r.inliers, r.motion, r.residual, r.floor))
		}
		for _, f := range frames {
			if fa != nil {
				fa.Observe(f)
			}
			a.Observe(f)
		}
		res := a.Result(a.lastPTS)
		t.Logf("%-40s longest matching run %s changing %d blocks -> %s: %s\n    pairs kind:inliers/motion/residual %s", name, longest, changed, res.Status, res.Summary, strings.Join(pairs, " "))
	}
	for _, p := range genuine {
		frames := loadFrames(t, p, 10*time.Second)
		run(filepath.Base(p), frames)
		if len(frames) > 60 {
			fps := 15
			re := resample(frames, fps)
			run("loop2s:"+filepath.Base(p), restamp(loopOf(re, 2*fps, 8*fps), fps))
		}
	}
	for _, p := range photos {
		ph := loadFrames(t, p, 0)[0]
		for _, size := range [][2]int{{400, 300}, {320, 240}, {1280, 720}} {
			run(fmt.Sprintf("photo:%s@%dx%d", filepath.Base(p), size[0], size[1]), restamp(photoMotion(ph, size[0], size[1], 90, 0.2), 15))
			_ = 0
		}
	}
}

// TestMeasureFrame prints the frame cue's lines (offset, tilt, cover, step) on the
// corpus's print, screen and live stills and on every sample (about one a second) of
// the 19 genuine clips, with each clip's closest approach to each rule (the print
// rule's line; the corner's weakest part). It runs only with REPLAY_MEASURE=1:
//
//	REPLAY_MEASURE=1 go test -run TestMeasureFrame -v ./media/replay
func TestMeasureFrame(t *testing.T) {
	if os.Getenv("REPLAY_MEASURE") == "" {
		t.Skip("set REPLAY_MEASURE=1 to print the measurements")
	}
	needFFmpeg(t)
	dir := corpusDir(t)
	genuine, _ := corpusClips(t)
	faces := newFaces(t)
	if faces == nil {
		t.Skip("no face cascades")
	}
	paths := []string{
		filepath.Join(dir, "replay", "silentface_F1_print_attack_upright.jpg"),
		filepath.Join(dir, "replay", "silentface_F2_screen_replay_upright.jpg"),
		filepath.Join(dir, "photo", "silentface_T1_live_same_person_upright.jpg"),
	}
	var worstTop, worstCorner float64 // over the genuine clips and the live still
	for _, p := range append(paths, genuine...) {
		fa := faces.Fresh()
		a := New(Config{}, fa)
		d := frameDetector{all: true}
		var top, corner float64 // the clip's best support of each rule
		var glare float64       // the clip's largest glare share (see glareOf)
		n, ok := 0, 0
		var lines []string
		var last time.Duration
		for i, f := range loadFrames(t, p, 0) {
			fa.Observe(f)
			a.Observe(f)
			if i > 0 && f.PTS-last < 900*time.Millisecond {
				continue
			}
			last = f.PTS
			n++
			m := d.measure(f, a.faceBox(f))
			if !m.okTop && !m.okCorner {
				lines = append(lines, fmt.Sprintf("%5.1fs box %v not measured", f.PTS.Seconds(), m.box))
				continue
			}
			ok++
			top = max(top, m.top.cover)
			corner = max(corner, m.cornerCover())
			g, p90 := glareOf(f, m.box)
			glare = max(glare, g)
			lines = append(lines, fmt.Sprintf("%5.1fs box %v print T %s held %v | screen T %s side(right %v) %s join %.2f held %v | glare %.4f p90 %d",
				f.PTS.Seconds(), m.box, m.top, m.print, m.cornerTop, m.cornerRight, m.cornerSide, m.cornerJoin, m.screen, g, p90))
		}
		if !strings.Contains(p, "_attack_") && !strings.Contains(p, "_replay_") {
			worstTop, worstCorner = max(worstTop, top), max(worstCorner, corner)
		}
		t.Logf("%-45s samples %d measured %d best print %.2f corner %.2f glare %.4f\n    %s", filepath.Base(p), n, ok, top, corner, glare, strings.Join(lines, "\n    "))
	}
	t.Logf("genuine clips and live still: print rule at most %.2f, corner at most %.2f (threshold %.2f)", worstTop, worstCorner, frameCover)
	// The stills again, scaled and mirrored: does the cue depend on one size or side?
	for _, p := range paths {
		src := loadFrames(t, p, 0)[0]
		for _, v := range []struct {
			name  string
			scale float64
			flip  bool
		}{{"x0.5", 0.5, false}, {"x0.75", 0.75, false}, {"x1.5", 1.5, false}, {"mirrored", 1, true}} {
			w, h := int(float64(src.Width)*v.scale), int(float64(src.Height)*v.scale)
			f := crop(src, w, h, 0, 0, float64(src.Width), float64(src.Height))
			if v.flip {
				for y := range h {
					slices.Reverse(f.Y[y*f.YStride : y*f.YStride+w])
				}
			}
			fa := faces.Fresh()
			a := New(Config{}, fa)
			fa.Observe(f)
			a.Observe(f)
			d := frameDetector{all: true}
			m := d.measure(f, a.faceBox(f))
			t.Logf("%-45s %-8s box %v print %.2f corner %.2f (top %s side %s join %.2f) -> %s", filepath.Base(p), v.name, m.box, m.top.cover, m.cornerCover(), m.cornerTop, m.cornerSide, m.cornerJoin, a.Result(0).Status)
		}
	}
}

func (l edgeLine) String() string {
	return fmt.Sprintf("%+.2f/%+.2f/%.2f/%3.0f", l.pos, l.tilt, l.cover, l.step)
}

// glareOf measures a candidate glare cue (not wired: see docs/checks/replay.md): the share of the
// face box's pixels (its middle 80 %) at luma 240 or more, a specular highlight on glass,
// counted only when the face itself is not clipped (its 90th percentile under 220); and
// that percentile.
func glareOf(f *media.Frame, box image.Rectangle) (share float64, p90 int) {
	in := image.Rect(box.Min.X+box.Dx()/10, box.Min.Y+box.Dy()/10, box.Max.X-box.Dx()/10, box.Max.Y-box.Dy()/10).
		Intersect(image.Rect(0, 0, f.Width, f.Height))
	var hist [256]int
	n := 0
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			hist[f.Y[y*f.YStride+x]]++
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	bright, acc := 0, 0
	for v := 255; v >= 0; v-- {
		if v >= 240 {
			bright += hist[v]
		}
		acc += hist[v]
		if acc*10 >= n && p90 == 0 {
			p90 = v
		}
	}
	if p90 >= 220 {
		return 0, p90
	}
	return float64(bright) / float64(n), p90
}
