package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/server"
)

// startTLS turns ln into an HTTPS listener and h into a handler adding HSTS when server.tls
// is set, and serves the HTTP→HTTPS redirect on server.tls.redirect_addr until ctx ends or
// stop is called. Without TLS it returns ln and h as they are, warning when links point at
// plain http:// on an address that is not loopback (no camera for the candidate there).
func startTLS(ctx context.Context, cfg config.Config, ln net.Listener, h http.Handler, log *slog.Logger) (net.Listener, http.Handler, func(), error) {
	if !cfg.TLSOn() {
		if cfg.PlainHTTPPublic() {
			log.Warn("links are plain http:// on an address that is not loopback: browsers give the camera only to https:// pages or localhost, so candidates will have no camera. "+
				"Set server.tls (docs/https.md) or serve behind a TLS proxy with an https:// server.public_url", "public_url", cfg.BaseURL())
		}
		return ln, h, func() {}, nil
	}
	t := cfg.Server.TLS
	tl, err := server.NewTLS(server.TLSOptions{CertFile: t.CertFile, KeyFile: t.KeyFile,
		ACMEHosts: t.ACMEHosts, ACMEEmail: t.ACMEEmail, ACMEDirectory: t.ACMEDirectory,
		ACMECacheDir: cfg.ACMECacheDir(), HSTSMaxAge: t.HSTSMaxAge.D(), Log: log})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("serve: %w", err)
	}
	stop := func() {}
	if t.RedirectAddr != "" {
		rl, err := net.Listen("tcp", t.RedirectAddr)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("serve: server.tls.redirect_addr %s: %w", t.RedirectAddr, err)
		}
		// The port browsers reach HTTPS on: public_url's (a container maps 443 elsewhere), else the listen port.
		port := "443"
		if u, err := url.Parse(cfg.BaseURL()); err == nil && u.Port() != "" {
			port = u.Port()
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := tl.ServeRedirect(rctx, rl, port); err != nil {
				log.Warn("redirect to HTTPS stopped", "err", err)
			}
		}()
		stop = func() { cancel(); <-done }
		log.Info("plain HTTP redirects to HTTPS", "addr", rl.Addr().String())
	}
	log.Info("serving HTTPS", "addr", ln.Addr().String(), "acme_hosts", t.ACMEHosts, "cert_file", t.CertFile)
	return tls.NewListener(ln, tl.Config), tl.Handler(h), stop, nil
}
