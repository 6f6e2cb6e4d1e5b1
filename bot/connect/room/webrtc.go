package room

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/pionlog"
	"github.com/integritybot/integritybot/media/vpx"
)

// Payload types we register. Registering only the codecs we decode forces the browser's choice
// (docs/pitfalls.md); RTX moves Chromium's padding off the media stream.
const (
	ptVP8     = 96
	ptVP8RTX  = 97
	ptVP9     = 98
	ptVP9RTX  = 99
	ptOpus    = 111
	clockRate = 90000
)

var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"},
	{Type: "nack", Parameter: "pli"}, {Type: "transport-cc"},
}

// videoCodec returns the codec capability for the configured video codec.
func videoCodec(name string) (webrtc.RTPCodecParameters, webrtc.RTPCodecParameters, vpx.Codec, error) {
	switch strings.ToLower(name) {
	case "", "vp8":
		return webrtc.RTPCodecParameters{
				RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: clockRate, RTCPFeedback: videoFeedback},
				PayloadType:        ptVP8,
			}, webrtc.RTPCodecParameters{
				RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: clockRate, SDPFmtpLine: "apt=" + strconv.Itoa(ptVP8)},
				PayloadType:        ptVP8RTX,
			}, vpx.VP8, nil
	case "vp9":
		return webrtc.RTPCodecParameters{
				RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: clockRate, SDPFmtpLine: "profile-id=0", RTCPFeedback: videoFeedback},
				PayloadType:        ptVP9,
			}, webrtc.RTPCodecParameters{
				RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: clockRate, SDPFmtpLine: "apt=" + strconv.Itoa(ptVP9)},
				PayloadType:        ptVP9RTX,
			}, vpx.VP9, nil
	}
	return webrtc.RTPCodecParameters{}, webrtc.RTPCodecParameters{}, 0, fmt.Errorf("room: video codec %q is not vp8 or vp9", name)
}

var opus = webrtc.RTPCodecParameters{
	RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
	PayloadType:        ptOpus,
}

// newAPI builds the pion API: only our codecs, the default interceptors (NACK, RTCP reports,
// TWCC — the sender needs them to estimate bandwidth), and the deployment's ICE settings.
func newAPI(cfg Config, log *slog.Logger) (*webrtc.API, error) {
	video, rtx, _, err := videoCodec(cfg.VideoCodec)
	if err != nil {
		return nil, err
	}
	m := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{video, rtx} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("room: register codec: %w", err)
		}
	}
	if err := m.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("room: register codec: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, fmt.Errorf("room: interceptors: %w", err)
	}
	se := webrtc.SettingEngine{LoggerFactory: pionlog.Factory(log)}
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	// Browsers hide local addresses behind mDNS names (xxxx.local); the server resolves them
	// and never publishes its own.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryOnly)
	if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return nil, fmt.Errorf("room: udp port range: %w", err)
		}
	}
	if len(cfg.PublicIPs) > 0 {
		// NAT 1:1: the public addresses replace the local ones in host candidates.
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{External: cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace}); err != nil {
			return nil, fmt.Errorf("room: public ips: %w", err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// withStartBitrate adds x-google-start-bitrate to the answer's video fmtp lines so Chromium
// sends full resolution from the first frame instead of ramping for ~30 s (docs/pitfalls.md).
func withStartBitrate(sdp string, kbps int) string {
	if kbps <= 0 {
		return sdp
	}
	lines := strings.Split(sdp, "\r\n")
	video := map[string]bool{}
	for _, l := range lines {
		if pt, rest, ok := strings.Cut(strings.TrimPrefix(l, "a=rtpmap:"), " "); ok && strings.HasPrefix(l, "a=rtpmap:") {
			if strings.HasPrefix(rest, "VP8/") || strings.HasPrefix(rest, "VP9/") {
				video[pt] = true
			}
		}
	}
	param := "x-google-start-bitrate=" + strconv.Itoa(kbps)
	outLines := make([]string, 0, len(lines)+len(video))
	done := map[string]bool{}
	for _, l := range lines {
		if strings.HasPrefix(l, "a=fmtp:") {
			pt, _, _ := strings.Cut(strings.TrimPrefix(l, "a=fmtp:"), " ")
			if video[pt] {
				l += ";" + param
				done[pt] = true
			}
		}
		outLines = append(outLines, l)
	}
	// Codecs without an fmtp line (VP8) get one right after their rtpmap.
	final := make([]string, 0, len(outLines)+len(video))
	for _, l := range outLines {
		final = append(final, l)
		if strings.HasPrefix(l, "a=rtpmap:") {
			pt, _, _ := strings.Cut(strings.TrimPrefix(l, "a=rtpmap:"), " ")
			if video[pt] && !done[pt] {
				final = append(final, "a=fmtp:"+pt+" "+param)
				done[pt] = true
			}
		}
	}
	return strings.Join(final, "\r\n")
}
