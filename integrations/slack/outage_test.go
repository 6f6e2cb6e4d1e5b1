package slack

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// worker runs an Outbox over a store until stopped (a "process" for restart tests).
type worker struct {
	st     *store.Store
	out    *integrations.Outbox
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startWorker(t *testing.T, path string, n integrations.Notifier) *worker {
	t.Helper()
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{st: st}
	w.out = integrations.NewOutbox(integrations.OutboxOptions{Queue: st, Log: slog.New(slog.DiscardHandler),
		Routes: []integrations.Route{{Name: "slack", Notifier: n,
			Target: func(iv store.Interview) (string, bool) { return iv.SlackChannel, iv.SlackChannel != "" }}},
		ReportURL: func(id string) string { return "https://ib.example/r/" + id },
		Poll:      10 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.wg.Go(func() { w.out.Run(ctx) })
	return w
}

func (w *worker) stop() {
	w.cancel()
	w.wg.Wait()
	_ = w.st.Close()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline, not synchronisation by sleep
	}
}

func finalReport(id string) *report.Report {
	r := testReport(false)
	r.InterviewID = id
	return r
}

func createInterview(t *testing.T, st *store.Store, id string) {
	t.Helper()
	if err := st.CreateInterview(t.Context(), store.Interview{ID: id, Candidate: report.Candidate{Name: "Jane Doe"},
		CreatedAt: time.Now(), State: report.Final, SlackChannel: "C0HIRING"}); err != nil {
		t.Fatal(err)
	}
}

// TestOutageDelaysNeverDrops: Slack answers 500 twice, then 429 with Retry-After: 1; the
// summary arrives exactly once, after at least the asked second.
func TestOutageDelaysNeverDrops(t *testing.T) {
	var mu sync.Mutex
	var limitedAt, okAt time.Time
	f := &fakeSlack{}
	f.fail = func(method string, attempt int) (int, http.Header, string) {
		switch {
		case method != "chat.postMessage":
		case attempt <= 2:
			return 500, nil, "down"
		case attempt == 3:
			mu.Lock()
			limitedAt = time.Now()
			mu.Unlock()
			return 429, http.Header{"Retry-After": {"1"}}, ""
		default:
			mu.Lock()
			okAt = time.Now()
			mu.Unlock()
		}
		return 0, nil, ""
	}
	s := startSlack(t, f)
	path := filepath.Join(t.TempDir(), "ib.db")
	w := startWorker(t, path, New(Config{BotToken: botToken, APIURL: s.GetAPIURL()}))
	defer w.stop()
	createInterview(t, w.st, "iv-outage")
	if err := w.out.Summary(t.Context(), finalReport("iv-outage")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool {
		e, _ := w.st.OutboxEntries(t.Context(), "iv-outage")
		return len(e) == 1 && e[0].State == store.OutboxDelivered
	})
	// Queue it again (a replayed Ended): deduplicated, never posted twice.
	if err := w.out.Summary(t.Context(), finalReport("iv-outage")); err != nil {
		t.Fatal(err)
	}
	w.out.Kick()
	posts, _, _, attempts := f.snapshot()
	if len(posts) != 1 || attempts != 4 {
		t.Fatalf("posts %d, attempts %d; want 1 and 4", len(posts), attempts)
	}
	mu.Lock()
	defer mu.Unlock()
	if okAt.Sub(limitedAt) < time.Second {
		t.Errorf("retried %v after a 429 asking for 1s", okAt.Sub(limitedAt))
	}
	e, _ := w.st.OutboxEntries(t.Context(), "iv-outage")
	if e[0].Attempts != 4 || e[0].MessageID != "C0CHANNEL/1700000000.000001" {
		t.Errorf("entry = %+v", e[0])
	}
}

// TestRestartDuringOutage: the first process fails against a down Slack and stops; the
// second (store reopened) delivers exactly once; a third finds nothing to post.
func TestRestartDuringOutage(t *testing.T) {
	var mu sync.Mutex
	down := true
	f := &fakeSlack{}
	f.fail = func(method string, _ int) (int, http.Header, string) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return 503, nil, "down"
		}
		return 0, nil, ""
	}
	s := startSlack(t, f)
	n := New(Config{BotToken: botToken, APIURL: s.GetAPIURL()})
	path := filepath.Join(t.TempDir(), "ib.db")

	w := startWorker(t, path, n)
	createInterview(t, w.st, "iv-restart")
	if err := w.out.Summary(t.Context(), finalReport("iv-restart")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failed attempts", func() bool { _, _, _, a := f.snapshot(); return a >= 2 })
	w.stop()

	mu.Lock()
	down = false
	mu.Unlock()
	w = startWorker(t, path, n)
	waitFor(t, "delivery after restart", func() bool {
		e, _ := w.st.OutboxEntries(t.Context(), "iv-restart")
		return len(e) == 1 && e[0].State == store.OutboxDelivered
	})
	w.stop()

	w = startWorker(t, path, n)
	if err := w.out.Summary(t.Context(), finalReport("iv-restart")); err != nil { // replayed after restart
		t.Fatal(err)
	}
	w.stop()
	if posts, _, _, _ := f.snapshot(); len(posts) != 1 {
		t.Fatalf("%d posts, want exactly 1", len(posts))
	}
}
