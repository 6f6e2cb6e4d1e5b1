package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/integritybot/integritybot/internal/report"
)

// saveReportSQL upserts a report only if its interview exists, so a missing interview is
// ErrNotFound rather than a foreign-key error.
const saveReportSQL = `INSERT INTO reports(interview_id, state, body)
	SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM interviews WHERE id = ?1)
	ON CONFLICT(interview_id) DO UPDATE SET state = excluded.state, body = excluded.body`

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
	res, err := s.saveReport.ExecContext(ctx, r.InterviewID, string(r.State), string(body))
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
	err := s.r.QueryRowContext(ctx, `SELECT body FROM reports WHERE interview_id = ?`, id).Scan(&body)
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
// links keep working across a restart. It returns the affected interview ids, sorted.
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
	if _, err := tx.ExecContext(ctx, `UPDATE interviews
		SET state = (SELECT r.state FROM reports r WHERE r.interview_id = interviews.id)
		WHERE state = ?1 AND EXISTS
			(SELECT 1 FROM reports r WHERE r.interview_id = interviews.id AND r.state <> ?1)`,
		string(report.Live)); err != nil {
		return nil, fmt.Errorf("store: mark interrupted: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id FROM interviews WHERE state = ?1
		UNION
		SELECT interview_id FROM reports WHERE state = ?1`, string(report.Live))
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
	for _, id := range ids {
		if err := markOne(ctx, tx, id); err != nil {
			return nil, fmt.Errorf("store: mark interrupted %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: mark interrupted: %w", err)
	}
	sort.Strings(ids)
	return ids, nil
}

func markOne(ctx context.Context, tx *sql.Tx, id string) error {
	live, interrupted := string(report.Live), string(report.Interrupted)
	if _, err := tx.ExecContext(ctx, `UPDATE interviews SET state = ? WHERE id = ? AND state = ?`,
		interrupted, id, live); err != nil {
		return err
	}
	// json_set rewrites only "state", so fields this binary does not know survive.
	_, err := tx.ExecContext(ctx, `UPDATE reports SET state = ?1, body = json_set(body, '$.state', ?1)
		WHERE interview_id = ?2 AND state = ?3`, interrupted, id, live)
	return err
}
