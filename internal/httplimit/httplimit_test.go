package httplimit_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/integritybot/integritybot/internal/httplimit"
)

// hangGuard bounds waits for events that must happen; it is no speed limit.
const hangGuard = time.Minute

// startLimited serves h on 127.0.0.1 with l's timeouts and per-address bound.
func startLimited(t *testing.T, h http.Handler, l httplimit.Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httplimit.Server(h, l, nil)
	go func() { _ = hs.Serve(httplimit.Listener(ln, l)) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String()
}

// dial opens a raw TCP connection with a hang guard on every read and write.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(hangGuard))
	return c
}

// waitClosed reads c until the server closes it and returns what it read; a hang guard
// expiry fails the test (the server held the connection).
func waitClosed(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %s (read %q)", hangGuard, b)
	}
	return string(b)
}

// TestSlowClientsCut is the review's slow-client attack (issue 15, finding 3): a body that
// never finishes, a header that never ends and an idle keep-alive connection are each
// closed by the server once the configured timeout passes.
func TestSlowClientsCut(t *testing.T) {
	bodyErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		if err != nil {
			bodyErr <- err
			http.Error(w, "slow", http.StatusRequestTimeout)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	const short = 200 * time.Millisecond
	addr := startLimited(t, h, httplimit.Limits{ReadHeaderTimeout: short, ReadTimeout: short, WriteTimeout: short, IdleTimeout: short})

	t.Run("slow body", func(t *testing.T) {
		c := dial(t, addr)
		_, _ = io.WriteString(c, "POST /api/interviews HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"candidate\":")
		waitClosed(t, c)
		err := <-bodyErr
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("the handler's body read ended with %v, want a timeout", err)
		}
	})
	t.Run("slow header", func(t *testing.T) {
		c := dial(t, addr)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		if got := waitClosed(t, c); strings.Contains(got, "200 OK") {
			t.Fatalf("an unfinished header got an answer: %q", got)
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial(t, addr)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Close {
			t.Fatal("the server did not keep the connection alive: nothing to time out")
		}
		waitClosed(t, c)
	})
}

// TestWebsocketOutlivesTimeouts: an upgraded websocket is not cut by ReadTimeout or
// WriteTimeout. Proof that the timeouts have passed is a slow-body connection, opened after
// the websocket, being cut by them; the websocket then still echoes.
func TestWebsocketOutlivesTimeouts(t *testing.T) {
	up := websocket.Upgrader{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			_, _ = io.ReadAll(r.Body)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, b, err := c.ReadMessage()
			if err != nil || c.WriteMessage(typ, b) != nil {
				return
			}
		}
	})
	const short = 200 * time.Millisecond
	addr := startLimited(t, h, httplimit.Limits{ReadTimeout: short, WriteTimeout: short, IdleTimeout: short})
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(hangGuard))
	slow := dial(t, addr)
	_, _ = io.WriteString(slow, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n1")
	waitClosed(t, slow)
	if err := ws.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != "still here" {
		t.Fatalf("websocket after the timeouts: %q, %v", b, err)
	}
}

// TestConnsPerIPLimited is the review's connection flood from one address: with
// MaxConnsPerIP 3 on loopback, a fourth connection is closed without an answer while three
// are open, a connection is accepted again once one closes, and an exempt address (a trusted
// proxy) is not bounded.
func TestConnsPerIPLimited(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	get := func(c net.Conn) error {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	const max = 3
	t.Run("bounded", func(t *testing.T) {
		addr := startLimited(t, ok, httplimit.Limits{MaxConnsPerIP: max})
		var open []net.Conn
		for i := range max {
			c := dial(t, addr)
			if err := get(c); err != nil {
				t.Fatalf("connection %d of %d: %v", i+1, max, err)
			}
			open = append(open, c)
		}
		extra := dial(t, addr)
		if err := get(extra); err == nil {
			t.Fatalf("connection %d from one address was served", max+1)
		}
		if got := waitClosed(t, extra); got != "" {
			t.Fatalf("the refused connection got %q", got)
		}
		open[0].Close()
		// The slot comes back when the server sees the close: retry until it does.
		deadline := time.Now().Add(hangGuard)
		for {
			c := dial(t, addr)
			err := get(c)
			c.Close()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no connection accepted after one of %d closed: %v", max, err)
			}
		}
	})
	t.Run("exempt", func(t *testing.T) {
		addr := startLimited(t, ok, httplimit.Limits{MaxConnsPerIP: max, Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		for i := range max + 2 {
			if err := get(dial(t, addr)); err != nil {
				t.Fatalf("exempt connection %d: %v", i+1, err)
			}
		}
	})
}

// TestZeroLimits: the zero Limits take the default timeouts, but MaxConnsPerIP 0 (or below)
// is no bound at all — Listener returns the listener itself and serves more connections
// from one address than the default bound — as server.max_conns_per_ip 0 promises.
func TestZeroLimits(t *testing.T) {
	hs := httplimit.Server(http.NotFoundHandler(), httplimit.Limits{}, nil)
	got := [4]time.Duration{hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout}
	want := [4]time.Duration{httplimit.DefaultReadHeaderTimeout, httplimit.DefaultReadTimeout, httplimit.DefaultWriteTimeout, httplimit.DefaultIdleTimeout}
	if got != want {
		t.Fatalf("zero Limits: timeouts %v, want the defaults %v", got, want)
	}
	set := httplimit.Server(http.NotFoundHandler(), httplimit.Limits{ReadHeaderTimeout: 1, ReadTimeout: 2, WriteTimeout: 3, IdleTimeout: 4}, nil)
	if got := [4]time.Duration{set.ReadHeaderTimeout, set.ReadTimeout, set.WriteTimeout, set.IdleTimeout}; got != [4]time.Duration{1, 2, 3, 4} {
		t.Fatalf("set timeouts became %v", got)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, n := range []int{0, -1} {
		if got := httplimit.Listener(ln, httplimit.Limits{MaxConnsPerIP: n}); got != ln {
			t.Fatalf("MaxConnsPerIP %d wrapped the listener (%T): want it unbounded", n, got)
		}
	}

	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	addr := startLimited(t, ok, httplimit.Limits{})
	for i := range httplimit.DefaultMaxConnsPerIP + 1 {
		c := dial(t, addr) // each stays open until the test ends
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d from one address with MaxConnsPerIP 0: %v", i+1, err)
		}
		resp.Body.Close()
	}
}
