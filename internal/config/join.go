package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/integritybot/integritybot/bot/connect/livekit"
)

// Join limits the calls serve joins when the API asks (POST /api/interviews with "join"),
// against server-side request forgery (issue 15, finding 4). The operator's own
// `integritybot join` is not limited: it may target anything.
type Join struct {
	// Enabled lets the API start joins at all. Default true.
	Enabled bool `yaml:"enabled"`
	// AllowedOrigins are the WHEP endpoints' origins API joins may use,
	// "https://whep.example.com" or "http://10.0.0.5:8889"; empty allows any origin whose
	// addresses are public. ICE servers from a WHEP server's Link headers are used only for
	// origins listed here.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// AllowedNetworks are address ranges (CIDRs or single IPs) API joins may connect to
	// although they are not public: loopback, private, link-local, unspecified and multicast
	// addresses are refused otherwise, checked on the address connected to after DNS.
	AllowedNetworks []string `yaml:"allowed_networks"`
}

func defaultJoin() Join { return Join{Enabled: true} }

func (c Config) validateJoin(p *problems) {
	for i, o := range c.Join.AllowedOrigins {
		u, err := url.Parse(strings.TrimSpace(o))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			p.add(fmt.Sprintf("join.allowed_origins[%d]", i), "want scheme://host[:port], e.g. https://whep.example.com, got %q", o)
		}
	}
	for i, n := range c.Join.AllowedNetworks {
		if _, err := parseNetwork(n); err != nil {
			p.add(fmt.Sprintf("join.allowed_networks[%d]", i), "want a CIDR such as 10.0.0.0/8 or an IP address, got %q", n)
		}
	}
	for i, u := range c.LiveKit.AllowedURLs {
		if err := livekit.CheckURL(u); err != nil {
			p.add(fmt.Sprintf("livekit.allowed_urls[%d]", i), "want a ws://, wss://, http:// or https:// URL, got %q", u)
		}
	}
}

func parseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ErrJoinRefused wraps every refusal of a join the API asked for.
var ErrJoinRefused = errors.New("refused by the join policy")

// APIJoinTarget returns the LiveKit server a join the API asked for goes to: the configured
// livekit.url when the request names none, or the one it names when that is livekit.url
// or one of livekit.allowed_urls (issue 15, finding 2: the bot's join token, signed with
// the API secret, goes only there). A room must start with livekit.room_prefix when one is
// set.
func (l LiveKit) APIJoinTarget(requested, room string) (string, error) {
	target := strings.TrimSpace(requested)
	if target == "" {
		target = l.URL
	}
	if target == "" {
		return "", fmt.Errorf("%w: no LiveKit server is configured (livekit.url)", ErrJoinRefused)
	}
	if !sameLiveKitURL(target, l.URL) && !anyLiveKitURL(target, l.AllowedURLs) {
		return "", fmt.Errorf("%w: join.livekit.url must be the configured LiveKit server (livekit.url) or one of livekit.allowed_urls", ErrJoinRefused)
	}
	if l.RoomPrefix != "" && !strings.HasPrefix(room, l.RoomPrefix) {
		return "", fmt.Errorf("%w: the room's name must start with %q (livekit.room_prefix)", ErrJoinRefused, l.RoomPrefix)
	}
	return target, nil
}

func anyLiveKitURL(u string, list []string) bool {
	for _, a := range list {
		if sameLiveKitURL(u, a) {
			return true
		}
	}
	return false
}

// sameLiveKitURL compares two server URLs by scheme family (ws and http are one, wss and
// https the other: the SDK turns one into the other), host and port; a trailing slash is
// ignored.
func sameLiveKitURL(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ua, errA := url.Parse(strings.TrimSpace(a))
	ub, errB := url.Parse(strings.TrimSpace(b))
	if errA != nil || errB != nil || ua.User != nil || ub.User != nil {
		return false
	}
	secure := func(u *url.URL) bool { return u.Scheme == "wss" || u.Scheme == "https" }
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if secure(u) {
			return "443"
		}
		return "80"
	}
	return secure(ua) == secure(ub) && strings.EqualFold(ua.Hostname(), ub.Hostname()) && port(ua) == port(ub) &&
		strings.TrimSuffix(ua.Path, "/") == strings.TrimSuffix(ub.Path, "/") && livekit.CheckURL(a) == nil
}
