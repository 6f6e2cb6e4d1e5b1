package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// person is one candidate's data spread over every table: interview, report (with a
// snapshot and a long timeline, so the row spills into overflow pages) and outbox rows.
type person struct {
	id, name, snapshot string
}

func newPerson(id, name string) person {
	// A fake JPEG whose base64 is distinctive: the marker must not survive a delete.
	snap := "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("snapshot-of-"+id+";", 400)))
	return person{id: id, name: name, snapshot: snap}
}

// markers are strings only this person's data contains.
func (p person) markers() []string {
	return []string{p.id, p.name, p.snapshot[len(p.snapshot)-200:]}
}

// store writes everything of p at created.
func (p person) store(t *testing.T, s *Store, created time.Time) {
	t.Helper()
	ctx := context.Background()
	iv := Interview{ID: p.id, Candidate: report.Candidate{Name: p.name, ClaimedLocation: "Lisbon"},
		Notes: "notes about " + p.name, CreatedAt: created, State: report.Scheduled, SlackChannel: "C1"}
	if err := s.CreateInterview(ctx, iv); err != nil {
		t.Fatal(err)
	}
	r := sampleReport(p.id, 8, 5)
	r.Candidate.Name = p.name
	r.Checks[0].Evidence[0].Snapshot = p.snapshot
	for i := range 2000 {
		r.Timeline = append(r.Timeline, report.Event{AtS: float64(i), Kind: "track", Detail: p.name + " track event"})
	}
	if err := s.SaveReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"summary", "alert"} {
		e := OutboxEntry{Key: p.id + "/" + kind, InterviewID: p.id, Notifier: "slack", Target: "C1", Kind: kind,
			Payload: []byte(`{"candidate":"` + p.name + `"}`), CreatedAt: created}
		if _, err := s.Enqueue(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
}

// assertGone fails if any marker of p is in any column of any table (both backends) or, on
// SQLite, in the raw bytes of the database's files.
func assertGone(t *testing.T, db testDB, s *Store, p person) {
	t.Helper()
	for _, m := range p.markers() {
		if where := findInTables(t, s, m); where != "" {
			t.Errorf("%.40q is still in table %s", m, where)
		}
		if db.driver == DriverSQLite {
			assertNotInFiles(t, db.cfg.Path, m)
		}
	}
}

// assertKept fails unless p's name is still found (the search itself works).
func assertKept(t *testing.T, s *Store, p person) {
	t.Helper()
	if findInTables(t, s, p.name) == "" {
		t.Errorf("%s's data is gone but should be kept", p.name)
	}
}

// findInTables returns the first table holding marker in any column, or "".
func findInTables(t *testing.T, s *Store, marker string) string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if s.d == dialectPostgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("found only tables %v", tables)
	}
	for _, table := range tables {
		if tableHolds(t, s, table, marker) {
			return table
		}
	}
	return ""
}

func tableHolds(t *testing.T, s *Store, table, marker string) bool {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), `SELECT * FROM `+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if strings.Contains(fmt.Sprint(v), marker) {
				return true
			}
		}
	}
	return false
}

// TestDeleteInterviewLeavesNothing is the candidate's right to be forgotten (issue 15):
// after DeleteInterview nothing of the interview — name, id, notes, report, snapshot,
// timeline, outbox payloads — is in any table, nor (SQLite) in the database's files, while
// another candidate's data stays.
func TestDeleteInterviewLeavesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		gone := newPerson("iv-forget-7c1e93", "Zelda Quixote-Marchbanks")
		kept := newPerson("iv-keep-52ab04", "Oswin Tarleton-Vey")
		gone.store(t, s, t0)
		kept.store(t, s, t0)
		if err := s.RevokeLinks(context.Background(), gone.id); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteInterview(context.Background(), gone.id); err != nil {
			t.Fatal(err)
		}
		assertGone(t, db, s, gone)
		assertKept(t, s, kept)
		if err := s.DeleteInterview(context.Background(), gone.id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v, want ErrNotFound", err)
		}
		if _, err := s.LinksRevoked(context.Background(), gone.id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LinksRevoked after delete: %v, want ErrNotFound", err)
		}
	})
}

// TestRevokeLinks: revoking keeps the interview and its report and marks the links dead.
func TestRevokeLinks(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := db.open(t)
		p := newPerson("iv-revoke-0d4f", "Imogen Strand")
		p.store(t, s, t0)
		if r, err := s.LinksRevoked(ctx, p.id); err != nil || r {
			t.Fatalf("before: revoked=%v err=%v", r, err)
		}
		if err := s.RevokeLinks(ctx, p.id); err != nil {
			t.Fatal(err)
		}
		if r, err := s.LinksRevoked(ctx, p.id); err != nil || !r {
			t.Fatalf("after: revoked=%v err=%v", r, err)
		}
		if _, err := s.GetReport(ctx, p.id); err != nil {
			t.Fatalf("the report went with the links: %v", err)
		}
		if err := s.RevokeLinks(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("RevokeLinks(nope) = %v, want ErrNotFound", err)
		}
	})
}

// TestRetentionPurge proves the retention purge with an injected clock: an interview older
// than the retention goes with its report, snapshot, timeline and outbox rows (and its bytes,
// on SQLite); a younger one stays.
func TestRetentionPurge(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testDB) {
		now := t0
		s := db.openConfig(t, Config{Now: func() time.Time { return now }})
		const days30 = 30 * 24 * time.Hour
		old := newPerson("iv-old-9a7d21", "Percival Ashdown-Lyle")
		young := newPerson("iv-young-3e8c6f", "Rosalind Fenwick-Hale")
		old.store(t, s, t0)
		young.store(t, s, t0.Add(days30-time.Hour))

		now = t0.Add(days30 - time.Minute) // not yet 30 days: nothing goes
		if n, err := s.PurgeExpired(context.Background(), days30); err != nil || n != 0 {
			t.Fatalf("purge before 30 days: %d, %v", n, err)
		}
		assertKept(t, s, old)

		now = t0.Add(days30 + time.Minute)
		if n, err := s.PurgeExpired(context.Background(), days30); err != nil || n != 1 {
			t.Fatalf("purge after 30 days: %d, %v; want 1", n, err)
		}
		assertGone(t, db, s, old)
		assertKept(t, s, young)
	})
}
