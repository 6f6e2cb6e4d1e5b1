package replay

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// maxEvidence caps the evidence list.
const maxEvidence = 20

// Evidence kinds.
const (
	kindLoop   = "loop"
	kindPhoto  = "photo_motion"
	kindScreen = "screen"
	kindPrint  = "print"
)

// cueKindNames are the evidence kinds of the frame cue's rules.
var cueKindNames = [cueKinds]string{cuePrint: kindPrint, cueScreen: kindScreen}

// Next steps: each asks for what a replay cannot do on demand.
const (
	nextLoop  = "Ask them to wave a hand in front of their face and turn their head to full profile, then watch whether the picture follows at once."
	nextPhoto = "Ask them to blink twice, smile and turn their head to full profile: a photo cannot."
)

// Result returns the state of the check at stream time now. It does not change the
// analyzer: it can be called while the call runs and at the end.
func (a *Analyzer) Result(now time.Duration) report.Check {
	c := report.Check{ID: report.CheckReplay, Status: report.Unknown, Evidence: []report.Evidence{}}
	if a.frames == 0 {
		if a.finished {
			c.Summary = "Not checked: no video arrived during the call."
			return c
		}
		c.Summary = "Not checked yet: no video has arrived."
		c.NextStep = "Wait for the candidate's camera picture."
		return c
	}
	if a.textured == 0 {
		// Black or one flat colour throughout: nothing was shown that could be a replay, and
		// nothing that could show it is not one. The camera check reports the black picture.
		c.Summary = "Not checked: the picture was black or a single flat colour, so there was nothing to look at for replayed video."
		c.NextStep = "Ask the candidate to turn their camera on (see the camera check)."
		return c
	}
	video := a.lastPTS - a.firstPTS
	loops := a.loop.findings
	var strong, weak []loopFinding
	for _, l := range loops {
		if l.strong {
			strong = append(strong, l)
		} else {
			weak = append(weak, l)
		}
	}
	photos := slices.Clone(a.motion.findings)
	if a.motion.good.pairs > 0 {
		photos = append(photos, a.motion.good)
	}
	still := video == 0
	cues := a.cues.all(still)
	switch {
	case len(strong) > 0:
		l := longestLoop(strong)
		c.Status = report.Fail
		c.Confidence = 0.75 + 0.2*min((l.to-l.from-l.lag).Seconds()/(3*l.lag.Seconds()), 1)
		c.Summary = loopSentence(l)
		c.NextStep = nextLoop
	case len(photos) > 0:
		p := slices.MaxFunc(photos, func(x, y photoFinding) int { return cmp.Compare(x.length(), y.length()) })
		c.Status = report.Fail
		c.Confidence = 0.7 + 0.25*min(p.length().Seconds()/(3*a.cfg.PhotoWindow.Seconds()), 1)
		c.Summary = photoSentence(p)
		c.NextStep = nextPhoto
	case len(weak) > 0:
		l := longestLoop(weak)
		c.Status = report.Warn
		c.Confidence = 0.5
		c.Summary = weakLoopSentence(l)
		c.NextStep = nextLoop
	case len(cues) > 0:
		s := slices.MaxFunc(cues, func(x, y cueSpan) int { return cmp.Compare(x.length(), y.length()) })
		c.Status = report.Warn
		c.Confidence = 0.6
		if !still {
			c.Confidence = 0.65 + 0.25*min(s.length().Seconds()/(5*cueMinSpan.Seconds()), 1)
		}
		c.Summary = cueSentence(s, still)
		c.NextStep = nextFrame
	case still && a.cues.looks == 0:
		c.Summary = "Only a single picture, with no face to look around for the edges of a screen or print; a loop or a moving photo shows only in video."
		c.NextStep = "Check for replayed video during the live call."
	case still:
		c.Summary = "Only a single picture: no edge of a screen or print was seen around the face; a loop or a moving photo shows only in video."
		c.NextStep = "Check for replayed video during the live call."
	case video < a.cfg.MinVideo:
		c.Summary = fmt.Sprintf("Not enough video to check for replayed video: %s analyzed, %s needed.", secs(video), secs(a.cfg.MinVideo))
		c.NextStep = "Keep the candidate's camera on for a few seconds so the check can run."
	default:
		c.Status = report.Pass
		// Longer video rules out longer loops; a minute is plenty for the photo cue too.
		c.Confidence = 0.5 + 0.4*min(video.Seconds()/60, 1)
		c.Summary = fmt.Sprintf("No looped video, no moving photo and no edge of a screen or print around the face were seen in %s of video.", secs(video))
	}
	c.Evidence = evidence(loops, photos, cues, still)
	return c
}

func longestLoop(ls []loopFinding) loopFinding {
	return slices.MaxFunc(ls, func(x, y loopFinding) int { return cmp.Compare(x.to-x.from, y.to-y.from) })
}

func loopSentence(l loopFinding) string {
	n := max(2, int(float64(l.to-l.from)/float64(l.lag)+0.5))
	if l.still {
		return fmt.Sprintf("The same %.1f-second stretch of video was shown %d times between %s and %s: each frame repeats the one %.1f seconds earlier down to its fine grain, %.0f times closer than the frame just before it, which live video does not do (a camera's noise and a person's small movements are new in every frame).",
			l.lag.Seconds(), n, report.Clock(l.from.Seconds()), report.Clock(l.to.Seconds()), l.lag.Seconds(), 1/max(l.ratio, 0.01))
	}
	return fmt.Sprintf("The same %.1f-second stretch of video was shown %d times between %s and %s.",
		l.lag.Seconds(), n, report.Clock(l.from.Seconds()), report.Clock(l.to.Seconds()))
}

// weakLoopSentence describes a possible loop: a stretch matched at one lag, but with too
// little repeated motion (or repeated too briefly) to be sure.
func weakLoopSentence(l loopFinding) string {
	if l.still {
		return fmt.Sprintf("Between %s and %s the picture repeated itself every %.1f seconds down to its fine grain, %.1f times closer than the frame just before it; live video does not repeat like this, but it was seen too briefly to be proof of a loop.",
			report.Clock(l.from.Seconds()), report.Clock(l.to.Seconds()), l.lag.Seconds(), 1/max(l.ratio, 0.01))
	}
	return fmt.Sprintf("Between %s and %s the picture matched itself %.1f seconds earlier, with a little of the same movement repeated; a person sitting very still can look like this, so this is not proof of a loop.",
		report.Clock(l.from.Seconds()), report.Clock(l.to.Seconds()), l.lag.Seconds())
}

func loopDetail(l loopFinding) string {
	sent := loopSentence(l)
	if !l.strong {
		sent = weakLoopSentence(l)
	}
	if l.still {
		return sent[:len(sent)-1] + fmt.Sprintf(" (%d probes a tenth of a second apart at a constant lag of %.2f s: the %d × %d cell means of a frame's luma differed from the frame one lag earlier by %.2f levels on average and from the frame before it by %.2f; the lag's difference was at most %.0f%% of the smaller of that and the frames beside the lag, %.0f%% on average).",
			l.probes, l.lag.Seconds(), fineW, fineH, l.meanD, l.next, 100*stillRatio, 100*l.ratio)
	}
	return sent[:len(sent)-1] + fmt.Sprintf(" (frames matched within %.1f luma levels on average at a constant lag of %.2f s over %d probes a tenth of a second apart; in %d of them the picture was moving — %d or more of %d blocks changed in 0.3 s — and still matched; up to %d blocks changed within the stretch).",
		l.meanD, l.lag.Seconds(), l.probes, l.moves, minMoving, sigLen, l.change)
}

func photoSentence(p photoFinding) string {
	return fmt.Sprintf("For %s (%s to %s) the whole picture moved as one flat image (panned or zoomed) while nothing in the face moved: no blink, no mouth movement.",
		secs(p.length()), report.Clock(p.from.Seconds()), report.Clock(p.to.Seconds()))
}

func photoDetail(p photoFinding) string {
	return photoSentence(p)[:len(photoSentence(p))-1] + fmt.Sprintf("; %d of %d half-second steps moved rigidly (a shift, zoom and turn of the whole picture explained the motion of at least %.0f%% of its textured blocks), by up to %.1f px at %d px wide and %.1f%% zoom, and none was live: after that planar fit the face changed by at most %.1f luma levels, %.1f times what the rest of the picture changed (a blink or speech makes it %.0f times or more), and under %.1f times in %d of the %d steps.",
		p.rigid, p.pairs, 100*minInliers, p.motion, smallW, 100*p.zoom, p.residual, p.ratio, liveRatio, calmRatio, p.calm, p.pairs)
}

// evidence builds the capped evidence list, in time order.
func evidence(loops []loopFinding, photos []photoFinding, cues []cueSpan, still bool) []report.Evidence {
	var ev []report.Evidence
	for _, l := range loops {
		e := report.Range(l.from.Seconds(), l.to.Seconds(), kindLoop, loopDetail(l))
		e.Snapshot = l.snap
		if l.snap != "" && l.snap2 != "" {
			// The same picture one loop apart: the frame and the earlier frame it repeats.
			e.Snapshots = []report.Frame{{AtS: l.at.Seconds(), Snapshot: l.snap}, {AtS: l.at2.Seconds(), Snapshot: l.snap2}}
		}
		ev = append(ev, e)
	}
	for _, p := range photos {
		e := report.Range(p.from.Seconds(), p.to.Seconds(), kindPhoto, photoDetail(p))
		e.Snapshot = p.snap
		ev = append(ev, e)
	}
	for _, s := range cues {
		e := report.Range(s.from.Seconds(), s.to.Seconds(), cueKindNames[s.kind], cueDetail(s, still))
		e.Snapshot = s.snap
		ev = append(ev, e)
	}
	slices.SortStableFunc(ev, func(x, y report.Evidence) int { return cmp.Compare(x.AtS, y.AtS) })
	if len(ev) > maxEvidence {
		ev = ev[:maxEvidence]
	}
	if ev == nil {
		ev = []report.Evidence{}
	}
	return ev
}

// secs formats a duration as seconds for a sentence: "2.5 s", "42 s".
func secs(d time.Duration) string {
	s := d.Seconds()
	if s < 10 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}
