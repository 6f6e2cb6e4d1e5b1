package vpx

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

// testFrame draws a moving gradient with a moving checkerboard square, which
// gives the encoder both smooth areas and sharp edges to work on.
func testFrame(w, h, i int) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{
		PTS: time.Duration(i) * time.Second / 30, Width: w, Height: h,
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch),
		YStride: w, UVStride: cw,
	}
	sx, sy := (i*4)%w, (i*2)%h
	for y := range h {
		for x := range w {
			v := (x + y + i*3) & 0xff
			if x >= sx && x < sx+w/4 && y >= sy && y < sy+h/4 {
				v = 16
				if ((x-sx)/8+(y-sy)/8)%2 == 0 {
					v = 235
				}
			}
			f.Y[y*w+x] = byte(v)
		}
	}
	for y := range ch {
		for x := range cw {
			f.U[y*cw+x] = byte(128 + (x+i)%64 - 32)
			f.V[y*cw+x] = byte(128 + (y-i)%64 - 32)
		}
	}
	return f
}

// encodeStream encodes n frames and forces a keyframe at each index in keys
// (the first frame is always a keyframe).
func encodeStream(tb testing.TB, c Codec, w, h, kbps, n int, keys ...int) ([]Packet, []*media.Frame) {
	tb.Helper()
	enc, err := NewEncoder(c, w, h, 30, kbps)
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	var pkts []Packet
	var frames []*media.Frame
	for i := range n {
		f := testFrame(w, h, i)
		force := i == 0
		for _, k := range keys {
			force = force || k == i
		}
		out, err := enc.Encode(f, force)
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range out {
			pkts = append(pkts, p)
			frames = append(frames, f)
		}
	}
	if len(pkts) < n/2 {
		tb.Fatalf("encoder produced %d frames from %d", len(pkts), n)
	}
	return pkts, frames
}

func psnr(a, b *media.Frame) float64 {
	var sum float64
	for y := range a.Height {
		for x := range a.Width {
			d := float64(a.Y[y*a.YStride+x]) - float64(b.Y[y*b.YStride+x])
			sum += d * d
		}
	}
	mse := sum / float64(a.Width*a.Height)
	if mse == 0 {
		return 100
	}
	return 10 * math.Log10(255*255/mse)
}

var codecs = []Codec{VP8, VP9}

func TestCodecString(t *testing.T) {
	for c, want := range map[Codec]string{VP8: "vp8", VP9: "vp9", 7: "codec(7)"} {
		if got := c.String(); got != want {
			t.Errorf("Codec(%d).String() = %q, want %q", int(c), got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.String(), func(t *testing.T) {
			pkts, frames := encodeStream(t, c, 320, 240, 1000, 30)
			dec, err := NewDecoder(c)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			if !pkts[0].Keyframe {
				t.Fatal("first packet is not a keyframe")
			}
			for i, p := range pkts {
				if got := IsKeyframe(c, p.Data); got != p.Keyframe {
					t.Errorf("frame %d: IsKeyframe = %v, encoder says %v", i, got, p.Keyframe)
				}
				w, h, ok := FrameSize(c, p.Data)
				if ok != p.Keyframe || (ok && (w != 320 || h != 240)) {
					t.Errorf("frame %d: FrameSize = %d, %d, %v", i, w, h, ok)
				}
				f, err := dec.Decode(p.Data, p.PTS)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if f == nil {
					t.Fatalf("frame %d: no picture", i)
				}
				if f.Width != 320 || f.Height != 240 || f.PTS != p.PTS {
					t.Fatalf("frame %d: got %dx%d pts %v", i, f.Width, f.Height, f.PTS)
				}
				if q := psnr(frames[i], f); q < 30 {
					t.Errorf("frame %d: PSNR %.1f dB < 30", i, q)
				}
			}
		})
	}
}

func TestDamagedStream(t *testing.T) {
	truncate := func(b []byte) []byte { return b[:len(b)/2] }
	hole := func(b []byte) []byte {
		n := len(b) / 3
		return append(append([]byte(nil), b[:n]...), b[2*n:]...)
	}
	tests := []struct {
		name   string
		damage func([]byte) []byte // applied to frame 3; nil drops it
		detect bool                // the decoder must notice
	}{
		{"truncated frame", truncate, true},
		{"hole in frame", hole, true},
		// A whole missing frame is invisible to VP8 and VP9 decoders: the
		// bitstream has no frame numbers. Loss must be caught from RTP
		// sequence numbers and picture IDs (see media/rtpframe).
		{"dropped frame", nil, false},
	}
	for _, c := range codecs {
		for _, tt := range tests {
			t.Run(c.String()+"/"+tt.name, func(t *testing.T) {
				pkts, _ := encodeStream(t, c, 320, 240, 800, 20, 12)
				dec, err := NewDecoder(c)
				if err != nil {
					t.Fatal(err)
				}
				defer dec.Close()
				detected, noticed := false, false
				for i, p := range pkts {
					data := p.Data
					if i == 3 {
						if tt.damage == nil {
							continue
						}
						data = tt.damage(data)
					}
					if detected && !p.Keyframe {
						continue // what a caller does: skip until a keyframe
					}
					f, err := dec.Decode(data, 0)
					switch {
					case err != nil && i < 3:
						t.Fatalf("frame %d: %v", i, err)
					case err != nil:
						var verr *Error
						if !errors.Is(err, ErrCorrupted) && !errors.As(err, &verr) {
							t.Errorf("frame %d: error %v is neither ErrCorrupted nor *Error", i, err)
						}
						detected, noticed = true, true
					case p.Keyframe && f == nil:
						t.Fatalf("keyframe %d: no picture", i)
					case p.Keyframe:
						detected = false
					}
				}
				if noticed != tt.detect {
					t.Errorf("damage noticed = %v, want %v", noticed, tt.detect)
				}
				if detected {
					t.Error("decoder did not recover at the forced keyframe")
				}
			})
		}
	}
}

func TestInterFirst(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.String(), func(t *testing.T) {
			pkts, _ := encodeStream(t, c, 320, 240, 500, 5)
			dec, err := NewDecoder(c)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			_, err = dec.Decode(pkts[2].Data, 0)
			var verr *Error
			if !errors.As(err, &verr) {
				t.Fatalf("decoding an inter frame first: %v, want *Error", err)
			}
			if _, err := dec.Decode(pkts[0].Data, 0); err != nil {
				t.Fatalf("keyframe after failure: %v", err)
			}
		})
	}
}

func TestKeyframeHeaders(t *testing.T) {
	tests := []struct {
		name string
		c    Codec
		data []byte
		key  bool
		w, h int
	}{
		{"vp8 empty", VP8, nil, false, 0, 0},
		{"vp8 inter", VP8, []byte{0x31, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 1, 0xf0, 0}, false, 0, 0},
		{"vp8 key", VP8, []byte{0x30, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 1, 0xf0, 0}, true, 320, 240},
		{"vp8 key scaled", VP8, []byte{0x30, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0xc1, 0xf0, 0x40}, true, 320, 240},
		{"vp8 bad start code", VP8, []byte{0x30, 0, 0, 0x9d, 0x01, 0x2b, 0x40, 1, 0xf0, 0}, false, 0, 0},
		{"vp9 empty", VP9, nil, false, 0, 0},
		// frame_marker=2 profile=0 show_existing=0 key show=1 er=0, sync, cs=0 range=0, 320-1, 240-1
		{"vp9 key", VP9, vp9Header(0, false, false, 320, 240), true, 320, 240},
		{"vp9 key profile 2", VP9, vp9Header(2, false, false, 640, 480), true, 640, 480},
		{"vp9 inter", VP9, vp9Header(0, true, false, 320, 240), false, 0, 0},
		{"vp9 show existing", VP9, vp9Header(0, false, true, 320, 240), false, 0, 0},
		{"vp9 truncated", VP9, vp9Header(0, false, false, 320, 240)[:6], false, 0, 0},
		{"unknown codec", 9, []byte{0x30, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 1, 0xf0, 0}, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsKeyframe(tt.c, tt.data); got != tt.key {
				t.Errorf("IsKeyframe = %v, want %v", got, tt.key)
			}
			w, h, ok := FrameSize(tt.c, tt.data)
			if ok != tt.key || w != tt.w || h != tt.h {
				t.Errorf("FrameSize = %d, %d, %v; want %d, %d, %v", w, h, ok, tt.w, tt.h, tt.key)
			}
		})
	}
}

// vp9Header writes a VP9 uncompressed header prefix.
func vp9Header(profile int, inter, showExisting bool, w, h int) []byte {
	var bits []int
	put := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, v>>i&1)
		}
	}
	put(2, 2)
	put(profile&1, 1)
	put(profile>>1, 1)
	if profile == 3 {
		put(0, 1)
	}
	put(b2i(showExisting), 1)
	if showExisting {
		put(0, 3)
	} else {
		put(b2i(inter), 1)
		put(1, 1)
		put(0, 1)
		put(0x498342, 24)
		if profile >= 2 {
			put(0, 1)
		}
		put(1, 3) // BT.601
		put(0, 1)
		if profile == 1 || profile == 3 {
			put(0, 3)
		}
		put(w-1, 16)
		put(h-1, 16)
	}
	out := make([]byte, (len(bits)+7)/8+2)
	for i, b := range bits {
		out[i/8] |= byte(b << (7 - i%8))
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestClosed(t *testing.T) {
	dec, err := NewDecoder(VP8)
	if err != nil {
		t.Fatal(err)
	}
	dec.Close()
	dec.Close()
	if _, err := dec.Decode([]byte{1, 2, 3}, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
	enc, err := NewEncoder(VP9, 64, 64, 30, 100)
	if err != nil {
		t.Fatal(err)
	}
	enc.Close()
	enc.Close()
	if _, err := enc.Encode(testFrame(64, 64, 0), true); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if _, err := NewDecoder(5); !errors.Is(err, ErrUnknownCodec) {
		t.Errorf("NewDecoder(5): %v", err)
	}
	if _, err := NewEncoder(VP8, 0, 10, 30, 100); err == nil {
		t.Error("NewEncoder with zero width succeeded")
	}
}

func TestTooLarge(t *testing.T) {
	tests := []struct {
		name string
		c    Codec
		data []byte
	}{
		{"vp8 16383x16383", VP8, append([]byte{0x30, 0, 0, 0x9d, 0x01, 0x2a, 0xff, 0x3f, 0xff, 0x3f}, make([]byte, 100)...)},
		{"vp8 4097x64", VP8, append([]byte{0x30, 0, 0, 0x9d, 0x01, 0x2a, 0x01, 0x10, 0x40, 0}, make([]byte, 100)...)},
		{"vp9 65536x65536", VP9, append(vp9Header(0, false, false, 65536, 65536), make([]byte, 100)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := NewDecoder(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			if _, err := dec.Decode(tt.data, 0); !errors.Is(err, ErrTooLarge) {
				t.Errorf("Decode: %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestRandomBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range codecs {
		t.Run(c.String(), func(t *testing.T) {
			pkts, _ := encodeStream(t, c, 320, 240, 500, 3)
			dec, err := NewDecoder(c)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			for i := range 500 {
				var b []byte
				if i%2 == 0 {
					b = make([]byte, rng.IntN(3000))
					for j := range b {
						b[j] = byte(rng.Uint32())
					}
				} else {
					// Flip bytes in a real frame: deeper paths than pure noise.
					b = append([]byte(nil), pkts[rng.IntN(len(pkts))].Data...)
					for range 1 + rng.IntN(8) {
						b[rng.IntN(len(b))] = byte(rng.Uint32())
					}
				}
				f, err := dec.Decode(b, 0)
				if f != nil {
					touch(f)
				}
				_ = err
			}
		})
	}
}

// touch reads every visible pixel so out-of-range plane slices show up under
// the race detector or as faults.
func touch(f *media.Frame) int {
	s := 0
	for y := range f.Height {
		s += int(f.Y[y*f.YStride+f.Width-1])
	}
	for y := range (f.Height + 1) / 2 {
		s += int(f.U[y*f.UVStride+(f.Width+1)/2-1]) + int(f.V[y*f.UVStride+(f.Width+1)/2-1])
	}
	return s
}

func FuzzDecode(f *testing.F) {
	for _, c := range codecs {
		pkts, _ := encodeStream(f, c, 160, 120, 300, 4)
		for _, p := range pkts {
			f.Add(uint8(c), p.Data)
		}
	}
	f.Fuzz(func(t *testing.T, codec uint8, data []byte) {
		c := VP8
		if codec%2 == 1 {
			c = VP9
		}
		IsKeyframe(c, data)
		FrameSize(c, data)
		dec, err := NewDecoder(c)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		// Twice: the second call decodes against whatever state the first left.
		for range 2 {
			if fr, err := dec.Decode(data, 0); err == nil && fr != nil {
				touch(fr)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range codecs {
		for _, size := range []struct{ w, h, kbps int }{{640, 480, 1200}, {1280, 720, 2500}} {
			b.Run(fmt.Sprintf("%s/%dx%d", c, size.w, size.h), func(b *testing.B) {
				pkts, _ := encodeStream(b, c, size.w, size.h, size.kbps, 60)
				dec, err := NewDecoder(c)
				if err != nil {
					b.Fatal(err)
				}
				defer dec.Close()
				var bytes int
				for _, p := range pkts {
					bytes += len(p.Data)
				}
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					p := pkts[i%len(pkts)]
					if _, err := dec.Decode(p.Data, 0); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(bytes*8*30/len(pkts))/1000, "kbps")
			})
		}
	}
}
