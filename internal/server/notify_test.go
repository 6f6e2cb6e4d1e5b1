package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/store"
)

func notifyEnv(t *testing.T, handlers map[string]http.Handler) (*server.Server, *store.Store, *httptest.Server) {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "ib.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	signer := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	svc, _ := newInterviews(t, st, signer, "http://example.test")
	s := server.New(server.Options{Store: st, Signer: signer,
		APIToken: apiToken, Interviews: svc,
		Log: slog.New(slog.DiscardHandler), Handlers: handlers})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, st, hs
}

func TestCreateWithNotifyAndDelivery(t *testing.T) {
	_, st, hs := notifyEnv(t, nil)
	req, _ := http.NewRequest("POST", hs.URL+"/api/interviews", strings.NewReader(
		`{"candidate":{"name":"Jane Doe"},"notify":{"slack_channel":"C0HIRING","discord_channel_id":"123456"}}`))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var cr server.CreateResponse
	_ = json.NewDecoder(resp.Body).Decode(&cr)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	iv, err := st.GetInterview(t.Context(), cr.ID)
	if err != nil || iv.SlackChannel != "C0HIRING" || iv.DiscordChannel != "123456" {
		t.Fatalf("interview = %+v, %v", iv, err)
	}
	now := time.Now()
	if _, err := st.Enqueue(t.Context(), store.OutboxEntry{Key: cr.ID + "/slack/summary", InterviewID: cr.ID, Notifier: "slack",
		Target: "C0HIRING", Kind: "summary", Payload: []byte(`{}`), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkRetry(t.Context(), 1, now.Add(time.Minute), "slack: post message: slack server error: 503", "", ""); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest("GET", hs.URL+"/api/interviews/"+cr.ID+"/report", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Schema   string            `json:"schema"`
		Delivery []server.Delivery `json:"delivery"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if out.Schema != report.Schema || len(out.Delivery) != 1 {
		t.Fatalf("report = %+v", out)
	}
	d := out.Delivery[0]
	if d.Notifier != "slack" || d.State != "pending" || d.Attempts != 1 || d.NextAttemptAt == nil || !strings.Contains(d.LastError, "503") {
		t.Errorf("delivery = %+v", d)
	}
}

func TestExtraHandlersMounted(t *testing.T) {
	_, _, hs := notifyEnv(t, map[string]http.Handler{"POST /slack/commands": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "slack")
	})})
	resp, err := http.Post(hs.URL+"/slack/commands", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "slack" {
		t.Errorf("POST /slack/commands = %d %q", resp.StatusCode, b)
	}
}
