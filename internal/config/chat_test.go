package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChatSecretsFromEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "discord")
	_ = os.WriteFile(file, []byte("discord-secret-token\n"), 0o600)
	env := map[string]string{EnvSlackBotToken: "xoxb-secret-slack", EnvDiscordBotToken + "_FILE": file,
		EnvSlackSigningSecret: "signing-secret-value"}
	c, err := LoadEnv("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Slack.BotToken.Value() != "xoxb-secret-slack" || c.Discord.BotToken.Value() != "discord-secret-token" {
		t.Errorf("config = %+v", c)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", c, c, c)} {
		for _, secret := range []string{"xoxb-secret-slack", "discord-secret-token", "signing-secret-value"} {
			if strings.Contains(s, secret) {
				t.Errorf("config prints %s", secret)
			}
		}
	}
	env[EnvSlackBotToken+"_FILE"] = file
	if _, err := LoadEnv("", func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil {
		t.Error("VAR and VAR_FILE together were accepted")
	}
}

func TestChatValidateNamesKeys(t *testing.T) {
	_, err := Parse([]byte("slack:\n  bot_token: xoxp-user-token\n  channel: C1\ndiscord:\n  public_key: nothex\nwebhook:\n  url: ftp://x\n"))
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Parse = %v; want FieldErrors", err)
	}
	for _, k := range []string{"config: slack.bot_token:", "config: discord.public_key:", "config: webhook.url:"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error lacks %q: %v", k, err)
		}
	}
	if strings.Contains(err.Error(), "xoxp-user-token") {
		t.Errorf("error leaks the token: %v", err)
	}
	if _, err := Parse([]byte("slack:\n  bot_tokn: x\n")); err == nil || !strings.Contains(err.Error(), `"slack.bot_tokn"`) {
		t.Errorf("unknown slack key = %v", err)
	}
}

// TestChatValidate: the slack, discord and webhook sections, each problem named by its key,
// no secret in a message. An empty api_url is the platform's own.
func TestChatValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		keys []string
	}{
		"default":             {"", nil},
		"slack bot":           {"slack: {bot_token: xoxb-1, channel: C1, api_url: 'https://slack.com/api/'}", nil},
		"slack socket mode":   {"slack: {bot_token: xoxb-1, app_token: xapp-1}", nil},
		"slack wrong tokens":  {"slack: {bot_token: xoxp-secretuser, app_token: nope}", []string{"slack.bot_token", "slack.app_token"}},
		"slack app alone":     {"slack: {app_token: xapp-1}", []string{"slack.app_token"}},
		"slack channel alone": {"slack: {channel: C1}", []string{"slack.channel"}},
		"slack channel space": {"slack: {bot_token: xoxb-1, channel: 'C1 C2'}", []string{"slack.channel"}},
		"slack bad urls":      {"slack: {webhook_url: 'ftp://x/secretpath', api_url: nope}", []string{"slack.webhook_url", "slack.api_url"}},
		"discord bot":         {"discord: {bot_token: t, application_id: '777', public_key: " + strings.Repeat("ab", 32) + ", channel_id: '100'}", nil},
		"discord webhook":     {"discord: {webhook_url: 'https://discord.com/api/webhooks/123/tok'}", nil},
		"discord bad": {"discord: {application_id: x, public_key: zz, channel_id: '100', webhook_url: 'https://discord.com/api/nothook/secretpath', api_url: nope}",
			[]string{"discord.application_id", "discord.public_key", "discord.channel_id", "discord.webhook_url", "discord.api_url"}},
		"discord short key": {"discord: {public_key: abcd}", []string{"discord.public_key"}},
		"webhook":           {"webhook: {url: 'https://example.com/hook'}", nil},
		"webhook bad":       {"webhook: {url: 'ftp://x/secretpath'}", []string{"webhook.url"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			for _, k := range tc.keys {
				if err == nil || !strings.Contains(err.Error(), "config: "+k+":") {
					t.Errorf("Parse = %v; want a problem with %s", err, k)
				}
			}
			if len(tc.keys) == 0 && err != nil {
				t.Errorf("Parse = %v", err)
			}
			if err != nil && (strings.Contains(err.Error(), "secretuser") || strings.Contains(err.Error(), "secretpath")) {
				t.Errorf("a message leaks a secret: %v", err)
			}
		})
	}
}
