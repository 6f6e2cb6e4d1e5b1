package blink

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/file"
)

var (
	protoOnce sync.Once
	proto     *face.Analyzer
	protoErr  error
)

// newFaces returns a fresh face check with pupils on (as integritybot runs it), loading
// pigo's cascades once per test binary: the embedded copy, else the pigo module's.
func newFaces(t testing.TB) *face.Analyzer {
	t.Helper()
	protoOnce.Do(func() {
		proto, protoErr = face.New(face.Config{Pupils: true})
		if errors.Is(protoErr, face.ErrNoCascades) {
			out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
			if err != nil || len(bytes.TrimSpace(out)) == 0 {
				return
			}
			proto, protoErr = face.New(face.Config{Pupils: true, CascadeDir: filepath.Join(string(bytes.TrimSpace(out)), "cascade")})
		}
	})
	if protoErr != nil {
		t.Skipf("face cascades unavailable: %v", protoErr)
	}
	return proto.Fresh()
}

// corpusDir returns the shared corpus (../shared/corpus beside the repository, or
// $INTEGRITYBOT_CORPUS), or skips the test naming it.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("INTEGRITYBOT_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "labels.csv")); err != nil {
		t.Skipf("corpus not found at %s (set INTEGRITYBOT_CORPUS to the directory holding labels.csv)", dir)
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make deps-test installs it)")
	}
	return dir
}

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
	src, err := file.Open(context.Background(), path, file.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fa := newFaces(t)
	d := New(Config{})
	var scores []scored
	d.trace = func(at time.Duration, l, r, ref float32) { scores = append(scores, scored{at, l, r, ref}) }
	var buf []face.Detection
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
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
	}
	return d, scores
}

// TestCorpusBlinks checks two GRID clips whose frames were looked at one by one: a woman
// who blinks once at 0.84–0.92 s (grid_brbk7n), a man who does not blink (grid_swiz3n).
func TestCorpusBlinks(t *testing.T) {
	dir := corpusDir(t)
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
	dir := corpusDir(t)
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
