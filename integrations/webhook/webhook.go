// Package webhook posts notifications as JSON to any URL (generic webhook), for tools other
// than Slack and Discord.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// Schema names the JSON body.
const Schema = "integritybot.notification/v1"

// Config is what the Notifier is built from: internal/config's webhook section, converted by
// cmd/integritybot.
type Config struct {
	// URL receives a JSON POST per summary and live alert.
	URL integrations.Secret
}

// Body is what the webhook receives.
type Body struct {
	Schema      string            `json:"schema"`
	Kind        integrations.Kind `json:"kind"`
	InterviewID string            `json:"interview_id"`
	Check       string            `json:"check,omitempty"`
	ReportURL   string            `json:"report_url"`
	Text        integrations.Text `json:"text"`
	Report      *report.Report    `json:"report"`
}

// Notifier posts Body to the URL with an Idempotency-Key header (the outbox key): delivery
// is at-least-once, and receivers drop repeats by that key.
type Notifier struct {
	url  string
	http *http.Client
}

var _ integrations.Notifier = (*Notifier)(nil)

// New returns a Notifier; hc nil means a client with a 30 s timeout.
func New(cfg Config, hc *http.Client) *Notifier {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Notifier{url: cfg.URL.Value(), http: hc}
}

// Notify posts m. 2xx is delivered; 408, 429 and 5xx are retried (honouring Retry-After);
// other statuses are refused for good.
func (n *Notifier) Notify(ctx context.Context, m integrations.Message) (integrations.Receipt, bool, error) {
	body, err := json.Marshal(Body{Schema: Schema, Kind: m.Kind, InterviewID: m.Report.InterviewID, Check: m.Check,
		ReportURL: m.ReportURL, Text: integrations.Render(m), Report: m.Report})
	if err != nil {
		return integrations.Receipt{}, false, fmt.Errorf("webhook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return integrations.Receipt{}, false, integrations.Redact(fmt.Errorf("webhook: %w", err), n.url)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.Key)
	resp, err := n.http.Do(req)
	if err != nil {
		return integrations.Receipt{}, true, integrations.Redact(fmt.Errorf("webhook: post: %w", err), n.url)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return integrations.Receipt{MessageID: resp.Header.Get("X-Message-Id")}, false, nil
	case c == http.StatusTooManyRequests || c == http.StatusRequestTimeout || c >= 500:
		err := fmt.Errorf("webhook: post: HTTP %d", c)
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			err = &integrations.RetryAfterError{After: time.Duration(s) * time.Second, Err: err}
		}
		return integrations.Receipt{}, true, err
	default:
		return integrations.Receipt{}, false, fmt.Errorf("webhook: post: refused with HTTP %d", c)
	}
}
