package main

import (
	"context"
	"sync"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
)

// liveCalls gives the API the running calls of this process, hosted rooms and joined calls
// alike: their sessions (POST /api/interviews/{id}/challenge).
type liveCalls struct{ ss *bot.Sessions }

var _ server.Calls = liveCalls{}

func (c liveCalls) Call(id string) (server.Call, bool) {
	s, ok := c.ss.Get(id)
	if !ok {
		return nil, false // not a typed nil inside the interface
	}
	return s, true
}

// calls is what the server asks of the running calls: the hosted rooms' websockets and
// live reports, and one End for every kind of call (POST /api/interviews/{id}/end), through
// the call registry where hosted rooms and joined calls attach how they end.
type calls struct {
	*room.Manager
	live *bot.Sessions
}

var _ server.Rooms = calls{}

// End ends the running call of interview id, hosted or joined, and returns its final report.
func (c calls) End(ctx context.Context, id, reason string) (*report.Report, bool) {
	return c.live.End(ctx, id, reason)
}

// joinedCall is how the call registry ends a call the bot joined (WHEP, LiveKit): leave
// cancels the connector's context, and runJoin hands over the final report once saved.
type joinedCall struct {
	sess  *bot.Session
	leave context.CancelFunc
	once  sync.Once
	done  chan struct{} // closed when final is set
	final *report.Report
}

func newJoinedCall(sess *bot.Session, leave context.CancelFunc) *joinedCall {
	return &joinedCall{sess: sess, leave: leave, done: make(chan struct{})}
}

// hangup is the call's bot.Hangup: it leaves the call and waits for the final report. A ctx
// that ends first gets the report as it stands.
func (c *joinedCall) hangup(ctx context.Context, reason string) *report.Report {
	select {
	case <-c.done:
		return c.final
	default:
	}
	c.once.Do(func() {
		c.sess.Event("ended", reason)
		c.leave()
	})
	select {
	case <-c.done:
		return c.final
	case <-ctx.Done():
		return c.sess.Report(report.Live)
	}
}

// ended records the saved final report for hangups waiting on it, and returns it.
func (c *joinedCall) ended(r *report.Report) *report.Report {
	c.final = r
	close(c.done)
	return r
}
