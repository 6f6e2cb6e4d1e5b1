package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/integritybot/integritybot/internal/report"
)

// saveReportSQL upserts a report only if its interview exists, so a missing interview is
// ErrNotFound rather than a foreign-key error. saved_at renews the lease of the node running
// the interview (MarkInterrupted). The casts give PostgreSQL the parameters' types, which it
// cannot infer from a SELECT list.
const saveReportSQL = `INSERT INTO reports(interview_id, state, body, saved_at)
	SELECT CAST(?1 AS TEXT), CAST(?2 AS TEXT), CAST(?3 AS TEXT), CAST(?4 AS BIGINT)
	WHERE EXISTS (SELECT 1 FROM interviews WHERE id = ?1)
	ON CONFLICT(interview_id) DO UPDATE SET state = excluded.state, body = excluded.body,
		saved_at = excluded.saved_at`

// SaveReport stores r as the report of interview r.InterviewID, replacing the previous one.
// The interview must exist (ErrNotFound otherwise). It does not change the interview's own
// state; see SetInterviewState.
func (s *Store) SaveReport(ctx context.Context, r *report.Report) error {
	if r == nil || r.InterviewID == "" {
		return errors.New("store: save report: no interview id")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: save report %s: %w", r.InterviewID, err)
	}
	res, err := s.saveReport.ExecContext(ctx, r.InterviewID, string(r.State), string(body), s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("store: save report %s: %w", r.InterviewID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: save report %s: %w", r.InterviewID, err)
	} else if n == 0 {
		return fmt.Errorf("store: save report %s: interview: %w", r.InterviewID, ErrNotFound)
	}
	return nil
}

// GetReport returns the stored report of interview id, or ErrNotFound.
func (s *Store) GetReport(ctx context.Context, id string) (*report.Report, error) {
	var body string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT body FROM reports WHERE interview_id = ?`), id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: get report %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get report %s: %w", id, err)
	}
	r := new(report.Report)
	if err := json.Unmarshal([]byte(body), r); err != nil {
		return nil, fmt.Errorf("store: get report %s: %w", id, err)
	}
	return r, nil
}

// MarkInterrupted is called once on startup, before any session runs: every interview and
// every report still live becomes interrupted, because the server stopped before the
// interview ended. The report JSON's "state" changes in place; everything else in it,
// overall included, is kept. Scheduled interviews (nobody joined yet) are untouched, so their
// links keep working across a restart. It returns the interview ids it changed, sorted.
//
// On PostgreSQL, shared by several nodes, only this node's interviews (Config.NodeID, or none
// recorded) and those whose lease is stale (no report saved for Config.StaleAfter) are
// touched: the others are running elsewhere. SQLite has one node; every live interview is.
//
// An interview still live whose stored report is already final (a crash between the two
// writes) takes the report's state instead and is not returned.
func (s *Store) MarkInterrupted(ctx context.Context) ([]string, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: mark interrupted: %w", err)
	}
	defer tx.Rollback()
	// Repair first: a crash between storing the final report and the interview's state
	// leaves a live interview with a final report; the report is the truth.
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE interviews
		SET state = (SELECT r.state FROM reports r WHERE r.interview_id = interviews.id)
		WHERE state = ?1 AND EXISTS
			(SELECT 1 FROM reports r WHERE r.interview_id = interviews.id AND r.state <> ?1)`),
		string(report.Live)); err != nil {
		return nil, fmt.Errorf("store: mark interrupted: %w", err)
	}
	// SQLite: node "" and no cutoff make every live interview this node's.
	node, cutoff := "", int64(math.MaxInt64)
	if s.d == dialectPostgres {
		node, cutoff = s.node, s.now().Add(-s.staleAfter).UnixNano()
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT i.id FROM interviews i LEFT JOIN reports r ON r.interview_id = i.id
		WHERE (i.state = ?1 OR r.state = ?1)
		AND (i.node_id = '' OR i.node_id = ?2 OR COALESCE(r.saved_at, i.started_at, i.created_at) < ?3)`),
		string(report.Live), node, cutoff)
	if err != nil {
		return nil, fmt.Errorf("store: mark interrupted: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: mark interrupted: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: mark interrupted: %w", err)
	}
	changed := ids[:0]
	for _, id := range ids {
		ok, err := s.markOne(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("store: mark interrupted %s: %w", id, err)
		}
		if ok {
			changed = append(changed, id)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: mark interrupted: %w", err)
	}
	sort.Strings(changed)
	return changed, nil
}

// markOne marks interview id and its report interrupted if they are still live, and says
// whether it changed either (another node's MarkInterrupted may have come first).
func (s *Store) markOne(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	live, interrupted := string(report.Live), string(report.Interrupted)
	res, err := tx.ExecContext(ctx, s.q(`UPDATE interviews SET state = ? WHERE id = ? AND state = ?`),
		interrupted, id, live)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	var body string
	err = tx.QueryRowContext(ctx, s.q(`SELECT body FROM reports WHERE interview_id = ? AND state = ?`), id, live).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return n > 0, nil
	}
	if err != nil {
		return false, err
	}
	nb, err := setState(body, interrupted)
	if err != nil {
		return false, err
	}
	res, err = tx.ExecContext(ctx, s.q(`UPDATE reports SET state = ?, body = ? WHERE interview_id = ? AND state = ?`),
		interrupted, nb, id, live)
	if err != nil {
		return false, err
	}
	m, err := res.RowsAffected()
	return n+m > 0, err
}

// setState rewrites only the top-level "state" of a report's JSON, byte for byte elsewhere,
// so fields this binary does not know survive (and PostgreSQL's jsonb, which reorders keys,
// is not needed).
func setState(body, state string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return "", errors.New("report body is not a JSON object")
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("report body: %w", err)
		}
		from := dec.InputOffset() // just after the key, before the colon
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", fmt.Errorf("report body: %w", err)
		}
		if key != "state" {
			continue
		}
		val, _ := json.Marshal(state)
		return body[:from] + ":" + string(val) + body[dec.InputOffset():], nil
	}
	return "", errors.New("report body has no state")
}
