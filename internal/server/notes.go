package server

import (
	"errors"
	"net/http"

	"github.com/integritybot/integritybot/internal/auth"
	"github.com/integritybot/integritybot/internal/store"
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
	iv, err := s.opt.Store.GetInterview(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no interview with this id")
		return
	}
	if err != nil {
		s.opt.Log.Error("get notes", "interview_id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "could not read the interview")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"notes": iv.Notes})
}
