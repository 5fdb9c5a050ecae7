-- The vocabulary of food names, one row per distinct lower-cased word: the
-- nutrition search corrects misspelled query words against it (trigram
-- similarity over a few hundred words instead of every food name).

-- +goose Up
CREATE TABLE food_words (
    word text PRIMARY KEY
);

-- +goose Down
DROP TABLE food_words;
