package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/integritybot/integritybot/integrations"
)

// Commands answers the /integrity slash command, over Socket Mode (RunSocketMode) or HTTP
// (ServeHTTP at /slack/commands, verified with the signing secret). Both create the
// interview through the same Creator as POST /api/interviews and register the channel the
// command was typed in for the summary.
type Commands struct {
	cfg     Config
	creator integrations.Creator
	log     *slog.Logger
	http    *http.Client
}

// NewCommands returns the slash-command handler.
func NewCommands(cfg Config, creator integrations.Creator, log *slog.Logger, opts ...Option) *Commands {
	if log == nil {
		log = slog.Default()
	}
	return &Commands{cfg: cfg, creator: creator, log: log.With("integration", "slack"), http: apply(opts).http}
}

// maxCommandBody bounds a slash command request (Slack sends a few hundred bytes).
const maxCommandBody = 64 << 10

// ServeHTTP answers a slash command request. It rejects a missing or wrong signature and a
// timestamp more than 5 minutes from now (replays) with 401, as Slack's docs ask:
// https://api.slack.com/authentication/verifying-requests-from-slack
func (c *Commands) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.cfg.SigningSecret == "" {
		http.Error(w, "slack.signing_secret is not configured", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCommandBody))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	sv, err := slack.NewSecretsVerifier(r.Header, c.cfg.SigningSecret.Value())
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		c.log.Warn("slack: rejected slash command", "reason", verifyReason(err), "remote", r.RemoteAddr)
		http.Error(w, "invalid or stale signature", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ephemeral(c.answer(r.Context(), cmd)))
}

func verifyReason(err error) string {
	switch {
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return "stale timestamp"
	case errors.Is(err, slack.ErrMissingHeaders):
		return "missing headers"
	}
	return "bad signature"
}

type reply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func ephemeral(text string) reply { return reply{ResponseType: "ephemeral", Text: text} }

func (c *Commands) answer(ctx context.Context, cmd slack.SlashCommand) string {
	text, err := integrations.Invite(ctx, c.creator, cmd.Text, integrations.NewInterview{SlackChannel: cmd.ChannelID, SlackUser: cmd.UserID})
	if err != nil {
		c.log.Error("slack: create interview from slash command", "err", err, "channel", cmd.ChannelID)
	}
	return text
}

// RunSocketMode connects to Slack with the app-level token and answers /integrity until ctx
// ends; the socketmode client reconnects by itself after network errors.
func (c *Commands) RunSocketMode(ctx context.Context) error {
	api := slack.New(c.cfg.BotToken.Value(), slack.OptionAppLevelToken(c.cfg.AppToken.Value()),
		slack.OptionAPIURL(c.cfg.apiURL()), slack.OptionHTTPClient(c.http))
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// RunContext returns only with an error; one after ctx ended is the normal stop.
		if err := sm.RunContext(ctx); ctx.Err() == nil {
			c.log.Error("slack: socket mode stopped", "err", integrations.Redact(err, c.cfg.secrets()...))
		}
		cancel()
	}()
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case evt := <-sm.Events:
			c.handleEvent(ctx, sm, evt)
		}
	}
}

func (c *Commands) handleEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, ephemeral(c.answer(ctx, cmd))); err != nil {
			c.log.Warn("slack: socket mode ack", "err", integrations.Redact(err, c.cfg.secrets()...))
		}
	case socketmode.EventTypeConnected:
		c.log.Info("slack: socket mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		c.log.Warn("slack: socket mode connection problem", "event", string(evt.Type))
	default:
		if evt.Request != nil && evt.Request.EnvelopeID != "" && !strings.HasPrefix(string(evt.Type), "hello") {
			_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil) // acknowledge what we do not handle
		}
	}
}
