package store

import (
	"errors"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

func TestChatMessage(t *testing.T) { eachBackend(t, testChatMessage) }

// testChatMessage: the message of an interview is recorded, read back after a reopen-free
// round trip, replaced (a deleted message re-posted), refused for a missing interview, and
// deleted with the interview; the interviewer's chat users come back with the interview.
func testChatMessage(t *testing.T, db testDB) {
	s := db.open(t)
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	if err := s.CreateInterview(ctx, Interview{ID: "a", Candidate: report.Candidate{Name: "A"}, CreatedAt: now,
		State: report.Live, SlackChannel: "C1", SlackUser: "U0INTERVIEWER", DiscordUser: "4242"}); err != nil {
		t.Fatal(err)
	}
	iv, err := s.GetInterview(ctx, "a")
	if err != nil || iv.SlackUser != "U0INTERVIEWER" || iv.DiscordUser != "4242" {
		t.Fatalf("GetInterview = %+v, %v; want the interviewer's chat users", iv, err)
	}
	if _, ok, err := s.ChatMessage(ctx, "a", "slack", "C1"); ok || err != nil {
		t.Fatalf("ChatMessage before any post = %v, %v; want none", ok, err)
	}
	first := ChatMessage{InterviewID: "a", Notifier: "slack", Target: "C1", MessageID: "C1/1.0001", ThreadID: "1.0001", UpdatedAt: now}
	if err := s.SetChatMessage(ctx, first); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.ChatMessage(ctx, "a", "slack", "C1")
	if !ok || err != nil || got != first {
		t.Fatalf("ChatMessage = %+v, %v, %v; want %+v", got, ok, err, first)
	}
	if _, ok, _ := s.ChatMessage(ctx, "a", "discord", "C1"); ok {
		t.Error("a Slack message answers for Discord")
	}
	again := first
	again.MessageID, again.ThreadID, again.UpdatedAt = "C1/2.0002", "2.0002", now.Add(time.Minute)
	if err := s.SetChatMessage(ctx, again); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.ChatMessage(ctx, "a", "slack", "C1"); got != again {
		t.Fatalf("after re-post ChatMessage = %+v; want %+v", got, again)
	}
	if err := s.SetChatMessage(ctx, ChatMessage{InterviewID: "gone", Notifier: "slack", MessageID: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetChatMessage for a missing interview = %v; want ErrNotFound", err)
	}
	if err := s.DeleteInterview(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ChatMessage(ctx, "a", "slack", "C1"); ok || err != nil {
		t.Errorf("ChatMessage after delete = %v, %v; want none", ok, err)
	}
}
