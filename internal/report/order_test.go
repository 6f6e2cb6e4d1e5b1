package report

import "testing"

func TestCheckRank(t *testing.T) {
	ids := []string{CheckCamera, CheckFace, CheckFaceSwap, CheckReplay, CheckLiveness, CheckVirtualCamera, CheckTimezone, CheckNetwork}
	for want, id := range ids {
		if got, ok := CheckRank(id); got != want || !ok {
			t.Errorf("CheckRank(%q) = %d, %v; want %d, true", id, got, ok, want)
		}
	}
	if got, ok := CheckRank("pulse"); got != len(ids) || ok {
		t.Errorf("CheckRank of an unknown id = %d, %v; want %d, false", got, ok, len(ids))
	}
}

func TestChallengeSteps(t *testing.T) {
	for _, s := range []string{"turn_left", "turn_right", "hand", "closer", "custom"} {
		if !IsChallengeStep(s) {
			t.Errorf("%q is not a challenge step", s)
		}
	}
	if IsChallengeStep("wave") || IsChallengeStep("") {
		t.Error("an unknown step is accepted")
	}
}
