package config

import (
	"errors"
	"strings"
	"testing"
)

func TestTLSValidate(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		keys []string // the keys the errors must name; none: valid
	}{
		{"cert and key", "server:\n  tls: {cert_file: /etc/c.pem, key_file: /etc/k.pem}\n", nil},
		{"cert without key", "server:\n  tls: {cert_file: /etc/c.pem}\n", []string{"server.tls.cert_file"}},
		{"key without cert", "server:\n  tls: {key_file: /etc/k.pem}\n", []string{"server.tls.cert_file"}},
		{"acme", "server:\n  tls: {acme_hosts: [bot.example.com], acme_email: ops@example.com, acme_accept_tos: true, redirect_addr: ':80'}\n", nil},
		{"acme without accepting the terms", "server:\n  tls: {acme_hosts: [bot.example.com]}\n", []string{"server.tls.acme_accept_tos"}},
		{"acme email alone", "server:\n  tls: {acme_email: ops@example.com}\n", []string{"server.tls.acme_hosts"}},
		{"acme host is an IP, a wildcard, a URL", "server:\n  tls: {acme_accept_tos: true, acme_hosts: [203.0.113.1, '*.example.com', 'https://bot.example.com', localhost]}\n",
			[]string{"server.tls.acme_hosts[0]", "server.tls.acme_hosts[1]", "server.tls.acme_hosts[2]", "server.tls.acme_hosts[3]"}},
		{"bad email and directory", "server:\n  tls: {acme_hosts: [bot.example.com], acme_accept_tos: true, acme_email: nobody, acme_directory: 'http://ca.example.com/dir'}\n",
			[]string{"server.tls.acme_email", "server.tls.acme_directory"}},
		{"both kinds", "server:\n  tls: {cert_file: c, key_file: k, acme_hosts: [bot.example.com], acme_accept_tos: true}\n", []string{"server.tls.acme_hosts"}},
		{"redirect without TLS", "server:\n  tls: {redirect_addr: ':80'}\n", []string{"server.tls.redirect_addr"}},
		{"bad redirect address", "server:\n  tls: {cert_file: c, key_file: k, redirect_addr: 'eighty'}\n", []string{"server.tls.redirect_addr"}},
		{"http public_url with TLS", "server:\n  public_url: http://bot.example.com\n  tls: {cert_file: c, key_file: k}\n", []string{"server.public_url"}},
		{"negative hsts", "server:\n  tls: {cert_file: c, key_file: k, hsts_max_age: -1s}\n", []string{"server.tls.hsts_max_age"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if len(tc.keys) == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want errors naming %v", tc.keys)
			}
			for _, k := range tc.keys {
				if !hasKey(err, k) {
					t.Errorf("no error names %s: %v", k, err)
				}
			}
		})
	}
}

func hasKey(err error, key string) bool {
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Key == key {
			return true
		}
	}
	return false
}

func TestTLSBaseURL(t *testing.T) {
	cases := []struct {
		yaml, base  string
		plainPublic bool
	}{
		{"server: {addr: '127.0.0.1:8080'}\n", "http://127.0.0.1:8080", false},
		{"server: {addr: '203.0.113.1:8080'}\n", "http://203.0.113.1:8080", true},
		{"server: {addr: '[::1]:8080'}\n", "http://[::1]:8080", false},
		{"server: {addr: ':8443', tls: {cert_file: c, key_file: k}}\n", "https://127.0.0.1:8443", false},
		{"server: {addr: ':443', tls: {acme_hosts: [bot.example.com, b.example.com], acme_accept_tos: true}}\n", "https://bot.example.com", false},
		{"server: {addr: ':8443', tls: {acme_hosts: [bot.example.com], acme_accept_tos: true}}\n", "https://bot.example.com:8443", false},
		{"server: {public_url: 'https://x.example.com/', tls: {cert_file: c, key_file: k}}\n", "https://x.example.com", false},
		{"server: {public_url: 'http://x.example.com'}\n", "http://x.example.com", true},
	}
	for _, tc := range cases {
		c, err := Parse([]byte(tc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		if got := c.BaseURL(); got != tc.base || c.PlainHTTPPublic() != tc.plainPublic {
			t.Errorf("%sBaseURL = %s (plain public %v), want %s (%v)", tc.yaml, got, c.PlainHTTPPublic(), tc.base, tc.plainPublic)
		}
	}
	if c := Default(); c.ACMECacheDir() != "data/acme" || c.Server.TLS.HSTSMaxAge.D().Hours() != 8760 || c.TLSOn() {
		t.Errorf("defaults: cache %s, hsts %s, on %v", c.ACMECacheDir(), c.Server.TLS.HSTSMaxAge.D(), c.TLSOn())
	}
	if !strings.HasSuffix(Default().GeoDir(), "geoip") {
		t.Errorf("GeoDir = %s", Default().GeoDir())
	}
}
