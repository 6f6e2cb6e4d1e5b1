package config

import (
	"strings"
	"testing"
)

func TestValidateTURN(t *testing.T) {
	turn := ICEServer{URLs: []string{"turn:turn.example.com:3478"}}
	tests := []struct {
		name   string
		secret Secret
		ice    []ICEServer
		want   string // "" valid
	}{
		{"static credential", "", []ICEServer{{URLs: turn.URLs, Username: "u", Credential: "p"}}, ""},
		{"no credential, no secret", "", []ICEServer{turn}, "needs username and credential"},
		{"secret issues it", "shared", []ICEServer{turn}, ""},
		{"secret and a half static entry", "shared", []ICEServer{turn, {URLs: turn.URLs, Username: "u"}}, "needs username and credential"},
		{"secret without a TURN server", "shared", []ICEServer{{URLs: []string{"stun:stun.example.com"}}}, "webrtc.turn_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.WebRTC.TURNSecret, c.WebRTC.ICEServers = tt.secret, tt.ice
			err := c.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
	c := Default()
	if err := applyEnv(&c, func(k string) (string, bool) {
		return map[string]string{EnvTURNSecret: "from-env"}[k], k == EnvTURNSecret
	}); err != nil ||
		c.WebRTC.TURNSecret.Value() != "from-env" {
		t.Errorf("%s: %v %q", EnvTURNSecret, err, c.WebRTC.TURNSecret.Value())
	}
}
