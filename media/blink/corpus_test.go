package blink

import (
	"cmp"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// scored is one look's blink score (the smaller eye's) for the measurement's table.
type scored struct {
	at          time.Duration
	left, right float32
	ref         float32
}

// watch runs the face check and a Detector over the recording at path, the way the liveness
// check feeds it: the newest main-face detection's box on every frame (none when it is more
// than half a second old), its pupils on the frame they were found in.
func watch(t *testing.T, path string) (*Detector, []scored) {
	t.Helper()
	fa := corpustest.Faces(t, face.Config{Pupils: true}) // as integritybot runs it
	d := New(Config{})
	var scores []scored
	d.trace = func(at time.Duration, l, r, ref float32) { scores = append(scores, scored{at, l, r, ref}) }
	var buf []face.Detection
	corpustest.EachFrame(t, path, 0, func(f *media.Frame) {
		fa.Observe(f)
		buf = fa.Recent(buf[:0], 4)
		var box image.Rectangle
		var l, r image.Point
		for i := len(buf) - 1; i >= 0; i-- {
			if x := buf[i]; x.Rank == 0 && f.PTS-x.PTS < 500*time.Millisecond {
				box = x.Box
				if x.PTS == f.PTS {
					l, r = x.LeftEye, x.RightEye
				}
				break
			}
		}
		d.Add(f, box, l, r)
	})
	return d, scores
}

// TestCorpusBlinks checks two GRID clips whose frames were looked at one by one: a woman
// who blinks once at 0.84–0.92 s (grid_brbk7n), a man who does not blink (grid_swiz3n).
func TestCorpusBlinks(t *testing.T) {
	dir := corpustest.Dir(t)
	for _, tc := range []struct {
		clip string
		want []time.Duration
	}{
		{"grid_brbk7n.mpg", []time.Duration{880 * time.Millisecond}},
		{"grid_swiz3n.mpg", nil},
	} {
		t.Run(tc.clip, func(t *testing.T) {
			d, _ := watch(t, filepath.Join(dir, "genuine", tc.clip))
			got := d.Blinks()
			t.Logf("blinks %v over %v watched", got, d.Watched())
			if d.Watched() < 2500*time.Millisecond || len(got) != len(tc.want) {
				t.Fatalf("blinks %v over %v watched; want %v over ~3 s", got, d.Watched(), tc.want)
			}
			for i := range got {
				if diff := got[i] - tc.want[i]; diff < -120*time.Millisecond || diff > 120*time.Millisecond {
					t.Errorf("blink at %v; want %v", got[i], tc.want[i])
				}
			}
		})
	}
}

// TestMeasure prints the blinks found in every genuine clip of the corpus and in the
// recordings of $BLINK_ATTACKS (a directory written by integritybot eval --synthesize), with
// the highest-scoring looks. BLINK_MEASURE=1 runs it.
func TestMeasure(t *testing.T) {
	if os.Getenv("BLINK_MEASURE") == "" {
		t.Skip("set BLINK_MEASURE=1 (and BLINK_ATTACKS=DIR) to measure")
	}
	dir := corpustest.Dir(t)
	paths, _ := filepath.Glob(filepath.Join(dir, "genuine", "*"))
	if a := os.Getenv("BLINK_ATTACKS"); a != "" {
		more, _ := filepath.Glob(filepath.Join(a, "*.y4m"))
		paths = append(paths, more...)
	}
	for _, p := range paths {
		d, scores := watch(t, p)
		slices.SortFunc(scores, func(a, b scored) int { return cmp.Compare(min(b.left, b.right), min(a.left, a.right)) })
		top := ""
		for _, s := range scores[:min(4, len(scores))] {
			top += " " + s.at.Round(10*time.Millisecond).String() + "=" + ftoa(min(s.left, s.right)) + "/" + ftoa(s.ref)
		}
		perMin := 0.0
		if w := d.Watched(); w > 0 {
			perMin = float64(len(d.Blinks())) / w.Minutes()
		}
		t.Logf("%-36s watched %5.1f s  blinks %2d (%4.1f/min) at %v  top:%s", filepath.Base(p), d.Watched().Seconds(),
			len(d.Blinks()), perMin, roundAll(d.Blinks()), top)
	}
}

func ftoa(f float32) string { return strconv.FormatFloat(float64(f), 'f', 2, 32) }

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(10 * time.Millisecond)
	}
	return out
}
