// Package storetest gives tests outside internal/store a fresh, empty PostgreSQL database on
// the server INTEGRITYBOT_TEST_POSTGRES names (`make test` starts a throwaway one with
// scripts/postgres.sh), the same way the store's own tests get theirs.
package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for creating the schema
)

// EnvPostgres names a PostgreSQL server for tests (a DSN whose user may create schemas).
const EnvPostgres = "INTEGRITYBOT_TEST_POSTGRES"

// SkipMessage is what a test says when it skips for want of PostgreSQL.
const SkipMessage = "no PostgreSQL: set " + EnvPostgres + " or run make test (scripts/postgres.sh starts a throwaway server)"

// PostgresDSN returns the DSN of a new, empty schema on the EnvPostgres server (its
// search_path), dropped when the test ends, after the test's own cleanups (stores closed).
// It skips the test when EnvPostgres is unset, except in CI (CI set), where `make test` must
// have started a server: a PostgreSQL that failed to install or start fails there, instead
// of passing with the PostgreSQL half of the store untested.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(SkipMessage + "; CI requires it (see the postgres.sh lines above the test output)")
		}
		t.Skip(SkipMessage)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "ib_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema on %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() { // registered first, so it runs last (cleanups run last-in first-out)
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(dsn, schema)
}

// WithSearchPath adds search_path to a DSN in URL or key=value form (pgx sends unknown
// parameters to the server as run-time settings).
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
