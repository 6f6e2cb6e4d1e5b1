package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/store"
)

const apiToken = "test-api-token"

type env struct {
	t      *testing.T
	st     *store.Store
	srv    *httptest.Server
	signer *auth.Signer
	clock  time.Time
	svc    *interview.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with the server's options changed by mod.
func newEnvWith(t *testing.T, mod func(*server.Options)) *env {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ib.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, clock: time.Now()}
	e.signer = auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return e.clock })
	svc, log := newInterviews(t, st, e.signer, "http://example.test") // security_test.go
	e.svc = svc
	opt := server.Options{Store: st, Signer: e.signer, APIToken: apiToken, Interviews: svc, Log: log}
	if mod != nil {
		mod(&opt)
	}
	srv := httptest.NewServer(server.New(opt))
	t.Cleanup(srv.Close)
	e.srv = srv
	return e
}

func (e *env) do(method, path, token string, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func (e *env) create() server.CreateResponse {
	e.t.Helper()
	code, out := e.do("POST", "/api/interviews", apiToken,
		`{"candidate":{"name":"Jane Doe","claimed_location":"Austin, TX","claimed_timezone":"America/Chicago"},"notes":"n"}`)
	if code != http.StatusCreated {
		e.t.Fatalf("create: %d %v", code, out)
	}
	b, _ := json.Marshal(out)
	var r server.CreateResponse
	_ = json.Unmarshal(b, &r)
	return r
}

func tokenOf(url string) string { return url[strings.LastIndex(url, "/")+1:] }

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, token, body string
		code              int
		msg               string
	}{
		{"no token", "", `{"candidate":{"name":"A"}}`, 401, "missing token"},
		{"wrong token", "nope", `{"candidate":{"name":"A"}}`, 401, "not valid"},
		{"bad json", apiToken, `{"candidate":`, 400, "invalid JSON"},
		{"unknown field", apiToken, `{"candidate":{"name":"A"},"salary":1}`, 400, "unknown field"},
		{"no name", apiToken, `{"candidate":{"name":"  "}}`, 400, "name is required"},
		{"bad zone", apiToken, `{"candidate":{"name":"A","claimed_timezone":"Mars/Olympus"}}`, 400, "IANA"},
		{"ok", apiToken, `{"candidate":{"name":"A","claimed_timezone":"Europe/Berlin"}}`, 201, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do("POST", "/api/interviews", tc.token, tc.body)
			if code != tc.code {
				t.Fatalf("code = %d (%v), want %d", code, out, tc.code)
			}
			if msg, _ := out["error"].(string); !strings.Contains(msg, tc.msg) {
				t.Fatalf("error = %q, want it to contain %q", msg, tc.msg)
			}
		})
	}
}

func TestLinksAndRoles(t *testing.T) {
	e := newEnv(t)
	links := e.create()
	other := e.create()
	cand, iv, rep := tokenOf(links.CandidateURL), tokenOf(links.InterviewerURL), tokenOf(links.ReportURL)
	if !strings.HasPrefix(links.CandidateURL, "http://example.test/c/") || !strings.HasPrefix(links.ReportURL, "http://example.test/r/") {
		t.Fatalf("links not under the public URL: %+v", links)
	}
	reportPath := "/api/interviews/" + links.ID + "/report"
	endPath := "/api/interviews/" + links.ID + "/end"
	cases := []struct {
		name, method, path, token string
		code                      int
	}{
		{"api token reads report", "GET", reportPath, apiToken, 200},
		{"interviewer reads report", "GET", reportPath, iv, 200},
		{"report link reads report", "GET", reportPath, rep, 200},
		{"report alias", "GET", "/api/report?token=" + rep, "", 200},
		{"candidate cannot read report", "GET", reportPath, cand, 403},
		{"other interview's link", "GET", reportPath, tokenOf(other.InterviewerURL), 403},
		{"garbage token", "GET", reportPath, "abc.def", 401},
		{"candidate cannot end", "POST", endPath, cand, 403},
		{"report link cannot end", "POST", endPath, rep, 403},
		{"candidate cannot list", "GET", "/api/interviews", cand, 403},
		{"api token lists", "GET", "/api/interviews", apiToken, 200},
		{"candidate page", "GET", "/c/" + cand, "", 200},
		{"candidate token on interviewer page", "GET", "/i/" + cand, "", 403},
		{"bad page token", "GET", "/i/garbage", "", 401},
		{"report link cannot join", "GET", "/api/ws?token=" + rep, "", 403},
		{"unknown interview", "GET", "/api/interviews/nope/report", apiToken, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(tc.method, tc.path, tc.token, "")
			if code != tc.code {
				t.Fatalf("%s %s = %d (%v), want %d", tc.method, tc.path, code, out, tc.code)
			}
			if code >= 400 && !strings.HasPrefix(tc.path, "/c/") && !strings.HasPrefix(tc.path, "/i/") {
				if msg, _ := out["error"].(string); msg == "" {
					t.Fatalf("error answer without a message: %v", out)
				}
			}
		})
	}
}

func TestExpiredLink(t *testing.T) {
	e := newEnv(t)
	links := e.create()
	e.clock = e.clock.Add(2 * time.Hour) // LinkTTL is 1 h
	code, out := e.do("GET", "/api/interviews/"+links.ID+"/report", tokenOf(links.InterviewerURL), "")
	if code != 401 || !strings.Contains(out["error"].(string), "expired") {
		t.Fatalf("expired link: %d %v", code, out)
	}
}

func TestEndWithoutJoin(t *testing.T) {
	e := newEnv(t)
	links := e.create()
	code, out := e.do("GET", "/api/interviews/"+links.ID+"/report", apiToken, "")
	if code != 200 || out["state"] != string(report.Scheduled) || out["overall"] != string(report.InsufficientData) {
		t.Fatalf("report before the call: %d %v", code, out)
	}
	for i := 0; i < 2; i++ { // ending twice is fine
		code, out = e.do("POST", "/api/interviews/"+links.ID+"/end", tokenOf(links.InterviewerURL), "")
		if code != 200 || out["state"] != string(report.Final) {
			t.Fatalf("end #%d: %d %v", i, code, out)
		}
	}
	checks := out["checks"].([]any)
	if c := checks[0].(map[string]any); c["status"] != "unknown" || !strings.Contains(c["summary"].(string), "never joined") {
		t.Fatalf("camera check of an interview nobody joined: %v", c)
	}
	// An ended interview cannot be joined; the reason comes before any websocket upgrade.
	code, out = e.do("GET", "/api/ws?token="+tokenOf(links.CandidateURL), "", "")
	if code != http.StatusGone {
		t.Fatalf("join after end: %d %v", code, out)
	}
}

func TestWebsocketGarbage(t *testing.T) {
	e := newEnv(t)
	links := e.create()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/ws?token=" + tokenOf(links.CandidateURL)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var welcome map[string]any
	if err := ws.ReadJSON(&welcome); err != nil || welcome["type"] != "welcome" || welcome["role"] != "candidate" {
		t.Fatalf("welcome: %v %v", err, welcome)
	}
	_ = ws.WriteMessage(websocket.BinaryMessage, bytes.Repeat([]byte{0xff}, 100))
	_ = ws.WriteMessage(websocket.TextMessage, []byte("\x00garbage"))
	for i := 0; i < 2; i++ {
		var msg map[string]any
		_ = ws.SetReadDeadline(time.Now().Add(time.Minute)) // a hang guard, not a speed limit
		if err := ws.ReadJSON(&msg); err != nil || msg["type"] != "error" {
			t.Fatalf("answer to garbage #%d: %v %v", i, err, msg)
		}
	}
	// The server is still healthy.
	if code, _ := e.do("GET", "/healthz", "", ""); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
}
