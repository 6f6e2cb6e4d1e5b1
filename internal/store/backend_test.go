package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the test schemas
)

// EnvTestPostgres names a PostgreSQL server for the store tests (a DSN whose user may create
// schemas). `make test` starts a throwaway one (scripts/postgres.sh) and sets it.
const EnvTestPostgres = "INTEGRITYBOT_TEST_POSTGRES"

// testDB is one fresh, empty database of one backend. open returns a Store on it, as often as
// a test reopens it (a restart); nodes are told apart by cfg.NodeID.
type testDB struct {
	driver string
	cfg    Config
}

func (db testDB) open(t testing.TB) *Store {
	t.Helper()
	return db.openConfig(t, db.cfg)
}

// openConfig opens the database with c's node, clock and leases.
func (db testDB) openConfig(t testing.TB, c Config) *Store {
	t.Helper()
	c.Driver, c.Path, c.DSN = db.cfg.Driver, db.cfg.Path, db.cfg.DSN
	s, err := OpenConfig(context.Background(), c)
	if err != nil {
		t.Fatalf("Open %s: %v", db.driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eachBackend runs f as the subtests "sqlite" and "postgres", each on a fresh database. The
// postgres subtest skips unless INTEGRITYBOT_TEST_POSTGRES is set.
func eachBackend(t *testing.T, f func(t *testing.T, db testDB)) {
	t.Helper()
	for _, driver := range []string{DriverSQLite, DriverPostgres} {
		t.Run(driver, func(t *testing.T) { f(t, newDB(t, driver)) })
	}
}

// newDB returns a fresh database: a file in a temp dir for SQLite, a new schema (dropped at
// cleanup) on the INTEGRITYBOT_TEST_POSTGRES server for PostgreSQL.
func newDB(t testing.TB, driver string) testDB {
	t.Helper()
	if driver == DriverSQLite {
		path := filepath.Join(t.TempDir(), "data", "integritybot.db")
		return testDB{driver: driver, cfg: Config{Driver: driver, Path: path}}
	}
	dsn := os.Getenv(EnvTestPostgres)
	if dsn == "" {
		t.Skip("no PostgreSQL: set " + EnvTestPostgres + " or run make test (scripts/postgres.sh starts a throwaway server)")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("%s: %v", EnvTestPostgres, err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "ib_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema on %s: %v", EnvTestPostgres, err)
	}
	t.Cleanup(func() { // after the test's stores close (cleanups run last-in first-out)
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return testDB{driver: driver, cfg: Config{Driver: driver, DSN: withSearchPath(dsn, schema)}}
}

// withSearchPath adds search_path to a DSN in URL or key=value form (pgx sends unknown
// parameters to the server as run-time settings).
func withSearchPath(dsn, schema string) string {
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
