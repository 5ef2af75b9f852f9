-- Issue 10: an absolute session lifetime, reuse detection for a session's
-- whole life, and a denylist bounded per session.

-- When each session began, for its absolute lifetime.
ALTER TABLE sessions ADD COLUMN started_at BIGINT NOT NULL DEFAULT 0;

-- The digest of the secret every refresh token of a session carries: any
-- token of the family that is not the current one is reuse. Sessions from
-- before this migration have none, so their (two-part) refresh tokens are
-- refused and their users log in again: their spent tokens were not all
-- remembered, so they could not be told from reuse.
ALTER TABLE sessions ADD COLUMN family_digest BYTEA;

-- Replaced by the family digest.
DROP TABLE spent_refresh_tokens;

-- Whose each denial is: a session's (session_id), or for access tokens
-- naming no session, a user's (username_key). Each keeps a bounded number.
ALTER TABLE denied_access_tokens ADD COLUMN session_id TEXT REFERENCES sessions (id) ON DELETE CASCADE;
ALTER TABLE denied_access_tokens ADD COLUMN username_key TEXT;
CREATE INDEX denied_by_session ON denied_access_tokens (session_id);
CREATE INDEX denied_by_user ON denied_access_tokens (username_key);
