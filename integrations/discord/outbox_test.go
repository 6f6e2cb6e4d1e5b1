package discord

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// runOutbox runs an outbox over the store at path with n until the returned stop is called
// (one "process" of a restart test); the route tells the interviewer (DiscordUser) first.
func runOutbox(t *testing.T, path string, n integrations.Notifier) (*store.Store, *integrations.Outbox, func()) {
	t.Helper()
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	o := integrations.NewOutbox(integrations.OutboxOptions{Queue: st, Log: slog.New(slog.DiscardHandler),
		Routes: []integrations.Route{{Name: "discord", Notifier: n,
			Target:      func(iv store.Interview) (string, bool) { return iv.DiscordChannel, iv.DiscordChannel != "" },
			Interviewer: func(iv store.Interview) string { return iv.DiscordUser }}},
		Poll: 10 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { o.Run(ctx) })
	return st, o, func() { cancel(); wg.Wait(); _ = st.Close() }
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline, not synchronisation by sleep
	}
}

// TestOutageMidInterviewEditsSameMessage: the "in progress" message is posted; Discord then
// answers 503 while a live alert and the summary are queued, and the process restarts. The
// next process tells the interviewer in a direct message, then edits the same channel message
// (alert, then summary) and posts the alert in the thread started from it: one message in
// the channel.
func TestOutageMidInterviewEditsSameMessage(t *testing.T) {
	var mu sync.Mutex
	down := false
	f := &fakeDiscord{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		d := down
		mu.Unlock()
		if d {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		f.ServeHTTP(w, r)
	}))
	defer srv.Close()
	n := New(Config{BotToken: botToken, APIURL: DefaultAPIURL}, WithHTTPClient(&http.Client{Transport: redirect{to: srv.URL}}))
	path := filepath.Join(t.TempDir(), "ib.db")

	st, out, stop := runOutbox(t, path, n)
	if err := st.CreateInterview(t.Context(), store.Interview{ID: "iv", Candidate: report.Candidate{Name: "Jane Doe"},
		CreatedAt: time.Now(), State: report.Live, DiscordChannel: "100", DiscordUser: "4242"}); err != nil {
		t.Fatal(err)
	}
	live := testReport(false)
	live.InterviewID, live.State, live.Coverage.VideoSeconds = "iv", report.Live, 40
	live.Checks = []report.Check{{ID: report.CheckReplay, Status: report.Pass, Summary: "Live video."}}
	if err := out.Observe(t.Context(), live); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the in-progress message", func() bool { return len(f.all()) == 1 })

	mu.Lock()
	down = true
	mu.Unlock()
	alert := *live
	alert.Checks = []report.Check{{ID: report.CheckReplay, Status: report.Fail, Summary: "The same 3-second stretch was shown 4 times."}}
	if err := out.Observe(t.Context(), &alert); err != nil {
		t.Fatal(err)
	}
	final := testReport(false)
	final.InterviewID = "iv"
	if err := out.Summary(t.Context(), final); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a failed attempt", func() bool {
		es, _ := st.OutboxEntries(t.Context(), "iv")
		for _, e := range es {
			if e.State == store.OutboxPending && e.Attempts > 0 {
				return true
			}
		}
		return false
	})
	stop()

	mu.Lock()
	down = false
	mu.Unlock()
	st, _, stop = runOutbox(t, path, n)
	waitUntil(t, "every delivery after the restart", func() bool {
		es, _ := st.OutboxEntries(t.Context(), "iv")
		for _, e := range es {
			if e.State != store.OutboxDelivered {
				return false
			}
		}
		return len(es) == 4
	})
	cm, ok, err := st.ChatMessage(t.Context(), "iv", "discord", "100")
	stop()

	var got []string
	for _, p := range f.all() {
		got = append(got, p.Method+" "+p.Path)
	}
	want := []string{
		"POST /api/v9/channels/100/messages",              // in progress
		"POST /api/v9/users/@me/channels",                 // after the restart: the interviewer first
		"POST /api/v9/channels/700/messages",              //   (direct message)
		"PATCH /api/v9/channels/100/messages/9001",        // the alert edits the message
		"POST /api/v9/channels/100/messages/9001/threads", //   starts its thread
		"POST /api/v9/channels/9001/messages",             //   and posts there
		"PATCH /api/v9/channels/100/messages/9001",        // the summary edits it
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !ok || err != nil || cm.MessageID != "9001" || cm.ThreadID != "9001" {
		t.Errorf("stored message %+v, %v, %v; want 9001 with its thread", cm, ok, err)
	}
	if e := embedOf(t, f.all()[6]); e.Title != "Interview summary: Jane Doe" {
		t.Errorf("last edit %q; want the summary", e.Title)
	}
}
