// Package chrome drives a headless Chromium over the DevTools protocol, for end-to-end tests
// of the hosted room: launch a browser (optionally with a fake camera fed from a Y4M file, or
// with camera permission denied), open pages, evaluate JavaScript, click, wait for conditions
// and collect the console.
//
// It needs only gorilla/websocket and encoding/json. Every browser gets a fresh temporary
// profile, listens for DevTools on 127.0.0.1 only, and is stopped by its own process id
// (process group) on Close.
package chrome

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultBinary is Debian's Chromium launcher.
const DefaultBinary = "/usr/bin/chromium"

// Options configure Launch.
type Options struct {
	// Binary is the Chromium executable; default $CHROMIUM, else /usr/bin/chromium.
	Binary string
	// FakeVideo is a .y4m file served as the camera (the fake UI grants permission).
	FakeVideo string
	// FakeDevices gives a fake camera and microphone with Chromium's built-in pattern
	// (ignored when FakeVideo is set, which implies it).
	FakeDevices bool
	// DenyMedia uses no fake devices and denies permission prompts: getUserMedia fails.
	DenyMedia bool
	// ExtraArgs are appended to the command line.
	ExtraArgs []string
	// Env adds KEY=VALUE entries to Chromium's environment, e.g. "TZ=Asia/Seoul" (the
	// timezone the page's Intl and Date see).
	Env []string
	// Log receives Chromium's stdout and stderr (nil discards them).
	Log io.Writer
	// Dial connects to DevTools on 127.0.0.1 (nil: net.Dialer). A Chromium started in
	// another network namespace (Binary a wrapper around `ip netns exec`) needs a dialer
	// that makes its socket in that namespace.
	Dial DialFunc
}

// DialFunc opens a network connection, like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Browser is a running Chromium.
type Browser struct {
	cmd    *exec.Cmd
	dir    string
	port   int
	conn   *conn
	dial   DialFunc
	exited chan struct{}

	mu     sync.Mutex
	pages  []*Page
	closed bool
}

// Available returns the Chromium binary to use, or an error explaining how to install it.
func Available() (string, error) {
	return binary("")
}

func binary(opt string) (string, error) {
	b := opt
	if b == "" {
		b = os.Getenv("CHROMIUM")
	}
	if b == "" {
		b = DefaultBinary
	}
	p, err := exec.LookPath(b)
	if err != nil {
		return "", fmt.Errorf("chrome: Chromium not found (%v); install it with `apt-get install chromium` or set $CHROMIUM", err)
	}
	return p, nil
}

// Launch starts a headless Chromium with a fresh profile. ctx bounds the start-up only;
// the browser runs until Close.
func Launch(ctx context.Context, opt Options) (*Browser, error) {
	bin, err := binary(opt.Binary)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "integritybot-chrome-")
	if err != nil {
		return nil, err
	}
	args := []string{
		"--headless=new",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-breakpad",
		"--disable-crash-reporter",
		"--disable-dev-shm-usage",
		"--mute-audio",
		"--window-size=1280,900",
		"--allow-loopback-in-peer-connection",
		"--autoplay-policy=no-user-gesture-required",
		"--remote-debugging-address=127.0.0.1",
		"--remote-debugging-port=0",
		"--user-data-dir=" + dir,
	}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox")
	}
	switch {
	case opt.DenyMedia:
		args = append(args, "--deny-permission-prompts")
	case opt.FakeVideo != "":
		if _, err := os.Stat(opt.FakeVideo); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("chrome: fake video: %w", err)
		}
		args = append(args, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
			"--use-file-for-fake-video-capture="+opt.FakeVideo)
	case opt.FakeDevices:
		args = append(args, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
	}
	args = append(args, opt.ExtraArgs...)
	args = append(args, "about:blank")

	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Close kills exactly this group
	if len(opt.Env) > 0 {
		cmd.Env = append(os.Environ(), opt.Env...)
	}
	if opt.Log != nil {
		cmd.Stdout, cmd.Stderr = opt.Log, opt.Log
	}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("chrome: start %s: %w", bin, err)
	}
	b := &Browser{cmd: cmd, dir: dir, dial: opt.Dial, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(b.exited) }()

	port, path, err := b.waitDevTools(ctx)
	if err == nil {
		b.port = port
		b.conn, err = dial(ctx, b.dial, fmt.Sprintf("ws://127.0.0.1:%d%s", port, path), nil)
	}
	if err != nil {
		b.kill()
		return nil, err
	}
	return b, nil
}

// waitDevTools polls <user-data-dir>/DevToolsActivePort until Chromium has written it.
func (b *Browser) waitDevTools(ctx context.Context) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	file := filepath.Join(b.dir, "DevToolsActivePort")
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(file); err == nil {
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) >= 2 {
				if port, err := strconv.Atoi(strings.TrimSpace(lines[0])); err == nil && port > 0 {
					return port, strings.TrimSpace(lines[1]), nil
				}
			}
		}
		select {
		case <-b.exited:
			return 0, "", fmt.Errorf("chrome: Chromium exited before DevTools was ready (%v); set Options.Log to see its output", b.cmd.ProcessState)
		case <-ctx.Done():
			return 0, "", fmt.Errorf("chrome: waiting for %s: %w", file, ctx.Err())
		case <-tick.C:
		}
	}
}

// Port is the DevTools port on 127.0.0.1.
func (b *Browser) Port() int { return b.port }

// Open creates a new tab, attaches to it and navigates to url, waiting for the load event
// (or ctx). Console collection starts before navigation.
func (b *Browser) Open(ctx context.Context, url string) (*Page, error) {
	res, err := b.conn.call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return nil, err
	}
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := json.Unmarshal(res, &t); err != nil {
		return nil, err
	}
	p := &Page{b: b, targetID: t.TargetID, loaded: make(chan struct{}, 1)}
	p.conn, err = dial(ctx, b.dial, fmt.Sprintf("ws://127.0.0.1:%d/devtools/page/%s", b.port, t.TargetID), p.event)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.pages = append(b.pages, p)
	b.mu.Unlock()
	for _, m := range []string{"Runtime.enable", "Page.enable", "Log.enable"} {
		if _, err := p.conn.call(ctx, m, nil); err != nil {
			return nil, err
		}
	}
	if err := p.Navigate(ctx, url); err != nil {
		return nil, err
	}
	return p, nil
}

// Close stops the browser: a polite Browser.close, then SIGKILL to its process group, then
// removes the profile directory.
func (b *Browser) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	pages := b.pages
	b.mu.Unlock()
	for _, p := range pages {
		_ = p.conn.close()
	}
	if b.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = b.conn.call(ctx, "Browser.close", nil)
		cancel()
		_ = b.conn.close()
		select {
		case <-b.exited:
		case <-time.After(3 * time.Second):
		}
	}
	return b.kill()
}

func (b *Browser) kill() error {
	pid := b.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGKILL) // the group we created with Setpgid
	<-b.exited
	var err error
	for i := 0; i < 20; i++ { // late writers (crashpad, caches) may race with removal
		if err = os.RemoveAll(b.dir); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// lineWriter adapts a line-oriented logger (e.g. t.Log) to an io.Writer for Options.Log.
type lineWriter struct {
	mu   sync.Mutex
	log  func(args ...any)
	rest []byte
}

// LineWriter returns an io.Writer that calls log once per complete line, e.g.
// chrome.LineWriter(t.Log). Lines from Debian's wrapper like "[: …: unexpected operator" are harmless.
func LineWriter(log func(args ...any)) io.Writer { return &lineWriter{log: log} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rest = append(w.rest, p...)
	for {
		i := bytes.IndexByte(w.rest, '\n')
		if i < 0 {
			break
		}
		w.log(strings.TrimRight(string(w.rest[:i]), "\r"))
		w.rest = w.rest[i+1:]
	}
	return len(p), nil
}
