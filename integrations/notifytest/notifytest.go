// Package notifytest is the conformance suite every integrations.Notifier passes: success,
// retry classification (5xx and 429 retry, 429 with its delay, refusals do not), no secret
// in any error, platform limits on a huge report, and context cancellation.
package notifytest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// Mode is how the fake platform answers.
type Mode int

// Modes.
const (
	OK          Mode = iota
	ServerError      // HTTP 500
	RateLimited      // HTTP 429, retry after 7 s
	Refused          // a permanent refusal (bad token / unknown channel)
	Hang             // never answers before the request's context ends
)

// Suite describes one notifier to the conformance tests.
type Suite struct {
	// New returns the notifier under test, configured against the fake at url.
	New func(t *testing.T, url string) integrations.Notifier
	// Handler is the fake platform answering in mode; record is called with every request
	// body the fake accepted (for the limits check).
	Handler func(mode Mode, record func(r *http.Request, body []byte)) http.Handler
	// Secrets must never appear in errors.
	Secrets []string
	// Limits checks a recorded request of the huge message against the platform's limits.
	Limits func(t *testing.T, r *http.Request, body []byte)
	// Target is the channel messages go to ("" for webhook modes).
	Target string
}

// Report returns a report with n checks whose sentences are long, the worst case for limits.
func Report(n int) *report.Report {
	start := time.Date(2026, 3, 2, 15, 4, 0, 0, time.UTC)
	end := start.Add(12 * time.Minute)
	r := &report.Report{Schema: report.Schema, InterviewID: "iv-conformance", State: report.Final,
		Candidate: report.Candidate{Name: "Jane <Doe> & Co", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"},
		StartedAt: &start, EndedAt: &end, Overall: report.StrongConcerns}
	for i := range n {
		r.Checks = append(r.Checks, report.Check{ID: fmt.Sprintf("check_%02d", i), Status: report.Fail, Confidence: 0.9,
			Summary:  strings.Repeat("The camera showed a frozen picture for a long time. ", 80),
			NextStep: "Ask them to wave.",
			Evidence: []report.Evidence{report.Range(float64(i), float64(i+3), "frozen", "identical frames")}})
	}
	return r
}

// Run runs the suite.
func Run(t *testing.T, s Suite) {
	msg := func() integrations.Message {
		return integrations.Message{Key: "iv-conformance/x/summary", Kind: integrations.Summary, Target: s.Target,
			Report: Report(3), ReportURL: "https://ib.example/r/token"}
	}
	start := func(t *testing.T, mode Mode, record func(*http.Request, []byte)) integrations.Notifier {
		t.Helper()
		if record == nil {
			record = func(*http.Request, []byte) {}
		}
		srv := httptest.NewServer(s.Handler(mode, record))
		t.Cleanup(srv.Close)
		return s.New(t, srv.URL)
	}
	noSecret := func(t *testing.T, err error) {
		t.Helper()
		for _, sec := range s.Secrets {
			if sec != "" && strings.Contains(err.Error(), sec) {
				t.Errorf("error contains a secret: %v", err)
			}
		}
	}
	t.Run("delivers", func(t *testing.T) {
		_, retry, err := start(t, OK, nil).Notify(t.Context(), msg())
		if err != nil || retry {
			t.Fatalf("Notify = retry %v, %v; want delivered", retry, err)
		}
	})
	t.Run("server error is retryable", func(t *testing.T) {
		_, retry, err := start(t, ServerError, nil).Notify(t.Context(), msg())
		if err == nil || !retry {
			t.Fatalf("Notify = retry %v, %v; want a retryable error", retry, err)
		}
		noSecret(t, err)
	})
	t.Run("429 is retryable with its delay", func(t *testing.T) {
		_, retry, err := start(t, RateLimited, nil).Notify(t.Context(), msg())
		if err == nil || !retry {
			t.Fatalf("Notify = retry %v, %v; want a retryable error", retry, err)
		}
		if d, ok := integrations.RetryAfter(err); !ok || d != 7*time.Second {
			t.Errorf("RetryAfter = %v, %v; want 7s", d, ok)
		}
		noSecret(t, err)
	})
	t.Run("refusal is not retryable", func(t *testing.T) {
		_, retry, err := start(t, Refused, nil).Notify(t.Context(), msg())
		if err == nil || retry {
			t.Fatalf("Notify = retry %v, %v; want a permanent error", retry, err)
		}
		noSecret(t, err)
	})
	t.Run("context cancellation", func(t *testing.T) {
		n := start(t, Hang, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() { _, _, err := n.Notify(ctx, msg()); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("Notify succeeded against a server that never answers")
			}
			if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline exceeded") {
				t.Errorf("error does not say the context ended: %v", err)
			}
			noSecret(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Notify ignored its context")
		}
	})
	t.Run("limits", func(t *testing.T) {
		var bodies int
		n := start(t, OK, func(r *http.Request, b []byte) {
			bodies++
			if s.Limits != nil {
				s.Limits(t, r, b)
			}
		})
		m := msg()
		m.Report = Report(80)
		if _, _, err := n.Notify(t.Context(), m); err != nil {
			t.Fatalf("Notify of a huge report: %v", err)
		}
		if bodies == 0 {
			t.Error("nothing was posted")
		}
	})
}

// Block is what a Hang handler does: wait until the client gives up (read the body first,
// so the server notices the closed connection), at most 10 s.
func Block(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}
