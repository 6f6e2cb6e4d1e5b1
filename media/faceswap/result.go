package faceswap

import (
	"fmt"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// nextStep is what the interviewer can do: the active challenge that real-time swappers
// handle worst (profile views and occlusion break their face alignment).
const nextStep = "Ask them to turn their head to full profile and hold for two seconds, then pass a hand slowly across their face."

// Evidence kinds.
const (
	kindModel = "face_swap_model" // the model's highest window, or a run over the threshold
)

// informational says why the check does not decide on the model's score.
const informational = "Not decided: the learned face-swap detector is information only, because on swappers and people it " +
	"never saw it missed too many swaps at the false-alarm rate allowed (docs/faceswap-model.md)."

// maxEvidence caps the runs listed (the strongest are kept).
const maxEvidence = 5

// Result returns the state of the check without changing the analyzer. Windows end at the
// last frame observed, whatever now is: only video that was seen is scored.
func (a *Analyzer) Result(now time.Duration) report.Check {
	c := report.Check{ID: report.CheckFaceSwap, Status: report.Unknown, Evidence: []report.Evidence{}}
	switch {
	case a.faces == nil:
		c.Summary = "The face-swap check could not run: face detection is unavailable on this server."
		c.NextStep = "Look at the candidate's face yourself; ask them to turn to profile and pass a hand across their face."
		return c
	case a.err != nil:
		c.Summary = "The face-swap check could not run: its model did not load (" + a.err.Error() + ")."
		c.NextStep = nextStep
		return c
	case a.frames == 0:
		c.Summary = "Not checked yet: no video has arrived."
		c.NextStep = "Wait for the candidate's camera picture."
		return c
	case a.frames == 1 || a.lastPTS == a.firstPTS:
		c.Summary = "Only a single picture: a face-swap check needs video."
		c.NextStep = "Check again on live video."
		return c
	}
	w := a.win.finish(a.lastPTS)
	faceVideo := time.Duration(a.scored) * a.cfg.Every
	if w.scored == 0 || faceVideo < a.cfg.MinVideo {
		c.Summary = notEnough(a, faceVideo)
		c.NextStep = "Ask the candidate to face the camera in good light for a few seconds."
		a.addChallenges(&c)
		return c
	}
	m := a.model
	over := ""
	if len(w.runs) > 0 {
		over = fmt.Sprintf(", at or over the threshold in %d stretch(es)", len(w.runs))
	}
	measured := fmt.Sprintf("Over %s of face video (%d windows) the model's highest window score was %.2f from %s to %s (threshold %.2f, model %s)%s.",
		secs(faceVideo), w.scored, w.best.score, clock(w.best.from), clock(w.best.to), a.cfg.Threshold, m.Version, over)
	c.Evidence = a.evidence(w)
	switch {
	case !a.cfg.Warn:
		c.Summary = informational + " " + measured
		c.NextStep = nextStep
	case len(w.runs) > 0:
		c.Status = report.Warn
		c.Confidence = round2(w.best.score)
		c.Summary = "The face looked blended into the picture, as with a face swap. " + measured
		c.NextStep = nextStep
	default:
		c.Status = report.Pass
		// A passive detector misses good swaps: the confidence stays low.
		c.Confidence = 0.5
		c.Summary = "No sign of a face swap. " + measured
	}
	a.addChallenges(&c)
	return c
}

func notEnough(a *Analyzer, faceVideo time.Duration) string {
	switch {
	case a.scored == 0 && a.small > 0:
		return "The face was too small to check for a face swap."
	case a.scored == 0:
		return "No face was found to check for a face swap."
	}
	return fmt.Sprintf("Not enough face video to check for a face swap: %s, %s needed.", secs(faceVideo), secs(a.cfg.MinVideo))
}

// evidence is the highest window with the highest-scoring face, then the strongest runs over
// the threshold, in time order.
func (a *Analyzer) evidence(w windows) []report.Evidence {
	head := "Information only, not a verdict: "
	if a.cfg.Warn {
		head = ""
	}
	best := report.Range(w.best.from.Seconds(), w.best.to.Seconds(), kindModel,
		fmt.Sprintf("%sface-swap model %s: highest window score %.2f from %s to %s (threshold %.2f; %d face crops); the picture is the highest-scoring face (%.2f at %s).",
			head, a.model.Version, w.best.score, clock(w.best.from), clock(w.best.to), a.cfg.Threshold, w.best.n, a.best.score, clock(a.best.at)))
	best.Snapshot = a.best.data
	out := []report.Evidence{best}
	runs := w.runs
	for len(runs) > maxEvidence {
		weakest := 0
		for i, r := range runs {
			if r.maxScore < runs[weakest].maxScore {
				weakest = i
			}
		}
		runs = append(runs[:weakest:weakest], runs[weakest+1:]...)
	}
	for _, r := range runs {
		out = append(out, report.Range(r.from.Seconds(), r.to.Seconds(), kindModel,
			fmt.Sprintf("%sface-swap model %s: %d window(s) at or over the threshold %.2f from %s to %s (mean %.2f, highest %.2f).",
				head, a.model.Version, r.windows, a.cfg.Threshold, clock(r.from), clock(r.to), r.sumScore/float64(r.windows), r.maxScore)))
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
