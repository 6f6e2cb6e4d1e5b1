package ffmpeg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/ivf"
	"github.com/integritybot/integritybot/media/vpx"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ffmpeg is required in CI (make test installs it): %v", err)
		}
		t.Skip("skipping: ffmpeg not installed (make test installs it)")
	}
}

// makeVideo runs ffmpeg with args to write dir/name and returns the path.
func makeVideo(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	all := append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)
	if b, err := exec.Command("ffmpeg", append(all, out)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	return out
}

func readAll(t *testing.T, r *Reader) (pts []time.Duration, sizes []string, err error) {
	t.Helper()
	for {
		f, err := r.Next()
		if err == io.EOF {
			return pts, sizes, nil
		}
		if err != nil {
			return pts, sizes, err
		}
		if want := f.Width*f.Height + 2*((f.Width+1)/2)*((f.Height+1)/2); len(f.Y)+len(f.U)+len(f.V) != want {
			t.Fatalf("frame %d: planes %d bytes, want %d", len(pts), len(f.Y)+len(f.U)+len(f.V), want)
		}
		pts = append(pts, f.PTS)
		sizes = append(sizes, fmt.Sprintf("%dx%d", f.Width, f.Height))
	}
}

func TestFormats(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	src := []string{"-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"}
	cases := []struct {
		name    string
		path    string
		frames  int
		lastPTS time.Duration
		size    string
	}{
		{"h264 mp4", makeVideo(t, dir, "a.mp4", append(src, "-c:v", "libx264", "-pix_fmt", "yuv420p")...), 10, 900 * time.Millisecond, "64x48"},
		{"vp9 webm", makeVideo(t, dir, "a.webm", append(src, "-c:v", "libvpx-vp9")...), 10, 900 * time.Millisecond, "64x48"},
		{"mpeg1 mpg", makeVideo(t, dir, "a.mpg", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=1", "-c:v", "mpeg1video"), 25, 960 * time.Millisecond, "64x48"},
		{"odd size mkv", makeVideo(t, dir, "odd.mkv", "-f", "lavfi", "-i", "testsrc=size=33x17:rate=10:duration=1", "-c:v", "ffv1"), 10, 900 * time.Millisecond, "33x17"},
		{"gif", makeVideo(t, dir, "a.gif", src...), 10, 900 * time.Millisecond, "64x48"},
		// Every third frame kept with its own timestamp: 0, 0.3, 0.6, 0.9 s at a nominal 10 fps.
		{"variable frame rate", makeVideo(t, dir, "vfr.mkv", append(src, "-vf", "select=not(mod(n\\,3))", "-fps_mode", "passthrough", "-c:v", "ffv1")...), 4, 900 * time.Millisecond, "64x48"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(context.Background(), tc.path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			pts, sizes, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) != tc.frames {
				t.Fatalf("%d frames, want %d (pts %v)", len(pts), tc.frames, pts)
			}
			if d := pts[len(pts)-1] - tc.lastPTS; d < -5*time.Millisecond || d > 5*time.Millisecond {
				t.Errorf("last pts %v, want %v", pts[len(pts)-1], tc.lastPTS)
			}
			if sizes[0] != tc.size {
				t.Errorf("size %s, want %s", sizes[0], tc.size)
			}
			if in := r.Info(); in.Width == 0 || !strings.HasPrefix(in.Format, "ffmpeg/") || in.Duration <= 0 && tc.name != "gif" {
				t.Errorf("info %+v", in)
			}
			if err := r.Close(); err != nil || r.cmd.ProcessState == nil {
				t.Errorf("close: %v, process state %v (zombie?)", err, r.cmd.ProcessState)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mp4")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a video ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	audio := makeVideo(t, dir, "audio.wav", "-f", "lavfi", "-i", "sine=duration=0.2")
	for _, tc := range []struct {
		name, path, bin, want string
	}{
		{"missing ffmpeg", garbage, "ffmpeg-that-does-not-exist", "ffmpeg not found: install it (apt-get install ffmpeg) to read " + garbage},
		{"garbage", garbage, "", "Invalid data found when processing input"},
		{"no such file", filepath.Join(dir, "nope.mp4"), "", "No such file or directory"},
		{"audio only", audio, "", "ffmpeg: " + audio + ": "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(context.Background(), tc.path, Options{Binary: tc.bin})
			if err == nil {
				r.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCancelKillsProcess(t *testing.T) {
	needFFmpeg(t)
	path := makeVideo(t, t.TempDir(), "long.mkv", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=30", "-c:v", "libx264", "-preset", "ultrafast")
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	var nerr error
	for range 100000 {
		if _, nerr = r.Next(); nerr != nil {
			break
		}
	}
	if nerr == nil || errors.Is(nerr, io.EOF) {
		t.Fatalf("Next after cancel: %v, want an error before the end", nerr)
	}
	r.Close()
	if r.cmd.ProcessState == nil {
		t.Fatal("ffmpeg was not reaped")
	}
}

func TestCloseEarly(t *testing.T) {
	needFFmpeg(t)
	path := makeVideo(t, t.TempDir(), "long.mkv", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=30:duration=20", "-c:v", "ffv1")
	r, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if r.cmd.ProcessState == nil {
		t.Fatal("ffmpeg was not reaped")
	}
	if _, err := r.Next(); err == nil {
		t.Fatal("Next after Close returned a frame")
	}
}

func TestParseShowinfo(t *testing.T) {
	for _, tc := range []struct {
		line   string
		ok     bool
		pts    time.Duration
		hasPTS bool
		w, h   int
	}{
		{"[Parsed_showinfo_1 @ 0x5639] n:   3 pts:  10800 pts_time:0.12    pos:    20480 fmt:yuv420p sar:1/1 s:360x288 i:P iskey:0", true, 120 * time.Millisecond, true, 360, 288},
		{"frame=    1 fps=0.0 q=-0.0 size=     152kB    [Parsed_showinfo_1 @ 0x56] n:   1 pts:   3600 pts_time:0.04 s:33x17", true, 40 * time.Millisecond, true, 33, 17},
		{"[Parsed_showinfo_1 @ 0x56] n:   1 pts:NOPTS pts_time:NOPTS s:64x48", true, 0, false, 64, 48},
		{"[Parsed_showinfo_1 @ 0x56]   side data - pan/scan", false, 0, false, 0, 0},
		{"[Parsed_showinfo_1 @ 0x56] config in time_base: 1/90000, frame_rate: 25/1", false, 0, false, 0, 0},
		{"[Parsed_showinfo_1 @ 0x56] n: 1 pts_time:0.1 s:99999x2", false, 100 * time.Millisecond, true, 0, 0},
	} {
		fi, ok := parseShowinfo(tc.line)
		if ok != tc.ok || fi.pts != tc.pts || fi.hasPTS != tc.hasPTS || fi.w != tc.w || fi.h != tc.h {
			t.Errorf("parseShowinfo(%q) = %+v, %v", tc.line, fi, ok)
		}
	}
}

// TestResolutionSwitch reads a VP8 stream whose size changes mid-stream: ffmpeg scales
// every frame to the first size; the reader must stay in step and count them.
func TestResolutionSwitch(t *testing.T) {
	needFFmpeg(t)
	path := filepath.Join(t.TempDir(), "switch.ivf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ivf.NewWriter(f, ivf.Header{Codec: vpx.VP8, Width: 64, Height: 48, TimebaseNum: 1, TimebaseDen: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i, size := range [][2]int{{64, 48}, {64, 48}, {96, 70}, {96, 70}, {33, 17}} {
		enc, err := vpx.NewEncoder(vpx.VP8, size[0], size[1], 10, 300)
		if err != nil {
			t.Fatal(err)
		}
		cw, ch := (size[0]+1)/2, (size[1]+1)/2
		pic := &media.Frame{Width: size[0], Height: size[1], YStride: size[0], UVStride: cw,
			Y: make([]byte, size[0]*size[1]), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
		pkts, err := enc.Encode(pic, true)
		enc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			if err := w.WriteFrame(p.Data, uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.Close()
	r, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pts, sizes, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sizes, " "), "64x48 64x48 64x48 64x48 64x48"; got != want {
		t.Errorf("sizes %s, want %s", got, want)
	}
	if r.Rescaled() != 3 {
		t.Errorf("rescaled %d frames, want 3", r.Rescaled())
	}
	if len(pts) == 5 && pts[4] != 400*time.Millisecond {
		t.Errorf("pts %v", pts)
	}
}
