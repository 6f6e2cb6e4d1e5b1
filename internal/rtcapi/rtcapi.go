// Package rtcapi builds the pion WebRTC stacks of the process — the hosted room
// (bot/connect/room), the WHEP connector (bot/connect/whep) and the load generator's
// simulated candidates (internal/loadgen) — with one constructor, so that the codecs' RTCP
// feedback, the interceptors, the logging and the ICE settings cannot drift apart. Each
// caller states what differs (its codecs, mDNS, ICE timeouts, NAT 1:1) in Options. The
// LiveKit connector has no stack of its own: the LiveKit SDK builds it.
package rtcapi

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/pionlog"
)

// ClockRate is the RTP clock of every video codec.
const ClockRate = 90000

// VideoFeedback is the RTCP feedback every video codec is registered with: REMB and
// transport-cc for the sender's bandwidth estimate, NACK for retransmissions, PLI and FIR
// for keyframes.
func VideoFeedback() []webrtc.RTCPFeedback {
	return []webrtc.RTCPFeedback{
		{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"},
		{Type: "nack", Parameter: "pli"}, {Type: "transport-cc"},
	}
}

// Video returns a video codec with VideoFeedback.
func Video(mime, fmtp string, pt webrtc.PayloadType) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: ClockRate, SDPFmtpLine: fmtp, RTCPFeedback: VideoFeedback()},
		PayloadType:        pt,
	}
}

// RTX returns the retransmission codec of payload type apt. Registering RTX moves
// Chromium's bandwidth-probe padding off the media stream (docs/pitfalls.md).
func RTX(apt, pt webrtc.PayloadType) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: ClockRate, SDPFmtpLine: "apt=" + strconv.Itoa(int(apt))},
		PayloadType:        pt,
	}
}

// Opus is the audio codec browsers offer first, at payload type pt.
func Opus(pt webrtc.PayloadType) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        pt,
	}
}

// Options says what one stack registers and how its ICE agent behaves.
type Options struct {
	// Video and Audio are the only codecs registered, so a remote peer can choose no other.
	Video, Audio []webrtc.RTPCodecParameters
	// Interceptors run nearest the wire, before pion's default ones (NACK, RTCP reports,
	// TWCC: a sender needs them to estimate bandwidth).
	Interceptors []interceptor.Factory
	// IncludeLoopback offers 127.0.0.1 candidates (browser and server on one host, tests).
	IncludeLoopback bool
	// UDPPortMin and UDPPortMax bound ICE's UDP ports; both 0 means any.
	UDPPortMin, UDPPortMax uint16
	// PublicIPs replace the local addresses in host candidates (NAT 1:1).
	PublicIPs []string
	// MDNS is the ICE agent's multicast DNS mode; zero is pion's default (query only:
	// resolve a browser's xxxx.local candidates, never publish our own).
	MDNS ice.MulticastDNSMode
	// Disconnected, Failed and KeepAlive are the ICE timeouts; zero keeps pion's (a dropped
	// peer is noticed after 30 s).
	Disconnected, Failed, KeepAlive time.Duration
	// Log receives pion's logs (nil: slog.Default()).
	Log *slog.Logger
}

// New builds a pion API from o.
func New(o Options) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range o.Video {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.MimeType, err)
		}
	}
	for _, c := range o.Audio {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.MimeType, err)
		}
	}
	ir := &interceptor.Registry{}
	for _, f := range o.Interceptors {
		ir.Add(f)
	}
	// The interceptors (NACK, RTCP reports, TWCC, stats) do not log through the setting
	// engine's factory: without their own they print to stderr, e.g. the TWCC sender's
	// "read/write on closed pipe" when a call ends.
	logs := pionlog.Factory(o.Log)
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(m, ir, webrtc.WithInterceptorLoggerFactory(logs)); err != nil {
		return nil, fmt.Errorf("interceptors: %w", err)
	}
	se := webrtc.SettingEngine{LoggerFactory: logs}
	se.SetIncludeLoopbackCandidate(o.IncludeLoopback)
	if o.MDNS != 0 {
		se.SetICEMulticastDNSMode(o.MDNS)
	}
	if o.Disconnected != 0 || o.Failed != 0 || o.KeepAlive != 0 {
		se.SetICETimeouts(o.Disconnected, o.Failed, o.KeepAlive)
	}
	if o.UDPPortMin != 0 || o.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(o.UDPPortMin, o.UDPPortMax); err != nil {
			return nil, fmt.Errorf("udp port range: %w", err)
		}
	}
	if len(o.PublicIPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{External: o.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace}); err != nil {
			return nil, fmt.Errorf("public ips: %w", err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}
