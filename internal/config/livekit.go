package config

import (
	"fmt"
	"strings"

	"github.com/integritybot/integritybot/bot/connect/livekit"
)

// LiveKit configures joining interviews held in LiveKit rooms (bot/connect/livekit,
// `integritybot join --livekit`, POST /api/interviews "join": {"livekit": ...}).
type LiveKit struct {
	// URL is the default LiveKit server (wss://...); --livekit overrides it. Joins the API
	// asks for go only here or to one of AllowedURLs.
	URL string `yaml:"url"`
	// AllowedURLs are further LiveKit servers the API's join.livekit.url may name.
	AllowedURLs []string `yaml:"allowed_urls"`
	// RoomPrefix, when set, limits the rooms the API may ask the bot to join to names
	// starting with it.
	RoomPrefix string `yaml:"room_prefix"`
	// APIKey and APISecret sign the bot's join tokens (a hidden, subscribe-only participant).
	APIKey    Secret `yaml:"api_key"`
	APISecret Secret `yaml:"api_secret"`
	// IdentityPrefix makes the bot's participant identity: prefix + interview id.
	IdentityPrefix string `yaml:"identity_prefix"`
	// InterviewerIdentities are never taken as the candidate.
	InterviewerIdentities []string `yaml:"interviewer_identities"`
	// CandidatePrefix, when set, takes as the candidate only identities starting with it.
	CandidatePrefix string `yaml:"candidate_prefix"`
	// CandidateAttribute, when set ("key=value"), takes only participants with that attribute.
	CandidateAttribute string `yaml:"candidate_attribute"`
	// Notice is posted in the room's chat when the bot joins and when the candidate joins.
	Notice string `yaml:"notice"`
	// LeaveAfter ends the call when the candidate has been out of the room this long.
	LeaveAfter Duration `yaml:"leave_after"`
}

// Environment variables for the LiveKit credentials; each also exists with a _FILE suffix.
const (
	EnvLiveKitAPIKey    = "INTEGRITYBOT_LIVEKIT_API_KEY"
	EnvLiveKitAPISecret = "INTEGRITYBOT_LIVEKIT_API_SECRET"
)

// The names LiveKit's own tools (the lk CLI, the server SDKs) read. They fill in what the
// file and the INTEGRITYBOT_ variables leave unset, so those always win.
const (
	EnvLiveKitURLConventional       = "LIVEKIT_URL"
	EnvLiveKitAPIKeyConventional    = "LIVEKIT_API_KEY"
	EnvLiveKitAPISecretConventional = "LIVEKIT_API_SECRET"
)

// defaultLiveKit takes the consent notice and leave_after from the connector.
func defaultLiveKit() LiveKit {
	lk := livekit.DefaultConfig()
	return LiveKit{IdentityPrefix: "integritybot-", Notice: lk.Notice, LeaveAfter: Duration(lk.LeaveAfter)}
}

// CanJoin reports whether LiveKit credentials are configured.
func (l LiveKit) CanJoin() bool { return l.APIKey != "" && l.APISecret != "" }

// applyLiveKitEnv sets the LiveKit credentials from the environment (VAR or VAR_FILE, not
// both), then fills what is still unset from LiveKit's conventional variables.
func applyLiveKitEnv(c *Config, get func(string) (string, bool)) error {
	if err := applyLiveKitPrefixedEnv(c, get); err != nil {
		return err
	}
	for _, e := range []struct {
		name string
		dst  *string
	}{{EnvLiveKitURLConventional, &c.LiveKit.URL}, {EnvLiveKitAPIKeyConventional, (*string)(&c.LiveKit.APIKey)},
		{EnvLiveKitAPISecretConventional, (*string)(&c.LiveKit.APISecret)}} {
		if v, ok := get(e.name); ok && *e.dst == "" {
			*e.dst = strings.TrimSpace(v)
		}
	}
	return nil
}

func applyLiveKitPrefixedEnv(c *Config, get func(string) (string, bool)) error {
	for _, e := range []struct {
		name string
		dst  *Secret
	}{{EnvLiveKitAPIKey, &c.LiveKit.APIKey}, {EnvLiveKitAPISecret, &c.LiveKit.APISecret}} {
		if err := envSecret(get, e.name, e.dst); err != nil {
			return err
		}
	}
	return nil
}

func (c Config) validateLiveKit(p *problems) {
	l := c.LiveKit
	if l.URL != "" {
		if livekit.CheckURL(l.URL) != nil {
			p.add("livekit.url", "want a ws://, wss://, http:// or https:// URL, got %q", l.URL)
		}
	}
	if (l.APIKey == "") != (l.APISecret == "") {
		p.add("livekit.api_key", "set both api_key and api_secret, or neither")
	}
	if strings.TrimSpace(l.IdentityPrefix) == "" {
		p.add("livekit.identity_prefix", "must not be empty")
	}
	for i, id := range l.InterviewerIdentities {
		if strings.TrimSpace(id) == "" {
			p.add(fmt.Sprintf("livekit.interviewer_identities[%d]", i), "must not be empty")
		}
	}
	if a := l.CandidateAttribute; a != "" {
		if k, _, ok := strings.Cut(a, "="); !ok || k == "" {
			p.add("livekit.candidate_attribute", "want key=value, got %q", a)
		}
	}
	if strings.TrimSpace(l.Notice) == "" {
		p.add("livekit.notice", "must not be empty: the bot announces itself in every call it joins")
	}
	positive(p, "livekit.leave_after", l.LeaveAfter)
}
