//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLock: a second Lock on the same database fails with ErrLocked naming the holder's PID
// (flock conflicts between two open files even within one process); after release it is
// free again, and the database itself still opens beside a held lock.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "integritybot.db")
	release, err := Lock(path)
	if err != nil {
		t.Fatalf("first Lock: %v", err)
	}
	_, err = Lock(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: %v; want ErrLocked", err)
	}
	if want := fmt.Sprintf("(pid %d)", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), filepath.Dir(path)) {
		t.Errorf("second Lock: %q; want the data directory and %s", err, want)
	}
	s := openTest(t, path) // other commands and tests share the file: the lock is serve's
	mustCreate(t, s, newInterview("x", t0))
	if err := release(); err != nil {
		t.Fatalf("release: %v", err)
	}
	again, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	if err := again(); err != nil {
		t.Fatal(err)
	}
}
