package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// What the store keeps of an interview, all of it deleted by DeleteInterview and by the
// retention purge (docs/privacy.md): the interviews row (the candidate's claimed name,
// location and timezone, the interviewer's notes, the chat channels), the reports row (the
// report JSON: checks, evidence, snapshots, the timeline) and the outbox rows (the summaries
// and alerts for Slack, Discord and the webhook, with their payloads). SQLite overwrites the
// deleted bytes (secure_delete) and the WAL is truncated afterwards (scrubWAL); PostgreSQL
// keeps dead rows until its autovacuum reuses the space.

// RevokeLinks refuses every candidate, interviewer and report link of interview id from now
// on (LinksRevoked); the interview and its report stay, readable with the API token.
// ErrNotFound if there is no such interview.
func (s *Store) RevokeLinks(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE interviews SET links_revoked = 1 WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("store: revoke links %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: revoke links %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("store: revoke links %s: %w", id, ErrNotFound)
	}
	return nil
}

// LinksRevoked reports whether the links of interview id were revoked. ErrNotFound if there
// is no such interview (deleted, or purged by retention): its links are dead too.
func (s *Store) LinksRevoked(ctx context.Context, id string) (bool, error) {
	var revoked int
	err := s.r.QueryRowContext(ctx, s.q(`SELECT links_revoked FROM interviews WHERE id = ?`), id).Scan(&revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("store: links revoked %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("store: links revoked %s: %w", id, err)
	}
	return revoked != 0, nil
}

// DeleteInterview deletes interview id with its report (snapshots and timeline inside it)
// and its outbox rows, in one transaction, and scrubs the freed bytes (see above). The
// caller ends a live call first: a report saved afterwards is refused (ErrNotFound).
// ErrNotFound if there is no such interview.
func (s *Store) DeleteInterview(ctx context.Context, id string) error {
	n, err := s.deleteWhere(ctx, `id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete interview %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete interview %s: %w", id, ErrNotFound)
	}
	return nil
}

// PurgeExpired deletes, like DeleteInterview, every interview created more than retention
// before now (Config.Now) and returns how many. It is the retention sweep (retention.days).
func (s *Store) PurgeExpired(ctx context.Context, retention time.Duration) (int, error) {
	if retention <= 0 {
		return 0, errors.New("store: purge: retention must be positive")
	}
	n, err := s.deleteWhere(ctx, `created_at < ?`, s.now().Add(-retention).UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	return n, nil
}

// deleteWhere deletes the interviews matching cond (a condition on interviews' columns with
// one parameter, arg) and everything of theirs, and returns how many interviews it deleted.
func (s *Store) deleteWhere(ctx context.Context, cond string, arg any) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// The foreign keys cascade too; explicit deletes do not depend on a connection's pragma.
	sub := `interview_id IN (SELECT id FROM interviews WHERE ` + cond + `)`
	for _, q := range []string{`DELETE FROM outbox WHERE ` + sub, `DELETE FROM chat_messages WHERE ` + sub,
		`DELETE FROM reports WHERE ` + sub} {
		if _, err := tx.ExecContext(ctx, s.q(q), arg); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM interviews WHERE `+cond), arg)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	if n > 0 {
		if err := s.scrubWAL(ctx); err != nil {
			return int(n), err
		}
	}
	return int(n), nil
}
