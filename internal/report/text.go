package report

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// OverallText returns the overall value in words for a hiring manager.
func OverallText(o Overall) string {
	switch o {
	case NoConcerns:
		return "No concerns"
	case Review:
		return "Review recommended"
	case StrongConcerns:
		return "Strong concerns"
	case InsufficientData:
		return "Insufficient data"
	}
	return string(o)
}

// statusText is a check's status as printed.
func statusText(s Status) string {
	switch s {
	case Pass:
		return "pass"
	case Warn:
		return "WARN"
	case Fail:
		return "FAIL"
	case Unknown:
		return "unknown (could not check)"
	}
	return string(s)
}

// Clock formats seconds as m:ss (h:mm:ss from an hour), rounded down to the second.
func Clock(sec float64) string {
	if math.IsNaN(sec) || sec < 0 {
		sec = 0
	}
	s := int64(sec)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// WriteText writes r as plain text for the person who reviews it: the overall result
// in words (an observation, never a hiring decision), each check with its status,
// summary, next step and evidence with times into the call, and the coverage.
func WriteText(w io.Writer, r *Report) error {
	tw := &textWriter{w: w}
	title := "integritybot report"
	if r.InterviewID != "" {
		title += ": " + r.InterviewID
	}
	tw.line(title)
	if c := r.Candidate; c.Name != "" || c.ClaimedLocation != "" || c.ClaimedTimezone != "" {
		tw.line("Candidate: " + candidateText(c))
	}
	switch r.State {
	case Live:
		tw.line("State: the call is still running; this report can change.")
	case Interrupted:
		tw.line("State: interrupted — the server stopped before the call ended; the report covers what was seen until then.")
	case Scheduled:
		tw.line("State: scheduled — nobody has joined yet.")
	}
	tw.line("")
	tw.line("Overall: " + OverallText(r.Overall) + " — an observation for a person to review, not a hiring decision.")
	tw.verdict(r.Checks)
	for _, c := range BySeverity(r.Checks) {
		tw.line("")
		tw.check(c)
	}
	tw.line("")
	cv := r.Coverage
	video := fmt.Sprintf("%.1f s", cv.VideoSeconds)
	if cv.VideoSeconds >= 60 {
		video = Clock(cv.VideoSeconds+0.5) + " (" + video + ")"
	}
	tw.line(fmt.Sprintf("Coverage: %s of video; %s decoded, %d analyzed, %d dropped.",
		video, plural(cv.FramesDecoded, "frame"), cv.FramesAnalyzed, cv.FramesDropped))
	return tw.err
}

func candidateText(c Candidate) string {
	s := c.Name
	if s == "" {
		s = "(no name given)"
	}
	var claims []string
	if c.ClaimedLocation != "" {
		claims = append(claims, "location "+c.ClaimedLocation)
	}
	if c.ClaimedTimezone != "" {
		claims = append(claims, "timezone "+c.ClaimedTimezone)
	}
	if len(claims) > 0 {
		s += " (claims " + strings.Join(claims, ", ") + ")"
	}
	return s
}

type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) line(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, s+"\n")
	}
}

// verdict writes the lines under the overall value that answer "why" and "what next": the
// failing and warning checks, most severe first, the one suggested next step, and the checks
// that could not run.
func (t *textWriter) verdict(checks []Check) {
	for _, c := range Reasons(checks, 3) {
		t.line(fmt.Sprintf("  Why: %s %s — %s", c.ID, statusText(c.Status), c.Summary))
	}
	if n := len(Reasons(checks, 0)) - 3; n > 0 {
		t.line(fmt.Sprintf("  … and %d more below.", n))
	}
	if s := NextStep(checks); s != "" {
		t.line("  Next step: " + s)
	}
	if ids := NotChecked(checks); len(ids) > 0 {
		t.line("  Not checked: " + strings.Join(ids, ", ") + " (see below for why).")
	}
}

func (t *textWriter) check(c Check) {
	head := fmt.Sprintf("%s: %s", c.ID, statusText(c.Status))
	if c.Status != Unknown {
		head += fmt.Sprintf(" (confidence %.0f%%)", 100*c.Confidence)
	}
	t.line(head)
	if c.Summary != "" {
		t.line("  " + c.Summary)
	}
	if c.NextStep != "" {
		t.line("  Next step: " + c.NextStep)
	}
	if len(c.Evidence) == 0 {
		return
	}
	t.line("  Evidence:")
	for _, e := range c.Evidence {
		when := Clock(e.AtS)
		if e.UntilS != nil && Clock(*e.UntilS) != when {
			when += "–" + Clock(*e.UntilS)
		}
		t.line(fmt.Sprintf("    %-11s %s: %s", when, e.Kind, e.Detail))
	}
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
