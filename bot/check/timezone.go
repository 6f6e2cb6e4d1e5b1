package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// Thresholds of the timezone check.
const (
	// clockSkewContext: a browser clock further than this from the server's is mentioned.
	clockSkewContext = 2 * time.Minute
	// clockSkewWarn: further than this is a warning (a clock set by hand, or a VM).
	clockSkewWarn = 10 * time.Minute
	// failOffset: browser and claimed zone further apart than this is a fail; closer is a warn.
	failOffset = 2 * time.Hour
)

type timezoneCheck struct{ m *Meta }

// Result compares the browser's timezone with the claimed one at the time of the call.
func (c timezoneCheck) Result(now time.Duration) report.Check {
	m := c.m
	m.mu.Lock()
	h, at, final := m.hello, m.helloAt, m.finished
	m.mu.Unlock()
	r := report.Check{ID: report.CheckTimezone, Status: report.Unknown, Evidence: []report.Evidence{}}
	if h == nil {
		r.Summary = "The candidate's browser has not reported its timezone (it does once the candidate agrees and joins)."
		if final {
			r.Summary = "Not checked: the candidate's browser never reported its timezone (it does only once the candidate agrees and joins)."
		}
		return r
	}
	atS := secs(at.Sub(m.start))
	ev := func(kind, detail string) {
		r.Evidence = append(r.Evidence, report.Evidence{AtS: atS, Kind: kind, Detail: detail})
	}
	browserOff := time.Duration(h.UTCOffsetMin) * time.Minute
	zoneOK := false
	if loc, err := loadZone(h.Timezone); err == nil {
		zoneOK = true
		if zo := offsetAt(loc, at); zo != browserOff {
			ev("offset_mismatch", fmt.Sprintf("The browser names %s, which is %s on %s, but its clock shows %s: the machine's timezone rules or settings were changed by hand.",
				h.Timezone, fmtOffset(zo), at.In(loc).Format("2 Jan 2006"), fmtOffset(browserOff)))
		}
	} else {
		ev("browser_zone", fmt.Sprintf("The browser reported no usable IANA timezone (%q); only its clock's offset %s is compared.", h.Timezone, fmtOffset(browserOff)))
	}
	skewWarn := clockSkew(h, at, ev)
	if len(h.Languages) > 0 {
		ev("context", "Browser languages: "+strings.Join(h.Languages, ", ")+" (context only, never judged).")
	}
	browser := fmtOffset(browserOff)
	if zoneOK {
		browser = h.Timezone + " (" + browser + ")"
	}

	zone, claimLabel := m.claimedZone()
	if zone == "" {
		r.Summary = "Browser timezone " + browser + "; the invite has no claimed timezone or known location to compare it with."
		r.NextStep = "Add the candidate's claimed location and IANA timezone to the invite."
		return r
	}
	cloc, err := loadZone(zone)
	if err != nil {
		r.Summary = fmt.Sprintf("Browser timezone %s; the claimed timezone %q is not an IANA zone, so they cannot be compared.", browser, zone)
		r.NextStep = "Correct the claimed timezone in the invite (e.g. America/Chicago)."
		return r
	}
	cOff := offsetAt(cloc, at)
	claim := claimLabel + " (" + fmtOffset(cOff) + ")"
	diff := (browserOff - cOff).Abs()
	sameRegion := zoneOK && region(h.Timezone) == region(zone)
	switch {
	case diff == 0 && (sameRegion || !zoneOK):
		r.Status, r.Confidence = report.Pass, 0.5
		r.Summary = "Browser timezone " + browser + " fits the candidate's claim " + claim + "."
	case diff == 0:
		r.Status, r.Confidence = report.Warn, 0.3
		r.Summary = "Browser timezone " + browser + " has the same offset today as the candidate's claim " + claim + ", but lies in another region."
		r.NextStep = "Ask the candidate where they are working from today."
	case diff <= failOffset:
		r.Status, r.Confidence = report.Warn, 0.5
		r.Summary = fmt.Sprintf("Browser timezone %s; the candidate said %s: %s apart.", browser, claim, fmtDiff(diff))
		r.NextStep = "Ask the candidate what time it is where they are; a neighbouring zone or travel explains a small difference."
	default:
		r.Status, r.Confidence = report.Fail, 0.7
		r.Summary = fmt.Sprintf("Browser timezone %s; the candidate said %s: %s apart.", browser, claim, fmtDiff(diff))
		r.NextStep = "Ask the candidate what time it is for them and where they are working from; travel or a remote desktop in another country explains it, an evasive answer does not."
	}
	ev("timezone", r.Summary)
	if skewWarn && r.Status == report.Pass {
		r.Status, r.Confidence = report.Warn, 0.3
		r.NextStep = "Ask whether the computer's clock is set by hand or runs in a virtual machine."
	}
	if len(r.Evidence) > 0 && r.Evidence[0].Kind == "offset_mismatch" && r.Status == report.Pass {
		r.Status, r.Confidence = report.Warn, 0.5
		r.NextStep = "Ask the candidate what time it is where they are."
	}
	return r
}

// clockSkew adds evidence when the browser's clock is far from the server's and says whether
// that deserves a warning.
func clockSkew(h *Hello, at time.Time, ev func(kind, detail string)) bool {
	if h.NowMs <= 0 {
		return false
	}
	skew := time.UnixMilli(h.NowMs).Sub(at)
	if skew.Abs() < clockSkewContext {
		return false
	}
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	ev("clock_skew", fmt.Sprintf("The browser's clock is %s %s the server's (a clock set by hand, a virtual machine, or a wrong timezone with the time adjusted to match).",
		fmtDiff(skew.Abs()), dir))
	return skew.Abs() >= clockSkewWarn
}

// claimedZone returns the claimed IANA zone (the invite's, else the claimed city's) and
// how to name the claim in a sentence.
func (m *Meta) claimedZone() (zone, label string) {
	loc := strings.TrimSpace(m.claims.ClaimedLocation)
	zone = strings.TrimSpace(m.claims.ClaimedTimezone)
	switch {
	case zone != "" && loc != "":
		return zone, loc + ", " + zone
	case zone != "":
		return zone, zone
	case m.claimedOK && m.claimed.Zone != "":
		return m.claimed.Zone, loc
	}
	return "", ""
}

// loadZone loads an IANA zone; "", "Local" and malformed names are errors, so the machine's
// own zone never stands in for the candidate's.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, fmt.Errorf("check: no timezone")
	}
	return time.LoadLocation(name)
}

func offsetAt(loc *time.Location, t time.Time) time.Duration {
	_, off := t.In(loc).Zone()
	return time.Duration(off) * time.Second
}

// region is the first part of an IANA name ("America" of "America/Chicago").
func region(zone string) string {
	r, _, _ := strings.Cut(zone, "/")
	return r
}

// fmtOffset writes an offset as "UTC+8", "UTC−6" (with a minus sign), "UTC+5:30".
func fmtOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "−", -d
	}
	h, mnt := int(d.Hours()), int(d.Minutes())%60
	if mnt != 0 {
		return fmt.Sprintf("UTC%s%d:%02d", sign, h, mnt)
	}
	return fmt.Sprintf("UTC%s%d", sign, h)
}

func fmtDiff(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	default:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
}
