package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// TestChatDeleteOnlyFromItsChannel: /integrity delete ID typed in another Slack channel than
// the one the interview was created in is refused with what to do; typed in its channel, it
// deletes the interview (issue 15: the candidate's data).
func TestChatDeleteOnlyFromItsChannel(t *testing.T) {
	ctx := context.Background()
	cr, st := chatCreator(t)
	links, err := cr.CreateInterview(ctx, integrations.NewInterview{Candidate: report.Candidate{Name: "Chat Person"}, SlackChannel: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	answer, err := integrations.Invite(ctx, cr, "delete "+links.ID, integrations.NewInterview{SlackChannel: "C2"})
	if err != nil || !strings.Contains(answer, "created in another channel") {
		t.Fatalf("delete from another channel: %q, %v", answer, err)
	}
	if _, err := st.GetInterview(ctx, links.ID); err != nil {
		t.Fatalf("deleted from another channel: %v", err)
	}
	answer, err = integrations.Invite(ctx, cr, "delete "+links.ID, integrations.NewInterview{SlackChannel: "C1"})
	if err != nil || !strings.Contains(answer, "Deleted interview") {
		t.Fatalf("delete from its channel: %q, %v", answer, err)
	}
	if _, err := st.GetInterview(ctx, links.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
	if answer, _ := integrations.Invite(ctx, cr, "delete "+links.ID, integrations.NewInterview{SlackChannel: "C1"}); !strings.Contains(answer, "there is no interview") {
		t.Fatalf("second delete: %q", answer)
	}
}

// chatCreator is the chat commands' creator over a real interview service and SQLite store,
// both closed when the test ends.
func chatCreator(t *testing.T) (creator, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "data", "integritybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := interview.New(interview.Options{Store: st, Log: log, Rooms: &room.Config{IncludeLoopback: true},
		Links: interview.Linker{LinkTTL: time.Hour, ReportTTL: time.Hour, Signer: auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(ctx) })
	return creator{svc}, st
}
