package face

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// TestCorpusRecallStreamers runs the face check over the genuine clips the corpus gained
// (genuine/dfl_*: webcam streamers, a phone selfie, a broadcast and a film scene), at their
// own size. These clips turn heads further and carry stream overlays, so recall is asserted
// over all of them (≥ 95 % of sampled frames) rather than per clip, and no clip may be a
// face `fail`: a person in view is never failed for the detector's weakness.
// Run with -v for the per-clip table (recorded in docs/checks/face.md).
func TestCorpusRecallStreamers(t *testing.T) {
	needFFmpeg(t)
	dir := corpusDir(t)
	ents, err := os.ReadDir(filepath.Join(dir, "genuine"))
	if err != nil {
		t.Fatal(err)
	}
	every, quick := 4, raceEnabled || testing.Short()
	if quick {
		every = 16
	}
	base := newTest(t, Config{})
	probe := base.Fresh()
	var totalN, totalHit, clips int
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "dfl_") || (quick && clips >= 3) {
			continue
		}
		clips++
		a := base.Fresh()
		var n, hit int
		eachFrame(t, filepath.Join(dir, "genuine", name), 0, func(i int, f *media.Frame) {
			a.Observe(f)
			if i%every != 0 {
				return
			}
			n++
			if len(probe.det.detect(probe.cas, probe.cfg, f)) > 0 {
				hit++
			}
		})
		c := a.Result(a.lastPTS)
		t.Logf("%-50s frames %3d recall %.3f -> %s %v", name, n, float64(hit)/float64(max(n, 1)), c.Status, kinds(c))
		if c.Status == report.Fail {
			t.Errorf("%s: face fail on a genuine clip: %q", name, c.Summary)
		}
		totalN, totalHit = totalN+n, totalHit+hit
	}
	if clips == 0 {
		t.Skip("no genuine/dfl_* clips in the corpus (an older copy); see docs/corpus.md")
	}
	r := float64(totalHit) / float64(max(totalN, 1))
	t.Logf("%d clips, %d frames, recall %.4f", clips, totalN, r)
	if r < minRecall {
		t.Errorf("recall %.4f < %.2f over the streamer clips", r, minRecall)
	}
}
