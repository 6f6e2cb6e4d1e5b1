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
