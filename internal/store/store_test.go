package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "data", "integritybot.db")
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newInterview(id string, created time.Time) Interview {
	return Interview{
		ID:             id,
		Candidate:      report.Candidate{Name: "Ada Lovelace", ClaimedLocation: "London, UK", ClaimedTimezone: "Europe/London"},
		Notes:          "backend role",
		CreatedAt:      created,
		State:          report.Live,
		SlackChannel:   "C012345",
		DiscordChannel: "",
	}
}

func mustCreate(t testing.TB, s *Store, iv Interview) {
	t.Helper()
	if err := s.CreateInterview(context.Background(), iv); err != nil {
		t.Fatalf("CreateInterview(%s): %v", iv.ID, err)
	}
}

func sampleReport(id string, checks, evidence int) *report.Report {
	started := t0.Add(time.Minute)
	r := &report.Report{
		Schema:      report.Schema,
		InterviewID: id,
		Candidate:   report.Candidate{Name: "Ada Lovelace", ClaimedLocation: "London, UK", ClaimedTimezone: "Europe/London"},
		State:       report.Live,
		StartedAt:   &started,
		Coverage:    report.Coverage{VideoSeconds: 612.5, FramesDecoded: 18000, FramesAnalyzed: 17950, FramesDropped: 50},
		Timeline:    []report.Event{{AtS: 0, Kind: "join", Detail: "candidate joined"}},
	}
	ids := []string{report.CheckCamera, report.CheckFace, report.CheckFaceSwap, report.CheckReplay,
		report.CheckLiveness, report.CheckVirtualCamera, report.CheckTimezone, report.CheckNetwork}
	for i := range checks {
		c := report.Check{ID: ids[i%len(ids)], Status: report.Warn, Confidence: 0.7,
			Summary: "The picture froze several times.", NextStep: "Ask them to wave."}
		for j := range evidence {
			c.Evidence = append(c.Evidence, report.Range(float64(j), float64(j)+1.5, "frozen",
				fmt.Sprintf("identical frames for %d.5 s at 640x480", j)))
		}
		r.Checks = append(r.Checks, c)
	}
	r.Overall = report.OverallOf(r.Checks)
	return r
}

func TestOpenCreatesDirAndIsIdempotent(t *testing.T) {
	eachBackend(t, testOpenIsIdempotent)
}

func testOpenIsIdempotent(t *testing.T, db testDB) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a", "b")
	if db.driver == DriverSQLite {
		db.cfg.Path = filepath.Join(dir, "x.db")
	}
	if len(migrations) != len(pgMigrations) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones: a schema version must mean the same on both", len(migrations), len(pgMigrations))
	}
	for range 3 {
		s, err := OpenConfig(ctx, db.cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != len(migrations) {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(migrations))
		}
		if s.Driver() != db.driver {
			t.Fatalf("Driver() = %q, want %q", s.Driver(), db.driver)
		}
		if db.driver == DriverSQLite {
			var mode string
			if err := s.r.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
				t.Fatalf("journal_mode = %q, %v", mode, err)
			}
			var fk int
			if err := s.r.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
				t.Fatalf("foreign_keys = %d, %v", fk, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if db.driver != DriverSQLite {
		return
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode = %v, want 0700", fi.Mode().Perm())
	}
}

// TestOpenConcurrently opens one fresh database from several goroutines at once, as several
// processes sharing a data directory (or a PostgreSQL server) would: the migration must run
// exactly once.
func TestOpenConcurrently(t *testing.T) { eachBackend(t, testOpenConcurrently) }

func testOpenConcurrently(t *testing.T, db testDB) {
	ctx := context.Background()
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = OpenConfig(ctx, db.cfg) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	mustCreate(t, stores[0], newInterview("x", t0))
	if _, err := stores[3].GetInterview(ctx, "x"); err != nil {
		t.Fatalf("another handle does not see the write: %v", err)
	}
}

func TestOpenRejectsNewerSchema(t *testing.T) { eachBackend(t, testOpenRejectsNewerSchema) }

func testOpenRejectsNewerSchema(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	if _, err := s.w.ExecContext(ctx, `UPDATE schema_version SET version = 999`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenConfig(ctx, db.cfg); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open on a newer schema: %v", err)
	}
}

func TestOpenOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "we ird?#%name", "db")
	s := openTest(t, path)
	mustCreate(t, s, newInterview("x", t0))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %q: %v", path, err)
	}
}

func TestInterviewRoundTrip(t *testing.T) { eachBackend(t, testInterviewRoundTrip) }

func testInterviewRoundTrip(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	iv := newInterview("iv1", t0)
	mustCreate(t, s, iv)
	got, err := s.GetInterview(ctx, "iv1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, iv) {
		t.Fatalf("GetInterview = %+v\nwant %+v", got, iv)
	}

	if err := s.CreateInterview(ctx, iv); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate CreateInterview: %v, want ErrExists", err)
	}

	start, end := t0.Add(time.Minute), t0.Add(time.Hour)
	if err := s.SetInterviewState(ctx, "iv1", report.Live, &start, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetInterviewState(ctx, "iv1", report.Final, nil, &end); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetInterview(ctx, "iv1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != report.Final || got.StartedAt == nil || !got.StartedAt.Equal(start) ||
		got.EndedAt == nil || !got.EndedAt.Equal(end) {
		t.Fatalf("after SetInterviewState: %+v", got)
	}
}

func TestCreateInterviewRequiresFields(t *testing.T) {
	eachBackend(t, testCreateInterviewRequiresFields)
}

func testCreateInterviewRequiresFields(t *testing.T, db testDB) {
	s := db.open(t)
	for name, iv := range map[string]Interview{
		"id":      {CreatedAt: t0, State: report.Live},
		"created": {ID: "a", State: report.Live},
		"state":   {ID: "a", CreatedAt: t0},
	} {
		if err := s.CreateInterview(context.Background(), iv); err == nil {
			t.Errorf("missing %s: CreateInterview succeeded", name)
		}
	}
}

func TestListInterviewsNewestFirst(t *testing.T) { eachBackend(t, testListInterviewsNewestFirst) }

func testListInterviewsNewestFirst(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	for i := range 5 {
		mustCreate(t, s, newInterview(fmt.Sprintf("iv%d", i), t0.Add(time.Duration(i)*time.Hour)))
	}
	tests := []struct {
		limit int
		want  []string
	}{
		{2, []string{"iv4", "iv3"}},
		{0, []string{"iv4", "iv3", "iv2", "iv1", "iv0"}},
		{100, []string{"iv4", "iv3", "iv2", "iv1", "iv0"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			list, err := s.ListInterviews(ctx, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, iv := range list {
				ids = append(ids, iv.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Fatalf("ids = %v, want %v", ids, tt.want)
			}
		})
	}
}

func TestReportRoundTrip(t *testing.T) { eachBackend(t, testReportRoundTrip) }

func testReportRoundTrip(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	mustCreate(t, s, newInterview("iv1", t0))
	r := sampleReport("iv1", 8, 3)
	if err := s.SaveReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetReport(ctx, "iv1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("GetReport = %+v\nwant %+v", got, r)
	}

	// Upsert: the second save replaces the first.
	end := t0.Add(time.Hour)
	r.State, r.EndedAt, r.Checks = report.Final, &end, r.Checks[:1]
	if err := s.SaveReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err = s.GetReport(ctx, "iv1"); err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("after upsert GetReport = %+v, %v", got, err)
	}
}

func TestNotFound(t *testing.T) { eachBackend(t, testNotFound) }

func testNotFound(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	mustCreate(t, s, newInterview("exists", t0))
	tests := map[string]error{}
	_, tests["GetInterview"] = s.GetInterview(ctx, "nope")
	_, tests["GetReport"] = s.GetReport(ctx, "nope")
	_, tests["GetReport without report"] = s.GetReport(ctx, "exists")
	tests["SetInterviewState"] = s.SetInterviewState(ctx, "nope", report.Final, nil, nil)
	tests["SaveReport without interview"] = s.SaveReport(ctx, sampleReport("nope", 1, 1))
	tests["StartInterview"] = s.StartInterview(ctx, "nope", t0)
	_, tests["InterviewNode"] = s.InterviewNode(ctx, "nope")
	for name, err := range tests {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
}

func TestSettings(t *testing.T) { eachBackend(t, testSettings) }

func testSettings(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	if _, ok, err := s.Setting(ctx, "signing_key"); ok || err != nil {
		t.Fatalf("unset setting: ok=%v err=%v", ok, err)
	}
	for _, v := range []string{"first", "second"} {
		if err := s.SetSetting(ctx, "signing_key", v); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = db.open(t)
	if v, ok, err := s.Setting(ctx, "signing_key"); v != "second" || !ok || err != nil {
		t.Fatalf("after reopen: %q %v %v", v, ok, err)
	}
}

// TestMarkInterruptedAfterCrash simulates a server that stopped while an interview was live:
// the store is closed without ending it, reopened, and MarkInterrupted runs as on startup.
func TestMarkInterruptedAfterCrash(t *testing.T) { eachBackend(t, testMarkInterruptedAfterCrash) }

func testMarkInterruptedAfterCrash(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)

	start := t0.Add(time.Minute)
	live := newInterview("live", t0)
	mustCreate(t, s, live)
	if err := s.SetInterviewState(ctx, "live", report.Live, &start, nil); err != nil {
		t.Fatal(err)
	}
	r := sampleReport("live", 2, 2)
	if err := s.SaveReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, newInterview("joined", t0)) // live, no report written yet
	pending := newInterview("pending", t0)       // nobody joined yet: its links must keep working
	pending.State = report.Scheduled
	mustCreate(t, s, pending)
	done := newInterview("done", t0)
	done.State = report.Final
	mustCreate(t, s, done)
	fr := sampleReport("done", 1, 1)
	fr.State = report.Final
	if err := s.SaveReport(ctx, fr); err != nil {
		t.Fatal(err)
	}
	// Crash between the final report and the interview state: the report is the truth.
	mustCreate(t, s, newInterview("half", t0))
	hr := sampleReport("half", 1, 1)
	hr.State = report.Final
	if err := s.SaveReport(ctx, hr); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // "crash": nothing was ended
		t.Fatal(err)
	}

	s = db.open(t)
	ids, err := s.MarkInterrupted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []string{"joined", "live"}) {
		t.Fatalf("MarkInterrupted = %v, want [joined live]", ids)
	}
	wantStates := map[string]report.State{
		"live": report.Interrupted, "joined": report.Interrupted, "pending": report.Scheduled, "done": report.Final, "half": report.Final,
	}
	for id, want := range wantStates {
		iv, err := s.GetInterview(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if iv.State != want {
			t.Errorf("interview %s: state %q, want %q", id, iv.State, want)
		}
	}
	got, err := s.GetReport(ctx, "live")
	if err != nil {
		t.Fatal(err)
	}
	want := *r
	want.State = report.Interrupted
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("interrupted report = %+v\nwant %+v", got, want)
	}
	var col string
	if err := s.r.QueryRowContext(ctx, `SELECT state FROM reports WHERE interview_id = 'live'`).Scan(&col); err != nil || col != string(report.Interrupted) {
		t.Fatalf("state column = %q, %v", col, err)
	}
	// Idempotent: a second startup finds nothing.
	if ids, err := s.MarkInterrupted(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("second MarkInterrupted = %v, %v", ids, err)
	}
}

func TestMarkInterruptedKeepsUnknownFields(t *testing.T) {
	eachBackend(t, testMarkInterruptedKeepsUnknownFields)
}

func testMarkInterruptedKeepsUnknownFields(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	mustCreate(t, s, newInterview("iv", t0))
	// A newer binary may have written fields this one does not know.
	if _, err := s.w.ExecContext(ctx, s.q(`INSERT INTO reports(interview_id, state, body) VALUES('iv', 'live', ?)`),
		`{"schema":"integritybot.report/v1","interview_id":"iv","state":"live","overall":"review","future":{"x":1}}`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkInterrupted(ctx); err != nil {
		t.Fatal(err)
	}
	var body string
	if err := s.r.QueryRowContext(ctx, `SELECT body FROM reports WHERE interview_id = 'iv'`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	const want = `{"schema":"integritybot.report/v1","interview_id":"iv","state":"interrupted","overall":"review","future":{"x":1}}`
	if body != want {
		t.Fatalf("body = %s\nwant   %s", body, want)
	}
}

func TestConcurrentSaveReport(t *testing.T) { eachBackend(t, testConcurrentSaveReport) }

func testConcurrentSaveReport(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	const interviews, saves = 8, 25
	for i := range interviews {
		mustCreate(t, s, newInterview(fmt.Sprintf("iv%d", i), t0))
	}
	var wg sync.WaitGroup
	errs := make(chan error, interviews*saves*2)
	for i := range interviews {
		id := fmt.Sprintf("iv%d", i)
		wg.Go(func() {
			for n := range saves {
				r := sampleReport(id, 8, 5)
				r.Coverage.FramesDecoded = int64(n)
				if err := s.SaveReport(ctx, r); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() { // readers race the writers
			for range saves {
				if _, err := s.GetReport(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
					errs <- err
				}
				if _, err := s.ListInterviews(ctx, 10); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range interviews {
		r, err := s.GetReport(ctx, fmt.Sprintf("iv%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if r.Coverage.FramesDecoded != saves-1 {
			t.Errorf("iv%d: last save lost: frames_decoded = %d", i, r.Coverage.FramesDecoded)
		}
	}
}

func TestDeleteBefore(t *testing.T) { eachBackend(t, testDeleteBefore) }

func testDeleteBefore(t *testing.T, db testDB) {
	ctx := context.Background()
	s := db.open(t)
	for i := range 5 { // created t0, t0+1d, ..., t0+4d
		id := fmt.Sprintf("iv%d", i)
		mustCreate(t, s, newInterview(id, t0.AddDate(0, 0, i)))
		if err := s.SaveReport(ctx, sampleReport(id, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteBefore(ctx, t0.AddDate(0, 0, 2))
	if err != nil || n != 2 {
		t.Fatalf("DeleteBefore = %d, %v; want 2", n, err)
	}
	for i := range 5 {
		id := fmt.Sprintf("iv%d", i)
		_, ierr := s.GetInterview(ctx, id)
		_, rerr := s.GetReport(ctx, id)
		gone := i < 2
		if errors.Is(ierr, ErrNotFound) != gone || errors.Is(rerr, ErrNotFound) != gone {
			t.Errorf("%s: interview err %v, report err %v; want gone=%v", id, ierr, rerr, gone)
		}
	}
	var orphans int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM reports WHERE interview_id NOT IN (SELECT id FROM interviews)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("orphan reports = %d, %v", orphans, err)
	}
	if n, err := s.DeleteBefore(ctx, t0.AddDate(0, 0, 2)); err != nil || n != 0 {
		t.Fatalf("second DeleteBefore = %d, %v; want 0", n, err)
	}
}

func TestContextCanceled(t *testing.T) { eachBackend(t, testContextCanceled) }

func testContextCanceled(t *testing.T, db testDB) {
	s := db.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ListInterviews(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("ListInterviews with canceled ctx: %v", err)
	}
}

// eachBackendB runs f as the sub-benchmarks "sqlite" and "postgres" (skipped without
// INTEGRITYBOT_TEST_POSTGRES), each on a fresh database.
func eachBackendB(b *testing.B, f func(b *testing.B, s *Store)) {
	for _, driver := range []string{DriverSQLite, DriverPostgres} {
		b.Run(driver, func(b *testing.B) { f(b, newDB(b, driver).open(b)) })
	}
}

func BenchmarkSaveReport(b *testing.B) {
	eachBackendB(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		mustCreate(b, s, newInterview("iv", t0))
		r := sampleReport("iv", 8, 20)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SaveReport(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetReport(b *testing.B) {
	eachBackendB(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		mustCreate(b, s, newInterview("iv", t0))
		if err := s.SaveReport(ctx, sampleReport("iv", 8, 20)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.GetReport(ctx, "iv"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEnqueueDue is one notification's trip through the outbox: Enqueue, DueOutbox
// (PostgreSQL: the claim), MarkDelivered.
func BenchmarkEnqueueDue(b *testing.B) {
	eachBackendB(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		mustCreate(b, s, newInterview("iv", t0))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n++
			if _, err := s.Enqueue(ctx, entry("iv", fmt.Sprint("k", n), "alert", "camera", t0)); err != nil {
				b.Fatal(err)
			}
			due, err := s.DueOutbox(ctx, t0, 20)
			if err != nil || len(due) != 1 {
				b.Fatalf("DueOutbox = %d entries, %v", len(due), err)
			}
			if err := s.MarkDelivered(ctx, due[0].ID, "m", "t", t0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
