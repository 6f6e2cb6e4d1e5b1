package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// TestChatCreatorKeepsInterviewer: an interview created from chat stores who typed
// /integrity new (the Slack and Discord user), so the outbox can tell them of live alerts
// in a direct message before the channel (issue 18).
func TestChatCreatorKeepsInterviewer(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "data", "integritybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := interview.New(interview.Options{Store: st, Log: log, Rooms: &room.Config{IncludeLoopback: true},
		Links: interview.Linker{LinkTTL: time.Hour, ReportTTL: time.Hour, Signer: auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now)}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(ctx)
	cr := creator{svc}
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
