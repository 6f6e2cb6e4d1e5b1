package faceswap

import (
	"fmt"
	"math"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// nextStep is what the interviewer can do about a flag: the active challenge that real-time
// swappers handle worst (profile views and occlusion break their face alignment).
const nextStep = "Ask them to turn their head to full profile and hold for two seconds, then pass a hand slowly across their face."

// Evidence kinds.
const (
	kindSwap = "face_swap_cues"
)

// failWindows and failScore: only a run this long with this mean score fails; anything less
// warns. A passive cue is a reason to run the active challenge, not a verdict.
const (
	failWindows = 10
	failScore   = 0.95
)

// maxEvidence caps the evidence list (the strongest runs are kept).
const maxEvidence = 10

// Result returns the state of the check without changing the analyzer. Windows end at the
// last frame observed, whatever now is: only video that was seen is scored.
func (a *Analyzer) Result(now time.Duration) report.Check {
	c := report.Check{ID: report.CheckFaceSwap, Status: report.Unknown, Evidence: []report.Evidence{}}
	if a.faces == nil {
		c.Summary = "The face-swap check could not run: face detection is unavailable on this server."
		c.NextStep = "Look at the candidate's face yourself; ask them to turn to profile and pass a hand across their face."
		return c
	}
	if a.frames == 0 {
		c.Summary = "Not checked yet: no video has arrived."
		c.NextStep = "Wait for the candidate's camera picture."
		return c
	}
	if a.frames == 1 || a.lastPTS == a.firstPTS {
		c.Summary = "Only a single picture: a face-swap check needs video."
		c.NextStep = "Check again on live video."
		return c
	}
	// Windows end with the video: a live report between frames scores no more than was seen.
	w := a.win.finish(a.lastPTS)
	faceVideo := time.Duration(a.measured) * a.cfg.Interval
	runs := sustained(w)
	switch {
	case len(runs) > 0:
		c.Status = report.Warn
		strongest := runs[0]
		for _, r := range runs {
			if r.sumScore/float64(r.windows) > strongest.sumScore/float64(strongest.windows) {
				strongest = r
			}
			if r.windows >= failWindows && r.sumScore/float64(r.windows) >= failScore {
				c.Status = report.Fail
			}
		}
		c.Confidence = round2(strongest.sumScore / float64(strongest.windows))
		var over time.Duration
		for _, r := range runs {
			over += r.to - r.from
		}
		c.Summary = fmt.Sprintf("The face looked rendered onto the video in %s of %s of face video: "+
			"its features were crisper and its skin smoother than the head and picture around it, as with a real-time face swap.",
			secs(min(over, faceVideo)), secs(faceVideo))
		c.NextStep = nextStep
		c.Evidence = evidence(runs, a.cfg.Threshold)
	case w.scored == 0 || faceVideo < a.cfg.MinVideo:
		c.Summary = notEnough(a, faceVideo)
		c.NextStep = "Ask the candidate to face the camera in good light for a few seconds."
	default:
		c.Status = report.Pass
		// More face video makes a missed swap less likely, but a passive check can miss a
		// good swap: the confidence stays below 0.8.
		c.Confidence = round2(0.5 + 0.3*min(faceVideo.Seconds()/60, 1))
		c.Summary = fmt.Sprintf("No sign of a face swap in %s of face video (%d windows; highest score %.2f, threshold %.2f).",
			secs(faceVideo), w.scored, w.best.score, a.cfg.Threshold)
	}
	a.addChallenges(&c)
	return c
}

// sustained returns the runs over the threshold that count: at least two consecutive
// windows (three seconds), or the only window of a short recording.
func sustained(w windows) []run {
	var out []run
	for _, r := range w.runs {
		if r.windows >= 2 || w.scored == 1 {
			out = append(out, r)
		}
	}
	return out
}

func notEnough(a *Analyzer, faceVideo time.Duration) string {
	switch {
	case a.measured == 0 && a.small > 0:
		return "The face was too small to check for a face swap."
	case a.measured == 0:
		return "No face was found to check for a face swap."
	}
	return fmt.Sprintf("Not enough face video to check for a face swap: %s, %s needed.", secs(faceVideo), secs(a.cfg.MinVideo))
}

// evidence describes each run in one sentence, strongest first when there are too many.
func evidence(runs []run, threshold float64) []report.Evidence {
	if len(runs) > maxEvidence {
		// Keep the longest runs, in time order.
		keep := make([]bool, len(runs))
		for range maxEvidence {
			best := -1
			for i, r := range runs {
				if !keep[i] && (best < 0 || r.windows > runs[best].windows) {
					best = i
				}
			}
			keep[best] = true
		}
		var kept []run
		for i, r := range runs {
			if keep[i] {
				kept = append(kept, r)
			}
		}
		runs = kept
	}
	out := make([]report.Evidence, 0, len(runs))
	for _, r := range runs {
		n := float64(r.windows)
		detail := fmt.Sprintf("Face-swap score %.2f (threshold %.2f) from %s to %s: the face's fine detail against its edges "+
			"was %.2f above the hair and jaw around it (genuine corpus video: at most 0.53), and its skin texture %.0f%% of the background's.",
			r.sumScore/n, threshold, clock(r.from), clock(r.to), r.hfBand/n, 100*math.Exp(r.noise/n))
		ev := report.Range(r.from.Seconds(), r.to.Seconds(), kindSwap, detail)
		ev.Snapshot = r.snap.data
		out = append(out, ev)
	}
	return out
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

func clock(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func round2(v float64) float64 { return float64(int(v*100+0.5)) / 100 }
