package snapshot

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/integritybot/integritybot/media"
)

// frame returns a w×h grey frame (luma 100, neutral chroma), or random noise: the worst
// case for JPEG size.
func frame(w, h int, noise bool) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range f.Y {
		f.Y[i] = 100
		if noise {
			f.Y[i] = byte(r.IntN(256))
		}
	}
	for i := range f.U {
		f.U[i], f.V[i] = 128, 128
		if noise {
			f.U[i], f.V[i] = byte(r.IntN(256)), byte(r.IntN(256))
		}
	}
	return f
}

func decode(t *testing.T, s string) image.Image {
	t.Helper()
	b, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxBytes {
		t.Errorf("JPEG is %d bytes, over %d", len(b), MaxBytes)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

func TestEncode(t *testing.T) {
	for _, tt := range []struct {
		name         string
		w, h, max    int
		noise        bool
		wantW, wantH int
	}{
		{"640x480", 640, 480, 0, false, 240, 180},
		{"1280x720 noise", 1280, 720, 240, true, 240, 135},
		{"small frame not enlarged", 160, 120, 240, false, 160, 120},
		{"odd size", 321, 241, 100, false, 100, 75},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Encode(frame(tt.w, tt.h, tt.noise), image.Rect(tt.w/4, tt.h/4, tt.w*3/4, tt.h*3/4), tt.max)
			if err != nil {
				t.Fatal(err)
			}
			b := decode(t, s).Bounds()
			if b.Dx() != tt.wantW || b.Dy() != tt.wantH {
				t.Errorf("size %v, want %dx%d", b.Size(), tt.wantW, tt.wantH)
			}
		})
	}
}

// TestBoxDrawn checks the outline lands where the box is, scaled to the snapshot.
func TestBoxDrawn(t *testing.T) {
	// Box (200,120)-(440,360) in 640×480 is (75,45)-(165,135) at 240×180.
	s, err := Encode(frame(640, 480, false), image.Rect(200, 120, 440, 360), 240)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, s)
	green := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return g>>8 > 150 && r>>8 < 90 && b>>8 < 130
	}
	for _, p := range []image.Point{{75, 90}, {76, 90}, {164, 90}, {120, 45}, {120, 134}} {
		if !green(p.X, p.Y) {
			t.Errorf("no outline at %v: %v", p, img.At(p.X, p.Y))
		}
	}
	for _, p := range []image.Point{{120, 90}, {70, 90}, {170, 90}, {120, 40}, {120, 140}, {80, 90}} {
		if green(p.X, p.Y) {
			t.Errorf("outline at %v, should be grey: %v", p, img.At(p.X, p.Y))
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	f := frame(64, 48, false)
	f.Y = f.Y[:100]
	for _, f := range []*media.Frame{nil, {}, f} {
		if _, err := Encode(f, image.Rectangle{}, 0); !errors.Is(err, ErrFrame) {
			t.Errorf("%v, want ErrFrame", err)
		}
	}
	if _, err := Decode("data:image/png;base64,AAAA"); err == nil {
		t.Error("a PNG data URL decoded")
	}
}

// BenchmarkEncode is the cost of one snapshot (taken only when a finding opens or peaks).
func BenchmarkEncode(b *testing.B) {
	f := frame(640, 480, true)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(f, image.Rect(200, 120, 440, 360), 0); err != nil {
			b.Fatal(err)
		}
	}
}
