package h264

import (
	"encoding/hex"
	"fmt"
	"math"
	"os/exec"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

const (
	profW, profH, profFrames = 640, 480, 30
	profPatternSrc           = "testsrc2=size=640x480:rate=30"
)

// TestProfiles: the H.264 formats browsers and SFUs send (profile-level-id constrained
// baseline 42e01f, baseline 42001f, main 4d001f, high 64001f; RFC 6184 packetization mode
// 1 and 0), encoded by libx264 from a moving pattern, packetized as a WebRTC sender does
// (mode 1: pion's payloader, STAP-A and FU-A; mode 0: one NAL unit per packet), reassembled
// by the Assembler and decoded: every access unit is complete and the pictures are the
// source's (PSNR on luma against the unencoded pattern).
func TestProfiles(t *testing.T) {
	needFFmpeg(t)
	ref := rawPattern(t)
	for _, plid := range []string{"42e01f", "42001f", "4d001f", "64001f"} {
		for _, mode := range []int{1, 0} {
			t.Run(fmt.Sprintf("%s mode %d", plid, mode), func(t *testing.T) {
				if testing.Short() && plid != "42e01f" && plid != "64001f" {
					t.Skip("-short: constrained baseline and high only")
				}
				aus := encodeProfile(t, plid, mode)
				pkts, kinds := packetizeMode(aus, mode)
				if mode == 1 && (kinds[naluSTAPA] == 0 || kinds[naluFUA] == 0) {
					t.Fatalf("mode 1 stream without STAP-A or FU-A packets: %v", kinds)
				}
				if mode == 0 && (kinds[naluSTAPA] != 0 || kinds[naluFUA] != 0) {
					t.Fatalf("mode 0 stream with aggregation or fragmentation packets: %v", kinds)
				}
				got := decodePackets(t, pkts)
				if len(got) < profFrames/2 {
					t.Fatalf("%d pictures from %d access units", len(got), profFrames)
				}
				worst := math.Inf(1)
				for i, y := range got {
					worst = math.Min(worst, psnr(y, ref[i]))
				}
				// libx264 at its default quality gives 35-45 dB on this pattern; a picture
				// decoded from wrong data is far below 20.
				if worst < 30 {
					t.Errorf("worst luma PSNR %.1f dB over %d pictures", worst, len(got))
				}
				t.Logf("%d pictures, worst luma PSNR %.1f dB", len(got), worst)
			})
		}
	}
}

// rawPattern returns the luma planes of the unencoded pattern.
func rawPattern(t *testing.T) [][]byte {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i", profPatternSrc,
		"-frames:v", itoa(profFrames), "-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg pattern: %v", err)
	}
	size := profW * profH * 3 / 2
	if len(out) != size*profFrames {
		t.Fatalf("pattern: %d bytes, want %d", len(out), size*profFrames)
	}
	var ys [][]byte
	for i := range profFrames {
		ys = append(ys, out[i*size:i*size+profW*profH])
	}
	return ys
}

// encodeProfile encodes the pattern with libx264 in the profile of plid and sets the SPS's
// profile_idc, constraint flags and level_idc to plid's bytes (libx264 writes constrained
// baseline as 42c0, main as 4d40). Mode 0 keeps every NAL unit under the MTU, as a mode 0
// sender must (slice-max-size).
func encodeProfile(t *testing.T, plid string, mode int) [][]byte {
	t.Helper()
	want, err := hex.DecodeString(plid)
	if err != nil {
		t.Fatal(err)
	}
	profile := map[byte]string{0x42: "baseline", 0x4d: "main", 0x64: "high"}[want[0]]
	x264 := "repeat-headers=1"
	if mode == 0 {
		x264 += ":slice-max-size=1100"
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i", profPatternSrc,
		"-frames:v", itoa(profFrames), "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", profile, "-level", "3.1",
		"-preset", "veryfast", "-tune", "zerolatency", "-g", "15", "-x264-params", x264,
		"-bsf:v", "h264_metadata=aud=insert", "-f", "h264", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg encode: %v", err)
	}
	aus := splitAUs(out)
	if len(aus) != profFrames {
		t.Fatalf("encoded %d access units, want %d", len(aus), profFrames)
	}
	for _, au := range aus {
		NALUnits(au, func(nal []byte) bool {
			if nal[0]&0x1f == naluSPS {
				if nal[1] != want[0] {
					t.Fatalf("libx264 wrote profile_idc %#x for %s, want %#x", nal[1], profile, want[0])
				}
				copy(nal[1:4], want) // no emulation prevention: none of these bytes pairs with a zero
			}
			return true
		})
	}
	return aus
}

// packetizeMode packetizes at 30 fps and counts the packets by NAL unit type.
func packetizeMode(aus [][]byte, mode int) ([]*rtp.Packet, map[byte]int) {
	p := &codecs.H264Payloader{DisableStapA: mode == 0}
	var pkts []*rtp.Packet
	kinds := map[byte]int{}
	seq := uint16(65500) // wraps
	for i, au := range aus {
		payloads := p.Payload(mtu, au)
		for j, pl := range payloads {
			kinds[pl[0]&0x1f]++
			pkts = append(pkts, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102, SequenceNumber: seq,
				Timestamp: 90000 + uint32(i)*3000, Marker: j == len(payloads)-1, SSRC: 1}, Payload: pl})
			seq++
		}
	}
	return pkts, kinds
}

// decodePackets runs packets through the Assembler and the Decoder and returns the
// pictures' luma planes by access unit index. A live decoder that falls behind returns the
// newest picture and skips older ones; the longer wait for a picture (ffmpeg holds the first
// ones back until the next access unit comes) keeps that rare on a loaded machine.
func decodePackets(t *testing.T, pkts []*rtp.Packet) map[int][]byte {
	t.Helper()
	d := newDecoder(t, Options{FrameTimeout: 2 * time.Second})
	a := NewAssembler()
	ys := map[int][]byte{}
	aus, last := 0, -1
	for _, pkt := range pkts {
		for _, fr := range a.Push(pkt) {
			aus++
			n := int(fr.Timestamp-90000) / 3000
			f, err := d.Decode(fr.Data, time.Duration(n)*time.Second/30)
			if err != nil {
				t.Fatalf("access unit %d: %v", n, err)
			}
			if f == nil {
				continue
			}
			i := int(f.PTS / (time.Second / 30))
			if f.Width != profW || f.Height != profH || f.PTS != time.Duration(i)*time.Second/30 || i <= last {
				t.Fatalf("picture after %d: %dx%d pts %v", last, f.Width, f.Height, f.PTS)
			}
			last = i
			y := make([]byte, 0, profW*profH)
			for r := range profH {
				y = append(y, f.Y[r*f.YStride:r*f.YStride+profW]...)
			}
			ys[i] = y
		}
	}
	if st := a.Stats(); aus != profFrames || st.Malformed != 0 {
		t.Fatalf("assembler: %d access units from %d, %+v", aus, profFrames, st)
	}
	return ys
}

// psnr is the peak signal-to-noise ratio of a against b in dB.
func psnr(a, b []byte) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(len(a))/se)
}
