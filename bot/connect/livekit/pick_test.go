package livekit

import "testing"

func TestRuleEligible(t *testing.T) {
	jane := Peer{Identity: "jane", Kind: "standard", Attributes: map[string]string{"role": "candidate"}}
	bob := Peer{Identity: "bob", Kind: "standard", Attributes: map[string]string{"role": "interviewer"}}
	for _, tc := range []struct {
		name string
		rule Rule
		peer Peer
		want bool
	}{
		{"anyone by default", Rule{}, jane, true},
		{"empty identity never", Rule{}, Peer{Kind: "standard"}, false},
		{"explicit identity matches", Rule{Identity: "jane"}, jane, true},
		{"explicit identity excludes others", Rule{Identity: "jane"}, bob, false},
		{"explicit identity wins over interviewers", Rule{Identity: "jane", Interviewers: []string{"jane"}}, jane, true},
		{"interviewer excluded", Rule{Interviewers: []string{"bob", "carol"}}, bob, false},
		{"non-interviewer taken", Rule{Interviewers: []string{"bob"}}, jane, true},
		{"prefix matches", Rule{IdentityPrefix: "ja"}, jane, true},
		{"prefix excludes", Rule{IdentityPrefix: "candidate-"}, jane, false},
		{"attribute matches", Rule{Attribute: "role=candidate"}, jane, true},
		{"attribute value differs", Rule{Attribute: "role=candidate"}, bob, false},
		{"attribute missing", Rule{Attribute: "team=x"}, jane, false},
		{"agent never", Rule{}, Peer{Identity: "agent-1", Kind: "agent"}, false},
		{"egress never", Rule{}, Peer{Identity: "EG_1", Kind: "egress"}, false},
		{"sip never", Rule{}, Peer{Identity: "sip_1", Kind: "sip"}, false},
		{"ingress allowed", Rule{}, Peer{Identity: "obs", Kind: "ingress"}, true},
		{"unknown kind allowed", Rule{}, Peer{Identity: "x"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rule.Eligible(tc.peer); got != tc.want {
				t.Fatalf("Eligible = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRulePick(t *testing.T) {
	cam := func(id string) Peer { return Peer{Identity: id, Kind: "standard", HasCamera: true} }
	nocam := func(id string) Peer { return Peer{Identity: id, Kind: "standard"} }
	for _, tc := range []struct {
		name          string
		rule          Rule
		peers         []Peer
		want          string // "" none
		wantAmbiguous bool
	}{
		{"empty room", Rule{}, nil, "", false},
		{"only interviewers", Rule{Interviewers: []string{"bob"}}, []Peer{cam("bob")}, "", false},
		{"the one non-interviewer", Rule{Interviewers: []string{"bob"}}, []Peer{cam("bob"), cam("jane")}, "jane", false},
		{"camera preferred", Rule{}, []Peer{nocam("amy"), cam("zed")}, "zed", true},
		{"then smallest identity", Rule{}, []Peer{cam("zed"), cam("amy")}, "amy", true},
		{"order does not matter", Rule{}, []Peer{cam("amy"), cam("zed")}, "amy", true},
		{"explicit identity absent", Rule{Identity: "jane"}, []Peer{cam("bob")}, "", false},
		{"explicit identity present", Rule{Identity: "jane"}, []Peer{cam("bob"), nocam("jane")}, "jane", false},
		{"agents ignored", Rule{}, []Peer{{Identity: "a", Kind: "agent", HasCamera: true}, nocam("jane")}, "jane", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok, amb := tc.rule.Pick(tc.peers)
			if ok != (tc.want != "") || p.Identity != tc.want {
				t.Fatalf("Pick = %q (%v), want %q", p.Identity, ok, tc.want)
			}
			if amb != tc.wantAmbiguous {
				t.Fatalf("ambiguous = %v, want %v", amb, tc.wantAmbiguous)
			}
		})
	}
}
