package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens a pool on the PostgreSQL server dsn names and migrates the schema. The
// DSN carries a password: errors say what failed, never the DSN (pgx's parse errors quote
// it, so they are replaced).
func (s *Store) openPostgres(ctx context.Context, dsn string) error {
	if dsn == "" {
		return errors.New("store: open postgres: empty dsn")
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return errors.New("store: open postgres: the dsn does not parse (a postgres:// URL or key=value pairs)")
	}
	db := stdlib.OpenDB(*cc)
	conns := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.w, s.r = db, db
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("store: open postgres %s:%d/%s: %w", cc.Host, cc.Port, cc.Database, pgError(err))
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return err
	}
	return nil
}

// pgError keeps what a connection error says without the DSN: pgconn's connect errors name
// the host and user only, but anything unexpected is reduced to its SQLSTATE or a fixed text.
func pgError(err error) error {
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &pe):
		return err
	case errors.As(err, &ce), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	}
	return errors.New("cannot connect")
}

// pgMigrationLock is the advisory lock key migrations hold, so several processes opening one
// fresh database at once create the schema once ("integritybot" in ASCII, truncated).
const pgMigrationLock = 0x696e7465677269
