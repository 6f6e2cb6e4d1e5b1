package rtpframe

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"

	"github.com/integritybot/integritybot/media/vpx"
)

func TestAssembler(t *testing.T) {
	const n = 40
	tests := []struct {
		name string
		seq  uint16
		ts   uint32
		// mangle turns the packets as sent into the packets as received.
		mangle func(s *stream) []*rtp.Packet
		want   []int // frame indices returned; nil means all
		stats  func(t *testing.T, st Stats)
		wantKF bool // WantKeyframe at the end
	}{
		{
			name:   "in order",
			mangle: func(s *stream) []*rtp.Packet { return s.pkts },
			stats: func(t *testing.T, st Stats) {
				if st.FramesComplete != n || st.FramesLost != 0 || st.Duplicates != 0 {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "duplicates",
			mangle: func(s *stream) []*rtp.Packet {
				var out []*rtp.Packet
				for i, p := range s.pkts {
					out = append(out, p, p)
					if i >= 10 {
						out = append(out, s.pkts[i-10]) // an RTX repair or probe
					}
				}
				return out
			},
			stats: func(t *testing.T, st Stats) {
				if st.Duplicates == 0 || st.FramesLost != 0 {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "reordered",
			mangle: func(s *stream) []*rtp.Packet {
				out := append([]*rtp.Packet(nil), s.pkts...)
				rng := rand.New(rand.NewPCG(1, 1))
				for i := 0; i+6 <= len(out); i += 6 {
					rng.Shuffle(6, func(a, b int) { out[i+a], out[i+b] = out[i+b], out[i+a] })
				}
				return out
			},
			stats: func(t *testing.T, st Stats) {
				if st.FramesLost != 0 {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "padding between frames",
			mangle: func(s *stream) []*rtp.Packet {
				// Renumber to make room for one padding packet after every frame.
				var out []*rtp.Packet
				seq := s.pkts[0].SequenceNumber
				for _, p := range s.pkts {
					q := *p
					q.SequenceNumber = seq
					seq++
					out = append(out, &q)
					if p.Marker {
						out = append(out, padding(seq, p.Timestamp))
						seq++
					}
				}
				return out
			},
			stats: func(t *testing.T, st Stats) {
				if st.Padding != n || st.FramesLost != 0 || st.FramesComplete != n {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "lost padding",
			mangle: func(s *stream) []*rtp.Packet {
				// A gap that held only padding: picture IDs show no frame is missing.
				var out []*rtp.Packet
				for i, p := range s.pkts {
					q := *p
					if p.Timestamp >= s.ts[5] {
						q.SequenceNumber += 2
					}
					out = append(out, &q)
					if p.Marker && p.Timestamp == s.ts[4] {
						out = append(out, padding(s.pkts[i].SequenceNumber+1, p.Timestamp))
					}
				}
				return out
			},
			stats: func(t *testing.T, st Stats) {
				if st.FramesLost != 0 || st.FramesComplete != n {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "lost packet",
			mangle: func(s *stream) []*rtp.Packet {
				drop := s.firstPacket(10) + 1
				return append(append([]*rtp.Packet(nil), s.pkts[:drop]...), s.pkts[drop+1:]...)
			},
			want: append(seqRange(0, 10), seqRange(20, n)...),
			stats: func(t *testing.T, st Stats) {
				if st.FramesLost != 1 || st.FramesSkipped != 9 {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "lost frame",
			mangle: func(s *stream) []*rtp.Packet {
				a, b := s.firstPacket(10), s.firstPacket(12)
				return append(append([]*rtp.Packet(nil), s.pkts[:a]...), s.pkts[b:]...)
			},
			want: append(seqRange(0, 10), seqRange(20, n)...),
			stats: func(t *testing.T, st Stats) {
				if st.FramesLost != 2 || st.FramesSkipped != 8 {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "lost keyframe packet at the end",
			mangle: func(s *stream) []*rtp.Packet {
				drop := s.firstPacket(20) + 1
				return append(append([]*rtp.Packet(nil), s.pkts[:drop]...), s.pkts[drop+1:]...)
			},
			want:   seqRange(0, 20),
			wantKF: true,
		},
		{
			name: "repair within hold",
			mangle: func(s *stream) []*rtp.Packet {
				// Frame 10's second packet arrives after frame 11 is complete,
				// like a quick NACK repair.
				late := s.firstPacket(10) + 1
				at := s.firstPacket(12)
				out := append([]*rtp.Packet(nil), s.pkts[:late]...)
				out = append(out, s.pkts[late+1:at]...)
				out = append(out, s.pkts[late])
				return append(out, s.pkts[at:]...)
			},
			stats: func(t *testing.T, st Stats) {
				if st.FramesLost != 0 || st.Duplicates != 0 {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "repair after hold",
			mangle: func(s *stream) []*rtp.Packet {
				late := s.firstPacket(10) + 1
				at := s.firstPacket(15)
				out := append([]*rtp.Packet(nil), s.pkts[:late]...)
				out = append(out, s.pkts[late+1:at]...)
				out = append(out, s.pkts[late])
				return append(out, s.pkts[at:]...)
			},
			want: append(seqRange(0, 10), seqRange(20, n)...),
			stats: func(t *testing.T, st Stats) {
				if st.FramesLost != 1 || st.Duplicates != 1 {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name: "no marker bits",
			mangle: func(s *stream) []*rtp.Packet {
				// Frames end where the timestamp changes; the last never ends.
				var out []*rtp.Packet
				for _, p := range s.pkts {
					q := *p
					q.Marker = false
					out = append(out, &q)
				}
				return out
			},
			want: seqRange(0, n-1),
		},
		{
			name:   "starts with an inter frame",
			mangle: func(s *stream) []*rtp.Packet { return s.pkts[s.firstPacket(3):] },
			want:   seqRange(20, n),
			stats: func(t *testing.T, st Stats) {
				if st.FramesSkipped != 17 || st.FramesLost != 0 {
					t.Errorf("stats %+v", st)
				}
			},
		},
		{
			name:   "starts mid frame",
			mangle: func(s *stream) []*rtp.Packet { return s.pkts[1:] },
			want:   seqRange(20, n),
		},
		{
			name: "reordered at start",
			mangle: func(s *stream) []*rtp.Packet {
				out := append([]*rtp.Packet(nil), s.pkts...)
				out[0], out[2] = out[2], out[0]
				return out
			},
		},
		{
			name:   "sequence wraparound",
			seq:    65530,
			mangle: func(s *stream) []*rtp.Packet { return s.pkts },
		},
		{
			name: "sequence wraparound reordered",
			seq:  65533,
			mangle: func(s *stream) []*rtp.Packet {
				out := append([]*rtp.Packet(nil), s.pkts...)
				for i := 0; i+1 < len(out); i += 2 {
					out[i], out[i+1] = out[i+1], out[i]
				}
				return out
			},
		},
		{
			name:   "timestamp wraparound",
			ts:     1<<32 - 3000*5,
			mangle: func(s *stream) []*rtp.Packet { return s.pkts },
		},
		{
			name: "malformed payloads",
			mangle: func(s *stream) []*rtp.Packet {
				var out []*rtp.Packet
				for i, p := range s.pkts {
					out = append(out, p)
					if i%7 == 0 && p.Timestamp < s.ts[20] {
						// Same sequence number, a payload the depacketizer rejects
						// (X and I set, picture ID missing): counted, not a loss
						// once the real packet arrived.
						bad := *p
						bad.Payload = []byte{0xff}
						if s.codec == vpx.VP9 {
							bad.Payload = []byte{0xff, 0xff}
						}
						out = append(out, &bad)
					}
				}
				return out
			},
			stats: func(t *testing.T, st Stats) {
				if st.Malformed == 0 || st.FramesLost != 0 || st.FramesComplete != n {
					t.Errorf("stats %+v", st)
				}
			},
		},
	}
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		frames := encode(t, c, n, 20)
		for _, tt := range tests {
			t.Run(c.String()+"/"+tt.name, func(t *testing.T) {
				s := packetize(t, c, frames, tt.seq, tt.ts)
				if len(s.pkts) < n+4 {
					t.Fatalf("only %d packets for %d frames: too few multi-packet frames", len(s.pkts), n)
				}
				a := New(c)
				got := run(t, a, s, clone(t, tt.mangle(s)))
				want := tt.want
				if want == nil {
					want = seqRange(0, n)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("frames %v\nwant   %v", got, want)
				}
				if a.WantKeyframe() != tt.wantKF {
					t.Errorf("WantKeyframe = %v, want %v", a.WantKeyframe(), tt.wantKF)
				}
				if tt.stats != nil {
					tt.stats(t, a.Stats())
				}
			})
		}
	}
}

func TestNeedKeyframe(t *testing.T) {
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		t.Run(c.String(), func(t *testing.T) {
			s := packetize(t, c, encode(t, c, 30, 20), 100, 0)
			a := New(c)
			if !a.WantKeyframe() {
				t.Fatal("a fresh assembler does not want a keyframe")
			}
			var got []int
			for _, p := range s.pkts {
				for _, f := range a.Push(p) {
					i := s.frame[f.Timestamp]
					got = append(got, i)
					if i == 5 {
						a.NeedKeyframe() // as if frame 5 decoded corrupted
					}
				}
			}
			want := append(seqRange(0, 6), seqRange(20, 30)...)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("frames %v\nwant   %v", got, want)
			}
			if st := a.Stats(); st.FramesSkipped != 14 || st.FramesLost != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		t.Run(c.String(), func(t *testing.T) {
			s := packetize(t, c, encode(t, c, 30, 15), 0, 0)
			a := New(c)
			a.Push(nil)
			for range 20000 {
				p := *s.pkts[rng.IntN(len(s.pkts))]
				switch rng.IntN(6) {
				case 0:
					p.SequenceNumber = uint16(rng.Uint32())
				case 1:
					p.SequenceNumber += uint16(rng.IntN(600))
				case 2:
					p.Timestamp = rng.Uint32()
				case 3:
					p.Marker = !p.Marker
				case 4:
					b := append([]byte(nil), p.Payload...)
					b[rng.IntN(len(b))] = byte(rng.Uint32())
					p.Payload = b
				case 5:
					p.Payload = nil
				}
				for _, f := range a.Push(&p) {
					if len(f.Data) == 0 {
						t.Fatal("empty frame")
					}
				}
			}
			if err := checkInvariants(a); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkInvariants verifies the window bookkeeping.
func checkInvariants(a *Assembler) error {
	return checkWindow(&a.w)
}

// checkWindow verifies a Window's bookkeeping.
func checkWindow[M any](w *Window[M]) error {
	if w.started && w.highest-w.next >= ringSize {
		return errors.New("window larger than the ring")
	}
	for i := range w.ring {
		s := &w.ring[i]
		if s.present && (s.ext < w.next || s.ext > w.highest) {
			return fmt.Errorf("slot %d holds %d outside [%d, %d]", i, s.ext, w.next, w.highest)
		}
	}
	return nil
}
