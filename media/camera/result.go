package camera

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/interval"
)

// maxEvidence caps the evidence list so hour-long calls stay small: findings of one kind
// that are closest together are merged first ("… 7 times between 12.0 s and 900.0 s").
const maxEvidence = 20

// failShare: bad video covering more than this share of the connected time is a fail.
const failShare = 0.5

// span is a time range [from, to].
type span struct{ from, to time.Duration }

// Result returns the state of the check at call time now. It does not change the
// analyzer: it can be called repeatedly while the call runs, and at the end.
// Ranges still open at now are reported up to now.
func (a *Analyzer) Result(now time.Duration) report.Check {
	c := report.Check{ID: report.CheckCamera, Status: report.Unknown, Evidence: []report.Evidence{}}
	if !a.seen {
		c.Summary = "Not checked yet: the candidate has not joined the call."
		c.NextStep = "Wait for the candidate to join with their camera on."
		if a.finished {
			c.Summary = "Not checked: the candidate never joined the call."
			c.NextStep = ""
		}
		return c
	}
	now = max(now, a.latest())
	conn := a.connSpans(now)
	fs := clip(a.allFindings(now), conn)
	connected := total(conn)

	var badTime [numKinds]time.Duration
	var anyFinding, anyBad bool
	var bad []span
	for _, f := range fs {
		anyFinding = true
		badTime[f.kind] += f.length()
		if f.kind.bad() {
			anyBad = true
			bad = append(bad, span{f.from, f.to})
		}
	}
	badAll := total(union(bad))
	share := 0.0
	if connected > 0 {
		share = min(badAll.Seconds()/connected.Seconds(), 1)
	}
	good := a.pic.good

	switch {
	case a.pic.frames == 0 && (anyBad || a.sawNone):
		c.Status = report.Fail
		c.Confidence = 0.8
		if a.sawNone {
			c.Confidence = 0.95 // the connection said so
		}
		c.Summary = "No video: the candidate's camera never sent a picture."
		c.NextStep = nextStep(kindNoVideo)
	case anyBad && share > failShare:
		k := dominant(badTime, true)
		c.Status = report.Fail
		c.Confidence = 0.7 + 0.25*min(badAll.Seconds()/60, 1)
		c.Summary = fmt.Sprintf("The camera did not show the candidate for most of the call: %s for %.0f%% of the time they were connected.",
			phrase(k), 100*share)
		c.NextStep = nextStep(k)
	case anyFinding:
		k := dominant(badTime, anyBad)
		c.Status = report.Warn
		c.Confidence = 0.6 + 0.3*min(connected.Seconds()/300, 1)
		c.Summary = warnSummary(k, badTime[k], fs)
		if others := kindsIn(fs) - 1; others > 0 {
			more := "one other kind of problem"
			if others > 1 {
				more = fmt.Sprintf("%d other kinds of problem", others)
			}
			c.Summary = strings.TrimSuffix(c.Summary, ".") + "; the evidence lists " + more + "."
		}
		c.NextStep = nextStep(k)
	case good < a.cfg.MinVideo:
		c.Summary, c.NextStep = a.tooLittle(good, connected)
	default:
		c.Status = report.Pass
		// More live video makes a hidden problem less likely; a minute is plenty.
		c.Confidence = 0.5 + 0.45*min(good.Seconds()/60, 1)
		c.Summary = fmt.Sprintf("The camera was on: %s of live, moving video with no problems found.", secs(good))
	}
	c.Evidence = a.evidence(fs, conn, now)
	return c
}

// latest is the latest time the analyzer knows of; Result never reports before it.
func (a *Analyzer) latest() time.Duration {
	t := max(a.pic.lastPTS, a.trackSince, a.connFrom)
	if n := len(a.conn); n > 0 {
		t = max(t, a.conn[n-1].to)
	}
	return t
}

// connSpans returns the spans the candidate was connected, up to now.
func (a *Analyzer) connSpans(now time.Duration) []span {
	s := slices.Clone(a.conn)
	if a.connected {
		s = append(s, span{a.connFrom, now})
	}
	return s
}

// allFindings returns the stored findings plus those still open at now, without
// changing the analyzer.
func (a *Analyzer) allFindings(now time.Duration) []finding {
	fs := slices.Clone(a.findings)
	if a.connected {
		if f, ok := a.trackFinding(now, true); ok {
			fs = append(fs, f)
		}
		if a.track == trackLive && a.markOK && now-a.mark > a.cfg.NoFramesAfter {
			fs = append(fs, finding{kind: kindNoFrames, from: a.mark, to: now})
		}
	}
	p := &a.pic
	if p.haveLast {
		end := p.lastPTS
		if a.connected && now-p.lastPTS <= a.cfg.NoFramesAfter {
			end = now // frames still flowing: the open range lasts until now
		}
		for _, r := range []struct {
			r     *run
			k     kind
			after time.Duration
		}{
			{&p.black, kindBlack, a.cfg.BlackAfter},
			{&p.uniform, kindUniform, a.cfg.BlackAfter},
			{&p.frozen, kindFrozen, a.cfg.FrozenAfter},
			{&p.lowRes, kindLowRes, lowResSustain},
			{&p.lowFPS, kindLowFPS, lowFPSSustain},
		} {
			if f, ok := runFinding(r.r, r.k, r.after, max(end, r.r.from)); ok {
				fs = append(fs, f)
			}
		}
	}
	return fs
}

// clip keeps the parts of findings inside the connected spans (time away is never
// counted against the candidate) and sorts them by start.
func clip(fs []finding, conn []span) []finding {
	out := fs[:0:0]
	for _, f := range fs {
		for _, c := range conn {
			from, to := max(f.from, c.from), min(f.to, c.to)
			if to < from || (to == from && f.to > f.from) {
				continue // outside this span (a zero-length finding is kept where it lies)
			}
			g := f
			g.from, g.to = from, to
			if g.n > 1 {
				g.total = min(g.total, to-from)
			}
			out = append(out, g)
		}
	}
	slices.SortStableFunc(out, func(x, y finding) int { return cmp.Compare(x.from, y.from) })
	return out
}

// union merges overlapping spans.
func union(s []span) []span {
	slices.SortFunc(s, func(x, y span) int { return cmp.Compare(x.from, y.from) })
	var out []span
	for _, x := range s {
		if n := len(out); n > 0 && x.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, x.to)
			continue
		}
		out = append(out, x)
	}
	return out
}

// total sums the lengths of spans.
func total(s []span) time.Duration {
	var t time.Duration
	for _, x := range s {
		t += x.to - x.from
	}
	return t
}

// dominant returns the kind with the most time; only bad kinds when onlyBad.
func dominant(t [numKinds]time.Duration, onlyBad bool) kind {
	best := kind(-1)
	for k := range numKinds {
		if onlyBad && !k.bad() {
			continue
		}
		if best < 0 || t[k] > t[best] {
			best = k
		}
	}
	return best
}

// phrase describes a bad kind after "the picture was"-like wording.
func phrase(k kind) string {
	switch k {
	case kindBlack:
		return "the picture was black"
	case kindUniform:
		return "the picture was a single flat colour"
	case kindFrozen:
		return "the picture was frozen"
	case kindNoFrames:
		return "no picture arrived"
	case kindMuted:
		return "the camera was muted"
	default:
		return "the camera was off"
	}
}

func warnSummary(k kind, d time.Duration, fs []finding) string {
	switch k {
	case kindLowFPS, kindLowRes:
		for _, f := range fs {
			if f.kind == k && k == kindLowRes {
				return fmt.Sprintf("The camera was on, but the picture was too small to judge a face (%d×%d) for %s.", f.w, f.h, secs(d))
			}
			if f.kind == k {
				return fmt.Sprintf("The camera was on, but the video was very jerky (about %.1f frames per second) for %s.", f.fps, secs(d))
			}
		}
	}
	return fmt.Sprintf("The camera worked for most of the call, but %s for %s.", phrase(k), secs(d))
}

// kindsIn counts the distinct kinds of findings in fs.
func kindsIn(fs []finding) int { return interval.Kinds(fs) }

// nextStep suggests what the interviewer can do about a kind of problem.
func nextStep(k kind) string {
	switch k {
	case kindNoVideo:
		return "Ask the candidate to switch their camera on and allow the browser to use it."
	case kindMuted, kindEnded:
		return "Ask the candidate to switch their camera back on."
	case kindNoFrames:
		return "Ask the candidate whether they can see their own picture; if not, ask them to rejoin the call."
	case kindFrozen:
		return "Ask the candidate to wave or turn their head; if the picture does not move, ask them to restart their camera."
	case kindLowFPS, kindLowRes:
		return "Ask the candidate to close other programs or move closer to their router so the picture gets smoother and sharper."
	default:
		return "Ask the candidate to switch their camera on and check it is not covered."
	}
}

// evidence builds the capped evidence list: findings first, then context (time not
// connected, picture size changes) while room is left.
func (a *Analyzer) evidence(fs []finding, conn []span, now time.Duration) []report.Evidence {
	fs = compact(fs, maxEvidence)
	ev := make([]report.Evidence, 0, len(fs))
	for _, f := range fs {
		e := report.Range(f.from.Seconds(), f.to.Seconds(), f.kind.String(), f.detail())
		e.Snapshot = a.snapshotFor(f.kind, f.from, f.to)
		ev = append(ev, e)
	}
	for i, c := range conn {
		if len(ev) >= maxEvidence {
			break
		}
		end := now
		if i+1 < len(conn) {
			end = conn[i+1].from
		} else if a.connected {
			continue
		}
		if end > c.to {
			ev = append(ev, report.Range(c.to.Seconds(), end.Seconds(), kindNotConnected,
				fmt.Sprintf("The candidate was not connected from %s to %s (%s); this time is not counted.",
					secs(c.to), secs(end), secs(end-c.to))))
		}
	}
	for _, r := range a.resChanges {
		if len(ev) >= maxEvidence {
			break
		}
		ev = append(ev, report.Evidence{AtS: r.at.Seconds(), Kind: kindResolutionChange,
			Detail: fmt.Sprintf("The picture size changed from %d×%d to %d×%d at %s.", r.fromW, r.fromH, r.toW, r.toH, secs(r.at))})
	}
	slices.SortStableFunc(ev, func(x, y report.Evidence) int { return cmp.Compare(x.AtS, y.AtS) })
	return ev
}

// tooLittle words a camera check that had less live picture than MinVideo: while the call
// runs the check is waiting; in the final report the call ended before it could run.
func (a *Analyzer) tooLittle(good, connected time.Duration) (summary, next string) {
	need := secs(a.cfg.MinVideo)
	switch {
	case a.finished && a.pic.frames == 0:
		return fmt.Sprintf("Not checked: no picture arrived in the %s the candidate was connected.", secs(connected)), ""
	case a.finished:
		return fmt.Sprintf("Not checked: the call had only %s of live picture, and the check needs %s.", secs(good), need), ""
	case a.pic.frames == 0:
		return fmt.Sprintf("Not enough video to check the camera: no picture yet after %s connected.", secs(connected)),
			fmt.Sprintf("Keep the candidate's camera on for at least %s so the check can run.", need)
	}
	return fmt.Sprintf("Not enough video to check the camera: %s of live picture so far, %s needed.", secs(good), need),
		fmt.Sprintf("Keep the candidate's camera on for at least %s so the check can run.", need)
}
