package interview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// Connector joins one call held elsewhere and feeds sess until the call ends
// (bot/connect/whep, bot/connect/livekit).
type Connector struct {
	// Kind is the timeline's kind for join errors: "whep", "livekit".
	Kind string
	Run  func(ctx context.Context, sess *bot.Session, log *slog.Logger) error
}

// startJoin begins joining the call of interview id in the background (Create with a join).
// The call outlives ctx; Close ends it (its report saved as interrupted).
func (s *Service) startJoin(ctx context.Context, id string, j JoinRequest) error {
	conn, err := s.opt.Dial(id, j)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	iv, err := s.opt.Store.GetInterview(ctx, id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("the server is shutting down")
	}
	s.joins.Go(func() {
		if _, err := s.runJoin(s.life, iv, conn, s.opt.MaxDuration, true); err != nil {
			s.opt.Log.Warn("joined call ended with an error", "interview_id", id, "err", err)
		}
	})
	return nil
}

// Run joins the call of interview id in the foreground (integritybot join) and returns its
// final report, stored and queued for the chat channels, once the call ends: by itself,
// after duration (0: no limit), through End, or when ctx ends (Ctrl-C: a normal end).
func (s *Service) Run(ctx context.Context, id string, conn Connector, duration time.Duration) (*report.Report, error) {
	iv, err := s.opt.Store.GetInterview(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.runJoin(ctx, iv, conn, duration, false)
}

// runJoin runs one joined call as interview iv and returns its final report. With
// interruptible, a ctx that ends (server shutdown) marks the report interrupted; otherwise
// (Ctrl-C on join) it is the normal end. While it runs, the registry lists it: End,
// challenges and the live report reach it.
func (s *Service) runJoin(ctx context.Context, iv store.Interview, conn Connector, duration time.Duration, interruptible bool) (*report.Report, error) {
	log := s.opt.Log.With("interview_id", iv.ID)
	start := time.Now()
	if err := s.sink.Started(ctx, iv.ID, start); err != nil {
		log.Warn("mark interview live", "err", err)
	}
	sess := bot.NewSession(iv.ID, iv.Candidate, start, s.opt.Session, s.sink, log, nil)
	callCtx, leave := context.WithCancel(ctx)
	if duration > 0 {
		callCtx, leave = context.WithTimeout(ctx, duration)
	}
	call := newJoinedCall(sess, leave)
	release := s.calls.attach(iv.ID, call)
	joinErr := conn.Run(callCtx, sess, log)
	leave()
	if joinErr != nil {
		sess.Event(conn.Kind, "Could not join or stay in the call: "+joinErr.Error())
	}
	state := report.Final
	if interruptible && ctx.Err() != nil {
		state = report.Interrupted
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer scancel()
	final := sess.End(sctx, state) // saves it once, through sink.Ended
	release()                      // listed until saved, like a hosted room: then the store has it
	return call.ended(final), joinErr
}
