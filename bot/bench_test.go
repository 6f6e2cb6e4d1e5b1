package bot_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/camera"
	"github.com/integritybot/integritybot/media/vpx"
)

// scene returns a camera-like picture: textured, moving, with sensor noise.
func scene(w, h int) func(i int) *media.Frame {
	rng := rand.New(rand.NewPCG(7, 7))
	return func(i int) *media.Frame {
		f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: w / 2,
			Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				f.Y[y*w+x] = byte(((x+3*i)/16+(y+i)/16)%2*90 + 50 + rng.IntN(10))
			}
		}
		for k := range f.U {
			f.U[k], f.V[k] = byte(110+k%7), byte(140-k%5)
		}
		return f
	}
}

// encodeStream encodes n frames of the scene at 30 fps.
func encodeStream(tb testing.TB, c vpx.Codec, w, h, n int) []vpx.Packet {
	tb.Helper()
	enc, err := vpx.NewEncoder(c, w, h, 30, w*h*30/10000) // ~1.2 Mbit/s at 640×480, ~2.8 at 720p
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	gen := scene(w, h)
	var out []vpx.Packet
	for i := 0; i < n; i++ {
		f := gen(i)
		f.PTS = time.Duration(i) * time.Second / 30
		pkts, err := enc.Encode(f, i == 0)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, pkts...)
	}
	return out
}

// packetize turns encoded frames into RTP packets as a browser would send them.
func packetize(c vpx.Codec, frames []vpx.Packet) []*rtp.Packet {
	var payloader rtp.Payloader = &codecs.VP8Payloader{EnablePictureID: true}
	if c == vpx.VP9 {
		payloader = &codecs.VP9Payloader{}
	}
	var out []*rtp.Packet
	seq := uint16(1000)
	for i, f := range frames {
		payloads := payloader.Payload(1200, f.Data)
		for k, p := range payloads {
			out = append(out, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
				Timestamp: uint32(i * 3000), SSRC: 1, Marker: k == len(payloads)-1}, Payload: p})
			seq++
		}
	}
	return out
}

// BenchmarkDecodeCamera measures decode + camera check per frame (ns/op is per frame).
func BenchmarkDecodeCamera(b *testing.B) {
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		for _, size := range [][2]int{{640, 480}, {1280, 720}} {
			b.Run(fmt.Sprintf("%s/%dx%d", c, size[0], size[1]), func(b *testing.B) {
				frames := encodeStream(b, c, size[0], size[1], 60)
				dec, err := vpx.NewDecoder(c)
				if err != nil {
					b.Fatal(err)
				}
				defer dec.Close()
				cam := camera.New(camera.DefaultConfig())
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					k := i % len(frames)
					pts := time.Duration(i) * time.Second / 30
					f, err := dec.Decode(frames[k].Data, pts)
					if err != nil {
						b.Fatal(err)
					}
					if f != nil {
						cam.Observe(f)
					}
				}
			})
		}
	}
}

// BenchmarkStream measures the whole live path for one stream — RTP in, assembly, bounded
// queue, decode, camera check — per second of 30 fps video (ns/op is per stream-second;
// cpu% is the share of one core one live stream needs).
func BenchmarkStream(b *testing.B) {
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		for _, size := range [][2]int{{640, 480}, {1280, 720}} {
			b.Run(fmt.Sprintf("%s/%dx%d", c, size[0], size[1]), func(b *testing.B) {
				frames := encodeStream(b, c, size[0], size[1], 30)
				pkts := packetize(c, frames)
				var clock time.Time
				now := func() time.Time { return clock }
				s := bot.NewSession("bench", report.Candidate{}, time.Unix(0, 0), bot.Config{QueueSize: 64}, nil, nil, now)
				defer s.Close()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					in, err := s.AddVideo(c, nil)
					if err != nil {
						b.Fatal(err)
					}
					for _, p := range pkts {
						clock = clock.Add(time.Second / time.Duration(len(pkts)))
						in.WriteRTP(p)
					}
					for s.Report(report.Live).Coverage.FramesDecoded < int64((i+1)*len(frames)) {
						time.Sleep(100 * time.Microsecond)
					}
					in.Close()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e7, "cpu%/stream")
			})
		}
	}
}
