package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
)

// savedReports is a ReportSink that keeps the last report saved.
type savedReports struct {
	mu   sync.Mutex
	last *report.Report
}

func (s *savedReports) SaveReport(_ context.Context, r *report.Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = r
	return nil
}

func challenges(r *report.Report) []string {
	var out []string
	for _, ev := range r.Timeline {
		if ev.Kind == "challenge" {
			out = append(out, ev.Detail)
		}
	}
	return out
}

// TestChallengeAfterEnd is the interleaving behind a mark that got a success reply yet is
// missing from the final report: the API found the running session, the call ended (its
// final report saved), then the mark reached the session. The late mark must be refused, so
// the caller hears the call ended, and the saved final report stays the one returned by End.
func TestChallengeAfterEnd(t *testing.T) {
	clk := newClock()
	sink := &savedReports{}
	s := bot.NewSession("iv", report.Candidate{}, clk.now(), bot.Config{}, sink, nil, clk.now)
	found := s // what POST /api/interviews/{id}/challenge finds first, in the call registry
	clk.add(10 * time.Second)
	if err := found.Challenge("hand", "before the end", 10*time.Second, 14*time.Second); err != nil {
		t.Fatalf("mark during the call: %v", err)
	}
	final := s.End(context.Background(), report.Final)
	if err := found.Challenge("turn_left", "after the end", 11*time.Second, 15*time.Second); !errors.Is(err, bot.ErrEnded) {
		t.Fatalf("mark after the end: err %v, want ErrEnded", err)
	}
	if got := challenges(final); len(got) != 1 || got[0] != "before the end" {
		t.Errorf("final report's challenges %q, want the one marked before the end", got)
	}
	if got := challenges(sink.last); len(got) != 1 || got[0] != "before the end" {
		t.Errorf("saved final report's challenges %q", got)
	}
	if again := challenges(s.Report(report.Final)); len(again) != 1 {
		t.Errorf("the ended session's report changed after End: %q", again)
	}
}

// TestChallengeRacesEnd marks challenges from several goroutines while the call ends: every
// mark that was accepted is in the saved final report, and every one refused says ErrEnded.
// It holds for every interleaving, so the scheduler cannot make it flaky.
func TestChallengeRacesEnd(t *testing.T) {
	clk := newClock()
	sink := &savedReports{}
	s := bot.NewSession("iv", report.Candidate{}, clk.now(), bot.Config{}, sink, nil, clk.now)
	const marks = 200
	accepted := make(chan string, marks)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			<-start
			for i := range marks / 4 {
				detail := "mark " + string(rune('a'+g)) + strings.Repeat("|", i)
				switch err := s.Challenge("hand", detail, time.Second, 2*time.Second); {
				case err == nil:
					accepted <- detail
				case !errors.Is(err, bot.ErrEnded):
					t.Errorf("mark: %v", err)
				}
			}
		})
	}
	close(start)
	final := s.End(context.Background(), report.Final)
	wg.Wait()
	close(accepted)
	inFinal := map[string]bool{}
	for _, d := range challenges(sink.last) {
		inFinal[d] = true
	}
	n := 0
	for d := range accepted {
		n++
		if !inFinal[d] {
			t.Errorf("mark %q was accepted but is not in the saved final report", d)
		}
	}
	if len(inFinal) != n || len(challenges(final)) != n {
		t.Errorf("%d marks accepted, %d in the saved report, %d in End's", n, len(inFinal), len(challenges(final)))
	}
}
