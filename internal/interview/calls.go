package interview

import (
	"context"
	"sync"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
)

// calls is the registry of the running calls of one process by interview id: hosted rooms
// and joined calls alike, one bot.Call each.
type calls struct {
	mu sync.Mutex
	m  map[string]bot.Call
}

// attach lists c as the running call of interview id until release is called; a release of
// a call that another one has since replaced leaves the newer one listed.
func (cs *calls) attach(id string, c bot.Call) (release func()) {
	cs.mu.Lock()
	cs.m[id] = c
	cs.mu.Unlock()
	return func() {
		cs.mu.Lock()
		if cs.m[id] == c {
			delete(cs.m, id)
		}
		cs.mu.Unlock()
	}
}

func (cs *calls) get(id string) (bot.Call, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.m[id]
	return c, ok
}

// joinedCall is a call the bot joined (WHEP, LiveKit) as the registry sees it: leave cancels
// the connector's context, and runJoin hands over the final report once saved.
type joinedCall struct {
	sess  *bot.Session
	leave context.CancelFunc
	once  sync.Once
	done  chan struct{} // closed when final is set
	final *report.Report
}

var _ bot.Call = (*joinedCall)(nil)

func newJoinedCall(sess *bot.Session, leave context.CancelFunc) *joinedCall {
	return &joinedCall{sess: sess, leave: leave, done: make(chan struct{})}
}

func (c *joinedCall) Session() *bot.Session { return c.sess }

// Live is the report as it stands, or the final one once saved.
func (c *joinedCall) Live() *report.Report {
	select {
	case <-c.done:
		return c.final
	default:
		return c.sess.Report(report.Live)
	}
}

// End leaves the call and waits for the final report. A ctx that ends first gets the report
// as it stands.
func (c *joinedCall) End(ctx context.Context, reason string) *report.Report {
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

// ended records the saved final report for Ends waiting on it, and returns it.
func (c *joinedCall) ended(r *report.Report) *report.Report {
	c.final = r
	close(c.done)
	return r
}
