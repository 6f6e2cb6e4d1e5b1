package loadgen

import (
	"bytes"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/ivf"
	"github.com/integritybot/integritybot/media/vpx"
)

func TestReadIVF(t *testing.T) {
	const w, h, fps = 64, 48, 30
	enc, err := vpx.NewEncoder(vpx.VP8, w, h, fps, 200)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var buf bytes.Buffer
	iw, err := ivf.NewWriter(&buf, ivf.Header{Codec: vpx.VP8, Width: w, Height: h, TimebaseNum: 1, TimebaseDen: fps})
	if err != nil {
		t.Fatal(err)
	}
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: w / 2, Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
	for i := range 20 {
		for k := range f.Y {
			f.Y[k] = byte(k*7 + i*13)
		}
		pkts, err := enc.Encode(f, i%10 == 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			if err := iw.WriteFrame(p.Data, uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := readIVF(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c.Codec != vpx.VP8 || c.Width != w || c.Height != h || len(c.Frames) != 20 {
		t.Fatalf("clip %v %dx%d with %d frames", c.Codec, c.Width, c.Height, len(c.Frames))
	}
	if c.Period != 20*time.Second/fps || c.Frames[19].PTS != 19*time.Second/fps {
		t.Fatalf("period %s, last PTS %s", c.Period, c.Frames[19].PTS)
	}
	if !c.Frames[0].Keyframe || !c.Frames[10].Keyframe || c.nextKey(3) != 10 || c.nextKey(11) != 0 {
		t.Fatalf("keyframes: %v %v, nextKey(3)=%d nextKey(11)=%d", c.Frames[0].Keyframe, c.Frames[10].Keyframe, c.nextKey(3), c.nextKey(11))
	}
	for _, bad := range [][]byte{nil, []byte("RIFF0000000000000000000000000000"), buf.Bytes()[:10]} {
		if _, err := readIVF(bytes.NewReader(bad)); err == nil {
			t.Errorf("readIVF(%q) = nil error", bad)
		}
	}
}

func TestTotals(t *testing.T) {
	calls := []Call{
		{FramesSent: 100, FramesDecoded: 90, FramesAnalyzed: 45, FramesDropped: 10, FirstCameraVerdictMS: 5200, VideoSeconds: 3.3},
		{FramesSent: 100, FramesDecoded: 100, FramesAnalyzed: 100, FirstCameraVerdictMS: 5400, VideoSeconds: 3.3},
		{FramesSent: 0, FirstCameraVerdictMS: -1, Error: "connect: timeout"},
	}
	got := total(calls)
	want := Totals{Calls: 3, Failed: 1, FramesSent: 200, FramesDecoded: 190, FramesAnalyzed: 145, FramesDropped: 10,
		VideoSeconds: 6.6, DroppedPct: 5, AnalyzedPct: 76.32, FirstCameraVerdictMedianMS: 5400, FirstCameraVerdictMaxMS: 5400, NoCameraVerdict: 1}
	if got != want {
		t.Fatalf("total =\n%+v, want\n%+v", got, want)
	}
}
