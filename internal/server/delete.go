package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/integritybot/integritybot/internal/store"
)

// The candidate's data (issue 15): DELETE /api/interviews/{id} is interview.Service.Delete,
// POST /api/interviews/{id}/revoke is Revoke. Both need the API token. docs/privacy.md says
// what is kept, where and for how long.

func (s *Server) deleteInterview(w http.ResponseWriter, r *http.Request) {
	id, ok := s.adminAct(w, r)
	if !ok {
		return
	}
	if err := s.opt.Interviews.Delete(r.Context(), id); err != nil {
		s.writeStoreError(w, "delete interview", id, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
}

func (s *Server) revokeLinks(w http.ResponseWriter, r *http.Request) {
	id, ok := s.adminAct(w, r)
	if !ok {
		return
	}
	if err := s.opt.Interviews.Revoke(r.Context(), id); err != nil {
		s.writeStoreError(w, "revoke links", id, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "links_revoked": true})
}

// adminAct checks that r carries the API token and runs here (a live interview of another
// node sharing the store is redirected to it, route.go), and returns the interview id.
func (s *Server) adminAct(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if _, ok := s.authorize(w, r, id); !ok { // no link role: the API token only
		return "", false
	}
	if s.toOwner(w, r, id, routeAct) {
		return "", false
	}
	return id, true
}

// linkDead reports whether the links of interview id no longer work: revoked, or the
// interview deleted. Store errors count as dead (refuse rather than serve).
func (s *Server) linkDead(ctx context.Context, id string) bool {
	revoked, err := s.opt.Store.LinksRevoked(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.opt.Log.Error("check link", "interview_id", id, "err", err)
	}
	return revoked || err != nil
}

const deadLinkMessage = "This link is no longer valid: the interview was deleted or its links were revoked."

// interview reads interview id from the store; on an error it writes 404 (no such interview) or
// 500 ("could not read the interview", logged) and returns false.
func (s *Server) interview(w http.ResponseWriter, r *http.Request, id string) (store.Interview, bool) {
	iv, err := s.opt.Store.GetInterview(r.Context(), id)
	if err != nil {
		s.writeStoreError(w, "read the interview", id, err)
		return store.Interview{}, false
	}
	return iv, true
}

func (s *Server) writeStoreError(w http.ResponseWriter, op, id string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no interview with this id")
		return
	}
	s.opt.Log.Error(op, "interview_id", id, "err", err)
	writeError(w, http.StatusInternalServerError, "could not "+op)
}
