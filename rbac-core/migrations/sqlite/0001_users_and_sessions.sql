-- Users, with uniqueness on the lookup key (the name, or its lowercase form
-- in a case-insensitive store) and on the name itself.
CREATE TABLE users (
    username_key  TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    email         TEXT,
    full_name     TEXT,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    roles         TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL
);

-- Settings fixed when the database is created (username matching).
CREATE TABLE store_settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- Per-user token generations; kept when a user is deleted, so a re-created
-- user never inherits old tokens.
CREATE TABLE token_generations (
    username_key TEXT    NOT NULL PRIMARY KEY,
    generation   INTEGER NOT NULL
);

-- Refresh-token families: only SHA-256 digests are stored.
CREATE TABLE sessions (
    id             TEXT    NOT NULL PRIMARY KEY,
    username       TEXT    NOT NULL,
    username_key   TEXT    NOT NULL,
    -- Scopes granted at login (space-separated); refreshes never widen them.
    scope          TEXT    NOT NULL DEFAULT '',
    revoked        BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at     INTEGER NOT NULL,
    current_digest BLOB,
    rotations      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_user ON sessions (username_key);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE spent_refresh_tokens (
    digest     BLOB    NOT NULL PRIMARY KEY,
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL
);
CREATE INDEX spent_by_session ON spent_refresh_tokens (session_id, seq);

-- Revoked access tokens, until they would have expired anyway.
CREATE TABLE denied_access_tokens (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX denied_by_expiry ON denied_access_tokens (expires_at);
