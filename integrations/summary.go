package integrations

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/integritybot/integritybot/internal/report"
)

// Text is a notification in platform-neutral form; each notifier renders it within its
// platform's limits.
type Text struct {
	Kind Kind
	// Title is the header: "Interview summary: Jane Doe" or "Live alert: Jane Doe".
	Title string
	// Overall is the overall result in words ("Strong concerns").
	Overall report.Overall
	// OverallWords is Overall for people.
	OverallWords string
	// When says when the call happened ("2026-01-02 15:04 UTC, 12 min"): the plain form, for
	// platforms that cannot show a time in the reader's timezone.
	When string
	// Start is when the call started (nil: not started) and Length how long it ran (0: still
	// running or unknown), for platforms that show times in each reader's own timezone.
	Start  *time.Time
	Length time.Duration
	// Claims are the candidate's claimed location and timezone, if any.
	Claims string
	// Why names the failing and warning checks behind Overall, most severe first
	// ("Replay: fail · Timezone: warning"); "" when there are none.
	Why string
	// Lines has one entry per check (summaries) or the one alerting check (alerts).
	Lines []Line
	// AskNext lists what the interviewer can do next, from the failing and warning checks.
	AskNext []string
	// ReportURL opens the full report.
	ReportURL string
	// PicturesOnPage: the evidence pictures are on the report page, not in chat.
	PicturesOnPage bool
}

// Line is one check.
type Line struct {
	Check    string        // check id
	Name     string        // "Camera"
	Status   report.Status // pass, warn, fail, unknown
	Sentence string        // the plain sentence of the check
	When     string        // "at 0:42–1:10" from the first evidence; "" when none
}

// Card is the message that stands for m in the channel: the summary itself, or for the
// notifications of a running call the "in progress" message (Live), which names the live
// concerns once an alert updated it.
func Card(m Message) Message {
	if m.Kind == Summary {
		return m
	}
	c := m
	c.Kind, c.Snapshot = Live, nil
	if m.Kind != Alert {
		c.Check = ""
	}
	return c
}

// Render builds the platform-neutral text of m: a summary, an alert (in the channel's
// thread, or Direct to the interviewer), or the "in progress" message (Live; see Card).
func Render(m Message) Text {
	r := m.Report
	t := Text{Kind: m.Kind, Overall: r.Overall, OverallWords: OverallWords(r.Overall), ReportURL: m.ReportURL,
		PicturesOnPage: m.PicturesOnPage}
	name := r.Candidate.Name
	if name == "" {
		name = "unnamed candidate"
	}
	switch m.Kind {
	case Alert, Direct:
		t.Title = "Live alert: " + name
	case Live:
		t.Title = "Interview in progress: " + name
	default:
		t.Title = "Interview summary: " + name
	}
	t.When = when(r)
	if r.StartedAt != nil {
		st := r.StartedAt.UTC()
		t.Start = &st
		if r.EndedAt != nil && r.EndedAt.After(st) {
			t.Length = r.EndedAt.Sub(st)
		}
	}
	var claims []string
	if r.Candidate.ClaimedLocation != "" {
		claims = append(claims, r.Candidate.ClaimedLocation)
	}
	if r.Candidate.ClaimedTimezone != "" {
		claims = append(claims, r.Candidate.ClaimedTimezone)
	}
	if len(claims) > 0 {
		t.Claims = "claims " + strings.Join(claims, ", ")
	}
	var why []string
	for _, c := range report.Reasons(r.Checks, 3) {
		why = append(why, CheckName(c.ID)+": "+StatusWords(c.Status))
	}
	if n := len(report.Reasons(r.Checks, 0)) - len(why); n > 0 {
		why = append(why, fmt.Sprintf("%d more", n))
	}
	t.Why = strings.Join(why, " · ")
	if m.Kind == Live {
		// The live checks are not a verdict: the message names concerns only once an alert
		// (strong concerns after enough video) updated it; the summary replaces it.
		if m.Check == "" {
			t.Why = ""
		}
		return t
	}
	// Most severe first: the reader sees why before the checks that passed (docs/verdict.md).
	for _, c := range report.BySeverity(r.Checks) {
		if (m.Kind == Alert || m.Kind == Direct) && c.ID != m.Check {
			continue
		}
		t.Lines = append(t.Lines, Line{Check: c.ID, Name: CheckName(c.ID), Status: c.Status,
			Sentence: c.Summary, When: evidenceWhen(c.Evidence)})
		if c.NextStep != "" && (c.Status == report.Fail || c.Status == report.Warn) {
			t.AskNext = append(t.AskNext, c.NextStep)
		}
	}
	if len(t.AskNext) == 0 && (r.Overall == report.StrongConcerns || r.Overall == report.Review) {
		t.AskNext = append(t.AskNext, "Open the full report, look at the evidence and its times, and follow up with the candidate on what was seen.")
	}
	return t
}

// OverallWords says an overall value in words.
func OverallWords(o report.Overall) string {
	switch o {
	case report.NoConcerns:
		return "No concerns"
	case report.Review:
		return "Worth a review"
	case report.StrongConcerns:
		return "Strong concerns"
	case report.InsufficientData:
		return "Not enough data to judge"
	}
	return string(o)
}

// StatusWords says a check status in words.
func StatusWords(s report.Status) string {
	switch s {
	case report.Pass:
		return "pass"
	case report.Warn:
		return "warning"
	case report.Fail:
		return "FAIL"
	case report.Unknown:
		return "could not check"
	}
	return string(s)
}

// CheckName is the human name of a check id.
func CheckName(id string) string {
	switch id {
	case report.CheckFaceSwap:
		return "Face swap"
	case report.CheckVirtualCamera:
		return "Virtual camera"
	}
	if id == "" {
		return ""
	}
	s := strings.ReplaceAll(id, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

func when(r *report.Report) string {
	if r.StartedAt == nil {
		return "not started"
	}
	s := r.StartedAt.UTC().Format("2006-01-02 15:04 UTC")
	if r.EndedAt != nil && r.EndedAt.After(*r.StartedAt) {
		d := r.EndedAt.Sub(*r.StartedAt).Round(time.Minute)
		s += fmt.Sprintf(", %d min", int(d.Minutes()))
	}
	return s
}

func evidenceWhen(ev []report.Evidence) string {
	if len(ev) == 0 {
		return ""
	}
	e := ev[0]
	s := "at " + Clock(e.AtS)
	if e.UntilS != nil && *e.UntilS > e.AtS {
		s += "–" + Clock(*e.UntilS)
	}
	if len(ev) > 1 {
		s += fmt.Sprintf(" (+%d more)", len(ev)-1)
	}
	return s
}

// Clock formats seconds into the call as m:ss (or h:mm:ss).
func Clock(sec float64) string {
	if sec < 0 || math.IsNaN(sec) || math.IsInf(sec, 0) {
		sec = 0
	}
	t := int(sec)
	if t >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%d:%02d", t/60, t%60)
}

// Truncate shortens s to at most n runes, ending with "…" when cut.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// StrongestSnapshot returns the snapshot reference of the strongest evidence in r: from the
// failing checks first, then warnings, most confident first; "" when no evidence has one.
func StrongestSnapshot(r *report.Report) (check string, ref string) {
	rank := map[report.Status]int{report.Fail: 0, report.Warn: 1, report.Unknown: 2, report.Pass: 3}
	checks := append([]report.Check(nil), r.Checks...)
	sort.SliceStable(checks, func(i, j int) bool {
		if rank[checks[i].Status] != rank[checks[j].Status] {
			return rank[checks[i].Status] < rank[checks[j].Status]
		}
		return checks[i].Confidence > checks[j].Confidence
	})
	for _, c := range checks {
		for _, e := range c.Evidence {
			if e.Snapshot != "" {
				return c.ID, e.Snapshot
			}
		}
	}
	return "", ""
}

// Defang keeps text that came from the candidate or the request (a name, a claimed place, a
// camera label inside a check's sentence) from becoming a link in a chat message: the
// platforms turn a bare "https://…" into a link, so the scheme separator is split with a
// zero-width space. Markup escaping is each platform's own (slack.esc, discord.escape).
func Defang(s string) string {
	return strings.ReplaceAll(s, "://", ":\u200b//")
}

// Minutes says a call's length for readers: "12 min" (at least 1), "" for none.
func Minutes(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("%d min", max(1, int(d.Round(time.Minute).Minutes())))
}
