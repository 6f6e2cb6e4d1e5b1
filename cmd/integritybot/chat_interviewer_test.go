package main

import (
	"context"
	"testing"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// TestChatCreatorKeepsInterviewer: an interview created from chat stores who typed
// /integrity new (the Slack and Discord user), so the outbox can tell them of live alerts
// in a direct message before the channel (issue 18).
func TestChatCreatorKeepsInterviewer(t *testing.T) {
	ctx := context.Background()
	cr, st := chatCreator(t)
	for _, in := range []integrations.NewInterview{
		{SlackChannel: "C1", SlackUser: "U0INTERVIEWER"},
		{DiscordChannel: "1001", DiscordUser: "4242"},
	} {
		in.Candidate = report.Candidate{Name: "Chat Person"}
		links, err := cr.CreateInterview(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		iv, err := st.GetInterview(ctx, links.ID)
		if err != nil || iv.SlackUser != in.SlackUser || iv.DiscordUser != in.DiscordUser ||
			iv.SlackChannel != in.SlackChannel || iv.DiscordChannel != in.DiscordChannel {
			t.Errorf("created from %+v: stored %+v, %v", in, iv, err)
		}
	}
}
