package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/vpx"
	"github.com/integritybot/integritybot/media/y4m"
)

// makeLayeredClip encodes n frames of a moving test picture at 320×240@30 with layers
// temporal layers, through the same path as --make-ivf (Y4M in, IVF and layer file out).
func makeLayeredClip(t *testing.T, n, layers int) string {
	t.Helper()
	const w, h = 320, 240
	var y bytes.Buffer
	yw, err := y4m.NewWriter(&y, y4m.Header{Width: w, Height: h, FPSNum: 30, FPSDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: w / 2, Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
	for i := range n {
		for k := range f.Y {
			x, yy := k%w, k/w
			f.Y[k] = byte((x+2*i)/8*24 + (yy+i)/8*40)
		}
		for k := range f.U {
			f.U[k], f.V[k] = byte(100+i), byte(150-i)
		}
		if err := yw.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := yw.Flush(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "clip.ivf")
	got, err := encodeY4M(&y, out, MakeOptions{Width: w, Height: h, FPS: 30, BitrateKbps: 500, KeyframeEvery: time.Second, Layers: layers}.withDefaults())
	if err != nil || got != n {
		t.Fatalf("encode: %d frames, %v", got, err)
	}
	return out
}

func TestMakeLayeredIVF(t *testing.T) {
	path := makeLayeredClip(t, 45, 3)
	c, err := LoadIVF(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Layers != 3 || len(c.Frames) != 45 {
		t.Fatalf("clip with %d layers, %d frames", c.Layers, len(c.Frames))
	}
	last := 0
	for i, f := range c.Frames {
		if f.Keyframe {
			last = i
		}
		k := (i - last) % 4
		if want := []uint8{0, 2, 1, 2}[k]; f.Layer.TID != want || f.Layer.Sync != (k == 1 || k == 2) {
			t.Errorf("frame %d: layer %+v, want TID %d", i, f.Layer, want)
		}
	}
	if !c.Frames[30].Keyframe {
		t.Error("no keyframe after 1 s")
	}
	opt := &Options{Clip: c, Layers: 3}
	if err := checkLayers(opt); err != nil {
		t.Error(err)
	}
	if err := os.WriteFile(path+LayersSuffix, []byte("IBTL\x00\x02"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIVF(path); err == nil || !strings.Contains(err.Error(), "2 entries for 45 frames") {
		t.Errorf("short layer file: %v", err)
	}
	// The same path made again without layers loses its layer file.
	path2 := makeLayeredClip(t, 12, 1)
	c, err = LoadIVF(path2)
	if err != nil || c.Layers != 1 {
		t.Fatalf("clip without layers: %v, %d layers", err, c.Layers)
	}
	if _, err := os.Stat(path2 + LayersSuffix); !os.IsNotExist(err) {
		t.Errorf("layer file for a clip without layers: %v", err)
	}
	if err := checkLayers(&Options{Clip: c, Layers: 3}); err == nil || !strings.Contains(err.Error(), "--layers 3") {
		t.Errorf("3 layers from a clip without: %v", err)
	}
}

// TestLayeredPeer is the whole path without a server: loadgen's publisher sends an L1T3 clip
// over a real pion connection, and a bot session that decodes the base layer only receives it
// (as the room hands the candidate's track to it). It asserts what the bot promises about
// the frames it received, whatever the machine's load: every frame is decoded, dropped or
// skipped as an upper layer frame; only upper layer frames are skipped and, once the base
// layer's rate is known, only base layer frames decoded; nothing is dropped unless packets
// were lost on the way; the coverage note names the base layer and its rate, measured on the
// frames' media timestamps. It waits on events (frames sent, the track's end, the decoder's
// queue drained), each bounded by a guard that only a hang reaches.
func TestLayeredPeer(t *testing.T) {
	const (
		toSend = 90 // 3 s of video, over a keyframe boundary and around the 60-frame clip
		guard  = 2 * time.Minute
		// warmUp bounds the upper layer frames decoded before 3 base layer frames tell the
		// base layer's rate (frames 1–3 and 5–7 of the 0,2,1,2 pattern).
		warmUp = 6
	)
	clip, err := LoadIVF(makeLayeredClip(t, 60, 3))
	if err != nil {
		t.Fatal(err)
	}
	opt := &Options{Clip: clip, Layers: 3, Duration: 4 * time.Second}
	c := &candidate{clip: clip, opt: opt, rng: rand.New(rand.NewPCG(1, 2)), stop: make(chan struct{})}
	pub, err := newAPI(vpx.VP8, func() bool { return false }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if c.pc, err = pub.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	defer c.pc.Close()
	if c.track, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "loadgen"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.pc.AddTrack(c.track); err != nil {
		t.Fatal(err)
	}

	stats := bot.NewStats()
	s := bot.NewSession("peer", report.Candidate{}, time.Now(), bot.Config{BaseLayer: bot.BaseLayerAlways, QueueSize: 64, Stats: stats}, nil, nil, nil)
	defer s.Close()
	recv, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	var (
		in       *bot.VideoInput
		read     wireCount    // what the bot was handed, counted from the packets themselves
		nRead    atomic.Int64 // read.frames, for the test's goroutine
		lastRead atomic.Int64 // unix nanoseconds of the last packet read
	)
	done := make(chan struct{})
	recv.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		defer close(done)
		v, err := s.AddVideo(vpx.VP8, pli{recv, uint32(tr.SSRC())})
		if err != nil {
			t.Error(err)
			return
		}
		in = v
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return // recv closed
			}
			read.add(pkt)
			in.WriteRTP(pkt)
			nRead.Store(read.frames)
			lastRead.Store(time.Now().UnixNano())
		}
	})
	if _, err := recv.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	connect(t, c.pc, recv)
	// Frames sent before the connection is up are lost, and the bot would count the frames
	// up to the next keyframe as dropped.
	waitFor(t, guard, "the publisher's connection", func() bool { return c.pc.ConnectionState() == webrtc.PeerConnectionStateConnected })
	c.startVideo()
	waitFor(t, guard, "frames sent", func() bool { return c.framesSent.Load() >= toSend })
	close(c.stop) // no websocket to close
	c.wg.Wait()
	sent, stopped := c.framesSent.Load(), time.Now().UnixNano()
	// Until every frame sent was read or, its last packets lost on the way (a receiver
	// starved long enough for the socket buffer to overflow), nothing more came for a while.
	waitFor(t, guard, "the frames sent to be read", func() bool {
		return nRead.Load() >= sent || time.Since(time.Unix(0, max(lastRead.Load(), stopped))) > 10*time.Second
	})
	if err := recv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(guard):
		t.Fatalf("the track did not end %s after the receiver closed", guard)
	}
	if in == nil {
		t.Fatal("no track")
	}
	// Every frame received is accounted for once the decoder has emptied its queue; closing
	// the input earlier would drop (and count) what is still queued.
	var st bot.StatsSnapshot
	waitFor(t, guard, "the decoder's queue to drain", func() bool {
		st = stats.Snapshot()
		return st.FramesReceived == st.FramesDecoded+st.FramesDropped+st.FramesLayerSkipped
	})
	in.Close()
	st = stats.Snapshot()
	cov := s.Report(report.Live).Coverage
	t.Logf("sent %d frames, read %d (%d base layer, %d upper layer; %d packets missing); bot: received %d, decoded %d, dropped %d, upper layer skipped %d; note %q",
		sent, read.frames, read.base, read.upper, read.gaps(), st.FramesReceived, st.FramesDecoded, st.FramesDropped, st.FramesLayerSkipped, cov.Note)

	if got := st.FramesDecoded + st.FramesDropped + st.FramesLayerSkipped; got != st.FramesReceived {
		t.Errorf("decoded + dropped + skipped = %d, received %d", got, st.FramesReceived)
	}
	if cov.FramesDecoded != st.FramesDecoded || cov.FramesDropped != st.FramesDropped {
		t.Errorf("coverage %+v disagrees with the stats %+v", cov, st)
	}
	if st.FramesLayerSkipped > read.upper {
		t.Errorf("%d frames skipped, %d upper layer frames read", st.FramesLayerSkipped, read.upper)
	}
	if st.FramesDecoded > read.base+warmUp {
		t.Errorf("%d frames decoded, %d base layer frames read: upper layer frames were decoded", st.FramesDecoded, read.base)
	}
	if st.FramesLayerSkipped == 0 || !strings.Contains(cov.Note, "only the base temporal layer") {
		t.Errorf("%d frames skipped, note %q", st.FramesLayerSkipped, cov.Note)
	}
	if lost := read.gaps() + int(sent-read.frames); lost > 0 {
		// Packets lost on the way (a receiver starved long enough for a socket buffer to
		// overflow): the frames they belonged to, and those up to the next keyframe, are
		// dropped; that is all the bot promises then.
		t.Logf("%d packets and %d frames at the end never arrived: %d frames dropped", read.gaps(), sent-read.frames, st.FramesDropped)
		return
	}
	if read.frames != sent || st.FramesReceived != sent {
		t.Errorf("sent %d frames, read %d, the bot received %d", sent, read.frames, st.FramesReceived)
	}
	if st.FramesDropped != 0 {
		t.Errorf("%d frames dropped though every packet arrived", st.FramesDropped)
	}
	// Nothing dropped: the filter saw every frame, so the rate is the base layer's over the
	// 2 s of media time before the last upper layer frame.
	if want := fmt.Sprintf("about %.1f frames a second", read.baseRate()); !strings.Contains(cov.Note, want) {
		t.Errorf("note %q, want %q", cov.Note, want)
	}
}

// wireCount counts the frames of a VP8 stream by temporal layer from its packets' payload
// descriptors (retransmitted packets once), with their media timestamps.
type wireCount struct {
	frames, base, upper int64
	seqs                map[uint16]bool
	ts                  map[uint32]bool
	baseTS, upperTS     []uint32 // in order of arrival
}

func (w *wireCount) add(pkt *rtp.Packet) {
	if w.seqs == nil {
		w.seqs, w.ts = map[uint16]bool{}, map[uint32]bool{}
	}
	if w.seqs[pkt.SequenceNumber] {
		return
	}
	w.seqs[pkt.SequenceNumber] = true
	var d codecs.VP8Packet
	if _, err := d.Unmarshal(pkt.Payload); err != nil || d.S != 1 || d.PID != 0 || w.ts[pkt.Timestamp] {
		return
	}
	w.ts[pkt.Timestamp] = true
	w.frames++
	if d.TID == 0 {
		w.base++
		w.baseTS = append(w.baseTS, pkt.Timestamp)
	} else {
		w.upper++
		w.upperTS = append(w.upperTS, pkt.Timestamp)
	}
}

// gaps is how many sequence numbers between the lowest and the highest never arrived.
func (w *wireCount) gaps() int {
	if len(w.seqs) == 0 {
		return 0
	}
	var first uint16
	for s := range w.seqs {
		first = s
		break
	}
	lo, hi := 0, 0
	for s := range w.seqs {
		d := int(int16(s - first))
		lo, hi = min(lo, d), max(hi, d)
	}
	return hi - lo + 1 - len(w.seqs)
}

// baseRate is the base layer's frame rate from its media timestamps over the 2 s before the
// last upper layer frame, as the bot measures it (bot/layers.go baseFPS).
func (w *wireCount) baseRate() float64 {
	if len(w.upperTS) == 0 {
		return 0
	}
	last := w.upperTS[len(w.upperTS)-1]
	var newest, oldest uint32
	n := 0
	for i := len(w.baseTS) - 1; i >= 0; i-- {
		d := int32(last - w.baseTS[i])
		if d < 0 {
			continue // after the last upper layer frame
		}
		if d > 2*90000 {
			break
		}
		if n == 0 {
			newest = w.baseTS[i]
		}
		oldest = w.baseTS[i]
		n++
	}
	if n < 3 {
		return 0
	}
	return float64(n-1) * 90000 / float64(int32(newest-oldest))
}

// waitFor polls cond until it holds; past guard (a hang, not a slow machine) it fails the test.
func waitFor(t *testing.T, guard time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(guard); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", guard, what)
		}
	}
}

// pli asks the publisher for a keyframe.
type pli struct {
	pc   *webrtc.PeerConnection
	ssrc uint32
}

func (p pli) RequestKeyframe() error {
	return p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: p.ssrc}})
}

// connect negotiates offer → answer between two local peers without trickle.
func connect(t *testing.T, offerer, answerer *webrtc.PeerConnection) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(offerer)
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		t.Fatal("offerer gathering")
	}
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(answerer)
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		t.Fatal("answerer gathering")
	}
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
}

// TestMeasureBaseLayerDecode (LAYERS_MEASURE=clip.ivf, made with --make-ivf ... --layers 3)
// decodes the clip three times every frame and three times the base layer only, and logs
// the CPU time per second of video: what base-layer-only decoding saves per stream.
func TestMeasureBaseLayerDecode(t *testing.T) {
	path := os.Getenv("LAYERS_MEASURE")
	if path == "" {
		t.Skip("set LAYERS_MEASURE to an IVF made with --layers 3")
	}
	clip, err := LoadIVF(path)
	if err != nil {
		t.Fatal(err)
	}
	if clip.Layers < 2 {
		t.Fatalf("%s has no temporal layers", path)
	}
	for _, maxTID := range []uint8{2, 0} {
		for range 3 {
			dec, err := vpx.NewDecoder(clip.Codec)
			if err != nil {
				t.Fatal(err)
			}
			n, start := 0, time.Now()
			for _, f := range clip.Frames {
				if f.Layer.TID > maxTID {
					continue
				}
				if _, err := dec.Decode(f.Data, f.PTS); err != nil {
					t.Fatal(err)
				}
				n++
			}
			el := time.Since(start)
			dec.Close()
			t.Logf("max TID %d: %d of %d frames in %s: %.1f ms per second of video, %.2f ms per decoded frame",
				maxTID, n, len(clip.Frames), el.Round(time.Millisecond), float64(el.Milliseconds())/clip.Period.Seconds(),
				float64(el.Microseconds())/1000/float64(n))
		}
	}
}

// FuzzLayerFile: any layer file either loads with TIDs 0–3 and no keyframe above the base
// layer, or is refused.
func FuzzLayerFile(f *testing.F) {
	f.Add([]byte("IBTL\x00\x82\x41\x02"), uint8(4))
	f.Add([]byte("IBTL"), uint8(0))
	f.Add([]byte("IBTX\x00"), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		c := &Clip{Layers: 1}
		for i := range int(n % 16) {
			c.Frames = append(c.Frames, Frame{Keyframe: i%5 == 0})
		}
		if err := c.setLayers(b); err != nil {
			return
		}
		for i, fr := range c.Frames {
			if fr.Layer.TID > 3 || fr.Keyframe && fr.Layer.TID != 0 || int(fr.Layer.TID) >= c.Layers {
				t.Fatalf("frame %d: %+v, clip layers %d", i, fr, c.Layers)
			}
		}
	})
}
