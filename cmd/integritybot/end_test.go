package main

import (
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/rtp"
	rtpcodecs "github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
)

// endByAPI ends interview id with POST /api/interviews/{id}/end and the API token, and checks
// the answer is the final report with the API's reason on its timeline, and that the store
// holds it as final.
func endByAPI(t *testing.T, e *e2e, id string) report.Report {
	t.Helper()
	var r report.Report
	if code := e.api("POST", "/api/interviews/"+id+"/end", nil, &r); code != http.StatusOK {
		t.Fatalf("end: %d", code)
	}
	if r.State != report.Final || r.EndedAt == nil {
		t.Fatalf("end answered state %q (ended_at %v), want the final report", r.State, r.EndedAt)
	}
	if !hasEvent(r, "ended", "The interview was ended through the API.") {
		t.Errorf("final report's timeline lacks the API's end: %+v", r.Timeline)
	}
	var stored report.Report
	if code := e.api("GET", "/api/interviews/"+id+"/report", nil, &stored); code != http.StatusOK || stored.State != report.Final {
		t.Errorf("stored report after the end: %d, state %q", code, stored.State)
	}
	var again report.Report
	if code := e.api("POST", "/api/interviews/"+id+"/end", nil, &again); code != http.StatusOK || again.State != report.Final {
		t.Errorf("ending twice: %d, state %q", code, again.State)
	}
	return r
}

func hasEvent(r report.Report, kind, detail string) bool {
	for _, ev := range r.Timeline {
		if ev.Kind == kind && ev.Detail == detail {
			return true
		}
	}
	return false
}

// TestEndHostedRoom: POST /api/interviews/{id}/end ends a hosted room the candidate is in;
// the candidate's page is told the interview ended.
func TestEndHostedRoom(t *testing.T) {
	e := startServer(t)
	var iv server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Hosted"}}, &iv); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	cand := iv.CandidateURL[strings.LastIndex(iv.CandidateURL, "/")+1:]
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.base, "http")+"/api/ws?token="+cand, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var msg map[string]any
	if err := ws.ReadJSON(&msg); err != nil || msg["type"] != "welcome" {
		t.Fatalf("welcome: %v %v", err, msg)
	}
	endByAPI(t, e, iv.ID)
	for msg["type"] != "ended" {
		msg = nil
		if err := ws.ReadJSON(&msg); err != nil {
			t.Fatalf("the candidate's socket closed without \"ended\": %v", err)
		}
	}
}

// TestEndJoinedWHEP: POST /api/interviews/{id}/end ends a call the bot joined over WHEP while
// video flows: the bot leaves the call (DELETE of its WHEP session) and the answer is the
// final report with the video it analyzed, not the live one.
func TestEndJoinedWHEP(t *testing.T) {
	e := startServer(t)
	ws := newWHEPServer(t)
	var iv server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Joined"},
		"join": map[string]string{"whep": ws.URL + "/whep"}}, &iv); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	pollUntil(t, "decoded video in the joined call's live report", func() bool {
		var r report.Report
		return e.api("GET", "/api/interviews/"+iv.ID+"/report", nil, &r) == http.StatusOK &&
			r.State == report.Live && r.Coverage.FramesDecoded > 0
	})
	r := endByAPI(t, e, iv.ID)
	if r.Coverage.FramesDecoded == 0 {
		t.Errorf("final report has no decoded frames: %+v", r.Coverage)
	}
	pollUntil(t, "the bot's WHEP session deleted", func() bool { return ws.deletes.Load() == 1 })
}

// TestEndJoinedLiveKit: POST /api/interviews/{id}/end ends a LiveKit join. No LiveKit media
// server runs here (bot/connect/livekit's TestLiveKitServer needs one): the fake answers the
// bot's RoomService request (its check that its identity is free) only when the bot hangs
// up, so the call is held in the connector until the end reaches it through the registry.
func TestEndJoinedLiveKit(t *testing.T) {
	var held atomic.Int64
	var cancelled atomic.Int64
	stop := make(chan struct{})
	lk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // net/http notices a closed connection only after the body
		held.Add(1)
		select {
		case <-r.Context().Done():
			cancelled.Add(1)
		case <-stop: // the test failed: let lk.Close return
		}
	}))
	defer lk.Close()
	defer close(stop)
	e := startServer(t, func(c *config.Config) {
		c.LiveKit.APIKey, c.LiveKit.APISecret = "devkey", "secret-of-at-least-32-characters!"
		c.LiveKit.URL = lk.URL // API joins go only to the configured server
	})
	var iv server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Joined"},
		"join": map[string]any{"livekit": map[string]string{"url": lk.URL, "room": "interview"}}}, &iv); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	pollUntil(t, "the bot joining the LiveKit room", func() bool { return held.Load() > 0 })
	var live report.Report
	if e.api("GET", "/api/interviews/"+iv.ID+"/report", nil, &live); live.State != report.Live {
		t.Fatalf("before the end: state %q, want live", live.State)
	}
	endByAPI(t, e, iv.ID)
	pollUntil(t, "the bot's request to LiveKit closed", func() bool { return cancelled.Load() == held.Load() })
}

// whepServer is a WHEP endpoint written with pion that sends a generated VP8 track.
type whepServer struct {
	*httptest.Server
	t       *testing.T
	frames  [][]byte
	deletes atomic.Int64
	mu      sync.Mutex
	pcs     []*webrtc.PeerConnection
	wg      sync.WaitGroup
}

func newWHEPServer(t *testing.T) *whepServer {
	s := &whepServer{t: t, frames: testVP8(t)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.Close()
		s.mu.Lock()
		for _, pc := range s.pcs {
			_ = pc.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *whepServer) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/whep":
		s.post(w, r)
	case r.Method == http.MethodDelete && r.URL.Path == "/whep/session":
		s.deletes.Add(1)
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodPatch:
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "not here", http.StatusNotFound)
	}
}

func (s *whepServer) post(w http.ResponseWriter, r *http.Request) {
	offer, _ := io.ReadAll(r.Body)
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(0)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.pcs = append(s.pcs, pc)
	s.mu.Unlock()
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "candidate")
	if err == nil {
		_, err = pc.AddTrack(track)
	}
	if err == nil {
		err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)})
	}
	var answer webrtc.SessionDescription
	if err == nil {
		answer, err = pc.CreateAnswer(nil)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err == nil {
		err = pc.SetLocalDescription(answer)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	<-gathered
	s.wg.Go(func() { s.send(pc, track) })
	w.Header().Set("Location", "/whep/session")
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, pc.LocalDescription().SDP)
}

// send paces the frames at 30 fps (the sender's clock, not a synchronisation) until the
// peer connection closes.
func (s *whepServer) send(pc *webrtc.PeerConnection, track *webrtc.TrackLocalStaticRTP) {
	pk := rtp.NewPacketizer(1200, 96, 0, &rtpcodecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	for i := 0; pc.ConnectionState() != webrtc.PeerConnectionStateClosed; i++ {
		<-tick.C
		for _, p := range pk.Packetize(s.frames[i%len(s.frames)], 3000) {
			_ = track.WriteRTP(p)
		}
	}
}

// testVP8 returns the VP8 frames of writeTestIVF's clip (an IVF file: a 32-byte header, then
// per frame a 12-byte header whose first 4 bytes are its size, little-endian).
func testVP8(t *testing.T) [][]byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.ivf")
	writeTestIVF(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for b = b[32:]; len(b) >= 12; {
		n := int(binary.LittleEndian.Uint32(b))
		out, b = append(out, b[12:12+n]), b[12+n:]
	}
	if len(out) == 0 {
		t.Fatal("no VP8 frames in the test clip")
	}
	return out
}
