// Package interview owns an interview's life, the role LiveKit's RoomManager or MediaMTX's
// path manager plays: Create (the one validation of the candidate's claims) and the links that
// reach it, the calls (hosted rooms, WHEP and LiveKit joins) in one registry of running
// calls, their live report and challenges, End for every kind of call, Delete and Revoke, and
// the report sink (live saves and alerts, the final report saved once, then the summary). The
// HTTP API (internal/server), the chat commands (integrations, wired in cmd/integritybot) and
// the CLI (integritybot join) all call it. docs/architecture.md#the-life-of-an-interview.
package interview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// Options configures a Service.
type Options struct {
	Store *store.Store
	// Links signs the links Create hands out; the zero Linker gives the id only (integritybot
	// join, which hands out none).
	Links Linker
	Now   func() time.Time
	Log   *slog.Logger
	// Rooms configures the hosted rooms (bot/connect/room); nil: this process hosts none
	// (integritybot join). Its Attach is the service's.
	Rooms *room.Config
	// Session configures the sessions of joined calls.
	Session bot.Config
	// Notify queues chat summaries and live alerts (integrations.Outbox); nil: none.
	Notify Notifier
	// Dial turns a join the API asked for into the connector that joins it: the operator's
	// join policy (allowed origins and networks, LiveKit targets, credentials). An error says
	// what the caller must fix. Nil: the API joins no calls.
	Dial func(id string, j JoinRequest) (Connector, error)
	// MaxDuration bounds a call joined through the API (interview.max_duration).
	MaxDuration time.Duration
}

// Service is the interviews of one process and their running calls.
type Service struct {
	opt   Options
	sink  sink
	calls calls
	rooms *room.Manager // nil: no hosted rooms

	// life is the service's lifetime: calls joined through the API run under it, and Close
	// cancels it.
	life   context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	joins  sync.WaitGroup
}

// New returns the service, with its hosted rooms when opt.Rooms is set.
func New(opt Options) (*Service, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	s := &Service{opt: opt, sink: sink{st: opt.Store, notify: opt.Notify, log: opt.Log},
		calls: calls{m: map[string]bot.Call{}}}
	if opt.Rooms != nil {
		rc := *opt.Rooms
		rc.Attach = s.Attach
		rooms, err := room.NewManager(rc, s.sink, opt.Log)
		if err != nil {
			return nil, err
		}
		s.rooms = rooms
	}
	s.life, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Attach lists c as the running call of interview id, from its start until release is
// called after its final report is saved: hosted rooms attach themselves through it, and so
// may any other owner of a call. A call attached while it ends stays reachable, so an End
// that arrives then waits for the final report instead of missing the call.
func (s *Service) Attach(id string, c bot.Call) (release func()) { return s.calls.attach(id, c) }

// Close ends every running call of this process within ctx, reports saved as interrupted
// (the calls did not end), and refuses new ones.
func (s *Service) Close(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	if s.rooms != nil {
		s.rooms.Close(ctx)
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.joins.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Links are what reaches an interview: the answer to POST /api/interviews.
type Links struct {
	ID             string `json:"id"`
	CandidateURL   string `json:"candidate_url"`
	InterviewerURL string `json:"interviewer_url"`
	ReportURL      string `json:"report_url"`
	APIReportURL   string `json:"api_report_url"`
}

// ErrInvalid is returned (wrapped) for a request the caller must fix; InvalidMessage gives
// the sentence to show.
var ErrInvalid = errors.New("invalid request")

// InvalidMessage returns the user-facing text of an ErrInvalid error.
func InvalidMessage(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error())
}

// Create validates req, stores a new interview and, when req asks for it, starts joining its
// call. A join that fails to start leaves no interview behind.
func (s *Service) Create(ctx context.Context, req Request) (Links, error) {
	if err := req.Check(); err != nil {
		return Links{}, err
	}
	if req.Join != nil && s.opt.Dial == nil {
		return Links{}, fmt.Errorf("this server does not join calls through the API: %w", ErrInvalid)
	}
	iv := store.Interview{
		ID: auth.NewID(), Candidate: req.Candidate, Notes: req.Notes,
		CreatedAt: s.opt.Now().UTC(), State: report.Scheduled,
	}
	if req.Notify != nil {
		iv.SlackChannel, iv.DiscordChannel = req.Notify.SlackChannel, req.Notify.DiscordChannel
		iv.SlackUser, iv.DiscordUser = req.Notify.SlackUser, req.Notify.DiscordUser
	}
	if err := s.opt.Store.CreateInterview(ctx, iv); err != nil {
		return Links{}, fmt.Errorf("interview: create: %w", err)
	}
	if req.Join != nil {
		if err := s.startJoin(ctx, iv.ID, *req.Join); err != nil {
			// No "scheduled" interview stays behind a join that failed (issue 15, finding 9).
			if derr := s.opt.Store.DeleteInterview(context.WithoutCancel(ctx), iv.ID); derr != nil {
				err = errors.Join(err, derr)
			}
			return Links{}, fmt.Errorf("interview: join the call: %w", err)
		}
	}
	return s.Links(iv.ID), nil
}

// Links returns the links of interview id.
func (s *Service) Links(id string) Links { return s.opt.Links.Links(id) }

// ReportURL is the report page of interview id.
func (s *Service) ReportURL(id string) string { return s.opt.Links.ReportURL(id) }

// Linker signs the links that reach an interview. The outbox links its messages to report
// pages with it too, so it is a value of its own rather than the service's.
type Linker struct {
	// Signer signs the links; nil: Links carry the id only.
	Signer    *auth.Signer
	PublicURL string        // base of the links, e.g. https://bot.example.com
	LinkTTL   time.Duration // candidate and interviewer links
	ReportTTL time.Duration // report links
}

// Links returns the links of interview id.
func (l Linker) Links(id string) Links {
	base := strings.TrimRight(l.PublicURL, "/")
	out := Links{ID: id, APIReportURL: base + "/api/interviews/" + id + "/report"}
	if l.Signer == nil {
		return out
	}
	out.CandidateURL = base + "/c/" + l.Signer.Sign(auth.RoleCandidate, id, l.LinkTTL)
	out.InterviewerURL = base + "/i/" + l.Signer.Sign(auth.RoleInterviewer, id, l.LinkTTL)
	out.ReportURL = l.ReportURL(id)
	return out
}

// ReportURL is the report page of interview id ("" without a Signer).
func (l Linker) ReportURL(id string) string {
	if l.Signer == nil {
		return ""
	}
	return strings.TrimRight(l.PublicURL, "/") + "/r/" + l.Signer.Sign(auth.RoleReport, id, l.ReportTTL)
}
