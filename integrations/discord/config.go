// Package discord posts interview summaries and live alerts to Discord (a channel message
// with an embed and the snapshot as an attachment, through the bot or a webhook URL) and
// answers the /integrity slash command through the gateway or the HTTP interactions
// endpoint with ed25519 verification.
package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/integritybot/integritybot/integrations"
)

// DefaultAPIURL is the REST API base discordgo uses (API v9).
var DefaultAPIURL = discordgo.EndpointAPI

// Config is the "discord" section of the configuration. Secrets also come from the
// environment: INTEGRITYBOT_DISCORD_BOT_TOKEN and INTEGRITYBOT_DISCORD_WEBHOOK_URL (or _FILE).
type Config struct {
	// BotToken posts messages and connects to the gateway for /integrity.
	BotToken integrations.Secret `yaml:"bot_token"`
	// ApplicationID registers the /integrity command (with BotToken).
	ApplicationID string `yaml:"application_id"`
	// PublicKey (hex) verifies requests to the HTTP interactions endpoint /discord/interactions.
	PublicKey string `yaml:"public_key"`
	// ChannelID is the default channel for summaries.
	ChannelID string `yaml:"channel_id"`
	// WebhookURL posts summaries without a bot (no replies to alerts).
	WebhookURL integrations.Secret `yaml:"webhook_url"`
	// APIURL is the REST API base every request of this integration goes to.
	APIURL string `yaml:"api_url"`
}

// DefaultConfig returns the defaults: nothing enabled, the real API base.
func DefaultConfig() Config { return Config{APIURL: DefaultAPIURL} }

// Posts reports whether summaries are posted.
func (c Config) Posts() bool { return c.BotToken != "" || c.WebhookURL != "" }

// Gateway reports whether /integrity is taken over the gateway.
func (c Config) Gateway() bool { return c.BotToken != "" && c.ApplicationID != "" }

// Validate reports every problem, each an *integrations.FieldError named "discord.KEY".
func (c Config) Validate() error {
	var p integrations.Problems
	if c.ApplicationID != "" && !snowflake(c.ApplicationID) {
		p.Add("discord.application_id", "must be the numeric application id, got %q", c.ApplicationID)
	}
	if c.PublicKey != "" {
		if b, err := hex.DecodeString(c.PublicKey); err != nil || len(b) != ed25519.PublicKeySize {
			p.Add("discord.public_key", "must be the application's public key: 64 hexadecimal characters")
		}
	}
	if c.ChannelID != "" {
		if !snowflake(c.ChannelID) {
			p.Add("discord.channel_id", "must be a numeric channel id, got %q", c.ChannelID)
		}
		if c.BotToken == "" {
			p.Add("discord.channel_id", "posting to a channel needs discord.bot_token (or use discord.webhook_url alone)")
		}
	}
	if w := c.WebhookURL.Value(); w != "" {
		if _, _, ok := webhookParts(w); !ok {
			p.Add("discord.webhook_url", "must be a Discord webhook URL ending in /webhooks/ID/TOKEN")
		}
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.Add("discord.api_url", "must be an http:// or https:// URL, got %q", c.APIURL)
	}
	return p.Err()
}

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

// webhookParts splits a webhook URL into its id and token.
func webhookParts(raw string) (id, token string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] == "webhooks" && snowflake(parts[i+1]) && parts[i+2] != "" {
			return parts[i+1], parts[i+2], true
		}
	}
	return "", "", false
}

func (c Config) secrets() []string {
	s := []string{c.BotToken.Value(), c.WebhookURL.Value()}
	if _, tok, ok := webhookParts(c.WebhookURL.Value()); ok {
		s = append(s, tok)
	}
	return s
}

// rewrite sends every request for discordgo's API base to the configured base instead.
// discordgo builds its endpoints from package variables; rewriting in the transport keeps
// those untouched (no package state changes), so two configurations can coexist.
type rewrite struct {
	from, to string
	next     http.RoundTripper
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if rest, ok := strings.CutPrefix(r.URL.String(), t.from); ok && t.to != t.from {
		u, err := url.Parse(t.to + rest)
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.URL, r.Host = u, u.Host
	}
	return t.next.RoundTrip(r)
}

// session returns a discordgo session whose every REST request goes to cfg.APIURL and
// which leaves retries to the outbox (no sleeping on 429 inside discordgo).
func session(cfg Config, hc *http.Client) *discordgo.Session {
	s, _ := discordgo.New("Bot " + cfg.BotToken.Value()) // never fails
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	to := strings.TrimRight(cfg.APIURL, "/") + "/"
	if cfg.APIURL == "" {
		to = DefaultAPIURL
	}
	s.Client = &http.Client{Timeout: hc.Timeout, Jar: hc.Jar, CheckRedirect: hc.CheckRedirect,
		Transport: rewrite{from: discordgo.EndpointAPI, to: to, next: next}}
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	s.Identify.Intents = discordgo.IntentsNone // interactions arrive without intents
	return s
}
