package whep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	rtpcodecs "github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/h264"
	"github.com/integritybot/integritybot/media/vpx"
)

// server is a WHEP server written with pion that publishes a generated track.
type server struct {
	t        *testing.T
	mime     string
	frames   [][]byte
	trickle  bool
	bearer   string
	failWith []int // status answers for the first POSTs
	gone     bool  // answer POSTs with 404 (the stream ended)
	// mediamtx answers as MediaMTX v1.20.1 does (internal/protocols/webrtc): its media engine
	// holds only the codecs of the tracks it sends, and a stream without audio gets a PCMU
	// track (so that browsers play the video), which the offer must accept.
	mediamtx bool
	// fmtp makes an H.264 server strict as RFC 6184 §8.2.2 asks (Chrome, Janus): it sends
	// only this format, refuses an offer without its profile and packetization mode, and
	// packetizes in that mode (mode 0: single NAL units, no STAP-A or FU-A).
	fmtp string

	mu       sync.Mutex
	posts    int
	deletes  int
	patches  []*http.Request
	bodies   []string
	sessions map[string]*webrtc.PeerConnection
	wg       sync.WaitGroup
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/whep":
		s.post(w, r)
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/whep/session/"):
		body, _ := io.ReadAll(r.Body)
		s.patches = append(s.patches, r)
		s.bodies = append(s.bodies, string(body))
		if pc := s.sessions[r.URL.Path]; pc != nil {
			for _, l := range strings.Split(string(body), "\r\n") {
				if c, ok := strings.CutPrefix(l, "a="); ok && strings.HasPrefix(c, "candidate:") {
					_ = pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c})
				}
			}
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/whep/session/"):
		s.deletes++
		if pc := s.sessions[r.URL.Path]; pc != nil {
			_ = pc.Close()
			delete(s.sessions, r.URL.Path)
		}
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "not here", http.StatusNotFound)
	}
}

func (s *server) post(w http.ResponseWriter, r *http.Request) {
	s.posts++
	if s.bearer != "" && r.Header.Get("Authorization") != "Bearer "+s.bearer {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Content-Type") != "application/sdp" {
		http.Error(w, "want application/sdp", http.StatusUnsupportedMediaType)
		return
	}
	if s.posts <= len(s.failWith) {
		http.Error(w, "try again later", s.failWith[s.posts-1])
		return
	}
	if s.gone {
		http.Error(w, "no such stream", http.StatusNotFound)
		return
	}
	offer, _ := io.ReadAll(r.Body)
	if s.fmtp != "" && !offersH264(string(offer), s.fmtp) {
		http.Error(w, "codecs not supported by client", http.StatusBadRequest)
		return
	}
	pc, track := s.peer()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	<-gathered
	loc := fmt.Sprintf("/whep/session/%d", s.posts)
	s.sessions[loc] = pc
	s.wg.Add(1)
	go s.send(pc, track)
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("ETag", `"e1"`)
	if s.trickle {
		w.Header().Set("Accept-Patch", "application/trickle-ice-sdpfrag")
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, pc.LocalDescription().SDP)
}

func (s *server) peer() (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP) {
	m := &webrtc.MediaEngine{}
	caps := webrtc.RTPCodecCapability{MimeType: s.mime, ClockRate: 90000, SDPFmtpLine: s.fmtp}
	pcmu := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}
	if s.mediamtx && s.mime == webrtc.MimeTypeH264 { // MediaMTX's fmtp whatever the stream's profile
		caps.SDPFmtpLine = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	}
	switch {
	case s.mediamtx || s.fmtp != "":
		if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: caps, PayloadType: 96}, webrtc.RTPCodecTypeVideo); err != nil {
			s.t.Error(err)
		}
		if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: pcmu, PayloadType: 97}, webrtc.RTPCodecTypeAudio); err != nil {
			s.t.Error(err)
		}
	default:
		if err := m.RegisterDefaultCodecs(); err != nil {
			s.t.Error(err)
		}
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(0)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		s.t.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(caps, "video", "candidate")
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		s.t.Fatal(err)
	}
	if s.mediamtx {
		audio, err := webrtc.NewTrackLocalStaticSample(pcmu, "audio", "candidate")
		if err != nil {
			s.t.Fatal(err)
		}
		if _, err := pc.AddTrack(audio); err != nil {
			s.t.Fatal(err)
		}
	}
	return pc, track
}

// offersH264 reports whether the offer has an H.264 format with want's profile (not level)
// and packetization mode, as RFC 6184 §8.2.2 asks of an answerer.
func offersH264(offer, want string) bool {
	params := func(fmtp string) (profile, mode string) {
		for _, kv := range strings.Split(fmtp, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			switch k {
			case "profile-level-id":
				profile = v[:min(4, len(v))]
			case "packetization-mode":
				mode = v
			}
		}
		return profile, mode
	}
	wp, wm := params(want)
	h264 := map[string]bool{}
	for _, l := range strings.Split(offer, "\r\n") {
		if pt, codec, ok := strings.Cut(strings.TrimPrefix(l, "a=rtpmap:"), " "); ok && strings.HasPrefix(l, "a=rtpmap:") {
			h264[pt] = strings.HasPrefix(strings.ToUpper(codec), "H264/")
		}
		if pt, fmtp, ok := strings.Cut(strings.TrimPrefix(l, "a=fmtp:"), " "); ok && strings.HasPrefix(l, "a=fmtp:") && h264[pt] {
			if p, m := params(fmtp); strings.EqualFold(p, wp) && m == wm {
				return true
			}
		}
	}
	return false
}

// send packetizes the frames as a sender in the negotiated mode does and paces them at
// 30 fps (the sender's clock, not a synchronisation) until the peer connection closes.
func (s *server) send(pc *webrtc.PeerConnection, track *webrtc.TrackLocalStaticRTP) {
	defer s.wg.Done()
	var pay rtp.Payloader = &rtpcodecs.VP8Payloader{EnablePictureID: true}
	if s.mime == webrtc.MimeTypeH264 {
		pay = &rtpcodecs.H264Payloader{DisableStapA: strings.Contains(s.fmtp, "packetization-mode=0")}
	}
	pk := rtp.NewPacketizer(1200, 0, 0, pay, rtp.NewRandomSequencer(), 90000)
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	for i := 0; ; i++ {
		<-tick.C
		if pc.ConnectionState() == webrtc.PeerConnectionStateClosed {
			return
		}
		for _, p := range pk.Packetize(s.frames[i%len(s.frames)], 3000) {
			_ = track.WriteRTP(p)
		}
	}
}

// drop closes every session from the server's side, as a server that restarts does.
func (s *server) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, pc := range s.sessions {
		_ = pc.Close()
		delete(s.sessions, k)
	}
}

func (s *server) counts() (posts, deletes, patches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts, s.deletes, len(s.patches)
}

func (s *server) close() {
	s.drop()
	s.wg.Wait()
}

func vp8Frames(t *testing.T) [][]byte {
	t.Helper()
	enc, err := vpx.NewEncoder(vpx.VP8, 320, 240, 30, 400)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var out [][]byte
	for i := range 60 {
		pkts, err := enc.Encode(pattern(320, 240, i), i%30 == 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			out = append(out, p.Data)
		}
	}
	return out
}

func h264Frames(t *testing.T) [][]byte { return h264Encode(t, "baseline", 0) }

// h264Encode encodes 60 frames with libx264 in profile; sliceMax > 0 keeps every NAL unit
// under that many bytes, as a sender in packetization mode 0 must.
func h264Encode(t *testing.T, profile string, sliceMax int) [][]byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make deps-test installs it)")
	}
	x264 := "repeat-headers=1"
	if sliceMax > 0 {
		x264 += ":slice-max-size=" + strconv.Itoa(sliceMax)
	}
	raw, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
		"-frames:v", "60", "-c:v", "libx264", "-profile:v", profile, "-preset", "veryfast", "-tune", "zerolatency", "-g", "15",
		"-x264-params", x264, "-bsf:v", "h264_metadata=aud=insert", "-f", "h264", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	var aus [][]byte
	h264.NALUnits(raw, func(nal []byte) bool {
		if nal[0]&0x1f == 9 {
			aus = append(aus, nil)
			return true
		}
		if len(aus) > 0 {
			aus[len(aus)-1] = append(append(aus[len(aus)-1], 0, 0, 0, 1), nal...)
		}
		return true
	})
	return aus
}

// pattern draws a moving gradient.
func pattern(w, h, i int) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch), YStride: w, UVStride: cw}
	for y := range h {
		for x := range w {
			f.Y[y*w+x] = byte(x + y + i*4)
		}
	}
	for j := range f.U {
		f.U[j], f.V[j] = 128, 128
	}
	return f
}

func newSession() *bot.Session {
	return bot.NewSession("whep-test", report.Candidate{Name: "Test"}, time.Now(), bot.Config{}, nil, nil, nil)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// runUntil runs the client until n frames are decoded, then stops it; Run must not return
// before, nor fail after. what adds to the failure message.
func runUntil(t *testing.T, cfg Config, sess *bot.Session, n int64, d time.Duration, what func() any) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, cfg, sess) }()
	waitFor(t, fmt.Sprintf("%d decoded frames", n), d, func() bool {
		select {
		case err := <-errc:
			var more any
			if what != nil {
				more = what()
			}
			t.Fatalf("Run returned before %d frames were decoded: %v %v", n, err, more)
		default:
		}
		return decoded(sess) >= n
	})
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func decoded(s *bot.Session) int64 { return s.Report(report.Live).Coverage.FramesDecoded }

func testConfig(url string) Config {
	return Config{URL: url, IncludeLoopback: true, Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, ConnectTimeout: 10 * time.Second}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		name    string
		srv     *server
		cfg     func(*Config)
		frames  func(*testing.T) [][]byte
		posts   int
		trickle bool
	}{
		{name: "vp8", srv: &server{mime: webrtc.MimeTypeVP8}, frames: vp8Frames, posts: 1},
		{name: "h264 with trickle", srv: &server{mime: webrtc.MimeTypeH264, trickle: true}, frames: h264Frames, posts: 1, trickle: true,
			cfg: func(c *Config) { c.GatherTimeout = -1 }},
		{name: "h264 as mediamtx answers", srv: &server{mime: webrtc.MimeTypeH264, mediamtx: true}, frames: h264Frames, posts: 1},
		{name: "vp8 as mediamtx answers", srv: &server{mime: webrtc.MimeTypeVP8, mediamtx: true}, frames: vp8Frames, posts: 1},
		{name: "h264 main, mode 1, strict server", srv: &server{mime: webrtc.MimeTypeH264,
			fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"},
			frames: func(t *testing.T) [][]byte { return h264Encode(t, "main", 0) }, posts: 1},
		{name: "h264 high, mode 0, strict server", srv: &server{mime: webrtc.MimeTypeH264,
			fmtp: "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=64001f"},
			frames: func(t *testing.T) [][]byte { return h264Encode(t, "high", 1000) }, posts: 1},
		{name: "bearer", srv: &server{mime: webrtc.MimeTypeVP8, bearer: "s3cret"}, frames: vp8Frames, posts: 1,
			cfg: func(c *Config) { c.Bearer = "s3cret" }},
		{name: "5xx then success", srv: &server{mime: webrtc.MimeTypeVP8, failWith: []int{503, 500}}, frames: vp8Frames, posts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.srv
			srv.t, srv.frames, srv.sessions = t, tt.frames(t), map[string]*webrtc.PeerConnection{}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			defer srv.close()
			cfg := testConfig(hs.URL + "/whep")
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			sess := newSession()
			defer sess.Close()
			runUntil(t, cfg, sess, 20, 20*time.Second, nil)
			posts, deletes, patches := srv.counts()
			if posts != tt.posts || deletes != 1 {
				t.Errorf("%d POSTs and %d DELETEs, want %d and 1", posts, deletes, tt.posts)
			}
			if tt.trickle {
				if patches == 0 {
					t.Fatal("no trickle PATCH")
				}
				r, body := srv.patches[0], srv.bodies[0]
				if r.Header.Get("Content-Type") != "application/trickle-ice-sdpfrag" || r.Header.Get("If-Match") != `"e1"` ||
					!strings.Contains(body, "a=ice-ufrag:") || !strings.Contains(strings.Join(srv.bodies, ""), "a=candidate:") {
					t.Errorf("PATCH %v\n%s", r.Header, body)
				}
			}
		})
	}
}

func TestJoinErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   string
	}{
		{"unauthorized", http.StatusUnauthorized, "401 Unauthorized: the endpoint refused the bearer token"},
		{"forbidden", http.StatusForbidden, "403 Forbidden: the endpoint refused the bearer token"},
		{"bad request", http.StatusBadRequest, "400 Bad Request: the endpoint refused the request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &server{t: t, mime: webrtc.MimeTypeVP8, failWith: []int{tt.status}, sessions: map[string]*webrtc.PeerConnection{}}
			if tt.status == http.StatusUnauthorized {
				srv.bearer, srv.failWith = "right", nil
			}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			cfg := testConfig(hs.URL + "/whep?token=hidden")
			cfg.Bearer = "wrong"
			err := Run(context.Background(), cfg, newSession())
			var se *StatusError
			if !errors.As(err, &se) || se.Status != tt.status || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a %d StatusError containing %q", err, tt.status, tt.want)
			}
			if strings.Contains(err.Error(), "hidden") || strings.Contains(err.Error(), "wrong") ||
				strings.Contains(err.Error(), "bad token") || strings.Contains(err.Error(), "try again") {
				t.Errorf("the error shows the URL, the token or the server's body: %v", err)
			}
		})
	}
}

// TestServerDropsSession: the server closes the session mid-call; the client reconnects,
// frames resume, and when the server then says the stream is gone (404) Run returns.
func TestServerDropsSession(t *testing.T) {
	srv := &server{t: t, mime: webrtc.MimeTypeVP8, frames: vp8Frames(t), sessions: map[string]*webrtc.PeerConnection{}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.close()
	sess := newSession()
	defer sess.Close()
	errc := make(chan error, 1)
	go func() { errc <- Run(context.Background(), testConfig(hs.URL+"/whep"), sess) }()
	waitFor(t, "first frames", 20*time.Second, func() bool { return decoded(sess) >= 10 })
	srv.drop()
	waitFor(t, "a second POST", 20*time.Second, func() bool { p, _, _ := srv.counts(); return p >= 2 })
	before := decoded(sess)
	waitFor(t, "frames after reconnecting", 20*time.Second, func() bool { return decoded(sess) >= before+10 })
	rep := sess.Report(report.Live)
	if !hasEvent(rep, "Connection to the call lost") {
		t.Errorf("timeline has no reconnection: %+v", rep.Timeline)
	}
	srv.mu.Lock()
	srv.gone = true
	srv.mu.Unlock()
	srv.drop()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after the stream ended: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after the stream ended")
	}
	if !hasEvent(sess.Report(report.Live), "stream ended") {
		t.Error("timeline does not say the stream ended")
	}
}

func hasEvent(r *report.Report, text string) bool {
	for _, e := range r.Timeline {
		if strings.Contains(e.Detail, text) {
			return true
		}
	}
	return false
}

func TestParseLinks(t *testing.T) {
	got := parseLinks([]string{
		`<stun:stun.example.net>; rel="ice-server", <turn:turn.example.net?transport=udp>; rel="ice-server"; username="u;1"; credential="p,2"; credential-type="password"`,
		`<https://example.net/doc>; rel="help"`,
		`<turns:turn.example.net:443?transport=tcp>; rel="ice-server"; username="bot"; credential="p;a,s\"s\\w"; credential-type="password"`,
	})
	if len(got) != 3 || got[0].URLs[0] != "stun:stun.example.net" || got[1].URLs[0] != "turn:turn.example.net?transport=udp" ||
		got[1].Username != "u;1" || got[1].Credential != "p,2" || got[2].Username != "bot" || got[2].Credential != `p;a,s"s\w` {
		t.Errorf("parseLinks = %+v", got)
	}
}

func TestSDPFrag(t *testing.T) {
	offer := "v=0\r\na=ice-ufrag:abc\r\na=ice-pwd:def\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\n"
	got := sdpFrag(offer, []string{"a=candidate:1 1 udp 1 127.0.0.1 5000 typ host"}, true)
	want := "a=ice-ufrag:abc\r\na=ice-pwd:def\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\na=end-of-candidates\r\n"
	if got != want {
		t.Errorf("sdpFrag =\n%q\nwant\n%q", got, want)
	}
}

func TestRestartedAnswer(t *testing.T) {
	answer := "v=0\r\na=group:BUNDLE 0 1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=ice-ufrag:old\r\na=ice-pwd:oldpwd\r\n" +
		"a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\na=end-of-candidates\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\n" +
		"a=ice-ufrag:old\r\na=ice-pwd:oldpwd\r\n"
	frag := "a=ice-ufrag:new\r\na=ice-pwd:newpwd\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
		"a=candidate:2 1 udp 2 127.0.0.1 6000 typ host\r\na=end-of-candidates\r\n"
	got, err := restartedAnswer(answer, frag)
	if err != nil {
		t.Fatal(err)
	}
	want := "v=0\r\na=group:BUNDLE 0 1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=ice-ufrag:new\r\na=ice-pwd:newpwd\r\n" +
		"a=candidate:2 1 udp 2 127.0.0.1 6000 typ host\r\na=end-of-candidates\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\n" +
		"a=ice-ufrag:new\r\na=ice-pwd:newpwd\r\n"
	if got != want {
		t.Errorf("restartedAnswer =\n%q\nwant\n%q", got, want)
	}
	if _, err := restartedAnswer(answer, "a=candidate:2 1 udp 2 127.0.0.1 6000 typ host\r\n"); !errors.Is(err, errNoCredentials) {
		t.Errorf("a fragment without credentials: %v", err)
	}
}
