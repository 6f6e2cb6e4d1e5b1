package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// Settings keys of the API token. Only its hash is stored (issue 15, finding 5): a copy of
// the database does not give the API. Versions before this one stored the token itself
// under legacyTokenKey; OpenConfig converts such a row to its hash (hashLegacyToken).
const (
	tokenHashKey   = "api_token_sha256"
	legacyTokenKey = "api_token"
)

// HashToken returns the form in which the store keeps an API token: hex SHA-256. The token
// is a random 256-bit secret (auth.NewSecret) or an operator's secret of 16+ characters, so
// an unsalted fast hash is enough; it is not a password hash.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenMatches reports, in constant time, whether token hashes to hash (HashToken). An
// empty token or hash never matches.
func TokenMatches(token, hash string) bool {
	if token == "" || hash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(HashToken(token)), []byte(hash)) == 1
}

// APITokenHash returns the stored hash of the API token and whether one is stored.
func (s *Store) APITokenHash(ctx context.Context) (string, bool, error) {
	return s.Setting(ctx, tokenHashKey)
}

// SetAPIToken stores the hash of token as the API token, replacing any previous one.
func (s *Store) SetAPIToken(ctx context.Context, token string) error {
	if token == "" {
		return errors.New("store: set api token: empty token")
	}
	return s.SetSetting(ctx, tokenHashKey, HashToken(token))
}

// hashLegacyToken replaces a plaintext API token stored by an older version with its hash,
// in one transaction, so the token keeps working and no longer sits in the database.
// SQLite's secure_delete zeroes the old row's bytes; the WAL is then truncated so no copy of
// the page survives there either.
func (s *Store) hashLegacyToken(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: hash api token: %w", err)
	}
	defer tx.Rollback()
	var token string
	err = tx.QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE key = ?`), legacyTokenKey).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: hash api token: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO settings(key, value) VALUES(?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`), tokenHashKey, HashToken(token)); err != nil {
		return fmt.Errorf("store: hash api token: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM settings WHERE key = ?`), legacyTokenKey); err != nil {
		return fmt.Errorf("store: hash api token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: hash api token: %w", err)
	}
	return s.scrubWAL(ctx)
}

// scrubWAL checkpoints SQLite's write-ahead log into the database and truncates it to zero
// bytes: after a delete, older versions of the changed pages would otherwise stay in the WAL
// file until it is overwritten. PostgreSQL: nothing to do here (VACUUM is the server's).
func (s *Store) scrubWAL(ctx context.Context) error {
	if s.d != dialectSQLite {
		return nil
	}
	var busy, logFrames, checkpointed int
	if err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("store: checkpoint: a reader kept the write-ahead log from being truncated")
	}
	return nil
}
