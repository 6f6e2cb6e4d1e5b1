package replay

import (
	"bytes"
	"image/jpeg"
	"math"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/snapshot"
)

// corpusDir returns the shared corpus (../shared/corpus beside the repository, or
// $INTEGRITYBOT_CORPUS), or skips the test naming it.
func corpusDir(t testing.TB) string {
	t.Helper()
	return corpustest.Root(t)
}

// needFFmpeg skips the test when ffmpeg is missing (the corpus clips are MP4, MPEG, WebM).
func needFFmpeg(t testing.TB) {
	t.Helper()
	corpustest.NeedTools(t, "ffmpeg", "ffprobe")
}

// loadFrames reads up to limit of media time of path (all when limit is 0) as copies.
func loadFrames(t testing.TB, path string, limit time.Duration) []*media.Frame {
	t.Helper()
	return corpustest.Frames(t, path, limit)
}

// newFaces returns a face analyzer with pigo's cascades (embedded, or from the module
// cache in a plain go test), or nil when neither is there.
func newFaces(t testing.TB) *face.Analyzer {
	t.Helper()
	a, err := corpustest.NewFaces(face.Config{})
	if err != nil {
		t.Logf("no face cascades (%v); the centre of the picture stands in for the face", err)
		return nil
	}
	return a
}

// pipeline runs frames through a fresh face analyzer (when faces is not nil) and a
// replay analyzer, in the session's order, and returns the replay analyzer.
func pipeline(faces *face.Analyzer, cfg Config, frames []*media.Frame) *Analyzer {
	var fa *face.Analyzer
	var a *Analyzer
	if faces != nil {
		fa = faces.Fresh()
		a = New(cfg, fa)
	} else {
		a = New(cfg, nil)
	}
	for _, f := range frames {
		if fa != nil {
			fa.Observe(f)
		}
		a.Observe(f)
	}
	return a
}

// restamp returns frames with regular timestamps at fps (shallow copies).
func restamp(frames []*media.Frame, fps int) []*media.Frame {
	out := make([]*media.Frame, len(frames))
	for i, f := range frames {
		c := *f
		c.PTS = time.Duration(i) * time.Second / time.Duration(fps)
		out[i] = &c
	}
	return out
}

// resample returns the frame showing at each k/fps, restamped (as eval.Synthesize reads clips).
func resample(frames []*media.Frame, fps int) []*media.Frame {
	var out []*media.Frame
	for i := 0; ; i++ {
		t := time.Duration(i) * time.Second / time.Duration(fps)
		if t > frames[len(frames)-1].PTS {
			return restamp(out, fps)
		}
		j := 0
		for j+1 < len(frames) && frames[j+1].PTS <= t {
			j++
		}
		out = append(out, frames[j])
	}
}

// loopOf plays the first period of frames again and again until n frames.
func loopOf(frames []*media.Frame, period, n int) []*media.Frame {
	out := make([]*media.Frame, 0, n)
	for len(out) < n {
		out = append(out, frames[:min(period, n-len(out))]...)
	}
	return out
}

// photoMotion frames a w×h window of photo and zooms in by zoom while panning, as
// eval.Synthesize's photo_motion attack does (a virtual camera's "Ken Burns" effect).
func photoMotion(photo *media.Frame, w, h, n int, zoom float64) []*media.Frame {
	pw, ph := float64(photo.Width), float64(photo.Height)
	aspect := float64(w) / float64(h)
	baseH := math.Min(ph*0.7, pw*0.9/aspect)
	out := make([]*media.Frame, n)
	for i := range out {
		t := float64(i) / float64(max(n-1, 1))
		ch := baseH / (1 + zoom*t)
		cw := ch * aspect
		cx := math.Max(0, math.Min(pw*0.5+pw*0.04*math.Sin(t*math.Pi)-cw/2, pw-cw))
		cy := math.Max(0, math.Min(ph*0.35+ph*0.02*t-ch/2, ph-ch))
		out[i] = crop(photo, w, h, cx, cy, cw, ch)
	}
	return out
}

// crop samples the rectangle (x0, y0, cw, ch) of src's luma bilinearly into a new w×h
// frame with grey chroma.
func crop(src *media.Frame, w, h int, x0, y0, cw, ch float64) *media.Frame {
	f := grey(w, h, 0)
	for y := range h {
		sy := y0 + (float64(y)+0.5)*ch/float64(h) - 0.5
		iy := int(math.Floor(sy))
		fy := sy - float64(iy)
		y1, y2 := clamp(iy, src.Height), clamp(iy+1, src.Height)
		for x := range w {
			sx := x0 + (float64(x)+0.5)*cw/float64(w) - 0.5
			ix := int(math.Floor(sx))
			fx := sx - float64(ix)
			x1, x2 := clamp(ix, src.Width), clamp(ix+1, src.Width)
			a := float64(src.Y[y1*src.YStride+x1])*(1-fx) + float64(src.Y[y1*src.YStride+x2])*fx
			b := float64(src.Y[y2*src.YStride+x1])*(1-fx) + float64(src.Y[y2*src.YStride+x2])*fx
			f.Y[y*w+x] = byte(a*(1-fy) + b*fy + 0.5)
		}
	}
	return f
}

func clamp(v, n int) int { return max(0, min(v, n-1)) }

// grey returns a w×h frame of luma y.
func grey(w, h int, y byte) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw, Y: bytes.Repeat([]byte{y}, w*h),
		U: bytes.Repeat([]byte{128}, cw*ch), V: bytes.Repeat([]byte{128}, cw*ch)}
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
