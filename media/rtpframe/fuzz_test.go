package rtpframe

import (
	"testing"

	"github.com/pion/rtp"

	"github.com/integritybot/integritybot/media/vpx"
)

func FuzzAssembler(f *testing.F) {
	streams := map[vpx.Codec]*stream{}
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		s := packetize(f, c, encode(f, c, 6, 3), 65530, 0)
		streams[c] = s
		var all []byte
		for _, p := range s.pkts[:min(len(s.pkts), 12)] {
			b, err := p.Marshal()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(c), b, []byte{})
			all = append(all, byte(len(b)>>8), byte(len(b)))
			all = append(all, b...)
		}
		f.Add(uint8(c), all, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
		f.Add(uint8(c), []byte{}, []byte{0, 3, 1, 2, 7, 7, 0x40, 0x81, 0xc2, 0xff})
	}
	// VP8 with the full temporal layer descriptor (VP8Packetizer), and VP9 with layer indices.
	for _, seed := range [][]byte{
		{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x90, 0xe0, 0x81, 0x23, 0x07, 0xa0, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a},
		{0x80, 96, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0x80, 0xf0, 0x81, 0x24, 0x07, 0x65, 1, 2, 3},
		{0x80, 96, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1, 0xac, 0x80, 0x05, 0x50, 0x07, 1, 2, 3},
	} {
		f.Add(uint8(1), seed, []byte{})
		f.Add(uint8(2), seed, []byte{})
	}
	f.Fuzz(func(t *testing.T, codec uint8, raw []byte, ops []byte) {
		c := vpx.VP8
		if codec%2 == 0 {
			c = vpx.VP9
		}
		a := New(c)
		// raw holds length-prefixed wire packets (or one packet if unprefixed).
		for len(raw) > 0 {
			n := len(raw)
			if len(raw) >= 2 {
				if m := int(raw[0])<<8 | int(raw[1]); m > 0 && m <= len(raw)-2 {
					n, raw = m, raw[2:]
				}
			}
			var p rtp.Packet
			if p.Unmarshal(raw[:n]) == nil {
				a.Push(&p)
			}
			raw = raw[n:]
		}
		// ops mutate and push the real stream's packets.
		s := streams[c]
		base := uint16(len(ops)) * 4099 // vary where sequence numbers wrap
		for i, op := range ops {
			p := *s.pkts[(i+int(op))%len(s.pkts)]
			p.SequenceNumber += base
			switch op >> 6 {
			case 1:
				p.SequenceNumber += uint16(op & 0x3f)
			case 2:
				p.Payload = p.Payload[:int(op&0x3f)%len(p.Payload)]
			case 3:
				p.SequenceNumber -= uint16(op&0x3f) * 97
				p.Marker = !p.Marker
			}
			for _, fr := range a.Push(&p) {
				if len(fr.Data) == 0 {
					t.Fatal("empty frame")
				}
			}
		}
		if err := checkInvariants(a); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkAssembler(b *testing.B) {
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		b.Run(c.String(), func(b *testing.B) {
			enc, err := vpx.NewEncoder(c, 640, 480, 30, 1500)
			if err != nil {
				b.Fatal(err)
			}
			var frames []vpx.Packet
			for i := range 60 {
				p, err := enc.Encode(pattern(640, 480, i), i == 0)
				if err != nil {
					b.Fatal(err)
				}
				frames = append(frames, p...)
			}
			enc.Close()
			s := packetize(b, c, frames, 0, 0)
			a := New(c)
			b.ReportAllocs()
			var seq uint16
			var ts uint32
			n := 0
			for b.Loop() {
				// Rewrite sequence numbers and timestamps so the stream continues.
				p := s.pkts[n%len(s.pkts)]
				if n%len(s.pkts) == 0 && n > 0 {
					ts += uint32(len(frames)) * 3000
				}
				q := *p
				q.SequenceNumber = seq
				q.Timestamp = p.Timestamp + ts
				seq++
				n++
				a.Push(&q)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
			if st := a.Stats(); st.FramesLost != 0 {
				b.Fatalf("stats %+v", st)
			}
		})
	}
}
