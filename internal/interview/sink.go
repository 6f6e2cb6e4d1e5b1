package interview

import (
	"context"
	"log/slog"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// Notifier queues what the chat channels are told of an interview (integrations.Outbox):
// the summary of its final report, and a live alert when a check turns fail.
type Notifier interface {
	Summary(ctx context.Context, r *report.Report) error
	Observe(ctx context.Context, r *report.Report) error
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

// SaveReport saves a live report, then queues live alerts for checks that turned fail.
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
	if k.notify != nil {
		if err := k.notify.Summary(ctx, r); err != nil {
			k.log.Error("queue summary", "interview_id", r.InterviewID, "err", err)
		}
	}
	return nil
}
