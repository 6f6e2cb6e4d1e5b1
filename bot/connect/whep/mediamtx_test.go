package whep

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/report"
)

// TestMediaMTX runs against a real MediaMTX (docs/interop.md). With MEDIAMTX_BIN=path it
// starts that binary on free 127.0.0.1 ports, publishes a test pattern with ffmpeg over
// RTSP (H.264 constrained baseline, H.264 high, VP8) and joins each over WHEP: frames must
// decode, the trickled candidates must be accepted by PATCH and the session removed by
// DELETE. With WHEP_URL=url it joins that endpoint instead (publish to it yourself).
func TestMediaMTX(t *testing.T) {
	if u := os.Getenv("WHEP_URL"); u != "" {
		joinReal(t, u, false, nil)
		return
	}
	bin := os.Getenv("MEDIAMTX_BIN")
	if bin == "" {
		t.Skip("set MEDIAMTX_BIN to a MediaMTX binary (or WHEP_URL to an endpoint) to run against a real WHEP server")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make deps-test installs it)")
	}
	rtsp, web := startMediaMTX(t, bin)
	// libvpx with its default threads encoded under 1 fps on a loaded 2-core machine.
	for _, tt := range []struct{ name, enc string }{
		{"h264-baseline", "-c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency -g 30"},
		{"h264-high", "-c:v libx264 -profile:v high -preset veryfast -tune zerolatency -g 30"},
		{"vp8", "-c:v libvpx -deadline realtime -cpu-used 8 -threads 1 -b:v 600k -g 30"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			publish(t, "rtsp://"+rtsp+"/"+tt.name, tt.enc)
			var links []webrtc.ICEServer
			joinReal(t, "http://"+web+"/"+tt.name+"/whep", false, func(m *attemptState) { links = m.c.linkICE })
			// MediaMTX escapes the credential as an RFC 8288 quoted-string.
			if len(links) != 1 || links[0].URLs[0] != linkTURN || links[0].Username != "bot" || links[0].Credential != linkSecret {
				t.Errorf("ICE servers from the Link headers: %+v", links)
			}
		})
	}
	t.Run("ice restart", func(t *testing.T) {
		publish(t, "rtsp://"+rtsp+"/restart", "-c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency -g 30")
		joinReal(t, "http://"+web+"/restart/whep", true, nil)
	})
}

// joinReal joins url until 30 frames are decoded and checks what the server answered. With
// restart, it then restarts ICE on the session (RFC 9725 §4.3.2) and needs 30 more frames.
// joined, when set, sees each session once it is set up.
func joinReal(t *testing.T, url string, restart bool, joined func(*attemptState)) {
	t.Helper()
	rec := &recorder{next: http.DefaultTransport}
	cfg := Config{URL: url, IncludeLoopback: true, GatherTimeout: -1, HTTPClient: &http.Client{Transport: rec, Timeout: 10 * time.Second},
		Backoff: 200 * time.Millisecond, MaxBackoff: time.Second, GiveUpAfter: 30 * time.Second}
	sess := newSession()
	defer sess.Close()
	n := int64(30)
	cfg.onJoined = joined
	if restart {
		n = 60
		cfg.onJoined = func(m *attemptState) {
			go func() { // not the test's goroutine: no t.Fatal here; runUntil bounds the wait
				for deadline := time.Now().Add(60 * time.Second); decoded(sess) < 30 && time.Now().Before(deadline); {
					time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
				}
				m.requestRestart()
			}()
		}
	}
	runUntil(t, cfg, sess, n, 90*time.Second, func() any { return rec.list() })
	reqs := rec.list()
	t.Logf("requests: %v", reqs)
	if !rec.has(http.MethodPost, http.StatusCreated) || !rec.has(http.MethodDelete, http.StatusOK) {
		t.Errorf("want POST 201 and DELETE 200, got %v", reqs)
	}
	if rec.count(http.MethodPatch+" ") > 0 && !rec.has(http.MethodPatch, http.StatusNoContent) {
		t.Errorf("no trickle PATCH was accepted: %v", reqs)
	}
	if restart && (!rec.has(http.MethodPatch, http.StatusOK) || !hasEvent(sess.Report(report.Live), "ICE restarted") || rec.count("POST 201") != 1) {
		t.Errorf("no ICE restart on the same session (PATCH 200, one POST): %v, timeline %+v", reqs, sess.Report(report.Live).Timeline)
	}
}

// recorder notes each request's method and the answer's status.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.reqs = append(r.reqs, req.Method+" error")
	} else {
		r.reqs = append(r.reqs, fmt.Sprintf("%s %d", req.Method, resp.StatusCode))
	}
	return resp, err
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

func (r *recorder) has(method string, status int) bool {
	for _, s := range r.list() {
		if s == fmt.Sprintf("%s %d", method, status) {
			return true
		}
	}
	return false
}

// count counts the requests noted as "METHOD STATUS" that start with prefix.
func (r *recorder) count(prefix string) int {
	n := 0
	for _, s := range r.list() {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// A TURN server MediaMTX names in its Link headers only (clientOnly), with a credential
// that needs escaping.
const (
	linkTURN   = "turn:127.0.0.1:3478?transport=udp"
	linkSecret = `p;a,s"s\w`
)

// startMediaMTX runs bin with every listener on 127.0.0.1 and returns the RTSP and WebRTC
// HTTP addresses once the HTTP listener accepts connections.
func startMediaMTX(t *testing.T, bin string) (rtsp, web string) {
	t.Helper()
	rtsp, web, udp := freeTCP(t), freeTCP(t), freeUDP(t)
	conf := filepath.Join(t.TempDir(), "mediamtx.yml")
	// Unlisted settings keep MediaMTX's defaults; the other servers are off.
	yml := fmt.Sprintf(`logLevel: info
api: no
metrics: no
pprof: no
playback: no
rtsp: yes
rtspTransports: [tcp]
rtspAddress: %s
rtmp: no
hls: no
srt: no
moq: no
webrtc: yes
webrtcAddress: %s
webrtcLocalUDPAddress: %s
webrtcIPsFromInterfaces: no
webrtcAdditionalHosts: [127.0.0.1]
webrtcICEServers2:
  - url: %s
    username: bot
    password: '%s'
    clientOnly: true
paths:
  all_others:
`, rtsp, web, udp, linkTURN, linkSecret)
	if err := os.WriteFile(conf, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	cmd := exec.Command(bin, conf)
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: out}, &lockedWriter{w: out}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start MediaMTX: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("MediaMTX output:\n%s", out.String())
		}
	})
	waitFor(t, "MediaMTX's WebRTC listener", 20*time.Second, func() bool {
		c, err := net.Dial("tcp", web)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return rtsp, web
}

// publish pushes a moving test pattern to url with ffmpeg until the test ends.
func publish(t *testing.T, url, enc string) {
	t.Helper()
	args := append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30",
		"-pix_fmt", "yuv420p"}, strings.Fields(enc)...)
	cmd := exec.Command("ffmpeg", append(args, "-f", "rtsp", "-rtsp_transport", "tcp", url)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ffmpeg: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

func freeTCP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func freeUDP(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
