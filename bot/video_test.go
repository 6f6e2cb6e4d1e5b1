package bot_test

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/vpx"
)

type plis struct{ n atomic.Int64 }

func (p *plis) RequestKeyframe() error { p.n.Add(1); return nil }

type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.t.Load()) }
func (c *fakeClock) add(d time.Duration) { c.t.Add(int64(d)) }
func newClock() *fakeClock               { c := &fakeClock{}; c.t.Store(int64(time.Hour)); return c }

func waitDecoded(t *testing.T, s *bot.Session, n int64) *report.Report {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a hang guard, not a speed limit
	for {
		r := s.Report(report.Live)
		if r.Coverage.FramesDecoded >= n {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("decoded %d frames, want %d (coverage %+v)", r.Coverage.FramesDecoded, n, r.Coverage)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func feed(in *bot.VideoInput, clk *fakeClock, pkts []*rtp.Packet, perPacket time.Duration, skip func(i int) bool) {
	for i, p := range pkts {
		clk.add(perPacket)
		if skip != nil && skip(i) {
			continue
		}
		in.WriteRTP(p)
	}
}

func TestVideoInput(t *testing.T) {
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		t.Run(c.String(), func(t *testing.T) {
			frames := encodeStream(t, c, 320, 240, 90)
			pkts := packetize(c, frames)
			clk := newClock()
			s := bot.NewSession("t", report.Candidate{}, clk.now(), bot.Config{QueueSize: 128}, nil, nil, clk.now)
			defer s.Close()
			kf := &plis{}
			in, err := s.AddVideo(c, kf)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			feed(in, clk, pkts, 3*time.Second/time.Duration(len(pkts)), nil)
			r := waitDecoded(t, s, 90)
			if r.Coverage.FramesDropped != 0 {
				t.Errorf("dropped %d frames of a clean stream", r.Coverage.FramesDropped)
			}
			if r.Coverage.VideoSeconds < 2.9 || r.Coverage.VideoSeconds > 3.1 {
				t.Errorf("video seconds = %v, want ~3", r.Coverage.VideoSeconds)
			}
		})
	}
}

func TestVideoInputLossAsksForKeyframe(t *testing.T) {
	frames := encodeStream(t, vpx.VP8, 320, 240, 60)
	pkts := packetize(vpx.VP8, frames)
	clk := newClock()
	s := bot.NewSession("t", report.Candidate{}, clk.now(), bot.Config{QueueSize: 128}, nil, nil, clk.now)
	defer s.Close()
	kf := &plis{}
	in, err := s.AddVideo(vpx.VP8, kf)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	before := kf.n.Load()
	lost := len(pkts) / 2
	feed(in, clk, pkts, time.Second/time.Duration(len(pkts)), func(i int) bool { return i == lost })
	deadline := time.Now().Add(2 * time.Minute) // a hang guard, not a speed limit
	for s.Report(report.Live).Coverage.FramesDropped == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r := s.Report(report.Live)
	if r.Coverage.FramesDropped == 0 {
		t.Fatal("a lost packet was not counted as dropped frames")
	}
	if kf.n.Load() <= before {
		t.Fatal("no keyframe requested after loss")
	}
	// A keyframe resumes decoding.
	again := packetize(vpx.VP8, encodeStream(t, vpx.VP8, 320, 240, 10))
	for _, p := range again {
		p.SequenceNumber += uint16(len(pkts))
		p.Timestamp += uint32(len(frames) * 3000)
	}
	decodedBefore := r.Coverage.FramesDecoded
	feed(in, clk, again, 10*time.Millisecond, nil)
	waitDecoded(t, s, decodedBefore+10)
}

func TestVideoInputGarbageRTP(t *testing.T) {
	clk := newClock()
	s := bot.NewSession("t", report.Candidate{}, clk.now(), bot.Config{}, nil, nil, clk.now)
	defer s.Close()
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		in, err := s.AddVideo(c, &plis{})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		for i := 0; i < 5000; i++ {
			payload := make([]byte, rng.IntN(1300))
			for k := range payload {
				payload[k] = byte(rng.Uint32())
			}
			if len(payload) > 0 && rng.IntN(4) == 0 {
				payload[0] = 0x90 // plausible VP8 descriptor, garbage frame
			}
			clk.add(time.Millisecond)
			in.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(rng.Uint32()),
				Timestamp: rng.Uint32(), Marker: rng.IntN(2) == 0}, Payload: payload})
		}
		in.Close()
	}
	if r := s.Report(report.Live); r.Coverage.FramesAnalyzed != 0 && r.Checks[0].Status == report.Pass {
		t.Fatalf("garbage RTP produced a passing camera check: %+v", r.Checks[0])
	}
}

// TestVideoInputAccountsEveryFrame: frames still queued for the decoder when the track ends
// are counted as dropped, so every frame received is decoded or dropped whatever the decoder
// managed to do before Close (here as much as the scheduler allowed: nothing is waited for).
func TestVideoInputAccountsEveryFrame(t *testing.T) {
	for _, c := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		t.Run(c.String(), func(t *testing.T) {
			frames := encodeStream(t, c, 320, 240, 60)
			pkts := packetize(c, frames)
			clk := newClock()
			stats := bot.NewStats()
			s := bot.NewSession("t", report.Candidate{}, clk.now(), bot.Config{QueueSize: 128, Stats: stats}, nil, nil, clk.now)
			in, err := s.AddVideo(c, &plis{})
			if err != nil {
				t.Fatal(err)
			}
			feed(in, clk, pkts, 2*time.Second/time.Duration(len(pkts)), nil)
			in.Close()
			r := s.End(context.Background(), report.Final)
			st := stats.Snapshot()
			if st.FramesReceived != int64(len(frames)) {
				t.Errorf("frames received %d, want the %d sent", st.FramesReceived, len(frames))
			}
			if got := r.Coverage.FramesDecoded + r.Coverage.FramesDropped; got != st.FramesReceived {
				t.Errorf("decoded %d + dropped %d = %d, want every one of the %d frames received",
					r.Coverage.FramesDecoded, r.Coverage.FramesDropped, got, st.FramesReceived)
			}
			if st.FramesDecoded != r.Coverage.FramesDecoded || st.FramesDropped != r.Coverage.FramesDropped {
				t.Errorf("stats %+v disagree with the report's coverage %+v", st, r.Coverage)
			}
		})
	}
}
