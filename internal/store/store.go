// Package store keeps interviews, their reports, the notification outbox and server settings
// in SQLite (modernc.org/sqlite, pure Go; the single-machine default) or PostgreSQL (pgx,
// github.com/jackc/pgx/v5, through database/sql) for several serve processes sharing one
// database. Both sit behind the same methods; nothing here leaks a driver's types.
//
// SQLite: writes go through a pool of one connection and reads through a pool of several, so
// writers queue in Go instead of spinning on SQLITE_BUSY, while WAL mode lets readers run
// beside the writer. A report is written every ~2 s for each live interview; SaveReport is
// one prepared upsert of the report's JSON.
//
// PostgreSQL: one pool for both. Several processes may share the database: DueOutbox claims
// the rows it returns (FOR UPDATE SKIP LOCKED and a lease), and interviews are pinned to the
// node that runs them (Config.NodeID; see Rooms.Started and MarkInterrupted).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned (wrapped) when an interview, report or setting does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrExists is returned (wrapped) by CreateInterview when the id is already taken.
var ErrExists = errors.New("store: already exists")

// Drivers accepted by Config.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Defaults of Config's durations.
const (
	// DefaultClaimLease outlasts a worker's batch of due entries (integrations.Outbox takes
	// 20 at a time, each attempt bounded by a 30 s timeout), so a row is never claimed twice
	// while its first claimant may still post it.
	DefaultClaimLease = 15 * time.Minute
	// DefaultStaleAfter is how long a live interview's report may go unsaved (it is saved
	// every ~2 s while its node runs it) before another node takes it as abandoned.
	DefaultStaleAfter = time.Minute
)

// Config selects and configures the database. The zero value (with Path set) is the SQLite
// store Open opens.
type Config struct {
	// Driver is DriverSQLite (default when empty) or DriverPostgres.
	Driver string
	// Path is the SQLite file.
	Path string
	// DSN is the PostgreSQL connection string (URL or key=value form). It is a secret: it
	// never appears in errors or logs.
	DSN string
	// NodeID names this process among those sharing a PostgreSQL database; it is recorded on
	// the interviews it runs.
	NodeID string
	// Now is the clock for leases (time.Now when nil).
	Now func() time.Time
	// ClaimLease is how long an outbox row DueOutbox returned stays claimed (PostgreSQL)
	// [DefaultClaimLease].
	ClaimLease time.Duration
	// StaleAfter is when a live interview of another node counts as abandoned (PostgreSQL)
	// [DefaultStaleAfter].
	StaleAfter time.Duration
	// NodeStaleAfter is when a node whose heartbeat stopped counts as dead (nodes.go): its
	// live interviews are no longer routed to it, and another node may take them over
	// (PostgreSQL) [DefaultNodeStaleAfter].
	NodeStaleAfter time.Duration
}

// Store is a database of interviews, reports, outbox entries and settings. It is safe for
// concurrent use.
type Store struct {
	w *sql.DB // SQLite: one connection, all writes; PostgreSQL: the pool
	r *sql.DB // SQLite: several connections, reads; PostgreSQL: the same pool as w
	d dialect
	// saveReport is prepared once: SaveReport is the hot path.
	saveReport *sql.Stmt
	rebound    sync.Map // PostgreSQL: query → query with $N placeholders (dialect.go)

	node                   string
	now                    func() time.Time
	claimLease, staleAfter time.Duration
	nodeStaleAfter         time.Duration
}

// Open opens (creating if needed) the SQLite database at path, creating its parent directory
// with mode 0700 (DirMode; an existing one is brought to it) and its files with 0600
// (FileMode), and brings the schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenConfig(ctx, Config{Path: path})
}

// OpenConfig opens the database c describes and brings its schema up to date.
func OpenConfig(ctx context.Context, c Config) (*Store, error) {
	s := &Store{node: c.NodeID, now: c.Now, claimLease: c.ClaimLease, staleAfter: c.StaleAfter, nodeStaleAfter: c.NodeStaleAfter}
	if s.now == nil {
		s.now = time.Now
	}
	if s.claimLease <= 0 {
		s.claimLease = DefaultClaimLease
	}
	if s.staleAfter <= 0 {
		s.staleAfter = DefaultStaleAfter
	}
	if s.nodeStaleAfter <= 0 {
		s.nodeStaleAfter = DefaultNodeStaleAfter
	}
	var err error
	switch c.Driver {
	case "", DriverSQLite:
		err = s.openSQLite(ctx, c.Path)
	case DriverPostgres:
		s.d = dialectPostgres
		err = s.openPostgres(ctx, c.DSN)
	default:
		return nil, fmt.Errorf("store: open: unknown driver %q (want %s or %s)", c.Driver, DriverSQLite, DriverPostgres)
	}
	if err != nil {
		return nil, err
	}
	if err := s.hashLegacyToken(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.saveReport, err = s.w.PrepareContext(ctx, s.q(saveReportSQL)); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open: prepare: %w", err)
	}
	return s, nil
}

// Driver returns DriverSQLite or DriverPostgres.
func (s *Store) Driver() string { return s.d.String() }

func (s *Store) openSQLite(ctx context.Context, path string) error {
	if path == "" {
		return errors.New("store: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if err := privateDir(filepath.Dir(abs)); err != nil {
		return err
	}
	if err := privateFiles(abs); err != nil {
		return err
	}
	if s.w, err = openPool(abs, 1); err != nil {
		return err
	}
	// The schema and WAL mode (persistent in the file) come before readers open.
	if err := s.migrate(ctx); err != nil {
		s.w.Close()
		return err
	}
	if err := s.enableWAL(ctx); err != nil {
		s.w.Close()
		return err
	}
	if s.r, err = openPool(abs, max(4, runtime.GOMAXPROCS(0))); err != nil {
		s.w.Close()
		return err
	}
	return nil
}

// enableWAL switches the file to write-ahead logging, once: readers then never block the
// writer. It is not a per-connection DSN pragma because switching needs an exclusive lock
// that SQLite may refuse without waiting (SQLITE_BUSY) while another process opens the same
// fresh file; here that case is retried for up to 10 s.
func (s *Store) enableWAL(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var mode string
		err := s.w.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		if err == nil && mode == "wal" {
			return nil
		}
		if err == nil {
			return fmt.Errorf("store: open: journal mode is %q, want wal", mode)
		}
		if !isBusy(err) {
			return fmt.Errorf("store: open: enable WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: open: enable WAL: %w", errors.Join(err, ctx.Err()))
		case <-time.After(delay):
		}
	}
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// openPool opens a database/sql pool on the file at abs. Every connection gets a busy
// timeout (another process, or the reader pool during a checkpoint), foreign keys and
// synchronous=NORMAL (durable at checkpoints, never corrupt; the live report is rewritten
// every few seconds anyway), and secure_delete. Transactions begin IMMEDIATE so a
// read-then-write transaction never fails with SQLITE_BUSY on lock upgrade.
func openPool(abs string, conns int) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Deleted rows (a deleted interview, a replaced secret) are overwritten with zeros, not
	// left in free pages of the file (delete.go).
	q.Add("_pragma", "secure_delete(1)")
	q.Set("_txlock", "immediate")
	// A file: URI escapes '?', '#' and '%' in the path.
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// Close closes the database. It does not wait for, or cancel, calls in progress.
func (s *Store) Close() error {
	var errs []error
	if s.saveReport != nil {
		errs = append(errs, s.saveReport.Close())
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Setting returns the value stored under key and whether it exists.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE key = ?`), key).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("store: setting %q: %w", key, err)
	}
	return v, true, nil
}

// SetSetting stores value under key, replacing any previous value. Errors name the key,
// never the value (settings hold secrets such as the API token and the signing key).
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx,
		s.q(`INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
		key, value)
	if err != nil {
		return fmt.Errorf("store: set setting %q: %w", key, err)
	}
	return nil
}
