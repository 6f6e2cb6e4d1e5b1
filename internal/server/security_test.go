package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/store"
)

// secEnv is a server on a SQLite store for the security tests (issue 15); edit changes its
// options before it starts.
type secEnv struct {
	srv    *httptest.Server
	st     *store.Store
	path   string
	signer *auth.Signer
	svc    *interview.Service
}

func newSecEnv(t *testing.T, edit func(*server.Options)) *secEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "integritybot.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	signer := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	svc, log := newInterviews(t, st, signer, "http://example.test")
	opt := server.Options{Store: st, Signer: signer, Interviews: svc, Log: log}
	if edit != nil {
		edit(&opt)
	}
	srv := httptest.NewServer(server.New(opt))
	t.Cleanup(srv.Close)
	return &secEnv{srv: srv, st: st, path: path, signer: signer, svc: svc}
}

// newInterviews is the interview service on st, with hosted rooms, closed when the test
// ends; its links are signed by signer and based on base. The logger is silent.
func newInterviews(t *testing.T, st *store.Store, signer *auth.Signer, base string) (*interview.Service, *slog.Logger) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := interview.New(interview.Options{Store: st, Log: log, Rooms: &room.Config{IncludeLoopback: true},
		Links: interview.Linker{Signer: signer, PublicURL: base, LinkTTL: time.Hour, ReportTTL: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	return svc, log
}

// status sends method path with token as the bearer and returns the HTTP status.
func (e *secEnv) status(t *testing.T, method, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestAPITokenHashOnly: a server given only the stored hash of the API token accepts the
// token and nothing else.
func TestAPITokenHashOnly(t *testing.T) {
	const token = "hashed-api-token-5e1f9a0c7d3b"
	e := newSecEnv(t, func(o *server.Options) { o.APITokenHash = store.HashToken(token) })
	for _, tc := range []struct {
		token string
		want  int
	}{
		{token, http.StatusOK},
		{store.HashToken(token), http.StatusUnauthorized}, // the hash itself is not the token
		{token + "x", http.StatusUnauthorized},
		{"", http.StatusUnauthorized},
	} {
		if got := e.status(t, "GET", "/api/interviews", tc.token); got != tc.want {
			t.Errorf("token %q: HTTP %d, want %d", tc.token, got, tc.want)
		}
	}
}

// spyCall is a running call around a real session that records when it is ended and, like
// a live room ending, tries to store its final report then (st set): saved receives what the
// store said.
type spyCall struct {
	sess    *bot.Session
	ended   chan string
	st      *store.Store
	saved   chan error
	release func()
}

// attachSpy lists a spyCall as the running call of interview id.
func (e *secEnv) attachSpy(id string, ended chan string, st *store.Store, saved chan error) {
	sess := bot.NewSession(id, report.Candidate{}, time.Now(), bot.Config{}, nil, nil, nil)
	c := &spyCall{sess: sess, ended: ended, st: st, saved: saved}
	c.release = e.svc.Attach(id, c)
}

func (c *spyCall) Session() *bot.Session { return c.sess }
func (c *spyCall) Live() *report.Report  { return c.sess.Report(report.Live) }

// End ends the session, tries to save its final report, and releases the call, as a
// connector does.
func (c *spyCall) End(ctx context.Context, reason string) *report.Report {
	id := c.sess.Report(report.Live).InterviewID
	c.ended <- id
	r := c.sess.End(ctx, report.Final)
	if c.st != nil {
		c.saved <- c.st.SaveReport(ctx, r)
	}
	c.release()
	return r
}

// createFor creates an interview for candidate name with the API token and returns its links.
func (e *secEnv) createFor(t *testing.T, token, name string) server.CreateResponse {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/interviews",
		strings.NewReader(`{"candidate":{"name":"`+name+`","claimed_location":"Porto"},"notes":"about `+name+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out server.CreateResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: HTTP %d, %v", resp.StatusCode, err)
	}
	return out
}

// linkToken is the token at the end of a link.
func linkToken(link string) string { return link[strings.LastIndex(link, "/")+1:] }

// TestDeleteInterviewAPI: DELETE /api/interviews/{id} needs the API token (a candidate or
// interviewer link gets 403), ends the call — whose final report can no longer be stored by
// then, so no summary of it is queued either — kills every link (410) and leaves nothing of
// the candidate — name, notes, id — in the database's files.
func TestDeleteInterviewAPI(t *testing.T) {
	const token = "delete-api-token-0123456789"
	ended, saved := make(chan string, 4), make(chan error, 4)
	e := newSecEnv(t, func(o *server.Options) { o.APIToken = token })
	const name = "Wilhelmina Oduya-Prescott"
	iv := e.createFor(t, token, name)
	e.attachSpy(iv.ID, ended, e.st, saved)
	kept := e.createFor(t, token, "Someone Else Entirely")
	cand, intv, rep := linkToken(iv.CandidateURL), linkToken(iv.InterviewerURL), linkToken(iv.ReportURL)
	for _, link := range []string{cand, intv, rep} {
		if got := e.status(t, "DELETE", "/api/interviews/"+iv.ID, link); got != http.StatusForbidden {
			t.Fatalf("DELETE with a link: HTTP %d, want 403", got)
		}
	}
	if got := e.status(t, "DELETE", "/api/interviews/"+iv.ID, token); got != http.StatusOK {
		t.Fatalf("DELETE: HTTP %d", got)
	}
	if got := <-ended; got != iv.ID {
		t.Fatalf("ended the call of %q, want %q", got, iv.ID)
	}
	if err := <-saved; !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the ending call's final report was stored (%v): the interview must be gone first", err)
	}
	for path, tok := range map[string]string{
		"/c/" + cand: "", "/i/" + intv: "", "/r/" + rep: "",
		"/api/report": rep, "/api/ws": cand, "/api/interviews/" + iv.ID + "/notes": intv,
	} {
		if got := e.status(t, "GET", path, tok); got != http.StatusGone {
			t.Errorf("GET %s after delete: HTTP %d, want 410", path, got)
		}
	}
	if got := e.status(t, "GET", "/api/interviews/"+iv.ID+"/report", token); got != http.StatusNotFound {
		t.Errorf("report after delete: HTTP %d, want 404", got)
	}
	if got := e.status(t, "DELETE", "/api/interviews/"+iv.ID, token); got != http.StatusNotFound {
		t.Errorf("second DELETE: HTTP %d, want 404", got)
	}
	if got := e.status(t, "GET", "/c/"+linkToken(kept.CandidateURL), ""); got != http.StatusOK {
		t.Errorf("another interview's link: HTTP %d, want 200", got)
	}
	e.assertNotInFiles(t, name, iv.ID)
}

// TestRevokeLinksAPI: POST /api/interviews/{id}/revoke ends the call and kills the links
// (410) but keeps the report for the API token.
func TestRevokeLinksAPI(t *testing.T) {
	const token = "revoke-api-token-0123456789"
	ended := make(chan string, 4)
	e := newSecEnv(t, func(o *server.Options) { o.APIToken = token })
	iv := e.createFor(t, token, "Benedikt Araujo")
	e.attachSpy(iv.ID, ended, nil, nil)
	cand := linkToken(iv.CandidateURL)
	if got := e.status(t, "POST", "/api/interviews/"+iv.ID+"/revoke", cand); got != http.StatusForbidden {
		t.Fatalf("revoke with the candidate link: HTTP %d, want 403", got)
	}
	if got := e.status(t, "GET", "/c/"+cand, ""); got != http.StatusOK {
		t.Fatalf("candidate page before revoke: HTTP %d", got)
	}
	if got := e.status(t, "POST", "/api/interviews/"+iv.ID+"/revoke", token); got != http.StatusOK {
		t.Fatalf("revoke: HTTP %d", got)
	}
	if got := <-ended; got != iv.ID {
		t.Fatalf("ended the call of %q, want %q", got, iv.ID)
	}
	for path, tok := range map[string]string{"/c/" + cand: "", "/api/ws": cand, "/api/report": linkToken(iv.ReportURL)} {
		if got := e.status(t, "GET", path, tok); got != http.StatusGone {
			t.Errorf("GET %s after revoke: HTTP %d, want 410", path, got)
		}
	}
	if got := e.status(t, "GET", "/api/interviews/"+iv.ID+"/report", token); got != http.StatusOK {
		t.Errorf("report with the API token after revoke: HTTP %d, want 200", got)
	}
	if got := e.status(t, "POST", "/api/interviews/nope/revoke", token); got != http.StatusNotFound {
		t.Errorf("revoke an unknown interview: HTTP %d, want 404", got)
	}
}

// assertNotInFiles fails if any marker is in the raw bytes of the store's files.
func (e *secEnv) assertNotInFiles(t *testing.T, markers ...string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(e.path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markers {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("%q is still in %s%s", m, filepath.Base(e.path), suffix)
			}
		}
	}
}

// TestAPITokenNotInQuery: the API token as ?token= is refused (query strings end up in proxy
// logs), on every route; link tokens still work there, as the websocket and pages need.
func TestAPITokenNotInQuery(t *testing.T) {
	const token = "query-api-token-8c2d4e6f0a1b"
	e := newSecEnv(t, func(o *server.Options) { o.APITokenHash = store.HashToken(token) })
	links := e.createFor(t, token, "Quinn")
	id := links.ID
	for _, path := range []string{"/api/interviews", "/api/interviews/" + id + "/report", "/api/report", "/api/interviews/" + id + "/notes"} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		resp, err := http.Get(e.srv.URL + path + sep + "token=" + token)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "only in the Authorization header") {
			t.Errorf("GET %s?token=<API token>: %d %s, want 401", path, resp.StatusCode, body)
		}
	}
	if got := e.status(t, "GET", "/api/interviews/"+id+"/report", token); got != http.StatusOK {
		t.Errorf("API token in the header: %d", got)
	}
	resp, err := http.Get(e.srv.URL + "/api/report?token=" + linkToken(links.ReportURL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("report link as ?token=: %d, want 200", resp.StatusCode)
	}
}
