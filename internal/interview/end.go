package interview

import (
	"context"
	"errors"
	"net/http"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// End ends interview id, whatever kind of call it has, and returns its final report: a
// running call of this process, hosted or joined, is left and its final report saved once;
// an interview nobody joined ends with a report that says so (saved, its summary queued);
// an interview that already ended answers with its report (ending twice is not an error).
// store.ErrNotFound when there is no such interview.
func (s *Service) End(ctx context.Context, id, reason string) (*report.Report, error) {
	if c, ok := s.calls.get(id); ok {
		return c.End(ctx, reason), nil
	}
	iv, err := s.opt.Store.GetInterview(ctx, id)
	if err != nil {
		return nil, err
	}
	if iv.State == report.Scheduled {
		now := s.opt.Now().UTC()
		iv.State, iv.EndedAt = report.Final, &now
		rep := notStarted(iv)
		if err := s.sink.Ended(ctx, rep); err != nil { // chat summary: "the candidate never joined"
			return nil, err
		}
		return rep, nil
	}
	return s.Report(ctx, id)
}

// Live returns the report of the running call of interview id as it stands (its final one
// once it is ending); false when this process runs no call for id.
func (s *Service) Live(id string) (*report.Report, bool) {
	c, ok := s.calls.get(id)
	if !ok {
		return nil, false
	}
	return c.Live(), true
}

// Report returns the live report of a running call, else the stored one, else (the call
// never started) a report that says so. store.ErrNotFound when there is no such interview.
func (s *Service) Report(ctx context.Context, id string) (*report.Report, error) {
	if rep, ok := s.Live(id); ok {
		return rep, nil
	}
	rep, err := s.opt.Store.GetReport(ctx, id)
	if err == nil {
		return rep, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	iv, err := s.opt.Store.GetInterview(ctx, id)
	if err != nil {
		return nil, err
	}
	return notStarted(iv), nil
}

// Session returns the session of the running call of interview id, hosted or joined: call
// time and challenges (POST /api/interviews/{id}/challenge).
func (s *Service) Session(id string) (*bot.Session, bool) {
	c, ok := s.calls.get(id)
	if !ok {
		return nil, false
	}
	return c.Session(), true
}

// ServeWS serves the signaling websocket of role in the hosted room of interview id; the
// request is authenticated already. Without hosted rooms it answers 404.
func (s *Service) ServeWS(w http.ResponseWriter, r *http.Request, id, role string) {
	if s.rooms == nil {
		http.Error(w, "this process hosts no rooms", http.StatusNotFound)
		return
	}
	s.rooms.ServeWS(w, r, id, role)
}

// notStarted is the report of an interview nobody joined.
func notStarted(iv store.Interview) *report.Report {
	summary := "The candidate has not joined the call yet."
	if iv.State == report.Final {
		summary = "The candidate never joined the call, so the camera could not be checked."
	}
	checks := []report.Check{{ID: report.CheckCamera, Status: report.Unknown, Summary: summary, Evidence: []report.Evidence{}}}
	r := &report.Report{
		Schema: report.Schema, InterviewID: iv.ID, Candidate: iv.Candidate, State: iv.State,
		EndedAt: iv.EndedAt, Checks: checks, Timeline: []report.Event{},
	}
	r.Explain()
	return r
}
