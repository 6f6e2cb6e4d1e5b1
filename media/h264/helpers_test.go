package h264

import (
	"bytes"
	"os/exec"
	"strconv"
	"testing"

	"github.com/integritybot/integritybot/internal/corpus"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

const mtu = 1200

// needFFmpeg skips the test when ffmpeg is missing.
func needFFmpeg(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		tb.Skip("ffmpeg not installed (make deps-test installs it)")
	}
}

// corpusDir returns the shared corpus ($INTEGRITYBOT_CORPUS, else ../shared/corpus beside
// the repository), or skips the test with one line saying how to get it (internal/corpus:
// corpustest's media/file imports this package).
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		tb.Skip(err)
	}
	return dir
}

// encode makes n frames of constrained-baseline H.264 (what WebRTC negotiates, 42e01f) with
// libx264 from input args, an IDR every gop frames with SPS/PPS repeated, and returns the
// access units in Annex-B without delimiters.
func encode(tb testing.TB, n, gop int, size string, input ...string) [][]byte {
	tb.Helper()
	needFFmpeg(tb)
	args := append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, input...)
	args = append(args, "-frames:v", itoa(n), "-vf", "scale="+size+",format=yuv420p", "-an",
		"-c:v", "libx264", "-profile:v", "baseline", "-preset", "veryfast", "-tune", "zerolatency",
		"-g", itoa(gop), "-x264-params", "repeat-headers=1", "-bsf:v", "h264_metadata=aud=insert",
		"-f", "h264", "pipe:1")
	out, err := exec.Command("ffmpeg", args...).Output()
	if err != nil {
		tb.Fatalf("ffmpeg encode: %v", err)
	}
	aus := splitAUs(out)
	if len(aus) != n {
		tb.Fatalf("encoded %d access units, want %d", len(aus), n)
	}
	return aus
}

// testsrc is a moving test pattern.
func testsrc(rate string) []string {
	return []string{"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=" + rate}
}

func itoa(i int) string { return strconv.Itoa(i) }

// splitAUs splits an Annex-B stream at its access-unit delimiters, dropping them.
func splitAUs(stream []byte) [][]byte {
	var aus [][]byte
	var cur []byte
	NALUnits(stream, func(nal []byte) bool {
		if nal[0]&0x1f == naluAUD {
			if cur != nil {
				aus = append(aus, cur)
			}
			cur = []byte{}
			return true
		}
		cur = append(append(cur, startCode...), nal...)
		return true
	})
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	return aus
}

// nals lists the NAL units of an access unit, without delimiters and filler.
func nals(au []byte) [][]byte {
	var out [][]byte
	NALUnits(au, func(nal []byte) bool {
		if t := nal[0] & 0x1f; t != naluAUD && t != 12 {
			out = append(out, nal)
		}
		return true
	})
	return out
}

func sameNALs(a, b []byte) bool {
	x, y := nals(a), nals(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !bytes.Equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

// stream is a packetized H.264 stream: frame[i] holds the indices of access unit i's packets.
type stream struct {
	aus   [][]byte
	pkts  []*rtp.Packet
	frame [][]int
}

// packetize turns access units into RTP packets as a WebRTC sender does (pion's payloader:
// STAP-A for SPS+PPS, FU-A above the MTU), 30 fps.
func packetize(aus [][]byte, seq uint16, ts uint32) *stream {
	s := &stream{aus: aus}
	var p codecs.H264Payloader
	for i, au := range aus {
		payloads := p.Payload(mtu, au)
		var idx []int
		for j, pl := range payloads {
			idx = append(idx, len(s.pkts))
			s.pkts = append(s.pkts, &rtp.Packet{
				Header: rtp.Header{
					Version: 2, PayloadType: 102, SequenceNumber: seq, Timestamp: ts + uint32(i)*3000,
					Marker: j == len(payloads)-1, SSRC: 1,
				},
				Payload: pl,
			})
			seq++
		}
		s.frame = append(s.frame, idx)
	}
	return s
}
