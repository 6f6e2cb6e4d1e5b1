package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/chrome"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
)

// startBinary runs the built integritybot on a free port and returns its base URL.
func startBinary(t *testing.T, bin, data string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Env = append(os.Environ(), "INTEGRITYBOT_API_TOKEN=restart-token-0123456789")
	cmd.Stderr = chrome.LineWriter(t.Log)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if _, url, ok := strings.Cut(lines.Text(), "running: open "); ok {
			go func() {
				for lines.Scan() {
				}
			}()
			return cmd, strings.TrimSpace(url)
		}
	}
	t.Fatalf("integritybot printed no address: %v", lines.Err())
	return nil, ""
}

// TestCrashKeepsReport kills the server (SIGKILL) mid-interview: after a restart the report
// still exists, holds what was seen before the crash, and is marked interrupted.
func TestCrashKeepsReport(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the crash test in -short mode")
	}
	if _, err := chrome.Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "integritybot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	cmd, base := startBinary(t, bin, data)
	e := &e2e{t: t, base: base, token: "restart-token-0123456789"}
	var links server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Crash Test"}}, &links); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := launch(t, ctx, chrome.Options{FakeDevices: true})
	page, err := b.Open(ctx, links.CandidateURL)
	if err != nil {
		t.Fatal(err)
	}
	acceptConsent(t, ctx, page)
	// Wait until the live report the server persists (every 2 s) holds decoded video: read
	// the store itself, not the server's memory, however long the machine takes.
	var live report.Report
	pollUntil(t, "a persisted live report with 60 decoded frames", func() bool {
		live = storedReport(t, data, links.ID)
		return live.Coverage.FramesDecoded >= 60
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	cmd2, base2 := startBinary(t, bin, data)
	e.base = base2
	var after report.Report
	if code := e.api("GET", "/api/interviews/"+links.ID+"/report", nil, &after); code != http.StatusOK {
		t.Fatalf("report after restart: %d", code)
	}
	if after.State != report.Interrupted {
		t.Fatalf("state after crash = %q, want interrupted", after.State)
	}
	if after.Coverage.FramesDecoded < live.Coverage.FramesDecoded {
		t.Fatalf("report lost what was seen before the crash: %+v", after.Coverage)
	}
	t.Logf("before crash: %d frames; after restart: %s, %d frames", live.Coverage.FramesDecoded, after.State, after.Coverage.FramesDecoded)
	// Graceful stop: SIGTERM ends cleanly.
	if err := cmd2.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd2.Wait(); err != nil {
		t.Fatal(fmt.Errorf("exit after SIGTERM: %w", err))
	}
}

// storedReport reads the report of interview id from the SQLite store in data, read-only,
// while a server may be writing it; a report not stored yet is the zero Report.
func storedReport(t *testing.T, data, id string) report.Report {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, config.DBFile)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var body string
	var r report.Report
	switch err := db.QueryRow(`SELECT body FROM reports WHERE interview_id = ?`, id).Scan(&body); {
	case errors.Is(err, sql.ErrNoRows):
		return r
	case err != nil:
		t.Fatalf("read the stored report: %v", err)
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("stored report: %v", err)
	}
	return r
}
