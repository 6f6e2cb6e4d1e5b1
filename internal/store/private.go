package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of the SQLite data directory and of the database's files. The database holds the
// link-signing key (enough to forge every candidate and interviewer link) and the
// candidates' reports: no other local user may read them (issue 15, finding 5).
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// ErrNotPrivate is returned (wrapped) by Open when the data directory or a database file is
// readable or writable by other users and this process cannot change that (it does not own it).
var ErrNotPrivate = errors.New("not private to this user")

// sqliteSuffixes are the files SQLite keeps beside the database in WAL mode.
var sqliteSuffixes = []string{"", "-wal", "-shm"}

// privateDir creates dir with DirMode, or brings an existing one to DirMode (a directory
// made by an older version, or by hand, keeps its mode otherwise: MkdirAll does not change
// it). It refuses, with ErrNotPrivate, a directory it cannot make private.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("store: open: data directory: %w", err)
	}
	return private(dir, DirMode)
}

// privateFiles creates the database file abs with FileMode if it does not exist (SQLite
// gives its -wal and -shm files the mode of the database file) and brings the existing
// database files to FileMode.
func privateFiles(abs string) error {
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	for _, suffix := range sqliteSuffixes {
		err := private(abs+suffix, FileMode)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// private makes name's permission bits exactly want when any bit beyond want is set.
func private(name string, want fs.FileMode) error {
	fi, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if fi.Mode().Perm()&^want == 0 {
		return nil
	}
	if err := os.Chmod(name, want); err != nil {
		return fmt.Errorf("store: open: %s has mode %04o, readable by other users, and cannot be changed to %04o "+
			"(%v): %w. Run chmod %o %s as its owner, or choose another data directory",
			name, fi.Mode().Perm(), want, err, ErrNotPrivate, want, filepath.Clean(name))
	}
	return nil
}
