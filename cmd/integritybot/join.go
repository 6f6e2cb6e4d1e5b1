package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/whep"
	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/store"
)

// joinCmd is "integritybot join --whep URL ...": it creates an interview like POST
// /api/interviews, joins the call, runs until the stream ends, --duration elapses or it is
// interrupted, stores the final report, queues it for the chat channels, and prints it.
func joinCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("join", flag.ContinueOnError)
	fs.SetOutput(stderr)
	whepURL := fs.String("whep", "", "WHEP endpoint `URL` of the call to join")
	bearer := fs.String("bearer", "", "bearer `token` for the WHEP endpoint")
	name := fs.String("candidate", "Candidate", "candidate's `name`")
	loc := fs.String("claimed-location", "", "where the candidate says they are, e.g. \"Austin, TX\"")
	tz := fs.String("claimed-timezone", "", "the candidate's claimed IANA `zone`, e.g. America/Chicago")
	duration := fs.Duration("duration", 0, "leave after this long (default: when the stream ends or on Ctrl-C)")
	asJSON := fs.Bool("json", false, "print report JSON v1 instead of text")
	cfgPath := fs.String("config", "", "YAML configuration `file` (default: embedded defaults)")
	data := fs.String("data", "", "data `directory` for the SQLite store (overrides data_dir)")
	slackCh := fs.String("notify-slack", "", "post the report to this Slack `channel` (slack: in the config)")
	discordCh := fs.String("notify-discord", "", "post the report to this Discord channel `id` (discord: in the config)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: integritybot join --whep URL [--bearer TOKEN] [--candidate NAME] [--claimed-location L]")
		fmt.Fprintln(stderr, "       [--claimed-timezone TZ] [--duration D] [--json] [--config FILE] [--data DIR]")
		fmt.Fprintln(stderr, "       [--notify-slack CHANNEL] [--notify-discord CHANNEL_ID]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *whepURL == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("join: give the call as --whep URL")
	}
	if err := checkWHEPURL(*whepURL); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	cand := report.Candidate{Name: strings.TrimSpace(*name), ClaimedLocation: strings.TrimSpace(*loc), ClaimedTimezone: strings.TrimSpace(*tz)}
	if cand.ClaimedTimezone != "" {
		if _, err := time.LoadLocation(cand.ClaimedTimezone); err != nil || cand.ClaimedTimezone == "Local" {
			return fmt.Errorf("join: --claimed-timezone must be an IANA zone such as America/Chicago")
		}
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	st, err := store.Open(ctx, cfg.DBPath())
	if err != nil {
		return err
	}
	defer st.Close()
	iv := store.Interview{ID: auth.NewID(), Candidate: cand, CreatedAt: time.Now().UTC(), State: report.Scheduled,
		SlackChannel: *slackCh, DiscordChannel: *discordCh}
	if err := st.CreateInterview(ctx, iv); err != nil {
		return err
	}
	// Only the outbox worker: this process takes no slash commands.
	ch := newChat(cfg, st, log)
	wctx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	worker := make(chan struct{})
	go func() { defer close(worker); ch.outbox.Run(wctx) }()
	defer func() { stopWorker(); <-worker }()
	fmt.Fprintf(stderr, "integritybot: interview %s: joining the call; Ctrl-C ends it\n", iv.ID)

	// The call ends with ctx (Ctrl-C) as a normal end, not an interruption.
	r, joinErr := runJoin(ctx, cfg, interviews{st: st, chat: ch}, iv, whepConfig(cfg, *whepURL, *bearer, log), *duration, log, false)
	deliver(st, ch, iv.ID)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if err := report.WriteText(stdout, r); err != nil {
		return err
	}
	return joinErr
}

// checkWHEPURL accepts absolute http(s) URLs.
func checkWHEPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("the WHEP endpoint must be an http:// or https:// URL")
	}
	return nil
}

func whepConfig(cfg config.Config, endpoint, bearer string, log *slog.Logger) whep.Config {
	var ice []webrtc.ICEServer
	for _, s := range cfg.WebRTC.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential.Value()})
	}
	return whep.Config{URL: endpoint, Bearer: bearer, ICEServers: ice, IncludeLoopback: cfg.WebRTC.IncludeLoopback,
		UDPPortMin: cfg.WebRTC.UDPPortMin, UDPPortMax: cfg.WebRTC.UDPPortMax, Log: log}
}

// runJoin runs one joined call as interview iv and returns its final report, stored and
// queued for the chat channels. With interruptible, a ctx that ends (server shutdown) marks
// the report interrupted; otherwise (Ctrl-C on join) it is the normal end.
func runJoin(ctx context.Context, cfg config.Config, sink interviews, iv store.Interview, wc whep.Config, duration time.Duration, log *slog.Logger, interruptible bool) (*report.Report, error) {
	log = log.With("interview_id", iv.ID)
	wc.Log = log
	start := time.Now()
	if err := sink.Started(ctx, iv.ID, start); err != nil {
		log.Warn("mark interview live", "err", err)
	}
	sess := bot.NewSession(iv.ID, iv.Candidate, start, sessionConfig(cfg), sink, log, nil)
	callCtx, cancel := ctx, context.CancelFunc(func() {})
	if duration > 0 {
		callCtx, cancel = context.WithTimeout(ctx, duration)
	}
	joinErr := whep.Run(callCtx, wc, sess)
	cancel()
	if joinErr != nil {
		sess.Event("whep", "Could not join or stay in the call: "+joinErr.Error())
	}
	state := report.Final
	if interruptible && ctx.Err() != nil {
		state = report.Interrupted
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer scancel()
	r := sess.End(sctx, state)
	if err := sink.Ended(sctx, r); err != nil {
		log.Error("store final report", "err", err)
	}
	return r, joinErr
}

// deliver gives the outbox worker a short while to post what the call queued, so a
// one-shot join delivers its report; what is left is delivered by the next serve.
func deliver(st *store.Store, ch *chat, id string) {
	if !ch.outbox.Enabled() {
		return
	}
	ch.outbox.Kick()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		entries, err := st.OutboxEntries(ctx, id)
		if err != nil {
			return
		}
		pending := false
		for _, e := range entries {
			if e.State == store.OutboxPending {
				pending = true
			}
		}
		if !pending {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// joinStarter runs the calls that serve joins (POST /api/interviews with "join"): start
// begins one in the background as interview id; stop ends them all (their reports are saved
// as interrupted) and waits for them within sctx.
func joinStarter(cfg config.Config, sink interviews, log *slog.Logger) (start func(context.Context, string, server.JoinRequest) error, stop func(sctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu      sync.Mutex
		stopped bool
		wg      sync.WaitGroup
	)
	start = func(rctx context.Context, id string, j server.JoinRequest) error {
		iv, err := sink.st.GetInterview(rctx, id)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return errors.New("the server is shutting down")
		}
		wg.Go(func() {
			wc := whepConfig(cfg, j.WHEP, j.Bearer, log)
			if _, err := runJoin(ctx, cfg, sink, iv, wc, cfg.Interview.MaxDuration.D(), log, true); err != nil {
				log.Warn("joined call ended with an error", "interview_id", id, "err", err)
			}
		})
		return nil
	}
	stop = func(sctx context.Context) {
		mu.Lock()
		stopped = true
		mu.Unlock()
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-sctx.Done():
		}
	}
	return start, stop
}
