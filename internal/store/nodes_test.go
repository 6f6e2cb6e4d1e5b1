package store

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// fakeClock is a settable clock for leases and heartbeats.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestNodes(t *testing.T) { eachBackend(t, testNodes) }

func testNodes(t *testing.T, db testDB) {
	ctx := t.Context()
	clock := &fakeClock{t: t0}
	a := db.openConfig(t, Config{NodeID: "a", Now: clock.now})
	b := db.openConfig(t, Config{NodeID: "b", Now: clock.now})
	if a.NodeID() != "a" {
		t.Fatalf("NodeID = %q", a.NodeID())
	}
	if err := a.Heartbeat(ctx, "http://10.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	if err := b.Heartbeat(ctx, "http://10.0.0.2:8080"); err != nil {
		t.Fatal(err)
	}
	clock.advance(HeartbeatEvery)
	if err := a.Heartbeat(ctx, "http://10.0.0.9:8080"); err != nil { // a restarted elsewhere
		t.Fatal(err)
	}
	if err := b.NodeStopped(ctx); err != nil {
		t.Fatal(err)
	}
	nodes, err := b.Nodes(ctx)
	if err != nil || len(nodes) != 2 {
		t.Fatalf("Nodes = %+v, %v; want a and b", nodes, err)
	}
	stopped := t0.Add(HeartbeatEvery)
	if n := nodes[0]; n.ID != "a" || n.URL != "http://10.0.0.9:8080" || !n.HeartbeatAt.Equal(t0.Add(HeartbeatEvery)) || n.GoneAt != nil {
		t.Errorf("node a = %+v; want the second URL and heartbeat, not gone", n)
	}
	if n := nodes[1]; n.ID != "b" || n.URL != "http://10.0.0.2:8080" || !n.HeartbeatAt.Equal(t0) || n.GoneAt == nil || !n.GoneAt.Equal(stopped) {
		t.Errorf("node b = %+v; want the first heartbeat and gone at %s", n, stopped)
	}
	// A heartbeat after stopping (the node restarted) clears gone.
	if err := b.Heartbeat(ctx, "http://10.0.0.2:8080"); err != nil {
		t.Fatal(err)
	}
	if nodes, err := a.Nodes(ctx); err != nil || nodes[1].GoneAt != nil {
		t.Fatalf("b after a new heartbeat: %+v, %v; want not gone", nodes, err)
	}
	noID := db.openConfig(t, Config{Now: clock.now})
	if err := noID.Heartbeat(ctx, "http://x"); err == nil {
		t.Error("Heartbeat without a node id succeeded")
	}
	if err := a.Heartbeat(ctx, ""); err == nil {
		t.Error("Heartbeat with an empty URL succeeded")
	}
}

func TestInterviewOwner(t *testing.T) { eachBackend(t, testInterviewOwner) }

// testInterviewOwner follows one interview from scheduled to live on node a, with a's
// heartbeat missing, fresh, stale, renewed and stopped.
func testInterviewOwner(t *testing.T, db testDB) {
	ctx := t.Context()
	clock := &fakeClock{t: t0}
	stale := 20 * time.Second
	a := db.openConfig(t, Config{NodeID: "a", Now: clock.now, NodeStaleAfter: stale})
	b := db.openConfig(t, Config{NodeID: "b", Now: clock.now, NodeStaleAfter: stale})
	iv := newInterview("x", t0)
	iv.State = report.Scheduled
	mustCreate(t, a, iv)
	owner := func(step string, want Owner) {
		t.Helper()
		got, err := b.InterviewOwner(ctx, "x")
		if err != nil || got != want {
			t.Fatalf("%s: InterviewOwner = %+v, %v; want %+v", step, got, err, want)
		}
	}
	owner("scheduled", Owner{})
	if err := a.StartInterview(ctx, "x", clock.now()); err != nil {
		t.Fatal(err)
	}
	owner("live, a never beat", Owner{Node: "a", Live: true})
	const url = "http://10.0.0.1:8080"
	if err := a.Heartbeat(ctx, url); err != nil {
		t.Fatal(err)
	}
	owner("live, a beats", Owner{Node: "a", Live: true, URL: url, Alive: true})
	clock.advance(stale)
	owner("a's heartbeat exactly at the limit", Owner{Node: "a", Live: true, URL: url, Alive: true})
	clock.advance(time.Second)
	owner("a's heartbeat stale", Owner{Node: "a", Live: true, URL: url})
	if err := a.Heartbeat(ctx, url); err != nil {
		t.Fatal(err)
	}
	owner("a beats again", Owner{Node: "a", Live: true, URL: url, Alive: true})
	if err := a.NodeStopped(ctx); err != nil {
		t.Fatal(err)
	}
	owner("a stopped", Owner{Node: "a", Live: true, URL: url})
	if _, err := b.InterviewOwner(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("InterviewOwner(nope): %v; want ErrNotFound", err)
	}
}

// TestStartTakesOverDeadNode: on PostgreSQL another node may take a live interview whose
// owner's heartbeat went stale, or which said it stopped, although the interview's own lease
// (its last report save) is still fresh; while the owner beats it may not.
func TestStartTakesOverDeadNode(t *testing.T) {
	db := newDB(t, DriverPostgres)
	ctx := t.Context()
	clock := &fakeClock{t: t0}
	cfg := func(node string) Config {
		return Config{NodeID: node, Now: clock.now, StaleAfter: time.Minute, NodeStaleAfter: 20 * time.Second}
	}
	a, c, b := db.openConfig(t, cfg("a")), db.openConfig(t, cfg("c")), db.openConfig(t, cfg("b"))
	for _, x := range []struct {
		id    string
		owner *Store
	}{{"x", a}, {"y", c}} {
		iv := newInterview(x.id, t0)
		iv.State = report.Scheduled
		mustCreate(t, a, iv)
		if err := x.owner.StartInterview(ctx, x.id, clock.now()); err != nil {
			t.Fatal(err)
		}
		if err := x.owner.SaveReport(ctx, sampleReport(x.id, 1, 1)); err != nil {
			t.Fatal(err)
		}
		if err := x.owner.Heartbeat(ctx, "http://"+x.owner.NodeID()); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"x", "y"} {
		if err := b.StartInterview(ctx, id, clock.now()); !errors.Is(err, ErrElsewhere) {
			t.Fatalf("b starting %s while its owner beats: %v; want ErrElsewhere", id, err)
		}
	}
	// c stops cleanly: y is b's at once.
	if err := c.NodeStopped(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.StartInterview(ctx, "y", clock.now()); err != nil {
		t.Fatalf("b taking y after its node stopped: %v", err)
	}
	// a's reports are fresh (saved 21 s ago, lease 1 min) but its heartbeat is not.
	clock.advance(21 * time.Second)
	if err := b.StartInterview(ctx, "x", clock.now()); err != nil {
		t.Fatalf("b taking x after a's heartbeat went stale: %v", err)
	}
	for _, id := range []string{"x", "y"} {
		if n, err := a.InterviewNode(ctx, id); err != nil || n != "b" {
			t.Errorf("%s runs on %q, %v; want b", id, n, err)
		}
	}
}
