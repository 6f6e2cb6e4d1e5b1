package face

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/interval"
)

// maxEvidence caps the evidence list; findings of one kind closest together merge first.
const maxEvidence = 20

// failShare: no face for more than this share of the analyzed video is a fail. The
// interviewer cannot see who answers; a short absence is only a warning.
const failShare = 0.5

// minDetections: fewer detections than this cannot tell a face that stays from one that
// flickers by.
const minDetections = 3

// Finish tells the analyzer the call (or recording) is over: from now on Result's sentences
// are those of a final report ("no video arrived"), not of a running call ("not yet").
func (a *Analyzer) Finish(at time.Duration) { a.finished = true }

// Result returns the state of the check at stream time now. It does not change the
// analyzer: it can be called while the call runs and at the end. A result that still
// holds at the last detection is reported up to now (at most Config.Interval later, or a
// second when frames stopped: after that the camera check reports the missing video).
func (a *Analyzer) Result(now time.Duration) report.Check {
	c := report.Check{ID: report.CheckFace, Status: report.Unknown, Evidence: []report.Evidence{}}
	if a.frames == 0 {
		c.Summary = "Not checked yet: no video has arrived."
		c.NextStep = "Wait for the candidate's camera picture."
		if a.finished {
			c.Summary = "Not checked: no video arrived during the call."
			c.NextStep = ""
		}
		return c
	}
	t := a.tl // a copy: Result must not change the analyzer
	end := max(now, a.lastPTS)
	end = min(end, t.last+t.cfg.holdFor())
	t.account(end)
	fs := append(slices.Clone(t.findings), t.open(end)...)
	slices.SortStableFunc(fs, func(x, y finding) int { return cmp.Compare(x.from, y.from) })

	var kt [numKinds]time.Duration
	for _, f := range fs {
		kt[f.kind] += f.length()
	}
	share := 0.0
	if t.analyzed > 0 {
		share = t.withFace.Seconds() / t.analyzed.Seconds()
	}
	pct := fmt.Sprintf("%.0f%%", 100*share)
	switch {
	case a.frames == 1 || a.lastPTS == a.firstPTS:
		c.Summary = stillSummary(t.lastFaces)
		c.NextStep = "Check the face again on video: a single picture cannot show that someone is there live."
	case t.analyzed < a.cfg.MinVideo || a.samples < minDetections:
		c.Summary = fmt.Sprintf("Not enough video to check for a face: %s analyzed, %s needed.", secs(t.analyzed), secs(a.cfg.MinVideo))
		c.NextStep = "Keep the candidate's camera on for a few seconds so the check can run."
		if a.finished {
			c.Summary = fmt.Sprintf("Not checked: the call had only %s of video to look for a face in, and the check needs %s.", secs(t.analyzed), secs(a.cfg.MinVideo))
			c.NextStep = ""
		}
	case 1-share > failShare && kt[kindNoFace] > 0:
		c.Status = report.Fail
		c.Confidence = 0.7 + 0.25*min(kt[kindNoFace].Seconds()/60, 1)
		c.Summary = fmt.Sprintf("The candidate's face was in view for only %s of the analyzed video (%s).", pct, secs(t.analyzed))
		c.NextStep = nextStep(kindNoFace)
	case len(fs) > 0:
		k := dominant(kt)
		c.Status = report.Warn
		c.Confidence = warnConfidence(k, kt[k])
		c.Summary = warnSummary(k, kt[k], pct, fs)
		if others := kindsIn(fs) - 1; others > 0 {
			c.Summary = strings.TrimSuffix(c.Summary, ".") + fmt.Sprintf("; the evidence lists %d other kind(s) of finding.", others)
		}
		c.NextStep = nextStep(k)
	case share < 1-failShare:
		// Faces came and went faster than NoFaceAfter: no single gap is a finding, but
		// most of the time nobody was seen.
		c.Status = report.Warn
		c.Confidence = 0.5
		c.Summary = fmt.Sprintf("A face was found in only %s of the analyzed video (%s), never missing for long at a time.", pct, secs(t.analyzed))
		c.NextStep = nextStep(kindNoFace)
	default:
		c.Status = report.Pass
		// More video makes a missed problem less likely; a minute is plenty.
		c.Confidence = 0.5 + 0.4*min(t.analyzed.Seconds()/60, 1)*share
		c.Summary = fmt.Sprintf("One face was in view for %s of the analyzed video (%s), with no one else in view.", pct, secs(t.analyzed))
	}
	c.Evidence = evidence(fs)
	return c
}

func stillSummary(faces int) string {
	switch faces {
	case 0:
		return "Only a single picture: no face was found in it, and a face check needs video."
	case 1:
		return "Only a single picture: one face was found in it, but a face check needs video."
	}
	return fmt.Sprintf("Only a single picture: %d faces were found in it, but a face check needs video.", faces)
}

// dominant returns the kind with the most time; multiple faces first on a tie, as it matters most.
func dominant(t [numKinds]time.Duration) kind {
	best := kindMultiple
	for k := range numKinds {
		if t[k] > t[best] {
			best = k
		}
	}
	return best
}

func warnConfidence(k kind, d time.Duration) float64 {
	if k == kindMultiple {
		// pigo cannot tell a person from a photo, a poster or a screen showing a face.
		return 0.5 + 0.3*min(d.Seconds()/10, 1)
	}
	return 0.6 + 0.3*min(d.Seconds()/10, 1)
}

func warnSummary(k kind, d time.Duration, pct string, fs []finding) string {
	switch k {
	case kindMultiple:
		n := 2
		for _, f := range fs {
			if f.kind == k {
				n = max(n, f.faces)
			}
		}
		return fmt.Sprintf("Up to %d faces were in view at once for %s: someone else may be in the room.", n, secs(d))
	case kindSmall:
		return fmt.Sprintf("A face was in view for %s of the analyzed video, but it was too small to judge well for %s.", pct, secs(d))
	case kindDark:
		return fmt.Sprintf("A face was in view for %s of the analyzed video, but it was too dark to judge well for %s.", pct, secs(d))
	}
	return fmt.Sprintf("A face was in view for %s of the analyzed video, but none for %s in total.", pct, secs(d))
}

// kindsIn counts the distinct kinds of findings in fs.
func kindsIn(fs []finding) int { return interval.Kinds(fs) }

// nextStep suggests what the interviewer can do about a kind of finding.
func nextStep(k kind) string {
	switch k {
	case kindMultiple:
		return "Ask who else is in the room, or ask the candidate to show the room with their camera."
	case kindSmall:
		return "Ask the candidate to move closer to the camera."
	case kindDark:
		return "Ask the candidate to turn on a light in front of them, not behind."
	}
	return "Ask the candidate to face the camera and stay in view."
}

// evidence builds the capped evidence list, in time order.
func evidence(fs []finding) []report.Evidence {
	fs = compact(fs, maxEvidence)
	ev := make([]report.Evidence, 0, len(fs))
	for _, f := range fs {
		e := report.Range(f.from.Seconds(), f.to.Seconds(), f.kind.String(), f.detail())
		e.Snapshot = f.snap
		ev = append(ev, e)
	}
	return ev
}
