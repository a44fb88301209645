/*
 * Internals shared by the files of store/: the connection, the
 * per-module statement caches, the transaction helpers and the one
 * reader of a user row.  Everything here goes through drv.h.
 *
 * The transaction idiom of every write of more than one statement:
 *
 *	if ((rc = tx_begin(st)) < 0)
 *		return rc;
 *	... on any error: goto done;
 *	if ((rc = tx_commit(st)) < 0)
 *		goto done;
 *	rc = 1;
 * done:
 *	tx_rollback(st);	(a no-op after the commit)
 *	return rc;
 *
 * so a failed COMMIT (busy: STORE_EBUSY, 503 DB_LOCKED) comes back as
 * it is and leaves no transaction open.
 */
#ifndef AUTHD_STORE_INT_H
#define AUTHD_STORE_INT_H

#include "drv.h"
#include "store.h"

/* One statement cache per store module; each module has its own SQL table. */
enum module {
	MOD_DB,
	MOD_USER,
	MOD_SESSION,
	MOD_TOKEN,
	MOD_THROTTLE,
	MOD_ADMIN,
	MOD_METRICS,
	MOD_BROWSER,
	MOD_IMPORT,
	MOD__MAX
};

struct memo;

struct store {
	struct drv		 *drv;
	const struct config	 *cfg;			/* store_use_config() */
	struct drv_stmt		**stmts[MOD__MAX];	/* lazily prepared */
	size_t			  nstmts[MOD__MAX];
	unsigned		  writes;		/* for occasional pruning */
	struct memo		 *memo;			/* memo.c, lazily */
};

/*
 * memo.c: the answers of the hottest reads (the token check's user and
 * session, a cookie's browser session), reused for the same key and
 * second while drv_mark() is unchanged.  memo_get() returns the key's
 * slot (NULL: no mark, never reuse; the caller reads and keeps nothing)
 * and sets *hit when the slot holds this key's answer of this second
 * and mark; memo_put() keeps a copy of u (NULL: no row) under the mark
 * taken by memo_get() before the read.  memo_free() at store_close.
 */
#define MEMO_KEY_MAX	104

struct memo {
	unsigned char	 mark[DRV_MARK_LEN];
	unsigned char	 key[MEMO_KEY_MAX];
	size_t		 klen;
	int64_t		 now;
	struct user	*u;		/* NULL: no such row */
	int		 live;		/* user.c: the session is live */
	struct bsession	 b;		/* browser.c: the session read */
	int		 used;
};

struct memo	*memo_get(struct store *, const void *key, size_t klen,
		    int64_t now, unsigned char mark[DRV_MARK_LEN], int *hit);
void		 memo_put(struct memo *, const void *key, size_t klen,
		    int64_t now, const unsigned char mark[DRV_MARK_LEN],
		    const struct user *u);
void		 memo_free(struct store *);
/* user.c: a copy of a user (memo.c keeps them). */
struct user	*user_dup(const struct user *);

/*
 * The prepared statement idx of a module whose SQL table is q[n];
 * prepared once on first use.  NULL on failure (logged).  The caller
 * resets it with stmt_done() (stmt_run() and stmt_int64() do).
 */
struct drv_stmt	*stmt_get(struct store *, enum module, const struct sqlq *q,
		    size_t n, size_t idx);
/* stmt_get() with the text v (NULL binds NULL) as the first parameter. */
struct drv_stmt	*stmt_get1(struct store *, enum module, const struct sqlq *q,
		    size_t n, size_t idx, const char *v);
/* drv_reset(); NULL-safe. */
void		 stmt_done(struct drv_stmt *);
/*
 * Steps a bound statement to its end and resets it: 1 when it changed a
 * row, 0 when it changed none, <0 on error.
 */
int		 stmt_run(struct drv_stmt *);
/*
 * Steps a bound statement once and resets it: 1 with its first column in
 * *v (when v is not NULL) on a row, 0 without a row, <0 on error.
 */
int		 stmt_int64(struct drv_stmt *, int64_t *v);

/* Transactions on the store's connection (drv_begin()...). */
int		 tx_begin(struct store *);
int		 tx_commit(struct store *);
void		 tx_rollback(struct store *);

/* An allocated copy of a text column, NULL for NULL. */
char		*col_text(struct drv_stmt *, int);
/* A text column copied into buf (size bytes, "" for NULL). */
void		 col_copy(struct drv_stmt *, int, char *buf, size_t size);

/* The users columns in the order user_row() reads them. */
#define USER_COLS "id, email, username, phone, password_hash, account_role, " \
	"account_subscription, subscription_expires_at, email_verified, " \
	"is_active, token_gen, created_at, updated_at, deleted_at"
#define USER_NCOLS	14
/* Builds a user from a row selected with USER_COLS starting at column 0. */
struct user	*user_row(struct drv_stmt *);
/*
 * Steps a bound SELECT of USER_COLS once and resets it: 1 with the user
 * in *out, 0 none, <0 error.
 */
int		 user_fetch(struct drv_stmt *, struct user **out);
/*
 * Inside a session start's transaction (API or browser): deletes a batch
 * of dead sessions, ends the user's oldest live sessions beyond
 * MAX_SESSIONS_PER_USER - 1, making room for the new one, and inserts
 * it: kind "api" or "browser" (whose cookie's hash is cookie, else
 * NULL), its id written to sid (37 bytes).  0 or <0.
 */
int		 session_insert_tx(struct store *, const char *user_id,
		    const char *ua, const char *ip, int64_t now, int64_t expires,
		    const char *kind, const unsigned char *cookie, char *sid);
/*
 * A write transaction that inserts a throttle_events row of bucket and
 * deletes it again before committing: the cost of a write without its
 * effect (the readiness probe, the timing decoy).  1 or <0.
 */
int		 write_undone(struct store *, const char *bucket, int64_t at);
/*
 * The end of a write transaction that answers with its user: reads the
 * user of id and commits.  1 with the user in *out, or <0 (the caller's
 * done: rolls back).
 */
int		 user_commit_tx(struct store *, const char *id,
		    struct user **out);
/* Moves the user's token generation on (inside a transaction): 1, 0 no such user, <0. */
int		 user_bump_gen_tx(struct store *, const char *user_id);
/* Revokes all sessions of a user and bumps the generation (inside a transaction). */
int		 user_revoke_all_tx(struct store *, const char *user_id);

#endif
