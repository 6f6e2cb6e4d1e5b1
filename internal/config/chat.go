package config

import (
	"errors"
	"fmt"

	"github.com/integritybot/integritybot/integrations"
)

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

// validateChat adds the problems each integration's own Validate reports.
func (c Config) validateChat(p *problems) {
	for _, err := range []error{c.Slack.Validate(), c.Discord.Validate(), c.Webhook.Validate()} {
		if err == nil {
			continue
		}
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			var fe *integrations.FieldError
			if errors.As(e, &fe) {
				p.add(fe.Key, "%s", fe.Msg)
			} else {
				*p = append(*p, fmt.Errorf("config: %w", e))
			}
		}
	}
}
