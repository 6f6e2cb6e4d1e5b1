// Package interview owns an interview's life, the role LiveKit's RoomManager or MediaMTX's
// path manager plays: Create (the one validation of the candidate's claims), the links that
// reach it, Delete and Revoke. The HTTP API (internal/server), the chat commands
// (integrations, through cmd/integritybot) and the CLI (integritybot join) all call it.
package interview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// Calls ends the running calls of this process, hosted rooms and joined calls alike.
type Calls interface {
	// End ends the running call of interview id and returns its final report; ok is false
	// when this process runs no call for id.
	End(ctx context.Context, id, reason string) (r *report.Report, ok bool)
}

// Options configures a Service.
type Options struct {
	Store *store.Store
	// Links signs the links Create hands out; the zero Linker gives the id only (integritybot
	// join, which hands out none).
	Links Linker
	Now   func() time.Time
	Log   *slog.Logger
	// Calls ends running calls (Delete, Revoke). Nil: this process runs none.
	Calls Calls
	// StartJoin makes the bot join a call held elsewhere as interview id; it returns once the
	// join is under way. ctx is the caller's: the call must outlive it. Nil: joins are refused.
	StartJoin func(ctx context.Context, id string, j JoinRequest) error
}

// Service is the interviews of one process.
type Service struct {
	opt Options
}

// New returns the service.
func New(opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Service{opt: opt}
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
	if req.Join != nil && s.opt.StartJoin == nil {
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
		if err := s.opt.StartJoin(ctx, iv.ID, *req.Join); err != nil {
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
