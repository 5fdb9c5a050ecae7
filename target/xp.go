package target

import (
	"net/http"

	"github.com/loadgate/loadgate/target/store"
)

// GET /api/v1/users/{id}/xp
func (s *Server) getXP(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	x, source, err := s.board.rank(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		store.XP
		Source string `json:"source"`
	}{x, source})
}

// GET /api/v1/leaderboard?limit=
func (s *Server) leaderboard(w http.ResponseWriter, r *http.Request) {
	limit, aerr := queryLimit(r.URL.Query(), 10, 100)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	xs, source, err := s.board.top(r.Context(), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Entries []store.XP `json:"entries"`
		Source  string     `json:"source"`
	}{xs, source})
}
