package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations are applied in order; migrations[i] brings the schema to version i+1. Never
// edit one that has shipped: append a new one.
var migrations = []string{
	// 1: interviews, reports, settings. Times are unix nanoseconds (UTC).
	`CREATE TABLE interviews (
		id               TEXT PRIMARY KEY,
		candidate_name   TEXT NOT NULL,
		claimed_location TEXT NOT NULL,
		claimed_timezone TEXT NOT NULL,
		notes            TEXT NOT NULL,
		created_at       INTEGER NOT NULL,
		started_at       INTEGER,
		ended_at         INTEGER,
		state            TEXT NOT NULL,
		slack_channel    TEXT NOT NULL,
		discord_channel  TEXT NOT NULL
	) STRICT;
	CREATE INDEX interviews_created_at ON interviews(created_at);
	CREATE INDEX interviews_state ON interviews(state);
	CREATE TABLE reports (
		interview_id TEXT PRIMARY KEY REFERENCES interviews(id) ON DELETE CASCADE,
		state        TEXT NOT NULL,
		body         TEXT NOT NULL
	) STRICT;
	CREATE INDEX reports_state ON reports(state);
	CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	) STRICT;`,
	// 2: the notification outbox (outbox.go). dedupe_key makes enqueueing idempotent;
	// message_id records what the platform created, so a delivered row is never posted again.
	`CREATE TABLE outbox (
		id              INTEGER PRIMARY KEY AUTOINCREMENT,
		dedupe_key      TEXT NOT NULL UNIQUE,
		interview_id    TEXT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
		notifier        TEXT NOT NULL,
		target          TEXT NOT NULL,
		kind            TEXT NOT NULL,
		check_id        TEXT NOT NULL,
		payload         TEXT NOT NULL,
		state           TEXT NOT NULL,
		attempts        INTEGER NOT NULL,
		next_attempt_at INTEGER NOT NULL,
		last_error      TEXT NOT NULL,
		message_id      TEXT NOT NULL,
		thread_id       TEXT NOT NULL,
		created_at      INTEGER NOT NULL,
		delivered_at    INTEGER
	) STRICT;
	CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
	CREATE INDEX outbox_interview ON outbox(interview_id, notifier, target);`,
}

// migrate brings the schema up to date in one transaction. It is idempotent and safe when
// several processes open the same file at once (the transaction begins IMMEDIATE).
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var v int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version(version) VALUES(0)`); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	case err != nil:
		return fmt.Errorf("store: migrate: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("store: migrate: database schema version %d is newer than this program's (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("store: migrate to version %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the schema version of the open database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}
