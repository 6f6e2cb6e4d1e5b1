package web

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/internal/chrome"
)

// Room flows of issue 18 in real Chromium against the fake server: a declined consent, camera
// errors in plain words, and an interviewer page that reads as ended once the call is over.

// The interviewer's page after the end: nothing reads as a running call, and the checks are
// the final report's.
func TestBrowserInterviewerEnded(t *testing.T) {
	e := launchFor(t, chrome.Options{FakeDevices: true})
	f := newFakeServer(t)
	i := e.open(f.srv.URL + "/i/intv-tok")
	e.wait(i, `window.integritybot.state === "connected"`)
	f.sock("interviewer").send(map[string]any{"type": "peer", "role": "candidate", "state": "joined"})
	e.wait(i, `document.getElementById("candidate-state").textContent === "connected"`)
	f.mu.Lock()
	f.report = thirtyMinuteReport() // final: what GET /api/report answers after the end
	f.mu.Unlock()
	f.sock("interviewer").send(map[string]any{"type": "ended"})
	e.wait(i, `window.integritybot.state === "ended" && document.querySelectorAll("#checks [data-check]").length === 8`)
	var s struct{ Candidate, Overlay, Status, Title string }
	e.eval(i, `({candidate: document.getElementById("candidate-state").textContent, overlay: document.getElementById("remote-overlay").textContent,
		status: document.getElementById("status").textContent, title: document.getElementById("checks-title").textContent})`, &s)
	if s.Candidate != "the interview has ended" || s.Overlay != "The interview has ended." || s.Status != "The interview has ended." || s.Title != "Checks" {
		t.Errorf("ended page reads %+v", s)
	}
	for _, stale := range []string{"connected", "Waiting for", "Live checks"} {
		if strings.Contains(s.Candidate+s.Overlay+s.Status+s.Title, stale) {
			t.Errorf("ended page still says %q: %+v", stale, s)
		}
	}
}

// A candidate who declines the consent notice tells the server, which relays it to the
// interviewer's page as a peer state; the page says what happened and what to do.
func TestBrowserConsentDeclined(t *testing.T) {
	e := launchFor(t, chrome.Options{FakeDevices: true})
	f := newFakeServer(t)
	i := e.open(f.srv.URL + "/i/intv-tok")
	c := e.open(f.srv.URL + "/c/cand-tok")
	e.wait(c, `window.integritybot.welcome !== null`)
	e.click(c, "#consent-decline")
	e.wait(c, `!document.getElementById("declined").hidden`)
	waitGo(t, "consent message", func() bool { return len(f.received("candidate", "consent")) == 1 })
	if m := f.received("candidate", "consent")[0]; m["state"] != "declined" {
		t.Fatalf("consent message %v", m)
	}
	if n := len(f.received("candidate", "offer")); n != 0 {
		t.Fatalf("%d offers after declining", n)
	}
	e.wait(i, `window.integritybot.welcome !== null`)
	f.sock("interviewer").send(map[string]any{"type": "peer", "role": "candidate", "state": "declined"})
	e.wait(i, `document.getElementById("candidate-state").textContent === "declined the consent notice" &&
		document.getElementById("remote-overlay").textContent.includes("Offer another way to talk")`)
}

// The candidate reads why their camera is missing in plain words, never a browser error name.
func TestBrowserCameraErrorInPlainWords(t *testing.T) {
	e := launchFor(t, chrome.Options{DenyMedia: true})
	f := newFakeServer(t)
	c := e.open(f.srv.URL + "/c/cand-tok")
	e.wait(c, `window.integritybot.welcome !== null`)
	e.click(c, "#consent-accept")
	e.wait(c, `!document.getElementById("media-notice").hidden`)
	var notice string
	e.eval(c, `document.getElementById("media-notice").textContent`, &notice)
	if regexp.MustCompile(`[A-Z][a-z]+Error|Requested device|Permission denied`).MatchString(notice) ||
		!strings.Contains(notice, "Your camera and microphone are not available:") {
		t.Errorf("notice %q is not in plain words", notice)
	}
	// The server still gets the exact error for the report's details.
	waitGo(t, "video track message", func() bool { return len(f.received("candidate", "track")) >= 1 })
	for _, m := range f.received("candidate", "track") {
		if m["kind"] == "video" {
			b, _ := json.Marshal(m)
			if !regexp.MustCompile(`Error`).Match(b) {
				t.Errorf("track message %s lost the browser's error", b)
			}
		}
	}
}
