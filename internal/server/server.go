// Package server is integritybot's HTTP front: the JSON API, the pages of the hosted room and
// the report, and the signaling websocket, with token checks on every route. What a route does
// to an interview or its running call (create, end, delete, revoke, the live report, a
// challenge, the room's websocket) is the interview service's (internal/interview): the
// server checks who asks and where the interview runs, then calls it.
package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/store"
	"github.com/integritybot/integritybot/internal/web"
)

// Options configures a Server.
type Options struct {
	Store    *store.Store
	Signer   *auth.Signer
	APIToken string
	// Interviews is the interview service: every route that creates, ends, deletes or reads
	// an interview, or reaches its running call (hosted room or joined call), goes through it,
	// as the chat commands and the CLI do.
	Interviews *interview.Service
	Log        *slog.Logger
	Now        func() time.Time

	// APITokenHash is the API token as the store keeps it (store.HashToken): a bearer token
	// that hashes to it is the API token, like APIToken. serve passes only the hash.
	APITokenHash string

	// CreatePerMinute and CreateBurst bound POST /api/interviews per client address: a token
	// bucket of CreateBurst refilled at CreatePerMinute (ratelimit.go); over it, 429 with
	// Retry-After. CreatePerMinute 0: no bound.
	CreatePerMinute float64
	CreateBurst     int

	// Handlers are extra routes, pattern → handler, e.g. "POST /slack/commands" (the chat
	// integrations' inbound endpoints, which verify their own signatures).
	Handlers map[string]http.Handler

	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client
	// (server.trusted_proxies); the client's address feeds the network check.
	TrustedProxies []netip.Prefix

	// ChatSnapshots is chat.snapshots: evidence snapshots go to the hiring team's chat, so
	// the candidate's consent notice says so (web.ChatSnapshots).
	ChatSnapshots bool
}

// Server serves the HTTP API and pages.
type Server struct {
	opt     Options
	mux     *http.ServeMux
	creates *buckets // nil: no bound on creation
}

// maxBody bounds API request bodies.
const maxBody = 64 << 10

// New builds the server and its routes.
func New(opt Options) *Server {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	s := &Server{opt: opt, mux: http.NewServeMux()}
	if opt.CreatePerMinute > 0 {
		s.creates = newBuckets(opt.CreatePerMinute, max(1, opt.CreateBurst), opt.Now)
	}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	s.mux.Handle("GET /static/", web.Handler())
	s.mux.Handle("GET /{$}", web.Page(web.Index))
	s.mux.Handle("GET /c/{token}", s.page(web.Candidate, auth.RoleCandidate))
	s.mux.Handle("GET /i/{token}", s.page(web.Interviewer, auth.RoleInterviewer))
	s.mux.Handle("GET /r/{token}", s.page(web.Report, auth.RoleReport, auth.RoleInterviewer))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	s.mux.HandleFunc("POST /api/interviews", s.createInterview)
	s.mux.HandleFunc("GET /api/interviews", s.listInterviews)
	s.mux.HandleFunc("GET /api/interviews/{id}/report", s.getReport)
	s.mux.HandleFunc("GET /api/report", s.getReport)
	s.mux.HandleFunc("POST /api/interviews/{id}/end", s.endInterview)
	s.mux.HandleFunc("DELETE /api/interviews/{id}", s.deleteInterview) // delete.go: API token only
	s.mux.HandleFunc("POST /api/interviews/{id}/revoke", s.revokeLinks)
	s.mux.HandleFunc("GET /api/interviews/{id}/notes", s.getNotes) // notes.go: interviewers only
	s.mux.HandleFunc("POST /api/interviews/{id}/challenge", s.challenge)
	s.mux.HandleFunc("GET /api/interviews/{id}/ws", s.serveWS)
	s.mux.HandleFunc("GET /api/ws", s.serveWS)
	s.mux.HandleFunc("GET /api/where", s.where) // route.go: where the room runs, for room.js
	for pattern, h := range s.opt.Handlers {
		s.mux.Handle(pattern, h)
	}
}

// page serves an HTML page after checking the link token in its path, so a bad or expired
// link gets a clear error instead of a page that cannot work.
func (s *Server) page(name string, roles ...auth.Role) http.Handler {
	var opts []web.PageOption
	if s.opt.ChatSnapshots {
		opts = append(opts, web.ChatSnapshots())
	}
	h := web.Page(name, opts...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.opt.Signer.Verify(r.PathValue("token"))
		if err != nil {
			http.Error(w, linkError(err), http.StatusUnauthorized)
			return
		}
		if !hasRole(c.Role, roles) {
			http.Error(w, "This link is not for this page.", http.StatusForbidden)
			return
		}
		if s.linkDead(r.Context(), c.InterviewID) {
			http.Error(w, deadLinkMessage, http.StatusGone)
			return
		}
		// A live room's pages load from the node that runs it (route.go); the report page
		// reads the shared store, anywhere.
		if name != web.Report && s.toOwner(w, r, c.InterviewID, routeRead) {
			return
		}
		h.ServeHTTP(w, r)
	})
}

func hasRole(r auth.Role, roles []auth.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

func linkError(err error) string {
	switch {
	case errors.Is(err, auth.ErrExpired):
		return "This link has expired. Ask the interviewer for a new one."
	default:
		return "This link is not valid. Check that it was copied completely."
	}
}

// caller is who made an API request: the API token holder, or a link holder.
type caller struct {
	admin  bool
	claims auth.Claims
}

// authorize checks the bearer token (or ?token=, for link tokens only) of r. With id != "" a link token must be for
// that interview; roles lists the link roles allowed (the API token is always allowed).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, id string, roles ...auth.Role) (caller, bool) {
	tok, inQuery := bearerFrom(r)
	if tok == "" {
		writeError(w, http.StatusUnauthorized, "missing token: send Authorization: Bearer <token>")
		return caller{}, false
	}
	if s.isAPIToken(tok) {
		if inQuery { // query strings end up in proxy and access logs (issue 15, finding 8)
			writeError(w, http.StatusUnauthorized, "the API token is accepted only in the Authorization header, not as ?token=; change it if it was logged")
			return caller{}, false
		}
		return caller{admin: true}, true
	}
	c, err := s.opt.Signer.Verify(tok)
	if err != nil {
		writeError(w, http.StatusUnauthorized, strings.TrimSuffix(linkError(err), ".")+" (token rejected)")
		return caller{}, false
	}
	if !hasRole(c.Role, roles) {
		writeError(w, http.StatusForbidden, "a "+string(c.Role)+" link cannot do this")
		return caller{}, false
	}
	if id != "" && c.InterviewID != id {
		writeError(w, http.StatusForbidden, "this link belongs to another interview")
		return caller{}, false
	}
	if s.linkDead(r.Context(), c.InterviewID) {
		writeError(w, http.StatusGone, deadLinkMessage)
		return caller{}, false
	}
	return caller{claims: c}, true
}

// isAPIToken reports whether tok is the API token (Options.APIToken or APITokenHash).
func (s *Server) isAPIToken(tok string) bool {
	if s.opt.APIToken != "" && auth.EqualToken(tok, s.opt.APIToken) {
		return true
	}
	return store.TokenMatches(tok, s.opt.APITokenHash)
}

func bearer(r *http.Request) string {
	tok, _ := bearerFrom(r)
	return tok
}

// bearerFrom returns the token of the Authorization header, else of ?token= (a link token:
// a websocket cannot send headers), and whether it came from the query.
func bearerFrom(r *http.Request) (tok string, inQuery bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	tok = r.URL.Query().Get("token")
	return tok, tok != ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
