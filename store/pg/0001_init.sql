-- 0001 (PostgreSQL): the initial schema, store/migrations/0001_init.sql
-- translated: INTEGER is BIGINT, BLOB is BYTEA, and each table SQLite
-- gives an implicit rowid (users, sessions, throttle_events) has an
-- explicit one, so statements that order or delete by rowid read the
-- same on both.  Comments of the columns: schema.sql.
CREATE TABLE users (
	id			TEXT PRIMARY KEY,
	email			TEXT NOT NULL,
	username		TEXT NOT NULL,
	phone			TEXT,
	password_hash		TEXT NOT NULL,
	account_role		TEXT NOT NULL DEFAULT 'REGULAR'
	    CHECK (account_role IN ('ADMIN', 'MODERATOR', 'REGULAR')),
	account_subscription	TEXT NOT NULL DEFAULT 'FREE'
	    CHECK (account_subscription IN ('FREE', 'PRO')),
	subscription_expires_at	BIGINT,
	email_verified		BIGINT NOT NULL DEFAULT 0,
	is_active		BIGINT NOT NULL DEFAULT 1,
	token_gen		BIGINT NOT NULL DEFAULT 0,
	created_at		BIGINT NOT NULL,
	updated_at		BIGINT NOT NULL,
	deleted_at		BIGINT,
	rowid			BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE UNIQUE INDEX users_phone ON users (phone) WHERE phone IS NOT NULL;
CREATE INDEX users_role ON users (account_role, is_active);

CREATE TABLE sessions (
	id		TEXT PRIMARY KEY,
	user_id		TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at	BIGINT NOT NULL,
	last_used_at	BIGINT NOT NULL,
	expires_at	BIGINT NOT NULL,
	user_agent	TEXT,
	ip		TEXT,
	revoked_at	BIGINT,
	rowid		BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX sessions_user ON sessions (user_id, revoked_at);

CREATE TABLE refresh_tokens (
	hash		BYTEA PRIMARY KEY,
	session_id	TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	created_at	BIGINT NOT NULL,
	expires_at	BIGINT NOT NULL,
	spent_at	BIGINT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE user_tokens (
	hash		BYTEA PRIMARY KEY,
	user_id		TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN ('reset', 'verify')),
	created_at	BIGINT NOT NULL,
	expires_at	BIGINT NOT NULL,
	used_at		BIGINT
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, kind, created_at);

CREATE TABLE throttle_events (
	bucket		TEXT NOT NULL,
	key		TEXT NOT NULL,
	at		BIGINT NOT NULL,
	rowid		BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY
);
CREATE INDEX throttle_events_key ON throttle_events (bucket, key, at);

CREATE TABLE lockouts (
	key		TEXT PRIMARY KEY,
	until		BIGINT NOT NULL
);
