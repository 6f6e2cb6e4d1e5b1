package livekit

import (
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
)

func TestTokenGrants(t *testing.T) {
	tok, err := Token("APIkey123", "secret-of-at-least-32-characters-xx", "interview-42", "integritybot-abc", "integritybot")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.ParseAPIToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.APIKey() != "APIkey123" || v.Identity() != "integritybot-abc" {
		t.Fatalf("key %q identity %q", v.APIKey(), v.Identity())
	}
	if _, _, err := v.Verify("another-secret-of-32-characters-xxx"); err == nil {
		t.Fatal("token verified with the wrong secret")
	}
	claims, grants, err := v.Verify("secret-of-at-least-32-characters-xx")
	if err != nil {
		t.Fatal(err)
	}
	if claims.ExpiresAt == nil || claims.ExpiresAt.Sub(claims.NotBefore.Time) != tokenTTL || tokenTTL > 10*time.Minute {
		t.Errorf("validity: %v .. %v", claims.NotBefore, claims.ExpiresAt)
	}
	g := grants.Video
	if g == nil {
		t.Fatal("no video grant")
	}
	checks := []struct {
		name      string
		got, want bool
	}{
		{"roomJoin", g.RoomJoin, true},
		{"hidden", g.Hidden, true},
		{"canSubscribe", g.GetCanSubscribe(), true},
		{"canPublish", g.GetCanPublish(), false},
		{"canPublishData", g.GetCanPublishData(), true},
		{"canUpdateOwnMetadata", g.GetCanUpdateOwnMetadata(), false},
		{"roomAdmin", g.RoomAdmin, false},
		{"roomCreate", g.RoomCreate, false},
		{"recorder", g.Recorder, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Explicit false, not absent: an absent canPublish means "may publish" to LiveKit.
	if g.CanPublish == nil || *g.CanPublish {
		t.Errorf("canPublish must be explicitly false, got %v", g.CanPublish)
	}
	if g.Room != "interview-42" {
		t.Errorf("room %q", g.Room)
	}
	if grants.Name != "integritybot" {
		t.Errorf("name %q", grants.Name)
	}
}

func TestTokenNeedsCredentials(t *testing.T) {
	for _, tc := range []struct{ name, key, secret, room, id string }{
		{"no key", "", "very-secret-value", "r", "i"},
		{"no secret", "k", "", "r", "i"},
		{"no room", "k", "very-secret-value", "", "i"},
		{"no identity", "k", "very-secret-value", "r", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Token(tc.key, tc.secret, tc.room, tc.id, "")
			if err == nil {
				t.Fatal("no error")
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Fatal("error holds the secret")
			}
		})
	}
}
