package camera

import (
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// randomFrame builds a frame of random geometry: odd and zero sizes, strides that may be
// too small, planes that may be short. Observe must ignore what it cannot read.
func randomFrame(r *rng, pts time.Duration) *media.Frame {
	w, h := r.intn(70)-3, r.intn(50)-3
	if r.intn(10) == 0 {
		w, h = r.intn(400), r.intn(300)
	}
	cw, ch := (max(w, 0)+1)/2, (max(h, 0)+1)/2
	ys, uvs := w+r.intn(5)-1, cw+r.intn(3)-1
	ylen := max(ys*max(h, 0)-r.intn(3)*r.intn(2), 0)
	uvlen := max(uvs*ch-r.intn(2)*r.intn(2), 0)
	f := &media.Frame{PTS: pts, Width: w, Height: h, YStride: ys, UVStride: uvs,
		Y: make([]byte, ylen), U: make([]byte, uvlen), V: make([]byte, uvlen)}
	fill := byte(r.intn(256))
	k := byte(r.intn(4)) // 0: flat, else a cheap texture
	for i := range f.Y {
		f.Y[i] = fill + k*byte(i*i>>3)
	}
	if r.intn(8) == 0 {
		f.U = nil
	}
	return f
}

// TestRandomInputsNeverPanic is a property test: random geometry, random events and
// random times (including going backwards) never panic and always give a well-formed result.
func TestRandomInputsNeverPanic(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		r := rng(seed * 0x9E3779B97F4A7C15)
		a := New(Config{})
		var now time.Duration
		for i := range 200 {
			now += time.Duration(r.intn(700)) * time.Millisecond
			if r.intn(20) == 0 {
				now -= time.Duration(r.intn(3000)) * time.Millisecond // out of order
			}
			switch r.intn(10) {
			case 0:
				a.TrackEvent(now, Event(r.intn(9)-1), "x")
			case 1:
				if i%7 == 0 {
					checkWellFormed(t, a.Result(now))
				}
			default:
				a.Observe(randomFrame(&r, now))
			}
		}
		a.Observe(nil)
		c := a.Result(now + 10*time.Second)
		checkWellFormed(t, c)
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
}

func TestInvalidFramesIgnored(t *testing.T) {
	good := realPool(32, 24, 1)[0]
	tests := []struct {
		name string
		mod  func(f *media.Frame)
	}{
		{"zero width", func(f *media.Frame) { f.Width = 0 }},
		{"negative height", func(f *media.Frame) { f.Height = -2 }},
		{"short Y", func(f *media.Frame) { f.Y = f.Y[:len(f.Y)-1] }},
		{"short U", func(f *media.Frame) { f.U = f.U[:3] }},
		{"nil V", func(f *media.Frame) { f.V = nil }},
		{"small stride", func(f *media.Frame) { f.YStride = f.Width - 1 }},
		{"huge", func(f *media.Frame) { f.Width, f.Height, f.YStride = 1<<30, 1<<30, 1<<30 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := *good
			tc.mod(&f)
			a := New(Config{})
			a.Observe(&f)
			if a.pic.frames != 0 || a.seen {
				t.Error("invalid frame was used")
			}
			if c := a.Result(time.Minute); c.Status != report.Unknown {
				t.Errorf("status = %s", c.Status)
			}
		})
	}
}

// FuzzObserve feeds frames of fuzzed geometry and content.
func FuzzObserve(f *testing.F) {
	f.Add(4, 4, 4, 2, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(3, 3, 3, 2, []byte{0})
	f.Add(0, 0, 0, 0, []byte{})
	f.Add(17, 9, 17, 9, make([]byte, 17*9+2*9*5))
	f.Fuzz(func(t *testing.T, w, h, ys, uvs int, data []byte) {
		a := New(Config{})
		for i := range 3 {
			fr := &media.Frame{PTS: time.Duration(i) * 100 * time.Millisecond, Width: w, Height: h,
				YStride: ys, UVStride: uvs, Y: data, U: data, V: data}
			a.Observe(fr)
		}
		checkWellFormed(t, a.Result(time.Second))
	})
}
