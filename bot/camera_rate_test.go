package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/vpx"
)

// sentStream encodes n frames of the scene at fps (a keyframe where key says) and packetizes
// them as a browser would: per frame, its RTP packets with the frame's 90 kHz timestamp.
func sentStream(t *testing.T, n, fps int, key func(i int) bool) [][]*rtp.Packet {
	t.Helper()
	enc, err := vpx.NewEncoder(vpx.VP8, 320, 240, fps, 300)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	gen := scene(320, 240)
	pay := &codecs.VP8Payloader{EnablePictureID: true}
	seq := uint16(1000)
	var out [][]*rtp.Packet
	for i := range n {
		f := gen(i)
		f.PTS = time.Duration(i) * time.Second / time.Duration(fps)
		pkts, err := enc.Encode(f, key(i))
		if err != nil || len(pkts) != 1 {
			t.Fatalf("frame %d: %v (%d packets)", i, err, len(pkts))
		}
		var frame []*rtp.Packet
		payloads := pay.Payload(1200, pkts[0].Data)
		for k, p := range payloads {
			frame = append(frame, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
				Timestamp: uint32(i * 90000 / fps), SSRC: 1, Marker: k == len(payloads)-1}, Payload: p})
			seq++
		}
		out = append(out, frame)
	}
	return out
}

func cameraCheck(t *testing.T, r *report.Report) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == report.CheckCamera {
			return c
		}
	}
	t.Fatalf("no camera check in %+v", r.Checks)
	return report.Check{}
}

// TestCameraRateIsTheSenders: the camera check judges the frame rate the candidate sent, not
// the one this machine decoded (issue 12). A 30 fps camera of which the bot decoded only
// every 7th frame, 4.3 a second (here each frame after a keyframe is lost, so the others are
// skipped until the next keyframe, as after a frame dropped from a full decode queue), gets
// no low_fps finding; a camera that sent 3 frames a second, every one decoded, does. Frames
// carry their sender's timestamps and a fake clock: nothing depends on the machine's speed.
func TestCameraRateIsTheSenders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, fps  int
		every   int // a keyframe every this many frames; the frame after it is lost
		lose    bool
		wantLow string
	}{
		{name: "30 fps sent, 4.3 decoded", n: 240, fps: 30, every: 7, lose: true},
		{name: "3 fps sent and decoded", n: 30, fps: 3, every: 1000, wantLow: "3.0 frames per second"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames := sentStream(t, tc.n, tc.fps, func(i int) bool { return i%tc.every == 0 })
			clk := newClock()
			s := bot.NewSession("t", report.Candidate{}, clk.now(), bot.Config{QueueSize: 1024}, nil, nil, clk.now)
			defer s.Close()
			s.TrackEvent(bot.ParticipantJoined, "")
			s.TrackEvent(bot.TrackAdded, "")
			in, err := s.AddVideo(vpx.VP8, &plis{})
			if err != nil {
				t.Fatal(err)
			}
			want := int64(0) // frames the bot can decode
			for i, pkts := range frames {
				clk.add(time.Second / time.Duration(tc.fps))
				if tc.lose && i%tc.every == 1 {
					continue
				}
				if !tc.lose || i%tc.every == 0 {
					want++
				}
				for _, p := range pkts {
					in.WriteRTP(p)
				}
			}
			waitDecoded(t, s, want)
			in.Close()
			r := s.End(context.Background(), report.Final)
			c := cameraCheck(t, r)
			t.Logf("camera %s: %s; coverage %+v", c.Status, c.Summary, r.Coverage)
			if r.Coverage.FramesDecoded != want {
				t.Fatalf("decoded %d frames, want %d (coverage %+v)", r.Coverage.FramesDecoded, want, r.Coverage)
			}
			var low []string
			for _, e := range c.Evidence {
				if e.Kind == "low_fps" {
					low = append(low, e.Detail)
				}
			}
			if tc.wantLow == "" {
				// The scenario is one the decoded frames alone would call a collapse.
				if rate := float64(want) / r.Coverage.VideoSeconds; rate >= 5 {
					t.Fatalf("decoded %.1f frames a second: not below the camera check's 5", rate)
				}
				if r.Coverage.FramesDropped == 0 || len(low) > 0 || c.Status != report.Pass {
					t.Fatalf("camera %s (%s), low_fps %q, dropped %d; want pass without low_fps, frames dropped",
						c.Status, c.Summary, low, r.Coverage.FramesDropped)
				}
				return
			}
			if c.Status != report.Warn || len(low) == 0 || !strings.Contains(low[0], tc.wantLow) {
				t.Fatalf("camera %s (%s), low_fps %q; want warn, %q", c.Status, c.Summary, low, tc.wantLow)
			}
		})
	}
}

// TestCameraGapIsTheSenders: a stretch of received frames the bot could not decode (here a
// lost frame leaves the rest undecodable until the next keyframe, 4 s later, as frames
// dropped from a full queue do) is no "no picture arrived" gap, in the live report during the
// stretch nor in the final one; a sender that really sent nothing for 4 s still gets one.
func TestCameraGapIsTheSenders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		skip    func(i int) bool // frames not sent (or lost on the way)
		wantGap bool
	}{
		{"frame 1 lost, no keyframe for 4 s", func(i int) bool { return i == 1 }, false},
		{"nothing sent for 4 s", func(i int) bool { return i >= 30 && i < 150 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 270
			frames := sentStream(t, n, 30, func(i int) bool { return i == 0 || i == 150 })
			clk := newClock()
			s := bot.NewSession("t", report.Candidate{}, clk.now(), bot.Config{QueueSize: 1024}, nil, nil, clk.now)
			defer s.Close()
			s.TrackEvent(bot.ParticipantJoined, "")
			s.TrackEvent(bot.TrackAdded, "")
			in, err := s.AddVideo(vpx.VP8, &plis{})
			if err != nil {
				t.Fatal(err)
			}
			want := int64(0)
			var live *report.Report
			for i, pkts := range frames {
				clk.add(time.Second / 30)
				if i == 140 && !tc.wantGap {
					// 4.6 s into the call, 4.6 s after the last decoded frame: frames kept arriving.
					waitDecoded(t, s, want)
					live = s.Report(report.Live)
				}
				if tc.skip(i) {
					continue
				}
				if i == 0 || i >= 150 || tc.wantGap {
					want++
				}
				for _, p := range pkts {
					in.WriteRTP(p)
				}
			}
			waitDecoded(t, s, want)
			in.Close()
			r := s.End(context.Background(), report.Final)
			c := cameraCheck(t, r)
			t.Logf("camera %s: %s; coverage %+v", c.Status, c.Summary, r.Coverage)
			if r.Coverage.FramesDecoded != want {
				t.Fatalf("decoded %d frames, want %d (coverage %+v)", r.Coverage.FramesDecoded, want, r.Coverage)
			}
			if got := hasKind(c, "no_frames"); got != tc.wantGap {
				t.Fatalf("final camera %s (%s) %+v: no_frames %v, want %v", c.Status, c.Summary, c.Evidence, got, tc.wantGap)
			}
			if live != nil {
				if lc := cameraCheck(t, live); hasKind(lc, "no_frames") {
					t.Fatalf("live camera during the undecoded stretch %s (%s) %+v: no_frames", lc.Status, lc.Summary, lc.Evidence)
				}
			}
			if hasKind(c, "low_fps") {
				t.Fatalf("camera %s: low_fps %+v", c.Status, c.Evidence)
			}
		})
	}
}

func hasKind(c report.Check, kind string) bool {
	for _, e := range c.Evidence {
		if e.Kind == kind {
			return true
		}
	}
	return false
}
