package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/camera"
)

// BenchmarkAllChecks measures every video check of sessionConfig together (the camera
// check, then the analyzers of NewAnalyzers in their session order) on decoded 640×480
// frames of a real webcam clip at 30 fps, to set against the cost of decoding the same
// frame (go test -run '^$' -bench 'BenchmarkDecode/vp8/640x480' ./media/vpx). Frames are
// read into memory first, so no file reading or decoding is timed; each iteration runs
// the whole clip through fresh analyzers, as a session does. ns/frame is the total per
// frame, ns/frame:<check> each check's share.
func BenchmarkAllChecks(b *testing.B) {
	const w, h, fps, seconds = 640, 480, 30, 6
	path := filepath.Join(b.TempDir(), "clip.y4m")
	source := benchClip(b, path, w, h, fps, seconds)
	frames := readFrames(b, path)
	cfg := config.Default()
	sc := sessionConfig(cfg)
	b.Run(fmt.Sprintf("%dx%d/%s", w, h, source), func(b *testing.B) {
		b.ReportAllocs()
		var names []string
		var spent []time.Duration
		for range b.N {
			as := append([]bot.Analyzer{camera.New(sc.Camera)}, sc.NewAnalyzers()...)
			if names == nil {
				spent = make([]time.Duration, len(as))
				for _, a := range as {
					names = append(names, a.Result(0).ID)
				}
			}
			for _, f := range frames {
				for k, a := range as {
					t0 := time.Now()
					a.Observe(f)
					spent[k] += time.Since(t0)
				}
			}
		}
		n := float64(b.N * len(frames))
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/frame")
		for k, name := range names {
			b.ReportMetric(float64(spent[k].Nanoseconds())/n, "ns/frame:"+name)
		}
	})
}

// readFrames reads every frame of a Y4M into memory (copies).
func readFrames(b *testing.B, path string) []*media.Frame {
	b.Helper()
	src, err := openInput(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var fs []*media.Frame
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			return fs
		}
		if err != nil {
			b.Fatal(err)
		}
		fs = append(fs, f.Clone())
	}
}
