package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/integritybot/integritybot/internal/httplimit"
)

// TLSOptions configures HTTPS: a certificate file pair, or ACME for public host names.
type TLSOptions struct {
	CertFile, KeyFile string
	ACMEHosts         []string
	ACMEEmail         string
	ACMEDirectory     string // empty: Let's Encrypt production
	ACMECacheDir      string // account key and certificates (data_dir/acme)
	HSTSMaxAge        time.Duration
	Log               *slog.Logger // a certificate file that fails to reload; nil: discarded
}

// TLS serves HTTPS: its Config goes to tls.NewListener, Handler adds HSTS, Redirect answers
// plain HTTP.
type TLS struct {
	Config  *tls.Config
	manager *autocert.Manager // nil with certificate files
	hsts    string
	files   *certFiles
}

// NewTLS prepares HTTPS. With files, they are loaded now (an error names them) and re-read
// when their modification time changes. With ACME, certificates are obtained on the first
// handshake for a configured host name and renewed by autocert ahead of expiry; the
// account key and certificates are kept in ACMECacheDir.
func NewTLS(o TLSOptions) (*TLS, error) {
	t := &TLS{}
	if o.HSTSMaxAge > 0 {
		t.hsts = "max-age=" + strconv.FormatInt(int64(o.HSTSMaxAge/time.Second), 10)
	}
	switch {
	case o.CertFile != "" && len(o.ACMEHosts) > 0:
		return nil, errors.New("tls: a certificate file and ACME hosts are exclusive")
	case o.CertFile != "":
		log := o.Log
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		f := &certFiles{cert: o.CertFile, key: o.KeyFile, log: log}
		if _, err := f.get(nil); err != nil {
			return nil, err
		}
		t.files = f
		t.Config = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: f.get, NextProtos: []string{"h2", "http/1.1"}}
	case len(o.ACMEHosts) > 0:
		if o.ACMECacheDir == "" {
			return nil, errors.New("tls: ACME needs a cache directory")
		}
		if err := os.MkdirAll(o.ACMECacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("tls: acme cache: %w", err)
		}
		t.manager = &autocert.Manager{
			Prompt:     autocert.AcceptTOS, // config.validateTLS requires server.tls.acme_accept_tos
			HostPolicy: autocert.HostWhitelist(o.ACMEHosts...),
			Cache:      autocert.DirCache(o.ACMECacheDir),
			Email:      o.ACMEEmail,
		}
		if o.ACMEDirectory != "" {
			t.manager.Client = &acme.Client{DirectoryURL: o.ACMEDirectory}
		}
		t.Config = t.manager.TLSConfig() // h2, http/1.1 and acme-tls/1 (TLS-ALPN-01)
		t.Config.MinVersion = tls.VersionTLS12
	default:
		return nil, errors.New("tls: neither a certificate file nor ACME hosts")
	}
	return t, nil
}

// Manager is the ACME certificate manager (nil with certificate files).
func (t *TLS) Manager() *autocert.Manager { return t.manager }

// Handler adds Strict-Transport-Security to every response served over TLS.
func (t *TLS) Handler(next http.Handler) http.Handler {
	if t.hsts == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", t.hsts)
		}
		next.ServeHTTP(w, r)
	})
}

// Redirect answers plain HTTP with 308 Permanent Redirect to the same path over HTTPS on
// httpsPort ("443" is left out of the URL). With ACME it first answers HTTP-01 challenges.
func (t *TLS) Redirect(httpsPort string) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" {
			http.Error(w, "HTTPS only", http.StatusBadRequest)
			return
		}
		if httpsPort != "443" {
			host = net.JoinHostPort(host, httpsPort)
		} else if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
			host = "[" + host + "]"
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
	if t.manager != nil {
		return t.manager.HTTPHandler(h)
	}
	return h
}

// ServeRedirect serves Redirect on ln until ctx ends.
func (t *TLS) ServeRedirect(ctx context.Context, ln net.Listener, httpsPort string) error {
	// The default timeouts and per-address bound (internal/httplimit): slow clients hold no
	// more here.
	hs := httplimit.Server(t.Redirect(httpsPort), httplimit.Limits{}, nil)
	ln = httplimit.Listener(ln, httplimit.Limits{MaxConnsPerIP: httplimit.DefaultMaxConnsPerIP})
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("tls: redirect: %w", err)
	}
	return nil
}

// certFiles loads a certificate pair and reloads it when either file's modification time
// changes, so a renewal (certbot, a secrets mount) needs no restart.
type certFiles struct {
	cert, key string
	log       *slog.Logger

	mu       sync.Mutex
	loaded   *tls.Certificate
	certTime time.Time
	keyTime  time.Time
}

func (f *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	ct, err1 := modTime(f.cert)
	kt, err2 := modTime(f.key)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := errors.Join(err1, err2); err != nil {
		if f.loaded != nil {
			return f.loaded, nil // keep serving the last good pair while files are replaced
		}
		return nil, fmt.Errorf("tls: %w", err)
	}
	if f.loaded != nil && ct.Equal(f.certTime) && kt.Equal(f.keyTime) {
		return f.loaded, nil
	}
	c, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		if f.loaded != nil {
			// Half-written renewal: keep the last good pair, retry when the files change again.
			f.certTime, f.keyTime = ct, kt
			f.log.Warn("tls: reload certificate failed; serving the previous one", "cert_file", f.cert, "err", err)
			return f.loaded, nil
		}
		return nil, fmt.Errorf("tls: load %s and %s: %w", f.cert, f.key, err)
	}
	f.loaded, f.certTime, f.keyTime = &c, ct, kt
	return f.loaded, nil
}

func modTime(name string) (time.Time, error) {
	st, err := os.Stat(name)
	if err != nil {
		return time.Time{}, err
	}
	return st.ModTime(), nil
}
