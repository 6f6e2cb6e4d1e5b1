package slack

import (
	"strings"
	"testing"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// TestFallbackEscapesCandidateText: the notification text (shown in push notifications and
// parsed as mrkdwn) carries no link or mention markup from the candidate.
func TestFallbackEscapesCandidateText(t *testing.T) {
	evil := "<https://phish.example|Verify here> <!channel> https://phish.example"
	r := &report.Report{InterviewID: "iv", Overall: report.StrongConcerns, Candidate: report.Candidate{Name: evil},
		Checks: []report.Check{{ID: report.CheckReplay, Status: report.Fail, Summary: evil}}}
	for _, kind := range []integrations.Kind{integrations.Summary, integrations.Alert} {
		_, text := Blocks(integrations.Render(integrations.Message{Kind: kind, Check: report.CheckReplay, Report: r}))
		if strings.ContainsAny(text, "<>") || strings.Contains(text, "https://") {
			t.Errorf("%s fallback = %q", kind, text)
		}
	}
}
