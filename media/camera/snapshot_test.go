package camera

import (
	"bytes"
	"image/jpeg"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media/snapshot"
)

// TestSnapshots: a frozen picture and a flat colour carry a picture of what was on screen
// (a JPEG a person can look at); a black picture and live video carry none; a call with
// many frozen stretches keeps at most maxSnaps.
func TestSnapshots(t *testing.T) {
	const w, h = 320, 240
	joined := []ev{{0, ParticipantJoined, ""}, {0, TrackAdded, ""}}
	snapOf := func(segs []seg, kind string) (n int, withSnap int) {
		a := New(Config{})
		play(a, joined, segs, nil)
		for _, e := range a.Result(segs[len(segs)-1].to).Evidence {
			if e.Kind != kind {
				continue
			}
			n++
			if e.Snapshot == "" {
				continue
			}
			withSnap++
			b, err := snapshot.Decode(e.Snapshot)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			img, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: snapshot is not a JPEG: %v", kind, err)
			}
			if want := min(w, snapshot.DefaultWidth); img.Bounds().Dx() != want {
				t.Errorf("%s: snapshot %d px wide, want %d", kind, img.Bounds().Dx(), want)
			}
		}
		return n, withSnap
	}
	if n, s := snapOf([]seg{{0, 10 * sec, 30, realPool(w, h, 1)}, {10 * sec, 30 * sec, 30, frozenPool(w, h, 5)}}, "frozen"); n != 1 || s != 1 {
		t.Errorf("frozen: %d findings, %d with a snapshot; want 1 and 1", n, s)
	}
	if n, s := snapOf([]seg{{0, 20 * sec, 30, solidPool(w, h, 120, 90, 160, 0)}}, "uniform"); n != 1 || s != 1 {
		t.Errorf("uniform: %d findings, %d with a snapshot; want 1 and 1", n, s)
	}
	if n, s := snapOf([]seg{{0, 20 * sec, 30, solidPool(w, h, 5, 128, 128, 0)}}, "black"); n != 1 || s != 0 {
		t.Errorf("black: %d findings, %d with a snapshot; want 1 and 0", n, s)
	}
	// Five frozen stretches between live video: every one is reported, three with a picture.
	var segs []seg
	for i := range 5 {
		at := time.Duration(i) * 20 * sec
		segs = append(segs, seg{at, at + 8*sec, 30, realPool(w, h, uint64(i+1))},
			seg{at + 8*sec, at + 20*sec, 30, frozenPool(w, h, uint64(i+7))})
	}
	if n, s := snapOf(segs, "frozen"); n != 5 || s != maxSnaps {
		t.Errorf("5 frozen stretches: %d findings, %d with a snapshot; want 5 and %d", n, s, maxSnaps)
	}
}
