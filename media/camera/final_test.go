package camera

import (
	"strings"
	"testing"
	"time"
)

// A report read after the call must not say what the check is still waiting for.
func TestFinalWording(t *testing.T) {
	cases := []struct {
		name       string
		setup      func(a *Analyzer)
		live, done string // in the summary before and after Finish
	}{
		{"never joined", func(a *Analyzer) {}, "Not checked yet", "never joined"},
		{"joined without a picture", func(a *Analyzer) { a.TrackEvent(0, ParticipantJoined, "") }, "no picture yet", "no picture arrived"},
		{"too little picture", func(a *Analyzer) {
			a.TrackEvent(0, ParticipantJoined, "")
			for i := range 10 {
				a.Observe(newFrame(320, 240, time.Duration(i)*100*time.Millisecond))
			}
		}, "so far", "the call had only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Config{})
			tc.setup(a)
			live := a.Result(time.Second)
			if !strings.Contains(live.Summary, tc.live) || live.NextStep == "" {
				t.Fatalf("live: %q / %q; want %q and a next step", live.Summary, live.NextStep, tc.live)
			}
			a.Finish(time.Second)
			c := a.Result(time.Second)
			if !strings.Contains(c.Summary, tc.done) || strings.Contains(c.Summary, "yet") || strings.Contains(c.Summary, "so far") ||
				strings.Contains(c.NextStep, "Wait") || strings.Contains(c.NextStep, "Keep") {
				t.Fatalf("final: %q / %q; want %q and no waiting", c.Summary, c.NextStep, tc.done)
			}
			if c.Status != live.Status {
				t.Fatalf("Finish changed the status from %s to %s", live.Status, c.Status)
			}
		})
	}
}
