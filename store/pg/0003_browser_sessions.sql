-- 0003 (PostgreSQL): store/migrations/0003_browser_sessions.sql.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'api'
    CHECK (kind IN ('api', 'browser'));
ALTER TABLE sessions ADD COLUMN cookie_hash BYTEA;
CREATE UNIQUE INDEX sessions_cookie ON sessions (cookie_hash)
    WHERE cookie_hash IS NOT NULL;
