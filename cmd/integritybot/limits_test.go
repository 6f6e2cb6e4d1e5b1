package main

import (
	"net"
	"net/netip"
	"reflect"
	"testing"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/httplimit"
)

// TestHTTPLimits: the default configuration hands the server internal/httplimit's own
// defaults, and server.max_conns_per_ip 0 reaches it as no bound.
func TestHTTPLimits(t *testing.T) {
	cfg := config.Default()
	cfg.Server.TrustedProxies = []string{"10.0.0.0/8"}
	got := httpLimits(cfg)
	want := httplimit.Limits{
		ReadTimeout: httplimit.DefaultReadTimeout, WriteTimeout: httplimit.DefaultWriteTimeout,
		IdleTimeout: httplimit.DefaultIdleTimeout, MaxConnsPerIP: httplimit.DefaultMaxConnsPerIP,
		Exempt: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("httpLimits(Default) = %+v, want %+v", got, want)
	}

	cfg.Server.MaxConnsPerIP = 0
	if err := cfg.Validate(); err != nil {
		t.Fatalf("max_conns_per_ip 0: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if l := httplimit.Listener(ln, httpLimits(cfg)); l != ln {
		t.Fatalf("max_conns_per_ip 0 bounded the listener (%T)", l)
	}
}
