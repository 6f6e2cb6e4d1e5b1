package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/chrome"
	"github.com/integritybot/integritybot/internal/loadgen"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/ivf"
	"github.com/integritybot/integritybot/media/vpx"
)

// writeTestIVF encodes two seconds of a moving, noisy picture at 640×480@30 to an IVF with a
// keyframe every second.
func writeTestIVF(t *testing.T, path string) {
	t.Helper()
	const w, h, fps = 640, 480, 30
	enc, err := vpx.NewEncoder(vpx.VP8, w, h, fps, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var buf bytes.Buffer
	iw, err := ivf.NewWriter(&buf, ivf.Header{Codec: vpx.VP8, Width: w, Height: h, TimebaseNum: 1, TimebaseDen: fps})
	if err != nil {
		t.Fatal(err)
	}
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: w / 2, Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
	for k := range f.U {
		f.U[k], f.V[k] = 120, 135
	}
	for i := 0; i < 2*fps; i++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				f.Y[y*w+x] = byte(((x+3*i)/16+(y+i)/16)%2*90 + 50 + (x*7+y*13+i*31)%11)
			}
		}
		f.PTS = time.Duration(i) * time.Second / fps
		pkts, err := enc.Encode(f, i%fps == 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			if err := iw.WriteFrame(p.Data, uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadgen(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: 3 calls × 5 s against a real server")
	}
	e := startServer(t)
	video := filepath.Join(t.TempDir(), "clip.ivf")
	writeTestIVF(t, video)
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, []string{"loadgen", "--server", e.base, "--token", e.token, "--calls", "3", "--duration", "5s",
		"--video", video, "--loss", "0.002", "--jitter", "5ms", "--json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("loadgen: %v\n%s", err, errOut.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.String())
	}
	if len(res.Calls) != 3 || res.Totals.Calls != 3 || res.Totals.Failed != 0 {
		t.Fatalf("calls %d, totals %+v; want 3 calls, none failed\n%s", len(res.Calls), res.Totals, out.String())
	}
	// How many of the frames sent a loaded machine decodes, and how soon, is what loadgen
	// measures, not what this test may assume: on a starved machine the bounded decode queue
	// drops most of them, by design. What must hold is that the figures are consistent.
	var sum loadgen.Totals
	for i, c := range res.Calls {
		if c.FramesSent <= 0 {
			t.Errorf("call %d: no frame sent", i+1)
		}
		if c.FramesDecoded > c.FramesSent || c.FramesAnalyzed > c.FramesDecoded {
			t.Errorf("call %d: sent %d ≥ decoded %d ≥ analyzed %d does not hold", i+1, c.FramesSent, c.FramesDecoded, c.FramesAnalyzed)
		}
		if c.FirstDecodedMS >= 0 && c.FramesDecoded == 0 {
			t.Errorf("call %d: a live report showed a decoded frame, the final report none", i+1)
		}
		sum.FramesSent += c.FramesSent
		sum.FramesDecoded += c.FramesDecoded
		sum.FramesAnalyzed += c.FramesAnalyzed
		sum.FramesDropped += c.FramesDropped
	}
	tot := res.Totals
	if tot.FramesSent != sum.FramesSent || tot.FramesDecoded != sum.FramesDecoded || tot.FramesAnalyzed != sum.FramesAnalyzed || tot.FramesDropped != sum.FramesDropped {
		t.Errorf("totals %+v do not add up to the calls' %+v", tot, sum)
	}
	t.Logf("totals: %+v", tot)

	// /metrics counts the same frames.
	resp, err := e.metrics()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"integritybot_interviews_started_total 3\n",
		"integritybot_interviews_active 0\n",
		fmt.Sprintf("integritybot_frames_total{stage=\"decoded\"} %d\n", tot.FramesDecoded),
		`integritybot_analyzer_seconds_total{check="face"}`,
		"integritybot_outbox_depth 0\n",
		// One temporal layer: nothing to skip, no call decoding the base layer only.
		"integritybot_frames_total{stage=\"layer_skipped\"} 0\n",
		"integritybot_interviews_base_layer_only 0\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grepPrefix(string(body), "integritybot_"))
		}
	}
	// received = decoded + dropped + layer_skipped once the calls are over (the help text's promise).
	checkFrameAccounting(t, e)
}

func grepPrefix(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

type fakeDepth struct{}

func (fakeDepth) OutboxDepth(context.Context) (int, error) { return 2, nil }

// TestCandidateRejoins: a candidate whose connection drops and who joins the same interview
// again continues the same report (the room keeps the session while the interview runs).
// Each join hangs up only once the server has counted frames from it, and the counts are
// read once the room has closed that connection's video (its "left" line), when every frame
// received is decoded or dropped: so the assertions hold however slow the machine is.
func TestCandidateRejoins(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: two calls against a real server")
	}
	e := startServer(t)
	video := filepath.Join(t.TempDir(), "clip.ivf")
	writeTestIVF(t, video)
	clip, err := loadgen.LoadIVF(video)
	if err != nil {
		t.Fatal(err)
	}
	var created server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Jane Doe"}}, &created); code != 201 {
		t.Fatalf("create: HTTP %d", code)
	}
	tok := created.CandidateURL[strings.LastIndex(created.CandidateURL, "/c/")+3:]
	log := testLogger(t)
	// The call lasts until the test hangs up; Duration only bounds a hang.
	opt := loadgen.Options{Server: e.base, Token: e.token, Duration: 5 * time.Minute, Clip: clip, Log: log}
	current := func() report.Report {
		t.Helper()
		var r report.Report
		if code := e.api("GET", "/api/interviews/"+created.ID+"/report", nil, &r); code != 200 {
			t.Fatalf("report: HTTP %d", code)
		}
		return r
	}
	var (
		sent    int64
		seen    [2]report.Coverage
		started [2]time.Time
	)
	for i := range 2 {
		ctx, hangUp := context.WithCancel(context.Background())
		done := make(chan int64, 1)
		go func() {
			n, err := loadgen.Join(ctx, opt, created.ID, tok)
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("join %d: %v", i+1, err)
			}
			done <- n
		}()
		prev := int64(0)
		if i > 0 {
			prev = seen[i-1].FramesDecoded + seen[i-1].FramesDropped
		}
		pollUntil(t, fmt.Sprintf("frames of join %d counted", i+1), func() bool {
			c := current().Coverage
			return c.FramesDecoded+c.FramesDropped > prev && c.FramesDecoded > 0
		})
		hangUp()
		sent += <-done
		pollUntil(t, fmt.Sprintf("the room to close join %d's connection", i+1), func() bool {
			return count(current().Timeline, "left", "candidate left the call.") == i+1
		})
		r := current()
		if r.State != report.Live || r.StartedAt == nil {
			t.Fatalf("after join %d the interview is %s (started %v), want live", i+1, r.State, r.StartedAt)
		}
		seen[i], started[i] = r.Coverage, *r.StartedAt
		if n := count(r.Timeline, "joined", "candidate joined the call."); n != i+1 {
			t.Fatalf("after join %d the timeline has %d candidate joins: %+v", i+1, n, r.Timeline)
		}
	}
	t.Logf("frames sent %d; coverage after join 1 %+v, after join 2 %+v", sent, seen[0], seen[1])
	if !started[0].Equal(started[1]) || seen[1].FramesDecoded < seen[0].FramesDecoded || seen[1].FramesDropped < seen[0].FramesDropped ||
		seen[1].FramesDecoded+seen[1].FramesDropped <= seen[0].FramesDecoded+seen[0].FramesDropped {
		t.Fatalf("coverage after each join %+v, started %v; want one report that keeps counting", seen, started)
	}
	if got := seen[1].FramesDecoded + seen[1].FramesDropped; got > sent {
		t.Errorf("%d frames decoded or dropped, more than the %d sent", got, sent)
	}
	var final report.Report
	if code := e.api("POST", "/api/interviews/"+created.ID+"/end", nil, &final); code != 200 || final.State != report.Final {
		t.Fatalf("end: HTTP %d, state %s", code, final.State)
	}
	if final.Coverage.FramesDecoded != seen[1].FramesDecoded || final.Coverage.FramesDropped != seen[1].FramesDropped {
		t.Fatalf("final coverage %+v, want the %+v counted once the candidate left", final.Coverage, seen[1])
	}
}

// count returns how many timeline lines of kind have detail.
func count(tl []report.Event, kind, detail string) int {
	n := 0
	for _, ev := range tl {
		if ev.Kind == kind && ev.Detail == detail {
			n++
		}
	}
	return n
}

// pollUntil polls cond until it holds. The 2-minute bound guards against a hang; no
// assertion depends on how long the wait took.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// testLogger logs warnings and errors to the test's log (shown with -v or on failure).
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(chrome.LineWriter(t.Log), &slog.HandlerOptions{Level: slog.LevelWarn}))
}
