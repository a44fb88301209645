-- authd: the whole current schema, the single source of truth.
-- store/migrations/ holds the numbered steps that build it; a unit test
-- checks that applying them all gives exactly this schema.
CREATE TABLE users (
	id			TEXT PRIMARY KEY,	-- UUID v4, lower-case
	email			TEXT NOT NULL,		-- lower-cased; anonymised on deletion
	username		TEXT NOT NULL,		-- display case; anonymised on deletion
	phone			TEXT,			-- E.164 or NULL; cleared on deletion
	password_hash		TEXT NOT NULL,		-- PHC string, or '!deleted'
	account_role		TEXT NOT NULL DEFAULT 'REGULAR'
	    CHECK (account_role IN ('ADMIN', 'MODERATOR', 'REGULAR')),
	account_subscription	TEXT NOT NULL DEFAULT 'FREE'
	    CHECK (account_subscription IN ('FREE', 'PRO')),
	subscription_expires_at	INTEGER,		-- unix seconds or NULL
	email_verified		INTEGER NOT NULL DEFAULT 0,
	is_active		INTEGER NOT NULL DEFAULT 1,
	token_gen		INTEGER NOT NULL DEFAULT 0,	-- access tokens carry it as "gen"
	created_at		INTEGER NOT NULL,	-- unix seconds
	updated_at		INTEGER NOT NULL,
	deleted_at		INTEGER			-- set by the soft delete
);
-- Every existing account holds its email, username and phone; deletion
-- anonymises them, which frees the originals.
CREATE UNIQUE INDEX users_email ON users (email);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE UNIQUE INDEX users_phone ON users (phone) WHERE phone IS NOT NULL;
CREATE INDEX users_role ON users (account_role, is_active);

-- A session is one token family: started by a login, carried on by
-- refresh rotation, ended by logout, reuse detection or revocation.
CREATE TABLE sessions (
	id		TEXT PRIMARY KEY,		-- UUID v4
	user_id		TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at	INTEGER NOT NULL,
	last_used_at	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL,		-- of its newest refresh token
	user_agent	TEXT,
	ip		TEXT,
	revoked_at	INTEGER,			-- NULL while alive
	-- 'api': refresh tokens (§4); 'browser': the authd_session cookie
	-- (§9), whose expires_at is the earlier of the idle and the maximum
	-- limit, moved on when its last use is written (at most once a minute)
	kind		TEXT NOT NULL DEFAULT 'api'
	    CHECK (kind IN ('api', 'browser')),
	cookie_hash	BLOB				-- SHA-256 of the cookie; browser only
);
CREATE INDEX sessions_user ON sessions (user_id, revoked_at);
-- Dead sessions (past their expiry, or revoked) are deleted in small
-- batches, their refresh tokens with them (ON DELETE CASCADE).
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE UNIQUE INDEX sessions_cookie ON sessions (cookie_hash)
    WHERE cookie_hash IS NOT NULL;

-- Refresh tokens: only the SHA-256 of the opaque token is stored.  A
-- session keeps its live token and its newest spent ones (for reuse
-- detection); older spent tokens are deleted at each rotation.
CREATE TABLE refresh_tokens (
	hash		BLOB PRIMARY KEY,		-- SHA-256 of the token string
	session_id	TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	created_at	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL,
	spent_at	INTEGER				-- set when rotated
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Single-use tokens sent by mail (password reset, email verification):
-- only the SHA-256 is stored.
CREATE TABLE user_tokens (
	hash		BLOB PRIMARY KEY,		-- SHA-256 of the token string
	user_id		TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN ('reset', 'verify')),
	created_at	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL,
	used_at		INTEGER				-- set when used or voided
) WITHOUT ROWID;
CREATE INDEX user_tokens_user ON user_tokens (user_id, kind, created_at);

-- Throttling events shared by all workers: one row per counted event
-- (a failed login for an account or an address, a registration attempt,
-- a reset email).  Rows older than the longest window are pruned.
CREATE TABLE throttle_events (
	bucket		TEXT NOT NULL,			-- 'login_user', 'login_ip', 'register_ip', 'reset_user'
	key		TEXT NOT NULL,			-- account key (see lockouts) or client address
	at		INTEGER NOT NULL		-- unix seconds
);
CREATE INDEX throttle_events_key ON throttle_events (bucket, key, at);

-- Lockouts after repeated failed logins.  The key is the account's id,
-- or, for an identifier no account matches, the identifier itself, so a
-- lockout does not tell whether an account exists.
CREATE TABLE lockouts (
	key		TEXT PRIMARY KEY,		-- user id or 'ident:<identifier>'
	until		INTEGER NOT NULL		-- unix seconds
) WITHOUT ROWID;
