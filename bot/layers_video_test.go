package bot_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/rtpframe"
	"github.com/integritybot/integritybot/media/vpx"
)

// layeredStream encodes n frames of 320×240@30 in three temporal layers (libvpx, as a
// browser's L1T3) and packetizes them with the layer descriptor.
func layeredStream(t *testing.T, n int) []*rtp.Packet {
	t.Helper()
	enc, err := vpx.NewTemporalEncoder(vpx.VP8, 320, 240, 30, 600, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	gen := scene(320, 240)
	pz := &rtpframe.VP8Packetizer{PictureID: 100}
	var out []*rtp.Packet
	seq := uint16(500)
	for i := range n {
		f := gen(i)
		f.PTS = time.Duration(i) * time.Second / 30
		pkts, err := enc.Encode(f, i == 0)
		if err != nil || len(pkts) != 1 {
			t.Fatalf("frame %d: %v (%d packets)", i, err, len(pkts))
		}
		p := pkts[0]
		payloads := pz.Payload(1200, p.Data, rtpframe.Layer{TID: p.TID, Sync: p.LayerSync, NonRef: p.NonRef})
		for k, pl := range payloads {
			out = append(out, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
				Timestamp: uint32(i * 3000), SSRC: 1, Marker: k == len(payloads)-1}, Payload: pl})
			seq++
		}
	}
	return out
}

// TestVideoInputBaseLayer feeds one real L1T3 stream to a session that decodes every frame
// and to one that decodes the base layer only: the second decodes a quarter of the frames
// once it has measured the base layer's rate, drops none, asks for no more keyframes than
// the first, covers the same video time, and its report says what it did. /metrics' counts
// (bot.Stats) agree: every frame received is decoded, dropped or layer-skipped, and the
// session counts as decoding the base layer only while it does (not once its video closed).
func TestVideoInputBaseLayer(t *testing.T) {
	const n = 120
	pkts := layeredStream(t, n)
	results := map[bot.LayerMode]*report.Report{}
	requests := map[bot.LayerMode]int64{}
	for _, mode := range []bot.LayerMode{bot.BaseLayerNever, bot.BaseLayerAlways} {
		clk := newClock()
		stats := bot.NewStats()
		s := bot.NewSession("t", report.Candidate{}, clk.now(), bot.Config{QueueSize: 256, BaseLayer: mode, Stats: stats}, nil, nil, clk.now)
		kf := &plis{}
		in, err := s.AddVideo(vpx.VP8, kf)
		if err != nil {
			t.Fatal(err)
		}
		feed(in, clk, pkts, 4*time.Second/time.Duration(len(pkts)), nil)
		want := int64(n)
		if mode == bot.BaseLayerAlways {
			want = baseOnly(n)
		}
		waitDecoded(t, s, want)
		// The frames after the last base layer frame are skipped, not decoded: wait for them.
		skipped := strconv.FormatInt(int64(n)-want, 10) + " frames of the upper layers"
		for deadline := time.Now().Add(2 * time.Minute); mode == bot.BaseLayerAlways &&
			!strings.Contains(s.Report(report.Live).Coverage.Note, skipped) && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		wantOn := 0
		if mode == bot.BaseLayerAlways {
			wantOn = 1
		}
		if live := stats.Snapshot(); live.BaseOnly != wantOn {
			t.Errorf("%s: %d sessions decoding the base layer only, want %d", mode, live.BaseOnly, wantOn)
		}
		in.Close()
		if live := stats.Snapshot(); live.BaseOnly != 0 {
			t.Errorf("%s: video closed, still %d sessions decoding the base layer only", mode, live.BaseOnly)
		}
		requests[mode] = kf.n.Load()
		results[mode] = s.Report(report.Live)
		s.Close()
		st := stats.Snapshot()
		if st.FramesLayerSkipped != int64(n)-want || st.FramesDecoded+st.FramesDropped+st.FramesLayerSkipped != n || st.BaseOnly != 0 {
			t.Errorf("%s: stats decoded %d + dropped %d + layer-skipped %d (want %d skipped, %d in all), base-only %d after close",
				mode, st.FramesDecoded, st.FramesDropped, st.FramesLayerSkipped, int64(n)-want, n, st.BaseOnly)
		}
	}
	all, base := results[bot.BaseLayerNever].Coverage, results[bot.BaseLayerAlways].Coverage
	t.Logf("every layer: %+v; base layer: %+v; keyframe requests %v", all, base, requests)
	if all.FramesDecoded != n || all.Note != "" {
		t.Errorf("never: decoded %d of %d, note %q", all.FramesDecoded, n, all.Note)
	}
	if want := baseOnly(n); base.FramesDecoded != want {
		t.Errorf("always: decoded %d frames, want %d", base.FramesDecoded, want)
	}
	if all.FramesDropped != 0 || base.FramesDropped != 0 {
		t.Errorf("dropped frames: every layer %d, base layer %d", all.FramesDropped, base.FramesDropped)
	}
	if requests[bot.BaseLayerAlways] > requests[bot.BaseLayerNever] {
		t.Errorf("base layer decoding asked for %d keyframes, full decoding %d", requests[bot.BaseLayerAlways], requests[bot.BaseLayerNever])
	}
	if base.VideoSeconds < all.VideoSeconds-0.2 {
		t.Errorf("base layer covers %.2f s of video, every layer %.2f s", base.VideoSeconds, all.VideoSeconds)
	}
	skipped := n - base.FramesDecoded
	for _, w := range []string{"only the base temporal layer", "about 7.5 frames a second", "interview.base_layer: always",
		strconv.FormatInt(skipped, 10) + " frames of the upper layers"} {
		if !strings.Contains(base.Note, w) {
			t.Errorf("note %q lacks %q", base.Note, w)
		}
	}
}

// baseOnly is how many of n L1T3 frames are decoded at the base layer only: frames 0–8 (3
// base layer frames tell the base layer's rate), then every 4th.
func baseOnly(n int) int64 {
	k := int64(min(n, 9))
	for i := 9; i < n; i++ {
		if i%4 == 0 {
			k++
		}
	}
	return k
}
