package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/integritybot/integritybot/internal/store/storetest"
)

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
// cleanup) on the INTEGRITYBOT_TEST_POSTGRES server for PostgreSQL (storetest).
func newDB(t testing.TB, driver string) testDB {
	t.Helper()
	if driver == DriverSQLite {
		path := filepath.Join(t.TempDir(), "data", "integritybot.db")
		return testDB{driver: driver, cfg: Config{Driver: driver, Path: path}}
	}
	return testDB{driver: driver, cfg: Config{Driver: driver, DSN: storetest.PostgresDSN(t)}}
}
