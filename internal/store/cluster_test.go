package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// TestOutboxTwoWorkers runs two workers, each on its own Store handle (as two serve processes
// would), against one PostgreSQL outbox: every entry is delivered exactly once, and each
// thread in order.
func TestOutboxTwoWorkers(t *testing.T) {
	db := newDB(t, DriverPostgres)
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	a, b := db.openConfig(t, Config{NodeID: "a"}), db.openConfig(t, Config{NodeID: "b"})
	const interviews, perThread = 10, 6
	for i := range interviews {
		id := fmt.Sprint("iv", i)
		mustCreate(t, a, newInterview(id, now))
		for j := range perThread {
			if _, err := a.Enqueue(ctx, entry(id, fmt.Sprintf("%s/%d", id, j), "alert", fmt.Sprint("c", j), now)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Rounds: both workers ask for due entries at the same time, then post what they got
	// and record it. Without claims both would get the same entries every round.
	var (
		posts    = map[int64]int{}       // entry id → times posted
		order    = map[string][]string{} // interview → keys in posting order
		byWorker = map[string]int{}
		workers  = map[string]*Store{"a": a, "b": b}
	)
	for round := 0; ; round++ {
		if round > interviews*perThread {
			t.Fatal("outbox not drained")
		}
		var (
			mu  sync.Mutex
			wg  sync.WaitGroup
			got = map[string][]OutboxEntry{}
		)
		for name, s := range workers {
			wg.Go(func() {
				due, err := s.DueOutbox(ctx, now, 4)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				got[name] = due
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(got["a"])+len(got["b"]) == 0 {
			break
		}
		for name, due := range got {
			for _, e := range due {
				posts[e.ID]++
				order[e.InterviewID] = append(order[e.InterviewID], e.Key)
				byWorker[name]++
			}
			wg.Go(func() {
				for _, e := range due {
					if err := workers[name].MarkDelivered(ctx, e.ID, "m", "t", now); err != nil && !errors.Is(err, ErrNotFound) {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
	if n, err := a.OutboxDepth(ctx); err != nil || n != 0 {
		t.Fatalf("OutboxDepth after draining = %d, %v", n, err)
	}
	if len(posts) != interviews*perThread {
		t.Fatalf("%d entries posted, want %d", len(posts), interviews*perThread)
	}
	for id, n := range posts {
		if n != 1 {
			t.Errorf("entry %d posted %d times", id, n)
		}
	}
	for i := range interviews {
		id := fmt.Sprint("iv", i)
		var want []string
		for j := range perThread {
			want = append(want, fmt.Sprintf("%s/%d", id, j))
		}
		if !reflect.DeepEqual(order[id], want) {
			t.Errorf("%s posted out of order: %v", id, order[id])
		}
	}
	t.Logf("deliveries by worker: %v", byWorker)
}

// TestOutboxClaimLapses: a worker that claims entries and dies holds them only until its
// lease lapses; then another worker takes them.
func TestOutboxClaimLapses(t *testing.T) {
	db := newDB(t, DriverPostgres)
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	lease := 2 * time.Minute
	dead, live := db.openConfig(t, Config{ClaimLease: lease}), db.openConfig(t, Config{ClaimLease: lease})
	mustCreate(t, dead, newInterview("iv", now))
	if _, err := dead.Enqueue(ctx, entry("iv", "k", "summary", "", now)); err != nil {
		t.Fatal(err)
	}
	if due, err := dead.DueOutbox(ctx, now, 10); err != nil || len(due) != 1 {
		t.Fatalf("first claim = %+v, %v", due, err)
	}
	dead.Close() // died mid-delivery
	for _, tc := range []struct {
		at   time.Time
		want int
	}{{now, 0}, {now.Add(lease - time.Second), 0}, {now.Add(lease), 1}} {
		due, err := live.DueOutbox(ctx, tc.at, 10)
		if err != nil || len(due) != tc.want {
			t.Fatalf("DueOutbox at +%s = %d entries, %v; want %d", tc.at.Sub(now), len(due), err, tc.want)
		}
	}
}

// TestInterviewPinning: an interview runs on the node that started it. Another node may not
// take it, and its MarkInterrupted leaves it alone, while the owner renews its lease; once
// the owner's reports stop for StaleAfter, the interview is another node's to interrupt or
// take over. The owner restarting (same node id) interrupts it at once.
func TestInterviewPinning(t *testing.T) {
	db := newDB(t, DriverPostgres)
	ctx := t.Context()
	var (
		mu    sync.Mutex
		clock = t0
	)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	stale := time.Minute
	a := db.openConfig(t, Config{NodeID: "a", Now: now, StaleAfter: stale})
	b := db.openConfig(t, Config{NodeID: "b", Now: now, StaleAfter: stale})

	for _, id := range []string{"x", "y"} {
		iv := newInterview(id, t0)
		iv.State = report.Scheduled
		mustCreate(t, a, iv)
		if err := (Rooms{a}).Started(ctx, id, now()); err != nil {
			t.Fatal(err)
		}
		if err := a.SaveReport(ctx, sampleReport(id, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := b.InterviewNode(ctx, "x"); err != nil || n != "a" {
		t.Fatalf("InterviewNode(x) = %q, %v; want a", n, err)
	}
	if err := (Rooms{b}).Started(ctx, "x", now()); !errors.Is(err, ErrElsewhere) || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("b starting a's live interview: %v; want ErrElsewhere naming a", err)
	}
	if ids, err := b.MarkInterrupted(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("b's MarkInterrupted took a's live interviews: %v, %v", ids, err)
	}

	// a keeps saving x, goes quiet on y.
	advance(stale / 2)
	if err := a.SaveReport(ctx, sampleReport("x", 1, 1)); err != nil {
		t.Fatal(err)
	}
	advance(stale/2 + time.Second)
	if ids, err := b.MarkInterrupted(ctx); err != nil || !reflect.DeepEqual(ids, []string{"y"}) {
		t.Fatalf("b's MarkInterrupted = %v, %v; want [y] (x's lease is fresh)", ids, err)
	}
	if err := (Rooms{b}).Started(ctx, "x", now()); !errors.Is(err, ErrElsewhere) {
		t.Fatalf("b starting x with a fresh lease: %v", err)
	}
	advance(stale)
	if err := (Rooms{b}).Started(ctx, "x", now()); err != nil {
		t.Fatalf("b taking over x after a's lease went stale: %v", err)
	}
	if n, _ := a.InterviewNode(ctx, "x"); n != "b" {
		t.Fatalf("x runs on %q after the takeover, want b", n)
	}
	// b restarts: its own interview is interrupted at once, lease or not.
	if err := b.SaveReport(ctx, sampleReport("x", 1, 1)); err != nil {
		t.Fatal(err)
	}
	b2 := db.openConfig(t, Config{NodeID: "b", Now: now, StaleAfter: stale})
	if ids, err := b2.MarkInterrupted(ctx); err != nil || !reflect.DeepEqual(ids, []string{"x"}) {
		t.Fatalf("restarted b's MarkInterrupted = %v, %v; want [x]", ids, err)
	}
	for _, id := range []string{"x", "y"} {
		iv, err := a.GetInterview(ctx, id)
		if err != nil || iv.State != report.Interrupted {
			t.Errorf("%s: %v, %v; want interrupted", id, iv.State, err)
		}
	}
}

// TestSQLiteIsOneNode: SQLite keeps its single-process behaviour; a restart with another node
// id still interrupts every live interview, and starting never refuses.
func TestSQLiteIsOneNode(t *testing.T) {
	db := newDB(t, DriverSQLite)
	ctx := t.Context()
	a := db.openConfig(t, Config{NodeID: "a"})
	mustCreate(t, a, newInterview("x", t0))
	if err := a.StartInterview(ctx, "x", t0); err != nil {
		t.Fatal(err)
	}
	if n, err := a.InterviewNode(ctx, "x"); err != nil || n != "a" {
		t.Fatalf("InterviewNode = %q, %v", n, err)
	}
	a.Close()
	b := db.openConfig(t, Config{NodeID: "b"})
	if err := b.StartInterview(ctx, "x", t0); err != nil {
		t.Fatalf("SQLite refused a start: %v", err)
	}
	if ids, err := db.openConfig(t, Config{NodeID: "c"}).MarkInterrupted(ctx); err != nil || !reflect.DeepEqual(ids, []string{"x"}) {
		t.Fatalf("MarkInterrupted = %v, %v; want [x]", ids, err)
	}
}

func TestSetState(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"state":"live"}`, `{"state":"interrupted"}`},
		{`{"a":{"state":"live"},"b":["state"],"state":"live","c":1}`, `{"a":{"state":"live"},"b":["state"],"state":"interrupted","c":1}`},
		{"{ \"x\" : \"st\\\"ate\" ,\n \"state\" :\t\"live\" }", "{ \"x\" : \"st\\\"ate\" ,\n \"state\":\"interrupted\" }"},
	}
	for _, tt := range tests {
		got, err := setState(tt.in, "interrupted")
		if err != nil || got != tt.want {
			t.Errorf("setState(%s) = %s, %v\nwant %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a":1}`, `{"state":`} {
		if got, err := setState(bad, "x"); err == nil {
			t.Errorf("setState(%q) = %q, want an error", bad, got)
		}
	}
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`?1, ?2, ?1, ?10`, `$1, $2, $1, $10`},
		{`?2 ?`, `$2 $3`},
		{`x = '?' AND y = ? AND z = 'it''s ?'`, `x = '?' AND y = $1 AND z = 'it''s ?'`},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestOpenPostgresErrorsHideDSN: the DSN holds a password; no error may show it.
func TestOpenPostgresErrorsHideDSN(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, dsn := range []string{
		"postgres://ib:hunter2secret@127.0.0.1:1/ib?sslmode=disable&connect_timeout=2", // nothing listens
		"postgres://ib:hunter2secret@[::1/ib",                                          // does not parse
		"host=127.0.0.1 port=1 password=hunter2secret connect_timeout=2",
	} {
		_, err := OpenConfig(ctx, Config{Driver: DriverPostgres, DSN: dsn})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%s): %v; want an error without the password", dsn, err)
		}
	}
	if _, err := OpenConfig(ctx, Config{Driver: "mysql"}); err == nil {
		t.Error("Open with driver mysql succeeded")
	}
}
