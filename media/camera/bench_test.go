package camera

import (
	"fmt"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

func BenchmarkObserve(b *testing.B) {
	for _, size := range []struct{ w, h int }{{640, 480}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
			p := realPool(size.w, size.h, 1)
			a := New(Config{})
			a.TrackEvent(0, ParticipantJoined, "")
			a.TrackEvent(0, TrackAdded, "")
			for i := range 4 { // warm up: buffers sized
				a.Observe(p.at(i, time.Duration(i)*33*time.Millisecond))
			}
			frames := make([]*media.Frame, len(p))
			copy(frames, p)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				f := frames[i%len(frames)]
				f.PTS = time.Duration(i+4) * 33 * time.Millisecond
				a.Observe(f)
			}
		})
	}
}

// BenchmarkResult measures a live-view poll after a long, eventful call.
func BenchmarkResult(b *testing.B) {
	const w, h = 64, 48
	real, black := realPool(w, h, 1), solidPool(w, h, 16, 128, 128, 0)
	var segs []seg
	for i := range 300 {
		t0 := time.Duration(i) * 12 * sec
		segs = append(segs, seg{t0, t0 + 3*sec, 10, black}, seg{t0 + 3*sec, t0 + 12*sec, 10, real})
	}
	a := New(Config{MinWidth: 32, MinHeight: 24})
	play(a, nil, segs, nil)
	b.ReportAllocs()
	for b.Loop() {
		a.Result(3600 * sec)
	}
}
