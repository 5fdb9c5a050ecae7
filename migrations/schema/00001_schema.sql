-- The Health Agent API's tables. Only what correctness needs is indexed here
-- (primary keys, uniqueness, foreign keys); the indexes that make the hot
-- queries fast are the separate "indexes" migration set, which the baseline
-- profile runs without.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE dataset (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation bigint  NOT NULL,
    seeded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email      text NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 320),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id         bigserial PRIMARY KEY,
    name       text  NOT NULL,
    key_hash   bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE foods (
    id        bigserial PRIMARY KEY,
    name      text NOT NULL,
    category  text NOT NULL DEFAULT '',
    kcal      real NOT NULL CHECK (kcal >= 0),
    protein_g real NOT NULL CHECK (protein_g >= 0),
    carbs_g   real NOT NULL CHECK (carbs_g >= 0),
    fat_g     real NOT NULL CHECK (fat_g >= 0),
    fiber_g   real NOT NULL DEFAULT 0 CHECK (fiber_g >= 0),
    source_id text
);

CREATE TABLE memories (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text   NOT NULL CHECK (kind IN ('profile', 'goal', 'preference', 'fact')),
    content    text   NOT NULL CHECK (length(content) BETWEEN 1 AND 4000),
    search     tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text   NOT NULL CHECK (role IN ('user', 'assistant')),
    content    text   NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meals (
    id        bigserial PRIMARY KEY,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    food_id   bigint NOT NULL REFERENCES foods (id),
    grams     real   NOT NULL CHECK (grams > 0),
    kcal      real   NOT NULL,
    protein_g real   NOT NULL,
    carbs_g   real   NOT NULL,
    fat_g     real   NOT NULL,
    eaten_at  timestamptz NOT NULL DEFAULT now(),
    day       date   NOT NULL
);

-- user_xp holds the running total; awards are single-statement upserts, so
-- concurrent awards never lose an update. xp_events is the audit trail.
CREATE TABLE user_xp (
    user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    total   bigint NOT NULL CHECK (total >= 0)
);

CREATE TABLE xp_events (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount     integer NOT NULL CHECK (amount > 0),
    reason     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE xp_events;
DROP TABLE user_xp;
DROP TABLE meals;
DROP TABLE messages;
DROP TABLE memories;
DROP TABLE foods;
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE dataset;
