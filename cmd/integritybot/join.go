package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/livekit"
	"github.com/integritybot/integritybot/bot/connect/whep"
	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// joinCmd is "integritybot join --whep URL ..." or "--livekit URL --room NAME ...": it creates an interview like POST
// /api/interviews, joins the call, runs until the stream ends, --duration elapses or it is
// interrupted, stores the final report, queues it for the chat channels, and prints it.
func joinCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("join", flag.ContinueOnError)
	fs.SetOutput(stderr)
	whepURL := fs.String("whep", "", "WHEP endpoint `URL` of the call to join")
	bearer := fs.String("bearer", "", "bearer `token` for the WHEP endpoint")
	lkURL := fs.String("livekit", "", "LiveKit server `URL` (wss://...; default livekit.url of the config, or $LIVEKIT_URL)")
	lkRoom := fs.String("room", "", "LiveKit `room` to join")
	lkIdentity := fs.String("identity", "", "the bot's LiveKit participant `identity` (default livekit.identity_prefix + interview id)")
	lkCandidate := fs.String("candidate-identity", "", "the candidate's LiveKit participant `identity` (default: the configured rule)")
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
		fmt.Fprintln(stderr, "       integritybot join --livekit URL --room NAME [--identity ID] [--candidate-identity ID] [--candidate NAME] ...")
		fmt.Fprintln(stderr, "       [--claimed-timezone TZ] [--duration D] [--json] [--config FILE] [--data DIR]")
		fmt.Fprintln(stderr, "       [--notify-slack CHANNEL] [--notify-discord CHANNEL_ID]")
		fmt.Fprintln(stderr, "LiveKit credentials: livekit.api_key/api_secret in the config, or "+config.EnvLiveKitAPIKey+"/_SECRET;")
		fmt.Fprintln(stderr, "LiveKit's own "+config.EnvLiveKitURLConventional+", "+config.EnvLiveKitAPIKeyConventional+" and "+
			config.EnvLiveKitAPISecretConventional+" are read too (the config and the INTEGRITYBOT_ names win).")
		fmt.Fprintln(stderr, "The bot never joins as an identity already in the room or as --candidate-identity.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	useLiveKit := *lkURL != "" || *lkRoom != ""
	if (*whepURL == "") == !useLiveKit || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("join: give the call as --whep URL, or as --livekit URL --room NAME")
	}
	// The one validation of POST /api/interviews and the chat commands, before anything opens.
	req := interview.Request{Candidate: report.Candidate{Name: *name, ClaimedLocation: *loc, ClaimedTimezone: *tz},
		Join: &interview.JoinRequest{WHEP: *whepURL, Bearer: *bearer}}
	if *slackCh != "" || *discordCh != "" {
		req.Notify = &interview.Notify{SlackChannel: *slackCh, DiscordChannel: *discordCh}
	}
	if useLiveKit {
		req.Join = &interview.JoinRequest{LiveKit: &interview.LiveKitJoin{URL: *lkURL, Room: *lkRoom, CandidateIdentity: *lkCandidate}}
	}
	if err := req.Check(); err != nil {
		return fmt.Errorf("join: %s", interview.InvalidMessage(err))
	}
	if useLiveKit { // the operator's own choice, which the API refuses
		req.Join.LiveKit.Identity = strings.TrimSpace(*lkIdentity)
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
	lkJoin := req.Join.LiveKit
	if lkJoin != nil {
		if err := checkLiveKit(cfg, lkJoin); err != nil {
			return fmt.Errorf("join: %w", err)
		}
	}
	log := newLogger(cfg.Log, stderr)
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	join := req.Join
	req.Join = nil // joined below, in the foreground
	// Only the outbox worker: this process takes no slash commands and hosts no rooms.
	outbox := newOutbox(cfg, st, interview.Linker{}.ReportURL, log) // no report pages here
	svc, err := interview.New(interview.Options{Store: st, Log: log, Session: sessionConfig(cfg), Notify: outbox})
	if err != nil {
		return err
	}
	l, err := svc.Create(ctx, req)
	if err != nil {
		return err
	}
	wctx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	worker := make(chan struct{})
	go func() { defer close(worker); outbox.Run(wctx) }()
	defer func() { stopWorker(); <-worker }()
	fmt.Fprintf(stderr, "integritybot: interview %s: joining the call; Ctrl-C ends it\n", l.ID)

	// The call ends with ctx (Ctrl-C) as a normal end, not an interruption.
	conn := whepConnector(cfg, join.WHEP, join.Bearer, nil, log) // the operator's own join: not limited
	if lkJoin != nil {
		conn = liveKitConnector(cfg, *lkJoin, l.ID)
	}
	r, joinErr := svc.Run(ctx, l.ID, conn, *duration)
	deliver(st, outbox, l.ID)
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

func whepConfig(cfg config.Config, endpoint, bearer string, log *slog.Logger) whep.Config {
	ice := turnIssuer(cfg.WebRTC).ICEServers(iceServers(cfg.WebRTC), "integritybot-whep")
	return whep.Config{URL: endpoint, Bearer: bearer, ICEServers: ice, IncludeLoopback: cfg.WebRTC.IncludeLoopback,
		UDPPortMin: cfg.WebRTC.UDPPortMin, UDPPortMax: cfg.WebRTC.UDPPortMax, Log: log}
}

// whepConnector joins endpoint; guard limits where (a join the API asked for), nil allows
// anything (the operator's CLI).
func whepConnector(cfg config.Config, endpoint, bearer string, guard *whep.Guard, log *slog.Logger) interview.Connector {
	wc := whepConfig(cfg, endpoint, bearer, log)
	wc.Guard = guard
	return interview.Connector{Kind: "whep", Run: func(ctx context.Context, sess *bot.Session, log *slog.Logger) error {
		wc.Log = log
		return whep.Run(ctx, wc, sess)
	}}
}

// checkLiveKit refuses a LiveKit join this configuration cannot make.
func checkLiveKit(cfg config.Config, j *interview.LiveKitJoin) error {
	if !cfg.LiveKit.CanJoin() {
		return fmt.Errorf("LiveKit joins need livekit.api_key and livekit.api_secret in the configuration (or %s and %s, or %s and %s)",
			config.EnvLiveKitAPIKey, config.EnvLiveKitAPISecret, config.EnvLiveKitAPIKeyConventional, config.EnvLiveKitAPISecretConventional)
	}
	u := j.URL
	if u == "" {
		u = cfg.LiveKit.URL
	}
	if u == "" {
		return errors.New("give the LiveKit server's URL (--livekit, join.livekit.url, or livekit.url in the configuration)")
	}
	if err := livekit.CheckURL(u); err != nil {
		return err
	}
	if strings.TrimSpace(j.Room) == "" {
		return errors.New("give the LiveKit room (--room)")
	}
	return nil
}

func liveKitConnector(cfg config.Config, j interview.LiveKitJoin, interviewID string) interview.Connector {
	lc := cfg.LiveKit
	lk := livekit.Config{URL: j.URL, Room: j.Room, APIKey: lc.APIKey.Value(), APISecret: lc.APISecret.Value(),
		Identity: j.Identity, Notice: lc.Notice, LeaveAfter: lc.LeaveAfter.D(),
		Rule: livekit.Rule{Identity: j.CandidateIdentity, Interviewers: lc.InterviewerIdentities,
			IdentityPrefix: lc.CandidatePrefix, Attribute: lc.CandidateAttribute}}
	if lk.URL == "" {
		lk.URL = lc.URL
	}
	if lk.Identity == "" {
		lk.Identity = lc.IdentityPrefix + interviewID
	}
	return interview.Connector{Kind: "livekit", Run: func(ctx context.Context, sess *bot.Session, log *slog.Logger) error {
		lk.Log = log
		return livekit.Run(ctx, lk, sess)
	}}
}

// deliver gives the outbox worker a short while to post what the call queued, so a
// one-shot join delivers its report; what is left is delivered by the next serve.
func deliver(st *store.Store, outbox *integrations.Outbox, id string) {
	if !outbox.Enabled() {
		return
	}
	outbox.Kick()
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

// apiJoinConnector checks a join the API asked for against the join policy (issue 15,
// findings 2 and 4) and returns its connector: WHEP through a whep.Guard made of join.*,
// LiveKit only to livekit.url or livekit.allowed_urls, in a room with livekit.room_prefix,
// under the bot's own identity (livekit.identity_prefix + interview id).
func apiJoinConnector(cfg config.Config, j interview.JoinRequest, id string, log *slog.Logger) (interview.Connector, error) {
	if j.LiveKit == nil {
		guard, err := whep.NewGuard(cfg.Join.AllowedOrigins, cfg.Join.AllowedNetworks)
		if err != nil {
			return interview.Connector{}, err // Validate checked them
		}
		if err := guard.CheckURL(j.WHEP); err != nil {
			return interview.Connector{}, err
		}
		return whepConnector(cfg, j.WHEP, j.Bearer, guard, log), nil
	}
	lk := *j.LiveKit
	target, err := cfg.LiveKit.APIJoinTarget(lk.URL, lk.Room)
	if err != nil {
		return interview.Connector{}, err
	}
	lk.URL, lk.Identity = target, "" // the caller never chooses the bot's identity
	if err := checkLiveKit(cfg, &lk); err != nil {
		return interview.Connector{}, err
	}
	return liveKitConnector(cfg, lk, id), nil
}
