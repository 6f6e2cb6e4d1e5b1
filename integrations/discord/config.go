// Package discord posts interview summaries and live alerts to Discord (a channel message
// with an embed and the snapshot as an attachment, through the bot or a webhook URL) and
// answers the /integrity slash command through the gateway or the HTTP interactions
// endpoint with ed25519 verification.
package discord

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/integritybot/integritybot/integrations"
)

// DefaultAPIURL is the REST API base discordgo uses (API v9).
var DefaultAPIURL = discordgo.EndpointAPI

// Config is what the notifier and the commands are built from: internal/config's discord
// section, converted by cmd/integritybot (the two structs have the same fields; the
// configuration validates them).
type Config struct {
	// BotToken posts messages and connects to the gateway for /integrity.
	BotToken integrations.Secret
	// ApplicationID registers the /integrity command (with BotToken).
	ApplicationID string
	// PublicKey (hex) verifies requests to the HTTP interactions endpoint /discord/interactions.
	PublicKey string
	// ChannelID is the default channel for summaries.
	ChannelID string
	// WebhookURL posts summaries without a bot (no replies to alerts).
	WebhookURL integrations.Secret
	// APIURL is the REST API base every request of this integration goes to; empty means
	// DefaultAPIURL.
	APIURL string
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
