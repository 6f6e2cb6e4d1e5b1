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
		{"livekit", &JoinRequest{LiveKit: &LiveKitJoin{URL: "wss://lk.example.com", Room: "iv-42", CandidateIdentity: "jane"}}, ""},
		{"livekit identity chosen by the caller", &JoinRequest{LiveKit: &LiveKitJoin{Room: "iv-42", Identity: "jane"}}, "join.livekit.identity cannot be chosen through the API"},
		{"whep 60 KB", &JoinRequest{WHEP: "https://m.example.com/whep?" + strings.Repeat("a", 60<<10)}, "limited to 2048 bytes"},
		{"livekit configured url", &JoinRequest{LiveKit: &LiveKitJoin{Room: "iv-42"}}, ""},
		{"livekit no room", &JoinRequest{LiveKit: &LiveKitJoin{URL: "wss://lk.example.com", Room: "  "}}, "join.livekit.room is required"},
		{"livekit bad url", &JoinRequest{LiveKit: &LiveKitJoin{URL: "lk.example.com", Room: "r"}}, "join.livekit.url"},
		{"livekit long candidate identity", &JoinRequest{LiveKit: &LiveKitJoin{Room: "r", CandidateIdentity: strings.Repeat("x", 300)}}, "join.livekit.candidate_identity"},
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
