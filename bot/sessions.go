package bot

import (
	"context"
	"sync"

	"github.com/integritybot/integritybot/internal/report"
)

// Sessions is the set of running calls of one process by interview id, hosted rooms and
// joined calls alike: their sessions (for the API's challenges) and how to end each call
// (End, for POST /api/interviews/{id}/end). Share one through Config.Sessions; a nil
// *Sessions costs nothing.
type Sessions struct {
	mu   sync.Mutex
	m    map[string]*Session
	ends map[string]*hangup
}

// Hangup ends a running call from outside (the interviewer, the API): the connector that
// owns the call leaves it, ends its session (Session.End saves the final report) and returns
// that final report. Once the call has ended, by a Hangup or by itself, a Hangup waits for
// and returns the same report. reason is the timeline's sentence for the end.
type Hangup func(ctx context.Context, reason string) *report.Report

// hangup is one registration: Attach's release removes it only while it is still listed.
type hangup struct{ end Hangup }

// NewSessions returns an empty set.
func NewSessions() *Sessions {
	return &Sessions{m: map[string]*Session{}, ends: map[string]*hangup{}}
}

// Get returns the running session of interview id.
func (ss *Sessions) Get(id string) (*Session, bool) {
	if ss == nil {
		return nil, false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	return s, ok
}

// Attach lists how the call of interview id is ended, from its start until release is
// called (after its final report is saved): the connector that owns the call attaches it.
// A call attached while it ends stays reachable, so an End that arrives then waits for the
// final report instead of missing the call.
func (ss *Sessions) Attach(id string, end Hangup) (release func()) {
	if ss == nil {
		return func() {}
	}
	h := &hangup{end: end}
	ss.mu.Lock()
	ss.ends[id] = h
	ss.mu.Unlock()
	return func() {
		ss.mu.Lock()
		if ss.ends[id] == h {
			delete(ss.ends, id)
		}
		ss.mu.Unlock()
	}
}

// End ends the running call of interview id, whichever connector owns it, and returns its
// final report; ok is false when this process runs no call for id.
func (ss *Sessions) End(ctx context.Context, id, reason string) (r *report.Report, ok bool) {
	if ss == nil {
		return nil, false
	}
	ss.mu.Lock()
	h, ok := ss.ends[id]
	ss.mu.Unlock()
	if !ok {
		return nil, false
	}
	return h.end(ctx, reason), true
}

func (ss *Sessions) add(s *Session) {
	if ss == nil {
		return
	}
	ss.mu.Lock()
	ss.m[s.id] = s
	ss.mu.Unlock()
}

// remove drops s when it is still the session listed for its interview.
func (ss *Sessions) remove(s *Session) {
	if ss == nil {
		return
	}
	ss.mu.Lock()
	if ss.m[s.id] == s {
		delete(ss.m, s.id)
	}
	ss.mu.Unlock()
}
