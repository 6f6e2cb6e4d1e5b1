package ivf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/vpx"
)

// testFrame returns a w×h frame with a moving gradient.
func testFrame(w, h, n int) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw,
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for y := range h {
		for x := range w {
			f.Y[y*w+x] = byte(x + y + 4*n)
		}
	}
	for i := range f.U {
		f.U[i], f.V[i] = 100, 150
	}
	return f
}

// encodeIVF encodes frames with libvpx into an IVF file with time base 1/fps.
func encodeIVF(t testing.TB, c vpx.Codec, w, h, fps, frames int) []byte {
	t.Helper()
	enc, err := vpx.NewEncoder(c, w, h, fps, 500)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var b bytes.Buffer
	wr, err := NewWriter(&b, Header{Codec: c, Width: w, Height: h, TimebaseNum: 1, TimebaseDen: uint32(fps)})
	if err != nil {
		t.Fatal(err)
	}
	for n := range frames {
		f := testFrame(w, h, n)
		pkts, err := enc.Encode(f, n == 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			if err := wr.WriteFrame(p.Data, uint64(n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readAll(data []byte) ([]time.Duration, *Reader, error) {
	r, err := NewReader(bytes.NewReader(data), "test.ivf")
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var pts []time.Duration
	for {
		f, err := r.Next()
		if err == io.EOF {
			return pts, r, nil
		}
		if err != nil {
			return pts, r, err
		}
		pts = append(pts, f.PTS)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		codec     vpx.Codec
		w, h, fps int
	}{{vpx.VP8, 64, 48, 30}, {vpx.VP9, 66, 50, 25}} {
		t.Run(tc.codec.String(), func(t *testing.T) {
			pts, r, err := readAll(encodeIVF(t, tc.codec, tc.w, tc.h, tc.fps, 10))
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) != 10 {
				t.Fatalf("decoded %d frames, want 10", len(pts))
			}
			if want := 9 * time.Second / time.Duration(tc.fps); pts[9] != want {
				t.Errorf("last pts %v, want %v", pts[9], want)
			}
			if in := r.Info(); in.Width != tc.w || in.Height != tc.h || in.FPS != float64(tc.fps) || in.Format != "ivf/"+tc.codec.String() {
				t.Errorf("info %+v", in)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	good := encodeIVF(t, vpx.VP8, 64, 48, 30, 4)
	firstFrameEnd := headerSize + frameHeaderSize + int(binary.LittleEndian.Uint32(good[headerSize:]))
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name    string
		data    []byte
		frames  int
		wantErr string
	}{
		{"empty", nil, 0, "file ends inside the 32-byte header"},
		{"not ivf", []byte("RIFF0000WEBPVP8 and more bytes to make 32 bytes"), 0, "no DKIF signature"},
		{"av1", mutate(func(b []byte) []byte { copy(b[8:], "AV01"); return b }), 0, `codec "AV01" is not supported`},
		{"zero time base", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[16:], 0); return b }), 0, "time base"},
		{"truncated frame header", good[:firstFrameEnd+5], 1, "frame 1 truncated: file ends inside the frame header"},
		{"truncated frame", good[:firstFrameEnd+frameHeaderSize+3], 1, "frame 1 truncated: got 3 of"},
		{"huge frame size", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[firstFrameEnd:], 1<<30); return b }), 1, "frame 1: ivf: malformed file: frame size"},
		{"garbage keyframe", mutate(func(b []byte) []byte {
			for i := headerSize + frameHeaderSize; i < firstFrameEnd; i++ {
				b[i] = byte(i * 31)
			}
			return b
		}), 0, "frame 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts, _, err := readAll(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if len(pts) != tc.frames {
				t.Errorf("decoded %d frames before the error, want %d", len(pts), tc.frames)
			}
		})
	}
}

func TestFrameCountWritten(t *testing.T) {
	data := encodeIVF(t, vpx.VP8, 32, 32, 10, 3)
	if n := binary.LittleEndian.Uint32(data[24:]); n != 0 {
		// bytes.Buffer cannot seek: the count stays 0, as many writers leave it.
		t.Fatalf("frame count %d in a non-seekable file", n)
	}
	h, err := parseHeader(data[:headerSize])
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(h.Codec, h.Width, h.Height); got != "vp8 32 32" {
		t.Errorf("header %s", got)
	}
}
