// Package slack posts interview summaries and live alerts to Slack (chat.postMessage with
// Block Kit, files upload v2 for the evidence snapshot, or an incoming webhook) and takes
// the /integrity slash command over Socket Mode or HTTP with signing-secret verification.
package slack

import (
	"strings"

	"github.com/integritybot/integritybot/integrations"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// Config is what the notifier and the commands are built from: internal/config's slack
// section, converted by cmd/integritybot (the two structs have the same fields; the
// configuration validates them).
type Config struct {
	// BotToken (xoxb-...) posts messages and uploads snapshots (scopes chat:write, files:write).
	BotToken integrations.Secret
	// AppToken (xapp-..., scope connections:write) takes /integrity over Socket Mode.
	AppToken integrations.Secret
	// SigningSecret verifies /integrity requests to the HTTP endpoint /slack/commands.
	SigningSecret integrations.Secret
	// Channel is the default channel (id, e.g. C0123456789) for summaries.
	Channel string
	// WebhookURL is an incoming webhook: summaries without a bot (no threads, no snapshot).
	WebhookURL integrations.Secret
	// APIURL is the Web API base every request of this integration goes to; empty means
	// DefaultAPIURL.
	APIURL string
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
