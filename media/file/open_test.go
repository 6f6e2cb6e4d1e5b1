package file

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/y4m"
)

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		head string
		want Kind
	}{
		{"YUV4MPEG2 W2 H2", KindY4M},
		{"DKIF\x00\x00\x20\x00VP80", KindIVF},
		{"\xff\xd8\xff\xe0\x00\x10JFIF", KindJPEG},
		{"\x89PNG\r\n\x1a\n\x00\x00", KindPNG},
		{"\x00\x00\x00\x20ftypisom", KindFFmpeg},
		{"\x1a\x45\xdf\xa3", KindFFmpeg},
		{"GIF89a", KindFFmpeg},
		{"", KindFFmpeg},
	} {
		if got := Sniff([]byte(tc.head)); got != tc.want {
			t.Errorf("Sniff(%q) = %s, want %s", tc.head, got, tc.want)
		}
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var y4mData bytes.Buffer
	w, _ := y4m.NewWriter(&y4mData, y4m.Header{Width: 4, Height: 4, FPSNum: 25, FPSDen: 1})
	cw := 2
	for range 3 {
		if err := w.WriteFrame(&media.Frame{Width: 4, Height: 4, YStride: 4, UVStride: cw, Y: make([]byte, 16), U: make([]byte, 4), V: make([]byte, 4)}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	var pngData bytes.Buffer
	png.Encode(&pngData, image.NewGray(image.Rect(0, 0, 8, 6)))

	for _, tc := range []struct {
		name, path, format, wantErr string
		frames                      int
	}{
		// The content decides, not the name.
		{"y4m named .mp4", write("clip.mp4", y4mData.Bytes()), "y4m", "", 3},
		{"png", write("photo.dat", pngData.Bytes()), "png", "", 1},
		{"empty", write("empty.y4m", nil), "", "is empty", 0},
		{"directory", dir, "", "is a directory", 0},
		{"missing", filepath.Join(dir, "nope.y4m"), "", "no such file", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(context.Background(), tc.path, Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if src.Info().Format != tc.format {
				t.Errorf("format %q, want %q", src.Info().Format, tc.format)
			}
			n := 0
			for {
				_, err := src.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != tc.frames {
				t.Errorf("%d frames, want %d", n, tc.frames)
			}
		})
	}
}

func TestOpenThroughFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("skipping: ffmpeg not installed (make test installs it)")
	}
	p := filepath.Join(t.TempDir(), "a.webm")
	if b, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5:duration=1", "-c:v", "libvpx", p).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	src, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if !strings.HasPrefix(src.Info().Format, "ffmpeg/") {
		t.Errorf("format %q", src.Info().Format)
	}
}
