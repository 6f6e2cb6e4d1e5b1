package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/integritybot/integritybot/internal/config"
)

// lineWatch is a writer that remembers what was written and closes ready when a line
// containing want appears (the serve's start-up message).
type lineWatch struct {
	mu    sync.Mutex
	buf   strings.Builder
	want  string
	ready chan struct{}
	once  sync.Once
}

func newLineWatch(want string) *lineWatch { return &lineWatch{want: want, ready: make(chan struct{})} }

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startServe runs "serve args..." in this process until the test ends and waits for its
// start-up message.
func startServe(t *testing.T, args ...string) (out *lineWatch, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = newLineWatch("integritybot is running")
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), out, io.Discard) }()
	select {
	case <-out.ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve %v ended before starting: %v", args, err)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return out, stop
}

// TestServeDataDirLocked: a second serve on the same data directory refuses with a message
// naming the directory, the first one's PID and --data, before touching the store; once the
// first stops, a new serve starts on it, reusing the stored token (not printing a new one).
func TestServeDataDirLocked(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	first, stop := startServe(t, "--addr", "127.0.0.1:0", "--data", data)
	if !strings.Contains(first.String(), "API token (shown once") {
		t.Fatalf("first start does not print the new token:\n%s", first)
	}
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", data}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("a second serve on the same data directory started")
	}
	for _, want := range []string{"another integritybot serve is running on data directory " + data,
		"(pid " + strconv.Itoa(os.Getpid()) + ")", "--data DIR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second serve: %q\nwant it to contain %q", err, want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("first serve: %v", err)
	}
	again, _ := startServe(t, "--addr", "127.0.0.1:0", "--data", data)
	if s := again.String(); strings.Contains(s, "shown once") || !strings.Contains(s, "the one printed at the first start") {
		t.Errorf("second start on the same data: want the stored token reused, got:\n%s", s)
	}
}

// TestServePortInUse: a taken port is refused with how to choose another one.
func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	err = run(t.Context(), []string{"serve", "--addr", addr, "--data", t.TempDir()}, io.Discard, io.Discard)
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("serve on a taken port: %v; want EADDRINUSE", err)
	}
	for _, want := range []string{"--addr 127.0.0.1:", `make run ARGS="--addr 127.0.0.1:`, "INTEGRITYBOT_ADDR="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("serve on a taken port: %q\nwant it to contain %q", err, want)
		}
	}
}

// TestMakeRunForwardsSIGTERM: `make run` builds (a binary whose version names the commit),
// then execs the binary, so SIGTERM to make
// reaches the server: it shuts down, make exits, and no serve is left holding the port
// (a `go run` parent used to die and leave it running under PID 1).
func TestMakeRunForwardsSIGTERM(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	// -o geo-data: the GeoIP download (scripts/geo-data.sh) is not what this test is about.
	cmd := exec.Command("make", "-s", "-o", "geo-data", "-C", filepath.Join("..", ".."), "run",
		"BIN="+filepath.Join(dir, "integritybot"), "ARGS=--addr 127.0.0.1:0 --data "+data)
	stderr := newLineWatch("\x00") // only kept, for the failure message
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	running := regexp.MustCompile(`^integritybot is running: open http://(127\.0\.0\.1:\d+)$`)
	var addr string
	sc := bufio.NewScanner(stdout)
	for addr == "" && sc.Scan() {
		if m := running.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		_ = cmd.Wait()
		t.Fatalf("make run ended without starting the server: %v\n%s", sc.Err(), stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	// The binary make built says which commit it is (the make target asks for VCS stamping):
	// one on HEAD's history (others may commit while it builds).
	if _, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		out, err := exec.Command(filepath.Join(dir, "integritybot"), "version").Output()
		m := regexp.MustCompile(`^integritybot v\S+ \(commit ([0-9a-f]{40})[,;)]`).FindSubmatch(out)
		if err != nil || m == nil {
			t.Errorf("version of the built binary: %q, %v; want the module version and commit", out, err)
		} else if err := exec.Command("git", "merge-base", "--is-ancestor", string(m[1]), "HEAD").Run(); err != nil {
			t.Errorf("version names commit %s, not one of HEAD's history: %v", m[1], err)
		}
	}
	// The server's PID is in its data directory's lock file (internal/store Lock).
	b, err := os.ReadFile(filepath.Join(data, "integritybot.db.lock"))
	pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || perr != nil || pid == cmd.Process.Pid {
		t.Fatalf("server pid from the lock file: %q, %v %v (make is %d)", b, err, perr, cmd.Process.Pid)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// make waits for its child after forwarding SIGTERM; its exit status says it was signalled.
	_ = cmd.Wait()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("serve (pid %d) still runs after make got SIGTERM: kill -0 = %v", pid, err)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("port %s still taken after make run stopped: %v", addr, err)
	} else {
		ln.Close()
	}
}

// TestHealthcheck: the healthcheck command (the container's HEALTHCHECK) succeeds against a
// running serve, found by --url or by the listen address in INTEGRITYBOT_ADDR as serve reads
// it, and fails once nothing answers there.
func TestHealthcheck(t *testing.T) {
	out, stop := startServe(t, "--addr", "127.0.0.1:0", "--data", t.TempDir())
	m := regexp.MustCompile(`open (http://(127\.0\.0\.1:\d+))`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no address in:\n%s", out)
	}
	base, addr := m[1], m[2]
	if err := run(t.Context(), []string{"healthcheck", "--url", base}, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck --url %s: %v", base, err)
	}
	t.Setenv("INTEGRITYBOT_ADDR", "0.0.0.0:"+addr[strings.LastIndex(addr, ":")+1:]) // as in the container
	if err := run(t.Context(), []string{"healthcheck"}, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck with INTEGRITYBOT_ADDR: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"healthcheck", "--url", base}, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck succeeded with no server")
	}
}

// writeCounter counts the writes it gets.
type writeCounter struct {
	n   int
	buf strings.Builder
}

func (w *writeCounter) Write(p []byte) (int, error) { w.n++; return w.buf.Write(p) }

// TestPrintStartOneWrite: the start-up message is one write in each of its three forms, so
// whoever watches serve's output for "integritybot is running" (a supervisor, these tests'
// startServe) has the token lines too (a run failed reading the first line alone).
func TestPrintStartOneWrite(t *testing.T) {
	configured := config.Default()
	configured.Auth.APIToken = "configured-token-0123456789"
	for _, tc := range []struct {
		name      string
		cfg       config.Config
		generated bool
		want      []string
	}{
		{"generated", config.Default(), true, []string{"shown once", "export TOKEN=tok", "Lost the token?"}},
		{"configured", configured, false, []string{"the configured one"}},
		{"stored", config.Default(), false, []string{"the one printed at the first start", "Lost the token?"}},
	} {
		var w writeCounter
		printStart(&w, tc.cfg, "tok", tc.generated)
		if w.n != 1 {
			t.Errorf("%s: %d writes, want 1", tc.name, w.n)
		}
		for _, s := range append(tc.want, "integritybot is running: open ") {
			if !strings.Contains(w.buf.String(), s) {
				t.Errorf("%s: %q lacks %q", tc.name, w.buf.String(), s)
			}
		}
	}
}
