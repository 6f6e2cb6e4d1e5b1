package loadgen

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
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
// (as the room hands the candidate's track to it): it decodes about a quarter of the frames,
// drops none, and its coverage note says so.
func TestLayeredPeer(t *testing.T) {
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

	s := bot.NewSession("peer", report.Candidate{}, time.Now(), bot.Config{BaseLayer: bot.BaseLayerAlways, QueueSize: 64}, nil, nil, nil)
	defer s.Close()
	recv, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	done := make(chan struct{})
	recv.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		defer close(done)
		in, err := s.AddVideo(vpx.VP8, pli{recv, uint32(tr.SSRC())})
		if err != nil {
			t.Error(err)
			return
		}
		defer in.Close()
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			in.WriteRTP(pkt)
			if s.Report(report.Live).Coverage.FramesDecoded >= 28 {
				return
			}
		}
	})
	if _, err := recv.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	connect(t, c.pc, recv)
	// Frames sent before the connection is up are lost, and the bot would count the frames
	// up to the next keyframe as dropped.
	for deadline := time.Now().Add(10 * time.Second); c.pc.ConnectionState() != webrtc.PeerConnectionStateConnected; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not connected")
		}
	}
	c.startVideo()
	defer func() { close(c.stop); c.wg.Wait() }() // no websocket to close
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the bot decoded too few frames in 15 s")
	}
	cov := s.Report(report.Live).Coverage
	sent := c.framesSent.Load()
	t.Logf("sent %d frames; coverage %+v", sent, cov)
	if cov.FramesDropped != 0 {
		t.Errorf("%d frames dropped", cov.FramesDropped)
	}
	// 3 base layer frames tell the base layer's rate (frames 0–8), then every 4th frame.
	if cov.FramesDecoded > 9+(sent-9)/4+1 {
		t.Errorf("decoded %d of %d frames sent: more than the base layer", cov.FramesDecoded, sent)
	}
	// 7.5 fps, a little more here because the 1 s keyframes restart the 4-frame pattern.
	if !strings.Contains(cov.Note, "only the base temporal layer") || !regexp.MustCompile(`about [78]\.\d frames a second`).MatchString(cov.Note) {
		t.Errorf("note %q", cov.Note)
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
