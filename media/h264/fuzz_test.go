package h264

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

// fuzzSeeds are hand-made packets of a tiny stream: STAP-A with SPS and PPS, an IDR split
// into three FU-A fragments, a P slice, padding.
var fuzzSeeds = [][]byte{
	{naluSTAPA, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 0, 2, 0x68, 0xce},
	{naluFUA | 0x60, 0x80 | naluIDR, 1, 2, 3},
	{naluFUA | 0x60, naluIDR, 4, 5, 6},
	{naluFUA | 0x60, 0x40 | naluIDR, 7, 8},
	{0x41, 0x9a, 1, 2, 3},
	{naluSEI, 5, 1, 0x80},
	{},
}

// FuzzH264Assembler pushes random, truncated and reordered packets: no panic, counters add
// up, and what comes out is Annex-B that starts with an IDR after every loss.
func FuzzH264Assembler(f *testing.F) {
	var all []byte
	for _, s := range fuzzSeeds {
		f.Add(s, []byte{0})
		all = append(all, byte(len(s)))
		all = append(all, s...)
	}
	f.Add(all, []byte{0, 1, 2, 3, 4, 5, 6})
	f.Add(all, []byte{6, 5, 4, 3, 2, 1, 0, 0x80, 0x40})
	f.Add(all[:len(all)/2], []byte{0xff, 0x10, 0x22})
	f.Fuzz(func(t *testing.T, raw []byte, ops []byte) {
		// raw holds length-prefixed payloads; ops choose sequence offsets, timestamps and markers.
		var payloads [][]byte
		for len(raw) > 0 {
			n := min(int(raw[0]), len(raw)-1)
			payloads = append(payloads, raw[1:1+n])
			raw = raw[1+n:]
		}
		a := NewAssembler()
		seq, ts, pushed := uint16(65530), uint32(0), uint64(0)
		for i, p := range payloads {
			op := byte(i)
			if len(ops) > 0 {
				op = ops[i%len(ops)]
			}
			pkt := &rtp.Packet{Header: rtp.Header{
				SequenceNumber: seq + uint16(op&0x7) - 2, Timestamp: ts, Marker: op&0x40 != 0,
			}, Payload: p}
			seq++
			if op&0x80 != 0 {
				ts += 3000
			}
			wasWaiting := a.WantKeyframe()
			out := a.Push(pkt)
			pushed++
			for j, fr := range out {
				if len(fr.Data) < 5 || !bytes.HasPrefix(fr.Data, startCode) {
					t.Fatalf("access unit %x is not Annex-B", fr.Data)
				}
				if j == 0 && wasWaiting && !fr.Keyframe {
					t.Fatal("non-IDR access unit returned while waiting for a keyframe")
				}
				if fr.Keyframe != IsKeyframe(fr.Data) {
					t.Fatal("Keyframe flag disagrees with the data")
				}
			}
			if i%5 == 4 {
				a.NeedKeyframe()
			}
		}
		if st := a.Stats(); st.Packets != pushed {
			t.Fatalf("stats %+v after %d packets", st, pushed)
		}
	})
}

// FuzzNALUnits: any input splits without panic into non-empty units inside the input.
func FuzzNALUnits(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68})
	f.Add([]byte{0, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		NALUnits(b, func(nal []byte) bool {
			if len(nal) == 0 || !bytes.Contains(b, nal) {
				t.Fatalf("unit %x", nal)
			}
			return true
		})
		IsKeyframe(b)
	})
}
