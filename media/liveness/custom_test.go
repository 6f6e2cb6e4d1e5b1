package liveness

import (
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// TestCustom: a custom window (marked through the API) is described with what the face did,
// never judged; alone it leaves the check unknown, beside judged prompts it does not count.
func TestCustom(t *testing.T) {
	lost := func(at time.Duration) scene {
		sc := still(at)
		if at >= 6*time.Second && at < 7*time.Second {
			sc.face = false
		}
		return sc
	}
	for _, tc := range []struct {
		name   string
		steps  []string
		length time.Duration
		status report.Status
		want   string
	}{
		{"alone", []string{Custom}, 30 * time.Second, report.Unknown, "1 custom challenge(s) were marked"},
		{"beside a closer prompt", []string{Custom, Closer}, 30 * time.Second, report.Warn, "1 of 1 prompt(s)"}, // the still face did not come closer
		{"beside a prompt still running", []string{Custom, TurnLeft}, 17 * time.Second, report.Unknown, "is running: 1 prompt(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ff := &fakeFaces{}
			a := New(Config{}, ff)
			for i, s := range tc.steps {
				from := 5*time.Second + time.Duration(i)*10*time.Second
				a.Challenge(s, from, from+4*time.Second)
			}
			play(a, ff, 0, tc.length, lost)
			c := a.Result(tc.length)
			if c.Status != tc.status || len(c.Evidence) != len(tc.steps) || !strings.Contains(c.Summary, tc.want) {
				t.Fatalf("%s: %s %+v", c.Status, c.Summary, c.Evidence)
			}
			e := c.Evidence[0]
			if e.Kind != kindObserved || e.Snapshot != "" || !strings.Contains(e.Detail, "it was lost for 1.0 s from 1.2 s after the prompt") ||
				!strings.Contains(e.Detail, "not judged") {
				t.Errorf("custom evidence: %+v", e)
			}
		})
	}
}
