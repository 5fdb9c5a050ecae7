package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Memory kinds: what the agent knows about a user.
const (
	KindProfile    = "profile"
	KindGoal       = "goal"
	KindPreference = "preference"
	KindFact       = "fact"
)

// ValidKind reports whether k is one of the memory kinds.
func ValidKind(k string) bool {
	switch k {
	case KindProfile, KindGoal, KindPreference, KindFact:
		return true
	}
	return false
}

// Memory is one remembered item.
type Memory struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"created_at"`
	// Score is the full-text rank; set by SearchMemories only.
	Score float32 `json:"score,omitempty"`
}

// MaxMemories bounds how many memories UserMemories returns.
const MaxMemories = 200

const qUserMemories = `/*q:memory*/
	SELECT id, kind, content, created_at FROM memories
	WHERE user_id = $1 ORDER BY kind, id DESC LIMIT $2`

// UserMemories returns the user's memories by kind, newest first, at most
// MaxMemories. An unknown user is ErrNotFound.
func (s *Store) UserMemories(ctx context.Context, userID int64) ([]Memory, error) {
	ms, err := collect(ctx, s, func() (pgx.Rows, error) { return s.pool.Query(ctx, qUserMemories, userID, MaxMemories) }, func(row pgx.CollectableRow) (Memory, error) {
		var m Memory
		err := row.Scan(&m.ID, &m.Kind, &m.Content, &m.CreatedAt)
		return m, err
	})
	if err != nil {
		return nil, translate(err, "reading memories")
	}
	return ms, s.requireUser(ctx, userID, len(ms) == 0)
}

// AddMemory stores a memory for a user; an unknown user is ErrNotFound.
func (s *Store) AddMemory(ctx context.Context, userID int64, kind, content string) (Memory, error) {
	m := Memory{Kind: kind, Content: content}
	err := s.pool.QueryRow(ctx, `/*q:insert_memory*/
		INSERT INTO memories (user_id, kind, content) VALUES ($1, $2, $3)
		RETURNING id, created_at`, userID, kind, content).Scan(&m.ID, &m.CreatedAt)
	return m, translate(err, fmt.Sprintf("adding memory for user %d", userID))
}

const qSearchMemories = `/*q:memory_search*/
	SELECT id, kind, content, created_at, ts_rank(search, query) AS score
	FROM memories, websearch_to_tsquery('english', $2) AS query
	WHERE user_id = $1 AND search @@ query
	ORDER BY score DESC, id DESC
	LIMIT $3`

// SearchMemories ranks the user's memories against a web-search style query
// (words, "phrases", -exclusions) with PostgreSQL full text search: the
// memories_search_idx GIN index in the optimized profile.
func (s *Store) SearchMemories(ctx context.Context, userID int64, q string, limit int) ([]Memory, error) {
	ms, err := collect(ctx, s, func() (pgx.Rows, error) { return s.pool.Query(ctx, qSearchMemories, userID, q, limit) }, func(row pgx.CollectableRow) (Memory, error) {
		var m Memory
		err := row.Scan(&m.ID, &m.Kind, &m.Content, &m.CreatedAt, &m.Score)
		return m, err
	})
	if err != nil {
		return nil, translate(err, "searching memories")
	}
	return ms, s.requireUser(ctx, userID, len(ms) == 0)
}
