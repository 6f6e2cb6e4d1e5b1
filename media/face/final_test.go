package face

import (
	"strings"
	"testing"
	"time"
)

// A report read after the call must not say what the check is still waiting for.
func TestFinalWording(t *testing.T) {
	a := newTest(t, Config{})
	if c := a.Result(time.Second); !strings.Contains(c.Summary, "yet") || !strings.Contains(c.NextStep, "Wait") {
		t.Fatalf("live, no video: %q / %q", c.Summary, c.NextStep)
	}
	a.Finish(time.Second)
	c := a.Result(time.Second)
	if c.Summary != "Not checked: no video arrived during the call." || c.NextStep != "" {
		t.Fatalf("final, no video: %q / %q", c.Summary, c.NextStep)
	}
}
