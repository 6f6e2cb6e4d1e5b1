package room_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
	ibmedia "github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/camera"
	"github.com/integritybot/integritybot/media/vpx"
)

type fixture struct {
	m     *room.Manager
	st    *store.Store
	srv   *httptest.Server
	id    string
	stats *bot.Stats

	mu    sync.Mutex
	calls map[string]bot.Call // what the room attached, as the interview service keeps it
}

// attach is the rooms' Config.Attach: it lists a room's call until the room releases it.
func (f *fixture) attach(id string, c bot.Call) func() {
	f.mu.Lock()
	f.calls[id] = c
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		if f.calls[id] == c {
			delete(f.calls, id)
		}
		f.mu.Unlock()
	}
}

func (f *fixture) call() (bot.Call, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.calls[f.id]
	return c, ok
}

// live is the running room's report (false: no room runs).
func (f *fixture) live() (*report.Report, bool) {
	c, ok := f.call()
	if !ok {
		return nil, false
	}
	return c.Live(), true
}

// end ends the running room and returns its final report (false: no room runs).
func (f *fixture) end(ctx context.Context, reason string) (*report.Report, bool) {
	c, ok := f.call()
	if !ok {
		return nil, false
	}
	return c.End(ctx, reason), true
}

// wait bounds every wait on an event in these tests. It is a guard against a hang, not a
// measure of speed: on a loaded machine things take longer, and no assertion depends on how
// long they took.
const wait = 2 * time.Minute

func newFixture(t *testing.T, codec string, opts ...func(*room.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "ib.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id := "interview1"
	if err := st.CreateInterview(ctx, store.Interview{ID: id, Candidate: report.Candidate{Name: "Jane Doe"},
		CreatedAt: time.Now(), State: report.Scheduled}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stats := bot.NewStats()
	cfg := room.Config{
		IncludeLoopback: true, VideoCodec: codec, StartBitrateKbps: 1500, // LiveInterval: the session's ReportInterval
		Session: bot.Config{ReportInterval: 200 * time.Millisecond, Stats: stats,
			// A queue that holds every frame of a test call: how many frames a starved decoder
			// drops is the machine's doing, not the room's (bot's tests cover dropping).
			QueueSize: 4096,
			// A gap or a frame rate collapse is what a CPU-starved sender shows too; these
			// tests are about forwarding and analysis, not about the machine's speed.
			Camera: camera.Config{MinVideo: 2 * time.Second, MinWidth: 160, MinHeight: 120,
				NoFramesAfter: time.Hour, MinFPS: 0.01}},
	}
	for _, o := range opts {
		o(&cfg)
	}
	f := &fixture{st: st, id: id, stats: stats, calls: map[string]bot.Call{}}
	cfg.Attach = f.attach
	m, err := room.NewManager(cfg, store.Rooms{Store: st}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	f.m = m
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.ServeWS(w, r, r.URL.Query().Get("id"), r.URL.Query().Get("role"))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// client is a pion peer acting as a browser: it follows docs/protocol.md.
type client struct {
	t        *testing.T
	ws       *websocket.Conn
	pc       *webrtc.PeerConnection
	wmu      sync.Mutex
	msgs     chan map[string]any
	videoPkt atomic.Int64
	sent     atomic.Int64 // video frames sent
	plis     atomic.Int64 // keyframe requests received
	candMu   sync.Mutex
	cands    []string // every ICE candidate the server trickled, in order
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (f *fixture) dial(t *testing.T, role string) *client {
	t.Helper()
	url := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/?id=" + f.id + "&role=" + role
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, ws: ws, pc: pc, msgs: make(chan map[string]any, 256), stop: make(chan struct{})}
	pc.OnICECandidate(func(ic *webrtc.ICECandidate) {
		if ic != nil {
			c.send(map[string]any{"type": "candidate", "candidate": ic.ToJSON()})
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			if tr.Kind() == webrtc.RTPCodecTypeVideo {
				c.videoPkt.Add(1)
			}
		}
	})
	c.wg.Add(1)
	go c.read()
	t.Cleanup(c.close)
	return c
}

func (c *client) send(v any) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteJSON(v)
}

func (c *client) read() {
	defer c.wg.Done()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			close(c.msgs)
			return
		}
		var msg map[string]any
		if json.Unmarshal(data, &msg) != nil {
			continue
		}
		switch msg["type"] {
		case "answer":
			if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: msg["sdp"].(string)}); err != nil {
				c.t.Errorf("set answer: %v", err)
			}
		case "candidate":
			b, _ := json.Marshal(msg["candidate"])
			var ic webrtc.ICECandidateInit
			_ = json.Unmarshal(b, &ic)
			_ = c.pc.AddICECandidate(ic)
			c.candMu.Lock()
			c.cands = append(c.cands, ic.Candidate)
			c.candMu.Unlock()
		}
		select {
		case c.msgs <- msg:
		default:
		}
	}
}

// offer sends the client's offer (the client always offers).
func (c *client) offer() {
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.pc.SetLocalDescription(offer); err != nil {
		c.t.Fatal(err)
	}
	c.send(map[string]any{"type": "offer", "sdp": offer.SDP})
}

// sendVideo streams encoded frames from gen at fps until the client closes.
func (c *client) sendVideo(codec vpx.Codec, w, h, fps int, gen func(i int) *ibmedia.Frame) {
	mime := webrtc.MimeTypeVP8
	if codec == vpx.VP9 {
		mime = webrtc.MimeTypeVP9
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: mime}, "video", "cam")
	if err != nil {
		c.t.Fatal(err)
	}
	sender, err := c.pc.AddTrack(track)
	if err != nil {
		c.t.Fatal(err)
	}
	// Like a browser, answer a keyframe request with a keyframe.
	var wantKey atomic.Bool
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					c.plis.Add(1)
					wantKey.Store(true)
				}
			}
		}
	}()
	enc, err := vpx.NewEncoder(codec, w, h, fps, 800)
	if err != nil {
		c.t.Fatal(err)
	}
	// Pictures are made once and cycled. Each sample lasts 1/fps of RTP time however late the
	// loaded machine sends it: the analysis sees a steady camera, and the room's clock in
	// these tests is driven by the test, not the wall.
	pics := make([]*ibmedia.Frame, 30)
	for i := range pics {
		pics[i] = gen(i)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer enc.Close()
		tick := time.NewTicker(time.Second / time.Duration(fps))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-c.stop:
				return
			case <-tick.C:
			}
			f := pics[i%len(pics)]
			f.PTS = time.Duration(i) * time.Second / time.Duration(fps)
			pkts, err := enc.Encode(f, i%60 == 0 || wantKey.Swap(false))
			if err != nil {
				c.t.Errorf("encode: %v", err)
				return
			}
			for _, p := range pkts {
				if track.WriteSample(media.Sample{Data: p.Data, Duration: time.Second / time.Duration(fps)}) == nil {
					c.sent.Add(1)
				}
			}
		}
	}()
}

// waitFor returns the next message of type typ.
func (c *client) waitFor(typ string) map[string]any {
	c.t.Helper()
	d := wait
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				c.t.Fatalf("socket closed while waiting for %q", typ)
			}
			if m["type"] == typ {
				return m
			}
		case <-deadline:
			c.t.Fatalf("no %q message within %s", typ, d)
		}
	}
}

func (c *client) close() {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	_ = c.pc.Close()
	_ = c.ws.Close()
	c.wg.Wait()
}

// textured returns a noisy moving picture, like a real camera.
func textured(w, h int) func(i int) *ibmedia.Frame {
	rng := rand.New(rand.NewPCG(1, 2))
	return func(i int) *ibmedia.Frame {
		f := &ibmedia.Frame{Width: w, Height: h, YStride: w, UVStride: w / 2,
			Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := ((x+2*i)/8+(y+i)/8)%2*80 + 60 + rng.IntN(8)
				f.Y[y*w+x] = byte(v)
			}
		}
		for k := range f.U {
			f.U[k], f.V[k] = 120, 135
		}
		return f
	}
}

func black(w, h int) func(int) *ibmedia.Frame {
	return func(int) *ibmedia.Frame {
		f := &ibmedia.Frame{Width: w, Height: h, YStride: w, UVStride: w / 2,
			Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
		for k := range f.Y {
			f.Y[k] = 16
		}
		for k := range f.U {
			f.U[k], f.V[k] = 128, 128
		}
		return f
	}
}

// waitUntil polls cond until it holds; wait only guards against a hang.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", wait, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func cameraCheck(r *report.Report) report.Check {
	for _, c := range r.Checks {
		if c.ID == report.CheckCamera {
			return c
		}
	}
	return report.Check{}
}

// fakeClock is the rooms' clock in tests that must not depend on the wall clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestRoomForwardsAndAnalyzes: the room forwards the candidate's video to the interviewer and
// the bot decodes and judges it. The room's clock stands still, so call time is the video's
// own (RTP) time: the verdict depends on the pictures sent, not on how fast a loaded machine
// sent, received or decoded them. Frames are counted at both ends: every frame the bot
// received is decoded or counted as dropped, and it cannot receive more than was sent.
func TestRoomForwardsAndAnalyzes(t *testing.T) {
	cases := []struct {
		name   string
		codec  vpx.Codec
		cfg    string
		gen    func(w, h int) func(int) *ibmedia.Frame
		status report.Status
	}{
		{"vp8 camera", vpx.VP8, "vp8", textured, report.Pass},
		{"vp9 camera", vpx.VP9, "vp9", textured, report.Pass},
		{"vp8 black", vpx.VP8, "vp8", black, report.Fail},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.cfg, func(c *room.Config) { c.Now = newFakeClock().Now })
			iv := f.dial(t, room.Interviewer)
			iv.waitFor("welcome")
			for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
				if _, err := iv.pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
					t.Fatal(err)
				}
			}
			iv.offer()
			iv.waitFor("answer")

			cand := f.dial(t, room.Candidate)
			cand.waitFor("welcome")
			cand.sendVideo(tc.codec, 320, 240, 30, tc.gen(320, 240))
			cand.offer()
			cand.waitFor("answer")
			iv.waitFor("peer")

			waitUntil(t, "interviewer receives the candidate's video", func() bool { return iv.videoPkt.Load() > 50 })
			var live report.Check
			waitUntil(t, "the camera check's verdict on the live report", func() bool {
				r, ok := f.live()
				live = cameraCheck(r)
				return ok && (live.Status == tc.status || live.Status == report.Fail && tc.status == report.Pass)
			})
			if live.Status != tc.status {
				t.Fatalf("live camera = %s (%s) %+v; want %s", live.Status, live.Summary, live.Evidence, tc.status)
			}
			r, ok := f.end(context.Background(), "test over")
			if !ok {
				t.Fatal("End: room not live")
			}
			cand.close() // stop sending: nothing is received after End
			st := f.stats.Snapshot()
			sent := cand.sent.Load()
			t.Logf("frames sent %d, received %d, decoded %d, dropped %d; keyframe requests %d",
				sent, st.FramesReceived, st.FramesDecoded, st.FramesDropped, cand.plis.Load())
			if r.State != report.Final || r.Coverage.FramesDecoded == 0 {
				t.Fatalf("report state %s, frames decoded %d; want final with frames", r.State, r.Coverage.FramesDecoded)
			}
			if got := r.Coverage.FramesDecoded + r.Coverage.FramesDropped + st.FramesLayerSkipped; got != st.FramesReceived {
				t.Errorf("decoded %d + dropped %d + skipped %d = %d; want every one of the %d frames received",
					r.Coverage.FramesDecoded, r.Coverage.FramesDropped, st.FramesLayerSkipped, got, st.FramesReceived)
			}
			if st.FramesReceived > sent {
				t.Errorf("the bot received %d frames of the %d sent", st.FramesReceived, sent)
			}
			if r.Coverage.FramesDecoded != st.FramesDecoded || r.Coverage.FramesDropped != st.FramesDropped {
				t.Errorf("final coverage %+v disagrees with the session's counters %+v", r.Coverage, st)
			}
			if c := cameraCheck(r); c.Status != tc.status {
				t.Fatalf("camera = %s (%s) %+v; want %s", c.Status, c.Summary, c.Evidence, tc.status)
			}
			iv.waitFor("ended")
			stored, err := f.st.GetReport(context.Background(), f.id)
			if err != nil || stored.State != report.Final || stored.Coverage != r.Coverage {
				t.Fatalf("stored report: %v %+v", err, stored)
			}
			if _, ok := f.live(); ok {
				t.Fatal("room still live after End")
			}
		})
	}
}

func TestCandidateWithoutCamera(t *testing.T) {
	f := newFixture(t, "vp8")
	cand := f.dial(t, room.Candidate)
	cand.waitFor("welcome")
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := cand.pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	cand.send(map[string]any{"type": "track", "kind": "video", "state": "none", "error": "NotAllowedError"})
	cand.offer()
	cand.waitFor("answer")
	waitUntil(t, "no-video finding", func() bool {
		r, _ := f.live()
		return r != nil && cameraCheck(r).Status == report.Fail
	})
	r, _ := f.end(context.Background(), "test over")
	c := cameraCheck(r)
	if c.Status != report.Fail || len(c.Evidence) == 0 || c.Evidence[0].Kind != "no_video" {
		t.Fatalf("camera = %s %+v; want fail with no_video", c.Status, c.Evidence)
	}
}

func TestBadSignaling(t *testing.T) {
	f := newFixture(t, "vp8")
	c := f.dial(t, room.Candidate)
	c.waitFor("welcome")
	for _, msg := range []string{`{"type":`, `{"type":"bogus"}`, `{"type":"offer","sdp":"v=0 garbage"}`, `[]`, `{"type":"track","kind":"video","state":"exploded"}`} {
		c.wmu.Lock()
		_ = c.ws.WriteMessage(websocket.TextMessage, []byte(msg))
		c.wmu.Unlock()
		e := c.waitFor("error")
		if s, _ := e["error"].(string); s == "" {
			t.Fatalf("%s: error message without text", msg)
		}
	}
	// The socket and the room survive: a later good offer is answered.
	if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	c.offer()
	c.waitFor("answer")
}

// TestDeploymentICE checks what a deployment behind NAT configures: the advertised public
// address replaces local ones, and media ports stay inside the firewall's range.
func TestDeploymentICE(t *testing.T) {
	f := newFixture(t, "vp8", func(c *room.Config) {
		c.PublicIPs = []string{"203.0.113.7"}
		c.UDPPortMin, c.UDPPortMax = 42000, 42010
	})
	c := f.dial(t, room.Candidate)
	c.waitFor("welcome")
	if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	c.offer()
	answer := c.waitFor("answer")["sdp"].(string)
	cands := []string{}
	for _, l := range strings.Split(answer, "\r\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			cands = append(cands, l)
		}
	}
	// Candidates trickle from the moment the server sets its answer, possibly before the answer
	// message itself: the client records them all as they come.
	waitUntil(t, "a server ICE candidate with the public address", func() bool {
		c.candMu.Lock()
		defer c.candMu.Unlock()
		return strings.Contains(strings.Join(append(append([]string{}, cands...), c.cands...), "\n"), " 203.0.113.7 ")
	})
	c.candMu.Lock()
	cands = append(cands, c.cands...)
	c.candMu.Unlock()
	t.Logf("server candidates: %q", cands)
	ipv4 := false
	for _, cand := range cands {
		fields := strings.Fields(cand)
		if len(fields) < 6 {
			t.Fatalf("malformed candidate %q", cand)
		}
		var port int
		fmt.Sscan(fields[5], &port)
		if port < 42000 || port > 42010 {
			t.Errorf("candidate %q: port outside 42000–42010", cand)
		}
		// The public address is IPv4, so it replaces every IPv4 host address; an IPv6 host
		// candidate (no 1:1 mapping for it) is still offered as it is.
		if !strings.Contains(fields[4], ":") && fields[4] != "203.0.113.7" {
			t.Errorf("candidate %q: IPv4 host address not replaced by 203.0.113.7", cand)
		}
		ipv4 = ipv4 || fields[4] == "203.0.113.7"
	}
	if !ipv4 {
		t.Errorf("no candidate advertises the public address 203.0.113.7: %q", cands)
	}
}

// TestIdleTimeoutEndsInterview: while someone is connected the interview never goes idle,
// however much time passes; once nobody has been connected for IdleTimeout it ends by itself
// and its report is final. The room's clock is the test's: time moves only when the test
// moves it, so a slow join cannot look like an idle room.
func TestIdleTimeoutEndsInterview(t *testing.T) {
	clk := newFakeClock()
	const idle = 10 * time.Minute
	f := newFixture(t, "vp8", func(c *room.Config) {
		c.IdleTimeout, c.MaxDuration, c.Now = idle, 1000*time.Hour, clk.Now
	})
	iv := f.dial(t, room.Interviewer)
	iv.waitFor("welcome")
	c := f.dial(t, room.Candidate)
	c.waitFor("welcome")
	for _, p := range []*client{iv, c} {
		if _, err := p.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
		p.offer()
		p.waitFor("answer")
	}

	// An hour passes with both in the call. The interviewer gets the live checks on every
	// tick of the room: the second "checks" after the clock moved comes from a tick that
	// started after it moved, and found the room in use.
	clk.Add(time.Hour)
	for drained := false; !drained; {
		select {
		case _, ok := <-iv.msgs:
			drained = !ok
		default:
			drained = true
		}
	}
	iv.waitFor("checks")
	iv.waitFor("checks")
	if _, live := f.live(); !live {
		t.Fatal("the interview ended while both were connected")
	}

	// Both leave. Each poll moves the clock on by half the timeout until a tick ends the
	// interview.
	c.close()
	iv.close()
	waitUntil(t, "the idle interview to end", func() bool {
		clk.Add(idle / 2)
		_, live := f.live()
		r, err := f.st.GetReport(context.Background(), f.id)
		return !live && err == nil && r.State == report.Final
	})
	r, _ := f.st.GetReport(context.Background(), f.id)
	var left, ended float64 = -1, -1
	for _, e := range r.Timeline {
		switch {
		case e.Kind == "left":
			left = max(left, e.AtS)
		case e.Kind == "ended" && strings.Contains(e.Detail, "Nobody was connected for 10m0s"):
			ended = e.AtS
		}
	}
	if left < 3600 || ended < 0 {
		t.Fatalf("timeline does not say both left after an hour and why the interview ended: %+v", r.Timeline)
	}
	if ended-left < idle.Seconds() {
		t.Errorf("ended at %.0f s, %.0f s after the last one left at %.0f s; want at least %s", ended, ended-left, left, idle)
	}
}

// TestCandidateBeforeOffer: a client that trickles a candidate before its offer reaches the
// server is not refused; the candidate is used once the offer is set.
func TestCandidateBeforeOffer(t *testing.T) {
	f := newFixture(t, "vp8")
	c := f.dial(t, room.Candidate)
	c.waitFor("welcome")
	if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	c.send(map[string]any{"type": "candidate", "candidate": map[string]any{
		"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}})
	c.offer()
	deadline := time.After(wait)
	for {
		select {
		case m := <-c.msgs:
			switch m["type"] {
			case "error":
				t.Fatalf("server refused an early candidate: %v", m["error"])
			case "answer":
				return
			}
		case <-deadline:
			t.Fatal("no answer")
		}
	}
}
