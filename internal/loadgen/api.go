package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/integritybot/integritybot/internal/report"
)

// api talks to integritybot's HTTP API (docs/protocol.md) with the API token.
type api struct {
	base  string
	token string
	hc    *http.Client
}

type created struct {
	ID           string `json:"id"`
	CandidateURL string `json:"candidate_url"`
}

// create makes a new interview and returns its id and the candidate's link token.
func (a *api) create(ctx context.Context, name string) (id, candToken string, err error) {
	body := map[string]any{"candidate": map[string]string{"name": name, "claimed_location": "Austin, TX",
		"claimed_timezone": "America/Chicago"}, "notes": "loadgen"}
	var c created
	if err := a.do(ctx, http.MethodPost, "/api/interviews", body, &c); err != nil {
		return "", "", fmt.Errorf("create interview: %w", err)
	}
	i := strings.LastIndex(c.CandidateURL, "/c/")
	if c.ID == "" || i < 0 {
		return "", "", fmt.Errorf("create interview: answer without id or candidate_url")
	}
	return c.ID, c.CandidateURL[i+3:], nil
}

func (a *api) report(ctx context.Context, id string) (*report.Report, error) {
	var r report.Report
	if err := a.do(ctx, http.MethodGet, "/api/interviews/"+id+"/report", nil, &r); err != nil {
		return nil, fmt.Errorf("get report: %w", err)
	}
	return &r, nil
}

func (a *api) end(ctx context.Context, id string) (*report.Report, error) {
	var r report.Report
	if err := a.do(ctx, http.MethodPost, "/api/interviews/"+id+"/end", nil, &r); err != nil {
		return nil, fmt.Errorf("end interview: %w", err)
	}
	return &r, nil
}

// wsURL is the signaling websocket of interview id for a link token.
func (a *api) wsURL(id, token string) string {
	base := strings.Replace(strings.Replace(a.base, "https://", "wss://", 1), "http://", "ws://", 1)
	return base + "/api/interviews/" + id + "/ws?token=" + token
}

func (a *api) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, e.Error)
	}
	return json.Unmarshal(data, out)
}
