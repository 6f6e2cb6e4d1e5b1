package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/server/tlstest"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestTLSFiles serves HTTPS on 127.0.0.1 with a generated self-signed certificate: the page
// answers with HSTS, plain HTTP is redirected to the same path over HTTPS, and a renewed
// certificate is picked up without a restart.
func TestTLSFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := tlstest.SelfSigned(t, dir, 1)
	tl, err := server.NewTLS(server.TLSOptions{CertFile: certFile, KeyFile: keyFile, HSTSMaxAge: 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("page " + r.URL.Path)) })
	ln := listen(t)
	hs := &http.Server{Handler: tl.Handler(app), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(tls.NewListener(ln, tl.Config)) }()
	t.Cleanup(func() { _ = hs.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	res, err := client.Get("https://" + ln.Addr().String() + "/c/abc")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Fatalf("HTTPS: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	if res.TLS == nil || res.TLS.PeerCertificates[0].SerialNumber.Int64() != 1 {
		t.Fatalf("HTTPS served another certificate: %+v", res.TLS)
	}

	// Plain HTTP on the redirect listener: 308 to the same path and query over HTTPS.
	rl := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.ServeRedirect(ctx, rl, port) }()
	res, err = client.Get("http://" + rl.Addr().String() + "/c/abc?x=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if want := "https://127.0.0.1:" + port + "/c/abc?x=1"; res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != want {
		t.Fatalf("redirect: %d to %q, want 308 to %s", res.StatusCode, res.Header.Get("Location"), want)
	}
	if res.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP (RFC 6797 §7.2 forbids it)")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("redirect server: %v", err)
	}

	// A renewal replaces the files: new handshakes get the new certificate.
	_, _, cert2 := tlstest.SelfSigned(t, dir, 2)
	later := time.Now().Add(time.Minute)
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	pool.AddCert(cert2)
	client.Transport.(*http.Transport).CloseIdleConnections()
	res, err = client.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.TLS.PeerCertificates[0].SerialNumber.Int64(); got != 2 {
		t.Fatalf("after renewal the server still presents serial %d", got)
	}
	// A broken renewal keeps the last good certificate.
	if err := os.WriteFile(certFile, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	client.Transport.(*http.Transport).CloseIdleConnections()
	if res, err = client.Get("https://" + ln.Addr().String() + "/"); err != nil {
		t.Fatalf("a broken certificate file broke HTTPS: %v", err)
	}
	res.Body.Close()
}

func TestTLSErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := tlstest.SelfSigned(t, dir, 1)
	cases := []struct {
		name string
		o    server.TLSOptions
		want string
	}{
		{"missing key", server.TLSOptions{CertFile: certFile, KeyFile: filepath.Join(dir, "nokey.pem")}, "nokey.pem"},
		{"key is not a key", server.TLSOptions{CertFile: certFile, KeyFile: certFile}, "cert.pem"},
		{"both", server.TLSOptions{CertFile: certFile, KeyFile: keyFile, ACMEHosts: []string{"bot.example.com"}, ACMECacheDir: dir}, "exclusive"},
		{"acme without cache", server.TLSOptions{ACMEHosts: []string{"bot.example.com"}}, "cache"},
		{"nothing", server.TLSOptions{}, "neither"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := server.NewTLS(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestTLSACME checks the ACME manager without reaching a CA: only the configured host names
// may get certificates, the cache is the data directory's acme folder (created 0700), the
// contact and directory are passed on, TLS-ALPN-01 is offered, and plain HTTP answers
// HTTP-01 challenges for configured hosts and redirects everything else.
func TestTLSACME(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "data", "acme")
	tl, err := server.NewTLS(server.TLSOptions{ACMEHosts: []string{"bot.example.com", "interviews.example.org"},
		ACMEEmail: "ops@example.com", ACMEDirectory: "https://acme-staging-v02.api.letsencrypt.org/directory",
		ACMECacheDir: cache, HSTSMaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	m := tl.Manager()
	ctx := context.Background()
	for host, ok := range map[string]bool{"bot.example.com": true, "interviews.example.org": true, "evil.example.com": false, "203.0.113.1": false} {
		if err := m.HostPolicy(ctx, host); (err == nil) != ok {
			t.Errorf("HostPolicy(%s) = %v, want allowed=%v", host, err, ok)
		}
	}
	if dc, ok := m.Cache.(autocert.DirCache); !ok || string(dc) != cache {
		t.Errorf("cache = %#v, want DirCache(%s)", m.Cache, cache)
	}
	if st, err := os.Stat(cache); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("cache dir: %v %v", st, err)
	}
	if m.Email != "ops@example.com" || m.Client == nil || !strings.Contains(m.Client.DirectoryURL, "staging") {
		t.Errorf("email %q, client %+v", m.Email, m.Client)
	}
	if !slices.Contains(tl.Config.NextProtos, "acme-tls/1") || tl.Config.GetCertificate == nil {
		t.Errorf("TLS config offers %v", tl.Config.NextProtos)
	}
	// A handshake for an unlisted name is refused before any CA is contacted.
	if _, err := tl.Config.GetCertificate(&tls.ClientHelloInfo{ServerName: "evil.example.com"}); err == nil {
		t.Error("a certificate was requested for an unlisted host")
	}

	h := tl.Redirect("443")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://bot.example.com/r/tok", nil))
	if rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != "https://bot.example.com/r/tok" {
		t.Errorf("redirect: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://evil.example.com/.well-known/acme-challenge/x", nil))
	if rec.Code != http.StatusForbidden {
		t.Errorf("challenge for an unlisted host: %d, want 403", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://bot.example.com/.well-known/acme-challenge/unknown-token", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown challenge token: %d, want 404", rec.Code)
	}
}
