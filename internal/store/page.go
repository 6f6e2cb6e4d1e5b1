package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cursor is a position in the newest-first list of interviews: the last interview a page
// held. The zero Cursor is the start.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// ErrBadCursor is returned (wrapped) by ParseCursor for a cursor it did not make.
var ErrBadCursor = errors.New("store: bad cursor")

// String encodes c for an API client to send back (opaque to it).
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixNano(), 10) + "." + c.ID))
}

// ParseCursor decodes a Cursor.String; "" is the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 {
		return Cursor{}, ErrBadCursor
	}
	ns, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{CreatedAt: time.Unix(0, n).UTC(), ID: id}, nil
}

// ListInterviewsAfter returns up to limit (1 or more) interviews that come after c in the
// newest-first list (created_at, then id, descending): a page. A page's last interview is the
// cursor of the next.
func (s *Store) ListInterviewsAfter(ctx context.Context, c Cursor, limit int) ([]Interview, error) {
	if limit < 1 {
		return nil, errors.New("store: list interviews: limit must be at least 1")
	}
	if c == (Cursor{}) {
		return s.ListInterviews(ctx, limit)
	}
	at := c.CreatedAt.UnixNano()
	return s.queryInterviews(ctx, `WHERE created_at < ?1 OR (created_at = ?1 AND id < ?2)
		ORDER BY created_at DESC, id DESC LIMIT ?3`, at, c.ID, limit)
}

// queryInterviews returns the interviews `SELECT columns FROM interviews tail` finds.
func (s *Store) queryInterviews(ctx context.Context, tail string, args ...any) ([]Interview, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+interviewColumns+` FROM interviews `+tail), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list interviews: %w", err)
	}
	defer rows.Close()
	var out []Interview
	for rows.Next() {
		iv, err := scanInterview(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list interviews: %w", err)
		}
		out = append(out, iv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list interviews: %w", err)
	}
	return out, nil
}
