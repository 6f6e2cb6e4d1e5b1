package liveness

import (
	"fmt"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// Result returns the state of the check at stream time now. It does not change the
// analyzer: windows whose video has not been scored yet are judged on a copy.
func (a *Analyzer) Result(now time.Duration) report.Check {
	c := report.Check{ID: report.CheckLiveness, Status: report.Unknown, Evidence: []report.Evidence{}}
	if a.faces == nil {
		c.Summary = "The liveness check could not run: face detection is not available on this server."
		c.NextStep = "Ask the candidate to turn their head to full profile and pass a hand across their face, and watch yourself."
		return c
	}
	if len(a.windows) == 0 {
		c.Summary = "No liveness challenge has been run yet."
		c.NextStep = "Press Liveness check while the candidate is on camera: they are asked to turn their head to full profile, pass a hand across their face and come closer."
		if a.finished {
			c.Summary = "Not checked: no liveness challenge was run during the call."
			c.NextStep = "If you need this check, hold a short follow-up call and run the liveness check while the candidate is on camera."
		}
		c.Evidence = append(c.Evidence, a.passive.evidence()...) // pulse, blinks (passive.go)
		return c
	}
	end := max(now, a.lastPTS)
	byKind := map[string][]window{}
	judged := 0
	for _, w := range a.windows {
		switch {
		case w.done:
		case end >= w.until+a.cfg.Grace || a.finished:
			// After the grace, or once the call is over: what arrived is all there is
			// (judge says no_video when the video stopped before the prompt ended).
			w.out = a.judge(w)
		default:
			w.out = outcome{kind: kindNotFinished}
		}
		byKind[w.out.kind] = append(byKind[w.out.kind], w)
		e := report.Range(secs(w.from), secs(w.until), w.out.kind, a.detail(w))
		if flagged(w.out.kind) {
			e.Snapshot = w.snap // judged: snapOf's choice, within maxSnaps
			if !w.done {
				e.Snapshot = a.snapOf(w)
			}
		}
		c.Evidence = append(c.Evidence, e)
		if w.out.kind != kindNotFinished {
			judged++
		}
	}
	a.verdict(&c, byKind, judged)
	c.Evidence = append(c.Evidence, a.passive.evidence()...) // pulse, blinks: never the status (passive.go)
	return c
}

// verdict sets status, confidence, summary and next step from the prompts' outcomes.
func (a *Analyzer) verdict(c *report.Check, by map[string][]window, judged int) {
	observed := len(by[kindObserved]) // custom prompts are described, not judged
	n, judged := len(a.windows)-observed, judged-observed
	frontal, flicker, none, ok := by[kindFrontal], by[kindFlicker], by[kindNoResponse], by[kindResponded]
	breaks := by[kindBreak]
	handFrontal, turnFrontal := false, false
	for _, w := range frontal {
		handFrontal = handFrontal || w.step == Hand
		turnFrontal = turnFrontal || w.step == TurnLeft || w.step == TurnRight
	}
	switch {
	case judged == 0 && n == 0:
		c.Summary = fmt.Sprintf("%d custom challenge(s) were marked; what the face did is in the evidence, the bot does not judge custom prompts.", observed)
		c.NextStep = "Compare what the evidence describes with what you asked for, or press Liveness check for prompts the bot judges."
		if a.finished {
			c.NextStep = "Compare what the evidence describes with what you asked for."
		}
	case judged == 0:
		c.Summary = fmt.Sprintf("The liveness challenge is running: %d prompt(s), the last ends at %s s.", n, fmtS(a.windows[len(a.windows)-1].until))
		c.NextStep = "Watch the candidate follow the prompts; the result appears a few seconds after the last one."
	case len(breaks) > 0 && len(breaks)+len(frontal)+len(flicker) > 1:
		c.Status, c.Confidence = report.Fail, 0.8
		c.Summary = "The face in the picture switched to a different face from one frame to the next during a prompt (" + when(breaks[0]) +
			"), and another prompt was not answered the way a live face does (" + steps(append(append(breaks[1:len(breaks):len(breaks)], frontal...), flicker...)) +
			"). A live face changes gradually; a real-time face swap that loses the face shows the face underneath."
		c.NextStep = nextBreak
	case len(breaks) > 0:
		c.Status, c.Confidence = report.Warn, 0.7
		c.Summary = "The face in the picture switched to a different face from one frame to the next during a prompt (" + when(breaks[0]) +
			"), as a real-time face swap does when it loses the face and shows the face underneath. A live face changes gradually, even when it turns or a hand passes."
		c.NextStep = nextBreak
	case handFrontal && turnFrontal:
		c.Status, c.Confidence = report.Fail, 0.75
		c.Summary = "The face kept facing the camera while the candidate was asked to turn to full profile and to pass a hand over it (" +
			steps(frontal) + "). A real face is hidden by a hand and turns away at full profile; a photo or a rendered face swap does not."
		c.NextStep = nextFrontal
	case len(frontal) > 0:
		c.Status, c.Confidence = report.Warn, 0.6
		if !handFrontal {
			c.Confidence = 0.5 // a partial turn keeps a frontal face too
		}
		c.Summary = "The face kept facing the camera through a prompt that should have hidden it: " + when(frontal[0]) +
			". A partial head turn can do this too."
		c.NextStep = nextFrontal
	case len(flicker) > 0:
		c.Status, c.Confidence = report.Warn, 0.5
		c.Summary = "The face flashed in and out during a prompt (" + when(flicker[0]) + "), as a face swap that fails at an angle can."
		c.NextStep = "Ask the candidate to turn slowly to full profile and back while you watch the edges of the face for flashing or warping."
	case len(none) > 0:
		c.Status, c.Confidence = report.Warn, 0.5
		c.Summary = fmt.Sprintf("The candidate did not respond in time to %d of %d prompt(s) (%s): the face in the picture did not change.", len(none), n, steps(none))
		c.NextStep = "Ask the candidate to repeat the prompts while you watch (press Liveness check again); a camera that plays a recording cannot follow them."
		if a.finished {
			c.NextStep = "Ask for a short follow-up call and repeat the prompts while you watch; a camera that plays a recording cannot follow them."
		}
	case len(ok) > 0:
		c.Status = report.Pass
		c.Confidence = min(0.4+0.1*float64(len(ok)), 0.8)
		// What "the way a live face does" means for each prompt is in its evidence line.
		c.Summary = fmt.Sprintf("The candidate answered %d of %d liveness prompt(s) (%s) the way a live face does.", len(ok), n, steps(ok))
		if len(ok) < n {
			c.Summary = strings.TrimSuffix(c.Summary, ".") + fmt.Sprintf("; %d prompt(s) could not be judged.", n-len(ok))
		}
	default:
		c.Summary = "The liveness challenge ran, but no face was in view or no video arrived during its prompts, so nothing could be judged."
		c.NextStep = "Ask the candidate to face the camera and press Liveness check again."
		if a.finished {
			c.NextStep = "If you need this check, hold a short follow-up call and run the liveness check with the candidate facing the camera."
		}
	}
}

const nextBreak = "Look at the snapshot (the frame where the face switched), then ask the candidate to turn slowly to full profile and back, and to pass a hand across their face, while you watch: a swap that loses the face shows another face for a moment."

const nextFrontal = "Ask the candidate to turn their head slowly to full profile and hold for two seconds, then pass a hand over their face, and watch for a face that stays flat, warps, or shows through the hand."

// when names a prompt and its time for a summary: "turn left to full profile, 12.0–16.0 s".
// Its measurements stay in the evidence detail.
func when(w window) string {
	return fmt.Sprintf("%s, %s–%s s", label(w.step), fmtS(w.from), fmtS(w.until))
}

func steps(ws []window) string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = label(w.step)
	}
	return strings.Join(names, ", ")
}

// label names a step for a reader.
func label(step string) string {
	switch step {
	case TurnLeft:
		return "turn left to full profile"
	case TurnRight:
		return "turn right to full profile"
	case Hand:
		return "hand across the face"
	case Closer:
		return "come closer"
	}
	return step
}

// detail describes what a window showed, with its numbers and times.
func (a *Analyzer) detail(w window) string {
	o := w.out
	head := fmt.Sprintf("Prompt %q (%s–%s s): ", label(w.step), fmtS(w.from), fmtS(w.until))
	after := func(t time.Duration) string { return fmtS(t-w.from) + " s after the prompt" }
	found := fmt.Sprintf("found in %d of %d looks", o.faces, o.looks)
	var s string
	switch o.kind {
	case kindNotFinished:
		s = "the video of this prompt had not all arrived yet."
	case kindNoVideo:
		s = "no video arrived during the prompt."
		if o.looks > 0 {
			s = fmt.Sprintf("the video stopped at %s s, before the prompt ended, so the answer could not be seen.", fmtS(o.lastAt))
		}
	case kindNoFace:
		s = "no face was in view before or during the prompt, so there was nothing to judge."
	case kindResponded:
		s = a.respondedDetail(w, after, found)
	case kindFlicker:
		s = flickerDetail(o, found)
	case kindBreak:
		s = breakDetail(w, o, found)
	case kindFrontal:
		what := "the head area moved"
		if w.step == Hand {
			what = "something moved over the face region"
		}
		change := fmt.Sprintf("change up to %.0f luma levels at %s s, %.0f before the prompt", o.motionMax, fmtS(o.motionMaxAt), o.baseMotion)
		if w.step == Hand && o.motionMax < a.cfg.Motion {
			// A hand of the face's own skin tone: its colour against hair and background.
			change = fmt.Sprintf("colour change up to %.0f chroma levels at %s s, %.0f before the prompt; luma only %.0f levels",
				o.chromaMax, fmtS(o.chromaMaxAt), o.baseChroma, o.motionMax)
		}
		s = fmt.Sprintf("%s (%s; face centre moved %.2f face widths), yet a frontal face was %s with scores %.0f–%.0f (%.0f before).",
			what, change, o.shift, found, o.scoreMin, o.scoreMax, o.baseScore)
		if w.step == Hand {
			s += " A real face is hidden by a hand; a face drawn over the video is not."
		} else {
			s += " A frontal face detector does not find a head at full profile: the head turned only partly, or the face does not turn."
		}
	case kindObserved:
		s = observedDetail(o, after, found)
	case kindNoResponse:
		s = fmt.Sprintf("nothing changed in time: a face was %s, the face region changed by at most %.0f luma levels", found, max(o.motionMax, 0))
		if w.step == Hand {
			s += fmt.Sprintf(" and %.0f chroma levels", max(o.chromaMax, 0))
		}
		if o.widthMax > 0 {
			s += fmt.Sprintf(" and the face box was at most %.0f px wide (%.0f px before)", o.widthMax, o.baseWidth)
		}
		s += "."
	}
	return head + s
}

func (a *Analyzer) respondedDetail(w window, after func(time.Duration) string, found string) string {
	o := w.out
	back := "and was not found again within 3 s of the prompt's end"
	if o.back {
		back = "and was found again at " + fmtS(o.backAt) + " s"
	}
	d := a.respondedWhat(w, o, after, found, back)
	switch {
	case w.step == Hand && o.flashSlow:
		d += " Flashing between the face and the hand, or a switch to another face (a face swap losing the face), was not looked for: the video ran below 20 frames a second."
	case w.step != Closer && o.flashSlow:
		d += " A switch to another face from one frame to the next (a face swap losing the face) was not looked for: the video ran below 20 frames a second."
	}
	return d
}

// respondedWhat is the sentence of respondedDetail without the frame-rate caveat.
func (a *Analyzer) respondedWhat(w window, o outcome, after func(time.Duration) string, found, back string) string {
	switch {
	case w.step == Closer && o.baseWidth > 0 && o.widthMax >= a.cfg.Closer*o.baseWidth:
		return fmt.Sprintf("the face box grew from %.0f px to %.0f px wide (%.2f×) %s, as a face coming closer does.",
			o.baseWidth, o.widthMax, o.widthMax/o.baseWidth, after(o.widthMaxAt))
	case o.lostFor > 0:
		return fmt.Sprintf("the face was lost %s for %s s %s (%s), as a live face turned away or covered is.",
			after(o.lostAt), fmtS(o.lostFor), back, found)
	default:
		return fmt.Sprintf("the face's detector score fell from %.0f to %.0f %s (%s), as a face partly covered does.",
			o.baseScore, o.scoreMin, after(o.scoreMinAt), found)
	}
}

func secs(d time.Duration) float64 { return float64(d.Round(time.Millisecond)) / float64(time.Second) }

func fmtS(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()) }

// observedDetail describes what the face did during a custom prompt, with no verdict.
func observedDetail(o outcome, after func(time.Duration) string, found string) string {
	s := "a face was " + found
	if o.lostFor > 0 {
		s += fmt.Sprintf("; it was lost for %s s from %s", fmtS(o.lostFor), after(o.lostAt))
	}
	if o.faces > 0 {
		s += fmt.Sprintf("; detector scores %.0f–%.0f (%.0f before), box up to %.0f px wide (%.0f px before)", o.scoreMin, o.scoreMax, o.baseScore, o.widthMax, o.baseWidth)
	}
	return s + fmt.Sprintf("; the face region changed by up to %.0f luma levels. Custom prompts are described, not judged.", max(o.motionMax, 0))
}

// flickerDetail describes a face that flashed: lost and found between the looks, or the
// face region flashing between two pictures from frame to frame.
func flickerDetail(o outcome, found string) string {
	if o.flips >= flickerFlips {
		return fmt.Sprintf("the face vanished and came back %d times (%s); an honest turn loses it once, a face swap failing at an angle flashes.", o.flips, found)
	}
	f := o.flash
	return fmt.Sprintf("the face region flashed between two pictures from %s s to %s s: at %s s %d of its %d blocks jumped by %.0f luma levels on average and were back where they had been within %d frames, with %d or more blocks doing so in %d frames (a face was %s). A hand passing over a face changes it once, finger by finger; a face swap that loses the face under the hand flashes between its face and the hand.",
		fmtS(f.from), fmtS(f.until), fmtS(f.at), f.peak, patchN*patchN, f.away, flashLag, flashSome, f.frames, found)
}

// breakDetail describes a face that switched to another picture between two frames.
func breakDetail(w window, o outcome, found string) string {
	c := o.cuts[0]
	s := fmt.Sprintf("the face region switched to a different picture from one frame to the next at %s s: %d of its %d cells changed by %.0f luma levels on average beyond what the head's motion explains, while the frames just before and after changed at most %.0f%% as much",
		fmtS(c.at), c.blocks, fineInner*fineInner, c.jump, 100*c.iso)
	if len(o.cuts) > 1 {
		var at []string
		for _, x := range o.cuts[1:] {
			at = append(at, fmtS(x.at)+" s")
		}
		s += "; it switched again at " + strings.Join(at, ", ")
	}
	s += fmt.Sprintf(" (a face was %s).", found)
	if w.step == Hand {
		return s + " A hand passing over a live face changes it gradually; a face swap that loses the face under the hand shows the face underneath at once, then its own again."
	}
	return s + " A live face changes gradually as it turns; a face swap that loses the face at an angle shows the face underneath at once, then its own again."
}
