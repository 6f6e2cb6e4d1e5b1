package slack

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
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
	return startWorkerWith(t, path, n, integrations.OutboxOptions{})
}

// startWorkerWith is startWorker with options (Snapshots); the route tells the interviewer
// (the interview's SlackUser) privately.
func startWorkerWith(t *testing.T, path string, n integrations.Notifier, opt integrations.OutboxOptions) *worker {
	t.Helper()
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{st: st}
	opt.Queue, opt.Log = st, slog.New(slog.DiscardHandler)
	opt.Routes = []integrations.Route{{Name: "slack", Notifier: n,
		Target:      func(iv store.Interview) (string, bool) { return iv.SlackChannel, iv.SlackChannel != "" },
		Interviewer: func(iv store.Interview) string { return iv.SlackUser }}}
	opt.ReportURL = func(id string) string { return "https://ib.example/r/" + id }
	opt.Poll, opt.MinBackoff, opt.MaxBackoff = 10*time.Millisecond, 10*time.Millisecond, 50*time.Millisecond
	w.out = integrations.NewOutbox(opt)
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

// TestOutageMidInterviewEditsSameMessage: the "in progress" message is posted; then Slack goes
// down while a live alert and the summary are queued, and the process restarts. The next
// process tells the interviewer privately, then edits the same channel message (alert, then
// summary) and replies in its thread: one message in the channel. If the message was
// deleted in the meantime, the alert posts a new one and the summary edits that.
func TestOutageMidInterviewEditsSameMessage(t *testing.T) {
	for _, deleted := range []bool{false, true} {
		t.Run(map[bool]string{false: "kept", true: "deleted"}[deleted], func(t *testing.T) {
			var mu sync.Mutex
			down := false
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
			if err := w.st.CreateInterview(t.Context(), store.Interview{ID: "iv-mid", Candidate: report.Candidate{Name: "Jane Doe"},
				CreatedAt: time.Now(), State: report.Live, SlackChannel: "C0HIRING", SlackUser: "U0INTERVIEWER"}); err != nil {
				t.Fatal(err)
			}
			live := finalReport("iv-mid")
			live.State, live.Coverage.VideoSeconds = report.Live, 40
			live.Checks = []report.Check{{ID: report.CheckReplay, Status: report.Pass, Summary: "Live video."}}
			if err := w.out.Observe(t.Context(), live); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the in-progress message", func() bool { p, _, _, _ := f.snapshot(); return len(p) == 1 })

			mu.Lock()
			down = true
			mu.Unlock()
			alert := *live
			alert.Checks = []report.Check{{ID: report.CheckReplay, Status: report.Fail, Summary: "The same 3-second stretch was shown 4 times."}}
			if err := w.out.Observe(t.Context(), &alert); err != nil {
				t.Fatal(err)
			}
			if err := w.out.Summary(t.Context(), finalReport("iv-mid")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "failed attempts", func() bool {
				es, _ := w.st.OutboxEntries(t.Context(), "iv-mid")
				failed := 0
				for _, e := range es {
					if e.State == store.OutboxPending && e.Attempts > 0 {
						failed++
					}
				}
				return failed >= 1 // the direct message (the channel's alert and the summary wait behind it)
			})
			w.stop()

			first := "1700000000.000001"
			if deleted {
				f.remove(first)
			}
			mu.Lock()
			down = false
			mu.Unlock()
			w = startWorker(t, path, n)
			waitFor(t, "every delivery after the restart", func() bool {
				es, _ := w.st.OutboxEntries(t.Context(), "iv-mid")
				for _, e := range es {
					if e.State != store.OutboxDelivered {
						return false
					}
				}
				return len(es) == 4
			})
			cm, ok, err := w.st.ChatMessage(t.Context(), "iv-mid", "slack", "C0HIRING")
			w.stop()

			posts, _, _, _ := f.snapshot()
			updates, opens := f.edits()
			var channel, thread, direct []url.Values
			for _, p := range posts {
				switch {
				case p.Get("channel") == "D0DIRECT":
					direct = append(direct, p)
				case p.Get("thread_ts") != "":
					thread = append(thread, p)
				default:
					channel = append(channel, p)
				}
			}
			if len(opens) != 1 || len(direct) != 1 || posts[1].Get("channel") != "D0DIRECT" {
				t.Errorf("direct messages %d (opens %d); want the interviewer told once, before the channel", len(direct), len(opens))
			}
			card := first
			if deleted {
				card = "1700000000.000003" // live, direct, then the re-posted message
			}
			wantChannel := map[bool]int{false: 1, true: 2}[deleted]
			if len(channel) != wantChannel || len(thread) != 1 || thread[0].Get("thread_ts") != card {
				t.Fatalf("channel posts %d, thread replies %v; want %d and one alert in thread %s", len(channel), thread, wantChannel, card)
			}
			if !ok || err != nil || cm.MessageID != "C0CHANNEL/"+card || cm.ThreadID != card {
				t.Errorf("stored message %+v, %v, %v; want %s", cm, ok, err, card)
			}
			last := updates[len(updates)-1]
			if last.Get("ts") != card || !strings.Contains(last.Get("blocks"), "Interview summary: Jane Doe") {
				t.Errorf("last edit %v; want the summary on %s", last, card)
			}
			for _, u := range updates {
				if u.Get("ts") != card {
					t.Errorf("an edit went to %s, not the interview's message %s", u.Get("ts"), card)
				}
			}
		})
	}
}
