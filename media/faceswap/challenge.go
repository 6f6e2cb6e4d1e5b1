package faceswap

import (
	"fmt"
	"image"
	"slices"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/snapshot"
)

// Challenge windows. Real-time swappers are said to break when the head turns to profile or
// a hand crosses the face (the face distorts, flashes the real face, or is rendered over the
// hand), so the interviewer's liveness prompts (media/liveness, told to this check too through
// bot.Challenger) are where a swap should show most. For each window the check compares the
// model's scores inside it (and its grace period) with those of the few seconds before it: the
// mean score, the highest single crop and when, and how often a face was scored (a face
// turned to profile or covered is lost by the face check). A window whose mean is at or over
// the threshold is marked; like the passive windows it only warns when Config.Warn is on.
const (
	challengeGrace  = 1500 * time.Millisecond // after a window, the answer may still arrive (as media/liveness)
	challengeBefore = 4 * time.Second         // the looks before a window it is compared with
	historyKeep     = 90 * time.Second        // looks kept for windows marked after the fact
	maxChallenges   = 20                      // windows kept (the oldest judged ones go first)
)

// look is one scored opportunity (every Config.Every), kept for challenge windows.
type look struct {
	at    time.Duration
	face  bool
	score float64
}

// lookStats summarises the looks of one stretch of video.
type lookStats struct {
	looks, faces int
	score        float64 // mean model score over the faces (0 without faces)
	worst        float64 // the highest single score
	worstAt      time.Duration
}

// challenge is one liveness prompt's window.
type challenge struct {
	step        string
	from, until time.Duration
	done        bool
	in, before  lookStats
	snap        shot // the highest-scoring face inside, taken while its frame was at hand
}

// Challenge records that the candidate was asked to do step from call time from until until
// (bot.Challenger). Windows may come before their frames (the hosted room) or after them
// (a window marked through the API), up to historyKeep back.
func (a *Analyzer) Challenge(step string, from, until time.Duration) {
	if until <= from {
		return
	}
	if len(a.chal) >= maxChallenges {
		i := slices.IndexFunc(a.chal, func(c challenge) bool { return c.done })
		if i < 0 {
			i = 0
		}
		a.chal = slices.Delete(a.chal, i, i+1)
	}
	a.chal = append(a.chal, challenge{step: step, from: from, until: until})
	a.finishChallenges(a.lastPTS)
}

// snapChallenges keeps, for each open window the face at pts falls in, its highest-scoring
// face (the first, then only a clearly higher score: an encode costs 1-4 ms).
func (a *Analyzer) snapChallenges(f *media.Frame, box image.Rectangle, sc float64) {
	for i := range a.chal {
		c := &a.chal[i]
		if c.done || f.PTS < c.from || f.PTS > c.until+challengeGrace || (c.snap.data != "" && sc <= c.snap.score+0.05) {
			continue
		}
		if data, err := snapshot.Encode(f, box, snapshot.DefaultWidth); err == nil {
			c.snap = shot{score: sc, at: f.PTS, data: data}
		}
	}
}

// recordLook keeps l and judges the windows the video has passed.
func (a *Analyzer) recordLook(l look) {
	a.hist = append(a.hist, l)
	if drop := slices.IndexFunc(a.hist, func(h look) bool { return l.at-h.at <= historyKeep }); drop > 0 {
		a.hist = append(a.hist[:0], a.hist[drop:]...)
	}
	a.finishChallenges(l.at)
}

// finishChallenges judges the windows whose video (and grace) has passed by now. A window
// that is not marked drops its snapshot, so memory stays bounded.
func (a *Analyzer) finishChallenges(now time.Duration) {
	for i := range a.chal {
		c := &a.chal[i]
		if c.done || now < c.until+challengeGrace {
			continue
		}
		c.in, c.before = a.challengeStats(*c)
		c.done = true
		if !a.challengeMarked(c.in) {
			c.snap = shot{}
		}
	}
}

// challengeStats summarises the looks inside window c and in the challengeBefore before it
// (outside every window).
func (a *Analyzer) challengeStats(c challenge) (in, before lookStats) {
	var inL, beforeL []look
	for _, l := range a.hist {
		switch {
		case l.at >= c.from && l.at <= c.until+challengeGrace:
			inL = append(inL, l)
		case l.at >= c.from-challengeBefore && l.at < c.from && !a.inChallenge(l.at):
			beforeL = append(beforeL, l)
		}
	}
	return stats(inL), stats(beforeL)
}

func (a *Analyzer) inChallenge(at time.Duration) bool {
	for _, c := range a.chal {
		if at >= c.from && at <= c.until+challengeGrace {
			return true
		}
	}
	return false
}

func stats(ls []look) lookStats {
	s := lookStats{looks: len(ls)}
	for _, l := range ls {
		if !l.face {
			continue
		}
		s.faces++
		s.score += l.score
		if l.score > s.worst || s.faces == 1 {
			s.worst, s.worstAt = l.score, l.at
		}
	}
	if s.faces > 0 {
		s.score /= float64(s.faces)
	}
	return s
}

// challengeMarked: enough faces inside the window, scoring at or over the threshold together.
func (a *Analyzer) challengeMarked(in lookStats) bool {
	return in.faces >= a.cfg.MinSamples && in.score >= a.cfg.Threshold
}

// Evidence kinds of challenge windows.
const (
	kindChallengeSwap = "face_swap_in_challenge" // at or over the threshold inside a prompt's window
	kindChallenge     = "challenge_scores"       // described, not marked
)

// addChallenges adds one evidence item per judged challenge window to c (a window still
// running is left out); with Config.Warn, a marked window raises a passing or unknown check
// to warn.
func (a *Analyzer) addChallenges(c *report.Check) {
	var marked []challenge
	for _, ch := range a.chal {
		if !ch.done {
			if a.lastPTS < ch.until {
				continue // still running
			}
			ch.in, ch.before = a.challengeStats(ch) // the video ended within the grace period
		}
		kind := kindChallenge
		if a.challengeMarked(ch.in) {
			kind = kindChallengeSwap
			marked = append(marked, ch)
		}
		ev := report.Range(ch.from.Seconds(), ch.until.Seconds(), kind, a.challengeDetail(ch))
		if kind == kindChallengeSwap {
			ev.Snapshot = ch.snap.data
		}
		c.Evidence = append(c.Evidence, ev)
	}
	if len(marked) == 0 {
		return
	}
	worst := marked[0]
	for _, ch := range marked {
		if ch.in.score > worst.in.score {
			worst = ch
		}
	}
	c.Summary += fmt.Sprintf(" During %d of %d liveness prompt(s) the model scored the face at or over the threshold (up to %.2f).",
		len(marked), countDone(a.chal), worst.in.score)
	if a.cfg.Warn && (c.Status == report.Pass || c.Status == report.Unknown) {
		c.Status, c.Confidence = report.Warn, round2(worst.in.score)
		c.NextStep = "Ask them to turn slowly to full profile and back, then to pass a hand over their face, and watch the edges of the face and the hand."
	}
}

func countDone(cs []challenge) int {
	n := 0
	for _, c := range cs {
		if c.done {
			n++
		}
	}
	return n
}

// challengeDetail says how the model scored inside a window against before it.
func (a *Analyzer) challengeDetail(ch challenge) string {
	in, b := ch.in, ch.before
	head := fmt.Sprintf("Prompt %q (%.1f–%.1f s): ", ch.step, ch.from.Seconds(), ch.until.Seconds())
	if in.faces == 0 {
		return head + fmt.Sprintf("no face big enough to score in %d looks (a face turned to profile or covered is lost; %d of %d scored before).", in.looks, b.faces, b.looks)
	}
	before := "none scored"
	if b.faces > 0 {
		before = fmt.Sprintf("%.2f", b.score)
	}
	s := fmt.Sprintf("face-swap score %.2f inside (threshold %.2f; highest face %.2f at %.1f s) against %s before; face scored in %d of %d looks (%d of %d before).",
		in.score, a.cfg.Threshold, in.worst, in.worstAt.Seconds(), before, in.faces, in.looks, b.faces, b.looks)
	if a.challengeMarked(in) {
		s += " The face scored as blended while the candidate followed the prompt."
	}
	if !a.cfg.Warn {
		s = "Information only: " + s
	}
	return head + s
}
