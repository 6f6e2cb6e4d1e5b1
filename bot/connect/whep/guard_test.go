package whep

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestGuardAddresses(t *testing.T) {
	g, err := NewGuard(nil, []string{"127.0.0.1", "10.1.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true}, {"2606:4700::1111", true},
		{"127.0.0.1", true}, {"::ffff:127.0.0.1", true}, {"10.1.2.3", true}, // allowlisted
		{"127.0.0.2", false}, {"::1", false}, {"10.2.0.1", false}, {"192.168.1.1", false}, {"172.16.0.1", false},
		{"169.254.169.254", false}, {"fe80::1", false}, {"0.0.0.0", false}, {"::", false}, {"224.0.0.251", false},
		{"ff02::1", false}, {"255.255.255.255", false}, {"100.64.0.1", false}, {"fd00::1", false}, {"64:ff9b::a00:1", false},
		{"::ffff:169.254.169.254", false}, {"2002:7f00:1::", false},
	}
	for _, tt := range tests {
		if got := g.Allowed(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Allowed(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if _, err := NewGuard([]string{"https://x.example/path", "ftp://x"}, []string{"10.0.0.0/33", "nope"}); err == nil ||
		strings.Count(err.Error(), "\n") != 3 {
		t.Errorf("NewGuard with 4 bad entries: %v, want 4 problems", err)
	}
}

func TestGuardURL(t *testing.T) {
	g, err := NewGuard([]string{"https://WHEP.example:443", "http://10.0.0.5:8889", "http://10.0.0.6:8889"}, []string{"10.0.0.5"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url  string
		want string // "" allowed, else a part of the error
	}{
		{"https://whep.example/live/x/whep", ""},
		{"https://whep.example:443/a", ""},
		{"http://10.0.0.5:8889/cam/whep", ""},
		{"http://10.0.0.6:8889/cam/whep", "10.0.0.6 is not a public address"}, // listed origin, address not allowed
		{"http://169.254.169.254/latest", "169.254.169.254 is not a public address"},
		{"https://whep.example:8443/a", "not one of the allowed"},
		{"http://whep.example/a", "not one of the allowed"},
		{"https://u:p@whep.example/a", "user name or password"},
		{"https://whep.example/" + strings.Repeat("a", MaxURL), "longer than 2048"},
		{"file:///etc/passwd", "http:// or https://"},
	}
	for _, tt := range tests {
		err := g.CheckURL(tt.url)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckURL(%.60s) = %v, want %q", tt.url, err, tt.want)
		}
	}
	var none *Guard // the operator's CLI
	if err := none.CheckURL("http://u:p@127.0.0.1/" + strings.Repeat("a", 3000)); err != nil {
		t.Errorf("no guard: %v", err)
	}
}

// hitRecorder is an HTTP server that counts what reaches it and answers with answer.
type hitRecorder struct {
	mu      sync.Mutex
	reqs    []string // "METHOD path auth"
	answer  func(w http.ResponseWriter, r *http.Request)
	httpSrv *httptest.Server
}

func newHitRecorder(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *hitRecorder {
	rec := &hitRecorder{answer: answer}
	rec.httpSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		rec.mu.Unlock()
		if rec.answer != nil {
			rec.answer(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rec.httpSrv.Close)
	return rec
}

func (r *hitRecorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// TestGuardedJoin performs the review's SSRF attacks on a join the API asked for: each is
// refused with ErrRefused at once, and the server the attack aims at sees no request.
func TestGuardedJoin(t *testing.T) {
	target := newHitRecorder(t, nil) // what the attacker wants the server to reach
	sdpAnswer := func(loc string) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/sdp")
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, "v=0\r\n")
		}
	}
	loopback := []string{"127.0.0.1/32"}
	tests := []struct {
		name     string
		networks []string
		url      func() string
		entry    *hitRecorder // the endpoint named, if not target
		want     string
	}{
		{name: "loopback", url: func() string { return target.httpSrv.URL + "/whep" }, want: "127.0.0.1 is not a public address"},
		{name: "a name resolving to loopback (rebinding)", want: "is not a public address",
			url: func() string { return strings.Replace(target.httpSrv.URL, "127.0.0.1", "localhost", 1) + "/whep" }},
		{name: "link-local metadata", url: func() string { return "http://169.254.169.254/latest/meta-data/" }, want: "169.254.169.254 is not a public address"},
		{name: "userinfo", networks: loopback, url: func() string { return "http://user:pw@" + strings.TrimPrefix(target.httpSrv.URL, "http://") + "/whep" },
			want: "user name or password"},
		{name: "60 KB URL", networks: loopback, url: func() string { return target.httpSrv.URL + "/whep?" + strings.Repeat("a", 60<<10) },
			want: "longer than 2048 bytes"},
		{name: "redirect", networks: loopback, want: "joins do not follow redirects",
			entry: newHitRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.httpSrv.URL+"/whep", http.StatusTemporaryRedirect)
			})},
		{name: "Location on another origin", networks: loopback, want: "Location is on another origin",
			entry: newHitRecorder(t, sdpAnswer(target.httpSrv.URL+"/whep/session/1"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGuard(nil, tt.networks)
			if err != nil {
				t.Fatal(err)
			}
			url := ""
			if tt.entry != nil {
				url = tt.entry.httpSrv.URL + "/whep"
			} else {
				url = tt.url()
			}
			cfg := testConfig(url)
			cfg.Guard, cfg.Bearer, cfg.GatherTimeout = g, "bearer-for-the-endpoint", -1
			cfg.GiveUpAfter = time.Hour // a refusal must end Run at once, not after retries
			sess := newSession()
			defer sess.Close()
			err = Run(context.Background(), cfg, sess)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run = %v, want ErrRefused saying %q", err, tt.want)
			}
			if got := target.requests(); len(got) > 0 {
				t.Fatalf("the target got %d requests: %q", len(got), got)
			}
			if tt.entry != nil {
				if got := tt.entry.requests(); len(got) != 1 || !strings.HasSuffix(got[0], "Bearer bearer-for-the-endpoint") {
					t.Errorf("the endpoint got %q, want one POST with the bearer", got)
				}
			}
		})
	}
}

// TestGuardedErrorBody: the remote server's error text never reaches the error (and so the
// report); the status and a fixed phrase do.
func TestGuardedErrorBody(t *testing.T) {
	hs := newHitRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "[click here](https://phish.example) <script>x</script>", http.StatusForbidden)
	})
	g, _ := NewGuard(nil, []string{"127.0.0.1"})
	cfg := testConfig(hs.httpSrv.URL + "/whep")
	cfg.Guard = g
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	err := Run(context.Background(), cfg, newSession())
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusForbidden {
		t.Fatalf("Run = %v, want a 403 StatusError", err)
	}
	if msg := err.Error(); strings.Contains(msg, "phish") || strings.Contains(msg, "script") || !strings.Contains(msg, "403 Forbidden: the endpoint refused the bearer token") {
		t.Errorf("error %q: want the status and a fixed phrase, not the body", msg)
	}
}

// TestGuardedLinks: ICE servers from Link headers are used only when the endpoint's origin
// is listed in Origins; a join to any other origin ignores them (they would make the server
// contact the TURN host they name).
func TestGuardedLinks(t *testing.T) {
	hs := newHitRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/sdp")
		w.Header().Set("Location", "/whep/session/1")
		w.Header().Add("Link", `<turn:10.9.9.9:3478?transport=udp>; rel="ice-server"; username="u"; credential="p"`)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "v=0\r\n")
	})
	for _, tt := range []struct {
		name    string
		origins []string
		want    int
	}{{"origin not listed", nil, 0}, {"origin listed", []string{hs.httpSrv.URL}, 1}, {"no guard (CLI)", nil, -1}} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(hs.httpSrv.URL + "/whep")
			if tt.want >= 0 {
				g, err := NewGuard(tt.origins, []string{"127.0.0.1"})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Guard = g
			}
			cfg = cfg.withDefaults()
			c := &client{cfg: cfg, log: cfg.Log}
			res, err := c.post(context.Background(), "v=0\r\n")
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want < 0 {
				want = 1 // the CLI uses them
			}
			if len(res.ice) != want || (want == 1 && res.ice[0].URLs[0] != "turn:10.9.9.9:3478?transport=udp") {
				t.Errorf("ICE servers %+v, want %d", res.ice, want)
			}
			if !strings.HasSuffix(res.url, "/whep/session/1") {
				t.Errorf("session URL %q", res.url)
			}
		})
	}
}

// TestGuardedJoinAllowed: with the endpoint's network and origin allowed, a guarded join
// decodes the call like an unguarded one and leaves with DELETE.
func TestGuardedJoinAllowed(t *testing.T) {
	srv := &server{t: t, mime: webrtc.MimeTypeVP8, frames: vp8Frames(t), sessions: map[string]*webrtc.PeerConnection{}, bearer: "s3cret"}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.close()
	g, err := NewGuard([]string{hs.URL}, []string{"127.0.0.1/32"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(hs.URL + "/whep")
	cfg.Guard, cfg.Bearer = g, "s3cret"
	sess := newSession()
	defer sess.Close()
	runUntil(t, cfg, sess, 20, 20*time.Second, nil)
	if posts, deletes, _ := srv.counts(); posts != 1 || deletes != 1 {
		t.Errorf("%d POSTs and %d DELETEs, want 1 and 1", posts, deletes)
	}
}

// TestGuardedCandidates: a guarded join drops the remote server's ICE candidates on
// addresses it may not reach (and names, which would be resolved), so no STUN check goes
// to a private address the answer names.
func TestGuardedCandidates(t *testing.T) {
	answer := "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
		"a=candidate:1 1 udp 2130706431 203.0.114.7 50000 typ host\r\n" +
		"a=candidate:2 1 udp 2130706431 10.0.0.8 50000 typ host\r\n" +
		"a=candidate:3 1 udp 2130706431 169.254.169.254 53 typ host\r\n" +
		"a=candidate:4 1 udp 2130706431 internal.corp 50000 typ host\r\n" +
		"a=candidate:5 1 udp 2130706431 127.0.0.1 50000 typ host\r\n" +
		"a=candidate:6 1 udp\r\n" +
		"a=end-of-candidates\r\n"
	g, _ := NewGuard(nil, []string{"127.0.0.1"})
	got, dropped := g.filterCandidates(answer)
	want := "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
		"a=candidate:1 1 udp 2130706431 203.0.114.7 50000 typ host\r\n" +
		"a=candidate:5 1 udp 2130706431 127.0.0.1 50000 typ host\r\n" +
		"a=end-of-candidates\r\n"
	if got != want || dropped != 4 {
		t.Errorf("filtered (%d dropped):\n%s\nwant (4 dropped):\n%s", dropped, got, want)
	}
	var none *Guard
	if got, n := none.filterCandidates(answer); got != answer || n != 0 {
		t.Errorf("no guard changed the answer")
	}
}
