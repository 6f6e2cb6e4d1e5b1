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
	if c.Slack.BotToken.Value() != "xoxb-secret-slack" || c.Discord.BotToken.Value() != "discord-secret-token" ||
		c.Slack.APIURL != "https://slack.com/api/" || !strings.HasPrefix(c.Discord.APIURL, "https://discord.com/api/v") {
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
