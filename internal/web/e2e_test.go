package web

import (
	"context"
	"encoding/json"
	"image"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/chrome"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/snapshot"
)

// fakeServer implements just enough of docs/protocol.md to drive the pages in a real browser:
// the API, the /api/ws and /api/report aliases, and a pion answerer per websocket.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	socks   map[string]*fakeSock // latest socket per role
	msgs    map[string][]map[string]any
	created []map[string]any
	report  map[string]any
	endAuth string
	changed chan struct{}
}

type fakeSock struct {
	ws  *websocket.Conn
	wmu sync.Mutex
	pc  *webrtc.PeerConnection
}

func (s *fakeSock) send(v any) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.ws.WriteJSON(v)
}

var tokenRoles = map[string]string{"cand-tok": "candidate", "intv-tok": "interviewer", "rep-tok": "report"}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, socks: map[string]*fakeSock{}, msgs: map[string][]map[string]any{}, changed: make(chan struct{}, 1)}
	mux := newMux()
	mux.HandleFunc("POST /api/interviews", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer api-tok" {
			writeJSON(w, 401, map[string]any{"error": "A valid API token is required."})
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.created = append(f.created, body)
		f.mu.Unlock()
		u := f.srv.URL
		writeJSON(w, 201, map[string]any{"id": "iv1", "candidate_url": u + "/c/cand-tok", "interviewer_url": u + "/i/intv-tok",
			"report_url": u + "/r/rep-tok", "api_report_url": u + "/api/interviews/iv1/report"})
	})
	mux.HandleFunc("GET /api/interviews", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer api-tok" {
			writeJSON(w, 401, map[string]any{"error": "A valid API token is required."})
			return
		}
		writeJSON(w, 200, map[string]any{"interviews": []map[string]any{{"id": "iv1", "candidate": map[string]any{"name": "Ada"},
			"state": "live", "created_at": "2026-01-02T10:00:00Z", "report_url": f.srv.URL + "/r/rep-tok"}}})
	})
	mux.HandleFunc("POST /api/interviews/{id}/end", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.endAuth = r.Header.Get("Authorization")
		socks := []*fakeSock{}
		for _, s := range f.socks {
			socks = append(socks, s)
		}
		f.report["state"] = "final"
		rep := f.report
		f.mu.Unlock()
		for _, s := range socks {
			s.send(map[string]any{"type": "ended"})
		}
		writeJSON(w, 200, rep)
	})
	mux.HandleFunc("GET /api/report", func(w http.ResponseWriter, r *http.Request) {
		role := tokenRoles[r.URL.Query().Get("token")]
		if role != "report" && role != "interviewer" {
			writeJSON(w, 403, map[string]any{"error": "This link cannot open the report."})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, 200, f.report)
	})
	mux.HandleFunc("GET /api/ws", f.serveWS)
	f.report = sampleReport()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.mu.Lock()
		for _, s := range f.socks {
			s.ws.Close()
		}
		f.mu.Unlock()
		f.srv.Close()
	})
	return f
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func sampleReport() map[string]any {
	var m map[string]any
	json.Unmarshal([]byte(`{"schema":"integritybot.report/v1","interview_id":"iv1",
	 "candidate":{"name":"Ada Lovelace","claimed_location":"London, UK","claimed_timezone":"Europe/London"},
	 "state":"live","started_at":"2026-01-02T10:00:00Z","ended_at":null,
	 "coverage":{"video_seconds":125,"frames_decoded":3750,"frames_analyzed":600,"frames_dropped":3},
	 "overall":"review",
	 "checks":[
	  {"id":"camera","status":"pass","confidence":0.9,"summary":"The camera was on and live.","evidence":[{"at_s":2,"kind":"live","detail":"frames arriving at 30 fps"}]},
	  {"id":"replay","status":"warn","confidence":0.6,"summary":"The video looked replayed for 12 seconds.","next_step":"Ask them to wave.",
	   "evidence":[{"at_s":60,"until_s":72,"kind":"loop","detail":"identical frames repeated"}]},
	  {"id":"timezone","status":"unknown","confidence":0,"summary":"Could not check: no timezone information.","evidence":[]}],
	 "timeline":[{"at_s":0,"kind":"joined","detail":"candidate joined"},{"at_s":100,"kind":"track","detail":"camera muted"}]}`), &m)
	// The loop's evidence carries a snapshot as the analyzers make them (media/snapshot).
	// and, as a loop's does, the same picture one loop later: two frames with their times.
	ev := m["checks"].([]any)[1].(map[string]any)["evidence"].([]any)[0].(map[string]any)
	ev["snapshot"] = sampleSnapshot()
	ev["snapshots"] = []any{map[string]any{"at_s": 61.0, "snapshot": ev["snapshot"]}, map[string]any{"at_s": 64.0, "snapshot": ev["snapshot"]}}
	return m
}

// sampleSnapshot is an evidence snapshot of a 640×480 gradient with a face box drawn.
func sampleSnapshot() string {
	const w, h = 640, 480
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: w / 2,
		Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
	for i := range f.Y {
		f.Y[i] = byte(i % w / 3)
	}
	for i := range f.U {
		f.U[i], f.V[i] = 128, 128
	}
	s, err := snapshot.Encode(f, image.Rect(200, 120, 440, 360), 0)
	if err != nil {
		return "" // cannot happen for this frame; TestBrowserReport would fail on the missing image
	}
	return s
}

var upgrader = websocket.Upgrader{}

func (f *fakeServer) serveWS(w http.ResponseWriter, r *http.Request) {
	role := tokenRoles[r.URL.Query().Get("token")]
	if role != "candidate" && role != "interviewer" {
		writeJSON(w, 401, map[string]any{"error": "This interview link has expired. Ask for a new one."})
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s := &fakeSock{ws: ws}
	f.mu.Lock()
	f.socks[role] = s
	f.mu.Unlock()
	s.send(map[string]any{"type": "welcome", "role": role, "interview_id": "iv1", "retention_days": 14,
		"candidate":   map[string]any{"name": "Ada Lovelace", "claimed_location": "London, UK", "claimed_timezone": "Europe/London"},
		"ice_servers": []any{}})
	defer func() {
		ws.Close()
		f.mu.Lock()
		if f.socks[role] == s {
			delete(f.socks, role)
		}
		f.mu.Unlock()
		if s.pc != nil {
			s.pc.Close()
		}
	}()
	for {
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			return
		}
		f.mu.Lock()
		f.msgs[role] = append(f.msgs[role], m)
		f.mu.Unlock()
		select {
		case f.changed <- struct{}{}:
		default:
		}
		switch m["type"] {
		case "offer":
			f.answer(s, m["sdp"].(string))
		case "candidate":
			if c, ok := m["candidate"].(map[string]any); ok && s.pc != nil {
				b, _ := json.Marshal(c)
				var init webrtc.ICECandidateInit
				json.Unmarshal(b, &init)
				if init.Candidate != "" {
					s.pc.AddICECandidate(init)
				}
			}
		}
	}
}

func (f *fakeServer) answer(s *fakeSock, sdp string) {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	me := &webrtc.MediaEngine{}
	me.RegisterDefaultCodecs()
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		f.t.Error(err)
		return
	}
	if s.pc != nil {
		s.pc.Close()
	}
	s.pc = pc
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			s.send(map[string]any{"type": "candidate", "candidate": c.ToJSON()})
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		f.t.Error(err)
		return
	}
	ans, err := pc.CreateAnswer(nil)
	if err == nil {
		err = pc.SetLocalDescription(ans)
	}
	if err != nil {
		f.t.Error(err)
		return
	}
	s.send(map[string]any{"type": "answer", "sdp": ans.SDP})
}

// received returns the messages of one type a role sent.
func (f *fakeServer) received(role, typ string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, m := range f.msgs[role] {
		if m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

func (f *fakeServer) sock(role string) *fakeSock {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.socks[role]
}

type e2e struct {
	t   *testing.T
	b   *chrome.Browser
	ctx context.Context
}

func launchBrowser(t *testing.T, opt chrome.Options) *e2e {
	t.Helper()
	if _, err := chrome.Available(); err != nil {
		t.Skipf("skipping browser test: %v", err)
	}
	// The bounds in these tests guard against a hang; they are not speed limits: a loaded
	// machine may take long to start Chromium and render pages.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	opt.Log = chrome.LineWriter(func(args ...any) {}) // Chromium's noise is not useful here
	b, err := chrome.Launch(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &e2e{t: t, b: b, ctx: ctx}
}

func (e *e2e) open(url string) *chrome.Page {
	e.t.Helper()
	p, err := e.b.Open(e.ctx, url)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if e.t.Failed() {
			for _, l := range p.Console() {
				e.t.Log("console " + url + ": " + l)
			}
		}
	})
	return p
}

func (e *e2e) wait(p *chrome.Page, expr string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
	defer cancel()
	if err := p.WaitFor(ctx, expr, 50*time.Millisecond); err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) eval(p *chrome.Page, expr string, v any) {
	e.t.Helper()
	raw, err := p.Eval(e.ctx, expr)
	if err != nil {
		e.t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			e.t.Fatalf("%s: %v (%s)", expr, err, raw)
		}
	}
}

func (e *e2e) click(p *chrome.Page, sel string) {
	e.t.Helper()
	if err := p.Click(e.ctx, sel); err != nil {
		e.t.Fatal(err)
	}
}

func waitGo(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserIndex(t *testing.T) {
	e := launchBrowser(t, chrome.Options{})
	f := newFakeServer(t)
	p := e.open(f.srv.URL + "/#token=api-tok")
	// The token is kept for this tab only (sessionStorage), never in localStorage.
	e.wait(p, `sessionStorage.getItem("integritybot.token") === "api-tok" && location.hash === ""`)
	e.wait(p, `localStorage.length === 0`)
	e.wait(p, `document.querySelectorAll("#interviews tbody tr").length === 1`)
	e.wait(p, `document.querySelectorAll("#claimed-timezone option").length > 100`)
	e.eval(p, `document.getElementById("candidate-name").value = "Ada Lovelace";
		document.getElementById("claimed-location").value = "London, UK";
		document.getElementById("claimed-timezone").value = "Europe/London";
		document.getElementById("notes").value = "second round"; true`, nil)
	e.click(p, "#create-interview")
	e.wait(p, `!document.getElementById("links").hidden`)
	var href string
	e.eval(p, `document.getElementById("candidate-link").href`, &href)
	if href != f.srv.URL+"/c/cand-tok" {
		t.Errorf("candidate link = %q", href)
	}
	f.mu.Lock()
	got, _ := json.Marshal(f.created)
	f.mu.Unlock()
	want := `[{"candidate":{"claimed_location":"London, UK","claimed_timezone":"Europe/London","name":"Ada Lovelace"},"notes":"second round"}]`
	if string(got) != want {
		t.Errorf("POST body = %s\nwant %s", got, want)
	}

	// A call elsewhere: the bot is asked to join it by WHEP.
	e.wait(p, `document.getElementById("whep-fields").hidden`)
	e.click(p, "#call-whep")
	e.wait(p, `!document.getElementById("whep-fields").hidden`)
	e.eval(p, `document.getElementById("candidate-name").value = "Grace Hopper";
		document.getElementById("join-whep").value = "https://sfu.example.com/whep/42";
		document.getElementById("join-bearer").value = "sfu-token"; true`, nil)
	e.click(p, "#create-interview")
	e.wait(p, `document.getElementById("whep-fields").hidden`) // the form resets after success
	f.mu.Lock()
	got, _ = json.Marshal(f.created[len(f.created)-1])
	f.mu.Unlock()
	want = `{"candidate":{"claimed_location":"","claimed_timezone":"","name":"Grace Hopper"},"join":{"bearer":"sfu-token","whep":"https://sfu.example.com/whep/42"},"notes":""}`
	if string(got) != want {
		t.Errorf("POST body = %s\nwant %s", got, want)
	}
}

func TestBrowserRoom(t *testing.T) {
	e := launchBrowser(t, chrome.Options{FakeDevices: true})
	f := newFakeServer(t)

	c := e.open(f.srv.URL + "/c/cand-tok")
	e.wait(c, `document.getElementById("retention-days").textContent === "14"`)
	var st string
	e.eval(c, `document.body.dataset.state`, &st)
	if st != "consent" || len(f.received("candidate", "offer")) != 0 || len(f.received("candidate", "track")) != 0 {
		t.Fatalf("before consent: state %q, offers %d", st, len(f.received("candidate", "offer")))
	}
	var camOn bool
	e.eval(c, `!!window.integritybot.localStream`, &camOn)
	if camOn {
		t.Fatal("camera started before consent")
	}

	i := e.open(f.srv.URL + "/i/intv-tok")
	e.click(c, "#consent-accept")
	e.wait(c, `window.integritybot.state === "connected"`)
	e.wait(i, `window.integritybot.state === "connected"`)

	var tracks []map[string]any
	waitGo(t, "track messages", func() bool { tracks = f.received("candidate", "track"); return len(tracks) >= 2 })
	for _, m := range tracks[:2] {
		if m["state"] != "live" || m["label"] == "" {
			t.Errorf("track message %v", m)
		}
	}
	var pref string
	e.eval(c, `window.integritybot.pc.getSenders().find(s => s.track && s.track.kind === "video").getParameters().degradationPreference`, &pref)
	if pref != "maintain-resolution" {
		t.Errorf("degradationPreference = %q", pref)
	}

	// Live checks and participant state on the interviewer page.
	f.sock("interviewer").send(map[string]any{"type": "peer", "role": "candidate", "state": "joined"})
	f.mu.Lock()
	rep := f.report
	f.mu.Unlock()
	f.sock("interviewer").send(map[string]any{"type": "checks", "report": rep})
	e.wait(i, `document.getElementById("candidate-state").textContent === "connected"`)
	e.wait(i, `document.querySelectorAll("#checks [data-check]").length === 3 && window.integritybot.lastChecks !== null`)
	var row string
	e.eval(i, `document.querySelector('#checks [data-check="replay"]').textContent`, &row)
	for _, want := range []string{"Warn", "replayed", "01:00–01:12", "identical frames"} {
		if !strings.Contains(row, want) {
			t.Errorf("replay row %q lacks %q", row, want)
		}
	}
	e.wait(i, `document.getElementById("coverage").textContent.includes("3,750")`)

	// Camera off → the server hears "muted".
	e.click(c, "#toggle-camera")
	waitGo(t, "muted message", func() bool {
		for _, m := range f.received("candidate", "track") {
			if m["state"] == "muted" && m["kind"] == "video" {
				return true
			}
		}
		return false
	})

	// Unexpected drop: the candidate reconnects with a fresh peer connection.
	f.sock("candidate").ws.Close()
	waitGo(t, "second offer", func() bool { return len(f.received("candidate", "offer")) >= 2 })
	e.wait(c, `window.integritybot.state === "connected"`)

	// The interviewer ends the interview.
	// Ending asks first: one click only shows the confirmation; cancelling keeps the call.
	e.click(i, "#end-interview")
	e.wait(i, `!document.getElementById("end-confirm-box").hidden`)
	e.click(i, "#end-cancel")
	e.wait(i, `document.getElementById("end-confirm-box").hidden && window.integritybot.state === "connected"`)
	e.click(i, "#end-interview")
	e.click(i, "#end-confirm")
	e.wait(i, `window.integritybot.state === "ended" && !document.getElementById("ended-notice").hidden`)
	e.wait(c, `window.integritybot.ended && document.body.dataset.state === "ended" && !document.getElementById("ended-notice").hidden`)
	f.mu.Lock()
	auth := f.endAuth
	f.mu.Unlock()
	if auth != "Bearer intv-tok" {
		t.Errorf("end Authorization = %q", auth)
	}
	var live int
	e.eval(c, `window.integritybot.localStream.getTracks().filter(t => t.readyState === "live").length`, &live)
	if live != 0 {
		t.Errorf("%d local tracks still live after the end", live)
	}
	var link string
	e.eval(i, `document.getElementById("report-page-link").getAttribute("href")`, &link)
	if link != "/r/intv-tok" {
		t.Errorf("report link = %q", link)
	}
}

func TestBrowserNoCamera(t *testing.T) {
	e := launchBrowser(t, chrome.Options{DenyMedia: true})
	f := newFakeServer(t)
	c := e.open(f.srv.URL + "/c/cand-tok")
	e.wait(c, `window.integritybot.welcome !== null`)
	e.click(c, "#consent-accept")
	e.wait(c, `!document.getElementById("media-notice").hidden`)
	waitGo(t, "offer", func() bool { return len(f.received("candidate", "offer")) == 1 })
	var video map[string]any
	waitGo(t, "video none", func() bool {
		for _, m := range f.received("candidate", "track") {
			if m["kind"] == "video" {
				video = m
				return true
			}
		}
		return false
	})
	if video["state"] != "none" || video["error"] == "" || video["error"] == nil {
		t.Errorf("video track message = %v", video)
	}
	e.wait(c, `window.integritybot.state === "connected"`)
}

func TestBrowserBadLink(t *testing.T) {
	e := launchBrowser(t, chrome.Options{})
	f := newFakeServer(t)
	c := e.open(f.srv.URL + "/c/bad-tok")
	e.wait(c, `document.body.dataset.state === "error" && document.getElementById("error-text").textContent.includes("expired")`)
}

func TestBrowserReport(t *testing.T) {
	e := launchBrowser(t, chrome.Options{})
	f := newFakeServer(t)
	p := e.open(f.srv.URL + "/r/rep-tok")
	e.wait(p, `document.body.dataset.state === "live"`)
	// The evidence snapshot (a JPEG data URL, allowed by img-src data:) is shown and decodes.
	e.wait(p, `(() => { const i = document.querySelector("#checks a.snapshot img");
		return i !== null && i.complete && i.naturalWidth === 240 && i.naturalHeight === 180; })()`)
	// The loop's two frames side by side, each captioned and described with its time.
	var pair struct{ Captions, Alts []string }
	e.eval(p, `(() => { const figs = [...document.querySelectorAll("#checks .snapshot-pair figure")];
		return {captions: figs.map((f) => f.querySelector("figcaption").textContent),
			alts: figs.map((f) => f.querySelector("img").alt)}; })()`, &pair)
	if len(pair.Captions) != 2 || pair.Captions[0] != "at 01:01.0" || pair.Captions[1] != "at 01:04.0, the same picture again" ||
		!strings.Contains(pair.Alts[1], "frame at 01:04.0, the same picture again") {
		t.Errorf("loop pictures: captions %q, alt texts %q", pair.Captions, pair.Alts)
	}
	var s struct {
		Overall, Checks, Timeline, Marks, Download string
	}
	e.eval(p, `({overall: document.getElementById("overall").textContent,
		checks: document.getElementById("checks").textContent,
		timeline: document.getElementById("timeline").textContent,
		marks: String(document.querySelectorAll("#timeline .mark").length),
		download: document.getElementById("download-json").getAttribute("download")})`, &s)
	for _, c := range []struct{ got, want string }{
		{s.Overall, "Review recommended"}, {s.Checks, "Ask them to wave."}, {s.Checks, "01:00–01:12"},
		{s.Checks, "60%"}, {s.Timeline, "camera muted"}, {s.Marks, "4"}, {s.Download, "integritybot-report-iv1.json"},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("report page: %q lacks %q", c.got, c.want)
		}
	}
	// Live reports refresh every 3 s.
	f.mu.Lock()
	f.report["state"] = "final"
	f.report["overall"] = "no_concerns"
	f.mu.Unlock()
	e.wait(p, `document.body.dataset.state === "final" && document.getElementById("overall").textContent.includes("No concerns")`)

	bad := e.open(f.srv.URL + "/r/cand-tok")
	e.wait(bad, `document.body.dataset.state === "error"`)
}

// TestScreenshots writes PNGs of the pages to $WEB_SHOTS (manual review only).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("WEB_SHOTS")
	if dir == "" {
		t.Skip("set WEB_SHOTS=DIR to write screenshots")
	}
	e := launchBrowser(t, chrome.Options{FakeDevices: true})
	f := newFakeServer(t)
	shot := func(p *chrome.Page, name string) {
		time.Sleep(300 * time.Millisecond)
		png, err := p.Screenshot(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	idx := e.open(f.srv.URL + "/#token=api-tok")
	e.wait(idx, `document.querySelectorAll("#interviews tbody tr").length === 1`)
	e.eval(idx, `document.getElementById("candidate-name").value = "Ada"; true`, nil)
	e.click(idx, "#create-interview")
	e.wait(idx, `!document.getElementById("links").hidden`)
	shot(idx, "index")
	c := e.open(f.srv.URL + "/c/cand-tok")
	e.wait(c, `document.getElementById("retention-days").textContent === "14"`)
	shot(c, "consent")
	i := e.open(f.srv.URL + "/i/intv-tok")
	e.click(c, "#consent-accept")
	e.wait(c, `window.integritybot.state === "connected"`)
	shot(c, "candidate")
	f.mu.Lock()
	rep := f.report
	f.mu.Unlock()
	f.sock("interviewer").send(map[string]any{"type": "checks", "report": rep})
	e.wait(i, `window.integritybot.lastChecks !== null`)
	shot(i, "interviewer")
	r := e.open(f.srv.URL + "/r/rep-tok")
	e.wait(r, `document.body.dataset.state === "live"`)
	shot(r, "report")
	e.eval(r, `document.getElementById("timeline").scrollIntoView(); true`, nil)
	shot(r, "report-timeline")
}
