package vpx

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ffmpegVP9 encodes three test-pattern frames with ffmpeg's libvpx-vp9 in the
// given pixel format and returns the compressed frames from the IVF output.
func ffmpegVP9(t *testing.T, pixFmt string) [][]byte {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	out := filepath.Join(t.TempDir(), "out.ivf")
	cmd := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=30",
		"-frames:v", "3", "-pix_fmt", pixFmt, "-c:v", "libvpx-vp9", "-deadline", "realtime",
		"-cpu-used", "8", "-f", "ivf", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// IVF: 32-byte file header, then per frame a 4-byte size, 8-byte pts, data.
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		t.Fatal("not an IVF file")
	}
	var frames [][]byte
	for b = b[32:]; len(b) >= 12; {
		n := int(binary.LittleEndian.Uint32(b))
		if len(b) < 12+n {
			t.Fatal("truncated IVF frame")
		}
		frames = append(frames, b[12:12+n])
		b = b[12+n:]
	}
	return frames
}

func TestUnsupportedFormat(t *testing.T) {
	tests := []struct {
		pixFmt string
		want   error
	}{
		{"yuv420p", nil},
		{"yuv444p", ErrUnsupportedFormat},     // profile 1
		{"yuv420p10le", ErrUnsupportedFormat}, // profile 2, as Chromium may offer
	}
	for _, tt := range tests {
		t.Run(tt.pixFmt, func(t *testing.T) {
			frames := ffmpegVP9(t, tt.pixFmt)
			if len(frames) == 0 {
				t.Fatal("no frames")
			}
			if w, h, ok := FrameSize(VP9, frames[0]); !ok || w != 160 || h != 120 {
				t.Errorf("FrameSize = %d, %d, %v", w, h, ok)
			}
			dec, err := NewDecoder(VP9)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			for i, f := range frames {
				_, err := dec.Decode(f, 0)
				if !errors.Is(err, tt.want) {
					t.Fatalf("frame %d: %v, want %v", i, err, tt.want)
				}
			}
		})
	}
}
