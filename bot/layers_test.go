package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// l1t3 is frame i of a 30 fps L1T3 stream as libvpx and loadgen send it: TIDs 0, 2, 1, 2
// from a keyframe at frame 0; the two frames after a base layer frame are sync frames.
// fps sets the frame rate; sync false makes a stream without Y bits (as VP9 is read).
func l1t3(i, fps int, sync bool) layerFrame {
	k := i % 4
	return layerFrame{pts: time.Duration(i) * time.Second / time.Duration(fps), key: i == 0, layered: true,
		tid: []uint8{0, 2, 1, 2}[k], sync: sync && (k == 1 || k == 2)}
}

// run feeds frames from..to with lag and returns how many of each layer were decoded and
// how many skip stretches began.
func (l *layerFilter) run(from, to, fps int, sync bool, lag time.Duration) (decoded [3]int, spans int) {
	for i := from; i < to; i++ {
		f := l1t3(i, fps, sync)
		ok, newSpan := l.decode(f, lag)
		if ok {
			decoded[f.tid]++
		}
		if newSpan {
			spans++
		}
	}
	return decoded, spans
}

func layerConfig(mode LayerMode) *Config {
	c := Config{SampleAfter: 150 * time.Millisecond, SampleHold: time.Second, BaseLayer: mode}.withDefaults()
	return &c
}

// TestLayerFilterAuto: on time every frame is decoded; late, only the base layer, from the
// first late frame; on time again, the base layer only for 3 × SampleHold, then every layer
// again from its next sync frame.
func TestLayerFilterAuto(t *testing.T) {
	l := newLayerFilter(layerConfig(BaseLayerAuto))
	if d, _ := l.run(0, 60, 30, true, 10*time.Millisecond); d != [3]int{15, 15, 30} {
		t.Fatalf("on time: decoded %v, want every frame", d)
	}
	d, spans := l.run(60, 150, 30, true, 300*time.Millisecond)
	if d != [3]int{23, 0, 0} || spans != 1 || !l.on {
		t.Fatalf("late: decoded %v in %d stretches (on %v), want the 23 base layer frames only", d, spans, l.on)
	}
	if fps := l.baseFPS(149 * time.Second / 30); fps < 7.4 || fps > 7.6 {
		t.Errorf("base layer rate %.2f fps, want 7.5", fps)
	}
	// On time from 5 s: base layer only until 8 s, then the upper layers resume at their
	// next sync frames (one non-sync TID 2 frame waits for the TID 1 sync frame before it).
	d, spans = l.run(150, 300, 30, true, 10*time.Millisecond)
	if l.on || spans != 0 {
		t.Fatalf("still base-only after the hold (spans %d)", spans)
	}
	if want := [3]int{37, 15, 29}; d != want {
		t.Errorf("recovering: decoded %v, want %v", d, want)
	}
	if l.stale(300 * time.Second / 30) {
		t.Error("upper layers still wait for a keyframe after their sync frames")
	}
	// Late again: a second stretch.
	if _, spans = l.run(300, 360, 30, true, time.Second); spans != 1 {
		t.Errorf("second late stretch counted %d times", spans)
	}
}

func TestLayerFilterModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode LayerMode
		fps  int
		lag  time.Duration
		want [3]int // of 120 frames
	}{
		// The base layer rate is known after 3 base layer frames (0, 4, 8).
		{"always", BaseLayerAlways, 30, 0, [3]int{30, 2, 4}},
		{"never, late", BaseLayerNever, 30, time.Second, [3]int{30, 30, 60}},
		{"auto, on time", BaseLayerAuto, 30, 0, [3]int{30, 30, 60}},
		// 15 fps L1T3 has a 3.75 fps base layer, under the camera check's 5 fps minimum.
		{"always, 15 fps", BaseLayerAlways, 15, 0, [3]int{30, 30, 60}},
		{"auto, 15 fps, late", BaseLayerAuto, 15, time.Second, [3]int{30, 30, 60}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLayerFilter(layerConfig(tc.mode))
			if d, _ := l.run(0, 120, tc.fps, true, tc.lag); d != tc.want {
				t.Errorf("decoded %v, want %v", d, tc.want)
			}
		})
	}
	t.Run("sampling off", func(t *testing.T) {
		cfg := layerConfig(BaseLayerAuto)
		cfg.SampleAfter = 0
		l := newLayerFilter(cfg)
		if d, _ := l.run(0, 120, 30, true, time.Second); d != [3]int{30, 30, 60} {
			t.Errorf("auto without a lag threshold decoded %v, want every frame", d)
		}
	})
	t.Run("not layered", func(t *testing.T) {
		l := newLayerFilter(layerConfig(BaseLayerAlways))
		for i := range 120 {
			f := layerFrame{pts: time.Duration(i) * time.Second / 30, key: i == 0}
			if ok, _ := l.decode(f, time.Second); !ok {
				t.Fatalf("frame %d of a stream without layers skipped", i)
			}
		}
	})
}

// TestLayerFilterNoSync: a stream without sync bits resumes its upper layers at a keyframe,
// which the filter asks for once they have waited syncWait.
func TestLayerFilterNoSync(t *testing.T) {
	l := newLayerFilter(layerConfig(BaseLayerAuto))
	l.run(0, 60, 30, false, 0)
	l.run(60, 150, 30, false, time.Second)
	d, _ := l.run(150, 330, 30, false, 0) // off after 3 s at 8 s
	if d[1] != 0 || d[2] != 0 {
		t.Fatalf("upper layers decoded without a sync frame or keyframe: %v", d)
	}
	if l.stale(299 * time.Second / 30) {
		t.Fatal("asks for a keyframe before the upper layers waited 2 s")
	}
	if !l.stale(330 * time.Second / 30) {
		t.Fatal("upper layers waiting 2 s for a sync point do not ask for a keyframe")
	}
	l.decode(layerFrame{pts: 11 * time.Second, key: true, layered: true}, 0)
	if l.stale(11 * time.Second) {
		t.Fatal("still stale after a keyframe")
	}
	if ok, _ := l.decode(layerFrame{pts: 11*time.Second + time.Second/30, layered: true, tid: 2}, 0); !ok {
		t.Fatal("TID 2 frame after the keyframe not decoded")
	}
}

// TestLayerCoverageNote: skipped upper layer frames are neither decoded nor dropped, and the
// report's note says when, how fast and why.
func TestLayerCoverageNote(t *testing.T) {
	start := time.Unix(1000, 0)
	for _, tc := range []struct {
		mode LayerMode
		why  string
	}{{BaseLayerAuto, "short of processing time"}, {BaseLayerAlways, "interview.base_layer: always"}} {
		s := NewSession("t", report.Candidate{}, start, Config{BaseLayer: tc.mode}, nil, nil, func() time.Time { return start })
		s.skipLayer(12*time.Second, true, 7.5)
		for i := 1; i < 100; i++ {
			s.skipLayer(12*time.Second+time.Duration(i)*100*time.Millisecond, false, 7.5)
		}
		s.skipLayer(30*time.Second, true, 7.4)
		r := s.Report(report.Live)
		c := r.Coverage
		if c.FramesDropped != 0 || c.FramesDecoded != 0 {
			t.Errorf("%s: skipped frames counted as decoded %d or dropped %d", tc.mode, c.FramesDecoded, c.FramesDropped)
		}
		for _, want := range []string{"Between 12 s and 30 s (in 2 stretches)", "only the base temporal layer", "about 7.4 frames a second",
			tc.why, "101 frames of the upper layers", "forwarded to the interviewer"} {
			if !strings.Contains(c.Note, want) {
				t.Errorf("%s: note %q lacks %q", tc.mode, c.Note, want)
			}
		}
		s.Close()
	}
}

func TestLayerModeValid(t *testing.T) {
	for m, want := range map[LayerMode]bool{"": true, BaseLayerAuto: true, BaseLayerAlways: true, BaseLayerNever: true, "sometimes": false} {
		if m.Valid() != want {
			t.Errorf("%q.Valid() = %v", m, !want)
		}
	}
}

// TestLayerFilterFloorHysteresis: a base layer that dips a little below the starting floor
// (a 25 fps camera's 6.25 fps base layer, jittering) keeps base-only decoding on; one that
// falls well below it turns it off.
func TestLayerFilterFloorHysteresis(t *testing.T) {
	l := newLayerFilter(layerConfig(BaseLayerAlways))
	l.run(0, 100, 30, true, 0)
	if !l.on {
		t.Fatal("not on at 7.5 fps")
	}
	// Base layer frames 175 ms apart (5.7 fps) from the last one (frame 96): below 6, above 5.5.
	pts := 96 * time.Second / 30
	for range 20 {
		pts += 175 * time.Millisecond
		l.decode(layerFrame{pts: pts, layered: true}, 0)
	}
	if !l.on {
		t.Fatal("turned off at 5.7 fps, above the 5.5 fps it keeps to")
	}
	for range 20 {
		pts += 250 * time.Millisecond // 4 fps
		l.decode(layerFrame{pts: pts, layered: true}, 0)
	}
	if l.on {
		t.Fatal("still on at 4 fps")
	}
}

// TestLayerFilterPrompt: in auto mode a liveness prompt gets every layer back (from the next
// sync frames) even while the lag stays high; always mode keeps the base layer.
func TestLayerFilterPrompt(t *testing.T) {
	for _, tc := range []struct {
		mode LayerMode
		want [3]int
	}{{BaseLayerAuto, [3]int{15, 15, 29}}, {BaseLayerAlways, [3]int{15, 0, 0}}} {
		l := newLayerFilter(layerConfig(tc.mode))
		l.run(0, 60, 30, true, time.Second)
		var d [3]int
		for i := 60; i < 120; i++ {
			f := l1t3(i, 30, true)
			f.prompt = tc.mode != BaseLayerAlways
			if ok, _ := l.decode(f, time.Second); ok {
				d[f.tid]++
			}
		}
		if d != tc.want {
			t.Errorf("%s: during a prompt decoded %v, want %v", tc.mode, d, tc.want)
		}
	}
}
