// Package slack posts interview summaries and live alerts to Slack (chat.postMessage with
// Block Kit, files upload v2 for the evidence snapshot, or an incoming webhook) and takes
// the /integrity slash command over Socket Mode or HTTP with signing-secret verification.
package slack

import (
	"net/url"
	"strings"

	"github.com/integritybot/integritybot/integrations"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// Config is the "slack" section of the configuration. Every secret also comes from the
// environment: INTEGRITYBOT_SLACK_BOT_TOKEN, ..._APP_TOKEN, ..._SIGNING_SECRET, ..._WEBHOOK_URL
// (or the same names with _FILE).
type Config struct {
	// BotToken (xoxb-...) posts messages and uploads snapshots (scopes chat:write, files:write).
	BotToken integrations.Secret `yaml:"bot_token"`
	// AppToken (xapp-..., scope connections:write) turns on Socket Mode for /integrity.
	AppToken integrations.Secret `yaml:"app_token"`
	// SigningSecret verifies /integrity requests to the HTTP endpoint /slack/commands.
	SigningSecret integrations.Secret `yaml:"signing_secret"`
	// Channel is the default channel (id, e.g. C0123456789) for summaries.
	Channel string `yaml:"channel"`
	// WebhookURL is an incoming webhook: summaries without a bot (no threads, no snapshot).
	WebhookURL integrations.Secret `yaml:"webhook_url"`
	// APIURL is the Web API base every request of this integration goes to.
	APIURL string `yaml:"api_url"`
}

// DefaultConfig returns the defaults: nothing enabled, the real API base.
func DefaultConfig() Config { return Config{APIURL: DefaultAPIURL} }

// Posts reports whether summaries are posted (a bot token or a webhook URL is set).
func (c Config) Posts() bool { return c.BotToken != "" || c.WebhookURL != "" }

// SocketMode reports whether /integrity is taken over Socket Mode.
func (c Config) SocketMode() bool { return c.AppToken != "" && c.BotToken != "" }

// Validate reports every problem, each an *integrations.FieldError named "slack.KEY".
// Secret values never appear in the messages.
func (c Config) Validate() error {
	var p integrations.Problems
	if t := c.BotToken.Value(); t != "" && !strings.HasPrefix(t, "xoxb-") {
		p.Add("slack.bot_token", "must be a bot token starting with xoxb-")
	}
	if t := c.AppToken.Value(); t != "" {
		if !strings.HasPrefix(t, "xapp-") {
			p.Add("slack.app_token", "must be an app-level token starting with xapp-")
		}
		if c.BotToken == "" {
			p.Add("slack.app_token", "Socket Mode also needs slack.bot_token")
		}
	}
	if c.Channel != "" && c.BotToken == "" {
		p.Add("slack.channel", "posting to a channel needs slack.bot_token (or use slack.webhook_url alone)")
	}
	if c.Channel != "" && strings.ContainsAny(c.Channel, " \t\n") {
		p.Add("slack.channel", "must be a channel id such as C0123456789, got %q", c.Channel)
	}
	if w := c.WebhookURL.Value(); w != "" && !isHTTPURL(w) {
		p.Add("slack.webhook_url", "must be an http:// or https:// URL")
	}
	if !isHTTPURL(c.APIURL) {
		p.Add("slack.api_url", "must be an http:// or https:// URL, got %q", c.APIURL)
	}
	return p.Err()
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// apiURL returns the API base with the trailing slash slack-go expects.
func (c Config) apiURL() string {
	if c.APIURL == "" {
		return DefaultAPIURL
	}
	return strings.TrimRight(c.APIURL, "/") + "/"
}

func (c Config) secrets() []string {
	return []string{c.BotToken.Value(), c.AppToken.Value(), c.SigningSecret.Value(), c.WebhookURL.Value()}
}
