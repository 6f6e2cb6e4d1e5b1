package face

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/corpus"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/snapshot"
)

// testConfig returns cfg with CascadeDir set to the pigo module's cascades when the
// embedded copy is missing (a fresh clone tested with plain go test, without make).
func testConfig(t testing.TB, cfg Config) Config {
	t.Helper()
	if _, err := embedded.Open("cascade/facefinder"); err == nil || cfg.CascadeDir != "" {
		return cfg
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Skipf("face cascades are not embedded (run make cascades) and go list cannot find the pigo module: %v", err)
	}
	cfg.CascadeDir = filepath.Join(string(bytes.TrimSpace(out)), "cascade")
	return cfg
}

// newTest returns an Analyzer with cfg (zero fields default) or fails the test.
func newTest(t testing.TB, cfg Config) *Analyzer {
	t.Helper()
	a, err := New(testConfig(t, cfg))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// corpusDir returns the shared corpus ($INTEGRITYBOT_CORPUS, else ../shared/corpus beside
// the repository), or skips the test with one line saying how to get it. internal/corpus,
// not corpustest: corpustest imports this package.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		t.Skip(err)
	}
	return dir
}

// needFFmpeg skips the test when ffmpeg or ffprobe is missing.
func needFFmpeg(t testing.TB) {
	t.Helper()
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed (make deps-test installs it)", p)
		}
	}
}

// clipInfo is what ffprobe says about a clip's video stream.
type clipInfo struct {
	w, h int
	fps  float64
}

func probe(t testing.TB, path string) clipInfo {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height,avg_frame_rate", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p struct {
		Streams []struct {
			Width, Height int
			Rate          string `json:"avg_frame_rate"`
		}
	}
	if err := json.Unmarshal(out, &p); err != nil || len(p.Streams) == 0 {
		t.Fatalf("ffprobe %s: no video stream (%v)", path, err)
	}
	s := p.Streams[0]
	num, den, _ := strings.Cut(s.Rate, "/")
	n, _ := strconv.ParseFloat(num, 64)
	d, _ := strconv.ParseFloat(den, 64)
	fps := 25.0
	if n > 0 && d > 0 {
		fps = n / d
	}
	return clipInfo{s.Width, s.Height, fps}
}

// eachFrame decodes path with ffmpeg into I420 frames (scaled to width w when w > 0,
// keeping the aspect ratio) and calls fn with every frame; PTS is the frame index over
// the clip's average rate. The frame's planes are reused between calls.
func eachFrame(t testing.TB, path string, w int, fn func(i int, f *media.Frame)) clipInfo {
	t.Helper()
	info := probe(t, path)
	args := []string{"-v", "error", "-i", path, "-fps_mode", "passthrough"}
	if w > 0 && w != info.w {
		h := (info.h*w/info.w + 1) &^ 1
		args = append(args, "-vf", fmt.Sprintf("scale=%d:%d", w, h))
		info.w, info.h = w, h
	}
	args = append(args, "-pix_fmt", "yuv420p", "-f", "rawvideo", "-")
	cmd := exec.Command("ffmpeg", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	cw, ch := (info.w+1)/2, (info.h+1)/2
	buf := make([]byte, info.w*info.h+2*cw*ch)
	f := &media.Frame{Width: info.w, Height: info.h, YStride: info.w, UVStride: cw,
		Y: buf[:info.w*info.h], U: buf[info.w*info.h : info.w*info.h+cw*ch], V: buf[info.w*info.h+cw*ch:]}
	r := bufio.NewReaderSize(out, len(buf))
	for i := 0; ; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("%s: frame %d: %v", path, i, err)
			}
			break
		}
		f.PTS = time.Duration(float64(i) / info.fps * float64(time.Second))
		fn(i, f)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg %s: %v: %s", path, err, stderr.String())
	}
	return info
}

// stillFrame decodes a PNG or JPEG into an I420 frame (BT.601 luma, flat chroma).
func stillFrame(t testing.TB, path string) *media.Frame {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, _, err := image.Decode(fh)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	b := img.Bounds()
	w, h := b.Dx()&^1, b.Dy()&^1
	f := blank(w, h, 0)
	for y := range h {
		for x := range w {
			g := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray)
			f.Y[y*w+x] = g.Y
		}
	}
	return f
}

// blank returns a w×h frame of luma v with neutral chroma.
func blank(w, h int, v byte) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw,
		Y: bytes.Repeat([]byte{v}, w*h), U: bytes.Repeat([]byte{128}, cw*ch), V: bytes.Repeat([]byte{128}, cw*ch)}
	return f
}

// checkSnapshot fails unless s is a JPEG data URL that decodes.
func checkSnapshot(t *testing.T, s string) {
	t.Helper()
	b, err := snapshot.Decode(s)
	if err != nil {
		t.Errorf("evidence snapshot: %v", err)
		return
	}
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil || len(b) > snapshot.MaxBytes {
		t.Errorf("evidence snapshot of %d bytes does not decode: %v", len(b), err)
	}
}
