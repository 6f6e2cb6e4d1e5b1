package config

import (
	"strings"
	"time"
)

// EnvTURNSecret sets webrtc.turn_secret (EnvTURNSecret+"_FILE" reads it from a file).
const EnvTURNSecret = "INTEGRITYBOT_TURN_SECRET"

// defaultTURNTTL is how long an issued TURN credential stays valid: the longest interview
// (interview.max_duration's default), since a TURN allocation is refreshed with the same
// credential for as long as the call lasts.
const defaultTURNTTL = 4 * time.Hour

// validateTURN checks webrtc.turn_secret and webrtc.turn_ttl: a secret needs a TURN server
// to issue credentials for.
func (c Config) validateTURN(p *problems) {
	w := c.WebRTC
	positive(p, "webrtc.turn_ttl", w.TURNTTL)
	if w.TURNSecret == "" {
		return
	}
	for _, s := range w.ICEServers {
		for _, u := range s.URLs {
			if (strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:")) && s.Username == "" && s.Credential == "" {
				return
			}
		}
	}
	p.add("webrtc.turn_secret", "is set, but no webrtc.ice_servers entry is a turn: or turns: server without a username and credential to issue credentials for")
}
