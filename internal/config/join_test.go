package config

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateJoin(t *testing.T) {
	c := Default()
	c.Join.AllowedOrigins = []string{"https://whep.example.com", "https://u:p@x.example", "https://x.example/path", "ftp://x"}
	c.Join.AllowedNetworks = []string{"10.0.0.0/8", "127.0.0.1", "10.0.0.0/33", "here"}
	c.LiveKit.AllowedURLs = []string{"wss://eu.livekit.example", "livekit.example"}
	err := c.Validate()
	for _, want := range []string{"join.allowed_origins[1]", "join.allowed_origins[2]", "join.allowed_origins[3]",
		"join.allowed_networks[2]", "join.allowed_networks[3]", "livekit.allowed_urls[1]"} {
		if err == nil || !strings.Contains(err.Error(), want+":") {
			t.Errorf("Validate: %v, want a problem with %s", err, want)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 6 {
		t.Errorf("%d problems, want 6: %v", n, err)
	}
}

func TestLiveKitAPIJoinTarget(t *testing.T) {
	l := LiveKit{URL: "wss://lk.example.com", AllowedURLs: []string{"https://eu.lk.example.com:7443"}, RoomPrefix: "interview-"}
	tests := []struct {
		url, room, want, err string
	}{
		{"", "interview-1", "wss://lk.example.com", ""},
		{"wss://lk.example.com/", "interview-1", "wss://lk.example.com/", ""},
		{"https://LK.example.com:443", "interview-1", "https://LK.example.com:443", ""},
		{"wss://eu.lk.example.com:7443", "interview-2", "wss://eu.lk.example.com:7443", ""},
		{"ws://lk.example.com", "interview-1", "", "must be the configured LiveKit server"},
		{"wss://attacker.example", "interview-1", "", "must be the configured LiveKit server"},
		{"wss://user@lk.example.com", "interview-1", "", "must be the configured LiveKit server"},
		{"http://127.0.0.1:7880", "interview-1", "", "must be the configured LiveKit server"},
		{"", "board-meeting", "", `must start with "interview-"`},
	}
	for _, tt := range tests {
		got, err := l.APIJoinTarget(tt.url, tt.room)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && (!strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrJoinRefused))) {
			t.Errorf("APIJoinTarget(%q, %q) = %q, %v; want %q, %q", tt.url, tt.room, got, err, tt.want, tt.err)
		}
	}
	if _, err := (LiveKit{}).APIJoinTarget("wss://lk.example.com", "r"); err == nil {
		t.Error("no livekit.url and no allowlist: a requested URL was accepted")
	}
}
