package bot

import (
	"testing"

	"github.com/integritybot/integritybot/internal/report"
)

// TestPrompts: the connectors' prompt sequence is the liveness check's, in the report's
// step words, each with a text and a window; a custom challenge has no prompt.
func TestPrompts(t *testing.T) {
	ps := Prompts()
	if len(ps) != len(report.ChallengeSteps())-1 {
		t.Fatalf("%d prompts, want every challenge step but custom", len(ps))
	}
	for i, p := range ps {
		if p.Step != report.ChallengeSteps()[i] || p.Text == "" || p.Hold <= 0 {
			t.Errorf("prompt %d = %+v", i, p)
		}
		if text, ok := PromptText(p.Step); !ok || text != p.Text {
			t.Errorf("PromptText(%s) = %q, %v", p.Step, text, ok)
		}
	}
	if _, ok := PromptText(report.StepCustom); ok {
		t.Error("custom has a prompt text")
	}
}
