//go:build unix

package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// ErrLocked is returned (wrapped) by Lock when another process holds the database's lock.
var ErrLocked = errors.New("in use by another process")

// Lock takes an exclusive lock on the SQLite database at path for this process: flock(2) on
// path+".lock" beside it (in the data directory, created 0700 if needed), which holds the
// locker's PID for the message another process gets. serve takes it before opening the
// store, so a second serve on the same data directory refuses instead of marking the first
// one's live interviews interrupted. The kernel drops the lock when the process ends, so a
// crash never leaves it held; release drops it earlier.
//
// SQLite itself lets several processes share the file (other commands, tests); the lock is
// about which one runs the interviews.
func Lock(path string) (release func() error, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	name := abs + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("store: lock %s: %w%s", filepath.Dir(abs), ErrLocked, pidNote(owner))
		}
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	// The PID is for the message above only: the flock, not the file's content, is the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() error {
		_ = f.Truncate(0)
		return f.Close() // closing the last descriptor drops the flock
	}, nil
}

// pidNote is " (pid N)" when owner holds a PID.
func pidNote(owner []byte) string {
	if pid, err := strconv.Atoi(string(bytes.TrimSpace(owner))); err == nil && pid > 0 {
		return " (pid " + strconv.Itoa(pid) + ")"
	}
	return ""
}
