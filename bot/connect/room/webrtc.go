package room

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/rtcapi"
	"github.com/integritybot/integritybot/media/vpx"
)

// Payload types we register. Registering only the codecs we decode forces the browser's choice
// (docs/pitfalls.md); RTX moves Chromium's padding off the media stream.
const (
	ptVP8    = 96
	ptVP8RTX = 97
	ptVP9    = 98
	ptVP9RTX = 99
	ptOpus   = 111
)

// videoCodec returns the codec capability for the configured video codec.
func videoCodec(name string) (webrtc.RTPCodecParameters, webrtc.RTPCodecParameters, vpx.Codec, error) {
	switch strings.ToLower(name) {
	case "vp8":
		return rtcapi.Video(webrtc.MimeTypeVP8, "", ptVP8), rtcapi.RTX(ptVP8, ptVP8RTX), vpx.VP8, nil
	case "vp9":
		return rtcapi.Video(webrtc.MimeTypeVP9, "profile-id=0", ptVP9), rtcapi.RTX(ptVP9, ptVP9RTX), vpx.VP9, nil
	}
	return webrtc.RTPCodecParameters{}, webrtc.RTPCodecParameters{}, 0, fmt.Errorf("room: video codec %q is not vp8 or vp9", name)
}

var opus = rtcapi.Opus(ptOpus)

// newAPI builds the pion API: only our codecs and the deployment's ICE settings. Browsers
// hide local addresses behind mDNS names (xxxx.local); the server resolves them and never
// publishes its own.
func newAPI(cfg Config, log *slog.Logger) (*webrtc.API, error) {
	video, rtx, _, err := videoCodec(cfg.VideoCodec)
	if err != nil {
		return nil, err
	}
	api, err := rtcapi.New(rtcapi.Options{
		Video: []webrtc.RTPCodecParameters{video, rtx}, Audio: []webrtc.RTPCodecParameters{opus},
		IncludeLoopback: cfg.IncludeLoopback, UDPPortMin: cfg.UDPPortMin, UDPPortMax: cfg.UDPPortMax,
		PublicIPs: cfg.PublicIPs, MDNS: ice.MulticastDNSModeQueryOnly, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("room: %w", err)
	}
	return api, nil
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
