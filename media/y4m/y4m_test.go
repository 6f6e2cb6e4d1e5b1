package y4m

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

// testFrame returns a w×h frame whose pixels depend on n, so frames differ.
func testFrame(w, h, n int) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw,
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for i := range f.Y {
		f.Y[i] = byte(i*7 + n)
	}
	for i := range f.U {
		f.U[i], f.V[i] = byte(i+n), byte(255-i-n)
	}
	return f
}

// encode writes frames of w×h at fps/1 with the Writer.
func encode(t testing.TB, w, h, fps, frames int) []byte {
	t.Helper()
	var b bytes.Buffer
	wr, err := NewWriter(&b, Header{Width: w, Height: h, FPSNum: fps, FPSDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	for n := range frames {
		if err := wr.WriteFrame(testFrame(w, h, n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readAll reads every frame, cloned.
func readAll(t *testing.T, data []byte) ([]*media.Frame, *Reader, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), "test.y4m")
	if err != nil {
		return nil, nil, err
	}
	var out []*media.Frame
	for {
		f, err := r.Next()
		if err == io.EOF {
			return out, r, nil
		}
		if err != nil {
			return out, r, err
		}
		out = append(out, f.Clone())
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct{ w, h, fps, frames int }{
		{64, 48, 30, 5}, {33, 17, 25, 3}, {1, 1, 1, 2},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			frames, r, err := readAll(t, encode(t, tc.w, tc.h, tc.fps, tc.frames))
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) != tc.frames {
				t.Fatalf("got %d frames, want %d", len(frames), tc.frames)
			}
			if got := r.Info(); got.Width != tc.w || got.Height != tc.h || got.FPS != float64(tc.fps) {
				t.Errorf("info %+v", got)
			}
			for n, f := range frames {
				want := testFrame(tc.w, tc.h, n)
				if !bytes.Equal(f.Y, want.Y) || !bytes.Equal(f.U, want.U) || !bytes.Equal(f.V, want.V) {
					t.Errorf("frame %d differs", n)
				}
				if wantPTS := time.Duration(n) * time.Second / time.Duration(tc.fps); f.PTS != wantPTS {
					t.Errorf("frame %d pts %v, want %v", n, f.PTS, wantPTS)
				}
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	plane := func(n int, v byte) string { return strings.Repeat(string([]byte{v}), n) }
	for _, tc := range []struct {
		name    string
		data    string
		frames  int
		fps     float64
		pts1    time.Duration
		wantErr string
		u0      byte
	}{
		{"C420jpeg interlaced", "YUV4MPEG2 W4 H2 F25:1 It A0:0 C420jpeg XYSCSS=420JPEG\nFRAME\n" + plane(8, 1) + plane(4, 2), 1, 25, 0, "", 2},
		{"C420mpeg2 ntsc", "YUV4MPEG2 W4 H2 F30000:1001 Ib C420mpeg2\nFRAME\n" + plane(12, 3) + "FRAME Ixyz\n" + plane(12, 4), 2, 29.97002997002997, 33366666, "", 3},
		{"C420paldv no C", "YUV4MPEG2 W4 H2 F25:1 C420paldv\nFRAME\n" + plane(12, 5), 1, 25, 0, "", 5},
		{"default colorspace", "YUV4MPEG2 W4 H2 F25:1\nFRAME\n" + plane(12, 5), 1, 25, 0, "", 5},
		{"mono", "YUV4MPEG2 W4 H2 F25:1 Cmono\nFRAME\n" + plane(8, 5), 1, 25, 0, "", 128},
		{"444", "YUV4MPEG2 W2 H2 F25:1 C444\nFRAME\n" + plane(4, 1) + plane(4, 9) + plane(4, 8), 1, 25, 0, "", 9},
		{"422", "YUV4MPEG2 W2 H2 F25:1 C422\nFRAME\n" + plane(4, 1) + plane(2, 7) + plane(2, 8), 1, 25, 0, "", 7},
		{"empty", "", 0, 0, 0, "empty file", 0},
		{"not y4m", "RIFF....", 0, 0, 0, "not a YUV4MPEG2 header", 0},
		{"no fps", "YUV4MPEG2 W4 H2\n", 0, 0, 0, "no valid frame rate", 0},
		{"zero fps", "YUV4MPEG2 W4 H2 F0:0\n", 0, 0, 0, "no valid frame rate", 0},
		{"no size", "YUV4MPEG2 F25:1\n", 0, 0, 0, "no valid size", 0},
		{"huge", "YUV4MPEG2 W100000 H100000 F25:1\n", 0, 0, 0, "larger than supported", 0},
		{"10 bit", "YUV4MPEG2 W4 H2 F25:1 C420p10\n", 0, 0, 0, "C420p10 is not supported", 0},
		{"truncated frame", "YUV4MPEG2 W4 H2 F25:1\nFRAME\n" + plane(12, 1) + "FRAME\n" + plane(5, 1), 1, 25, 0, "frame 1 truncated: got 5 of 12 bytes", 1},
		{"truncated frame line", "YUV4MPEG2 W4 H2 F25:1\nFRAME\n" + plane(12, 1) + "FRA", 1, 25, 0, "frame 1 truncated", 1},
		{"garbage frame line", "YUV4MPEG2 W4 H2 F25:1\nFROME\n" + plane(12, 1), 0, 25, 0, "expected a FRAME line", 0},
		{"header without newline", "YUV4MPEG2 W4 H2 F25:1", 0, 0, 0, "read header", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames, r, err := readAll(t, []byte(tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(frames) != tc.frames {
				t.Fatalf("got %d frames, want %d", len(frames), tc.frames)
			}
			if r != nil && tc.fps != 0 && r.Info().FPS != tc.fps {
				t.Errorf("fps %v, want %v", r.Info().FPS, tc.fps)
			}
			if len(frames) > 1 && frames[1].PTS != tc.pts1 {
				t.Errorf("pts of frame 1 %v, want %v", frames[1].PTS, tc.pts1)
			}
			if len(frames) > 0 && frames[0].U[0] != tc.u0 {
				t.Errorf("U[0] = %d, want %d", frames[0].U[0], tc.u0)
			}
		})
	}
}

func TestErrorSticks(t *testing.T) {
	r, err := NewReader(strings.NewReader("YUV4MPEG2 W4 H2 F25:1\nFRAME\n12"), "x.y4m")
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := r.Next()
	_, err2 := r.Next()
	if err1 == nil || !errors.Is(err2, err1) && err1.Error() != err2.Error() {
		t.Fatalf("errors %v then %v", err1, err2)
	}
	if !strings.Contains(err1.Error(), "x.y4m") {
		t.Errorf("error %q does not name the file", err1)
	}
}

func TestWriterRejectsWrongSize(t *testing.T) {
	w, err := NewWriter(io.Discard, Header{Width: 4, Height: 4, FPSNum: 1, FPSDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(testFrame(2, 2, 0)); err == nil {
		t.Fatal("no error for a frame of the wrong size")
	}
}
