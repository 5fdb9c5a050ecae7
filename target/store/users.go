package store

import (
	"context"
	"fmt"
	"time"
)

// User is an account of the agent.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateUser inserts a user; an email in use is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, name, email string) (User, error) {
	u := User{Name: name, Email: email}
	err := s.pool.QueryRow(ctx,
		"/*q:insert_user*/ INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id, created_at",
		name, email).Scan(&u.ID, &u.CreatedAt)
	return u, translate(err, "creating user")
}

// GetUser reads a user by id.
func (s *Store) GetUser(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.retryRead(ctx, func() error {
		return s.pool.QueryRow(ctx, "/*q:user*/ SELECT id, name, email, created_at FROM users WHERE id = $1", id).
			Scan(&u.ID, &u.Name, &u.Email, &u.CreatedAt)
	})
	return u, translate(err, fmt.Sprintf("reading user %d", id))
}

// UserExists reports whether user id exists.
func (s *Store) UserExists(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := s.retryRead(ctx, func() error {
		return s.pool.QueryRow(ctx, "/*q:user_exists*/ SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)", id).Scan(&ok)
	})
	return ok, translate(err, fmt.Sprintf("checking user %d", id))
}

type userKnownKey struct{ id int64 }

// WithUserKnown marks ctx as coming from a caller that has just seen user id
// exist (the chat, after loading the user's memory): reads for that user
// that come back empty then skip asking PostgreSQL whether the user exists.
func WithUserKnown(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, userKnownKey{id}, true)
}

// requireUser turns an empty result for a user into ErrNotFound when the
// user does not exist (an empty list is a valid answer for a user who does).
func (s *Store) requireUser(ctx context.Context, id int64, empty bool) error {
	if !empty || ctx.Value(userKnownKey{id}) != nil {
		return nil
	}
	ok, err := s.UserExists(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(fmt.Sprintf("user %d", id), ErrNotFound)
	}
	return nil
}
