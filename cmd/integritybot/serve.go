package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/httplimit"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/store"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration `file` (default: embedded defaults)")
	addr := fs.String("addr", "", "listen address `host:port` (overrides server.addr)")
	data := fs.String("data", "", "data `directory` for the SQLite store (overrides data_dir)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: integritybot serve [--config FILE] [--addr HOST:PORT] [--data DIR]")
		fmt.Fprintln(fs.Output(), "Without a config: HTTP on 127.0.0.1:8080, SQLite in ./data, no chat integration (configs/ has a")
		fmt.Fprintln(fs.Output(), "documented example). Prints the URL to open and, on the first start, the API token; later starts")
		fmt.Fprintln(fs.Output(), "reuse the data directory and its token. One serve per data directory (it is locked). Stops on")
		fmt.Fprintln(fs.Output(), "SIGINT/SIGTERM: live calls end and their reports are saved as interrupted.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	unlock, err := lockData(cfg)
	if err != nil {
		return err
	}
	defer unlock()
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return listenError(cfg.Server.Addr, err)
	}
	cfg.Server.Addr = ln.Addr().String() // the real port when addr asks for :0
	return runServer(ctx, cfg, ln, log, stdout)
}

// lockData takes the SQLite data directory for this process (store.Lock) before anything
// reads the store: a second serve on it would otherwise mark this one's live interviews
// interrupted. PostgreSQL is shared by design (nodes, heartbeats): no lock.
func lockData(cfg config.Config) (unlock func(), err error) {
	if cfg.Store.Driver == store.DriverPostgres {
		return func() {}, nil
	}
	release, err := store.Lock(cfg.DBPath())
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("serve: another integritybot serve is running on data directory %s: %w. "+
			"Stop that one first, or give this one its own directory with --data DIR (or %s)",
			cfg.DataDir, err, config.EnvDataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return func() { _ = release() }, nil
}

// listenError explains a port already in use and how to choose another one.
func listenError(addr string, err error) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("serve: %w", err)
	}
	host, port, _ := net.SplitHostPort(addr)
	next := "8081"
	if p, perr := strconv.Atoi(port); perr == nil && p > 0 && p < 65535 {
		next = strconv.Itoa(p + 1)
	}
	other := net.JoinHostPort(host, next)
	return fmt.Errorf("serve: %w. Another program holds port %s (an integritybot serve still running?). "+
		"Stop it, or choose another address: integritybot serve --addr %s, "+
		"make run ARGS=\"--addr %s\", or %s=%s", err, port, other, other, config.EnvAddr, other)
}

// runServer serves on ln until ctx ends, then shuts down within cfg.Server.ShutdownTimeout:
// it stops taking requests, closes the rooms (their reports are saved as interrupted) and the store.
func runServer(ctx context.Context, cfg config.Config, ln net.Listener, log *slog.Logger, stdout io.Writer) error {
	defer ln.Close()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "driver", st.Driver(), "node_id", nodeID(cfg))
	interrupted, err := st.MarkInterrupted(ctx)
	if err != nil {
		return err
	} else if len(interrupted) > 0 {
		log.Warn("interviews interrupted by the last shutdown", "count", len(interrupted))
	}
	stopBeat, err := heartbeat(ctx, st, cfg, log) // other nodes route this node's interviews here
	if err != nil {
		return err
	}
	// Deferred: runs after the rooms close (below), so other nodes may then take over at once.
	defer stopBeat()
	tokenHash, apiToken, generated, err := apiTokenHash(ctx, st, cfg.Auth.APIToken.Value()) // token.go
	if err != nil {
		return err
	}
	signingKey, _, err := secret(ctx, st, "signing_key", "")
	if err != nil {
		return err
	}
	geoEnv, err := openGeo(cfg, log)
	if err != nil {
		return err
	}
	defer geoEnv.GeoIP.Close()
	reportTTL := time.Duration(cfg.Retention.Days) * 24 * time.Hour
	if reportTTL <= 0 {
		reportTTL = 10 * 365 * 24 * time.Hour
	}
	signer := auth.NewSigner([]byte(signingKey), time.Now)
	links := interview.Linker{Signer: signer, PublicURL: cfg.BaseURL(), LinkTTL: cfg.Auth.LinkTTL.D(), ReportTTL: reportTTL}
	outbox := newOutbox(cfg, st, links.ReportURL, log) // Slack, Discord, webhook (chat.go)
	rooms := roomConfig(cfg)
	rooms.Geo = geoEnv
	rooms.Session.Stats = bot.NewStats() // /metrics (metrics.go)
	var dial func(string, interview.JoinRequest) (interview.Connector, error)
	if cfg.Join.Enabled { // else the API refuses "join" before storing anything
		dial = func(id string, j interview.JoinRequest) (interview.Connector, error) {
			return apiJoinConnector(cfg, j, id, log)
		} // join.go
	}
	svc, err := interview.New(interview.Options{Store: st, Links: links, Log: log, Rooms: &rooms,
		Session: sessionConfig(cfg), Notify: outbox, Dial: dial, MaxDuration: cfg.Interview.MaxDuration.D()})
	if err != nil {
		return err
	}
	ch := newChat(cfg, outbox, svc, log) // the outbox worker and /integrity (chat.go)
	defer ch.stop()
	srv := server.New(server.Options{
		Store: st, Signer: signer, APITokenHash: tokenHash, Interviews: svc, Log: log,
		TrustedProxies:  trustedProxies(cfg),
		Handlers:        withMetrics(ch.handlers(), metricsHandlers(cfg, tokenHash, newCollector(rooms.Session.Stats, outbox.Stats, st))),
		CreatePerMinute: cfg.Server.CreatePerMinute, CreateBurst: cfg.Server.CreateBurst, // 429 past it (ratelimit.go)
		ChatSnapshots: ch.snapshots(), // the consent notice says what chat receives
	})
	svc.Resume(ctx, interrupted) // summaries of what the last run left interrupted or unqueued
	ch.start()
	ln = httplimit.Listener(ln, httpLimits(cfg))                  // per-address bound, beneath TLS (limits.go)
	ln, handler, stopTLS, err := startTLS(ctx, cfg, ln, srv, log) // HTTPS when server.tls is set (tls.go)
	if err != nil {
		return err
	}
	defer stopTLS()
	hs := httplimit.Server(handler, httpLimits(cfg), slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	printStart(stdout, cfg, apiToken, generated)
	go retention(ctx, st, cfg.Retention.Days, log)

	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout.D())
	defer cancel()
	_ = hs.Shutdown(sctx)
	svc.Close(sctx) // hosted rooms and joined calls: their reports saved as interrupted
	ch.stop()       // after the calls: their interrupted summaries are queued, delivered at the next start if not now
	return nil
}

// openStore opens the store cfg selects (store.driver): SQLite in data_dir, or the PostgreSQL
// server store.dsn names, shared with other serve processes under this one's node id.
func openStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	return store.OpenConfig(ctx, store.Config{
		Driver: cfg.Store.Driver, Path: cfg.DBPath(), DSN: cfg.Store.DSN.Value(), NodeID: nodeID(cfg),
	})
}

// heartbeat renews this node's row in a shared PostgreSQL store (its id and server.node_url)
// every store.HeartbeatEvery until ctx ends, so other nodes redirect requests for the live
// interviews it runs here (internal/server/route.go). stop waits for the beating to end and
// marks the node gone. SQLite: one node, nothing to do.
func heartbeat(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger) (stop func(), err error) {
	if st.Driver() != store.DriverPostgres {
		return func() {}, nil
	}
	url := cfg.NodeURL()
	if cfg.Server.NodeURL == "" && cfg.Server.PublicURL != "" {
		log.Warn("server.node_url is unset: other nodes send this node's interviews to server.public_url; set node_url if that is a shared load balancer", "node_url", url)
	}
	if err := st.Heartbeat(ctx, url); err != nil {
		return nil, err
	}
	log.Info("node registered", "node_url", url)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(store.HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			bctx, bcancel := context.WithTimeout(ctx, store.HeartbeatEvery)
			if err := st.Heartbeat(bctx, url); err != nil && ctx.Err() == nil {
				log.Warn("heartbeat", "err", err)
			}
			bcancel()
		}
	}()
	return func() {
		cancel()
		<-done
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if err := st.NodeStopped(sctx); err != nil {
			log.Warn("mark node stopped", "err", err)
		}
	}, nil
}

// nodeID is server.node_id, else hostname:port of the listen address: stable across restarts
// on the same address (so a restarted node interrupts its own interviews at once) and unique
// among processes on one host.
func nodeID(cfg config.Config) string {
	if cfg.Server.NodeID != "" {
		return cfg.Server.NodeID
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	_, port, err := net.SplitHostPort(cfg.Server.Addr)
	if err != nil {
		port = cfg.Server.Addr
	}
	return host + ":" + port
}

// printStart tells the operator where to go and how to authenticate. The token is printed
// only when this start generated it; later starts say where it is kept and how to replace a
// lost one (the server keeps its data and token across restarts: docs/running.md). The
// message is one write, so a reader of w never sees the first line without the rest.
func printStart(w io.Writer, cfg config.Config, token string, generated bool) {
	var b strings.Builder
	base := cfg.BaseURL()
	configured := !generated && cfg.Auth.APIToken.Value() != ""
	fmt.Fprintf(&b, "integritybot is running: open %s\n", base)
	switch {
	case generated:
		fmt.Fprintf(&b, "API token (shown once; %s keeps only its hash): %s\n", storeName(cfg), token)
		fmt.Fprintf(&b, "Sign in to the web page with: %s/#token=%s\n", base, token)
		fmt.Fprintf(&b, "For curl, in another shell: export TOKEN=%s\n", token)
		fmt.Fprintf(&b, "  curl -H \"Authorization: Bearer $TOKEN\" %s/api/interviews -d '{\"candidate\":{\"name\":\"Jane Doe\"}}'\n", base)
	case configured:
		fmt.Fprintf(&b, "API token: the configured one (%s, %s or auth.api_token)\n", config.EnvAPIToken, config.EnvAPITokenFile)
	default:
		fmt.Fprintf(&b, "API token: the one printed at the first start (%s keeps its hash)\n", storeName(cfg))
	}
	if !configured {
		fmt.Fprintf(&b, "Lost the token? Restart with %s=<a secret of 16+ characters> and use that (docs/running.md)\n", config.EnvAPIToken)
	}
	io.WriteString(w, b.String())
}

// storeName says where the store keeps its data, for messages (never the DSN: it holds a password).
func storeName(cfg config.Config) string {
	if cfg.Store.Driver == store.DriverPostgres {
		return "the PostgreSQL store"
	}
	return cfg.DBPath()
}

// secret returns the configured value, else the stored one, else a new one it stores.
func secret(ctx context.Context, st *store.Store, key, configured string) (value string, generated bool, err error) {
	if configured != "" {
		return configured, false, nil
	}
	v, ok, err := st.Setting(ctx, key)
	if err != nil || ok {
		return v, false, err
	}
	v = auth.NewSecret()
	if err := st.SetSetting(ctx, key, v); err != nil {
		return "", false, err
	}
	return v, true, nil
}

func roomConfig(cfg config.Config) room.Config {
	return room.Config{
		PublicIPs: cfg.WebRTC.PublicIPs, UDPPortMin: cfg.WebRTC.UDPPortMin, UDPPortMax: cfg.WebRTC.UDPPortMax,
		ICEServers: iceServers(cfg.WebRTC), IncludeLoopback: cfg.WebRTC.IncludeLoopback, VideoCodec: cfg.WebRTC.VideoCodec,
		StartBitrateKbps: cfg.WebRTC.StartBitrateKbps,
		IdleTimeout:      cfg.Interview.IdleTimeout.D(), MaxDuration: cfg.Interview.MaxDuration.D(),
		LiveInterval: cfg.Interview.ReportInterval.D(), RetentionDays: cfg.Retention.Days,
		Session: sessionConfig(cfg), TURN: turnIssuer(cfg.WebRTC),
	}
}

func retention(ctx context.Context, st *store.Store, days int, log *slog.Logger) {
	if days <= 0 {
		return
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := st.PurgeExpired(ctx, time.Duration(days)*24*time.Hour) // reports, snapshots, outbox rows too
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("retention", "err", err)
		} else if n > 0 {
			log.Info("retention deleted old interviews", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
