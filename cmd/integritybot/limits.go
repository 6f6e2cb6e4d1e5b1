package main

import (
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/httplimit"
)

// httpLimits are the HTTP server's timeouts and per-address connection bound from cfg.server
// (issue 15, finding 3); the trusted proxies carry everyone's connections and are exempt.
func httpLimits(cfg config.Config) httplimit.Limits {
	return httplimit.Limits{
		ReadTimeout: cfg.Server.ReadTimeout.D(), WriteTimeout: cfg.Server.WriteTimeout.D(),
		IdleTimeout: cfg.Server.IdleTimeout.D(), MaxConnsPerIP: cfg.Server.MaxConnsPerIP,
		Exempt: trustedProxies(cfg),
	}
}
