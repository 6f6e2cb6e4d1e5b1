package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/integritybot/integritybot/internal/store"
)

// TestServeDataPrivate is the review's attack on files and metrics through a real serve
// (issue 15, findings 5 and 6). A data directory left 0755 with a 0644 database holding the
// API token in plaintext (an older version) is narrowed to 0700/0600 at start, the token is
// converted to its hash and keeps working, and no file of the data directory holds it;
// /metrics on loopback wants the token and the profiler is not served.
func TestServeDataPrivate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(data, "integritybot.db")
	const token = "legacy-plaintext-token-6b0e2f9d41"
	old, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.SetSetting(context.Background(), "api_token", token); err != nil {
		t.Fatal(err)
	}
	old.Close()
	for name, mode := range map[string]os.FileMode{data: 0o755, db: 0o644} {
		if err := os.Chmod(name, mode); err != nil {
			t.Fatal(err)
		}
	}

	out, _ := startServe(t, "--addr", "127.0.0.1:0", "--data", data)
	base := regexp.MustCompile(`open (http://\S+)`).FindStringSubmatch(out.String())
	if base == nil {
		t.Fatalf("no URL in:\n%s", out)
	}
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		name string
		mode os.FileMode
	}{{data, 0o700}, {db, 0o600}, {db + "-wal", 0o600}, {db + "-shm", 0o600}} {
		if fi, err := os.Stat(want.name); err != nil || fi.Mode().Perm() != want.mode {
			t.Errorf("%s: %v %v, want mode %04o", want.name, fi.Mode().Perm(), err, want.mode)
		}
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(data, e.Name()))
		if err == nil && bytes.Contains(b, []byte(token)) {
			t.Errorf("the API token is in plaintext in %s", e.Name())
		}
	}
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/api/interviews", token, 200},
		{"/api/interviews", store.HashToken(token), 401},
		{"/metrics", "", 401},
		{"/metrics", token, 200},
		{"/debug/pprof/", token, 404},
	} {
		req, _ := http.NewRequest("GET", base[1]+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s (token %.8q): HTTP %d, want %d", tc.path, tc.token, resp.StatusCode, tc.want)
		}
	}
}
