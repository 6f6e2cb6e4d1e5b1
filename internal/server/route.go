package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/store"
)

// Routing among several serve processes sharing one PostgreSQL store. A live interview runs on
// one node (store.StartInterview pins it); a request about it that lands on another node —
// through a load balancer, or a link handed out by another node — is sent to the owner with a
// 307 Temporary Redirect to the owner's base URL (its nodes row: server.node_url) with the same
// path and query. Browsers follow a 307 for a page load, and the pages open their websocket on
// their own origin (room.js: location.host), so the room then connects to the owner. A
// WebSocket handshake is not redirected (browsers do not follow redirects on WebSocket:
// https://websockets.spec.whatwg.org/#websocket-opening-handshake fails on any status but 101):
// it gets 409 with the owner's URL, which a browser cannot read: room.js asks GET /api/where
// (where) before it reconnects and loads its page from the owner. An owner whose heartbeat is
// stale, or which said it stopped, is dead: this node serves the request, and its room takes
// the interview over.

// hopParam is the query parameter a redirect adds (the owner's node id): a request that
// carries it was redirected once already and is never redirected again, so two nodes that
// disagree about the owner (or an owner URL that leads back through a load balancer to the
// wrong node) cannot bounce a request forever.
const hopParam = "ib_owner"

// routeKind says what a request does, which decides how a non-owner answers it.
type routeKind int

const (
	// routeRead is a page load or a report read: redirected to the owner; served here when
	// already redirected once (the page's websocket then says where the room is; a report
	// read gets the owner's last save, at most a few seconds old).
	routeRead routeKind = iota
	// routeAct changes the running call (end, challenge): redirected to the owner; refused
	// with 409 naming the owner when already redirected once.
	routeAct
	// routeWS is the signaling websocket: refused with 409 naming the owner.
	routeWS
)

// toOwner answers a request about interview id that another live node runs: a redirect to that
// node, or a 409 naming it. It returns false when this node should serve the request itself:
// SQLite (one node), an interview that is not live, one this node runs, one whose owner is
// dead or unknown, or an error reading the owner (the handler then reads the interview and
// answers as usual).
func (s *Server) toOwner(w http.ResponseWriter, r *http.Request, id string, kind routeKind) bool {
	o, ok := s.otherOwner(r, id)
	if !ok {
		return false
	}
	log := s.opt.Log.With("interview_id", id, "owner", o.Node)
	redirected := r.URL.Query().Has(hopParam)
	switch {
	case kind == routeWS || kind == routeAct && redirected:
		log.Debug("request for another node's interview refused", "path", r.URL.Path, "redirected", redirected)
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusConflict, map[string]string{
			"error":     "this interview runs on another server: connect to " + o.URL,
			"owner_url": o.URL,
		})
		return true
	case redirected:
		log.Warn("request for another node's interview came back after a redirect; serving it here", "path", r.URL.Path)
		return false
	}
	log.Debug("request redirected to the interview's node", "path", r.URL.Path)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", ownerURL(o.URL, r.URL, o.Node))
	w.WriteHeader(http.StatusTemporaryRedirect)
	return true
}

// ownerURL is base + u's path and query, with the hop marker added.
func ownerURL(base string, u *url.URL, node string) string {
	q := u.Query()
	q.Set(hopParam, node)
	return strings.TrimRight(base, "/") + u.EscapedPath() + "?" + q.Encode()
}

// otherOwner returns the owner of interview id when another live node runs it (see toOwner for
// when it does not).
func (s *Server) otherOwner(r *http.Request, id string) (store.Owner, bool) {
	st := s.opt.Store
	if st == nil || st.Driver() != store.DriverPostgres || id == "" {
		return store.Owner{}, false
	}
	o, err := st.InterviewOwner(r.Context(), id)
	if err != nil || !o.Live || o.Node == "" || o.Node == st.NodeID() || !o.Alive || o.URL == "" {
		return store.Owner{}, false
	}
	return o, true
}

// whereResponse answers GET /api/where: where the room of the link's interview runs.
type whereResponse struct {
	// Here is true when this node serves the room (it runs it, nobody does yet, or its owner
	// is dead and this node takes it over on join).
	Here bool `json:"here"`
	// Node and OwnerURL name the node that runs it when that is another one: the page goes
	// to OwnerURL + its own path, with ib_owner=Node (the loop guard).
	Node     string `json:"node,omitempty"`
	OwnerURL string `json:"owner_url,omitempty"`
}

// where answers a room page (room.js) before it (re)opens its websocket after a failure: a
// failed WebSocket handshake's 409 body is not readable by a browser, this answer is. Same
// auth as the websocket: the candidate or interviewer link token (?token= or bearer).
func (s *Server) where(w http.ResponseWriter, r *http.Request) {
	c, ok := s.authorize(w, r, "", auth.RoleCandidate, auth.RoleInterviewer)
	if !ok {
		return
	}
	if c.admin {
		writeError(w, http.StatusForbidden, "ask with a candidate or interviewer link")
		return
	}
	if o, ok := s.otherOwner(r, c.claims.InterviewID); ok {
		writeJSON(w, http.StatusOK, whereResponse{Node: o.Node, OwnerURL: o.URL})
		return
	}
	writeJSON(w, http.StatusOK, whereResponse{Here: true})
}
