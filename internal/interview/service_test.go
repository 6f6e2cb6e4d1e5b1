package interview_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
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

// newService is the service of opt, closed when the test ends.
func newService(t *testing.T, opt interview.Options) *interview.Service {
	t.Helper()
	svc, err := interview.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

var testSigner = auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Now)

// TestCreate: the API, the chat commands and join create through one Create: bad claims and
// channels are ErrInvalid with the sentence to show, and nothing is stored; a good request
// is stored trimmed, with links signed for its id.
func TestCreate(t *testing.T) {
	st := newStore(t)
	svc := newService(t, interview.Options{Store: st, Links: interview.Linker{Signer: testSigner,
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

// TestFailedJoinStoresNothing: a join the operator's policy refuses is the caller's to fix
// (ErrInvalid) and leaves no "scheduled" interview behind (issue 15, finding 9).
func TestFailedJoinStoresNothing(t *testing.T) {
	st := newStore(t)
	svc := newService(t, interview.Options{Store: st, Dial: func(string, interview.JoinRequest) (interview.Connector, error) {
		return interview.Connector{}, errors.New("join.whep is not on join.allowed_origins")
	}})
	_, err := svc.Create(t.Context(), interview.Request{Candidate: report.Candidate{Name: "Joiner"},
		Join: &interview.JoinRequest{WHEP: "https://whep.example.test/x"}})
	if !errors.Is(err, interview.ErrInvalid) || !strings.Contains(err.Error(), "allowed_origins") {
		t.Fatalf("Create = %v, want the policy's refusal as ErrInvalid", err)
	}
	if ivs, err := st.ListInterviews(context.Background(), 0); err != nil || len(ivs) != 0 {
		t.Fatalf("a failed join left %d interviews (%v)", len(ivs), err)
	}
}

// notices counts what the service queues for the chat channels.
type notices struct {
	mu        sync.Mutex
	summaries []*report.Report
	alerts    int
	off       bool // nothing configured to receive them
}

func (n *notices) Enabled() bool { return !n.off }

func (n *notices) ids() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var ids []string
	for _, r := range n.summaries {
		ids = append(ids, r.InterviewID)
	}
	slices.Sort(ids)
	return ids
}

func (n *notices) Summary(_ context.Context, r *report.Report) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.summaries = append(n.summaries, r)
	return nil
}

func (n *notices) Observe(context.Context, *report.Report) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.alerts++
	return nil
}

// TestEndNobodyJoined: ending an interview nobody joined stores a final report that says so,
// once, with its summary queued once; ending it again answers the same report and queues
// nothing more; an unknown interview is store.ErrNotFound.
func TestEndNobodyJoined(t *testing.T) {
	st := newStore(t)
	n := &notices{}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	svc := newService(t, interview.Options{Store: st, Notify: n, Now: func() time.Time { return at }})
	l, err := svc.Create(t.Context(), interview.Request{Candidate: report.Candidate{Name: "Jane"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.End(t.Context(), l.ID, "The interview was ended through the API.")
	if err != nil || r.State != report.Final || r.EndedAt == nil || !r.EndedAt.Equal(at) ||
		!strings.Contains(r.Checks[0].Summary, "never joined") {
		t.Fatalf("End = %+v, %v", r, err)
	}
	iv, err := st.GetInterview(t.Context(), l.ID)
	if err != nil || iv.State != report.Final {
		t.Fatalf("stored interview %+v, %v", iv, err)
	}
	again, err := svc.End(t.Context(), l.ID, "again")
	if err != nil || again.State != report.Final {
		t.Fatalf("ending twice: %+v, %v", again, err)
	}
	if len(n.summaries) != 1 || n.summaries[0] != r || n.alerts != 0 {
		t.Errorf("queued %d summaries and %d alerts, want the final report's summary once", len(n.summaries), n.alerts)
	}
	if _, err := svc.End(t.Context(), "nope", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("End of an unknown interview: %v", err)
	}
}

// TestResume: a start queues the summaries the last run left unqueued, once each: of the
// interviews it marked interrupted, and of one whose end was stored but whose summary was not
// queued (a crash in between). Nothing is queued when no chat receives summaries.
func TestResume(t *testing.T) {
	st := newStore(t)
	ctx := t.Context()
	at := time.Now().UTC()
	mk := func(state report.State) string {
		id := auth.NewID()
		if err := st.CreateInterview(ctx, store.Interview{ID: id, Candidate: report.Candidate{Name: "Jane"}, CreatedAt: at, State: report.Scheduled}); err != nil {
			t.Fatal(err)
		}
		if state != report.Scheduled {
			r := &report.Report{Schema: report.Schema, InterviewID: id, State: state, EndedAt: &at}
			if err := (store.Rooms{Store: st}).Ended(ctx, r); err != nil { // stored, its summary never queued
				t.Fatal(err)
			}
		}
		return id
	}
	interrupted, crashed := mk(report.Interrupted), mk(report.Final)
	mk(report.Scheduled)
	off := &notices{off: true}
	newService(t, interview.Options{Store: st, Notify: off}).Resume(ctx, []string{interrupted})
	if len(off.summaries) != 0 {
		t.Fatalf("queued %d summaries with no chat configured", len(off.summaries))
	}
	n := &notices{}
	newService(t, interview.Options{Store: st, Notify: n}).Resume(ctx, []string{interrupted})
	want := []string{interrupted, crashed}
	slices.Sort(want)
	if got := n.ids(); !slices.Equal(got, want) {
		t.Errorf("queued summaries of %q, want %q once each", got, want)
	}
}

// TestEndJoinedCall: a call joined through the API is listed while its connector runs: its
// live report and session are reachable, End makes the connector leave (its context ends)
// and answers the final report, saved once with its summary queued once; afterwards the call
// is no longer listed and ending again answers the stored final report. The connector here
// holds the call until it is told to leave, as bot/connect/whep and livekit do (cmd's
// TestEndJoinedWHEP and TestEndJoinedLiveKit run the real ones through the API).
func TestEndJoinedCall(t *testing.T) {
	st := newStore(t)
	n := &notices{}
	joined, left := make(chan struct{}), make(chan error, 1)
	hold := interview.Connector{Kind: "whep", Run: func(ctx context.Context, sess *bot.Session, _ *slog.Logger) error {
		close(joined)
		<-ctx.Done()
		left <- ctx.Err()
		return nil
	}}
	svc := newService(t, interview.Options{Store: st, Notify: n,
		Dial: func(string, interview.JoinRequest) (interview.Connector, error) { return hold, nil }})
	l, err := svc.Create(t.Context(), interview.Request{Candidate: report.Candidate{Name: "Joined"},
		Join: &interview.JoinRequest{WHEP: "https://whep.example.test/x"}})
	if err != nil {
		t.Fatal(err)
	}
	<-joined
	if r, ok := svc.Live(l.ID); !ok || r.State != report.Live {
		t.Fatalf("live report of the joined call: %v %+v", ok, r)
	}
	if _, ok := svc.Session(l.ID); !ok {
		t.Fatal("the joined call's session is not reachable for challenges")
	}
	r, err := svc.End(t.Context(), l.ID, "The interview was ended through the API.")
	if err != nil || r.State != report.Final {
		t.Fatalf("End = %+v, %v", r, err)
	}
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("the connector left with %v, want its context cancelled", err)
	}
	if _, ok := svc.Live(l.ID); ok {
		t.Error("the ended call is still listed")
	}
	stored, err := st.GetReport(t.Context(), l.ID)
	if err != nil || stored.State != report.Final {
		t.Fatalf("stored report %+v, %v", stored, err)
	}
	again, err := svc.End(t.Context(), l.ID, "again")
	if err != nil || again.State != report.Final {
		t.Fatalf("ending twice: %+v, %v", again, err)
	}
	if ids := n.ids(); len(ids) != 1 || ids[0] != l.ID {
		t.Errorf("summaries queued for %q, want the call's once", ids)
	}
}
