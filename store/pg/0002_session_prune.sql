-- 0002 (PostgreSQL): store/migrations/0002_session_prune.sql.
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
