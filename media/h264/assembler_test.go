package h264

import (
	"testing"

	"github.com/pion/rtp"
)

// testStream is 40 access units, IDR at 0 and 20, some large enough for FU-A.
func testStream(t *testing.T, seq uint16) *stream {
	t.Helper()
	return packetize(encode(t, 40, 20, "640:480", testsrc("30")...), seq, 1000)
}

func TestAssembler(t *testing.T) {
	base := testStream(t, 100)
	wrap := testStream(t, 65500)
	drop := func(s *stream, frame, which int) []*rtp.Packet {
		skip := s.frame[frame][which]
		var out []*rtp.Packet
		for i, p := range s.pkts {
			if i != skip {
				out = append(out, p)
			}
		}
		return out
	}
	tests := []struct {
		name   string
		s      *stream
		mangle func(s *stream) []*rtp.Packet
		want   []int // access units returned
		wantKF bool
	}{
		{name: "in order", s: base, mangle: func(s *stream) []*rtp.Packet { return s.pkts }, want: span(0, 40)},
		{name: "sequence wraps", s: wrap, mangle: func(s *stream) []*rtp.Packet { return s.pkts }, want: span(0, 40)},
		{name: "duplicates", s: base, mangle: func(s *stream) []*rtp.Packet {
			var out []*rtp.Packet
			for _, p := range s.pkts {
				out = append(out, p, p)
			}
			return out
		}, want: span(0, 40)},
		{name: "reordered pairs", s: base, mangle: func(s *stream) []*rtp.Packet {
			out := append([]*rtp.Packet{}, s.pkts...)
			for i := 1; i+1 < len(out); i += 3 {
				out[i], out[i+1] = out[i+1], out[i]
			}
			return out
		}, want: span(0, 40)},
		{name: "padding between frames", s: base, mangle: func(s *stream) []*rtp.Packet {
			// Padding takes sequence numbers, so renumber: a padding packet after each marker.
			var out []*rtp.Packet
			seq := uint16(7)
			for _, p := range s.pkts {
				c := *p
				c.SequenceNumber = seq
				seq++
				out = append(out, &c)
				if p.Marker {
					out = append(out, &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: p.Timestamp}})
					seq++
				}
			}
			return out
		}, want: span(0, 40)},
		{name: "loss in P frame waits for IDR", s: base, mangle: func(s *stream) []*rtp.Packet {
			return drop(s, 5, 0)
		}, want: append(span(0, 5), span(20, 40)...)},
		{name: "lost STAP-A of a later IDR", s: base, mangle: func(s *stream) []*rtp.Packet {
			return drop(s, 20, 0)
		}, want: span(0, 20), wantKF: true},
		{name: "lost end of the last frame", s: base, mangle: func(s *stream) []*rtp.Packet {
			f := s.frame[39]
			return drop(s, 39, len(f)-1)
		}, want: span(0, 39)},
		{name: "joined mid-stream", s: base, mangle: func(s *stream) []*rtp.Packet {
			return s.pkts[s.frame[3][0]+1:]
		}, want: span(20, 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAssembler()
			var got []int
			for _, p := range tt.mangle(tt.s) {
				for _, f := range a.Push(p) {
					i := findAU(tt.s, f.Data)
					if i < 0 {
						t.Fatalf("access unit at ts %d matches none sent", f.Timestamp)
					}
					if f.Keyframe != IsKeyframe(tt.s.aus[i]) {
						t.Errorf("access unit %d: keyframe %v", i, f.Keyframe)
					}
					got = append(got, i)
				}
			}
			if !equal(got, tt.want) {
				t.Errorf("got access units %v\nwant %v\nstats %+v", got, tt.want, a.Stats())
			}
			if a.WantKeyframe() != tt.wantKF {
				t.Errorf("WantKeyframe = %v", a.WantKeyframe())
			}
		})
	}
}

func TestAssemblerMalformed(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"forbidden bit", []byte{0x85, 1, 2}},
		{"type 0", []byte{0x00, 1}},
		{"STAP-B", []byte{25, 0, 1, 2}},
		{"FU-A start and end", []byte{28, 0xc5, 1}},
		{"short FU-A", []byte{28, 0x85}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAssembler()
			a.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Marker: true}, Payload: tt.payload})
			if st := a.Stats(); st.Malformed != 1 {
				t.Errorf("stats %+v, want one malformed", st)
			}
		})
	}
}

func findAU(s *stream, data []byte) int {
	for i, au := range s.aus {
		if sameNALs(au, data) {
			return i
		}
	}
	return -1
}

func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkAssembler is the cost per RTP packet of reassembling a 640×480 30 fps stream (60
// access units, an IDR every 30), as media/rtpframe's BenchmarkAssembler measures VP8/VP9.
func BenchmarkAssembler(b *testing.B) {
	aus := encode(b, 60, 30, "640:480", testsrc("30")...)
	s := packetize(aus, 0, 0)
	a := NewAssembler()
	b.ReportAllocs()
	var seq uint16
	var ts uint32
	n := 0
	for b.Loop() {
		// Rewrite sequence numbers and timestamps so the stream continues.
		p := s.pkts[n%len(s.pkts)]
		if n%len(s.pkts) == 0 && n > 0 {
			ts += uint32(len(aus)) * 3000
		}
		q := *p
		q.SequenceNumber = seq
		q.Timestamp = p.Timestamp + ts
		seq++
		n++
		a.Push(&q)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
	if st := a.Stats(); st.FramesLost != 0 || st.FramesComplete == 0 {
		b.Fatalf("stats %+v", st)
	}
}
