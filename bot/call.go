package bot

import (
	"context"

	"github.com/integritybot/integritybot/internal/report"
)

// Call is a running call as the interview service (internal/interview) keeps it in its
// registry, whichever connector owns it: a hosted room (bot/connect/room) or a call the bot
// joined (WHEP, LiveKit). The connector's owner lists it from the call's start until its final
// report is saved.
type Call interface {
	// Session is the call's session: call time and challenges (POST
	// /api/interviews/{id}/challenge).
	Session() *Session
	// Live returns the call's report as it stands; once the call is ending, its final report
	// (it waits for it) rather than a stale live one.
	Live() *report.Report
	// End ends the call from outside (the interviewer, the API, a deletion): the connector
	// leaves the call, ends the session (Session.End saves the final report once) and returns
	// that final report. Once the call has ended, by an End or by itself, End waits for and
	// returns the same report. reason is the timeline's sentence for the end.
	End(ctx context.Context, reason string) *report.Report
}
