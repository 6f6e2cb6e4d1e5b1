package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
)

// hits is an HTTP server that records every request that reaches it: the target of an
// attack, which must see none.
type hits struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string
}

func newHits(t *testing.T) *hits {
	h := &hits{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
		h.mu.Unlock()
		http.Error(w, "nothing here", http.StatusNotFound)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hits) requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.reqs...)
}

// TestAPIJoinTargets performs the review's join-target attacks through the real server
// (issue 15, findings 2 and 4): each is refused with 400 before anything is stored, and
// the server it aims at sees no request — above all no LiveKit token.
func TestAPIJoinTargets(t *testing.T) {
	target := newHits(t)
	const secret = "secret-of-at-least-32-characters!"
	e := startServer(t, func(c *config.Config) {
		c.Join.AllowedNetworks = nil // the default: loopback is refused
		c.LiveKit.APIKey, c.LiveKit.APISecret = "devkey", secret
		c.LiveKit.URL, c.LiveKit.RoomPrefix = "wss://livekit.invalid", "interview-"
	})
	tests := []struct {
		name string
		join map[string]any
		want string
	}{
		{"whep on loopback", map[string]any{"whep": target.URL + "/whep"}, "127.0.0.1 is not a public address"},
		{"whep on cloud metadata", map[string]any{"whep": "http://169.254.169.254/latest/meta-data/"}, "169.254.169.254 is not a public address"},
		{"whep on a private address", map[string]any{"whep": "http://[fd00::1]:8889/cam/whep"}, "fd00::1 is not a public address"},
		{"whep with userinfo", map[string]any{"whep": "https://admin:pw@whep.example.com/whep"}, "user name or password"},
		{"whep 60 KB", map[string]any{"whep": "https://whep.example.com/whep?" + strings.Repeat("a", 60<<10)}, "limited to 2048 bytes"},
		{"livekit at a caller-chosen URL", map[string]any{"livekit": map[string]string{"url": target.URL, "room": "interview-1"}},
			"must be the configured LiveKit server"},
		{"livekit as a caller-chosen identity", map[string]any{"livekit": map[string]string{"room": "interview-1", "identity": "candidate"}},
			"join.livekit.identity cannot be chosen through the API"},
		{"livekit room without the prefix", map[string]any{"livekit": map[string]string{"room": "board-meeting"}}, `must start with "interview-"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res struct{ Error string }
			code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Target"}, "join": tt.join}, &res)
			if code != http.StatusBadRequest || !strings.Contains(res.Error, tt.want) {
				t.Fatalf("%d %q, want 400 saying %q", code, res.Error, tt.want)
			}
			if strings.Contains(res.Error, secret) {
				t.Fatalf("the answer shows the secret")
			}
		})
	}
	if got := target.requests(); len(got) > 0 {
		t.Fatalf("the target got %d requests: %q", len(got), got)
	}
	var list struct{ Interviews []struct{ ID string } }
	if e.api("GET", "/api/interviews", nil, &list); len(list.Interviews) != 0 {
		t.Errorf("refused joins left %d interviews stored", len(list.Interviews))
	}
}

// TestAPIJoinRebinding: a WHEP URL whose name resolves to loopback passes the URL check
// (it is a name) and is refused when connecting, on the resolved address; the join ends
// with the refusal in the report and the server behind the name sees no request.
func TestAPIJoinRebinding(t *testing.T) {
	target := newHits(t)
	e := startServer(t, func(c *config.Config) { c.Join.AllowedNetworks = nil })
	var iv server.CreateResponse
	url := strings.Replace(target.URL, "127.0.0.1", "localhost", 1) + "/whep"
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Rebind"},
		"join": map[string]string{"whep": url, "bearer": "endpoint-token"}}, &iv); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	var r report.Report
	pollUntil(t, "the refused join's final report", func() bool {
		return e.api("GET", "/api/interviews/"+iv.ID+"/report", nil, &r) == http.StatusOK && r.State == report.Final
	})
	found := false
	for _, ev := range r.Timeline {
		found = found || strings.Contains(ev.Detail, "is not a public address")
	}
	if !found {
		t.Errorf("the timeline does not say why: %+v", r.Timeline)
	}
	if got := target.requests(); len(got) > 0 {
		t.Fatalf("the target got %d requests: %q", len(got), got)
	}
}

// TestAPIJoinDisabled: join.enabled false refuses every join through the API, before
// storing anything.
func TestAPIJoinDisabled(t *testing.T) {
	target := newHits(t)
	e := startServer(t, func(c *config.Config) { c.Join.Enabled = false })
	var res struct{ Error string }
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{"name": "Off"},
		"join": map[string]string{"whep": target.URL + "/whep"}}, &res); code != http.StatusBadRequest ||
		!strings.Contains(res.Error, "does not join calls through the API") {
		t.Fatalf("%d %q", code, res.Error)
	}
	if got := target.requests(); len(got) > 0 {
		t.Fatalf("the target got %d requests: %q", len(got), got)
	}
}
