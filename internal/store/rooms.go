package store

import (
	"context"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// Rooms adapts the store to what a call needs while it runs (bot/connect/room.Interviews and
// the other connectors): the candidate's claims, the start, the live report and the end.
type Rooms struct{ *Store }

// Interview returns the candidate's claims and the interview's state.
func (r Rooms) Interview(ctx context.Context, id string) (report.Candidate, report.State, error) {
	iv, err := r.GetInterview(ctx, id)
	return iv.Candidate, iv.State, err
}

// Started records that the call started at at, on this node (StartInterview: ErrElsewhere
// when another node runs it).
func (r Rooms) Started(ctx context.Context, id string, at time.Time) error {
	return r.StartInterview(ctx, id, at)
}

// Ended stores the final (or interrupted) report and the interview's end.
func (r Rooms) Ended(ctx context.Context, rep *report.Report) error {
	if err := r.SaveReport(ctx, rep); err != nil {
		return err
	}
	return r.SetInterviewState(ctx, rep.InterviewID, rep.State, rep.StartedAt, rep.EndedAt)
}
