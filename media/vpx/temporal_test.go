package vpx

import (
	"testing"
)

// encodeLayered encodes n test frames with 3 temporal layers, forcing keyframes at keys.
func encodeLayered(t *testing.T, n int, keys ...int) []Packet {
	t.Helper()
	enc, err := NewTemporalEncoder(VP8, 320, 240, 30, 1000, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var out []Packet
	for i := range n {
		force := i == 0
		for _, k := range keys {
			force = force || k == i
		}
		p, err := enc.Encode(testFrame(320, 240, i), force)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 1 {
			t.Fatalf("frame %d: %d packets", i, len(p))
		}
		out = append(out, p[0])
	}
	return out
}

func TestTemporalLayerPattern(t *testing.T) {
	pkts := encodeLayered(t, 40, 22)
	last := 0
	for i, p := range pkts {
		if p.Keyframe {
			last = i
		}
		if (i == 0 || i == 22) != p.Keyframe {
			t.Errorf("frame %d: keyframe %v", i, p.Keyframe)
		}
		k := (i - last) % 4
		want := []uint8{0, 2, 1, 2}[k]
		if p.TID != want {
			t.Errorf("frame %d: TID %d, want %d (pattern 0,2,1,2 restarting at keyframes)", i, p.TID, want)
		}
		if sync := k == 1 || k == 2; p.LayerSync != sync {
			t.Errorf("frame %d: LayerSync %v, want %v", i, p.LayerSync, sync)
		}
		if p.NonRef != (want == 2) {
			t.Errorf("frame %d: NonRef %v", i, p.NonRef)
		}
	}
}

// TestTemporalLayerSubsets decodes the base layer alone, the two lower layers, and all
// three: each subset must decode cleanly and match the source, which shows that no frame
// references a frame of a higher layer. A decoder fed the base layer minus one frame is the
// control: its next frame references a picture it never saw.
func TestTemporalLayerSubsets(t *testing.T) {
	const n = 48
	pkts := encodeLayered(t, n)
	for _, tc := range []struct {
		name   string
		maxTID uint8
	}{{"base", 0}, {"two_layers", 1}, {"all", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			dec, err := NewDecoder(VP8)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			decoded := 0
			for i, p := range pkts {
				if p.TID > tc.maxTID {
					continue
				}
				f, err := dec.Decode(p.Data, p.PTS)
				if err != nil || f == nil {
					t.Fatalf("frame %d (TID %d): %v, picture %v", i, p.TID, err, f != nil)
				}
				if q := psnr(testFrame(320, 240, i), f); q < 30 {
					t.Errorf("frame %d (TID %d): PSNR %.1f dB < 30", i, p.TID, q)
				}
				decoded++
			}
			if want := n * (1 << tc.maxTID) / 4; decoded != want {
				t.Errorf("decoded %d frames, want %d", decoded, want)
			}
		})
	}
	t.Run("control_missing_base_frame", func(t *testing.T) {
		dec, err := NewDecoder(VP8)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		var worst float64 = 100
		for i, p := range pkts {
			if p.TID != 0 || i == 20 {
				continue
			}
			f, err := dec.Decode(p.Data, p.PTS)
			if err != nil || f == nil {
				continue
			}
			if i > 20 {
				worst = min(worst, psnr(testFrame(320, 240, i), f))
			}
		}
		t.Logf("worst PSNR after a skipped base layer frame: %.1f dB", worst)
		if worst >= 30 {
			t.Errorf("skipping a base layer frame left PSNR at %.1f dB: the subset checks above prove nothing", worst)
		}
	})
}

func TestTemporalEncoderOptions(t *testing.T) {
	for _, tc := range []struct {
		c      Codec
		layers int
		ok     bool
	}{{VP8, 1, true}, {VP8, 2, true}, {VP8, 3, true}, {VP8, 4, false}, {VP8, 0, false}, {VP9, 3, false}, {VP9, 1, true}} {
		e, err := NewTemporalEncoder(tc.c, 64, 48, 30, 300, tc.layers)
		if (err == nil) != tc.ok {
			t.Errorf("%s with %d layers: err %v", tc.c, tc.layers, err)
		}
		if e != nil {
			e.Close()
		}
	}
	// Two layers alternate 0, 1; every TID 1 frame references the base layer only.
	enc, err := NewTemporalEncoder(VP8, 64, 48, 30, 300, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	for i := range 6 {
		p, err := enc.Encode(testFrame(64, 48, i), i == 0)
		if err != nil || len(p) != 1 {
			t.Fatalf("frame %d: %v", i, err)
		}
		if p[0].TID != uint8(i%2) || p[0].LayerSync != (i%2 == 1) {
			t.Errorf("frame %d: TID %d sync %v", i, p[0].TID, p[0].LayerSync)
		}
	}
}

// BenchmarkTemporalDecode decodes one second of a 640×480@30 L1T3 stream: every frame, or
// the base layer only (ns/op is per second of video).
func BenchmarkTemporalDecode(b *testing.B) {
	enc, err := NewTemporalEncoder(VP8, 640, 480, 30, 1200, 3)
	if err != nil {
		b.Fatal(err)
	}
	var pkts []Packet
	for i := range 30 {
		p, err := enc.Encode(testFrame(640, 480, i), i == 0)
		if err != nil || len(p) != 1 {
			b.Fatal(err)
		}
		pkts = append(pkts, p[0])
	}
	enc.Close()
	for _, tc := range []struct {
		name   string
		maxTID uint8
	}{{"all", 2}, {"base", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dec, err := NewDecoder(VP8)
				if err != nil {
					b.Fatal(err)
				}
				for _, p := range pkts {
					if p.TID <= tc.maxTID {
						if _, err := dec.Decode(p.Data, p.PTS); err != nil {
							b.Fatal(err)
						}
					}
				}
				dec.Close()
			}
		})
	}
}
