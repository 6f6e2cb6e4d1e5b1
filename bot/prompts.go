package bot

import (
	"time"

	"github.com/integritybot/integritybot/media/liveness"
)

// Prompt is one step of the liveness challenge a connector shows the candidate: the step
// (internal/report's words), what the candidate is asked to do, and how long its window
// lasts. The connector records each window with Session.Challenge.
type Prompt struct {
	Step string
	Text string
	Hold time.Duration
}

// Prompts returns the challenge sequence in order. It is the liveness check's script
// (media/liveness.Sequence), handed to connectors here so that none imports the check.
func Prompts() []Prompt {
	seq := liveness.Sequence()
	out := make([]Prompt, len(seq))
	for i, p := range seq {
		out[i] = Prompt{Step: p.Step, Text: p.Text, Hold: p.Hold}
	}
	return out
}

// PromptText returns the text of step's prompt and whether the sequence has step (a custom
// challenge has no prompt of its own).
func PromptText(step string) (string, bool) { return liveness.Text(step) }
