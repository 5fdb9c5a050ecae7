package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Message is one turn of a conversation.
type Message struct {
	ID        int64     `json:"id"`
	Role      string    `json:"role"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"created_at"`
}

// Cursor is a keyset position in a user's history: the (created_at, id) of
// the last message of a page. The zero Cursor means "from the newest".
type Cursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether c is the start of the history.
func (c Cursor) IsZero() bool { return c.ID == 0 }

// String encodes c for a URL: "<unix microseconds>_<id>".
func (c Cursor) String() string {
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "_" + strconv.FormatInt(c.ID, 10)
}

// ParseCursor decodes Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	at, id, ok := strings.Cut(s, "_")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return Cursor{}, fmt.Errorf("cursor %q: want <microseconds>_<id> as returned in next_before", s)
	}
	t := time.UnixMicro(us)
	// PostgreSQL's timestamptz starts in 4714 BC; a cursor comes from
	// next_before, so anything before the year 1 is not one.
	if t.UTC().Year() < 1 {
		return Cursor{}, fmt.Errorf("cursor %q: time before the year 1", s)
	}
	return Cursor{At: t, ID: n}, nil
}

const (
	qHistory = `/*q:history*/
		SELECT id, role, content, created_at FROM messages
		WHERE user_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`
	qHistoryBefore = `/*q:history_page*/
		SELECT id, role, content, created_at FROM messages
		WHERE user_id = $1 AND (created_at, id) < ($2, $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`
)

// History returns up to limit messages of the user older than before, newest
// first, and the cursor of the next page (zero when this page is the last).
// Keyset pagination: every page costs the same, served by
// messages_user_time_idx in the optimized profile.
func (s *Store) History(ctx context.Context, userID int64, before Cursor, limit int) ([]Message, Cursor, error) {
	ms, err := collect(ctx, s, func() (pgx.Rows, error) {
		if before.IsZero() {
			return s.pool.Query(ctx, qHistory, userID, limit+1)
		}
		return s.pool.Query(ctx, qHistoryBefore, userID, before.At, before.ID, limit+1)
	}, func(row pgx.CollectableRow) (Message, error) {
		var m Message
		err := row.Scan(&m.ID, &m.Role, &m.Content, &m.CreatedAt)
		return m, err
	})
	if err != nil {
		return nil, Cursor{}, translate(err, "reading history")
	}
	var next Cursor
	if len(ms) > limit {
		ms = ms[:limit]
		last := ms[len(ms)-1]
		next = Cursor{At: last.CreatedAt, ID: last.ID}
	}
	if len(ms) == 0 && before.IsZero() {
		return ms, next, s.requireUser(ctx, userID, true)
	}
	return ms, next, nil
}

// Exchange is what one chat turn stored.
type Exchange struct {
	Question Message
	Answer   Message
	XPTotal  int64
}

// qSaveExchange stores the user's message ($2 at $3) and the answer ($4 at
// $5) of user $1 and awards $6 XP for reason $7, in one statement.
var qSaveExchange = `/*q:save_exchange*/
	WITH m AS (
		INSERT INTO messages (user_id, role, content, created_at)
		VALUES ($1, 'user', $2, $3), ($1, 'assistant', $4, $5)
		RETURNING id, role),
	one AS (SELECT), ` + xpUpsertCTEs("one", "$6", "$7") + `
	SELECT (SELECT id FROM m WHERE role = 'user'), (SELECT id FROM m WHERE role = 'assistant'), (SELECT total FROM x)`

// SaveExchange stores the user's message, the agent's answer and an XP award
// in one statement: either all three are stored or none.
func (s *Store) SaveExchange(ctx context.Context, userID int64, question, answer string, xp int, reason string) (Exchange, error) {
	var ex Exchange
	now := time.Now()
	ex.Question = Message{Role: "user", Content: question, CreatedAt: now}
	// The answer is a microsecond later, so history orders them apart.
	ex.Answer = Message{Role: "assistant", Content: answer, CreatedAt: now.Add(time.Microsecond)}
	err := s.pool.QueryRow(ctx, qSaveExchange, userID, question, now, answer, ex.Answer.CreatedAt, xp, reason).
		Scan(&ex.Question.ID, &ex.Answer.ID, &ex.XPTotal)
	if err != nil {
		return Exchange{}, translate(err, fmt.Sprintf("saving chat exchange of user %d", userID))
	}
	return ex, nil
}
