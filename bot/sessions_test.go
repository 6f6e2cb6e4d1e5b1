package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
)

// endSink counts what a session hands it: live saves, and the final report through Ended.
type endSink struct {
	mu    sync.Mutex
	saves []report.State
	ended []*report.Report
}

func (s *endSink) SaveReport(_ context.Context, r *report.Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves = append(s.saves, r.State)
	return nil
}

func (s *endSink) Ended(_ context.Context, r *report.Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, r)
	return nil
}

// TestEndSavesFinalOnce: a sink that records ends gets the final report once, through Ended,
// and never as a SaveReport.
func TestEndSavesFinalOnce(t *testing.T) {
	clk := newClock()
	sink := &endSink{}
	s := bot.NewSession("iv", report.Candidate{}, clk.now(), bot.Config{}, sink, nil, clk.now)
	clk.add(5 * time.Second)
	r := s.End(context.Background(), report.Final)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.ended) != 1 || sink.ended[0] != r {
		t.Errorf("Ended got %d reports, want the final one once", len(sink.ended))
	}
	for _, st := range sink.saves {
		if st != report.Live {
			t.Errorf("SaveReport got a %q report: the final report is saved through Ended only", st)
		}
	}
}

// TestSessionsEnd: the registry ends a call through the hangup its connector attached, from
// the call's start until it is released; a call attached nowhere is not found.
func TestSessionsEnd(t *testing.T) {
	ss := bot.NewSessions()
	if _, ok := ss.End(context.Background(), "iv", "test"); ok {
		t.Fatal("End found a call nobody attached")
	}
	clk := newClock()
	s := bot.NewSession("iv", report.Candidate{}, clk.now(), bot.Config{Sessions: ss}, nil, nil, clk.now)
	var (
		mu      sync.Mutex
		reasons []string
	)
	release := ss.Attach("iv", func(ctx context.Context, reason string) *report.Report {
		mu.Lock()
		reasons = append(reasons, reason)
		mu.Unlock()
		s.Event("ended", reason)
		return s.End(ctx, report.Final)
	})
	r, ok := ss.End(context.Background(), "iv", "The interview was ended through the API.")
	if !ok || r.State != report.Final {
		t.Fatalf("End: ok %v, report %+v", ok, r)
	}
	if _, listed := ss.Get("iv"); listed {
		t.Error("the ended session is still listed for challenges")
	}
	if len(reasons) != 1 || reasons[0] != "The interview was ended through the API." {
		t.Errorf("hangup reasons %q", reasons)
	}
	release()
	if _, ok := ss.End(context.Background(), "iv", "again"); ok {
		t.Error("End found a released call")
	}

	// A late release of an earlier call of the same id leaves the newer one attached.
	first := ss.Attach("iv2", func(context.Context, string) *report.Report { return nil })
	ss.Attach("iv2", func(context.Context, string) *report.Report { return &report.Report{State: report.Final} })
	first()
	if r, ok := ss.End(context.Background(), "iv2", "x"); !ok || r == nil {
		t.Error("releasing a replaced registration dropped the newer one")
	}

	var none *bot.Sessions // a nil registry attaches nothing and finds nothing
	none.Attach("iv", nil)()
	if _, ok := none.End(context.Background(), "iv", "x"); ok {
		t.Error("a nil registry found a call")
	}
}
