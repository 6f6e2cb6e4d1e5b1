package store

import (
	"errors"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

func outboxFixture(t *testing.T, db testDB) (*Store, time.Time) {
	t.Helper()
	s := db.open(t)
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "b"} {
		if err := s.CreateInterview(t.Context(), Interview{ID: id, Candidate: report.Candidate{Name: id}, CreatedAt: now, State: report.Live}); err != nil {
			t.Fatal(err)
		}
	}
	return s, now
}

func entry(iv, key, kind, check string, at time.Time) OutboxEntry {
	return OutboxEntry{Key: key, InterviewID: iv, Notifier: "slack", Target: "C1", Kind: kind, Check: check,
		Payload: []byte(`{}`), CreatedAt: at}
}

func TestOutboxEnqueueIsIdempotent(t *testing.T) { eachBackend(t, testOutboxEnqueueIsIdempotent) }

func testOutboxEnqueueIsIdempotent(t *testing.T, db testDB) {
	s, now := outboxFixture(t, db)
	ctx := t.Context()
	for i, want := range []bool{true, false} {
		ok, err := s.Enqueue(ctx, entry("a", "a/slack/summary", "summary", "", now))
		if err != nil || ok != want {
			t.Fatalf("Enqueue #%d = %v, %v; want %v", i, ok, err, want)
		}
	}
	if _, err := s.Enqueue(ctx, entry("missing", "m/slack/summary", "summary", "", now)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Enqueue for a missing interview = %v; want ErrNotFound", err)
	}
}

func TestOutboxDebounce(t *testing.T) { eachBackend(t, testOutboxDebounce) }

func testOutboxDebounce(t *testing.T, db testDB) {
	s, now := outboxFixture(t, db)
	ctx := t.Context()
	for i, tc := range []struct {
		at    time.Time
		check string
		want  bool
	}{
		{now, "camera", true},
		{now.Add(time.Minute), "camera", false},   // within the window
		{now.Add(time.Minute), "face_swap", true}, // another check
		{now.Add(4 * time.Minute), "camera", true},
	} {
		e := entry("a", "a/slack/alert/"+tc.check+"/"+tc.at.String(), "alert", tc.check, tc.at)
		ok, err := s.EnqueueDebounced(ctx, e, 3*time.Minute)
		if err != nil || ok != tc.want {
			t.Errorf("#%d EnqueueDebounced = %v, %v; want %v", i, ok, err, tc.want)
		}
	}
}

func TestOutboxDueOrderAndStates(t *testing.T) { eachBackend(t, testOutboxDueOrderAndStates) }

func testOutboxDueOrderAndStates(t *testing.T, db testDB) {
	s, now := outboxFixture(t, db)
	ctx := t.Context()
	mustEnqueue := func(e OutboxEntry) {
		if _, err := s.Enqueue(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	mustEnqueue(entry("a", "a1", "alert", "camera", now))
	mustEnqueue(entry("a", "a2", "summary", "", now.Add(time.Second)))
	mustEnqueue(entry("b", "b1", "summary", "", now))
	due, err := s.DueOutbox(ctx, now.Add(time.Minute), 10)
	if err != nil || len(due) != 2 || due[0].Key != "a1" || due[1].Key != "b1" {
		t.Fatalf("DueOutbox = %+v, %v; want a1 and b1 (a2 waits for a1)", due, err)
	}
	// a1 fails once with a partial receipt, then is delivered.
	if err := s.MarkRetry(ctx, due[0].ID, now.Add(time.Hour), "HTTP 503", "C1/1.0", "1.0"); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Minute)
	if db.driver == DriverPostgres {
		// b1 is still claimed by the first call (nothing recorded for it): not due again
		// until the claim lapses.
		if due, err := s.DueOutbox(ctx, later, 10); err != nil || len(due) != 0 {
			t.Fatalf("claimed b1 due again before its lease lapsed: %+v, %v", due, err)
		}
		later = later.Add(DefaultClaimLease)
	}
	due, _ = s.DueOutbox(ctx, later, 10)
	if len(due) != 1 || due[0].Key != "b1" {
		t.Fatalf("after retry: due = %+v", due)
	}
	if err := s.MarkDelivered(ctx, 1, "C1/1.0", "1.0", now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, 1, "other", "other", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("second MarkDelivered = %v; want ErrNotFound (a delivered row never changes)", err)
	}
	if th, err := s.OutboxThread(ctx, "a", "slack", "C1"); err != nil || th != "1.0" {
		t.Errorf("OutboxThread = %q, %v", th, err)
	}
	if err := s.MarkFailed(ctx, due[0].ID, "channel_not_found"); err != nil {
		t.Fatal(err)
	}
	es, err := s.OutboxEntries(ctx, "a")
	if err != nil || len(es) != 2 || es[0].State != OutboxDelivered || es[0].Attempts != 2 || es[0].MessageID != "C1/1.0" ||
		es[0].DeliveredAt == nil || es[1].State != OutboxPending || es[0].Payload != nil {
		t.Errorf("OutboxEntries(a) = %+v, %v", es, err)
	}
	eb, _ := s.OutboxEntries(ctx, "b")
	if len(eb) != 1 || eb[0].State != OutboxFailed || eb[0].LastError != "channel_not_found" {
		t.Errorf("OutboxEntries(b) = %+v", eb)
	}
	// Deleting the interview (retention) deletes its outbox rows.
	if _, err := s.DeleteBefore(ctx, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if es, _ := s.OutboxEntries(ctx, "a"); len(es) != 0 {
		t.Errorf("outbox rows survived their interview: %d", len(es))
	}
}

func TestUnsummarized(t *testing.T) { eachBackend(t, testUnsummarized) }

// testUnsummarized: ended interviews without a summary in the outbox are found (a crash
// between storing the end and queueing the summary); live ones, summarized ones, alerts-only
// ones and ones that ended before since are not.
func testUnsummarized(t *testing.T, db testDB) {
	s := db.open(t)
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	old := now.Add(-48 * time.Hour)
	for _, iv := range []struct {
		id    string
		state report.State
		at    time.Time
	}{
		{"final-queued", report.Final, now},
		{"final-lost", report.Final, now.Add(time.Minute)},
		{"interrupted-lost", report.Interrupted, now},
		{"alert-only", report.Final, now.Add(2 * time.Minute)},
		{"live", report.Live, now},
		{"final-old", report.Final, old},
	} {
		if err := s.CreateInterview(ctx, Interview{ID: iv.id, Candidate: report.Candidate{Name: iv.id}, CreatedAt: iv.at, State: report.Scheduled}); err != nil {
			t.Fatal(err)
		}
		started, ended := iv.at, iv.at.Add(10*time.Minute)
		endedAt := &ended
		if iv.state != report.Final {
			endedAt = nil // interrupted: the crash left no end time
		}
		if err := s.SetInterviewState(ctx, iv.id, iv.state, &started, endedAt); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []OutboxEntry{
		entry("final-queued", "fq/slack/summary", "summary", "", now),
		entry("alert-only", "ao/slack/alert/camera", "alert", "camera", now),
	} {
		if _, err := s.Enqueue(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Unsummarized(ctx, now.Add(-24*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"interrupted-lost", "final-lost", "alert-only"} // oldest end first (interrupted: its start)
	if len(got) != len(want) {
		t.Fatalf("Unsummarized = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Unsummarized = %v, want %v", got, want)
		}
	}
}
