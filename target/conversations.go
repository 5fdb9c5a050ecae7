package target

import (
	"net/http"

	"github.com/loadgate/loadgate/target/store"
)

// Page sizes of conversation history.
const (
	defaultHistoryLimit = 20
	maxHistoryLimit     = 100
)

// History is the body of GET /api/v1/users/{id}/conversations.
type History struct {
	UserID   int64           `json:"user_id"`
	Messages []store.Message `json:"messages"`
	// NextBefore is the "before" of the next (older) page; absent on the last.
	NextBefore string `json:"next_before,omitempty"`
}

// GET /api/v1/users/{id}/conversations?limit=&before=
func (s *Server) conversations(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	query := r.URL.Query()
	limit, aerr := queryLimit(query, defaultHistoryLimit, maxHistoryLimit)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	var before store.Cursor
	if b := query.Get("before"); b != "" {
		c, err := store.ParseCursor(b)
		if err != nil {
			writeAPIError(w, badRequest("before", "before: %v", err))
			return
		}
		before = c
	}
	ms, next, err := s.store.History(r.Context(), id, before, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := History{UserID: id, Messages: ms}
	if h.Messages == nil {
		h.Messages = []store.Message{}
	}
	if !next.IsZero() {
		h.NextBefore = next.String()
	}
	writeJSON(w, http.StatusOK, h)
}
