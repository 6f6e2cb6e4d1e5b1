package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// Interview is one interview: who the candidate says they are and where results go. Times
// are stored to the nanosecond and come back in UTC.
type Interview struct {
	ID        string
	Candidate report.Candidate
	// Notes are the interviewer's free text; shown to interviewers only.
	Notes     string
	CreatedAt time.Time
	// StartedAt and EndedAt are nil until the call starts and ends.
	StartedAt, EndedAt *time.Time
	State              report.State
	// SlackChannel and DiscordChannel say where to post the report; empty means nowhere.
	SlackChannel, DiscordChannel string
	// SlackUser and DiscordUser are the chat user who created the interview (/integrity
	// new): live alerts reach them in a direct message before the channel. Empty: unknown.
	SlackUser, DiscordUser string
}

const interviewColumns = `id, candidate_name, claimed_location, claimed_timezone, notes,
	created_at, started_at, ended_at, state, slack_channel, discord_channel, slack_user, discord_user`

// CreateInterview stores a new interview. ID, CreatedAt and State are required; an ID that
// exists already gives ErrExists.
func (s *Store) CreateInterview(ctx context.Context, iv Interview) error {
	switch {
	case iv.ID == "":
		return errors.New("store: create interview: empty id")
	case iv.CreatedAt.IsZero():
		return errors.New("store: create interview: zero created_at")
	case iv.State == "":
		return errors.New("store: create interview: empty state")
	}
	res, err := s.w.ExecContext(ctx, s.q(`INSERT INTO interviews(`+interviewColumns+`)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`),
		iv.ID, iv.Candidate.Name, iv.Candidate.ClaimedLocation, iv.Candidate.ClaimedTimezone, iv.Notes,
		iv.CreatedAt.UnixNano(), nanos(iv.StartedAt), nanos(iv.EndedAt), string(iv.State),
		iv.SlackChannel, iv.DiscordChannel, iv.SlackUser, iv.DiscordUser)
	if err != nil {
		return fmt.Errorf("store: create interview: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: create interview: %w", err)
	} else if n == 0 {
		return fmt.Errorf("store: create interview %s: %w", iv.ID, ErrExists)
	}
	return nil
}

// GetInterview returns the interview with id, or ErrNotFound.
func (s *Store) GetInterview(ctx context.Context, id string) (Interview, error) {
	row := s.r.QueryRowContext(ctx, s.q(`SELECT `+interviewColumns+` FROM interviews WHERE id = ?`), id)
	iv, err := scanInterview(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Interview{}, fmt.Errorf("store: get interview %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Interview{}, fmt.Errorf("store: get interview %s: %w", id, err)
	}
	return iv, nil
}

// ListInterviews returns up to limit interviews, newest first; limit <= 0 means all.
func (s *Store) ListInterviews(ctx context.Context, limit int) ([]Interview, error) {
	if limit <= 0 {
		limit = math.MaxInt64 // no limit (PostgreSQL refuses SQLite's -1)
	}
	return s.queryInterviews(ctx, `ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
}

// SetInterviewState sets the interview's state. A nil startedAt or endedAt keeps the stored
// value, so callers pass only what they know. ErrNotFound if there is no such interview.
func (s *Store) SetInterviewState(ctx context.Context, id string, state report.State, startedAt, endedAt *time.Time) error {
	if state == "" {
		return errors.New("store: set interview state: empty state")
	}
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE interviews SET state = ?,
		started_at = COALESCE(?, started_at), ended_at = COALESCE(?, ended_at) WHERE id = ?`),
		string(state), nanos(startedAt), nanos(endedAt), id)
	if err != nil {
		return fmt.Errorf("store: set interview state %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set interview state %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("store: set interview state %s: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteBefore deletes the interviews created before t, with their reports, snapshots and
// outbox rows (deleteWhere, delete.go), and returns how many interviews it deleted.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	n, err := s.deleteWhere(ctx, `created_at < ?`, t.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: delete before: %w", err)
	}
	return n, nil
}

// ErrElsewhere is returned (wrapped) by StartInterview when the interview is live on another
// node sharing the database, and that node still renews its lease.
var ErrElsewhere = errors.New("store: interview runs on another node")

// StartInterview records that the call of interview id started at at on this node
// (Config.NodeID): the interview becomes live and pinned here. On PostgreSQL an interview live
// on another node is refused with ErrElsewhere until that node's lease goes stale (its report
// unsaved for Config.StaleAfter) or the node itself is dead (its heartbeat older than
// Config.NodeStaleAfter, or it said it stopped: nodes.go); then this node takes it over.
// ErrNotFound if there is no such interview.
func (s *Store) StartInterview(ctx context.Context, id string, at time.Time) error {
	cutoff, nodeCutoff := int64(math.MaxInt64), int64(0) // SQLite: one node, nothing is elsewhere
	if s.d == dialectPostgres {
		cutoff, nodeCutoff = s.now().Add(-s.staleAfter).UnixNano(), s.nodeCutoff()
	}
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE interviews SET state = ?1, started_at = ?2, node_id = ?3
		WHERE id = ?4 AND (state <> ?1 OR node_id = '' OR node_id = ?3 OR COALESCE(
			(SELECT r.saved_at FROM reports r WHERE r.interview_id = interviews.id), started_at, created_at) < ?5
			OR EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = interviews.node_id
				AND (n.gone_at IS NOT NULL OR n.heartbeat_at < ?6)))`),
		string(report.Live), at.UnixNano(), s.node, id, cutoff, nodeCutoff)
	if err != nil {
		return fmt.Errorf("store: start interview %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: start interview %s: %w", id, err)
	} else if n > 0 {
		return nil
	}
	var node string
	err = s.w.QueryRowContext(ctx, s.q(`SELECT node_id FROM interviews WHERE id = ?`), id).Scan(&node)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: start interview %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: start interview %s: %w", id, err)
	}
	return fmt.Errorf("store: start interview %s: live on node %q: %w", id, node, ErrElsewhere)
}

// InterviewNode returns the node recorded as running interview id ("" when none).
func (s *Store) InterviewNode(ctx context.Context, id string) (string, error) {
	var node string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT node_id FROM interviews WHERE id = ?`), id).Scan(&node)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: interview node %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: interview node %s: %w", id, err)
	}
	return node, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanInterview(sc scanner) (Interview, error) {
	var (
		iv             Interview
		created        int64
		started, ended sql.NullInt64
		state          string
	)
	err := sc.Scan(&iv.ID, &iv.Candidate.Name, &iv.Candidate.ClaimedLocation, &iv.Candidate.ClaimedTimezone,
		&iv.Notes, &created, &started, &ended, &state, &iv.SlackChannel, &iv.DiscordChannel,
		&iv.SlackUser, &iv.DiscordUser)
	if err != nil {
		return Interview{}, err
	}
	iv.CreatedAt = time.Unix(0, created).UTC()
	iv.StartedAt, iv.EndedAt = timePtr(started), timePtr(ended)
	iv.State = report.State(state)
	return iv, nil
}

// nanos converts an optional time to a nullable column value.
func nanos(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.Unix(0, n.Int64).UTC()
	return &t
}
