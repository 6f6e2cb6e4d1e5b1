package whep

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/rtcapi"
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
// with RTX (docs/pitfalls.md: padding then moves to the RTX stream).
func codecs() []webrtc.RTPCodecParameters {
	out := []webrtc.RTPCodecParameters{
		rtcapi.Video(webrtc.MimeTypeVP8, "", ptVP8), rtcapi.RTX(ptVP8, ptVP8RTX),
		rtcapi.Video(webrtc.MimeTypeVP9, "profile-id=0", ptVP9), rtcapi.RTX(ptVP9, ptVP9RTX),
	}
	pt := webrtc.PayloadType(ptH264)
	for _, v := range h264Variants {
		if pt == ptOpus || pt+1 == ptOpus {
			pt = ptOpus + 1
		}
		fmtp := "level-asymmetry-allowed=1;packetization-mode=" + v.mode + ";profile-level-id=" + v.profileLevel
		out = append(out, rtcapi.Video(webrtc.MimeTypeH264, fmtp, pt), rtcapi.RTX(pt, pt+1))
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
		rtcapi.Opus(ptOpus),
		audio(webrtc.MimeTypeG722, 8000, 0, "", ptG722),
		audio(webrtc.MimeTypePCMU, 8000, 0, "", ptPCMU),
		audio(webrtc.MimeTypePCMA, 8000, 0, "", ptPCMA),
	}
}

// newAPI builds the pion API: the codecs above, no mDNS (a WHEP server publishes
// addresses, not .local names) and short ICE timeouts, so a dropped session is noticed
// within seconds, not pion's default 30 s.
func newAPI(cfg Config, log *slog.Logger) (*webrtc.API, error) {
	api, err := rtcapi.New(rtcapi.Options{
		Video: codecs(), Audio: audioCodecs(),
		IncludeLoopback: cfg.IncludeLoopback, UDPPortMin: cfg.UDPPortMin, UDPPortMax: cfg.UDPPortMax,
		MDNS:         ice.MulticastDNSModeDisabled,
		Disconnected: 3 * time.Second, Failed: 6 * time.Second, KeepAlive: time.Second,
		Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("whep: %w", err)
	}
	return api, nil
}
