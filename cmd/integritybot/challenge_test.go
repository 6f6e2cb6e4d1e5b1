package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
)

// TestChallengeCmd marks challenges with "integritybot challenge" on the real service: on a
// call the bot joined over WHEP (the endpoint holds the bot's offer, so the call is joined
// but sends nothing) and on a hosted room a candidate opened. Each window lands in the call's
// timeline and the liveness check; a call that ended answers 409.
func TestChallengeCmd(t *testing.T) {
	e := startServer(t)
	release := make(chan struct{})
	whep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "stream ended", http.StatusForbidden)
	}))
	defer whep.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	mark := func(id, token string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"challenge", "--server", e.base, "--token", token, "--interview", id}, args...), &out, &errOut)
		return out.String(), err
	}

	// A joined call: 409 until the bot is in it, then the window is recorded.
	var joined server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Joined"},
		"join": map[string]string{"whep": whep.URL + "/whep"}}, &joined); code != http.StatusCreated {
		t.Fatalf("create joined: %d", code)
	}
	var out string
	var err error
	pollUntil(t, "the bot in the joined call", func() bool {
		out, err = mark(joined.ID, e.token, "--step", "hand", "--seconds", "4")
		return err == nil || !strings.Contains(err.Error(), "409")
	})
	if err != nil || !strings.Contains(out, "marked hand from ") {
		t.Fatalf("mark on a joined call: %v %q", err, out)
	}
	if _, err := mark(joined.ID, e.token, "--step", "wave"); err == nil || !strings.Contains(err.Error(), "400 Bad Request: step must be one of") {
		t.Errorf("bad step: %v", err)
	}
	if _, err := mark("no-such-interview", e.token, "--step", "hand"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown interview: %v", err)
	}
	close(release) // the WHEP endpoint refuses: the call ends with a final report
	var rep report.Report
	pollUntil(t, "the joined call's final report", func() bool {
		rep = report.Report{}
		return e.api("GET", "/api/interviews/"+joined.ID+"/report", nil, &rep) == http.StatusOK && rep.State == report.Final
	})
	if rep.State != report.Final || !hasChallenge(rep, "(hand)") {
		t.Fatalf("joined call's final report: state %s, timeline %+v", rep.State, rep.Timeline)
	}
	if _, err := mark(joined.ID, e.token, "--step", "hand"); err == nil || !strings.Contains(err.Error(), "409 Conflict") {
		t.Errorf("after the end: %v", err)
	}

	// A hosted room, marked with the interviewer's link token.
	var hosted server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Hosted"}}, &hosted); code != http.StatusCreated {
		t.Fatalf("create hosted: %d", code)
	}
	iv := hosted.InterviewerURL[strings.LastIndex(hosted.InterviewerURL, "/")+1:]
	if _, err := mark(hosted.ID, iv, "--step", "closer"); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("hosted room nobody opened: %v", err)
	}
	cand := hosted.CandidateURL[strings.LastIndex(hosted.CandidateURL, "/")+1:]
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.base, "http")+"/api/ws?token="+cand, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var welcome map[string]any
	if err := ws.ReadJSON(&welcome); err != nil || welcome["type"] != "welcome" {
		t.Fatalf("welcome: %v %v", err, welcome)
	}
	if out, err := mark(hosted.ID, iv, "--step", "closer", "--seconds", "3", "--note", "lean in"); err != nil || !strings.Contains(out, "marked closer") {
		t.Fatalf("mark on a hosted room: %v %q", err, out)
	}
	var live report.Report
	e.api("GET", "/api/interviews/"+hosted.ID+"/report", nil, &live)
	if live.State != report.Live || !hasChallenge(live, "lean in") {
		t.Errorf("hosted room's live report: state %s, timeline %+v", live.State, live.Timeline)
	}
	for _, c := range live.Checks {
		if c.ID == report.CheckLiveness && len(c.Evidence) != 1 {
			t.Errorf("liveness evidence: %+v", c)
		}
	}
}

func hasChallenge(r report.Report, text string) bool {
	for _, ev := range r.Timeline {
		if ev.Kind == "challenge" && strings.Contains(ev.Detail, text) {
			return true
		}
	}
	return false
}
