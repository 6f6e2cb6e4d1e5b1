package server

import (
	"strings"
	"testing"
)

func TestJoinRequestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		j    *JoinRequest
		want string // "" valid, else a fragment of the error
	}{
		{"none", nil, ""},
		{"whep", &JoinRequest{WHEP: "https://m.example.com/whep"}, ""},
		{"whep bad scheme", &JoinRequest{WHEP: "ftp://m.example.com"}, "join.whep"},
		{"empty", &JoinRequest{}, "join.whep"},
		{"livekit", &JoinRequest{LiveKit: &LiveKitJoin{URL: "wss://lk.example.com", Room: "iv-42", Identity: "bot", CandidateIdentity: "jane"}}, ""},
		{"livekit configured url", &JoinRequest{LiveKit: &LiveKitJoin{Room: "iv-42"}}, ""},
		{"livekit no room", &JoinRequest{LiveKit: &LiveKitJoin{URL: "wss://lk.example.com", Room: "  "}}, "join.livekit.room is required"},
		{"livekit bad url", &JoinRequest{LiveKit: &LiveKitJoin{URL: "lk.example.com", Room: "r"}}, "join.livekit.url"},
		{"livekit long identity", &JoinRequest{LiveKit: &LiveKitJoin{Room: "r", Identity: strings.Repeat("x", 300)}}, "join.livekit.identity"},
		{"both", &JoinRequest{WHEP: "https://m.example.com/whep", LiveKit: &LiveKitJoin{Room: "r"}}, "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.j.validate()
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("unexpected errors: %v", errs)
			case tc.want != "" && (len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("errors %v, want one containing %q", errs, tc.want)
			}
		})
	}
}
