-- Trigram index of the food-name vocabulary, for misspelling correction.

-- +goose Up
CREATE INDEX food_words_trgm_idx ON food_words USING gin (word gin_trgm_ops);

-- +goose Down
DROP INDEX food_words_trgm_idx;
