package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"

	"github.com/integritybot/integritybot/internal/report"
)

// TestSocketModeSlashCommand runs /integrity through the real socketmode client against
// slacktest, whose apps.connections.open points at a websocket speaking Socket Mode:
// hello, a slash_commands envelope, and the client's ack carrying the ephemeral answer.
func TestSocketModeSlashCommand(t *testing.T) {
	acks := make(chan map[string]any, 1)
	s := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+appToken {
				_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
				return
			}
			_, _ = w.Write([]byte(`{"ok":true,"url":"ws://` + r.Host + `/socket"}`))
		})
		c.Handle("/socket", slacktest.Websocket(func(conn *websocket.Conn) {
			_ = conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1})
			_ = conn.WriteJSON(map[string]any{"type": "slash_commands", "envelope_id": "env-1", "accepts_response_payload": true,
				"payload": map[string]any{"command": "/integrity", "channel_id": "C0HIRING", "user_id": "U1",
					"text": `new "Jane Doe" location:"Austin, TX" tz:America/Chicago`}})
			for {
				var m map[string]any
				if err := conn.ReadJSON(&m); err != nil {
					return
				}
				if m["envelope_id"] == "env-1" {
					acks <- m
				}
			}
		}))
	})
	s.Start()
	defer s.Stop()

	fc := &fakeCreator{}
	c := NewCommands(Config{BotToken: botToken, AppToken: appToken, APIURL: s.GetAPIURL()}, fc, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.RunSocketMode(ctx) }()
	var ack map[string]any
	select {
	case ack = <-acks:
	case <-time.After(10 * time.Second):
		t.Fatal("no ack for the slash command")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunSocketMode did not return after cancel")
	}
	b, _ := json.Marshal(ack["payload"])
	var rep reply
	_ = json.Unmarshal(b, &rep)
	if rep.ResponseType != "ephemeral" || !strings.Contains(rep.Text, "https://ib.example/c/cand") || !strings.Contains(rep.Text, "https://ib.example/i/int") {
		t.Errorf("ack payload = %s", b)
	}
	if len(fc.got) != 1 || fc.got[0].SlackChannel != "C0HIRING" ||
		fc.got[0].Candidate != (report.Candidate{Name: "Jane Doe", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"}) {
		t.Errorf("created %+v", fc.got)
	}
}
