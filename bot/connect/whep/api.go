package whep

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

// Payload types offered; the server's answer picks among them.
const (
	ptVP8, ptVP8RTX   = 96, 97
	ptVP9, ptVP9RTX   = 98, 99
	ptH264, ptH264RTX = 102, 103 // first H.264 payload type: h264Variants take 102..119, skipping ptOpus
	ptOpus            = 111
	ptG722            = 9
	ptPCMU            = 0
	ptPCMA            = 8
)

var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"},
}

// h264Variants are the H.264 formats offered, as Chrome offers them: each profile in
// packetization mode 1 (FU-A, STAP-A) and 0 (single NAL units). An answerer must keep
// profile (not level) and mode as offered or drop the format (RFC 6184 §8.2.2), so a server
// sending only main or high profile finds no match in an offer of constrained baseline
// alone. media/h264 decodes all of them (ffmpeg), B-frames aside, which WebRTC senders do
// not use.
var h264Variants = []struct{ profileLevel, mode string }{
	{"42e01f", "1"}, // constrained baseline: OpenH264 in browsers, MediaMTX always signals it
	{"42001f", "1"}, // baseline
	{"4d001f", "1"}, // main
	{"64001f", "1"}, // high: hardware encoders
	{"42e01f", "0"},
	{"42001f", "0"},
	{"4d001f", "0"},
	{"64001f", "0"},
}

// codecs are what the bot decodes: VP8 and VP9 (libvpx), and H.264 (h264Variants), each
// with RTX (PITFALLS.md: padding then moves to the RTX stream).
func codecs() []webrtc.RTPCodecParameters {
	video := func(mime, fmtp string, pt int) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: videoFeedback},
			PayloadType:        webrtc.PayloadType(pt),
		}
	}
	rtx := func(apt, pt int) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=" + strconv.Itoa(apt)},
			PayloadType:        webrtc.PayloadType(pt),
		}
	}
	out := []webrtc.RTPCodecParameters{
		video(webrtc.MimeTypeVP8, "", ptVP8), rtx(ptVP8, ptVP8RTX),
		video(webrtc.MimeTypeVP9, "profile-id=0", ptVP9), rtx(ptVP9, ptVP9RTX),
	}
	pt := ptH264
	for _, v := range h264Variants {
		if pt == ptOpus || pt+1 == ptOpus {
			pt = ptOpus + 1
		}
		fmtp := "level-asymmetry-allowed=1;packetization-mode=" + v.mode + ";profile-level-id=" + v.profileLevel
		out = append(out, video(webrtc.MimeTypeH264, fmtp, pt), rtx(pt, pt+1))
		pt += 2
	}
	return out
}

// audioCodecs are offered for the audio section although the bot does not analyze audio:
// the codecs every browser offers (Opus, G.722, G.711 µ-law and A-law). A server that
// answers with whatever its stream carries needs one of them to accept the offer at all:
// MediaMTX adds a PCMU track to every stream without audio (so that browsers play the video)
// and answered "400 codecs not supported by client" to an offer with Opus alone (issue 17).
func audioCodecs() []webrtc.RTPCodecParameters {
	audio := func(mime string, rate uint32, channels uint16, fmtp string, pt int) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: rate, Channels: channels, SDPFmtpLine: fmtp},
			PayloadType:        webrtc.PayloadType(pt),
		}
	}
	return []webrtc.RTPCodecParameters{
		audio(webrtc.MimeTypeOpus, 48000, 2, "minptime=10;useinbandfec=1", ptOpus),
		audio(webrtc.MimeTypeG722, 8000, 0, "", ptG722),
		audio(webrtc.MimeTypePCMU, 8000, 0, "", ptPCMU),
		audio(webrtc.MimeTypePCMA, 8000, 0, "", ptPCMA),
	}
}

func newAPI(cfg Config, log *slog.Logger) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range codecs() {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("whep: register codec: %w", err)
		}
	}
	for _, c := range audioCodecs() {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("whep: register codec: %w", err)
		}
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, fmt.Errorf("whep: interceptors: %w", err)
	}
	se := webrtc.SettingEngine{LoggerFactory: pionlog.Factory(log)}
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Notice a dropped session within seconds, not pion's default 30 s.
	se.SetICETimeouts(3*time.Second, 6*time.Second, time.Second)
	if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return nil, fmt.Errorf("whep: udp port range: %w", err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}
