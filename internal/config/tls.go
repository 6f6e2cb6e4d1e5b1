package config

import (
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TLS configures HTTPS served by integritybot itself (docs/https.md). Browsers give pages the
// camera only on https:// or localhost, so a candidate on http://203.0.113.1 gets no camera.
// Either a certificate file pair or ACME (Let's Encrypt) for public host names; neither means
// plain HTTP (behind a TLS proxy, or on loopback).
type TLS struct {
	// CertFile and KeyFile are a PEM certificate chain and its key; re-read when they change
	// (a renewal needs no restart).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ACMEHosts are the public DNS names to get certificates for from an ACME CA; the names
	// must resolve to this server and port 443 must reach server.addr (TLS-ALPN-01), or
	// port 80 reach server.tls.redirect_addr (HTTP-01).
	ACMEHosts []string `yaml:"acme_hosts"`
	// ACMEEmail is given to the CA as the account's contact (optional).
	ACMEEmail string `yaml:"acme_email"`
	// ACMEAcceptTOS must be true with acme_hosts: it accepts the CA's subscriber agreement.
	ACMEAcceptTOS bool `yaml:"acme_accept_tos"`
	// ACMEDirectory is the CA's directory URL; empty means Let's Encrypt production.
	ACMEDirectory string `yaml:"acme_directory"`
	// RedirectAddr, host:port, answers plain HTTP with a redirect to HTTPS (and ACME HTTP-01
	// challenges); empty means none. Typically ":80".
	RedirectAddr string `yaml:"redirect_addr"`
	// HSTSMaxAge is the Strict-Transport-Security max-age sent over HTTPS; 0 sends none.
	HSTSMaxAge Duration `yaml:"hsts_max_age"`
}

// ACMECacheDirName is where ACME account keys and certificates are kept inside data_dir.
const ACMECacheDirName = "acme"

// defaultHSTSMaxAge: a year, as hstspreload.org asks; browsers then refuse plain HTTP to the host.
const defaultHSTSMaxAge = 365 * 24 * time.Hour

// TLSOn reports whether serve speaks HTTPS itself.
func (c Config) TLSOn() bool {
	t := c.Server.TLS
	return t.CertFile != "" || t.KeyFile != "" || len(t.ACMEHosts) > 0
}

// ACMECacheDir is where autocert keeps the account key and certificates: data_dir/acme.
func (c Config) ACMECacheDir() string { return filepath.Join(c.DataDir, ACMECacheDirName) }

// PlainHTTPPublic reports whether links point at plain http:// on an address that is not
// loopback: the candidate's browser will refuse the camera there.
func (c Config) PlainHTTPPublic() bool {
	u, err := url.Parse(c.BaseURL())
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err != nil || !a.IsLoopback()
}

// tlsBaseURL is BaseURL when TLS is on and no public_url is set: https:// and the first
// ACME host name (else the listen address), without :443.
func (c Config) tlsBaseURL(host, port string) string {
	if len(c.Server.TLS.ACMEHosts) > 0 {
		host = c.Server.TLS.ACMEHosts[0]
	}
	if port == "443" {
		return "https://" + host
	}
	return "https://" + net.JoinHostPort(host, port)
}

func (c Config) validateTLS(p *problems) {
	t := c.Server.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		p.add("server.tls.cert_file", "set both cert_file and key_file, or neither")
	}
	if t.CertFile != "" && len(t.ACMEHosts) > 0 {
		p.add("server.tls.acme_hosts", "choose a certificate file (cert_file/key_file) or ACME (acme_hosts), not both")
	}
	for i, h := range t.ACMEHosts {
		if !isHostName(h) {
			p.add("server.tls.acme_hosts["+strconv.Itoa(i)+"]", "want a public DNS name such as bot.example.com (no scheme, port, wildcard or IP address), got %q", h)
		}
	}
	if len(t.ACMEHosts) > 0 && !t.ACMEAcceptTOS {
		p.add("server.tls.acme_accept_tos", "must be true to use acme_hosts: it accepts the certificate authority's subscriber agreement (Let's Encrypt: https://letsencrypt.org/repository/)")
	}
	if len(t.ACMEHosts) == 0 && (t.ACMEEmail != "" || t.ACMEAcceptTOS || t.ACMEDirectory != "") {
		p.add("server.tls.acme_hosts", "acme_email, acme_accept_tos and acme_directory need acme_hosts")
	}
	if e := t.ACMEEmail; e != "" && (!strings.Contains(e, "@") || strings.ContainsAny(e, " \t<>")) {
		p.add("server.tls.acme_email", "not an e-mail address: %q", e)
	}
	if d := t.ACMEDirectory; d != "" {
		if u, err := url.Parse(d); err != nil || u.Scheme != "https" || u.Host == "" {
			p.add("server.tls.acme_directory", "want an https:// directory URL, got %q", d)
		}
	}
	if t.RedirectAddr != "" {
		if !c.TLSOn() {
			p.add("server.tls.redirect_addr", "redirects to HTTPS, so it needs cert_file/key_file or acme_hosts")
		} else if err := checkHostPort(t.RedirectAddr); err != nil {
			p.add("server.tls.redirect_addr", "%v", err)
		}
	}
	if t.HSTSMaxAge < 0 {
		p.add("server.tls.hsts_max_age", "must not be negative (0 sends no Strict-Transport-Security), got %s", t.HSTSMaxAge.D())
	}
	if u, err := url.Parse(c.Server.PublicURL); c.TLSOn() && err == nil && u.Scheme == "http" {
		p.add("server.public_url", "is http:// but server.tls serves HTTPS: links would bypass it (want https://)")
	}
}

// isHostName: letters, digits, hyphens and at least one dot; not an IP address.
func isHostName(h string) bool {
	if len(h) == 0 || len(h) > 253 || !strings.Contains(h, ".") || net.ParseIP(h) != nil {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
