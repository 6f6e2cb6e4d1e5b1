package main

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/integrations/discord"
	"github.com/integritybot/integritybot/integrations/slack"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// TestChatDeleteSlashCommands: /integrity delete through Slack's and Discord's real command
// handlers (signed HTTP requests, parsed by slack-go and discordgo) reaches the interview service:
// refused from another channel, the interview deleted from its own, then unknown.
func TestChatDeleteSlashCommands(t *testing.T) {
	ctx := context.Background()
	cr, st := chatCreator(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	const slackSecret = "slack-signing-secret-0123"
	sl := slack.NewCommands(slack.Config{SigningSecret: slackSecret, APIURL: slack.DefaultAPIURL}, cr, log)
	slackCmd := func(channel, text string) string {
		body := url.Values{"command": {"/integrity"}, "channel_id": {channel}, "team_id": {"T1"}, "user_id": {"U1"}, "text": {text}}.Encode()
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(slackSecret))
		fmt.Fprintf(mac, "v0:%s:%s", ts, body)
		r := httptest.NewRequest("POST", "/slack/commands", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
		w := httptest.NewRecorder()
		sl.ServeHTTP(w, r)
		var rep struct{ Text string }
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != http.StatusOK {
			t.Fatalf("slack: HTTP %d %s", w.Code, w.Body)
		}
		return rep.Text
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	dc := discord.NewCommands(discord.Config{PublicKey: hex.EncodeToString(pub), APIURL: discord.DefaultAPIURL}, cr, log)
	discordCmd := func(channel, id string) string {
		body := `{"id":"1","application_id":"2","type":2,"token":"t","channel_id":"` + channel +
			`","data":{"id":"3","name":"integrity","type":1,"options":[{"name":"delete","type":3,"value":"` + id + `"}]}}`
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r := httptest.NewRequest("POST", "/discord/interactions", strings.NewReader(body))
		r.Header.Set("X-Signature-Timestamp", ts)
		r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(ts+body))))
		w := httptest.NewRecorder()
		dc.ServeHTTP(w, r)
		var resp struct{ Data struct{ Content string } }
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != http.StatusOK {
			t.Fatalf("discord: HTTP %d %s", w.Code, w.Body)
		}
		return resp.Data.Content
	}

	for _, tc := range []struct {
		platform    string
		where       integrations.NewInterview
		here, other string
		run         func(channel, id string) string
	}{
		{"slack", integrations.NewInterview{SlackChannel: "C1"}, "C1", "C2", func(ch, id string) string { return slackCmd(ch, "delete "+id) }},
		{"discord", integrations.NewInterview{DiscordChannel: "1001"}, "1001", "1002", discordCmd},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			tc.where.Candidate = report.Candidate{Name: "Chat Person"}
			links, err := cr.CreateInterview(ctx, tc.where)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.run(tc.other, links.ID); !strings.Contains(got, "created in another channel") {
				t.Fatalf("from another channel: %q", got)
			}
			if _, err := st.GetInterview(ctx, links.ID); err != nil {
				t.Fatalf("deleted from another channel: %v", err)
			}
			if got := tc.run(tc.here, links.ID); !strings.Contains(got, "Deleted interview "+links.ID) {
				t.Fatalf("from its channel: %q", got)
			}
			if _, err := st.GetInterview(ctx, links.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("after delete: %v, want ErrNotFound", err)
			}
			if got := tc.run(tc.here, links.ID); !strings.Contains(got, "there is no interview") {
				t.Fatalf("again: %q", got)
			}
		})
	}
}
