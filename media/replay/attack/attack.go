// Package attack makes the pictures the replay check is measured on: replay attacks
// (a still picture moved as a hand or a virtual camera moves it, a printout or a screen
// held to the camera) and the low-motion genuine video it must never accuse. Both the
// replay package's tests and the eval harness (internal/eval) build their media with it,
// so the tests and the published figures see the same constructions.
package attack

import (
	"hash/fnv"

	"github.com/integritybot/integritybot/media"
)

// Slowed plays frames k times slower at the same frame rate, each new frame blended from
// its two neighbours (a live person moving k times less per frame), up to n frames. The
// frames keep the source's timestamps; restamp them.
func Slowed(frames []*media.Frame, k float64, n int) []*media.Frame {
	out := make([]*media.Frame, 0, n)
	for i := 0; len(out) < n; i++ {
		t := float64(i) / k
		j := int(t)
		if j+1 >= len(frames) {
			break
		}
		out = append(out, Blend(frames[j], frames[j+1], t-float64(j)))
	}
	return out
}

// Blend returns (1-w)·a + w·b plane by plane (a and b share a size).
func Blend(a, b *media.Frame, w float64) *media.Frame {
	f := a.Clone()
	mix := func(dst []byte, x, y []byte, xs, ys, width, height int) {
		for r := range height {
			for c := range width {
				dst[r*width+c] = byte(float64(x[r*xs+c])*(1-w) + float64(y[r*ys+c])*w + 0.5)
			}
		}
	}
	cw, ch := (a.Width+1)/2, (a.Height+1)/2
	mix(f.Y, a.Y, b.Y, a.YStride, b.YStride, a.Width, a.Height)
	mix(f.U, a.U, b.U, a.UVStride, b.UVStride, cw, ch)
	mix(f.V, a.V, b.V, a.UVStride, b.UVStride, cw, ch)
	return f
}

// SplitOf returns "tune" or "test" for a person id: a fixed hash (FNV-1a, even: tune),
// so a person stays in one half whatever else the corpus holds. Thresholds are fixed on
// the tuning half; figures are reported on the test half.
func SplitOf(person string) string {
	h := fnv.New32a()
	h.Write([]byte(person))
	if h.Sum32()%2 == 0 {
		return "tune"
	}
	return "test"
}
