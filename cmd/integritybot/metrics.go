package main

import (
	"context"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/store"
)

// outboxDepth is the part of the store /metrics reads (internal/store.Store).
type outboxDepth interface {
	OutboxDepth(ctx context.Context) (int, error)
}

// collector exports the sessions' and the outbox's counters at scrape time: nothing is
// counted twice and the hot path only bumps its own atomics.
type collector struct {
	stats  *bot.Stats
	outbox func() integrations.OutboxStats
	depth  outboxDepth

	active, baseOnly, sessions, frames, analyzerSec, analyzerFrames *prometheus.Desc
	delivered, retries, failed, queued                              *prometheus.Desc
}

func newCollector(stats *bot.Stats, outbox func() integrations.OutboxStats, depth outboxDepth) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("integritybot_"+name, help, labels, nil)
	}
	return &collector{stats: stats, outbox: outbox, depth: depth,
		active: d("interviews_active", "Interviews with a running bot session."),
		baseOnly: d("interviews_base_layer_only", "Interviews whose bot decodes only the base temporal layer of "+
			"the candidate's video now (L1T3 under load, or interview.base_layer: always)."),
		sessions: d("interviews_started_total", "Bot sessions started."),
		frames: d("frames_total", "Candidate video frames by stage: received (once a call's video has ended, decoded + dropped + layer_skipped; "+
			"more while frames wait for the decoder), decoded, "+
			"analyzed (by every check), sampled (camera check only, under load), dropped (lost, queue full, undecodable), "+
			"layer_skipped (upper temporal layer frames left undecoded; the interviewer got them).", "stage"),
		analyzerSec:    d("analyzer_seconds_total", "Time spent in each check's per-frame analysis.", "check"),
		analyzerFrames: d("analyzer_frames_total", "Frames each check analyzed.", "check"),
		delivered:      d("notifier_deliveries_total", "Summaries and alerts posted to Slack, Discord or the webhook."),
		retries:        d("notifier_retries_total", "Delivery attempts that failed and were scheduled again."),
		failed:         d("notifier_failures_total", "Messages a platform refused for good."),
		queued:         d("outbox_depth", "Outbox entries waiting for delivery."),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats.Snapshot()
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	gauge(c.active, float64(s.Active))
	gauge(c.baseOnly, float64(s.BaseOnly))
	counter(c.sessions, float64(s.Sessions))
	counter(c.frames, float64(s.FramesReceived), "received")
	counter(c.frames, float64(s.FramesDecoded), "decoded")
	counter(c.frames, float64(s.FramesAnalyzed), "analyzed")
	counter(c.frames, float64(s.FramesSampled), "sampled")
	counter(c.frames, float64(s.FramesDropped), "dropped")
	counter(c.frames, float64(s.FramesLayerSkipped), "layer_skipped")
	for id, sec := range s.AnalyzerSeconds {
		counter(c.analyzerSec, sec, id)
		counter(c.analyzerFrames, float64(s.AnalyzerFrames[id]), id)
	}
	o := c.outbox()
	counter(c.delivered, float64(o.Delivered))
	counter(c.retries, float64(o.Retries))
	counter(c.failed, float64(o.Failed))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := c.depth.OutboxDepth(ctx); err == nil {
		gauge(c.queued, float64(n))
	}
}

// metricsHandlers returns /metrics (server.metrics) and /debug/pprof/ (server.pprof) for
// server.Options.Handlers. Both need the API token (its hash, tokenHash): loopback is no
// boundary behind a same-host reverse proxy (issue 15, finding 6). server.metrics_public
// opens /metrics, never the profiler.
func metricsHandlers(cfg config.Config, tokenHash string, c *collector) map[string]http.Handler {
	guard := func(open bool, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !open && !store.TokenMatches(bearerToken(r), tokenHash) {
				w.Header().Set("WWW-Authenticate", "Bearer")
				http.Error(w, "this needs the API token (Authorization: Bearer ...)", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	h := map[string]http.Handler{}
	if cfg.Server.Metrics {
		reg := prometheus.NewRegistry()
		reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		h["GET /metrics"] = guard(cfg.Server.MetricsPublic, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	if cfg.Server.Pprof {
		h["GET /debug/pprof/"] = guard(false, http.HandlerFunc(pprof.Index))
		h["GET /debug/pprof/profile"] = guard(false, http.HandlerFunc(pprof.Profile))
		h["GET /debug/pprof/trace"] = guard(false, http.HandlerFunc(pprof.Trace))
	}
	return h
}

func bearerToken(r *http.Request) string {
	const p = "Bearer "
	if h := r.Header.Get("Authorization"); len(h) > len(p) && h[:len(p)] == p {
		return h[len(p):]
	}
	return ""
}

// withMetrics adds the metrics routes to the other extra routes of the server.
func withMetrics(h, metrics map[string]http.Handler) map[string]http.Handler {
	if h == nil {
		h = map[string]http.Handler{}
	}
	for k, v := range metrics {
		h[k] = v
	}
	return h
}
