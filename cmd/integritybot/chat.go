package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/integrations/discord"
	"github.com/integritybot/integritybot/integrations/slack"
	"github.com/integritybot/integritybot/integrations/webhook"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/store"
)

// newOutbox is the outbox worker that delivers summaries and live alerts to Slack, Discord
// and the webhook; reportURL links a message to its report page.
func newOutbox(cfg config.Config, st *store.Store, reportURL func(id string) string, log *slog.Logger) *integrations.Outbox {
	var routes []integrations.Route
	if cfg.Slack.Posts() {
		def, bot := cfg.Slack.Channel, cfg.Slack.BotToken != ""
		routes = append(routes, integrations.Route{Name: "slack", Notifier: slack.New(slack.Config(cfg.Slack)),
			Target:      func(iv store.Interview) (string, bool) { return pick(bot, iv.SlackChannel, def) },
			Interviewer: func(iv store.Interview) string { return iv.SlackUser }})
	}
	if cfg.Discord.Posts() {
		def, bot := cfg.Discord.ChannelID, cfg.Discord.BotToken != ""
		routes = append(routes, integrations.Route{Name: "discord", Notifier: discord.New(discord.Config(cfg.Discord)),
			Target:      func(iv store.Interview) (string, bool) { return pick(bot, iv.DiscordChannel, def) },
			Interviewer: func(iv store.Interview) string { return iv.DiscordUser }})
	}
	if cfg.Webhook.URL != "" {
		routes = append(routes, integrations.Route{Name: "webhook", Notifier: webhook.New(webhook.Config(cfg.Webhook), nil),
			Target: func(store.Interview) (string, bool) { return "", true }})
	}
	return integrations.NewOutbox(integrations.OutboxOptions{Queue: st, Routes: routes, Snapshots: cfg.Chat.Snapshots,
		ReportURL: reportURL, SnapshotDir: filepath.Clean(cfg.DataDir), Log: log.With("component", "outbox")})
}

// chat runs the Slack, Discord and webhook integrations of serve: the outbox worker and the
// inbound /integrity listeners, which create and delete interviews through the service.
type chat struct {
	cfg     config.Config
	log     *slog.Logger
	outbox  *integrations.Outbox
	slack   *slack.Commands
	discord *discord.Commands

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

func newChat(cfg config.Config, outbox *integrations.Outbox, svc *interview.Service, log *slog.Logger) *chat {
	c := &chat{cfg: cfg, log: log, outbox: outbox}
	cr := creator{svc}
	if cfg.Slack.SocketMode() || cfg.Slack.SigningSecret != "" {
		c.slack = slack.NewCommands(slack.Config(cfg.Slack), cr, log)
	}
	if cfg.Discord.Gateway() || cfg.Discord.PublicKey != "" {
		c.discord = discord.NewCommands(discord.Config(cfg.Discord), cr, log)
	}
	return c
}

// snapshots reports whether evidence snapshots (the candidate's face) reach a chat or the
// webhook: chat.snapshots is on and something is configured to receive them.
func (c *chat) snapshots() bool { return c.cfg.Chat.Snapshots && c.outbox.Enabled() }

// pick is the channel of an interview: its own, else the default; webhook modes need none.
func pick(bot bool, own, def string) (string, bool) {
	if !bot {
		return "", true
	}
	if own != "" {
		return own, true
	}
	return def, def != ""
}

// handlers are the inbound HTTP endpoints, mounted in the server.
func (c *chat) handlers() map[string]http.Handler {
	h := map[string]http.Handler{}
	if c.slack != nil && c.cfg.Slack.SigningSecret != "" {
		h["POST /slack/commands"] = c.slack
	}
	if c.discord != nil && c.cfg.Discord.PublicKey != "" {
		h["POST /discord/interactions"] = c.discord
	}
	return h
}

// start runs the outbox worker and the Socket Mode / gateway listeners.
func (c *chat) start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.wg.Go(func() { c.outbox.Run(ctx) })
	if c.slack != nil && c.cfg.Slack.SocketMode() {
		c.wg.Go(func() {
			if err := c.slack.RunSocketMode(ctx); err != nil {
				c.log.Error("slack: socket mode", "err", err)
			}
		})
	}
	if c.discord != nil && c.cfg.Discord.Gateway() {
		c.wg.Go(func() {
			if err := c.discord.RunGateway(ctx); err != nil {
				c.log.Error("discord: gateway", "err", err)
			}
		})
	}
}

// stop ends the worker and listeners; an attempt in flight stays queued for the next start.
func (c *chat) stop() {
	c.once.Do(func() {
		if c.cancel != nil {
			c.cancel()
		}
		c.wg.Wait()
	})
}

// creator adapts the interview service to the integrations' /integrity commands.
type creator struct{ svc *interview.Service }

var _ integrations.Deleter = creator{}

func (cr creator) CreateInterview(ctx context.Context, in integrations.NewInterview) (integrations.Links, error) {
	req := interview.Request{Candidate: in.Candidate, Notes: in.Notes}
	if in.SlackChannel != "" || in.DiscordChannel != "" || in.SlackUser != "" || in.DiscordUser != "" {
		req.Notify = &interview.Notify{SlackChannel: in.SlackChannel, DiscordChannel: in.DiscordChannel,
			SlackUser: in.SlackUser, DiscordUser: in.DiscordUser}
	}
	l, err := cr.svc.Create(ctx, req)
	if errors.Is(err, interview.ErrInvalid) {
		return integrations.Links{}, fmt.Errorf("%s: %w", interview.InvalidMessage(err), integrations.ErrInvalid)
	}
	if err != nil {
		return integrations.Links{}, err
	}
	return integrations.Links{ID: l.ID, CandidateURL: l.CandidateURL, InterviewerURL: l.InterviewerURL,
		ReportURL: l.ReportURL}, nil
}

// DeleteInterview is /integrity delete ID (interview.Service.DeleteFromChannel); what the user
// must fix comes back as integrations.ErrInvalid.
func (cr creator) DeleteInterview(ctx context.Context, id string, in integrations.NewInterview) error {
	err := cr.svc.DeleteFromChannel(ctx, id, in.SlackChannel, in.DiscordChannel)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("there is no interview %q: %w", id, integrations.ErrInvalid)
	case errors.Is(err, interview.ErrOtherChannel):
		return fmt.Errorf("interview %q was created in another channel; delete it there or through the API: %w", id, integrations.ErrInvalid)
	}
	return err
}
