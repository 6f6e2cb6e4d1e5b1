package report

import "slices"

// Challenge steps: what a liveness challenge asks of the candidate, as the hosted room's page
// (docs/protocol.md), POST /api/interviews/{id}/challenge, `analyze --challenge` and the
// report's timeline name them. media/liveness scores them.
const (
	StepTurnLeft  = "turn_left"
	StepTurnRight = "turn_right"
	StepHand      = "hand"
	StepCloser    = "closer"
	// StepCustom is a challenge the interviewer asked for in their own words: what the face
	// did is described, not judged.
	StepCustom = "custom"
)

// ChallengeSteps returns every challenge step: the hosted room's, in its order, then custom.
func ChallengeSteps() []string {
	return []string{StepTurnLeft, StepTurnRight, StepHand, StepCloser, StepCustom}
}

// IsChallengeStep reports whether step is one of ChallengeSteps.
func IsChallengeStep(step string) bool { return slices.Contains(ChallengeSteps(), step) }
