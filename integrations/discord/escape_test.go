package discord

import (
	"strings"
	"testing"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// TestEmbedEscapesCandidateText: a candidate's name, claims or camera label cannot put a
// link or markdown into the hiring channel.
func TestEmbedEscapesCandidateText(t *testing.T) {
	evil := "[Verify here](https://phish.example/login) **urgent** https://phish.example"
	r := &report.Report{InterviewID: "iv", Overall: report.Review,
		Candidate: report.Candidate{Name: evil, ClaimedLocation: evil},
		Checks:    []report.Check{{ID: report.CheckVirtualCamera, Status: report.Warn, Summary: `Camera "` + evil + `" is OBS.`, NextStep: evil}}}
	e := Embed(integrations.Render(integrations.Message{Kind: integrations.Summary, Report: r}), "")
	all := e.Title + "\n" + e.Description
	for _, f := range e.Fields {
		all += "\n" + f.Value
	}
	for _, bad := range []string{"](https://", "https://phish", "**urgent**"} {
		if strings.Contains(all, bad) {
			t.Errorf("embed carries %q:\n%s", bad, all)
		}
	}
	if !strings.Contains(all, `\[Verify here\]`) {
		t.Errorf("escaped text missing:\n%s", all)
	}
}
