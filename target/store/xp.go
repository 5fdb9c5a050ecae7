package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// XP is a user's total and rank (1 = most XP; users with equal totals share
// a rank).
type XP struct {
	UserID int64 `json:"user_id"`
	Total  int64 `json:"total"`
	Rank   int64 `json:"rank"`
}

// AwardXP adds amount (> 0) to the user's total and returns the new total.
func (s *Store) AwardXP(ctx context.Context, userID int64, amount int, reason string) (int64, error) {
	var total int64
	err := s.pool.QueryRow(ctx, qAwardXP, userID, amount, reason).Scan(&total)
	return total, translate(err, fmt.Sprintf("awarding XP to user %d", userID))
}

// xpUpsertCTEs record an award of $xp (reason $reason) for user $1 in
// xp_events and add it to user_xp in a single upsert, whose row lock
// serializes concurrent awards, so none is lost. They run for each row of
// the CTE named by from (one award per write), as parts of one statement:
// the statement is atomic, and one round trip holds the connection instead
// of a transaction's five.
func xpUpsertCTEs(from, xp, reason string) string {
	return `e AS (
		INSERT INTO xp_events (user_id, amount, reason) SELECT $1::bigint, ` + xp + `::integer, ` + reason + `::text FROM ` + from + `),
	x AS (
		INSERT INTO user_xp (user_id, total) SELECT $1::bigint, ` + xp + `::bigint FROM ` + from + `
		ON CONFLICT (user_id) DO UPDATE SET total = user_xp.total + excluded.total
		RETURNING total)`
}

// qAwardXP awards $2 XP for reason $3 to user $1, returning the new total.
var qAwardXP = `/*q:xp_award*/
	WITH one AS (SELECT), ` + xpUpsertCTEs("one", "$2", "$3") + `
	SELECT total FROM x`

// UserXP returns the user's total and rank from PostgreSQL; a user without
// awards has 0. An unknown user is ErrNotFound.
func (s *Store) UserXP(ctx context.Context, userID int64) (XP, error) {
	x := XP{UserID: userID}
	err := s.retryRead(ctx, func() error {
		return s.pool.QueryRow(ctx, `/*q:xp*/
			SELECT coalesce(x.total, 0),
			       (SELECT count(*) FROM user_xp o WHERE o.total > coalesce(x.total, 0)) + 1
			FROM users u LEFT JOIN user_xp x ON x.user_id = u.id
			WHERE u.id = $1`, userID).Scan(&x.Total, &x.Rank)
	})
	return x, translate(err, fmt.Sprintf("reading XP of user %d", userID))
}

const qCountAbove = "/*q:xp_rank*/ SELECT count(*) FROM user_xp WHERE total > $1"

// CountAbove is how many users have more than total XP (rank = this + 1).
func (s *Store) CountAbove(ctx context.Context, total int64) (int64, error) {
	var n int64
	err := s.retryRead(ctx, func() error { return s.pool.QueryRow(ctx, qCountAbove, total).Scan(&n) })
	return n, translate(err, "counting users above a total")
}

const qLeaderboard = "/*q:leaderboard*/ SELECT user_id, total FROM user_xp ORDER BY total DESC, user_id LIMIT $1"

// Leaderboard returns the top limit users by total, ranked.
func (s *Store) Leaderboard(ctx context.Context, limit int) ([]XP, error) {
	xs, err := collect(ctx, s, func() (pgx.Rows, error) { return s.pool.Query(ctx, qLeaderboard, limit) }, func(row pgx.CollectableRow) (XP, error) {
		var x XP
		err := row.Scan(&x.UserID, &x.Total)
		return x, err
	})
	if err != nil {
		return nil, translate(err, "reading leaderboard")
	}
	RankSorted(xs)
	return xs, nil
}

// RankSorted sets Rank on entries sorted by total, highest first: equal
// totals share a rank, the next total's rank counts everyone above it.
func RankSorted(xs []XP) {
	for i := range xs {
		if i > 0 && xs[i].Total == xs[i-1].Total {
			xs[i].Rank = xs[i-1].Rank
		} else {
			xs[i].Rank = int64(i) + 1
		}
	}
}

// AllXP calls f for every user's total: for rebuilding a leaderboard.
func (s *Store) AllXP(ctx context.Context, f func(userID, total int64) error) error {
	rows, err := s.pool.Query(ctx, "/*q:xp_all*/ SELECT user_id, total FROM user_xp")
	if err != nil {
		return translate(err, "reading all XP")
	}
	var id, total int64
	_, err = pgx.ForEachRow(rows, []any{&id, &total}, func() error { return f(id, total) })
	return translate(err, "reading all XP")
}
