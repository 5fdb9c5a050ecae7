package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestNotFoundError: every way the store says "not found" is a
// *NotFoundError naming what was looked for (the outermost what), is
// ErrNotFound, and reads as the message did before it was typed.
func TestNotFoundError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		err     error
		what    string
		message string
	}{
		{"no row", translate(pgx.ErrNoRows, "reading food 7"), "reading food 7", "reading food 7: not found"},
		{"missing reference", translate(&pgconn.PgError{Code: "23503", ConstraintName: "meals_user_id_fkey"}, "logging meal of user 3"),
			"logging meal of user 3", "logging meal of user 3: not found (meals_user_id_fkey)"},
		{"wrapped", translate(notFound("food 7", ErrNotFound), "logging meal of user 3"),
			"logging meal of user 3", "logging meal of user 3: food 7: not found"},
		{"wrapped again", fmt.Errorf("context: %w", notFound("user 5", ErrNotFound)), "user 5", "context: user 5: not found"},
	} {
		nf, ok := errors.AsType[*NotFoundError](tt.err)
		if !ok || nf.What != tt.what || !errors.Is(tt.err, ErrNotFound) || tt.err.Error() != tt.message {
			t.Errorf("%s: %v (%T), what %v; want what %q, message %q", tt.name, tt.err, tt.err, nf, tt.what, tt.message)
		}
	}
	if err := translate(&pgconn.PgError{Code: "23505"}, "adding user"); !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		t.Errorf("conflict: %v", err)
	}
}
