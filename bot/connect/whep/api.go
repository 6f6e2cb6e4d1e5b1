package whep

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// Payload types offered; the server's answer picks among them.
const (
	ptVP8, ptVP8RTX   = 96, 97
	ptVP9, ptVP9RTX   = 98, 99
	ptH264, ptH264RTX = 102, 103
	ptOpus            = 111
	ptG722            = 9
	ptPCMU            = 0
	ptPCMA            = 8
)

var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"},
}

// codecs are what the bot decodes: VP8 and VP9 (libvpx), and H.264 constrained baseline in
// packetization mode 1 (what browsers and SFUs send), each with RTX (docs/pitfalls.md: padding
// then moves to the RTX stream).
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
	return []webrtc.RTPCodecParameters{
		video(webrtc.MimeTypeVP8, "", ptVP8), rtx(ptVP8, ptVP8RTX),
		video(webrtc.MimeTypeVP9, "profile-id=0", ptVP9), rtx(ptVP9, ptVP9RTX),
		video(webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", ptH264), rtx(ptH264, ptH264RTX),
	}
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
	se := webrtc.SettingEngine{LoggerFactory: pionLogs{log}}
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

// pionLogs routes pion's logs into slog; pion's info level is chatty and maps to debug.
type pionLogs struct{ log *slog.Logger }

func (p pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{p.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) emit(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, "pion", "msg", fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) Trace(string)              {}
func (l pionLogger) Tracef(string, ...any)     {}
func (l pionLogger) Debug(msg string)          { l.emit(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Debugf(f string, a ...any) { l.emit(slog.LevelDebug, f, a...) }
func (l pionLogger) Info(msg string)           { l.emit(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Infof(f string, a ...any)  { l.emit(slog.LevelDebug, f, a...) }
func (l pionLogger) Warn(msg string)           { l.emit(slog.LevelWarn, "%s", msg) }
func (l pionLogger) Warnf(f string, a ...any)  { l.emit(slog.LevelWarn, f, a...) }
func (l pionLogger) Error(msg string)          { l.emit(slog.LevelError, "%s", msg) }
func (l pionLogger) Errorf(f string, a ...any) { l.emit(slog.LevelError, f, a...) }
