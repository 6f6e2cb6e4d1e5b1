package config

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/url"
	"strings"
)

// Slack is the "slack" section. integrations/slack takes it as slack.Config, a struct with
// the same fields: the conversion in cmd/integritybot does not compile once they differ.
// Every secret also comes from the environment (EnvSlackBotToken, ... or the same names
// with _FILE).
type Slack struct {
	// BotToken (xoxb-...) posts and edits messages, uploads snapshots and sends direct messages
	// (scopes chat:write, files:write, im:write).
	BotToken Secret `yaml:"bot_token"`
	// AppToken (xapp-..., scope connections:write) turns on Socket Mode for /integrity.
	AppToken Secret `yaml:"app_token"`
	// SigningSecret verifies /integrity requests to the HTTP endpoint /slack/commands.
	SigningSecret Secret `yaml:"signing_secret"`
	// Channel is the default channel (id, e.g. C0123456789) for summaries.
	Channel string `yaml:"channel"`
	// WebhookURL is an incoming webhook: summaries without a bot (no threads, no snapshot).
	WebhookURL Secret `yaml:"webhook_url"`
	// APIURL is the Web API base every request of this integration goes to; empty means
	// Slack's (slack.DefaultAPIURL).
	APIURL string `yaml:"api_url"`
}

// Posts reports whether summaries are posted (a bot token or a webhook URL is set).
func (c Slack) Posts() bool { return c.BotToken != "" || c.WebhookURL != "" }

// SocketMode reports whether /integrity is taken over Socket Mode.
func (c Slack) SocketMode() bool { return c.AppToken != "" && c.BotToken != "" }

// Discord is the "discord" section; integrations/discord takes it as discord.Config (same
// fields). Secrets also come from the environment (EnvDiscordBotToken,
// EnvDiscordWebhookURL, or _FILE).
type Discord struct {
	// BotToken posts messages and connects to the gateway for /integrity.
	BotToken Secret `yaml:"bot_token"`
	// ApplicationID registers the /integrity command (with BotToken).
	ApplicationID string `yaml:"application_id"`
	// PublicKey (hex) verifies requests to the HTTP interactions endpoint /discord/interactions.
	PublicKey string `yaml:"public_key"`
	// ChannelID is the default channel for summaries.
	ChannelID string `yaml:"channel_id"`
	// WebhookURL posts summaries without a bot (no threads, edits or direct messages).
	WebhookURL Secret `yaml:"webhook_url"`
	// APIURL is the REST API base every request of this integration goes to; empty means
	// Discord's (discord.DefaultAPIURL).
	APIURL string `yaml:"api_url"`
}

// Posts reports whether summaries are posted.
func (c Discord) Posts() bool { return c.BotToken != "" || c.WebhookURL != "" }

// Gateway reports whether /integrity is taken over the gateway.
func (c Discord) Gateway() bool { return c.BotToken != "" && c.ApplicationID != "" }

// Webhook is the "webhook" section; integrations/webhook takes it as webhook.Config.
type Webhook struct {
	// URL receives a JSON POST per summary and live alert; empty disables the webhook.
	URL Secret `yaml:"url"`
}

// Chat is the "chat" section: what Slack, Discord and the webhook may carry.
type Chat struct {
	// Snapshots puts the strongest evidence snapshot (a still of the candidate's face) into
	// the chat thread with the summary. Default false: the candidate's picture stays on the
	// report page, which chat messages link to. On, the candidate's consent notice also says
	// that face snapshots are shared with the hiring team's chat (internal/web).
	Snapshots bool `yaml:"snapshots"`
}

// Environment variables for the chat integrations' secrets; each also exists with a _FILE
// suffix naming a file that holds the value.
const (
	EnvSlackBotToken      = "INTEGRITYBOT_SLACK_BOT_TOKEN"
	EnvSlackAppToken      = "INTEGRITYBOT_SLACK_APP_TOKEN"
	EnvSlackSigningSecret = "INTEGRITYBOT_SLACK_SIGNING_SECRET"
	EnvSlackWebhookURL    = "INTEGRITYBOT_SLACK_WEBHOOK_URL"
	EnvDiscordBotToken    = "INTEGRITYBOT_DISCORD_BOT_TOKEN"
	EnvDiscordWebhookURL  = "INTEGRITYBOT_DISCORD_WEBHOOK_URL"
	EnvWebhookURL         = "INTEGRITYBOT_WEBHOOK_URL"
)

// applyChatEnv sets the integrations' secrets from the environment (VAR or VAR_FILE, not both).
func applyChatEnv(c *Config, get func(string) (string, bool)) error {
	for _, e := range []struct {
		name string
		dst  *Secret
	}{
		{EnvSlackBotToken, &c.Slack.BotToken}, {EnvSlackAppToken, &c.Slack.AppToken},
		{EnvSlackSigningSecret, &c.Slack.SigningSecret}, {EnvSlackWebhookURL, &c.Slack.WebhookURL},
		{EnvDiscordBotToken, &c.Discord.BotToken}, {EnvDiscordWebhookURL, &c.Discord.WebhookURL},
		{EnvWebhookURL, &c.Webhook.URL},
	} {
		if err := envSecret(get, e.name, e.dst); err != nil {
			return err
		}
	}
	return nil
}

// validateChat checks the slack, discord and webhook sections. Secret values never appear
// in the messages.
func (c Config) validateChat(p *problems) {
	s := c.Slack
	if t := s.BotToken.Value(); t != "" && !strings.HasPrefix(t, "xoxb-") {
		p.add("slack.bot_token", "must be a bot token starting with xoxb-")
	}
	if t := s.AppToken.Value(); t != "" {
		if !strings.HasPrefix(t, "xapp-") {
			p.add("slack.app_token", "must be an app-level token starting with xapp-")
		}
		if s.BotToken == "" {
			p.add("slack.app_token", "Socket Mode also needs slack.bot_token")
		}
	}
	if s.Channel != "" && s.BotToken == "" {
		p.add("slack.channel", "posting to a channel needs slack.bot_token (or use slack.webhook_url alone)")
	}
	if s.Channel != "" && strings.ContainsAny(s.Channel, " \t\n") {
		p.add("slack.channel", "must be a channel id such as C0123456789, got %q", s.Channel)
	}
	if w := s.WebhookURL.Value(); w != "" && !isHTTPURL(w) {
		p.add("slack.webhook_url", "must be an http:// or https:// URL")
	}
	if s.APIURL != "" && !isHTTPURL(s.APIURL) {
		p.add("slack.api_url", "must be an http:// or https:// URL, got %q", s.APIURL)
	}

	d := c.Discord
	if d.ApplicationID != "" && !snowflake(d.ApplicationID) {
		p.add("discord.application_id", "must be the numeric application id, got %q", d.ApplicationID)
	}
	if b, err := hex.DecodeString(d.PublicKey); d.PublicKey != "" && (err != nil || len(b) != ed25519.PublicKeySize) {
		p.add("discord.public_key", "must be the application's public key: 64 hexadecimal characters")
	}
	if d.ChannelID != "" {
		if !snowflake(d.ChannelID) {
			p.add("discord.channel_id", "must be a numeric channel id, got %q", d.ChannelID)
		}
		if d.BotToken == "" {
			p.add("discord.channel_id", "posting to a channel needs discord.bot_token (or use discord.webhook_url alone)")
		}
	}
	if w := d.WebhookURL.Value(); w != "" && !discordWebhook(w) {
		p.add("discord.webhook_url", "must be a Discord webhook URL ending in /webhooks/ID/TOKEN")
	}
	if d.APIURL != "" && !isHTTPURL(d.APIURL) {
		p.add("discord.api_url", "must be an http:// or https:// URL, got %q", d.APIURL)
	}

	if w := c.Webhook.URL.Value(); w != "" && !isHTTPURL(w) {
		p.add("webhook.url", "must be an http:// or https:// URL")
	}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// snowflake reports whether s is a Discord id: 1 to 20 decimal digits.
func snowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// discordWebhook reports whether raw is an http(s) URL whose path holds webhooks/ID/TOKEN,
// the form integrations/discord posts to.
func discordWebhook(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] == "webhooks" && snowflake(parts[i+1]) && parts[i+2] != "" {
			return true
		}
	}
	return false
}
