package server

import (
	"context"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// Delivery is the state of one notification of an interview, as the report API shows it.
type Delivery struct {
	Notifier      string     `json:"notifier"` // slack, discord, webhook
	Kind          string     `json:"kind"`     // summary, alert, direct (to the interviewer) or live (the in-progress message)
	Check         string     `json:"check,omitempty"`
	Target        string     `json:"target,omitempty"`
	State         string     `json:"state"` // pending, delivered, failed
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	MessageID     string     `json:"message_id,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
}

// reportResponse is report JSON v1 plus the additive "delivery" field.
type reportResponse struct {
	*report.Report
	Delivery []Delivery `json:"delivery"`
}

// withDelivery adds the delivery state of rep's notifications. A store error leaves the
// list empty rather than failing the report.
func (s *Server) withDelivery(ctx context.Context, rep *report.Report) reportResponse {
	out := reportResponse{Report: rep, Delivery: []Delivery{}}
	entries, err := s.opt.Store.OutboxEntries(ctx, rep.InterviewID)
	if err != nil {
		s.opt.Log.Warn("read delivery state", "interview_id", rep.InterviewID, "err", err)
		return out
	}
	for _, e := range entries {
		d := Delivery{Notifier: e.Notifier, Kind: e.Kind, Check: e.Check, Target: e.Target, State: string(e.State),
			Attempts: e.Attempts, DeliveredAt: e.DeliveredAt, MessageID: e.MessageID, LastError: e.LastError}
		if e.State == "pending" {
			t := e.NextAttemptAt
			d.NextAttemptAt = &t
		}
		out.Delivery = append(out.Delivery, d)
	}
	return out
}
