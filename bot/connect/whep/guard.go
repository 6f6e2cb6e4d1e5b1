package whep

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrRefused wraps every refusal of a Guard: a URL, an address, a redirect, a Location on
// another origin. Run returns it at once (retrying cannot help).
var ErrRefused = errors.New("whep: refused by the join policy")

// MaxURL is the longest endpoint URL a Guard accepts (bytes).
const MaxURL = 2048

// Guard limits where a join someone else asked for (POST /api/interviews "join") may
// connect, against server-side request forgery (OWASP ASVS 5.2.6, issue 15 finding 4). The
// operator's own `integritybot join` runs without one. With a Guard:
//   - the endpoint must be http(s), at most MaxURL bytes, without user:password@, and on one
//     of Origins when Origins is not empty;
//   - every connection is checked on the IP address it is about to reach (after DNS, so a
//     name that resolves to a public address for the check and to 127.0.0.1 for the
//     connection is caught too): loopback, private, link-local, unspecified, multicast and
//     other special-purpose addresses are refused unless one of Networks holds them;
//   - redirects are not followed, and a Location on another origin is refused, so the Bearer
//     and the PATCH and DELETE requests go to the offer's origin only;
//   - ICE servers from Link headers are used only when the endpoint's origin is one of
//     Origins (listed explicitly), since they make the server contact the TURN host named.
type Guard struct {
	// Origins are the allowed endpoint origins, "https://whep.example.com" or
	// "http://10.0.0.5:8889"; empty allows any origin whose addresses are public.
	Origins []string
	// Networks are address ranges joins may reach although they are not public, e.g.
	// 10.0.0.0/8 for a media server on the private network, or 127.0.0.1/32.
	Networks []netip.Prefix
}

// NewGuard parses origins ("scheme://host[:port]") and networks (CIDRs or single IPs).
func NewGuard(origins, networks []string) (*Guard, error) {
	g := &Guard{}
	var errs []error
	for _, o := range origins {
		n, err := normalOrigin(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("origin %q: %w", o, err))
			continue
		}
		g.Origins = append(g.Origins, n)
	}
	for _, s := range networks {
		p, err := ParseNetwork(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g.Networks = append(g.Networks, p)
	}
	return g, errors.Join(errs...)
}

// ParseNetwork reads a CIDR ("10.0.0.0/8") or a single address ("127.0.0.1").
func ParseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network %q: want a CIDR such as 10.0.0.0/8 or an IP address", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// normalOrigin returns scheme://host[:port] in lower case, without a default port.
func normalOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("want http:// or https:// and a host")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("want only scheme://host[:port]")
	}
	return origin(u), nil
}

// origin is u's scheme://host[:port], lower case, the scheme's default port dropped.
func origin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// CheckURL refuses an endpoint the guard does not allow. A nil Guard allows any http(s) URL.
// An address written in the URL is checked here; the address a name resolves to is checked
// when connecting (Control).
func (g *Guard) CheckURL(raw string) error {
	if g != nil && len(raw) > MaxURL {
		return fmt.Errorf("%w: the WHEP URL is longer than %d bytes", ErrRefused, MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("whep: the endpoint must be an http:// or https:// URL")
	}
	if g == nil {
		return nil
	}
	if u.User != nil {
		return fmt.Errorf("%w: the WHEP URL must not carry a user name or password (give a token as bearer)", ErrRefused)
	}
	if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !g.Allowed(a) {
		return fmt.Errorf("%w: %s is not a public address (allow it with join.allowed_networks)", ErrRefused, a.Unmap())
	}
	if len(g.Origins) > 0 && !g.listed(u) {
		return fmt.Errorf("%w: %s is not one of the allowed WHEP origins (join.allowed_origins)", ErrRefused, origin(u))
	}
	return nil
}

// listed reports whether u's origin is one of g.Origins.
func (g *Guard) listed(u *url.URL) bool {
	return g != nil && slices.Contains(g.Origins, origin(u))
}

// special are address ranges that are not public besides those netip classifies
// (IsLoopback, IsPrivate, IsLinkLocalUnicast, IsMulticast, IsUnspecified): IANA's
// special-purpose registries for IPv4 and IPv6.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),      // carrier-grade NAT (and some cloud metadata)
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),       // NAT64: may embed a private IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"),     // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),      // documentation
	netip.MustParsePrefix("100::/64"),           // discard-only
	netip.MustParsePrefix("2002::/16"),          // 6to4: embeds an IPv4 address
	netip.MustParsePrefix("2001::/32"),          // Teredo: embeds an IPv4 address
	netip.MustParsePrefix("::ffff:0:0:0/96"),    // IPv4-translated
	netip.MustParsePrefix("fec0::/10"),          // deprecated site-local
	netip.MustParsePrefix("169.254.169.254/32"), // cloud metadata (link-local already; named for the reader)
}

// Public reports whether a is an ordinary public unicast address.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range special {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Allowed reports whether the guard lets a connection reach a: a public address, or one in
// Networks.
func (g *Guard) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	if Public(a) {
		return true
	}
	for _, p := range g.Networks {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Control is a net.Dialer Control hook: it runs after DNS resolution, on the address the
// socket is about to connect to, and refuses what Allowed does not allow.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot read the address %q", ErrRefused, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s is not a public address (allow it with join.allowed_networks)", ErrRefused, ap.Addr().Unmap())
	}
	return nil
}

// noRedirect stops the client at a redirect: its 3xx answer is returned as it is, and do
// turns it into an ErrRefused.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// HTTPClient returns the client a guarded join uses: every connection through Control, no
// proxy from the environment (the proxy's address would be checked instead of the
// endpoint's), no redirects, a 15 s timeout.
func (g *Guard) HTTPClient() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.Control}
	tr := &http.Transport{
		Proxy: nil, DialContext: d.DialContext, ForceAttemptHTTP2: true,
		MaxIdleConns: 4, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
	}
	return &http.Client{Timeout: 15 * time.Second, Transport: tr, CheckRedirect: noRedirect}
}

// filterCandidates drops from an SDP (an answer or a restart fragment) the ICE candidates
// whose address the guard does not allow, so a guarded join never sends STUN checks to
// private addresses the remote server names: lines are "a=candidate:foundation component
// transport priority address port typ ...". Addresses that are names (not IPs) are dropped
// too: resolving them would be a DNS request chosen by the remote server. A nil guard keeps
// everything.
func (g *Guard) filterCandidates(sdp string) (string, int) {
	if g == nil {
		return sdp, 0
	}
	lines := strings.SplitAfter(sdp, "\n")
	out, dropped := lines[:0], 0
	for _, l := range lines {
		if c, ok := strings.CutPrefix(strings.TrimRight(l, "\r\n"), "a=candidate:"); ok {
			f := strings.Fields(c)
			if len(f) < 5 {
				dropped++
				continue
			}
			a, err := netip.ParseAddr(f[4])
			if err != nil || !g.Allowed(a) {
				dropped++
				continue
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, ""), dropped
}
