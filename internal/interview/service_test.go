package interview_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// newStore is a SQLite store in the test's directory.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ib.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var testSigner = auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now)

// TestCreate: the API, the chat commands and join create through one Create: bad claims and
// channels are ErrInvalid with the sentence to show, and nothing is stored; a good request
// is stored trimmed, with links signed for its id.
func TestCreate(t *testing.T) {
	st := newStore(t)
	svc := interview.New(interview.Options{Store: st, Links: interview.Linker{Signer: testSigner,
		PublicURL: "http://example.test/", LinkTTL: time.Hour, ReportTTL: time.Hour}})
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		req  interview.Request
		want string
	}{
		{"zone", interview.Request{Candidate: report.Candidate{Name: "Jane", ClaimedTimezone: "Mars/Olympus"}},
			`candidate.claimed_timezone must be an IANA zone such as America/Chicago ("Mars/Olympus" is not a known zone)`},
		{"local", interview.Request{Candidate: report.Candidate{Name: "Jane", ClaimedTimezone: "Local"}},
			`candidate.claimed_timezone must be an IANA zone such as America/Chicago ("Local" is the server's own zone, not the candidate's)`},
		{"no name", interview.Request{Candidate: report.Candidate{Name: "  "}}, "candidate.name is required"},
		{"discord channel", interview.Request{Candidate: report.Candidate{Name: "Jane"}, Notify: &interview.Notify{DiscordChannel: "general"}},
			"notify.discord_channel_id must be a numeric Discord channel id"},
		{"all at once", interview.Request{Candidate: report.Candidate{ClaimedTimezone: "Local"}, Notes: strings.Repeat("n", 4001)},
			"candidate.claimed_timezone must be an IANA zone such as America/Chicago (\"Local\" is the server's own zone, not the candidate's); " +
				"candidate.name is required; notes are limited to 4000 characters"},
		{"join refused", interview.Request{Candidate: report.Candidate{Name: "Jane"}, Join: &interview.JoinRequest{WHEP: "https://m.example.test/whep"}},
			"this server does not join calls through the API"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Create(ctx, tc.req)
			if !errors.Is(err, interview.ErrInvalid) || interview.InvalidMessage(err) != tc.want {
				t.Errorf("Create = %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	if ivs, err := st.ListInterviews(ctx, 0); err != nil || len(ivs) != 0 {
		t.Fatalf("refused requests stored %d interviews (%v)", len(ivs), err)
	}
	l, err := svc.Create(ctx, interview.Request{Candidate: report.Candidate{Name: " Jane ", ClaimedTimezone: "America/Chicago"},
		Notify: &interview.Notify{SlackChannel: "C0HIRING"}})
	if err != nil {
		t.Fatal(err)
	}
	iv, err := st.GetInterview(ctx, l.ID)
	if err != nil || iv.Candidate.Name != "Jane" || iv.State != report.Scheduled || iv.SlackChannel != "C0HIRING" {
		t.Fatalf("stored %+v, %v", iv, err)
	}
	for role, u := range map[auth.Role]string{auth.RoleCandidate: l.CandidateURL, auth.RoleInterviewer: l.InterviewerURL, auth.RoleReport: l.ReportURL} {
		c, err := testSigner.Verify(u[strings.LastIndex(u, "/")+1:])
		if err != nil || c.Role != role || c.InterviewID != l.ID || !strings.HasPrefix(u, "http://example.test/") {
			t.Errorf("%s link %q: %+v, %v", role, u, c, err)
		}
	}
	if l.APIReportURL != "http://example.test/api/interviews/"+l.ID+"/report" {
		t.Errorf("api_report_url %q", l.APIReportURL)
	}
}

// TestFailedJoinStoresNothing: a join that fails to start leaves no "scheduled" interview
// behind (issue 15, finding 9).
func TestFailedJoinStoresNothing(t *testing.T) {
	st := newStore(t)
	svc := interview.New(interview.Options{Store: st,
		StartJoin: func(context.Context, string, interview.JoinRequest) error { return errors.New("the endpoint refused") }})
	_, err := svc.Create(t.Context(), interview.Request{Candidate: report.Candidate{Name: "Joiner"},
		Join: &interview.JoinRequest{WHEP: "https://whep.example.test/x"}})
	if err == nil || !strings.Contains(err.Error(), "the endpoint refused") {
		t.Fatalf("Create = %v, want the join's error", err)
	}
	if ivs, err := st.ListInterviews(context.Background(), 0); err != nil || len(ivs) != 0 {
		t.Fatalf("a failed join left %d interviews (%v)", len(ivs), err)
	}
}
