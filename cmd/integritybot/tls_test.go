package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/server/tlstest"
)

// serveLogged runs "serve args..." in this process until the start-up message, its logs
// kept in a lineWatch (that waits for nothing); it stops when the test ends.
func serveLogged(t *testing.T, args ...string) (out, logs *lineWatch) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, logs = newLineWatch("integritybot is running"), newLineWatch("\x00")
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), out, logs) }()
	select {
	case <-out.ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve %v ended before starting: %v\n%s", args, err, logs.String())
	}
	t.Cleanup(func() { cancel(); <-done })
	return out, logs
}

// TestServeTLS runs serve with a generated self-signed certificate: the start-up message
// gives an https:// URL on 127.0.0.1, /healthz answers over HTTPS with HSTS, and plain HTTP
// on redirect_addr is redirected there.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := tlstest.SelfSigned(t, dir, 7)
	cfg := filepath.Join(dir, "integritybot.yaml")
	yaml := "server:\n  addr: 127.0.0.1:0\n  tls:\n    cert_file: " + certFile + "\n    key_file: " + keyFile + "\n    redirect_addr: 127.0.0.1:0\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, logs := serveLogged(t, "--config", cfg, "--data", filepath.Join(dir, "data"))
	base := regexp.MustCompile(`open (https://127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if base == nil {
		t.Fatalf("start-up message has no https:// URL:\n%s", out.String())
	}
	redirect := regexp.MustCompile(`plain HTTP redirects to HTTPS" addr=(127\.0\.0\.1:\d+)`).FindStringSubmatch(logs.String())
	if redirect == nil {
		t.Fatalf("no redirect listener in the log:\n%s", logs.String())
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base[1] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Strict-Transport-Security"), "max-age=31536000") {
		t.Fatalf("GET %s/healthz: %d, HSTS %q", base[1], res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	res, err = client.Get("http://" + redirect[1] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != base[1]+"/healthz" {
		t.Fatalf("plain HTTP: %d to %q, want 308 to %s/healthz", res.StatusCode, res.Header.Get("Location"), base[1])
	}
	if strings.Contains(logs.String(), "plain http://") {
		t.Error("TLS on, yet serve warned about plain http")
	}
}

// TestServeWarnsPlainHTTP: links on plain http:// to an address that is not loopback get a
// warning at start (candidates there get no camera); loopback gets none.
func TestServeWarnsPlainHTTP(t *testing.T) {
	for _, tc := range []struct {
		publicURL string
		warn      bool
	}{
		{"http://203.0.113.1:8080", true},
		{"http://bot.example.com", true},
		{"https://bot.example.com", false},
		{"http://localhost:8080", false},
		{"", false}, // derived from 127.0.0.1:0
	} {
		t.Run(tc.publicURL, func(t *testing.T) {
			t.Setenv("INTEGRITYBOT_PUBLIC_URL", tc.publicURL)
			_, logs := serveLogged(t, "--addr", "127.0.0.1:0", "--data", t.TempDir())
			if got := strings.Contains(logs.String(), "browsers give the camera only to https:// pages"); got != tc.warn {
				t.Fatalf("warned = %v, want %v:\n%s", got, tc.warn, logs.String())
			}
		})
	}
}
