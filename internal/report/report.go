// Package report defines the report JSON v1 (schema "integritybot.report/v1"), the
// public contract every part of integritybot writes into and every reader parses.
//
// Fields beyond the minimum in docs/api.md (state, timeline, until_s, next_step) are
// additive: a v1 reader that ignores unknown fields keeps working.
package report

import "time"

// Schema is the value of the "schema" field of every v1 report.
const Schema = "integritybot.report/v1"

// Status is the outcome of one check.
type Status string

// Check statuses. Unknown means "could not check" and always says why; it is never a silent pass.
const (
	Pass    Status = "pass"
	Warn    Status = "warn"
	Fail    Status = "fail"
	Unknown Status = "unknown"
)

// Overall summarises all checks for a human reader; it is never a hire/no-hire score.
type Overall string

// Overall values.
const (
	NoConcerns       Overall = "no_concerns"
	Review           Overall = "review"
	StrongConcerns   Overall = "strong_concerns"
	InsufficientData Overall = "insufficient_data"
)

// State says whether the report can still change.
type State string

// Report states.
const (
	Scheduled   State = "scheduled"   // created; nobody has joined yet
	Live        State = "live"        // the interview is running; the report grows
	Final       State = "final"       // the interview ended normally
	Interrupted State = "interrupted" // the server stopped before the interview ended
)

// Check ids (docs/api.md, "Report JSON v1").
const (
	CheckCamera        = "camera"
	CheckFace          = "face"
	CheckFaceSwap      = "face_swap"
	CheckReplay        = "replay"
	CheckLiveness      = "liveness"
	CheckVirtualCamera = "virtual_camera"
	CheckTimezone      = "timezone"
	CheckNetwork       = "network"
)

// Candidate holds what the candidate claims about themselves; checks compare against it.
type Candidate struct {
	Name            string `json:"name"`
	ClaimedLocation string `json:"claimed_location"`
	ClaimedTimezone string `json:"claimed_timezone"`
}

// Coverage says how much of the call the analyzers actually saw.
type Coverage struct {
	VideoSeconds   float64 `json:"video_seconds"`
	FramesDecoded  int64   `json:"frames_decoded"`
	FramesAnalyzed int64   `json:"frames_analyzed"`
	FramesDropped  int64   `json:"frames_dropped"`
	// Note says in a sentence when not every decoded frame was analyzed (sampled analysis
	// under load) and what that means for the checks; empty when every frame was.
	Note string `json:"note,omitempty"`
}

// Evidence is one observation: what was seen, when (seconds from the start of the call).
type Evidence struct {
	AtS      float64  `json:"at_s"`
	UntilS   *float64 `json:"until_s,omitempty"`
	Kind     string   `json:"kind"`
	Detail   string   `json:"detail"`
	Snapshot string   `json:"snapshot,omitempty"`
	// Snapshots are the pictures of a finding that takes two to show (a loop: a frame and
	// the earlier frame it repeats), each with its time, oldest first; Snapshot is then the
	// first of them, for readers that show one.
	Snapshots []Frame `json:"snapshots,omitempty"`
}

// Frame is one evidence picture with its time (seconds from the start of the call).
type Frame struct {
	AtS      float64 `json:"at_s"`
	Snapshot string  `json:"snapshot"`
}

// Check is the result of one check.
type Check struct {
	ID         string     `json:"id"`
	Status     Status     `json:"status"`
	Confidence float64    `json:"confidence"`
	Summary    string     `json:"summary"`
	NextStep   string     `json:"next_step,omitempty"`
	Evidence   []Evidence `json:"evidence"`
}

// Event is one line of the call's timeline (joins, leaves, track changes).
type Event struct {
	AtS    float64 `json:"at_s"`
	Kind   string  `json:"kind"`
	Detail string  `json:"detail"`
}

// Report is the report JSON v1.
type Report struct {
	Schema      string     `json:"schema"`
	InterviewID string     `json:"interview_id"`
	Candidate   Candidate  `json:"candidate"`
	State       State      `json:"state"`
	StartedAt   *time.Time `json:"started_at"`
	EndedAt     *time.Time `json:"ended_at"`
	Coverage    Coverage   `json:"coverage"`
	Overall     Overall    `json:"overall"`
	// Why lists the failing and warning checks behind Overall, most severe first, NextStep is
	// the one suggested next step, and NotChecked names the checks that could not run
	// (Explain fills them; docs/verdict.md).
	Why        []Reason `json:"why,omitempty"`
	NextStep   string   `json:"next_step,omitempty"`
	NotChecked []string `json:"not_checked,omitempty"`
	Checks     []Check  `json:"checks"`
	Timeline   []Event  `json:"timeline"`
}

// Range returns evidence covering [from, until] seconds.
func Range(from, until float64, kind, detail string) Evidence {
	u := until
	return Evidence{AtS: from, UntilS: &u, Kind: kind, Detail: detail}
}
