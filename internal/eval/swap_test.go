package eval

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// TestPaste pastes a flat render into a textured plane: the middle of the ellipse takes
// the render (plus the shift), the corners of the square and everything outside it keep
// the picture, and the feathered edge lies in between. Sharpening raises an edge's contrast.
func TestPaste(t *testing.T) {
	const w = 100
	pix := make([]byte, w*w)
	for i := range pix {
		pix[i] = byte(40 + 20*((i%w+i/w)%2)) // a 1-pixel checkerboard: 40 and 60
	}
	orig := append([]byte(nil), pix...)
	r := make([]byte, 16*16)
	for i := range r {
		r[i] = 200
	}
	paste(plane{pix, w, w, w}, r, 16, 20, 20, 60, 5, 0, 4)
	at := func(x, y int) int { return int(pix[y*w+x]) }
	if got := at(50, 50); got != 204 {
		t.Errorf("centre %d, want 204 (render 200 + shift 4)", got)
	}
	for _, p := range [][2]int{{21, 21}, {78, 78}, {5, 50}, {95, 50}, {50, 5}} {
		if at(p[0], p[1]) != int(orig[p[1]*w+p[0]]) {
			t.Errorf("(%d,%d) = %d, want the picture's %d", p[0], p[1], at(p[0], p[1]), orig[p[1]*w+p[0]])
		}
	}
	// The ellipse spans 0.45×60 = 27 pixels either side of x = 50; 2 pixels inside its
	// edge the mask is 2/5 of the way in.
	if got := at(50+27-2, 50); got < 70 || got > 190 {
		t.Errorf("feathered edge %d, want between picture and render", got)
	}

	step := make([]float64, 10*10)
	for i := range step {
		if i%10 >= 5 {
			step[i] = 100
		}
	}
	unsharp(step, 10, 10, 1.5)
	if step[5*10+4] >= 0 || step[5*10+5] <= 100 {
		t.Errorf("unsharp edge %v, %v: want an undershoot below 0 and an overshoot above 100", step[5*10+4], step[5*10+5])
	}
}

// swapTestFaces returns a face detector searching every frame, from the embedded cascades
// or the pigo module.
func swapTestFaces(t *testing.T) *face.Analyzer {
	t.Helper()
	return corpustest.Faces(t, face.Config{Interval: time.Millisecond})
}

// TestSynthesizeSwaps makes the swap rows of the first two corpus clips with a big enough
// face and checks them against their source: one lowres and one enhanced file per clip,
// the source's frame count, the picture changed only inside the face (the frame's corners
// and most of it are the source's own pixels) and the two renderings different.
func TestSynthesizeSwaps(t *testing.T) {
	corpus := corpusDir(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make deps-test installs it)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	opt := SynthOptions{Corpus: corpus, Open: open, Sources: 1, Duration: 2 * time.Second, FPS: 10, Swaps: 2, Hands: -1, Faces: swapTestFaces(t)}
	rows, err := Synthesize(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	var swaps []Row
	for _, r := range rows {
		if strings.HasPrefix(r.Attack, "face_swap_") {
			swaps = append(swaps, r)
		}
	}
	if len(swaps) != 4 {
		t.Fatalf("%d swap rows, want 4 (2 clips × %v)", len(swaps), SwapAttacks)
	}
	var prev []*media.Frame
	for i, r := range swaps {
		if want := SwapAttacks[i%2]; r.Attack != want || r.Label != LabelAttack || !strings.Contains(r.Extra["content"], "same person") {
			t.Errorf("row %d: %s %s %q; want %s, same person", i, r.Label, r.Attack, r.Extra["content"], want)
		}
		got := readAll(t, r.File)
		srcPath := strings.TrimPrefix(r.Extra["source"], "synthesized by integritybot eval --synthesize from ")
		src, err := loadClip(ctx, SynthOptions{Open: open, FPS: 10, Duration: 2 * time.Second}, filepath.Join(corpus, srcPath))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(src) || len(got) != 20 {
			t.Fatalf("%s: %d frames, source %d, want 20", r.Path, len(got), len(src))
		}
		for k, g := range got {
			s := src[k]
			diff := 0
			for j := range g.Y {
				if g.Y[j] != s.Y[j] {
					diff++
				}
			}
			last := len(g.Y) - 1
			if g.Y[0] != s.Y[0] || g.Y[last] != s.Y[last] || diff == 0 || diff > len(g.Y)*2/5 {
				t.Errorf("%s frame %d: %d of %d luma pixels changed; want the face only", r.Path, k, diff, len(g.Y))
				break
			}
		}
		if i%2 == 1 && sameFrames(prev, got) {
			t.Errorf("%s: identical to the lowres rendering", r.Path)
		}
		prev = got
	}
}

// readAll decodes every frame of path.
func readAll(t *testing.T, path string) []*media.Frame {
	t.Helper()
	src, err := open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []*media.Frame
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, f.Clone())
	}
}

func sameFrames(a, b []*media.Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i].Y) != string(b[i].Y) {
			return false
		}
	}
	return true
}
