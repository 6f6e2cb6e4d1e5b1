package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/integritybot/integritybot/bot"
)

// FieldError is one problem Validate found, naming the key (e.g. "server.addr").
type FieldError struct {
	Key string
	Msg string
}

// Error returns "config: KEY: MESSAGE".
func (e *FieldError) Error() string { return "config: " + e.Key + ": " + e.Msg }

type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Validate checks c and returns errors.Join of every problem, each a *FieldError naming its
// key, or nil. Secret values never appear in the messages.
func (c Config) Validate() error {
	var p problems
	c.validateServer(&p)
	if strings.TrimSpace(c.DataDir) == "" {
		p.add("data_dir", "must not be empty")
	}
	if n := len(c.Auth.APIToken.Value()); n > 0 && n < 16 {
		p.add("auth.api_token", "too short (%d characters, want at least 16)", n)
	}
	positive(&p, "auth.link_ttl", c.Auth.LinkTTL)
	c.validateWebRTC(&p)
	c.validateTURN(&p)
	positive(&p, "interview.idle_timeout", c.Interview.IdleTimeout)
	positive(&p, "interview.max_duration", c.Interview.MaxDuration)
	positive(&p, "interview.keyframe_interval", c.Interview.KeyframeInterval)
	positive(&p, "interview.report_interval", c.Interview.ReportInterval)
	if c.Interview.SampleAfter < 0 {
		p.add("interview.sample_after", "must not be negative (0 disables sampled analysis), got %s", c.Interview.SampleAfter.D())
	}
	if c.Interview.SampleFPS < 0 || c.Interview.SampleFPS > 60 {
		p.add("interview.sample_fps", "must be between 0 (the default, %g) and 60, got %g", bot.DefaultConfig().SampleFPS, c.Interview.SampleFPS)
	}
	if !bot.LayerMode(c.Interview.BaseLayer).Valid() {
		p.add("interview.base_layer", "must be auto, always or never, got %q", c.Interview.BaseLayer)
	}
	if c.Interview.QueueSize < 1 {
		p.add("interview.queue_size", "must be at least 1, got %d", c.Interview.QueueSize)
	}
	positive(&p, "camera.no_frames_after", c.Camera.NoFramesAfter)
	positive(&p, "camera.frozen_after", c.Camera.FrozenAfter)
	positive(&p, "camera.black_after", c.Camera.BlackAfter)
	positive(&p, "camera.min_video", c.Camera.MinVideo)
	if c.Camera.MinWidth < 0 {
		p.add("camera.min_width", "must not be negative, got %d", c.Camera.MinWidth)
	}
	if c.Camera.MinHeight < 0 {
		p.add("camera.min_height", "must not be negative, got %d", c.Camera.MinHeight)
	}
	if f := c.Camera.MinFPS; f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		p.add("camera.min_fps", "must be a number >= 0, got %v", f)
	}
	positive(&p, "face.interval", c.Face.Interval)
	positive(&p, "face.no_face_after", c.Face.NoFaceAfter)
	positive(&p, "face.multiple_after", c.Face.MultipleAfter)
	positive(&p, "face.min_video", c.Face.MinVideo)
	if c.Face.DetectWidth < 64 {
		p.add("face.detect_width", "must be at least 64 pixels, got %d", c.Face.DetectWidth)
	}
	if f := c.Face.MinFace; !(f >= 0.03 && f <= 0.5) {
		p.add("face.min_face", "must be a share of the picture width between 0.03 and 0.5, got %v", f)
	}
	if c.Retention.Days < 0 {
		p.add("retention.days", "must not be negative (0 keeps reports forever), got %d", c.Retention.Days)
	}
	oneOf(&p, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf(&p, "log.format", c.Log.Format, "text", "json")
	c.validateChat(&p)
	c.validateGeo(&p)
	c.validateLiveKit(&p)
	c.validateJoin(&p)
	c.validateStore(&p)
	return errors.Join(p...)
}

func (c Config) validateServer(p *problems) {
	if err := checkHostPort(c.Server.Addr); err != nil {
		p.add("server.addr", "%v", err)
	}
	if u := c.Server.PublicURL; u != "" {
		pu, err := url.Parse(u)
		switch {
		case err != nil:
			p.add("server.public_url", "not a URL: %q", u)
		case pu.Scheme != "http" && pu.Scheme != "https":
			p.add("server.public_url", "want an http:// or https:// URL, got %q", u)
		case pu.Host == "":
			p.add("server.public_url", "has no host: %q", u)
		case pu.RawQuery != "" || pu.Fragment != "" || pu.User != nil:
			p.add("server.public_url", "must be a base URL without user, query or fragment: %q", u)
		}
	}
	for i, s := range c.Server.TrustedProxies {
		if _, err := ParsePrefix(s); err != nil {
			p.add(fmt.Sprintf("server.trusted_proxies[%d]", i), "not a CIDR or IP address: %q", s)
		}
	}
	positive(p, "server.shutdown_timeout", c.Server.ShutdownTimeout)
	positive(p, "server.read_timeout", c.Server.ReadTimeout)
	positive(p, "server.write_timeout", c.Server.WriteTimeout)
	positive(p, "server.idle_timeout", c.Server.IdleTimeout)
	if c.Server.MaxConnsPerIP < 0 {
		p.add("server.max_conns_per_ip", "must not be negative (0: no bound), got %d", c.Server.MaxConnsPerIP)
	}
	if c.Server.CreatePerMinute < 0 || c.Server.CreateBurst < 0 {
		p.add("server.create_per_minute", "create_per_minute and create_burst must not be negative (0: no bound), got %g and %d",
			c.Server.CreatePerMinute, c.Server.CreateBurst)
	}
	c.validateTLS(p)
}

func (c Config) validateWebRTC(p *problems) {
	w := c.WebRTC
	for i, s := range w.PublicIPs {
		if _, err := netip.ParseAddr(s); err != nil {
			p.add(fmt.Sprintf("webrtc.public_ips[%d]", i), "not an IP address: %q", s)
		}
	}
	switch {
	case (w.UDPPortMin == 0) != (w.UDPPortMax == 0):
		p.add("webrtc.udp_port_min", "set both udp_port_min and udp_port_max, or neither (got %d and %d)", w.UDPPortMin, w.UDPPortMax)
	case w.UDPPortMin > w.UDPPortMax:
		p.add("webrtc.udp_port_min", "greater than udp_port_max (%d > %d)", w.UDPPortMin, w.UDPPortMax)
	}
	for i, s := range w.ICEServers {
		key := fmt.Sprintf("webrtc.ice_servers[%d]", i)
		if len(s.URLs) == 0 {
			p.add(key+".urls", "must list at least one stun:, stuns:, turn: or turns: URL")
		}
		for j, u := range s.URLs {
			scheme, _, _ := strings.Cut(u, ":")
			switch scheme {
			case "stun", "stuns":
			case "turn", "turns":
				if (s.Username == "" || s.Credential == "") && (w.TURNSecret == "" || s.Username != "" || s.Credential != "") {
					p.add(key, "TURN URL %q needs username and credential, or neither with webrtc.turn_secret (short-lived credentials)", u)
				}
			default:
				p.add(fmt.Sprintf("%s.urls[%d]", key, j), "want a stun:, stuns:, turn: or turns: URL, got %q", u)
			}
		}
	}
	oneOf(p, "webrtc.video_codec", w.VideoCodec, "vp8", "vp9")
	if w.StartBitrateKbps < 100 || w.StartBitrateKbps > 100_000 {
		p.add("webrtc.start_bitrate_kbps", "must be between 100 and 100000, got %d", w.StartBitrateKbps)
	}
}

// ParsePrefix parses an entry of server.trusted_proxies: a CIDR, or a single IP meaning a
// /32 (IPv4) or /128 (IPv6).
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return pf.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", addr)
	}
	// Port 0 (let the kernel pick) is allowed.
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("invalid port %q", port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("invalid host %q", host)
	}
	return nil
}

func positive(p *problems, key string, d Duration) {
	if d <= 0 {
		p.add(key, "must be a positive duration like \"10s\", got %s", d)
	}
}

func oneOf(p *problems, key, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	p.add(key, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
}
