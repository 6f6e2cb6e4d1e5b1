package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// OutboxState is the delivery state of an outbox entry.
type OutboxState string

// Outbox states. Pending entries are retried until delivered; Failed means the platform
// refused the message for good (bad credentials, unknown channel) and says why.
const (
	OutboxPending   OutboxState = "pending"
	OutboxDelivered OutboxState = "delivered"
	OutboxFailed    OutboxState = "failed"
)

// OutboxEntry is one notification to deliver to one notifier (a summary or a live alert).
// Times come back in UTC.
type OutboxEntry struct {
	ID int64
	// Key is unique: enqueueing the same key twice keeps the first entry.
	Key         string
	InterviewID string
	Notifier    string // "slack", "discord", "webhook"
	Target      string // channel; "" for webhook modes
	Kind        string // "summary" or "alert"
	Check       string // the check of an alert
	Payload     []byte // what to render (JSON), opaque to the store
	State       OutboxState
	Attempts    int
	// NextAttemptAt is when a pending entry is due.
	NextAttemptAt time.Time
	LastError     string
	// MessageID and ThreadID are the platform's ids once posted (also kept on a partial
	// failure, so a retry does not post the message again).
	MessageID, ThreadID string
	CreatedAt           time.Time
	DeliveredAt         *time.Time
}

const outboxColumns = `id, dedupe_key, interview_id, notifier, target, kind, check_id, payload, state,
	attempts, next_attempt_at, last_error, message_id, thread_id, created_at, delivered_at`

// Enqueue adds e as a pending entry due at e.NextAttemptAt (CreatedAt when zero). It returns
// false, and changes nothing, when an entry with e.Key exists: enqueueing is idempotent.
func (s *Store) Enqueue(ctx context.Context, e OutboxEntry) (bool, error) {
	return s.enqueue(ctx, e, 0)
}

// EnqueueDebounced is Enqueue unless an entry of the same interview, notifier, target, kind
// and check was created less than window before e.CreatedAt: then it returns false. Live
// alerts use it so a flapping check posts at most once per window.
func (s *Store) EnqueueDebounced(ctx context.Context, e OutboxEntry, window time.Duration) (bool, error) {
	return s.enqueue(ctx, e, window)
}

func (s *Store) enqueue(ctx context.Context, e OutboxEntry, window time.Duration) (bool, error) {
	switch {
	case e.Key == "" || e.InterviewID == "" || e.Notifier == "" || e.Kind == "":
		return false, errors.New("store: enqueue: key, interview, notifier and kind are required")
	case e.CreatedAt.IsZero():
		return false, errors.New("store: enqueue: zero created_at")
	}
	if e.NextAttemptAt.IsZero() {
		e.NextAttemptAt = e.CreatedAt
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: enqueue %s: %w", e.Key, err)
	}
	defer tx.Rollback()
	if window > 0 {
		var n int
		err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM outbox WHERE interview_id = ? AND notifier = ?
			AND target = ? AND kind = ? AND check_id = ? AND created_at > ?`),
			e.InterviewID, e.Notifier, e.Target, e.Kind, e.Check, e.CreatedAt.Add(-window).UnixNano()).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("store: enqueue %s: %w", e.Key, err)
		}
		if n > 0 {
			return false, nil
		}
	}
	// The casts give PostgreSQL the parameters' types, which it cannot infer from a SELECT list.
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO outbox(dedupe_key, interview_id, notifier, target, kind,
		check_id, payload, state, attempts, next_attempt_at, last_error, message_id, thread_id, created_at)
		SELECT CAST(?1 AS TEXT), CAST(?2 AS TEXT), CAST(?3 AS TEXT), CAST(?4 AS TEXT), CAST(?5 AS TEXT),
			CAST(?6 AS TEXT), CAST(?7 AS TEXT), CAST(?8 AS TEXT), 0, CAST(?9 AS BIGINT), '', '', '', CAST(?10 AS BIGINT)
		WHERE EXISTS (SELECT 1 FROM interviews WHERE id = ?2)
		ON CONFLICT(dedupe_key) DO NOTHING`),
		e.Key, e.InterviewID, e.Notifier, e.Target, e.Kind, e.Check, string(e.Payload),
		string(OutboxPending), e.NextAttemptAt.UnixNano(), e.CreatedAt.UnixNano())
	if err != nil {
		return false, fmt.Errorf("store: enqueue %s: %w", e.Key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: enqueue %s: %w", e.Key, err)
	}
	if n == 0 {
		// Either the key exists (idempotent) or the interview does not.
		var exists int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM interviews WHERE id = ?`), e.InterviewID).Scan(&exists); err != nil {
			return false, fmt.Errorf("store: enqueue %s: %w", e.Key, err)
		}
		if exists == 0 {
			return false, fmt.Errorf("store: enqueue %s: interview: %w", e.Key, ErrNotFound)
		}
		return false, nil
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: enqueue %s: %w", e.Key, err)
	}
	return true, nil
}

// DueOutbox returns up to limit pending entries due at now, oldest first. An entry waits
// while an older pending entry of the same interview, notifier and target exists, so each
// thread is posted in order (the first message starts the thread the others reply to).
//
// On PostgreSQL, where several workers (processes) share the outbox, the entries returned
// are claimed until now + Config.ClaimLease: no other DueOutbox returns them until the worker
// records the outcome (MarkDelivered, MarkRetry, MarkFailed) or the lease lapses (the worker
// died mid-batch). Rows another worker is claiming at this instant are skipped, not waited
// for (FOR UPDATE SKIP LOCKED). SQLite has one worker and claims nothing.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxEntry, error) {
	if s.d == dialectPostgres {
		return s.claimOutbox(ctx, now, limit)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox o
		WHERE state = ?1 AND next_attempt_at <= ?2 AND NOT EXISTS (
			SELECT 1 FROM outbox p WHERE p.state = ?1 AND p.interview_id = o.interview_id
			AND p.notifier = o.notifier AND p.target = o.target AND p.id < o.id)
		ORDER BY next_attempt_at, id LIMIT ?3`, string(OutboxPending), now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due outbox: %w", err)
	}
	return scanOutbox(rows, "due outbox")
}

// claimOutboxSQL selects and locks the due rows no one else holds, then stamps the lease in
// the same statement. Under READ COMMITTED a row another worker claimed and committed in the
// meantime is re-checked after its lock is taken, fails claimed_until <= now and is dropped.
var claimOutboxSQL = `WITH due AS MATERIALIZED (
		SELECT id FROM outbox o
		WHERE state = $1 AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2)
		AND NOT EXISTS (
			SELECT 1 FROM outbox p WHERE p.state = $1 AND p.interview_id = o.interview_id
			AND p.notifier = o.notifier AND p.target = o.target AND p.id < o.id)
		ORDER BY next_attempt_at, id LIMIT $3
		FOR UPDATE SKIP LOCKED)
	UPDATE outbox SET claimed_until = $4 FROM due WHERE outbox.id = due.id
	RETURNING ` + strings.ReplaceAll("outbox."+strings.ReplaceAll(outboxColumns, "\n\t", " "), ", ", ", outbox.")

func (s *Store) claimOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxEntry, error) {
	rows, err := s.w.QueryContext(ctx, claimOutboxSQL, string(OutboxPending), now.UnixNano(), limit,
		now.Add(s.claimLease).UnixNano())
	if err != nil {
		return nil, fmt.Errorf("store: due outbox: %w", err)
	}
	out, err := scanOutbox(rows, "due outbox")
	// RETURNING follows no ORDER BY.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.NextAttemptAt.Before(b.NextAttemptAt) || a.NextAttemptAt.Equal(b.NextAttemptAt) && a.ID < b.ID
	})
	return out, err
}

// OutboxDepth returns how many entries wait for delivery (pending, due or not): the outbox
// depth /metrics exports.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM outbox WHERE state = ?`), string(OutboxPending)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: outbox depth: %w", err)
	}
	return n, nil
}

// OutboxEntries returns the entries of an interview, oldest first (the report page's
// delivery state). Payloads are left out.
func (s *Store) OutboxEntries(ctx context.Context, interviewID string) ([]OutboxEntry, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+outboxColumns+` FROM outbox WHERE interview_id = ? ORDER BY id`), interviewID)
	if err != nil {
		return nil, fmt.Errorf("store: outbox of %s: %w", interviewID, err)
	}
	out, err := scanOutbox(rows, "outbox of "+interviewID)
	for i := range out {
		out[i].Payload = nil
	}
	return out, err
}

// OutboxThread returns the thread root already used for an interview on a notifier and
// target, or "" when nothing was delivered there yet.
func (s *Store) OutboxThread(ctx context.Context, interviewID, notifier, target string) (string, error) {
	var th string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT thread_id FROM outbox WHERE interview_id = ? AND notifier = ?
		AND target = ? AND thread_id <> '' ORDER BY id LIMIT 1`), interviewID, notifier, target).Scan(&th)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: outbox thread of %s: %w", interviewID, err)
	}
	return th, nil
}

// MarkDelivered records a delivery with the platform's ids. Only a pending entry changes:
// a delivered entry stays as first recorded. It (like MarkRetry and MarkFailed) ends the
// entry's claim.
func (s *Store) MarkDelivered(ctx context.Context, id int64, messageID, threadID string, at time.Time) error {
	return s.markOutbox(ctx, id, `UPDATE outbox SET state = ?, message_id = ?, thread_id = ?, delivered_at = ?,
		last_error = '', attempts = attempts + 1, claimed_until = NULL WHERE id = ? AND state = ?`,
		string(OutboxDelivered), messageID, threadID, at.UnixNano(), id, string(OutboxPending))
}

// MarkRetry records a failed attempt and when to try again. Non-empty messageID and
// threadID (a partial delivery) are kept for the next attempt.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, lastError, messageID, threadID string) error {
	return s.markOutbox(ctx, id, `UPDATE outbox SET next_attempt_at = ?, last_error = ?,
		message_id = CASE WHEN ? <> '' THEN ? ELSE message_id END,
		thread_id = CASE WHEN ? <> '' THEN ? ELSE thread_id END,
		attempts = attempts + 1, claimed_until = NULL WHERE id = ? AND state = ?`,
		next.UnixNano(), lastError, messageID, messageID, threadID, threadID, id, string(OutboxPending))
}

// MarkFailed gives up on an entry the platform refused for good.
func (s *Store) MarkFailed(ctx context.Context, id int64, lastError string) error {
	return s.markOutbox(ctx, id, `UPDATE outbox SET state = ?, last_error = ?, attempts = attempts + 1, claimed_until = NULL
		WHERE id = ? AND state = ?`, string(OutboxFailed), lastError, id, string(OutboxPending))
}

func (s *Store) markOutbox(ctx context.Context, id int64, q string, args ...any) error {
	res, err := s.w.ExecContext(ctx, s.q(q), args...)
	if err != nil {
		return fmt.Errorf("store: outbox entry %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: outbox entry %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("store: outbox entry %d (pending): %w", id, ErrNotFound)
	}
	return nil
}

func scanOutbox(rows *sql.Rows, op string) ([]OutboxEntry, error) {
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var (
			e              OutboxEntry
			payload, state string
			next, created  int64
			delivered      sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &e.Key, &e.InterviewID, &e.Notifier, &e.Target, &e.Kind, &e.Check, &payload,
			&state, &e.Attempts, &next, &e.LastError, &e.MessageID, &e.ThreadID, &created, &delivered); err != nil {
			return nil, fmt.Errorf("store: %s: %w", op, err)
		}
		e.Payload, e.State = []byte(payload), OutboxState(state)
		e.NextAttemptAt, e.CreatedAt = time.Unix(0, next).UTC(), time.Unix(0, created).UTC()
		e.DeliveredAt = timePtr(delivered)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return out, nil
}

// Unsummarized returns the interviews that ended (final or interrupted; an interrupted one
// counts from its start) at or after since and
// have no summary in the outbox, oldest first, at most limit. A crash between storing the
// end of an interview and queueing its summary leaves such an interview; the server queues
// their summaries at startup (enqueueing is idempotent, so a race with a live enqueue posts
// once).
func (s *Store) Unsummarized(ctx context.Context, since time.Time, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT i.id FROM interviews i
		WHERE i.state IN (?1, ?2) AND COALESCE(i.ended_at, i.started_at, i.created_at) >= ?3
		AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.interview_id = i.id AND o.kind = ?4)
		ORDER BY COALESCE(i.ended_at, i.started_at, i.created_at), i.id LIMIT ?5`),
		string(report.Final), string(report.Interrupted), since.UnixNano(), "summary", limit)
	if err != nil {
		return nil, fmt.Errorf("store: unsummarized: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: unsummarized: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unsummarized: %w", err)
	}
	return ids, nil
}
