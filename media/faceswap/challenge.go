package faceswap

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/snapshot"
)

// Challenge windows. Real-time swappers are said to break when the head turns to profile or
// a hand crosses the face (Deep-Live-Cam/roop issues: the face distorts, flashes the real
// face, or is rendered over the hand), so the interviewer's liveness prompts (media/liveness,
// told to this check too through bot.Challenger) are where a swap should show most. For each
// window the check compares the looks inside it (and its grace period) with the looks of the
// few seconds before it: the window score of the cues inside (the same score and threshold as
// the passive windows), the highest single look and when, how often a face was measurable,
// and the blending-boundary edge energy (contour band against the ring outside it).
//
// What was measured (docs/checks/face_swap-passive-cues.md, TestChallengeWindows): on the corpus webcam
// user's turns, hand at the chin and coming closer the score inside stayed under the threshold
// and moved little from before; on the GHOST swaps it was over the threshold inside and out.
// So a window over the threshold is evidence, like a passive run; a rise inside against before,
// the edge energy and face losses are described but never flagged on their own: the corpus has
// no swap of a person turning or covering their face to measure them on.
const (
	challengeGrace  = 1500 * time.Millisecond // after a window, the answer may still arrive (as media/liveness)
	challengeBefore = 4 * time.Second         // the looks before a window it is compared with
	historyKeep     = 90 * time.Second        // looks kept for windows marked after the fact
	maxChallenges   = 20                      // windows kept (the oldest judged ones go first)
)

// look is what one searched frame gave, kept for challenge windows.
type look struct {
	at                  time.Duration
	face                bool
	hfBand, noise, edge float64
}

// cueStats summarises the looks of one stretch of video.
type cueStats struct {
	looks, faces  int
	score         float64 // the window score of the mean cues (0 without faces)
	hfBand, noise float64 // means over the faces
	edgeMed       float64 // median contour edge energy (log, band vs ring)
	edgeMax       float64
	edgeMaxAt     time.Duration
	worst         float64 // the highest single-look score
	worstAt       time.Duration
}

// challenge is one liveness prompt's window.
type challenge struct {
	step        string
	from, until time.Duration
	done        bool
	in, before  cueStats
	snap        shot // the highest-scoring look inside (within 0.05), taken while its frame was at hand
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

// recordLook keeps the look at s, snapshots it for the windows it falls in when it is the
// highest-scoring face there so far, and judges the windows the video has passed.
func (a *Analyzer) recordLook(f *media.Frame, s sample) {
	l := look{at: s.at, face: s.face, hfBand: s.c.hfBand, noise: s.c.noise, edge: s.c.edge}
	a.hist = append(a.hist, l)
	if drop := slices.IndexFunc(a.hist, func(h look) bool { return s.at-h.at <= historyKeep }); drop > 0 {
		a.hist = append(a.hist[:0], a.hist[drop:]...)
	}
	if s.face {
		sc := score(l.hfBand, l.noise)
		for i := range a.chal {
			c := &a.chal[i]
			// The first face of the window, then only a clearly higher score: an encode costs 1-4 ms.
			if c.done || s.at < c.from || s.at > c.until+challengeGrace || (c.snap.data != "" && sc <= c.snap.score+0.05) {
				continue
			}
			if data, err := snapshot.Encode(f, a.p.box, snapshot.DefaultWidth); err == nil {
				c.snap = shot{score: sc, data: data}
			}
		}
	}
	a.finishChallenges(s.at)
}

// finishChallenges judges the windows whose video (and grace) has passed by now. A window
// that is not flagged drops its snapshot, so memory stays bounded.
func (a *Analyzer) finishChallenges(now time.Duration) {
	for i := range a.chal {
		c := &a.chal[i]
		if c.done || now < c.until+challengeGrace {
			continue
		}
		c.in, c.before = a.challengeStats(*c)
		c.done = true
		if !a.challengeFlagged(c.in) {
			c.snap = shot{}
		}
	}
}

// challengeStats measures the looks inside window c and in the challengeBefore before it
// (outside every window).
func (a *Analyzer) challengeStats(c challenge) (in, before cueStats) {
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

func stats(ls []look) cueStats {
	s := cueStats{looks: len(ls)}
	var edges []float64
	for _, l := range ls {
		if !l.face {
			continue
		}
		s.faces++
		s.hfBand += l.hfBand
		s.noise += l.noise
		edges = append(edges, l.edge)
		if l.edge > s.edgeMax || s.faces == 1 {
			s.edgeMax, s.edgeMaxAt = l.edge, l.at
		}
		if sc := score(l.hfBand, l.noise); sc > s.worst || s.faces == 1 {
			s.worst, s.worstAt = sc, l.at
		}
	}
	if s.faces > 0 {
		s.hfBand /= float64(s.faces)
		s.noise /= float64(s.faces)
		s.score = score(s.hfBand, s.noise)
		slices.Sort(edges)
		s.edgeMed = edges[len(edges)/2]
	}
	return s
}

// challengeFlagged: enough faces inside the window, scoring over the threshold together.
func (a *Analyzer) challengeFlagged(in cueStats) bool {
	return in.faces >= a.cfg.MinSamples && in.score > a.cfg.Threshold
}

// Evidence kinds of challenge windows.
const (
	kindChallengeSwap = "face_swap_in_challenge" // over the threshold inside a prompt's window
	kindChallenge     = "challenge_cues"         // described, not flagged
)

// addChallenges adds one evidence item per challenge window to c (judged windows; a window
// still running is left out) and names in the summary the windows that scored over the
// threshold.
func (a *Analyzer) addChallenges(c *report.Check) {
	var flagged []challenge
	for _, ch := range a.chal {
		if !ch.done {
			if a.lastPTS < ch.until {
				continue // still running
			}
			ch.in, ch.before = a.challengeStats(ch) // the video ended within the grace period
		}
		kind := kindChallenge
		if a.challengeFlagged(ch.in) {
			kind = kindChallengeSwap
			flagged = append(flagged, ch)
		}
		ev := report.Range(ch.from.Seconds(), ch.until.Seconds(), kind, a.challengeDetail(ch))
		if kind == kindChallengeSwap {
			ev.Snapshot = ch.snap.data
		}
		c.Evidence = append(c.Evidence, ev)
	}
	if len(flagged) > 0 {
		// Information only, like the passive windows (notValidated): the windows are named
		// in the summary, the status is left as it is.
		c.Summary += fmt.Sprintf(" The passive score was over the threshold during %d of %d liveness prompt(s).", len(flagged), countDone(a.chal))
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

// challengeDetail says how the cues behaved inside a window against before it.
func (a *Analyzer) challengeDetail(ch challenge) string {
	in, b := ch.in, ch.before
	head := fmt.Sprintf("Prompt %q (%s–%s s): ", ch.step, fmt.Sprintf("%.1f", ch.from.Seconds()), fmt.Sprintf("%.1f", ch.until.Seconds()))
	if in.faces == 0 {
		return head + fmt.Sprintf("no face big enough to measure in %d looks (a face turned to profile or covered is lost; %d of %d measured before).", in.looks, b.faces, b.looks)
	}
	s := fmt.Sprintf("face-swap score %.2f inside (threshold %.2f; highest look %.2f at %.1f s) against %s before; face measured in %d of %d looks (%d of %d before); "+
		"edge energy along the face contour up to %.2f at %.1f s (median %.2f; %s before).",
		in.score, a.cfg.Threshold, in.worst, in.worstAt.Seconds(), orNone(b.score, b.faces), in.faces, in.looks, b.faces, b.looks,
		in.edgeMax, in.edgeMaxAt.Seconds(), in.edgeMed, orNone(b.edgeMed, b.faces))
	if a.challengeFlagged(in) {
		s += " The face scored as rendered while the candidate followed the prompt."
	}
	return head + s
}

func orNone(v float64, n int) string {
	if n == 0 || math.IsNaN(v) {
		return "none measured"
	}
	return fmt.Sprintf("%.2f", v)
}
