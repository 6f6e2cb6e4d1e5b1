package room_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/turn"
)

// TestTURNCredentialsPerLink: with a TURN secret, each participant's welcome carries its own
// credential for the TURN server (username "expiry:interview-role", the TURN REST scheme),
// valid for the configured time; the STUN server and a TURN server with a static credential
// are passed on unchanged.
func TestTURNCredentialsPerLink(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	f := newFixture(t, "vp8", func(c *room.Config) {
		c.ICEServers = []webrtc.ICEServer{
			{URLs: []string{"stun:stun.example.com:3478"}},
			{URLs: []string{"turn:turn.example.com:3478?transport=udp"}},
			{URLs: []string{"turn:legacy.example.com"}, Username: "static", Credential: "weak"},
		}
		c.TURN = turn.Issuer{Secret: "shared-secret", TTL: 2 * time.Hour, Now: func() time.Time { return now }}
	})
	for _, role := range []string{room.Candidate, room.Interviewer} {
		c := f.dial(t, role)
		w := c.waitFor("welcome")
		ice, _ := w["ice_servers"].([]any)
		if len(ice) != 3 {
			t.Fatalf("%s: ice_servers %v", role, w["ice_servers"])
		}
		stun, issued, static := ice[0].(map[string]any), ice[1].(map[string]any), ice[2].(map[string]any)
		user, pass := turn.Credential("shared-secret", f.id+"-"+role, now.Add(2*time.Hour))
		if issued["username"] != user || issued["credential"] != pass {
			t.Errorf("%s: TURN credential %v, want %s / %s", role, issued, user, pass)
		}
		if stun["username"] != nil || stun["credential"] != nil {
			t.Errorf("%s: the STUN server got a credential: %v", role, stun)
		}
		if static["username"] != "static" || static["credential"] != "weak" {
			t.Errorf("%s: the static credential changed: %v", role, static)
		}
	}
}
