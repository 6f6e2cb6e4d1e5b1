package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/store"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/liveness"
)

// sessionCall is a running call around a real session, as a connector attaches it to the
// interview service's registry.
type sessionCall struct{ s *bot.Session }

func (c sessionCall) Session() *bot.Session { return c.s }
func (c sessionCall) Live() *report.Report  { return c.s.Report(report.Live) }
func (c sessionCall) End(ctx context.Context, reason string) *report.Report {
	c.s.Event("ended", reason)
	return c.s.End(ctx, report.Final)
}

// fakeClock is the server's and the sessions' clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newChallengeEnv is a server on clock; tests attach their calls to e.svc (a hosted room
// attaches its call to the same registry as a joined call).
func newChallengeEnv(t *testing.T, clock *fakeClock) *env {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ib.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, clock: clock.Now()}
	e.signer = auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), clock.Now)
	e.svc, _ = newInterviews(t, st, e.signer, "http://example.test")
	srv := httptest.NewServer(server.New(server.Options{Store: st, Signer: e.signer, APIToken: apiToken,
		Interviews: e.svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.Now}))
	t.Cleanup(srv.Close)
	e.srv = srv
	return e
}

// newFaces loads pigo's cascades once: embedded, else from the pigo module.
func newFaces(t *testing.T) *face.Analyzer {
	t.Helper()
	return corpustest.Faces(t, face.Config{})
}

func TestChallenge(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)}
	e := newChallengeEnv(t, clock)
	live := e.create()
	idle := e.create()
	cfg := bot.Config{NewAnalyzers: func() []bot.Analyzer {
		fa := newFaces(t)
		return []bot.Analyzer{fa, liveness.New(liveness.Config{}, fa)}
	}}
	sess := bot.NewSession(live.ID, report.Candidate{Name: "Jane Doe"}, clock.Now(), cfg, nil, nil, clock.Now)
	release := e.svc.Attach(live.ID, sessionCall{sess})
	clock.Add(20 * time.Second)
	path := "/api/interviews/" + live.ID + "/challenge"

	for _, tc := range []struct {
		name, path, token, body string
		want                    int
	}{
		{"no token", path, "", `{"step":"hand"}`, http.StatusUnauthorized},
		{"candidate link", path, tokenOf(live.CandidateURL), `{"step":"hand"}`, http.StatusForbidden},
		{"other interview's link", path, tokenOf(idle.InterviewerURL), `{"step":"hand"}`, http.StatusForbidden},
		{"unknown step", path, apiToken, `{"step":"dance","seconds":5}`, http.StatusBadRequest},
		{"no step", path, apiToken, `{"seconds":5}`, http.StatusBadRequest},
		{"zero seconds", path, apiToken, `{"step":"hand","seconds":0}`, http.StatusBadRequest},
		{"too long", path, apiToken, `{"step":"hand","seconds":31}`, http.StatusBadRequest},
		{"negative at_s", path, apiToken, `{"step":"hand","at_s":-1}`, http.StatusBadRequest},
		{"future at_s", path, apiToken, `{"step":"hand","at_s":25}`, http.StatusBadRequest},
		{"unknown field", path, apiToken, `{"step":"hand","sconds":5}`, http.StatusBadRequest},
		{"not JSON", path, apiToken, `step=hand`, http.StatusBadRequest},
		{"unknown interview", "/api/interviews/nope/challenge", apiToken, `{"step":"hand"}`, http.StatusNotFound},
		{"no running call", "/api/interviews/" + idle.ID + "/challenge", apiToken, `{"step":"hand"}`, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do("POST", tc.path, tc.token, tc.body)
			if code != tc.want || out["error"] == "" {
				t.Errorf("%d %v, want %d with an error", code, out, tc.want)
			}
		})
	}

	// Now (20 s into the call) with the API token, then one that already happened, with the
	// interviewer's link.
	code, out := e.do("POST", path, apiToken, `{"step":"turn_left","seconds":4}`)
	if code != http.StatusOK || out["at_s"] != 20.0 || out["until_s"] != 24.0 || out["step"] != "turn_left" {
		t.Fatalf("mark now: %d %v", code, out)
	}
	code, out = e.do("POST", path, tokenOf(live.InterviewerURL), `{"step":"custom","seconds":2.5,"at_s":12,"note":"look up"}`)
	if code != http.StatusOK || out["at_s"] != 12.0 || out["until_s"] != 14.5 {
		t.Fatalf("mark past: %d %v", code, out)
	}

	r := sess.Report(report.Live)
	var marks []string
	for _, ev := range r.Timeline {
		if ev.Kind == "challenge" {
			marks = append(marks, ev.Detail)
		}
	}
	if len(marks) != 2 || !strings.Contains(marks[1], "look up") {
		t.Errorf("timeline challenges: %q", marks)
	}
	var lv report.Check
	for _, c := range r.Checks {
		if c.ID == report.CheckLiveness {
			lv = c
		}
	}
	if len(lv.Evidence) != 2 || lv.Evidence[0].AtS != 20 {
		t.Errorf("liveness check does not hold the marked windows: %+v", lv)
	}

	// Once the call has ended (its final report saved, the call released) it is gone: 409.
	sess.End(context.Background(), report.Final)
	release()
	if code, out := e.do("POST", path, apiToken, `{"step":"hand"}`); code != http.StatusConflict {
		t.Errorf("after the end: %d %v", code, out)
	}
}

// TestChallengeWhileCallEnds: a mark that reaches the session after the call ended (the
// request found the call just before) is refused with 409, not confirmed and then missing
// from the final report.
func TestChallengeWhileCallEnds(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)}
	e := newChallengeEnv(t, clock)
	iv := e.create()
	// Never released: the registry hands out the session even after its call ended, which is
	// what a request holds that found the call just before the call ended.
	found := sessionCall{bot.NewSession(iv.ID, report.Candidate{Name: "Jane Doe"}, clock.Now(), bot.Config{}, nil, nil, clock.Now)}
	e.svc.Attach(iv.ID, found)
	clock.Add(20 * time.Second)
	path := "/api/interviews/" + iv.ID + "/challenge"
	if code, out := e.do("POST", path, apiToken, `{"step":"hand","seconds":4}`); code != http.StatusOK {
		t.Fatalf("mark during the call: %d %v", code, out)
	}
	final := found.s.End(context.Background(), report.Final)
	code, out := e.do("POST", path, apiToken, `{"step":"closer","seconds":4}`)
	if code != http.StatusConflict || !strings.Contains(fmt.Sprint(out["error"]), "ended") {
		t.Errorf("mark after the end: %d %v, want 409 saying the call ended", code, out)
	}
	var marks []string
	for _, r := range []*report.Report{final, found.s.Report(report.Final)} {
		for _, ev := range r.Timeline {
			if ev.Kind == "challenge" {
				marks = append(marks, ev.Detail)
			}
		}
	}
	if len(marks) != 2 || !strings.Contains(marks[0], "(hand)") || !strings.Contains(marks[1], "(hand)") {
		t.Errorf("final report's challenges %q, want only the mark made during the call", marks)
	}
}
