package store

import "time"

// HotQuery is a query of the store whose plan must use an index in the
// optimized profile, with sample arguments.
type HotQuery struct {
	Name string
	SQL  string
	Args []any
	// Index is the index the plan must use; "a|b" accepts either.
	Index string
	// SmallTable: the test data leave this table too small for the planner
	// to prefer any index, so the test turns sequential scans off to check
	// that the index matches the query's shape.
	SmallTable bool
}

// HotQueries are the store's hot queries.
func HotQueries() []HotQuery {
	h := HashKey("dev-key")
	search, searchArgs := SearchFoodsSQL([]string{"salmon"}, 10)
	return []HotQuery{
		{"history", qHistory, []any{5, 21}, "messages_user_time_idx", false},
		{"history page", qHistoryBefore, []any{5, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), 4000, 21}, "messages_user_time_idx", false},
		{"nutrition search", search, searchArgs, "foods_name_trgm_idx", false},
		{"foods named in a chat message", qFoodsNamed, []any{[]string{"salmon"}}, "foods_name_trgm_idx", true},
		{"memory search", qSearchMemories, []any{3, "run", 3}, "memories_user_idx|memories_search_idx", true},
		{"user memory", qUserMemories, []any{3, MaxMemories}, "memories_user_idx", true},
		{"leaderboard", qLeaderboard, []any{10}, "user_xp_total_idx", true},
		{"rank", qCountAbove, []any{100}, "user_xp_total_idx", true},
		{"daily meals", qDailyTotals, []any{9, "2026-01-01"}, "meals_user_day_idx", true},
		{"api key", qAPIKeyExists, []any{h[:]}, "api_keys_hash_idx", true},
	}
}
