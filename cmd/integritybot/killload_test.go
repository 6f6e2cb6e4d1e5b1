package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/loadgen"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
)

// hookReceiver is the chat tool at the other end of the generic webhook: while down it
// answers 503 (Slack or Discord in an outage); up, it takes each notification and counts
// the requests per Idempotency-Key and the summaries per interview.
type hookReceiver struct {
	up atomic.Bool
	mu sync.Mutex
	// byKey counts requests per Idempotency-Key; summaries counts distinct summary keys
	// per interview, with the report state each summary carried.
	byKey     map[string]int
	summaries map[string][]report.State
	refused   int
}

func newHookReceiver() *hookReceiver {
	return &hookReceiver{byKey: map[string]int{}, summaries: map[string][]report.State{}}
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.up.Load() {
		h.refused++
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	var n struct {
		Kind        string         `json:"kind"`
		InterviewID string         `json:"interview_id"`
		Report      *report.Report `json:"report"`
	}
	if err := json.Unmarshal(body, &n); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	h.byKey[key]++
	if n.Kind == "summary" && h.byKey[key] == 1 && n.Report != nil {
		h.summaries[n.InterviewID] = append(h.summaries[n.InterviewID], n.Report.State)
	}
	w.WriteHeader(http.StatusNoContent)
}

// snapshot returns copies of the counters.
func (h *hookReceiver) snapshot() (byKey map[string]int, summaries map[string][]report.State, refused int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	byKey, summaries = map[string]int{}, map[string][]report.State{}
	for k, v := range h.byKey {
		byKey[k] = v
	}
	for k, v := range h.summaries {
		summaries[k] = append([]report.State(nil), v...)
	}
	return byKey, summaries, h.refused
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestKillUnderLoad kills the server (SIGKILL) while candidates are streaming and while
// the chat tool is down with summaries queued, then restarts it and brings the chat tool
// back: every interview's report still exists (the streaming ones marked interrupted,
// with the video seen before the kill), and every summary is delivered exactly once, also
// one whose queueing the crash prevented.
// KILL_CALLS (default 3) sets the calls streaming at the kill; bench/capacity.md runs it
// with 40.
func TestKillUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: a server killed under load")
	}
	calls := envInt("KILL_CALLS", 3)
	dir := t.TempDir()
	bin := filepath.Join(dir, "integritybot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	hook := newHookReceiver()
	hs := httptest.NewServer(hook)
	defer hs.Close()
	t.Setenv("INTEGRITYBOT_WEBHOOK_URL", hs.URL+"/hook")
	data := filepath.Join(dir, "data")
	cmd, base := startBinary(t, bin, data)
	e := &e2e{t: t, base: base, token: "restart-token-0123456789"}
	video := filepath.Join(dir, "clip.ivf")
	writeTestIVF(t, video)
	clip, err := loadgen.LoadIVF(video)
	if err != nil {
		t.Fatal(err)
	}

	// Phase 1, chat tool down: three calls run to their end; their summaries wait in the outbox.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	done, err := loadgen.Run(ctx, loadgen.Options{Server: base, Token: e.token, Calls: 3, Duration: 3 * time.Second, Clip: clip, Log: testLogger(t)})
	if err != nil {
		t.Fatalf("phase 1 loadgen: %v", err)
	}
	ended := map[string]bool{}
	for _, c := range done.Calls {
		ended[c.InterviewID] = true
	}

	// Phase 2: calls streaming when the server is killed.
	type live struct{ id, tok string }
	var streaming []live
	for i := range calls {
		var cr server.CreateResponse
		if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": fmt.Sprintf("Kill %d", i+1)}}, &cr); code != http.StatusCreated {
			t.Fatalf("create: HTTP %d", code)
		}
		streaming = append(streaming, live{cr.ID, cr.CandidateURL[strings.LastIndex(cr.CandidateURL, "/c/")+3:]})
	}
	jctx, stopJoins := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i, l := range streaming {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 100 * time.Millisecond) // a ramp, as loadgen does
			_, _ = loadgen.Join(jctx, loadgen.Options{Server: base, Token: e.token, Duration: 5 * time.Minute, Clip: clip, Log: testLogger(t)}, l.id, l.tok)
		})
	}
	// Kill once every streaming call's persisted live report holds video (read from the
	// store, not the server's memory, however long the machine takes).
	before := map[string]int64{}
	pollUntil(t, "every streaming call's persisted report to hold 30 decoded frames", func() bool {
		for _, l := range streaming {
			if r := storedReport(t, data, l.id); r.Coverage.FramesDecoded >= 30 {
				before[l.id] = r.Coverage.FramesDecoded
			}
		}
		return len(before) == len(streaming)
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	stopJoins()
	wg.Wait()
	_, _, refused := hook.snapshot()
	// A crash can also fall between storing an interview's end and queueing its summary:
	// take one ended interview's queued summary out of the store, as if it never was queued.
	lost := done.Calls[0].InterviewID
	db, err := sql.Open("sqlite", filepath.Join(data, config.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := db.Exec(`DELETE FROM outbox WHERE interview_id = ? AND kind = 'summary'`, lost); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("no queued summary for %s", lost)
	}
	db.Close()

	// Restart with the chat tool back up.
	hook.up.Store(true)
	killedAt := time.Now()
	_, base2 := startBinary(t, bin, data)
	e.base = base2
	for _, l := range streaming {
		var r report.Report
		if code := e.api("GET", "/api/interviews/"+l.id+"/report", nil, &r); code != http.StatusOK {
			t.Fatalf("report of %s after the restart: HTTP %d", l.id, code)
		}
		if r.State != report.Interrupted || r.Coverage.FramesDecoded < before[l.id] {
			t.Errorf("%s after the restart: %s with %d frames decoded, want interrupted with ≥ the %d stored before the kill",
				l.id, r.State, r.Coverage.FramesDecoded, before[l.id])
		}
	}
	// Every interview's summary arrives (the outbox retries with backoff, up to ~20 s here).
	want := len(ended) + len(streaming)
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, sums, _ := hook.snapshot()
		if len(sums) == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("summaries for %d of %d interviews after 90 s: %v", len(sums), want, sums)
		}
		time.Sleep(250 * time.Millisecond)
	}
	delivered := time.Since(killedAt)
	time.Sleep(5 * time.Second) // a duplicate would arrive now
	byKey, sums, _ := hook.snapshot()
	for id, states := range sums {
		switch {
		case len(states) != 1:
			t.Errorf("interview %s got %d summaries %v, want exactly one", id, len(states), states)
		case ended[id] && states[0] != report.Final:
			t.Errorf("ended interview %s summarized as %s, want final", id, states[0])
		case !ended[id] && states[0] != report.Interrupted:
			t.Errorf("killed interview %s summarized as %s, want interrupted", id, states[0])
		}
	}
	resent := 0
	for _, n := range byKey {
		resent += n - 1
	}
	t.Logf("%d calls streaming at the kill, %d ended before it; %d deliveries refused while the chat tool was down; "+
		"all %d summaries delivered %.1f s after the restart, %d notifications in all, %d resent with the same Idempotency-Key",
		len(streaming), len(ended), refused, want, delivered.Seconds(), len(byKey), resent)
}
