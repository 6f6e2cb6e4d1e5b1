package server_test

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/server"
)

// post creates an interview as client (X-Forwarded-For through the trusted loopback proxy)
// and returns the response, body closed.
func (e *secEnv) post(t *testing.T, token, client, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/interviews", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Forwarded-For", client)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestCreateRateLimited is the review's creation flood (issue 15, finding 9: 5,000 in 52 s):
// with a burst of 3 and 60 a minute, the 4th creation from one address gets 429 with
// Retry-After 1 and stores nothing; a second later one more goes through; another address
// has its own bucket.
func TestCreateRateLimited(t *testing.T) {
	const token = "rate-api-token-0123456789"
	clock := &sharedClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)} // route_test.go
	e := newSecEnv(t, func(o *server.Options) {
		o.APIToken, o.Now = token, clock.now
		o.CreatePerMinute, o.CreateBurst = 60, 3
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	const body = `{"candidate":{"name":"Flood"}}`
	for i := range 3 {
		if resp := e.post(t, token, "198.51.100.7", body); resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %d: HTTP %d", i+1, resp.StatusCode)
		}
	}
	resp := e.post(t, token, "198.51.100.7", body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("4th create: HTTP %d, Retry-After %q; want 429, 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := e.post(t, token, "203.0.113.9", body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another address: HTTP %d", resp.StatusCode)
	}
	clock.advance(time.Second)
	if resp := e.post(t, token, "198.51.100.7", body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("a second later: HTTP %d", resp.StatusCode)
	}
	if resp := e.post(t, token, "198.51.100.7", body); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("then again at once: HTTP %d, want 429", resp.StatusCode)
	}
	ivs, err := e.st.ListInterviews(context.Background(), 0)
	if err != nil || len(ivs) != 5 {
		t.Fatalf("stored %d interviews (%v), want 5: a refused creation stored one", len(ivs), err)
	}
}
