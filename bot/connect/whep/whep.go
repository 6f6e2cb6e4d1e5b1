// Package whep joins a call held elsewhere as a WHEP client (WebRTC-HTTP Egress Protocol,
// draft-ietf-wish-whep; MediaMTX, Janus, Cloudflare, Dolby and others serve it): it POSTs a
// receive-only SDP offer, follows 201 Created + Location, uses the ICE servers of the
// server's Link headers, trickles late ICE candidates by PATCH when the server accepts
// them, restarts ICE by PATCH when the connection is interrupted (RFC 9725 §4.3.2), and
// DELETEs the session on leave. The candidate's video (VP8 or VP9 through libvpx,
// H.264 through media/h264) feeds a bot.Session like the hosted room's does. When the server
// drops the session the client reconnects with backoff; the gap shows in the camera check
// (no_frames) and in the report's coverage.
package whep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
)

// Config says where and how to join.
type Config struct {
	URL    string // the WHEP endpoint
	Bearer string // optional token, sent as "Authorization: Bearer"; never logged
	// HTTPClient makes the requests (default: a client with a 15 s timeout, or Guard's).
	HTTPClient *http.Client
	// Guard, when set, limits where the join may connect (a join the API asked for); nil
	// (the operator's own CLI) allows any endpoint.
	Guard *Guard
	// ICEServers are used besides those the server names in Link headers.
	ICEServers      []webrtc.ICEServer
	IncludeLoopback bool // offer loopback candidates (tests, a server on the same host)
	UDPPortMin      uint16
	UDPPortMax      uint16
	// GatherTimeout is how long candidates are gathered before the offer is POSTed; later
	// ones are trickled by PATCH. Default 1 s; negative POSTs at once and trickles all.
	GatherTimeout time.Duration
	// ConnectTimeout bounds one attempt from POST to the first media (default 20 s).
	ConnectTimeout time.Duration
	// Backoff and MaxBackoff space reconnection attempts (default 1 s doubling to 30 s).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// GiveUpAfter stops reconnecting after this long without media (default 5 min).
	GiveUpAfter time.Duration
	Log         *slog.Logger

	// onJoined, when set (tests), is called with each session once the answer is set.
	onJoined func(*attemptState)
}

func (c Config) withDefaults() Config {
	if c.HTTPClient == nil && c.Guard != nil {
		c.HTTPClient = c.Guard.HTTPClient()
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if c.GatherTimeout == 0 {
		c.GatherTimeout = time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 20 * time.Second
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.GiveUpAfter <= 0 {
		c.GiveUpAfter = 5 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// StatusError is an HTTP error answer from the WHEP server. Its text is the status and a
// fixed phrase: the server's own words (the body) go to the log, never into a report.
type StatusError struct {
	Op     string // "post offer", "patch candidates", ...
	Status int
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("whep: %s: server answered %d %s", e.Op, e.Status, http.StatusText(e.Status))
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		msg += ": the endpoint refused the bearer token (or needs one)"
	case e.Status == http.StatusNotFound:
		msg += ": no such stream (not published yet?)"
	case e.Status >= 400 && e.Status < 500:
		msg += ": the endpoint refused the request"
	case e.Status >= 500:
		msg += ": the endpoint failed"
	}
	return msg
}

// permanent reports whether retrying cannot help: a 4xx other than 404 (the stream may not
// be published yet), 408 and 429.
func (e *StatusError) permanent() bool {
	return e.Status >= 400 && e.Status < 500 &&
		e.Status != http.StatusNotFound && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// Run joins and feeds the candidate's video into sess until ctx ends (nil), the stream ends
// (nil), or joining fails for good (an error saying why: a 4xx answer at once; others after
// Config.GiveUpAfter without media; ErrRefused at once).
func Run(ctx context.Context, cfg Config, sess *bot.Session) error {
	cfg = cfg.withDefaults()
	if err := cfg.Guard.CheckURL(cfg.URL); err != nil {
		return err
	}
	c := &client{cfg: cfg, sess: sess, log: cfg.Log.With("connector", "whep")}
	api, err := newAPI(cfg, c.log)
	if err != nil {
		return err
	}
	c.api = api
	backoff := cfg.Backoff
	lastMedia := time.Now()
	hadMedia := false
	for attempt := 1; ; attempt++ {
		got, err := c.attempt(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if got {
			hadMedia, lastMedia, backoff = true, time.Now(), cfg.Backoff
		}
		var se *StatusError
		switch {
		case errors.Is(err, ErrRefused), errors.As(err, &se) && se.permanent():
			return err
		case errors.As(err, &se) && se.Status == http.StatusNotFound && hadMedia:
			sess.Event("whep", "The stream ended (the server no longer has it).")
			return nil
		case time.Since(lastMedia) > cfg.GiveUpAfter:
			return fmt.Errorf("whep: no media for %s, giving up: %w", cfg.GiveUpAfter.Round(time.Second), err)
		}
		c.log.Warn("whep session lost; reconnecting", "attempt", attempt, "in", backoff, "err", err)
		what := "Could not reach the call"
		if got {
			what = "Connection to the call lost"
		}
		sess.Event("whep", fmt.Sprintf("%s (%v); reconnecting in %s.", what, err, backoff.Round(time.Millisecond)))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, cfg.MaxBackoff)
	}
}
