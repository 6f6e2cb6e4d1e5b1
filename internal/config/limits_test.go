package config

import (
	"testing"

	"github.com/integritybot/integritybot/internal/httplimit"
)

// TestServerLimitsDefaults: server.read_timeout, write_timeout, idle_timeout and
// max_conns_per_ip default to internal/httplimit's own defaults, and max_conns_per_ip 0 (no
// bound) is kept as 0 and valid while a negative bound is an error.
func TestServerLimitsDefaults(t *testing.T) {
	s := Default().Server
	if s.ReadTimeout.D() != httplimit.DefaultReadTimeout || s.WriteTimeout.D() != httplimit.DefaultWriteTimeout ||
		s.IdleTimeout.D() != httplimit.DefaultIdleTimeout || s.MaxConnsPerIP != httplimit.DefaultMaxConnsPerIP {
		t.Fatalf("Default().Server limits = %s, %s, %s, %d; want httplimit's %s, %s, %s, %d",
			s.ReadTimeout.D(), s.WriteTimeout.D(), s.IdleTimeout.D(), s.MaxConnsPerIP,
			httplimit.DefaultReadTimeout, httplimit.DefaultWriteTimeout, httplimit.DefaultIdleTimeout, httplimit.DefaultMaxConnsPerIP)
	}
	c, err := Parse([]byte("server:\n  max_conns_per_ip: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.MaxConnsPerIP != 0 {
		t.Fatalf("max_conns_per_ip 0 became %d", c.Server.MaxConnsPerIP)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("max_conns_per_ip 0: %v", err)
	}
	c.Server.MaxConnsPerIP = -1
	if err := c.Validate(); err == nil {
		t.Fatal("max_conns_per_ip -1 validated")
	}
}
