package bot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/y4m"
)

// picture fills frame n of a clip.
type picture func(f *media.Frame, n int)

// moving draws a textured pattern that shifts every frame, like a live scene.
func moving(f *media.Frame, n int) {
	for y := range f.Height {
		for x := range f.Width {
			f.Y[y*f.YStride+x] = byte((x+n)*3 ^ (y * 5) + (x*y+n*7)%13)
		}
	}
	for i := range f.U {
		f.U[i], f.V[i] = byte(110+i%9), byte(140+i%7)
	}
}

func black(f *media.Frame, _ int) {
	for i := range f.Y {
		f.Y[i] = 16
	}
	for i := range f.U {
		f.U[i], f.V[i] = 128, 128
	}
}

// clip returns a Y4M stream of frames w×h at fps.
func clip(t testing.TB, w, h, fps, frames int, p picture) []byte {
	t.Helper()
	var b bytes.Buffer
	wr, err := y4m.NewWriter(&b, y4m.Header{Width: w, Height: h, FPSNum: fps, FPSDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for n := range frames {
		p(f, n)
		if err := wr.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stillSource is one frame marked as a still image.
type stillSource struct {
	f    *media.Frame
	done bool
}

func (s *stillSource) Next() (*media.Frame, error) {
	if s.done {
		return nil, io.EOF
	}
	s.done = true
	return s.f, nil
}
func (s *stillSource) Close() error { return nil }
func (s *stillSource) Info() media.SourceInfo {
	return media.SourceInfo{Name: "photo.jpg", Format: "jpeg", Width: s.f.Width, Height: s.f.Height, Still: true}
}

func y4mSource(t *testing.T, data []byte) media.Source {
	t.Helper()
	r, err := y4m.NewReader(bytes.NewReader(data), "clip.y4m")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func cameraCheck(t *testing.T, r *report.Report) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == report.CheckCamera {
			return c
		}
	}
	t.Fatal("no camera check in the report")
	return report.Check{}
}

func TestAnalyze(t *testing.T) {
	frame := func() *media.Frame {
		var b bytes.Buffer
		b.Write(clip(t, 64, 48, 1, 1, moving))
		r, _ := y4m.NewReader(&b, "x")
		f, _ := r.Next()
		return f.Clone()
	}
	for _, tc := range []struct {
		name     string
		src      func(t *testing.T) media.Source
		status   report.Status
		summary  string
		overall  report.Overall
		videoS   float64
		frames   int64
		evidence string
	}{
		{"live video", func(t *testing.T) media.Source { return y4mSource(t, clip(t, 320, 240, 25, 175, moving)) },
			report.Pass, "The camera was on", report.NoConcerns, 6.96, 175, ""},
		{"black video", func(t *testing.T) media.Source { return y4mSource(t, clip(t, 320, 240, 25, 150, black)) },
			report.Fail, "black", report.Review, 5.96, 150, "black"},
		{"two fps", func(t *testing.T) media.Source { return y4mSource(t, clip(t, 320, 240, 2, 16, moving)) },
			report.Warn, "frames per second", report.Review, 7.5, 16, "low_fps"},
		{"header only", func(t *testing.T) media.Source { return y4mSource(t, []byte("YUV4MPEG2 W64 H48 F25:1\n")) },
			report.Fail, "No video", report.Review, 0, 0, "no_video"},
		{"still image", func(t *testing.T) media.Source { return &stillSource{f: frame()} },
			report.Unknown, "a still image has no motion to check", report.InsufficientData, 0, 1, "still_image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src(t)
			defer src.Close()
			var calls int
			r, err := Analyze(context.Background(), src, report.Candidate{Name: "Jane"}, Config{}, func(time.Duration) { calls++ })
			if err != nil {
				t.Fatal(err)
			}
			c := cameraCheck(t, r)
			if c.Status != tc.status || !strings.Contains(c.Summary, tc.summary) {
				t.Errorf("camera %s %q, want %s containing %q", c.Status, c.Summary, tc.status, tc.summary)
			}
			if r.Overall != tc.overall || r.State != report.Final || r.Candidate.Name != "Jane" {
				t.Errorf("overall %s state %s candidate %+v", r.Overall, r.State, r.Candidate)
			}
			if r.Coverage.VideoSeconds != tc.videoS || r.Coverage.FramesAnalyzed != tc.frames {
				t.Errorf("coverage %+v, want %.2f s and %d frames", r.Coverage, tc.videoS, tc.frames)
			}
			if got := r.EndedAt.Sub(*r.StartedAt).Seconds(); got < tc.videoS-0.001 || got > tc.videoS+0.001 {
				t.Errorf("report spans %.3f s, want the recording's %.3f s", got, tc.videoS)
			}
			if tc.evidence != "" && !hasKind(c, tc.evidence) {
				t.Errorf("no %s evidence in %+v", tc.evidence, c.Evidence)
			}
			if calls == 0 {
				t.Error("progress never called")
			}
		})
	}
}

func hasKind(c report.Check, kind string) bool {
	for _, e := range c.Evidence {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func TestAnalyzeErrors(t *testing.T) {
	good := clip(t, 64, 48, 25, 10, moving)
	t.Run("truncated", func(t *testing.T) {
		_, err := Analyze(context.Background(), y4mSource(t, good[:len(good)-100]), report.Candidate{}, Config{}, nil)
		if err == nil || !strings.Contains(err.Error(), "frame 9 truncated") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Analyze(ctx, y4mSource(t, good), report.Candidate{}, Config{}, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
}
