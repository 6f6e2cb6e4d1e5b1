package camera

import (
	"fmt"
	"time"

	"github.com/integritybot/integritybot/media/interval"
)

// kind is the type of a finding; its name is the evidence "kind" in the report.
type kind int

const (
	kindNoVideo kind = iota
	kindMuted
	kindEnded
	kindNoFrames
	kindBlack
	kindUniform
	kindFrozen
	kindLowFPS
	kindLowRes
	numKinds
)

// String returns the evidence kind, such as "black".
func (k kind) String() string {
	switch k {
	case kindNoVideo:
		return "no_video"
	case kindMuted:
		return "muted"
	case kindEnded:
		return "ended"
	case kindNoFrames:
		return "no_frames"
	case kindBlack:
		return "black"
	case kindUniform:
		return "uniform"
	case kindFrozen:
		return "frozen"
	case kindLowFPS:
		return "low_fps"
	case kindLowRes:
		return "low_resolution"
	}
	return "unknown"
}

// Evidence kinds that are context, not findings.
const (
	kindNotConnected     = "not_connected"
	kindResolutionChange = "resolution_change"
)

// bad reports whether time covered by this kind is time without a usable picture.
// Low frame rate and low resolution are quality problems: the picture is there.
func (k kind) bad() bool { return k != kindLowFPS && k != kindLowRes }

// sub refines no_video findings for their sentence.
type sub int

const (
	subNone     sub = iota // TrackNone: no camera or permission refused
	subAwaiting            // joined but no track arrived
	subEnded               // track ended and never came back
)

// finding is one time range with a problem, possibly several merged occurrences.
type finding struct {
	kind     kind
	sub      sub
	from, to time.Duration
	n        int           // occurrences merged into this one; 0 means 1
	total    time.Duration // summed length of the merged occurrences; 0 means to-from
	fps      float64       // low_fps: mean measured rate
	w, h     int           // low_resolution: smallest size
	note     string        // detail from the connection
}

func (f finding) count() int {
	return max(f.n, 1)
}

func (f finding) length() time.Duration {
	if f.n > 1 {
		return f.total
	}
	return f.to - f.from
}

// Storage bounds: adjacent findings of one kind closer than mergeGap are one finding;
// beyond maxStored the closest pair of one kind is merged, so memory stays bounded
// in hour-long calls with a flickering camera.
const (
	mergeGap  = time.Second
	maxStored = 256
)

// addFinding stores a closed finding, merging it into a recent one of the same kind
// when they (nearly) touch.
func (a *Analyzer) addFinding(f finding) {
	if f.to < f.from {
		return
	}
	for i := len(a.findings) - 1; i >= 0 && i >= len(a.findings)-8; i-- {
		g := &a.findings[i]
		if g.kind == f.kind && g.sub == f.sub && f.from-g.to <= mergeGap && g.from-f.to <= mergeGap {
			*g = merge(*g, f)
			return
		}
	}
	a.findings = append(a.findings, f)
	if len(a.findings) > maxStored {
		a.findings = compact(a.findings, maxStored)
	}
}

// merge joins two findings of one kind into one covering both.
func merge(a, b finding) finding {
	m := a
	m.from, m.to = min(a.from, b.from), max(a.to, b.to)
	m.n = a.count() + b.count()
	m.total = a.length() + b.length()
	if b.fps > 0 && (m.fps == 0 || b.fps < m.fps) {
		m.fps = b.fps
	}
	if b.w > 0 && (m.w == 0 || b.w*b.h < m.w*m.h) {
		m.w, m.h = b.w, b.h
	}
	if m.note == "" {
		m.note = b.note
	}
	return m
}

// Kind and Span make findings compactable (media/interval).
func (f finding) Kind() int { return int(f.kind) }

// Span returns the finding's interval.
func (f finding) Span() (from, to time.Duration) { return f.from, f.to }

// compact merges the closest pairs of same-kind findings until at most limit remain.
func compact(fs []finding, limit int) []finding { return interval.Compact(fs, limit, merge) }

// secs formats a duration as seconds with one decimal, e.g. "12.0 s".
func secs(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// quoted shortens connection text for a sentence.
func quoted(note string) string {
	const maxNote = 80
	r := []rune(note)
	if len(r) == 0 {
		return ""
	}
	if len(r) > maxNote {
		r = append(r[:maxNote], '…')
	}
	return fmt.Sprintf(" (reported: %q)", string(r))
}

// detail is the plain sentence for a finding.
func (f finding) detail() string {
	span := fmt.Sprintf("from %s to %s (%s)", secs(f.from), secs(f.to), secs(f.to-f.from))
	if f.count() > 1 {
		span = fmt.Sprintf("%d times between %s and %s (%s in total)",
			f.count(), secs(f.from), secs(f.to), secs(f.length()))
	}
	switch f.kind {
	case kindNoVideo:
		switch f.sub {
		case subNone:
			return "The candidate had no camera or did not allow access to it, " + span + quoted(f.note) + "."
		case subEnded:
			return fmt.Sprintf("The camera was switched off at %s and did not come back (until %s, %s)%s.",
				secs(f.from), secs(f.to), secs(f.to-f.from), quoted(f.note))
		default:
			return "The candidate was connected but no camera picture arrived " + span + "."
		}
	case kindMuted:
		return "The candidate's camera was muted " + span + "."
	case kindEnded:
		return "The candidate's camera was switched off " + span + quoted(f.note) + "."
	case kindNoFrames:
		return "No picture arrived " + span + ", although the camera was on."
	case kindBlack:
		return "The picture was completely black " + span + "."
	case kindUniform:
		return "The picture was a single flat colour (a covered lens or a solid-colour card) " + span + "."
	case kindFrozen:
		return "The picture was frozen: the same image repeated without any movement " + span + "."
	case kindLowFPS:
		return fmt.Sprintf("The video ran at only about %.1f frames per second %s, too jerky to judge movement.",
			f.fps, span)
	case kindLowRes:
		return fmt.Sprintf("The picture was only %d×%d pixels %s, too small to judge a face.", f.w, f.h, span)
	}
	return span
}

// resChange is a change of picture size, kept for the timeline.
type resChange struct {
	at           time.Duration
	fromW, fromH int
	toW, toH     int
}

// maxResChanges bounds stored size changes; browsers change size a few times while
// ramping up, and later changes add nothing for the reader.
const maxResChanges = 8

func (a *Analyzer) addResChange(at time.Duration, fw, fh, tw, th int) {
	if len(a.resChanges) < maxResChanges {
		a.resChanges = append(a.resChanges, resChange{at, fw, fh, tw, th})
	}
}
