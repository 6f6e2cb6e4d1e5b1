package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/report"
)

// Limits of a marked challenge window.
const (
	challengeDefault = 5 * time.Second
	challengeMax     = 30 * time.Second
	// challengePast is how far back a window may start: the checks keep 90 s of what they
	// saw, and need a few seconds before the window to compare with.
	challengePast = 60 * time.Second
	challengeNote = 200 // bytes of a note
)

// ChallengeRequest is the body of POST /api/interviews/{id}/challenge.
type ChallengeRequest struct {
	Step string `json:"step"`
	// Seconds is how long the window lasts (1-30; default 5).
	Seconds *float64 `json:"seconds,omitempty"`
	// AtS starts the window at this call time (seconds since the call started), for a
	// challenge that already happened; default now.
	AtS *float64 `json:"at_s,omitempty"`
	// Note says what was asked, for the timeline (e.g. for "custom": "look up at the ceiling").
	Note string `json:"note,omitempty"`
}

// ChallengeResponse is the answer to POST /api/interviews/{id}/challenge.
type ChallengeResponse struct {
	InterviewID string  `json:"interview_id"`
	Step        string  `json:"step"`
	AtS         float64 `json:"at_s"`
	UntilS      float64 `json:"until_s"`
	Detail      string  `json:"detail"`
}

func (req *ChallengeRequest) validate() (time.Duration, error) {
	var errs []error
	// The hosted room's prompts and "custom", anything else the interviewer asked out loud.
	if !report.IsChallengeStep(req.Step) {
		errs = append(errs, fmt.Errorf("step must be one of %s", strings.Join(report.ChallengeSteps(), ", ")))
	}
	d := challengeDefault
	if req.Seconds != nil {
		sec := *req.Seconds
		if math.IsNaN(sec) || sec < 1 || sec > challengeMax.Seconds() {
			errs = append(errs, fmt.Errorf("seconds must be between 1 and %.0f", challengeMax.Seconds()))
		} else {
			d = time.Duration(sec * float64(time.Second)).Round(time.Millisecond)
		}
	}
	if req.AtS != nil && (math.IsNaN(*req.AtS) || *req.AtS < 0) {
		errs = append(errs, errors.New("at_s must be the call time in seconds (0 or more)"))
	}
	req.Note = strings.TrimSpace(req.Note)
	if len(req.Note) > challengeNote {
		errs = append(errs, fmt.Errorf("note is limited to %d characters", challengeNote))
	}
	return d, errors.Join(errs...)
}

// challenge records a liveness challenge window on a running call: what the interviewer's
// socket "mark" does, for calls the bot only watches (WHEP, LiveKit) and hosted rooms alike.
func (s *Server) challenge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.authorize(w, r, id, auth.RoleInterviewer); !ok {
		return
	}
	if s.toOwner(w, r, id, routeAct) { // before reading the body: a 307 has it sent again
		return
	}
	var req ChallengeRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	d, err := req.validate()
	if err != nil {
		writeError(w, http.StatusBadRequest, strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	if _, ok := s.interview(w, r, id); !ok {
		return
	}
	sess, ok := s.opt.Interviews.Session(id) // a hosted room or a joined call
	if !ok {
		writeError(w, http.StatusConflict, "the interview has no running call: a challenge can only be marked while the bot is in the call")
		return
	}
	now := sess.Since(s.opt.Now())
	from := now
	if req.AtS != nil {
		from = time.Duration(*req.AtS * float64(time.Second)).Round(time.Millisecond)
		if from > now || from < now-challengePast {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("at_s must lie in the last %.0f s of the call (now %.1f s)", challengePast.Seconds(), now.Seconds()))
			return
		}
	}
	detail := fmt.Sprintf("The interviewer marked a liveness challenge (%s) for %s through the API.", req.Step, d)
	if req.Note != "" {
		detail = strings.TrimSuffix(detail, ".") + ": " + req.Note
	}
	if err := sess.Challenge(req.Step, detail, from, from+d); err != nil {
		// The call ended between finding it and marking it: its final report is made
		// without this window, so saying "marked" would be a lie.
		writeError(w, http.StatusConflict, "the call has ended: a challenge can only be marked while the bot is in the call")
		return
	}
	writeJSON(w, http.StatusOK, ChallengeResponse{InterviewID: id, Step: req.Step,
		AtS: seconds(from), UntilS: seconds(from + d), Detail: detail})
}

func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }
