package still

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
)

func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 8), 128, 255})
		}
	}
	return img
}

func TestRead(t *testing.T) {
	var pngData, jpgData bytes.Buffer
	if err := png.Encode(&pngData, testImage(17, 9)); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgData, testImage(32, 16), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, format string
		data         []byte
		w, h         int
	}{
		{"png odd size", "png", pngData.Bytes(), 17, 9},
		{"jpeg", "jpeg", jpgData.Bytes(), 32, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.data), "x")
			if err != nil {
				t.Fatal(err)
			}
			in := r.Info()
			if !in.Still || in.Format != tc.format || in.Width != tc.w || in.Height != tc.h {
				t.Errorf("info %+v", in)
			}
			f, err := r.Next()
			if err != nil || f.PTS != 0 || f.Width != tc.w || len(f.U) != ((tc.w+1)/2)*((tc.h+1)/2) {
				t.Fatalf("frame %+v, %v", f, err)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("second Next: %v, want EOF", err)
			}
		})
	}
}

func TestColours(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i := range 4 {
		img.Set(i%2, i/2, color.RGBA{255, 0, 0, 255})
	}
	f := FromImage(img)
	y, u, v := color.RGBToYCbCr(255, 0, 0)
	if f.Y[0] != y || f.U[0] != u || f.V[0] != v {
		t.Errorf("red → %d %d %d, want %d %d %d", f.Y[0], f.U[0], f.V[0], y, u, v)
	}
}

func TestBadImage(t *testing.T) {
	_, err := NewReader(strings.NewReader("\x89PNG\r\n\x1a\ntruncated"), "bad.png")
	if err == nil || !strings.Contains(err.Error(), "bad.png") {
		t.Fatalf("error %v", err)
	}
}
