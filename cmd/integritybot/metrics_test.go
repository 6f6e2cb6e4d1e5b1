package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/store"
)

// metrics GETs /metrics with the API token.
func (e *e2e) metrics() (*http.Response, error) {
	req, err := http.NewRequest("GET", e.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	return http.DefaultClient.Do(req)
}

// TestMetricsNeedToken is the review's attack on /metrics and /debug/pprof/ (issue 15,
// finding 6): on a loopback address (behind a same-host proxy that is public) both answered
// without a token. Now /metrics needs the token unless server.metrics_public, and the
// profiler is not mounted unless server.pprof, then only with the token.
func TestMetricsNeedToken(t *testing.T) {
	const token = "metrics-token-0123456789"
	cases := []struct {
		name          string
		addr          string
		public, pprof bool
		path, token   string
		want          int
	}{
		{"loopback no token", "127.0.0.1:8080", false, false, "/metrics", "", 401},
		{"::1 no token", "[::1]:8080", false, false, "/metrics", "", 401},
		{"token", "127.0.0.1:8080", false, false, "/metrics", token, 200},
		{"wrong token", "0.0.0.0:8080", false, false, "/metrics", "wrong", 401},
		{"hash as token", "0.0.0.0:8080", false, false, "/metrics", store.HashToken(token), 401},
		{"public", "0.0.0.0:8080", true, false, "/metrics", "", 200},
		{"pprof off by default", "127.0.0.1:8080", false, false, "/debug/pprof/", token, 404},
		{"pprof on, no token", "127.0.0.1:8080", false, true, "/debug/pprof/", "", 401},
		{"pprof on, metrics public, no token", "127.0.0.1:8080", true, true, "/debug/pprof/", "", 401},
		{"pprof profile, no token", "127.0.0.1:8080", true, true, "/debug/pprof/profile?seconds=1", "", 401},
		{"pprof on, token", "127.0.0.1:8080", false, true, "/debug/pprof/", token, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Server.Addr, cfg.Server.MetricsPublic, cfg.Server.Pprof = tc.addr, tc.public, tc.pprof
			mux := http.NewServeMux()
			for pattern, h := range metricsHandlers(cfg, store.HashToken(token), newCollector(bot.NewStats(),
				func() integrations.OutboxStats { return integrations.OutboxStats{} }, fakeDepth{})) {
				mux.Handle(pattern, h)
			}
			req := httptest.NewRequest("GET", tc.path, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			if w.Code != tc.want {
				t.Fatalf("GET %s: HTTP %d, want %d", tc.path, w.Code, tc.want)
			}
		})
	}
	cfg := config.Default()
	cfg.Server.Metrics = false
	if h := metricsHandlers(cfg, "x", nil); len(h) != 0 {
		t.Fatalf("server.metrics false still mounts %d routes", len(h))
	}
}
