package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ChatMessage is an interview's one message in a chat channel: posted by the first
// notification ("in progress" or the first alert), then edited in place up to the final
// summary, with alerts and snapshots in its thread. Keeping it in the store lets a restart,
// or an outage that lasts past the call, still edit the same message.
type ChatMessage struct {
	InterviewID string
	Notifier    string // "slack", "discord"
	Target      string // the channel
	// MessageID is the platform's id of the message to edit (Slack "channel/ts", Discord
	// message id); ThreadID where replies go (Slack ts, Discord thread channel id).
	MessageID, ThreadID string
	UpdatedAt           time.Time
}

// ChatMessage returns the message of an interview on a notifier and target, with ok false
// when none was posted yet.
func (s *Store) ChatMessage(ctx context.Context, interviewID, notifier, target string) (ChatMessage, bool, error) {
	m := ChatMessage{InterviewID: interviewID, Notifier: notifier, Target: target}
	var updated int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT message_id, thread_id, updated_at FROM chat_messages
		WHERE interview_id = ? AND notifier = ? AND target = ?`), interviewID, notifier, target).
		Scan(&m.MessageID, &m.ThreadID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return ChatMessage{}, false, nil
	}
	if err != nil {
		return ChatMessage{}, false, fmt.Errorf("store: chat message of %s: %w", interviewID, err)
	}
	m.UpdatedAt = time.Unix(0, updated).UTC()
	return m, true, nil
}

// SetChatMessage records (or replaces, after the old one was deleted in the channel) the
// message of an interview on a notifier and target. ErrNotFound if the interview is gone
// (deleted while a delivery was under way): nothing is recorded for it.
func (s *Store) SetChatMessage(ctx context.Context, m ChatMessage) error {
	if m.InterviewID == "" || m.Notifier == "" || m.MessageID == "" {
		return errors.New("store: set chat message: interview, notifier and message id are required")
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = s.now()
	}
	res, err := s.w.ExecContext(ctx, s.q(`INSERT INTO chat_messages(interview_id, notifier, target, message_id, thread_id, updated_at)
		SELECT CAST(?1 AS TEXT), CAST(?2 AS TEXT), CAST(?3 AS TEXT), CAST(?4 AS TEXT), CAST(?5 AS TEXT), CAST(?6 AS BIGINT)
		WHERE EXISTS (SELECT 1 FROM interviews WHERE id = ?1)
		ON CONFLICT(interview_id, notifier, target) DO UPDATE SET message_id = excluded.message_id,
			thread_id = excluded.thread_id, updated_at = excluded.updated_at`),
		m.InterviewID, m.Notifier, m.Target, m.MessageID, m.ThreadID, m.UpdatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("store: set chat message of %s: %w", m.InterviewID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set chat message of %s: %w", m.InterviewID, err)
	} else if n == 0 {
		return fmt.Errorf("store: set chat message of %s: %w", m.InterviewID, ErrNotFound)
	}
	return nil
}
