package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/check"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/liveness"
)

// noFaces is a liveness.Faces that never saw a face.
type noFaces struct{}

func (noFaces) Recent(dst []face.Detection, _ int) []face.Detection { return dst }

// liveOnly are phrases that are true only while a call runs.
var liveOnly = []string{"yet", "Wait for", "so far", "during the call;", "press Liveness check", "has not"}

// The final report of a call the candidate never joined says what the call gave, with no
// sentence still waiting for something; the live report of the same call did wait.
func TestFinalReportWording(t *testing.T) {
	start := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	cand := report.Candidate{Name: "Jane Doe", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"}
	s := bot.NewSession("t", cand, start, bot.Config{NewAnalyzers: func() []bot.Analyzer {
		return []bot.Analyzer{liveness.New(liveness.Config{}, noFaces{})}
	}}, nil, nil, clock)
	for _, c := range check.NewMeta(check.Env{}, cand, start).Checks() {
		s.AddCheck(c)
	}
	now = start.Add(90 * time.Second)

	waiting := 0
	for _, c := range s.Report(report.Live).Checks {
		for _, p := range liveOnly {
			if strings.Contains(c.Summary+" "+c.NextStep, p) {
				waiting++
				break
			}
		}
	}
	if waiting < 4 {
		t.Fatalf("only %d live checks say they are waiting; the test would prove nothing", waiting)
	}

	r := s.End(context.Background(), report.Final)
	if len(r.Checks) != 5 {
		t.Fatalf("%d checks, want camera, liveness, timezone, network, virtual_camera", len(r.Checks))
	}
	for _, c := range r.Checks {
		for _, p := range liveOnly {
			if strings.Contains(c.Summary, p) || strings.Contains(c.NextStep, p) {
				t.Errorf("final %s says %q: %q / %q", c.ID, p, c.Summary, c.NextStep)
			}
		}
		if c.Status != report.Unknown || !strings.HasPrefix(c.Summary, "Not checked") {
			t.Errorf("final %s: %s %q; want unknown, starting \"Not checked\"", c.ID, c.Status, c.Summary)
		}
	}
}
