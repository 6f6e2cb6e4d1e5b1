package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/integritybot/integritybot/internal/server"
)

// TestListInterviewsPaging: GET /api/interviews pages with limit and next_cursor through
// every interview once (the review found only the last 50, no paging); bad parameters are 400.
func TestListInterviewsPaging(t *testing.T) {
	const token = "page-api-token-0123456789"
	e := newSecEnv(t, func(o *server.Options) { o.APIToken = token })
	const n = 7
	for range n {
		e.createFor(t, token, "Paged Person")
	}
	seen := map[string]bool{}
	var sizes []int
	cursor := ""
	for range n + 1 {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/interviews?limit=3&cursor="+url.QueryEscape(cursor), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Interviews []struct{ ID string } `json:"interviews"`
			NextCursor string                `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d, %v", resp.StatusCode, err)
		}
		sizes = append(sizes, len(page.Interviews))
		for _, iv := range page.Interviews {
			if seen[iv.ID] {
				t.Fatalf("%s on two pages", iv.ID)
			}
			seen[iv.ID] = true
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != n || len(sizes) != 3 || sizes[0] != 3 || sizes[2] != 1 {
		t.Fatalf("pages of %v holding %d interviews, want [3 3 1] holding %d", sizes, len(seen), n)
	}
	for _, q := range []string{"limit=0", "limit=201", "limit=x", "cursor=not-a-cursor"} {
		if got := e.status(t, "GET", "/api/interviews?"+q, token); got != http.StatusBadRequest {
			t.Errorf("?%s: HTTP %d, want 400", q, got)
		}
	}
}
