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
