package target

import (
	"errors"
	"fmt"
	"testing"

	"github.com/loadgate/loadgate/target/store"
)

// TestNotFoundMessage: a 404 says what the store looked for, from the typed
// error, and nothing of what lies below it.
func TestNotFoundMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&store.NotFoundError{What: "reading food 7", Err: store.ErrNotFound}, "reading food 7: not found"},
		{&store.NotFoundError{What: "logging meal of user 3", Err: &store.NotFoundError{What: "food 7", Err: store.ErrNotFound}}, "logging meal of user 3: not found"},
		{fmt.Errorf("%w (meals_user_id_fkey)", store.ErrNotFound), "not found"},
		{errors.New("SELECT * FROM secret: no"), "not found"},
	} {
		if got := notFoundMessage(tt.err); got != tt.want {
			t.Errorf("notFoundMessage(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
