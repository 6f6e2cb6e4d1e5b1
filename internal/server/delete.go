package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/integritybot/integritybot/internal/store"
)

// The candidate's data (issue 15): DELETE /api/interviews/{id} ends a live call, revokes the
// interview's links and deletes everything stored of it (store.DeleteInterview); POST
// /api/interviews/{id}/revoke ends a live call and revokes the links only, keeping the report
// for API token holders. Both need the API token. docs/privacy.md says what is kept, where
// and for how long.

// Reasons a call ends with, in the report.
const (
	reasonDeleted = "The interview was deleted through the API."
	reasonRevoked = "The interview's links were revoked through the API."
)

func (s *Server) deleteInterview(w http.ResponseWriter, r *http.Request) {
	id, ok := s.adminAct(w, r)
	if !ok {
		return
	}
	if err := s.Delete(r.Context(), id); err != nil {
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
	if err := s.Revoke(r.Context(), id); err != nil {
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

// Delete revokes the links of interview id (nobody rejoins), deletes the interview, its
// report and its outbox rows, and ends its live call if this process runs one. The rows go
// before the call ends: ending stores the final report and queues its chat summary, which
// the outbox would post at once; with the interview gone both are refused (store.ErrNotFound)
// and nothing about the candidate is posted or stored again. It is what DELETE
// /api/interviews/{id} does, and what chat commands call. store.ErrNotFound when there is no
// such interview.
func (s *Server) Delete(ctx context.Context, id string) error {
	if err := s.opt.Store.RevokeLinks(ctx, id); err != nil {
		return err
	}
	if err := s.opt.Store.DeleteInterview(ctx, id); err != nil {
		return err
	}
	s.opt.Rooms.End(ctx, id, reasonDeleted)
	return nil
}

// ErrOtherChannel is returned (wrapped) by DeleteFromChannel for an interview that was not
// created in the command's channel.
var ErrOtherChannel = errors.New("the interview was not created in this channel")

// DeleteFromChannel is Delete for a chat command typed in a Slack or Discord channel: only an
// interview whose summary goes to that channel (it was created there) may be deleted from it.
// It ends a live call only when this process runs it (no redirect, unlike the API).
func (s *Server) DeleteFromChannel(ctx context.Context, id, slackChannel, discordChannel string) error {
	iv, err := s.opt.Store.GetInterview(ctx, id)
	if err != nil {
		return err
	}
	same := slackChannel != "" && iv.SlackChannel == slackChannel ||
		discordChannel != "" && iv.DiscordChannel == discordChannel
	if !same {
		return ErrOtherChannel
	}
	return s.Delete(ctx, id)
}

// Revoke refuses every link of interview id from now on and ends its live call, if this
// process runs one (its summary is posted as usual). store.ErrNotFound when there is no such
// interview.
func (s *Server) Revoke(ctx context.Context, id string) error {
	if err := s.opt.Store.RevokeLinks(ctx, id); err != nil {
		return err
	}
	s.opt.Rooms.End(ctx, id, reasonRevoked)
	return nil
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
