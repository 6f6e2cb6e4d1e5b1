package rtpframe

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/vpx"
)

const mtu = 1200

// pattern draws a moving gradient with a moving checkerboard.
func pattern(w, h, i int) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{
		PTS: time.Duration(i) * time.Second / 30, Width: w, Height: h,
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch),
		YStride: w, UVStride: cw,
	}
	for y := range h {
		for x := range w {
			v := (x + y + i*3) & 0xff
			if ((x+i*4)/16+(y+i*2)/16)%2 == 0 {
				v = 255 - v
			}
			f.Y[y*w+x] = byte(v)
		}
	}
	for j := range f.U {
		f.U[j], f.V[j] = byte(128+(j+i)%32), byte(128-(j-i)%32)
	}
	return f
}

// stream is an encoded test stream and its RTP packets.
type stream struct {
	codec  vpx.Codec
	frames []vpx.Packet   // encoder output, one per RTP timestamp
	ts     []uint32       // RTP timestamp of frames[i]
	pkts   []*rtp.Packet  // in send order
	frame  map[uint32]int // timestamp to frame index
}

// encode makes n frames at 320x240, forcing keyframes at keys (and frame 0).
func encode(tb testing.TB, c vpx.Codec, n int, keys ...int) []vpx.Packet {
	tb.Helper()
	enc, err := vpx.NewEncoder(c, 320, 240, 30, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	var out []vpx.Packet
	for i := range n {
		force := i == 0
		for _, k := range keys {
			force = force || i == k
		}
		p, err := enc.Encode(pattern(320, 240, i), force)
		if err != nil {
			tb.Fatal(err)
		}
		if len(p) != 1 {
			tb.Fatalf("frame %d: encoder returned %d packets", i, len(p))
		}
		out = append(out, p...)
	}
	return out
}

// packetize sends frames as RTP the way a browser does: one timestamp per
// frame, marker on its last packet, consecutive sequence numbers from seq.
func packetize(tb testing.TB, c vpx.Codec, frames []vpx.Packet, seq uint16, ts uint32) *stream {
	tb.Helper()
	var p rtp.Payloader
	switch c {
	case vpx.VP8:
		p = &codecs.VP8Payloader{EnablePictureID: true}
	case vpx.VP9:
		p = &codecs.VP9Payloader{InitialPictureIDFn: func() uint16 { return 0x7ff0 }}
	}
	s := &stream{codec: c, frames: frames, frame: map[uint32]int{}}
	for i, f := range frames {
		payloads := p.Payload(mtu, f.Data)
		if len(payloads) == 0 {
			tb.Fatalf("frame %d: no payloads", i)
		}
		s.ts = append(s.ts, ts)
		s.frame[ts] = i
		for j, pl := range payloads {
			s.pkts = append(s.pkts, &rtp.Packet{
				Header: rtp.Header{
					Version: 2, PayloadType: 96, SSRC: 1234,
					SequenceNumber: seq, Timestamp: ts, Marker: j == len(payloads)-1,
				},
				Payload: pl,
			})
			seq++
		}
		ts += 3000
	}
	return s
}

// padding is what Chromium sends between frames: empty payload, the
// previous frame's timestamp, no marker.
func padding(seq uint16, ts uint32) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{
		Version: 2, PayloadType: 96, SSRC: 1234, SequenceNumber: seq, Timestamp: ts,
		Padding: true, PaddingSize: 200,
	}}
}

// clone deep-copies packets through Marshal/Unmarshal, as if from the wire.
func clone(tb testing.TB, pkts []*rtp.Packet) []*rtp.Packet {
	tb.Helper()
	out := make([]*rtp.Packet, len(pkts))
	for i, p := range pkts {
		b, err := p.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = &rtp.Packet{}
		if err := out[i].Unmarshal(b); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// run pushes pkts and returns the frames, checking each against the encoder
// output and decoding it.
func run(t *testing.T, a *Assembler, s *stream, pkts []*rtp.Packet) []int {
	t.Helper()
	dec, err := vpx.NewDecoder(s.codec)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var got []int
	for _, p := range pkts {
		for _, f := range a.Push(p) {
			i, ok := s.frame[f.Timestamp]
			if !ok {
				t.Fatalf("frame with unknown timestamp %d", f.Timestamp)
			}
			want := s.frames[i]
			if !bytes.Equal(f.Data, want.Data) {
				t.Fatalf("frame %d: %d bytes differ from the encoder's %d", i, len(f.Data), len(want.Data))
			}
			if f.Keyframe != want.Keyframe {
				t.Errorf("frame %d: Keyframe = %v, want %v", i, f.Keyframe, want.Keyframe)
			}
			if f.Keyframe && (f.Width != 320 || f.Height != 240) || !f.Keyframe && f.Width != 0 {
				t.Errorf("frame %d: size %dx%d", i, f.Width, f.Height)
			}
			if _, err := dec.Decode(f.Data, time.Duration(i)); err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			got = append(got, i)
		}
	}
	return got
}

func seqRange(from, to int) []int {
	var r []int
	for i := from; i < to; i++ {
		r = append(r, i)
	}
	return r
}

// firstPacket returns the index in s.pkts of frame i's first packet.
func (s *stream) firstPacket(i int) int {
	for j, p := range s.pkts {
		if p.Timestamp == s.ts[i] {
			return j
		}
	}
	return -1
}
