package interview

import (
	"github.com/integritybot/integritybot/internal/report"
	"strings"
	"testing"
)

func TestJoinRequestCheck(t *testing.T) {
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
			errs := tc.j.check()
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("unexpected errors: %v", errs)
			case tc.want != "" && (len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("errors %v, want one containing %q", errs, tc.want)
			}
		})
	}
}

// TestCheckClaims: one validation of the candidate's claims for the API, the chat commands,
// join and analyze: IANA zones only, so "Local" (the server's own zone) and the zoneinfo
// files that load without being a place are refused with a sentence that says why.
func TestCheckClaims(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    report.Candidate
		want string // "" valid, else a fragment of the error
	}{
		{"empty", report.Candidate{}, ""},
		{"zone", report.Candidate{Name: " Jane ", ClaimedTimezone: " America/Chicago "}, ""},
		{"utc", report.Candidate{ClaimedTimezone: "UTC"}, ""},
		{"etc", report.Candidate{ClaimedTimezone: "Etc/GMT+5"}, ""},
		{"dashes", report.Candidate{ClaimedTimezone: "America/Port-au-Prince"}, ""},
		{"local", report.Candidate{ClaimedTimezone: "Local"}, "server's own zone"},
		{"localtime", report.Candidate{ClaimedTimezone: "localtime"}, "names no place"},
		{"posixrules", report.Candidate{ClaimedTimezone: "posixrules"}, "names no place"},
		{"posix copy", report.Candidate{ClaimedTimezone: "posix/America/Chicago"}, "copy of the database"},
		{"right copy", report.Candidate{ClaimedTimezone: "right/Europe/Paris"}, "copy of the database"},
		{"file", report.Candidate{ClaimedTimezone: "zone.tab"}, "not a zone name"},
		{"path", report.Candidate{ClaimedTimezone: "../etc/passwd"}, "not a zone name"},
		{"unknown", report.Candidate{ClaimedTimezone: "Mars/Olympus"}, "not a known zone"},
		{"words", report.Candidate{ClaimedTimezone: "Central Time"}, "not a zone name"},
		{"long name", report.Candidate{Name: strings.Repeat("x", 201)}, "limited to 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			err := CheckClaims(&c, "candidate.")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			case tc.want != "" && strings.Contains(tc.want, "zone") && !strings.Contains(err.Error(), "candidate.claimed_timezone must be an IANA zone"):
				t.Fatalf("error %q does not name the field and what it must be", err)
			}
			if err == nil && (c.Name != strings.TrimSpace(tc.c.Name) || c.ClaimedTimezone != strings.TrimSpace(tc.c.ClaimedTimezone)) {
				t.Errorf("claims not trimmed: %+v", c)
			}
		})
	}
}
