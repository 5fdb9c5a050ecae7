-- The performance indexes, one per hot query (the six of the Phase 6 plan).
-- The optimized profile applies them; the baseline profile rolls them back,
-- so the same handlers are measured with and without them.

-- +goose Up
-- Conversation history: WHERE user_id = $1 AND (created_at, id) < (…) ORDER BY created_at DESC, id DESC.
CREATE INDEX messages_user_time_idx ON messages (user_id, created_at DESC, id DESC);
-- Memory full-text search: WHERE user_id = $1 AND search @@ query.
CREATE INDEX memories_search_idx ON memories USING gin (search);
CREATE INDEX memories_user_idx ON memories (user_id, kind, id);
-- Nutrition search: trigram similarity and prefix match on the lower-cased name.
CREATE INDEX foods_name_trgm_idx ON foods USING gin (lower(name) gin_trgm_ops);
-- Leaderboard and rank: ORDER BY total DESC, user_id; count(*) WHERE total > $1.
CREATE INDEX user_xp_total_idx ON user_xp (total DESC, user_id);
-- Meals by user and day: daily totals.
CREATE INDEX meals_user_day_idx ON meals (user_id, day);
-- API key lookup on every authenticated request.
CREATE UNIQUE INDEX api_keys_hash_idx ON api_keys (key_hash);

-- +goose Down
DROP INDEX api_keys_hash_idx;
DROP INDEX meals_user_day_idx;
DROP INDEX user_xp_total_idx;
DROP INDEX foods_name_trgm_idx;
DROP INDEX memories_user_idx;
DROP INDEX memories_search_idx;
DROP INDEX messages_user_time_idx;
