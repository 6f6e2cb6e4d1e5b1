package rtpframe

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/integritybot/integritybot/media/vpx"
)

// TestDescriptorLayers reads the temporal layer fields of hand-built payload descriptors
// (RFC 7741 §4.2 for VP8, RFC 9628 §4.2 for VP9).
func TestDescriptorLayers(t *testing.T) {
	body := []byte{0xde, 0xad, 0xbe, 0xef}
	for _, tc := range []struct {
		name    string
		codec   vpx.Codec
		desc    []byte
		want    desc
		payload int // bytes after the descriptor
	}{
		{"vp8 no extension", vpx.VP8, []byte{0x10}, desc{start: true, pid: -1}, 4},
		{"vp8 T only", vpx.VP8, []byte{0x90, 0x20, 0x40}, desc{start: true, pid: -1, layer: layer{layered: true, tid: 1}}, 4},
		// K without T: the byte holds KEYIDX only; the TID bits mean nothing.
		{"vp8 K only", vpx.VP8, []byte{0x90, 0x10, 0xc5}, desc{start: true, pid: -1}, 4},
		{"vp8 7-bit picture id, L, T, Y", vpx.VP8, []byte{0x90, 0xe0, 0x12, 0x07, 0xa0}, desc{start: true, pid: 0x12, layer: layer{layered: true, tid: 2, sync: true}}, 4},
		{"vp8 15-bit picture id, L, T, K", vpx.VP8, []byte{0x80, 0xf0, 0x81, 0x23, 0x07, 0x65}, desc{pid: 0x123, layer: layer{layered: true, tid: 1, sync: true}}, 4},
		{"vp8 base layer, no sync", vpx.VP8, []byte{0x90, 0xe0, 0x80, 0x05, 0x08, 0x00}, desc{start: true, pid: 5, layer: layer{layered: true}}, 4},
		{"vp9 no layer indices", vpx.VP9, []byte{0x8c, 0x05}, desc{start: true, pid: 5}, 4},
		// I, L, B, E; 15-bit picture id; TID 2, U, SID 0; TL0PICIDX. U is not a sync bit.
		{"vp9 L1T3", vpx.VP9, []byte{0xac, 0x80, 0x05, 0x50, 0x07}, desc{start: true, pid: 5, layer: layer{layered: true, tid: 2}}, 4},
		{"vp9 base layer", vpx.VP9, []byte{0xac, 0x80, 0x06, 0x00, 0x08}, desc{start: true, pid: 6, layer: layer{layered: true}}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(tc.codec)
			p, d, ok := a.depacketize(append(append([]byte{}, tc.desc...), body...))
			if !ok {
				t.Fatal("rejected")
			}
			if d != tc.want {
				t.Errorf("got %+v, want %+v", d, tc.want)
			}
			if len(p) != tc.payload {
				t.Errorf("payload %d bytes, want %d", len(p), tc.payload)
			}
		})
	}
}

// TestVP8PacketizerLayers sends an L1T3 stream from the temporal encoder through
// VP8Packetizer and the Assembler: every frame comes out whole with its layer, and pion's
// depacketizer reads the same picture IDs, TL0PICIDX and TIDs.
func TestVP8PacketizerLayers(t *testing.T) {
	enc, err := vpx.NewTemporalEncoder(vpx.VP8, 320, 240, 30, 1000, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	pz := &VP8Packetizer{PictureID: 0x7ffe} // wraps
	a := New(vpx.VP8)
	seq, ts := uint16(65000), uint32(1000)
	var tl0 []uint8
	n := 0
	for i := range 24 {
		out, err := enc.Encode(pattern(320, 240, i), i == 0 || i == 12)
		if err != nil || len(out) != 1 {
			t.Fatalf("frame %d: %v", i, err)
		}
		f := out[0]
		payloads := pz.Payload(300, f.Data, Layer{TID: f.TID, Sync: f.LayerSync, NonRef: f.NonRef})
		if len(payloads) < 2 && len(f.Data) > 300 {
			t.Fatalf("frame %d: %d payloads for %d bytes", i, len(payloads), len(f.Data))
		}
		for k, pl := range payloads {
			var vp codecs.VP8Packet
			if _, err := vp.Unmarshal(pl); err != nil {
				t.Fatal(err)
			}
			if want := uint16((0x7ffe + i) & 0x7fff); vp.PictureID != want || vp.TID != f.TID || (vp.S == 1) != (k == 0) || (vp.N == 1) != f.NonRef {
				t.Errorf("frame %d packet %d: pid %d tid %d S %d N %d, want pid %d tid %d", i, k, vp.PictureID, vp.TID, vp.S, vp.N, want, f.TID)
			}
			if k == 0 && f.TID == 0 {
				tl0 = append(tl0, vp.TL0PICIDX)
			}
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: k == len(payloads)-1}, Payload: pl}
			seq++
			for _, got := range a.Push(pkt) {
				if !bytes.Equal(got.Data, f.Data) || !got.Layered || got.TID != f.TID || got.LayerSync != f.LayerSync {
					t.Errorf("frame %d: got TID %d sync %v layered %v (%d bytes), want TID %d sync %v (%d bytes)",
						i, got.TID, got.LayerSync, got.Layered, len(got.Data), f.TID, f.LayerSync, len(f.Data))
				}
				n++
			}
		}
		ts += 3000
	}
	if n != 24 {
		t.Errorf("assembled %d frames of 24", n)
	}
	for k := 1; k < len(tl0); k++ {
		if tl0[k] != tl0[k-1]+1 {
			t.Errorf("TL0PICIDX of the base layer frames: %v, want consecutive", tl0)
			break
		}
	}
	if len(tl0) != 6 {
		t.Errorf("%d base layer frames of 24, want 6", len(tl0))
	}
}

// TestUnlayeredFrames: a stream without T bits (pion's payloader, as before) reports no
// layers.
func TestUnlayeredFrames(t *testing.T) {
	s := packetize(t, vpx.VP8, encode(t, vpx.VP8, 4), 10, 0)
	a := New(vpx.VP8)
	n := 0
	for _, p := range s.pkts {
		for _, f := range a.Push(p) {
			if f.Layered || f.TID != 0 || f.LayerSync {
				t.Errorf("frame at %d: layered %v TID %d", f.Timestamp, f.Layered, f.TID)
			}
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d frames", n)
	}
}
