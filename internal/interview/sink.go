package interview

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// Notifier queues what the chat channels are told of an interview (integrations.Outbox): its
// one channel message ("in progress" from the first live report, edited in place), a live
// alert when a check turns fail (the interviewer's direct message first), and the summary
// of its final report. Enabled reports whether anything is configured to receive them.
type Notifier interface {
	Summary(ctx context.Context, r *report.Report) error
	Observe(ctx context.Context, r *report.Report) error
	Enabled() bool
}

// sink is where every call of the service puts its reports, hosted or joined: the live
// report is saved every few seconds (and a check turning fail queues an alert), the final one
// once, with the interview's end, then its summary is queued.
type sink struct {
	st     *store.Store
	notify Notifier // nil: no chat
	log    *slog.Logger
}

var (
	_ room.Interviews = sink{}
	_ bot.EndSink     = sink{}
)

func (k sink) Interview(ctx context.Context, id string) (report.Candidate, report.State, error) {
	return store.Rooms{Store: k.st}.Interview(ctx, id)
}

func (k sink) Started(ctx context.Context, id string, at time.Time) error {
	return store.Rooms{Store: k.st}.Started(ctx, id, at)
}

// SaveReport saves a live report, then queues the interview's "in progress" message (the
// first time) and live alerts for checks that turned fail.
func (k sink) SaveReport(ctx context.Context, r *report.Report) error {
	if err := k.st.SaveReport(ctx, r); err != nil {
		return err
	}
	if k.notify != nil {
		if err := k.notify.Observe(ctx, r); err != nil {
			k.log.Error("queue live alert", "interview_id", r.InterviewID, "err", err)
		}
	}
	return nil
}

// Ended stores the final report and the interview's end, then queues its summary; a summary
// that cannot be queued is logged, never fails the interview.
func (k sink) Ended(ctx context.Context, r *report.Report) error {
	if err := (store.Rooms{Store: k.st}).Ended(ctx, r); err != nil {
		return err
	}
	k.summary(ctx, r)
	return nil
}

// summary queues the summary of final report r.
func (k sink) summary(ctx context.Context, r *report.Report) {
	if k.notify == nil {
		return
	}
	if err := k.notify.Summary(ctx, r); err != nil {
		k.log.Error("queue summary", "interview_id", r.InterviewID, "err", err)
	}
}

// summaryCatchUp is how far back Resume looks for interviews that ended without a queued
// summary (a crash between storing the end and queueing it).
const summaryCatchUp = 24 * time.Hour

// Resume queues the summaries a previous run of this node left unqueued: those of the
// interviews its start marked interrupted (store.MarkInterrupted), and of those that ended in
// the last day without a summary in the outbox. Queueing is idempotent, so one found twice is
// posted once. Without a Notifier that delivers anywhere it does nothing.
func (s *Service) Resume(ctx context.Context, interrupted []string) {
	if s.opt.Notify == nil || !s.opt.Notify.Enabled() {
		return
	}
	ids := slices.Clone(interrupted)
	more, err := s.opt.Store.Unsummarized(ctx, s.opt.Now().Add(-summaryCatchUp), 1000)
	if err != nil {
		s.opt.Log.Error("find interviews without a summary", "err", err)
	}
	for _, id := range more {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if n := len(ids) - len(interrupted); n > 0 {
		s.opt.Log.Warn("queueing summaries that a crash left unqueued", "count", n)
	}
	for _, id := range ids {
		if r, err := s.opt.Store.GetReport(ctx, id); err == nil {
			s.sink.summary(ctx, r)
		}
	}
}
