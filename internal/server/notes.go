package server

import (
	"net/http"

	"github.com/integritybot/integritybot/internal/auth"
)

// getNotes answers GET /api/interviews/{id}/notes with {"notes": "..."}: the free text entered
// when the interview was created. Notes are for interviewers only: the interviewer's link and
// the API token may read them; the candidate's and the report's links may not, and the notes
// never enter the report (which reaches chat and hiring managers).
func (s *Server) getNotes(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.authorize(w, r, id, auth.RoleInterviewer); !ok {
		return
	}
	iv, ok := s.interview(w, r, id)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"notes": iv.Notes})
}
