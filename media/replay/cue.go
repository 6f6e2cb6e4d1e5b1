package replay

import (
	"fmt"
	"image"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// The frame cue in time (see frame.go for one picture). A door frame or shelf that
// happens to line up with the face for a moment must not flag, so in video a rule must
// hold in most looks over a couple of seconds; a single still picture is its one look.
const (
	cueEvery   = 500 * time.Millisecond  // the cue runs at most this often
	cueMinSpan = 2 * time.Second         // in video, a span must last this long ...
	cueShare   = 2.0 / 3                 // ... with the rule holding in this share of its looks
	cueBreak   = 1500 * time.Millisecond // a rule not holding for this long ends its span
)

// cueKind is one of the frame cue's rules.
type cueKind int

const (
	cuePrint cueKind = iota
	cueScreen
	cueKinds
)

// cueSpan is a stretch of looks in which one rule held.
type cueSpan struct {
	kind        cueKind
	from, to    time.Duration // the first and the last look the rule held
	looks, held int           // looks from `from` to `to`, and how many the rule held in
	best        frameMeasure  // the measure of the look with the strongest lines
	snap        string
}

func (s cueSpan) length() time.Duration { return s.to - s.from }

// qualifies reports whether s is a finding: long and steady enough in video, any
// holding look in a single still picture.
func (s cueSpan) qualifies(still bool) bool {
	if s.held == 0 {
		return false
	}
	if still {
		return true
	}
	return s.length() >= cueMinSpan && float64(s.held) >= cueShare*float64(s.looks)
}

// cueTracker runs the frame cue at most every cueEvery and keeps each rule's spans.
type cueTracker struct {
	d        frameDetector
	next     time.Duration // the next look is due at or after this
	looks    int           // looks made (a face was there to look around)
	open     [cueKinds]bool
	span     [cueKinds]cueSpan
	after    [cueKinds]int // looks since the span's last holding look
	findings []cueSpan     // closed spans that qualified
}

func (c *cueTracker) due(pts time.Duration) bool { return pts >= c.next }

// observe measures f around box and extends or ends each rule's span; shoot makes an
// evidence snapshot, called at most once per span, on its first holding look.
func (c *cueTracker) observe(f *media.Frame, box image.Rectangle, shoot func() string) {
	c.next = f.PTS + cueEvery
	if box.Empty() {
		return
	}
	m := c.d.measure(f, box)
	if !m.okTop && !m.okCorner {
		return
	}
	c.looks++
	for k := range cueKinds {
		held, cover := m.print, m.top.cover
		if k == cueScreen {
			held, cover = m.screen, m.cornerCover()
		}
		s := &c.span[k]
		switch {
		case held && !c.open[k]:
			c.open[k], c.after[k] = true, 0
			*s = cueSpan{kind: k, from: f.PTS, to: f.PTS, looks: 1, held: 1, best: m}
		case held:
			s.looks += c.after[k] + 1
			s.held++
			s.to, c.after[k] = f.PTS, 0
			if cover > s.best.cover(k) {
				s.best = m
			}
		case c.open[k]:
			c.after[k]++
			if f.PTS-s.to > cueBreak || float64(s.held) < cueShare*float64(s.looks+c.after[k]) {
				c.close(k)
			}
		}
		if c.open[k] && held && s.snap == "" && c.snaps() < maxSnaps {
			s.snap = shoot()
		}
	}
}

// cover is the strength of rule k in m.
func (m frameMeasure) cover(k cueKind) float64 {
	if k == cueScreen {
		return m.cornerCover()
	}
	return m.top.cover
}

// close ends rule k's open span, keeping it if it qualifies.
func (c *cueTracker) close(k cueKind) {
	if c.open[k] && c.span[k].qualifies(false) {
		c.findings = append(c.findings, c.span[k])
	}
	c.open[k] = false
}

// reset ends every span (a new picture size: a new source).
func (c *cueTracker) reset() {
	for k := range cueKinds {
		c.close(k)
	}
}

// snaps counts the snapshots held by findings and open spans.
func (c *cueTracker) snaps() int {
	n := 0
	for _, s := range c.findings {
		if s.snap != "" {
			n++
		}
	}
	for k := range cueKinds {
		if c.open[k] && c.span[k].snap != "" {
			n++
		}
	}
	return n
}

// all returns the findings including open spans that qualify (still: a single picture).
func (c *cueTracker) all(still bool) []cueSpan {
	out := append([]cueSpan(nil), c.findings...)
	for k := range cueKinds {
		if c.open[k] && c.span[k].qualifies(still) {
			out = append(out, c.span[k])
		}
	}
	return out
}

// Next step for a screen or print: what a picture of a face cannot do.
const nextFrame = "Ask them to pass a hand slowly across their face and then turn their head to full profile: a face shown on a screen or on paper cannot turn, and their hand would pass in front of the edge."

// cueSentence says what was seen, in one sentence (still: a single picture).
func cueSentence(s cueSpan, still bool) string {
	when := "In the picture"
	if !still {
		when = fmt.Sprintf("From %s to %s", report.Clock(s.from.Seconds()), report.Clock(s.to.Seconds()))
	}
	if s.kind == cueScreen {
		side := "left"
		if s.best.cornerRight {
			side = "right"
		}
		return fmt.Sprintf("%s a straight edge runs across above the head and down the %s side of the face, meeting in a corner, like the frame of a phone or tablet held to the camera.", when, side)
	}
	return fmt.Sprintf("%s a straight edge runs across the top of the head, unbroken over the hair, like the edge of a printed photo held to the camera.", when)
}

// cueDetail adds the numbers behind cueSentence.
func cueDetail(s cueSpan, still bool) string {
	m := s.best
	var nums string
	if s.kind == cueScreen {
		nums = fmt.Sprintf("top edge %.2f face heights above the face box (luma step %.0f, %.0f%% of it unbroken), side edge %.2f face widths from the face centre (step %.0f, %.0f%% unbroken), %.0f%% unbroken between them",
			-m.cornerTop.pos, m.cornerTop.step, 100*m.cornerTop.cover, abs(m.cornerSide.pos), m.cornerSide.step, 100*m.cornerSide.cover, 100*m.cornerJoin)
	} else {
		nums = fmt.Sprintf("edge %.2f face heights above the top of the face box, luma step %.0f, %.0f%% of it unbroken over 1.4 to 2 face widths",
			-m.top.pos, m.top.step, 100*m.top.cover)
	}
	sent := cueSentence(s, still)
	if !still {
		nums += fmt.Sprintf("; held in %d of %d looks half a second apart", s.held, s.looks)
	}
	return sent[:len(sent)-1] + " (" + nums + ")."
}

func abs(x float64) float64 { return max(x, -x) }
