/*
 * The store: every SQL statement of authd behind typed functions.
 *
 * Conventions: lookups return <0 on error (STORE_E*), 0 not found, >0
 * found, and allocate into an out-pointer freed by a NULL-safe _free();
 * on failure they leave nothing allocated.  Writes of more than one
 * statement run in one transaction that takes the write lock at its
 * start (drv.h).  Uniqueness violations come back as their own result
 * (STORE_EEMAIL, ...) so handlers can answer 409.  Statements are
 * prepared once per connection (on first use) and reset after every use.
 * A struct store is one connection (through the driver of drv.h) and is
 * never shared across fork().
 */
#ifndef AUTHD_STORE_H
#define AUTHD_STORE_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct json_object;
struct store;

#define STORE_EDB		(-1)	/* any other database failure */
#define STORE_EBUSY		(-2)	/* busy past the busy timeout: 503 DB_LOCKED */
#define STORE_EEMAIL		(-3)	/* email already held */
#define STORE_EUSERNAME		(-4)	/* username already held */
#define STORE_EPHONE		(-5)	/* phone already held */
#define STORE_ELASTADMIN	(-6)	/* would remove the last active ADMIN */
#define STORE_EFULL		(-7)	/* the disk is full (a backup) */
#define STORE_ECONFLICT		(-8)	/* a constraint refused a write (store/ only) */
#define STORE_EUNAVAIL		(-9)	/* the server cannot be reached: 503 DB_UNAVAILABLE */

enum role {
	ROLE_NONE = 0,		/* no authentication needed */
	ROLE_REGULAR,
	ROLE_MODERATOR,
	ROLE_ADMIN,
	ROLE__MAX
};

const char	*role_name(enum role);
/* Parses a role name (exact upper case, or any case when ci); -1 when unknown. */
int		 role_parse(const char *, int ci);

struct user {
	char		 id[37];
	char		*email;
	char		*username;
	char		*phone;			/* NULL when none */
	char		*password_hash;
	enum role	 role;
	int		 pro;			/* account_subscription PRO */
	int64_t		 sub_expires;		/* 0 = null */
	int		 email_verified;
	int		 is_active;
	int64_t		 token_gen;
	int64_t		 created_at;
	int64_t		 updated_at;
	int64_t		 deleted_at;		/* 0 = not deleted */
};

void	 user_free(struct user *);

/* --- db.c: connection, pragmas, migrations, transactions --- */

/*
 * Creates or upgrades the database at path to the newest schema (forward
 * only, tracked by PRAGMA user_version, in one write transaction so two
 * processes starting at once agree), with the settings of the
 * configuration (busy timeout, synchronous).  Creates the file 0600.
 * Returns 0 or -1 (logged).  Run by the master before forking.
 */
int	 store_migrate(const char *path, const struct config *);
/*
 * Opens a connection to the database at path with the pragmas of
 * ARCHITECTURE.md and the settings of the configuration, which the
 * store reads from then on (it must outlive the store, or be replaced
 * by store_use_config() first).  Returns 0 or -1 (logged).
 */
int	 store_open(const char *path, const struct config *, struct store **);
/* The configuration the store reads from now on (a reload). */
void	 store_use_config(struct store *, const struct config *);
void	 store_close(struct store *);
/*
 * 1 when the database answers a trivial query and a write commits (a
 * full disk or a read-only file fails it), else 0.
 */
int	 store_ready(struct store *);
/*
 * Whether the schema is the newest this program knows: 1 current, 0 older
 * (store_migrate() would upgrade it), STORE_EDB newer than the program
 * or unreadable.  A read: it takes no write lock.
 */
int	 store_schema_current(struct store *);
/*
 * A consistent copy of the whole database into the new file path (SQLite's
 * online backup in one step, so one read snapshot: writers go on while it
 * runs).  The copy is written into a private temporary file beside path,
 * synced, then renamed into place: path never holds a partial copy.  It is
 * created 0600; an existing path is refused unless replace is set.
 * Returns 1, 0 when path exists (and not replace), STORE_EBUSY,
 * STORE_EFULL when the disk is full, or STORE_EDB (logged); errno is set
 * for I/O failures outside SQLite.
 */
int	 store_backup(struct store *, const char *path, int replace);

/* --- user.c --- */

struct user_new {
	const char	*email;		/* normalised */
	const char	*username;
	const char	*phone;		/* normalised or NULL */
	const char	*password_hash;
	enum role	 role;
	int		 email_verified;
};

/*
 * Inserts a user.  Returns 1 and the new user in *out, or STORE_EEMAIL,
 * STORE_EUSERNAME, STORE_EPHONE (email first when both clash), or an error.
 */
int	 store_user_create(struct store *, const struct user_new *, struct user **out);
/* By id (any state). */
int	 store_user_by_id(struct store *, const char *id, struct user **);
/*
 * By id as store_user_by_id(), in the same single read: *live is set to 1
 * when sid (NULL or "": none) names a session of that user that is
 * neither revoked nor expired at now, else 0.  For Bearer checks.
 */
int	 store_user_by_id_session(struct store *, const char *id,
	    const char *sid, int64_t now, struct user **, int *live);
/* By lower-cased email (any state). */
int	 store_user_by_email(struct store *, const char *email, struct user **);
/*
 * By login identifier: the normalised phone first when one is given
 * (NULL when the identifier does not look like a phone), then the
 * lower-cased email, then the username (case-insensitive).
 */
int	 store_user_by_login(struct store *, const char *ident, const char *phone,
	    struct user **);
/* 1 when the username is available (case-insensitive), 0 taken, <0 error. */
int	 store_username_available(struct store *, const char *);
/* 1 when the normalised phone is held by an account, 0 free, <0 error. */
int	 store_phone_taken(struct store *, const char *);
/* 1 when the email belongs to an account (any state), 0 free, <0 error. */
int	 store_email_taken(struct store *, const char *);
/* Replaces a hash after a successful login with an outdated one (only if unchanged). */
int	 store_user_rehash(struct store *, const char *id, const char *old, const char *new);
/*
 * Sets a new password hash, increments the token generation, revokes
 * every session of the user and voids the user's live reset tokens, in
 * one transaction: the one place every password change goes through
 * (POST /users/me/password, authctl user set-password).  Returns 1, 0
 * when the user is gone or inactive, <0 error.  *gen receives the new
 * generation.
 */
int	 store_user_set_password(struct store *, const char *id, const char *hash,
	    int64_t *gen);
/* True when at least one active ADMIN exists: 1/0, <0 error. */
int	 store_admin_exists(struct store *);

/* --- session.c: sessions (token families) and refresh tokens --- */

/*
 * Starts a session for user_id with the refresh token whose hash is
 * given.  Writes the session id to sid (37 bytes).  In the same
 * transaction deletes a batch of dead sessions (expired or revoked) and
 * ends the user's oldest live sessions beyond MAX_SESSIONS_PER_USER.
 * Returns 1 or <0.
 */
int	 store_session_start(struct store *, const char *user_id, const char *ua,
	    const char *ip, const unsigned char hash[32], int64_t ttl, char *sid);
/*
 * Rotates a refresh token: spends old_hash and stores new_hash in the same
 * session, in one transaction, keeping only the session's newest spent
 * tokens (for reuse detection).  Returns 1 with the session's user in *u,
 * 0 when the token is unknown, spent, expired or revoked, or its user is
 * inactive (a spent token presented more than grace seconds after its
 * rotation revokes the whole session and moves the user's token
 * generation on), <0 error.
 */
int	 store_session_rotate(struct store *, const unsigned char old_hash[32],
	    const unsigned char new_hash[32], int64_t ttl, int64_t grace,
	    struct user **u, char *sid);
/*
 * Logout: revokes the session holding this refresh token; with all, every
 * session of that token's user and the token generation is incremented.
 * Returns 1 when a live session was found, 0 when not, <0 error.
 */
int	 store_session_logout(struct store *, const unsigned char hash[32], int all);
/* The same; uid (37 bytes, may be NULL) receives the session's user when it returns 1. */
int	 store_session_logout_uid(struct store *, const unsigned char hash[32],
	    int all, char *uid);
/*
 * Revokes every session of a user and increments the token generation.
 * Returns 1, 0 no such user, <0 error.
 */
int	 store_user_revoke_all(struct store *, const char *user_id);
/* Lists the live sessions of a user as a JSON array in *out. */
int	 store_sessions_list(struct store *, const char *user_id,
	    struct json_object **out);
/* Revokes one session of the user: 1, 0 not found (or not theirs), <0. */
int	 store_session_revoke(struct store *, const char *user_id, const char *sid);

/* --- browser.c: browser sessions of SPEC §9 (the session cookie) --- */

/* A live browser session as its cookie finds it. */
struct bsession {
	char		 id[37];
	int64_t		 created_at;
	int64_t		 last_used_at;
	int64_t		 expires_at;	/* the earlier of the idle and max limits */
};

/*
 * Starts a browser session for user_id, carried by the cookie whose
 * SHA-256 is hash; it ends idle seconds after its last use and max
 * seconds after its start.  Writes the id to sid (37 bytes).  1 or <0.
 */
int	 store_browser_start(struct store *, const char *user_id, const char *ua,
	    const char *ip, const unsigned char hash[32], int64_t idle,
	    int64_t max, char *sid);
/*
 * The live (not revoked, not expired at now) browser session of a
 * cookie hash and its user (any state), in one indexed read.  1 with
 * *s filled and the user in *u, 0 none, <0 error.
 */
int	 store_browser_find(struct store *, const unsigned char hash[32],
	    int64_t now, struct bsession *s, struct user **u);
/* Writes a session's last use and its new end.  1, 0 gone, <0 error. */
int	 store_browser_touch(struct store *, const char *sid, int64_t now,
	    int64_t expires);
/* Ends the session of a cookie hash (sign out).  1, 0 none live, <0 error. */
int	 store_browser_end(struct store *, const unsigned char hash[32]);

/* --- token.c: single-use mail tokens (reset, verify) --- */

/* Stores a token hash of kind "reset" or "verify" for a user. 1 or <0. */
int	 store_token_create(struct store *, const char *user_id, const char *kind,
	    const unsigned char hash[32], int64_t ttl);
/* Whether a token of kind is live (a read, checked again by its use): 1, 0, <0. */
int	 store_token_live(struct store *, const unsigned char hash[32],
	    const char *kind);
/*
 * Resets a password with a reset token: marks it used, voids the user's
 * other reset tokens, sets the hash, increments the generation and
 * revokes every session, in one transaction.  1 done (the user's id in
 * user_id, 37 bytes, when not NULL), 0 token unknown, used or expired (or
 * the user inactive), <0 error.
 */
int	 store_token_reset_password(struct store *, const unsigned char hash[32],
	    const char *pwhash, char *user_id);
/* Verifies an email with a verify token: 1 done, 0 bad token, <0 error. */
int	 store_token_verify_email(struct store *, const unsigned char hash[32]);
/* A write transaction that leaves nothing behind (timing decoy): 1 or <0. */
int	 store_token_decoy(struct store *);
/* Tokens of a kind created for a user since a time: count or <0. */
int	 store_token_count_since(struct store *, const char *user_id, const char *kind,
	    int64_t since);

/* --- throttle.c: counters shared by all workers --- */

/* Records one event. 1 or <0.  Prunes old rows now and then. */
int	 store_throttle_add(struct store *, const char *bucket, const char *key);
/* One limit of store_throttle_take(): at most max events per window seconds. */
struct throttle_limit {
	const char	*bucket;
	const char	*key;
	long		 max;		/* 0: off, neither checked nor recorded */
	int64_t		 window;	/* seconds */
	int64_t		 row;		/* out: the event recorded, 0 when none */
};
/*
 * Atomically: refuses when lock_key (may be NULL) is locked or a limit
 * is reached (0, seconds to wait in *retry), else records one event per
 * limit (1).  <0 on error, nothing recorded.
 */
int	 store_throttle_take(struct store *, const char *lock_key,
	    struct throttle_limit *, size_t n, int64_t *retry);
/*
 * After a failure: locks key for lockout seconds (and forgets its
 * events) once bucket/key holds max events in window.  Count or <0.
 */
int	 store_throttle_failed(struct store *, const char *bucket, const char *key,
	    long max, int64_t window, int64_t lockout);
/* Forgets one recorded event by its row: 1, 0 gone, <0. */
int	 store_throttle_forget(struct store *, int64_t row);
/* Events in bucket/key since a time: count or <0; *oldest receives the oldest one's time. */
int	 store_throttle_count(struct store *, const char *bucket, const char *key,
	    int64_t since, int64_t *oldest);
/* Clears a bucket/key (a successful login clears the account's failures). */
int	 store_throttle_clear(struct store *, const char *bucket, const char *key);
/*
 * Lockouts by account key (a user id, or "ident:<identifier>" for an
 * identifier no account matches).  set: 1 or <0.  get: 1 locked now with
 * the end in *until, 0 not, <0 error.  clear: 1, 0 none, <0.
 */
int	 store_lockout_set(struct store *, const char *key, int64_t until);
int	 store_lockout_get(struct store *, const char *key, int64_t *until);
int	 store_lockout_clear(struct store *, const char *key);

/* --- admin.c: administration --- */

struct user_patch {
	int		 set_role;
	enum role	 role;
	int		 set_pro;
	int		 pro;
	int		 set_sub_expires;
	int64_t		 sub_expires;		/* 0 = null */
	int		 set_active;
	int		 active;
};

/* Lists users matching q (substring of email or username, may be NULL). */
int	 store_users_list(struct store *, const char *q, long limit, long offset,
	    struct user ***items, size_t *n, long *total);
void	 users_free(struct user **, size_t n);
/*
 * Applies a patch in one transaction; deactivation revokes the user's
 * sessions and increments the generation; STORE_ELASTADMIN when it would
 * leave no active ADMIN.  1 with the updated user in *out, 0 not found.
 */
int	 store_user_patch(struct store *, const char *id, const struct user_patch *,
	    struct user **out);
/*
 * Soft delete with anonymisation (SPEC §4), revoking every session.
 * 1 done, 0 not found or already deleted, STORE_ELASTADMIN, <0 error.
 */
int	 store_user_delete(struct store *, const char *id);
/*
 * Marks a live user's email verified (authctl user verify).  1 done (also
 * when it already was), 0 unknown or deleted, <0 error.
 */
int	 store_user_verify(struct store *, const char *id);

/* --- import.c: authctl import (SPEC §10) --- */

/* One row of the FastAPI service's users table, each column as text or NULL. */
struct fastapi_row {
	char	*id;			/* a 16-byte blob comes as a dashed UUID */
	char	*username;
	char	*email;
	char	*hashed_password;
	char	*account_role;
	char	*account_subscription;
	char	*subscription_expires_at;
	char	*is_active;
	char	*deleted_at;
	char	*created_at;
	char	*updated_at;
	int	 has_nul;		/* a text column held a NUL byte */
};

/*
 * Reads every row of the users table of the FastAPI service's SQLite
 * database at path, opened read-only (waiting for a writer as long as
 * the configuration's busy timeout), whatever our own backend is.
 * Returns 0 with *rows (*n of them, freed by fastapi_rows_free()), or -1
 * with a message naming the problem in err (cannot open, not SQLite, no
 * users table or a missing column, a read error).
 */
int	 store_fastapi_read(const struct config *, const char *path,
	    struct fastapi_row **rows, size_t *n, char *err, size_t errlen);
void	 fastapi_rows_free(struct fastapi_row *, size_t n);

/* A user as an import writes it: its id, hash and times kept. */
struct import_user {
	const char	*id;		/* lower-case UUID */
	const char	*email;		/* normalised */
	const char	*username;
	const char	*password_hash;	/* pwhash_usable() */
	enum role	 role;
	int		 pro;
	int64_t		 sub_expires;	/* 0 = null */
	int		 email_verified;
	int		 is_active;
	int64_t		 created_at;
	int64_t		 updated_at;
};

/*
 * An import is one write transaction: begin (1 or <0), one
 * store_import_user() per row, then end, committing (commit 1) or
 * rolling back (0, --dry-run or an error), which frees the import
 * (0 or <0).  store_import_user(): 1 created, 0 the id exists already
 * (skipped), STORE_EEMAIL or STORE_EUSERNAME when another account
 * (whose id is written to holder) holds the email or the username
 * (case-insensitive), <0 error.
 */
struct store_import;
int	 store_import_begin(struct store *, struct store_import **);
int	 store_import_user(struct store_import *, const struct import_user *,
	    char holder[37]);
int	 store_import_end(struct store_import *, int commit);

/* --- metrics.c --- */

/*
 * Accounts by state for /metrics: active (email verified), unverified
 * (active, email not verified), deactivated, deleted.  1 or <0.
 */
int	 store_user_states(struct store *, int64_t counts[4]);

#endif
