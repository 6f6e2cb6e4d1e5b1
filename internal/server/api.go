package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/geo"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// The wire types of POST /api/interviews are the interview service's.
type (
	// CreateRequest is the body of POST /api/interviews.
	CreateRequest = interview.Request
	// CreateResponse is the answer to POST /api/interviews.
	CreateResponse = interview.Links
	// Notify says where an interview's summary and live alerts go.
	Notify = interview.Notify
	// JoinRequest asks the bot to join a call held elsewhere.
	JoinRequest = interview.JoinRequest
	// LiveKitJoin names a LiveKit room to join.
	LiveKitJoin = interview.LiveKitJoin
)

func (s *Server) createInterview(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, ""); !ok || !s.allowCreate(w, r) {
		return
	}
	var req CreateRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	resp, err := s.opt.Interviews.Create(r.Context(), req)
	if errors.Is(err, interview.ErrInvalid) {
		writeError(w, http.StatusBadRequest, interview.InvalidMessage(err))
		return
	}
	if err != nil {
		s.opt.Log.Error("create interview", "err", err)
		writeError(w, http.StatusInternalServerError, "could not save the interview")
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

type listed struct {
	ID        string           `json:"id"`
	Candidate report.Candidate `json:"candidate"`
	State     report.State     `json:"state"`
	CreatedAt time.Time        `json:"created_at"`
	ReportURL string           `json:"report_url"`
}

// Page sizes of GET /api/interviews (?limit=).
const (
	defaultListLimit = 50
	maxListLimit     = 200
)

// listInterviews answers GET /api/interviews[?limit=N][&cursor=C]: a page of interviews,
// newest first, and next_cursor when there are more (page.go in the store).
func (s *Server) listInterviews(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, ""); !ok {
		return
	}
	limit, cursor, err := listParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ivs, err := s.opt.Store.ListInterviewsAfter(r.Context(), cursor, limit+1) // one more: is there a next page?
	if err != nil {
		s.opt.Log.Error("list interviews", "err", err)
		writeError(w, http.StatusInternalServerError, "could not list interviews")
		return
	}
	resp := map[string]any{}
	if len(ivs) > limit {
		ivs = ivs[:limit]
		last := ivs[limit-1]
		resp["next_cursor"] = store.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}.String()
	}
	out := make([]listed, 0, len(ivs))
	for _, iv := range ivs {
		out = append(out, listed{ID: iv.ID, Candidate: iv.Candidate, State: iv.State, CreatedAt: iv.CreatedAt,
			ReportURL: s.opt.Interviews.ReportURL(iv.ID)})
	}
	resp["interviews"] = out
	writeJSON(w, http.StatusOK, resp)
}

func listParams(r *http.Request) (int, store.Cursor, error) {
	limit := defaultListLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return 0, store.Cursor{}, fmt.Errorf("limit must be a number from 1 to %d", maxListLimit)
		}
		limit = n
	}
	c, err := store.ParseCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return 0, store.Cursor{}, errors.New("cursor is not one this server gave (use next_cursor as it came)")
	}
	return limit, c, nil
}

// interviewID is the {id} of the path, or the interview of the link token for the
// token-only aliases (/api/report, /api/ws) that pages use.
func (s *Server) interviewID(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return id
	}
	if c, err := s.opt.Signer.Verify(bearer(r)); err == nil {
		return c.InterviewID
	}
	return ""
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	id := s.interviewID(r)
	if _, ok := s.authorize(w, r, id, auth.RoleInterviewer, auth.RoleReport); !ok {
		return
	}
	if id == "" {
		writeError(w, http.StatusBadRequest, "which interview? use /api/interviews/{id}/report")
		return
	}
	if s.toOwner(w, r, id, routeRead) { // the live report is in the owner's memory
		return
	}
	rep, err := s.opt.Interviews.Report(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no interview with this id")
		return
	}
	if err != nil {
		s.opt.Log.Error("get report", "interview_id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "could not read the report")
		return
	}
	writeJSON(w, http.StatusOK, s.withDelivery(r.Context(), rep))
}

func (s *Server) endInterview(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	who, ok := s.authorize(w, r, id, auth.RoleInterviewer)
	if !ok {
		return
	}
	if s.toOwner(w, r, id, routeAct) {
		return
	}
	reason := "The interviewer ended the interview."
	if who.admin {
		reason = "The interview was ended through the API."
	}
	rep, err := s.opt.Interviews.End(r.Context(), id, reason) // any kind of call
	if err != nil {
		s.writeStoreError(w, "end the interview", id, err)
		return
	}
	writeJSON(w, http.StatusOK, rep) // ending twice is not an error: the report is final
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	id := s.interviewID(r)
	c, ok := s.authorize(w, r, id, auth.RoleCandidate, auth.RoleInterviewer)
	if !ok {
		return
	}
	if c.admin {
		writeError(w, http.StatusForbidden, "join the room with a candidate or interviewer link")
		return
	}
	if s.toOwner(w, r, c.claims.InterviewID, routeWS) {
		return
	}
	// Answer before the upgrade, so a page that probes with a plain GET learns why it cannot join.
	iv, err := s.opt.Store.GetInterview(r.Context(), c.claims.InterviewID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "this interview no longer exists")
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "could not read the interview")
		return
	case iv.State == report.Final || iv.State == report.Interrupted:
		writeError(w, http.StatusGone, "the interview has ended")
		return
	}
	// The room's network check needs the client's address: X-Forwarded-For counts only from
	// the configured trusted proxies.
	client := geo.ClientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.opt.TrustedProxies)
	r = r.WithContext(geo.NewClientContext(r.Context(), client))
	s.opt.Interviews.ServeWS(w, r, c.claims.InterviewID, string(c.claims.Role))
}
