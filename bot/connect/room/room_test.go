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
	m   *room.Manager
	st  *store.Store
	srv *httptest.Server
	id  string
}

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
	cfg := room.Config{
		IncludeLoopback: true, VideoCodec: codec, StartBitrateKbps: 1500, LiveInterval: 200 * time.Millisecond,
		Session: bot.Config{ReportInterval: 200 * time.Millisecond,
			Camera: camera.Config{MinVideo: 2 * time.Second, MinWidth: 160, MinHeight: 120}},
	}
	for _, o := range opts {
		o(&cfg)
	}
	m, err := room.NewManager(cfg, store.Rooms{Store: st}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.ServeWS(w, r, r.URL.Query().Get("id"), r.URL.Query().Get("role"))
	}))
	t.Cleanup(srv.Close)
	return &fixture{m: m, st: st, srv: srv, id: id}
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
	if _, err := c.pc.AddTrack(track); err != nil {
		c.t.Fatal(err)
	}
	enc, err := vpx.NewEncoder(codec, w, h, fps, 800)
	if err != nil {
		c.t.Fatal(err)
	}
	// Pictures are made once and cycled, and each sample lasts as long as it really took, so
	// RTP time follows the wall clock like a real camera's even when the machine is slow.
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
		last := time.Now()
		for i := 0; ; i++ {
			select {
			case <-c.stop:
				return
			case <-tick.C:
			}
			f := pics[i%len(pics)]
			f.PTS = time.Duration(i) * time.Second / time.Duration(fps)
			pkts, err := enc.Encode(f, i%60 == 0)
			if err != nil {
				c.t.Errorf("encode: %v", err)
				return
			}
			now := time.Now()
			for _, p := range pkts {
				_ = track.WriteSample(media.Sample{Data: p.Data, Duration: now.Sub(last)})
			}
			last = now
		}
	}()
}

func (c *client) waitFor(typ string, d time.Duration) map[string]any {
	c.t.Helper()
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

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
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
			f := newFixture(t, tc.cfg)
			iv := f.dial(t, room.Interviewer)
			iv.waitFor("welcome", 5*time.Second)
			for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
				if _, err := iv.pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
					t.Fatal(err)
				}
			}
			iv.offer()
			iv.waitFor("answer", 5*time.Second)

			cand := f.dial(t, room.Candidate)
			cand.waitFor("welcome", 5*time.Second)
			cand.sendVideo(tc.codec, 320, 240, 30, tc.gen(320, 240))
			cand.offer()
			cand.waitFor("answer", 5*time.Second)
			iv.waitFor("peer", 5*time.Second)

			waitUntil(t, 15*time.Second, "interviewer receives the candidate's video", func() bool { return iv.videoPkt.Load() > 50 })
			waitUntil(t, 15*time.Second, "3 s of decoded video", func() bool {
				r, ok := f.m.Live(f.id)
				return ok && r.Coverage.VideoSeconds >= 3
			})
			r, ok := f.m.End(context.Background(), f.id, "test over")
			if !ok {
				t.Fatal("End: room not live")
			}
			if r.State != report.Final || r.Coverage.FramesDecoded < 60 {
				t.Fatalf("report state %s, frames decoded %d; want final with ≥60 frames", r.State, r.Coverage.FramesDecoded)
			}
			if c := cameraCheck(r); c.Status != tc.status {
				t.Fatalf("camera = %s (%s) %+v; want %s", c.Status, c.Summary, c.Evidence, tc.status)
			}
			iv.waitFor("ended", 5*time.Second)
			stored, err := f.st.GetReport(context.Background(), f.id)
			if err != nil || stored.State != report.Final {
				t.Fatalf("stored report: %v %+v", err, stored)
			}
			if _, ok := f.m.Live(f.id); ok {
				t.Fatal("room still live after End")
			}
		})
	}
}

func TestCandidateWithoutCamera(t *testing.T) {
	f := newFixture(t, "vp8")
	cand := f.dial(t, room.Candidate)
	cand.waitFor("welcome", 5*time.Second)
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := cand.pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	cand.send(map[string]any{"type": "track", "kind": "video", "state": "none", "error": "NotAllowedError"})
	cand.offer()
	cand.waitFor("answer", 5*time.Second)
	waitUntil(t, 10*time.Second, "no-video finding", func() bool {
		r, _ := f.m.Live(f.id)
		return r != nil && cameraCheck(r).Status == report.Fail
	})
	r, _ := f.m.End(context.Background(), f.id, "test over")
	c := cameraCheck(r)
	if c.Status != report.Fail || len(c.Evidence) == 0 || c.Evidence[0].Kind != "no_video" {
		t.Fatalf("camera = %s %+v; want fail with no_video", c.Status, c.Evidence)
	}
}

func TestBadSignaling(t *testing.T) {
	f := newFixture(t, "vp8")
	c := f.dial(t, room.Candidate)
	c.waitFor("welcome", 5*time.Second)
	for _, msg := range []string{`{"type":`, `{"type":"bogus"}`, `{"type":"offer","sdp":"v=0 garbage"}`, `[]`, `{"type":"track","kind":"video","state":"exploded"}`} {
		c.wmu.Lock()
		_ = c.ws.WriteMessage(websocket.TextMessage, []byte(msg))
		c.wmu.Unlock()
		e := c.waitFor("error", 5*time.Second)
		if s, _ := e["error"].(string); s == "" {
			t.Fatalf("%s: error message without text", msg)
		}
	}
	// The socket and the room survive: a later good offer is answered.
	if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	c.offer()
	c.waitFor("answer", 5*time.Second)
}

// TestDeploymentICE checks what a deployment behind NAT configures: the advertised public
// address replaces local ones, and media ports stay inside the firewall's range.
func TestDeploymentICE(t *testing.T) {
	f := newFixture(t, "vp8", func(c *room.Config) {
		c.PublicIPs = []string{"203.0.113.7"}
		c.UDPPortMin, c.UDPPortMax = 42000, 42010
	})
	c := f.dial(t, room.Candidate)
	c.waitFor("welcome", 5*time.Second)
	if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	c.offer()
	answer := c.waitFor("answer", 5*time.Second)["sdp"].(string)
	cands := []string{}
	for _, l := range strings.Split(answer, "\r\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			cands = append(cands, l)
		}
	}
	// Candidates trickle from the moment the server sets its answer, possibly before the answer
	// message itself: the client records them all as they come.
	waitUntil(t, 10*time.Second, "a server ICE candidate with the public address", func() bool {
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

// TestIdleTimeoutEndsInterview: when nobody has been connected for IdleTimeout the interview
// ends by itself and its report is final.
func TestIdleTimeoutEndsInterview(t *testing.T) {
	f := newFixture(t, "vp8", func(c *room.Config) { c.IdleTimeout = 300 * time.Millisecond })
	c := f.dial(t, room.Candidate)
	c.waitFor("welcome", 5*time.Second)
	c.close()
	waitUntil(t, 10*time.Second, "the idle interview to end", func() bool {
		_, live := f.m.Live(f.id)
		r, err := f.st.GetReport(context.Background(), f.id)
		return !live && err == nil && r.State == report.Final
	})
	r, _ := f.st.GetReport(context.Background(), f.id)
	found := false
	for _, e := range r.Timeline {
		found = found || (e.Kind == "ended" && strings.Contains(e.Detail, "Nobody was connected"))
	}
	if !found {
		t.Fatalf("timeline does not say why the interview ended: %+v", r.Timeline)
	}
}

// TestCandidateBeforeOffer: a client that trickles a candidate before its offer reaches the
// server is not refused; the candidate is used once the offer is set.
func TestCandidateBeforeOffer(t *testing.T) {
	f := newFixture(t, "vp8")
	c := f.dial(t, room.Candidate)
	c.waitFor("welcome", 5*time.Second)
	if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	c.send(map[string]any{"type": "candidate", "candidate": map[string]any{
		"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}})
	c.offer()
	deadline := time.After(5 * time.Second)
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
