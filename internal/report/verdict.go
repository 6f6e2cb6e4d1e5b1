package report

import "sort"

// How the overall value follows the evidence (docs/verdict.md).
//
// A hiring manager reads "strong concerns" as "someone may be deceiving us". Only evidence that
// the video itself is not a live, unaltered picture of the candidate supports that on its own: a
// replayed or looped picture, a face swap, a failed liveness challenge. Everything else has an
// honest explanation often enough (a laptop still on its home timezone, a corporate VPN, a
// privacy shutter, a refused camera) that one such fail asks for a review with its next step.
// Two fails from independent groups (say the camera and the location) are strong concerns too.

// group is the independent line of evidence a check belongs to.
type group int

const (
	groupIntegrity group = iota // is the video a live, unaltered picture of the candidate?
	groupPresence               // is the camera on, showing one face?
	groupLocation               // do timezone and network agree with the claims?
	groupOther
)

func groupOf(id string) group {
	switch id {
	case CheckReplay, CheckFaceSwap, CheckLiveness:
		return groupIntegrity
	case CheckCamera, CheckFace, CheckVirtualCamera:
		return groupPresence
	case CheckTimezone, CheckNetwork:
		return groupLocation
	}
	return groupOther
}

// OverallOf derives the overall value from checks:
//   - strong concerns: a video-integrity check (replay, face_swap, liveness) failed, or checks
//     of two independent groups (presence: camera, face, virtual_camera; location: timezone,
//     network) failed;
//   - review: any other fail or any warning;
//   - no concerns: at least one check passed and none failed or warned;
//   - insufficient data: no check could run.
func OverallOf(checks []Check) Overall {
	failed := map[group]bool{}
	var warn, pass bool
	for _, c := range checks {
		switch c.Status {
		case Fail:
			failed[groupOf(c.ID)] = true
		case Warn:
			warn = true
		case Pass:
			pass = true
		}
	}
	switch {
	case failed[groupIntegrity] || len(failed) >= 2:
		return StrongConcerns
	case len(failed) > 0 || warn:
		return Review
	case pass:
		return NoConcerns
	default:
		return InsufficientData
	}
}

// severity orders statuses for a reader: what needs attention first.
func severity(s Status) int {
	switch s {
	case Fail:
		return 0
	case Warn:
		return 1
	case Unknown:
		return 2
	}
	return 3
}

// BySeverity returns a copy of checks ordered for a reader: fails, then warnings, then checks
// that could not run, then passes; within a status, video-integrity checks first, then
// presence, then location, keeping the given order otherwise.
func BySeverity(checks []Check) []Check {
	out := append([]Check(nil), checks...)
	sort.SliceStable(out, func(i, j int) bool {
		si, sj := severity(out[i].Status), severity(out[j].Status)
		if si != sj {
			return si < sj
		}
		return groupOf(out[i].ID) < groupOf(out[j].ID)
	})
	return out
}

// Reasons returns the checks that explain the overall value, most severe first: every fail
// and warning, at most max (all when max ≤ 0). A report with no concerns has no reasons.
func Reasons(checks []Check, max int) []Check {
	var out []Check
	for _, c := range BySeverity(checks) {
		if c.Status != Fail && c.Status != Warn {
			break
		}
		if max > 0 && len(out) == max {
			break
		}
		out = append(out, c)
	}
	return out
}

// NotChecked returns the ids of the checks that could not run, in the given order: a reader
// of "no concerns" must also learn what was not looked at.
func NotChecked(checks []Check) []string {
	var ids []string
	for _, c := range checks {
		if c.Status == Unknown {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// NextStep is the one suggested next step for the reader: the next step of the most severe
// failing or warning check that has one; "" when none has.
func NextStep(checks []Check) string {
	for _, c := range Reasons(checks, 0) {
		if c.NextStep != "" {
			return c.NextStep
		}
	}
	return ""
}

// Reason is one line of "why": a failing or warning check in a sentence.
type Reason struct {
	Check   string `json:"check"`
	Status  Status `json:"status"`
	Summary string `json:"summary"`
}

// Explain sets r.Overall, r.Why, r.NextStep and r.NotChecked from r.Checks, so that every
// reader of the report (page, chat, text) leads with the same "what, why, what next".
func (r *Report) Explain() {
	r.Overall = OverallOf(r.Checks)
	r.Why = r.Why[:0]
	for _, c := range Reasons(r.Checks, 0) {
		r.Why = append(r.Why, Reason{Check: c.ID, Status: c.Status, Summary: c.Summary})
	}
	if len(r.Why) == 0 {
		r.Why = nil
	}
	r.NextStep = NextStep(r.Checks)
	r.NotChecked = NotChecked(r.Checks)
}
