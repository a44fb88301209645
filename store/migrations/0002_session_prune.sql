-- 0002: indexes for pruning dead sessions in small batches (issue 9):
-- sessions past their expiry, and revoked ones.
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
