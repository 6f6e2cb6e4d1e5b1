// Package httplimit bounds what one client can hold of integritybot's HTTP servers: request
// timeouts and open connections per address. Its defaults are defined here, next to what they
// configure, and config.Default takes them from here; it imports no other package of the module,
// so config and the HTTP layer both may.
package httplimit

import (
	"log"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Defaults of Limits: config.Default takes them for server.read_timeout, write_timeout,
// idle_timeout and max_conns_per_ip; ReadHeaderTimeout is not configurable.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included (API bodies are at
	// most 64 KiB: seconds on any link).
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds writing a response; it outlasts a 30-s pprof profile.
	DefaultWriteTimeout = time.Minute
	// DefaultIdleTimeout closes a keep-alive connection with no request for this long.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultMaxConnsPerIP is room for a browser's 6 connections per host for each of a
	// few dozen people behind one office NAT, far below the file descriptors 20k held.
	DefaultMaxConnsPerIP = 128
)

// Limits bound what one client can hold of the server (issue 15, finding 3): slow bodies
// and idle keep-alive connections time out, and one address holds at most MaxConnsPerIP
// connections. The signaling websocket is not cut by ReadTimeout or WriteTimeout: gorilla's
// Upgrade clears the deadlines of the connection it takes over, and the room's socket keeps
// its own (a read deadline renewed by pongs, a write deadline per message:
// bot/connect/room/socket.go).
type Limits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxConnsPerIP bounds the open connections of one client address; 0 means no bound
	// (unlike a zero timeout, which takes the default).
	MaxConnsPerIP int
	// Exempt are addresses without the per-address bound: the trusted reverse proxies,
	// which carry everyone's connections and bound them themselves.
	Exempt []netip.Prefix
}

// Server returns an http.Server for h with l's timeouts (zero fields take the defaults).
func Server(h http.Handler, l Limits, errorLog *log.Logger) *http.Server {
	or := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: or(l.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       or(l.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      or(l.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       or(l.IdleTimeout, DefaultIdleTimeout),
		ErrorLog:          errorLog,
	}
}

// Listener returns ln with at most l.MaxConnsPerIP open connections per remote address
// (IPv6 per address too; l.Exempt unbounded). A connection over the bound is accepted and
// closed at once, before a byte is read, and Accept goes on to the next one. Wrap the plain
// TCP listener, beneath TLS, so refused connections cost no handshake. MaxConnsPerIP 0 (or
// below) bounds nothing and returns ln itself: server.max_conns_per_ip 0 means no bound.
func Listener(ln net.Listener, l Limits) net.Listener {
	if l.MaxConnsPerIP <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, max: l.MaxConnsPerIP, exempt: l.Exempt, open: map[netip.Addr]int{}}
}

type limitListener struct {
	net.Listener
	max    int
	exempt []netip.Prefix

	mu   sync.Mutex
	open map[netip.Addr]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip, ok := remoteIP(c)
		if !ok || l.isExempt(ip) {
			return c, nil
		}
		if l.take(ip) {
			return &limitConn{Conn: c, release: func() { l.release(ip) }}, nil
		}
		_ = c.Close()
	}
}

func (l *limitListener) isExempt(ip netip.Addr) bool {
	for _, p := range l.exempt {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (l *limitListener) take(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip] >= l.max {
		return false
	}
	l.open[ip]++
	return true
}

func (l *limitListener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

// limitConn gives its address's slot back once, on the first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func remoteIP(c net.Conn) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}
