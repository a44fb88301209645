/*
 * Internals shared by the files of store/: the connection, the
 * per-module statement caches and the transaction helpers.
 */
#ifndef AUTHD_STORE_INT_H
#define AUTHD_STORE_INT_H

#include <sqlite3.h>

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
	MOD__MAX
};

struct store {
	sqlite3		 *db;
	sqlite3_stmt	**stmts[MOD__MAX];	/* lazily prepared, per module */
	size_t		  nstmts[MOD__MAX];
	unsigned	  writes;		/* for occasional pruning */
};

/*
 * The prepared statement idx of a module whose SQL table is sql[n];
 * prepared once (persistent) on first use.  NULL on failure (logged).
 * The caller resets it with stmt_done().
 */
sqlite3_stmt	*stmt_get(struct store *, enum module, const char *const *sql,
		    size_t n, size_t idx);
void		 stmt_done(sqlite3_stmt *);

/*
 * Steps a bound statement that returns no row to its end and resets it:
 * 0, or STORE_EBUSY/STORE_EDB (logged with what).
 */
int		 stmt_run(struct store *, sqlite3_stmt *, const char *what);

/* Maps an SQLite result code to STORE_EBUSY/STORE_EDB (logged). */
int		 store_err(struct store *, int rc, const char *what);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  begin and commit return 0 or <0. */
int		 tx_begin(struct store *);
int		 tx_commit(struct store *);
void		 tx_rollback(struct store *);

/* Binds a text that may be NULL. */
int		 bind_text(sqlite3_stmt *, int, const char *);
/* An allocated copy of a text column, NULL for NULL. */
char		*col_text(sqlite3_stmt *, int);

/* The users columns in the order user_row() reads them. */
#define USER_COLS "id, email, username, phone, password_hash, account_role, " \
	"account_subscription, subscription_expires_at, email_verified, " \
	"is_active, token_gen, created_at, updated_at, deleted_at"
/* Builds a user from a row selected with USER_COLS starting at column 0. */
struct user	*user_row(sqlite3_stmt *);
/*
 * Inside a session start's transaction (API or browser): deletes a batch
 * of dead sessions, then ends the user's oldest live sessions beyond
 * MAX_SESSIONS_PER_USER - 1, making room for the new one.  0 or <0.
 */
int		 session_make_room_tx(struct store *, const char *user_id,
		    int64_t now);
/* Moves the user's token generation on (inside a transaction): 1, 0 no such user, <0. */
int		 user_bump_gen_tx(struct store *, const char *user_id);
/* Revokes all sessions of a user and bumps the generation (inside a transaction). */
int		 user_revoke_all_tx(struct store *, const char *user_id);

#endif
