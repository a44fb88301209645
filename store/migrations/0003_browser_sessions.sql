-- Browser sessions (SPEC §9): a session of §4 started by the sign-in
-- page, carried by the authd_session cookie instead of refresh tokens.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'api'
    CHECK (kind IN ('api', 'browser'));
ALTER TABLE sessions ADD COLUMN cookie_hash BLOB;
CREATE UNIQUE INDEX sessions_cookie ON sessions (cookie_hash)
    WHERE cookie_hash IS NOT NULL;
