package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/auth"
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
}

func newSecEnv(t *testing.T, edit func(*server.Options)) *secEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "integritybot.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := room.NewManager(room.Config{IncludeLoopback: true}, store.Rooms{Store: st}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	signer := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	opt := server.Options{Store: st, Signer: signer, Rooms: m, PublicURL: "http://example.test",
		LinkTTL: time.Hour, ReportTTL: 24 * time.Hour, Log: log}
	if edit != nil {
		edit(&opt)
	}
	srv := httptest.NewServer(server.New(opt))
	t.Cleanup(srv.Close)
	return &secEnv{srv: srv, st: st, path: path, signer: signer}
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
