package replay

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
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
// the 19 genuine clips, with each clip's closest approach to the thresholds. It runs
// only with REPLAY_MEASURE=1:
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
	for _, p := range append(paths, genuine...) {
		fa := faces.Fresh()
		a := New(Config{}, fa)
		var d frameDetector
		var sides, top float64 // the clip's best support of each rule
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
			if !m.ok {
				lines = append(lines, fmt.Sprintf("%5.1fs box %v not measured", f.PTS.Seconds(), m.box))
				continue
			}
			ok++
			if m.okSides {
				sides = max(sides, min(m.left.cover, m.right.cover))
			}
			top = max(top, m.top.cover)
			lines = append(lines, fmt.Sprintf("%5.1fs box %v L %s R %s T %s held sides %v top %v", f.PTS.Seconds(), m.box, m.left, m.right, m.top, m.sides, m.topEdge))
		}
		t.Logf("%-45s samples %d measured %d best sides %.2f top %.2f\n    %s", filepath.Base(p), n, ok, sides, top, strings.Join(lines, "\n    "))
	}
}

func (l edgeLine) String() string {
	return fmt.Sprintf("%+.2f/%+.2f/%.2f/%3.0f", l.pos, l.tilt, l.cover, l.step)
}
