package store

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenMakesFilesPrivate is the review's attack on files (issue 15, finding 5): a data
// directory made 0755 and a database file 0644 by an older version (or by hand) become 0700
// and 0600 when the store opens, and so do the WAL files SQLite creates beside it.
func TestOpenMakesFilesPrivate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir, path string)
	}{
		{"fresh", func(*testing.T, string, string) {}},
		{"existing world-readable", func(t *testing.T, dir, path string) {
			s := newDB(t, DriverSQLite)
			s.cfg.Path = path
			s.open(t).Close()
			chmod(t, dir, 0o755)
			chmod(t, path, 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			path := filepath.Join(dir, "integritybot.db")
			tc.prepare(t, dir, path)
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.SetSetting(context.Background(), "k", "v"); err != nil { // the WAL files exist now
				t.Fatal(err)
			}
			checkMode(t, dir, DirMode)
			for _, suffix := range sqliteSuffixes {
				checkMode(t, path+suffix, FileMode)
			}
		})
	}
}

// TestPrivateRefuses checks the message when a directory cannot be made private: /proc/1 is
// 0555 and its mode cannot be changed, even by root.
func TestPrivateRefuses(t *testing.T) {
	if _, err := os.Stat("/proc/1"); err != nil {
		t.Skip("no /proc/1 on this system")
	}
	err := private("/proc/1", DirMode)
	if !errors.Is(err, ErrNotPrivate) {
		t.Fatalf("private(/proc/1) = %v, want ErrNotPrivate", err)
	}
	for _, want := range []string{"/proc/1", "0555", "chmod 700 /proc/1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestLegacyTokenHashed: a plaintext API token stored by an older version becomes its hash
// when the store opens; the token still matches, and on SQLite no byte of it is left in the
// database's files.
func TestLegacyTokenHashed(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		const token = "plaintext-api-token-3f9c2a7e5b1d"
		old := db.open(t)
		if err := old.SetSetting(ctx, legacyTokenKey, token); err != nil {
			t.Fatal(err)
		}
		old.Close()

		s := db.open(t)
		if _, ok, err := s.Setting(ctx, legacyTokenKey); err != nil || ok {
			t.Fatalf("plaintext token row still there (ok=%v err=%v)", ok, err)
		}
		hash, ok, err := s.APITokenHash(ctx)
		if err != nil || !ok {
			t.Fatalf("APITokenHash: ok=%v err=%v", ok, err)
		}
		if !TokenMatches(token, hash) || TokenMatches("plaintext-api-token-3f9c2a7e5b1e", hash) || TokenMatches("", hash) {
			t.Fatal("the hash does not match exactly the old token")
		}
		if db.driver == DriverSQLite {
			assertNotInFiles(t, db.cfg.Path, token)
		}
	})
}

// TestSetAPITokenStoresHash: a new token is stored as its hash only.
func TestSetAPITokenStoresHash(t *testing.T) {
	db := newDB(t, DriverSQLite)
	s := db.open(t)
	const token = "fresh-api-token-8d1e6f0a4c2b"
	if err := s.SetAPIToken(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	if err := s.scrubWAL(context.Background()); err != nil {
		t.Fatal(err)
	}
	hash, _, _ := s.APITokenHash(context.Background())
	if hash != HashToken(token) {
		t.Fatalf("stored %q, want HashToken", hash)
	}
	assertNotInFiles(t, db.cfg.Path, token)
}

// assertNotInFiles fails if secret occurs in the raw bytes of the SQLite database at path
// or its WAL files.
func assertNotInFiles(t *testing.T, path, secret string) {
	t.Helper()
	n := 0
	for _, suffix := range sqliteSuffixes {
		b, err := os.ReadFile(path + suffix)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(b)
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%q is in %s%s", secret, filepath.Base(path), suffix)
		}
	}
	if n == 0 {
		t.Fatalf("no database file read at %s", path)
	}
}

func chmod(t *testing.T, name string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(name, mode); err != nil {
		t.Fatal(err)
	}
}

func checkMode(t *testing.T, name string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", filepath.Base(name), got, want)
	}
}
