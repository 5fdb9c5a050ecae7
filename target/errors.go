package target

import (
	"context"
	"errors"
	"net/http"

	"github.com/loadgate/loadgate/target/store"
)

// fail answers an error from below the handlers: domain errors become 404
// and 409, everything else 503 (the database is down or overloaded) with a
// generic message; the details go to the log only, never to the client.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeAPIError(w, ae)
	case errors.Is(err, store.ErrNotFound):
		writeAPIError(w, notFound("%s", notFoundMessage(err)))
	case errors.Is(err, store.ErrConflict):
		writeAPIError(w, &apiError{Status: http.StatusConflict, Code: "conflict", Message: "already exists"})
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		w.WriteHeader(499)
	default:
		s.cfg.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		writeAPIError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the service cannot answer right now"})
	}
}

// notFoundMessage says what was not found ("reading food 7: not found")
// and nothing of the details below.
func notFoundMessage(err error) string {
	if nf, ok := errors.AsType[*store.NotFoundError](err); ok {
		return nf.What + ": not found"
	}
	return "not found"
}
