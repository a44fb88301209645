/*
 * Single-use tokens sent by mail: password reset and email verification.
 *
 * Only the SHA-256 of a token is stored.  A token is good while it is
 * unused, unexpired and its user is active; using it marks it (used_at)
 * rather than deleting it, so the rows also serve as the per-account
 * count of mails sent (store_token_count_since).  Rows that no count
 * window can see any more are pruned per user whenever that user gets a
 * new token, which bounds the table without any global housekeeping.
 */
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "store_int.h"

/* Rows younger than this are kept for store_token_count_since(). */
#define KEEP_SECONDS	86400

enum {
	Q_INSERT,
	Q_PRUNE_USER,
	Q_FIND,
	Q_USE_ALL,
	Q_SET_PASSWORD,
	Q_VERIFY,
	Q_COUNT,
	Q__MAX
};

static const struct sqlq sql[Q__MAX] = {
	/* Q_INSERT */
	{ "INSERT INTO user_tokens (hash, user_id, kind, created_at, "
	  "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)", NULL },
	/* Q_PRUNE_USER: spent or expired, and older than every count window */
	{ "DELETE FROM user_tokens WHERE user_id = ?1 AND created_at < ?2 AND "
	  "(used_at IS NOT NULL OR expires_at <= ?3)", NULL },
	/* Q_FIND: a live token of a kind, and its active user */
	{ "SELECT t.user_id FROM user_tokens t JOIN users u ON u.id = "
	  "t.user_id WHERE t.hash = ?1 AND t.kind = ?2 AND t.used_at IS NULL "
	  "AND t.expires_at > ?3 AND u.is_active = 1 AND u.deleted_at IS NULL",
	  NULL },
	/* Q_USE_ALL: the token presented and every other live one of its kind */
	{ "UPDATE user_tokens SET used_at = ?3 WHERE user_id = ?1 AND "
	  "kind = ?2 AND used_at IS NULL", NULL },
	/*
	 * Q_SET_PASSWORD: following a link from the mailbox also proves the
	 * address, so a reset verifies the email as well.
	 */
	{ "UPDATE users SET password_hash = ?2, email_verified = 1, "
	  "updated_at = ?3 WHERE id = ?1", NULL },
	/* Q_VERIFY */
	{ "UPDATE users SET email_verified = 1, updated_at = ?2 WHERE id = ?1",
	  NULL },
	/* Q_COUNT */
	{ "SELECT count(*) FROM user_tokens WHERE user_id = ?1 AND kind = ?2 "
	  "AND created_at >= ?3", NULL },
};

/* The statement q of this file, with its first parameter bound. */
static struct drv_stmt *
stmt1(struct store *st, size_t q, const char *v)
{
	return stmt_get1(st, MOD_TOKEN, sql, Q__MAX, q, v);
}

/* Q_FIND bound: a live token of kind with this hash at now. */
static struct drv_stmt *
find(struct store *st, const unsigned char hash[32], const char *kind,
    int64_t now)
{
	struct drv_stmt	*s;

	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_FIND)) == NULL)
		return NULL;
	drv_bind_blob(s, 1, hash, 32);
	drv_bind_text(s, 2, kind);
	drv_bind_int64(s, 3, now);
	return s;
}

/*
 * Stores the hash of a new token of kind ("reset" or "verify") for a
 * user, valid for ttl seconds, and prunes that user's dead rows older
 * than a day, in one transaction.  Returns 1, or <0 on a database
 * failure (nothing stored).
 */
int
store_token_create(struct store *st, const char *uid, const char *kind,
    const unsigned char hash[32], int64_t ttl)
{
	struct drv_stmt	*s;
	int64_t		 now = now_s();
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((s = stmt1(st, Q_PRUNE_USER, uid)) == NULL) {
		rc = STORE_EDB;
		goto done;
	}
	drv_bind_int64(s, 2, now - KEEP_SECONDS);
	drv_bind_int64(s, 3, now);
	if ((rc = stmt_run(s)) < 0)
		goto done;
	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_INSERT)) == NULL) {
		rc = STORE_EDB;
		goto done;
	}
	drv_bind_blob(s, 1, hash, 32);
	drv_bind_text(s, 2, uid);
	drv_bind_text(s, 3, kind);
	drv_bind_int64(s, 4, now);
	drv_bind_int64(s, 5, now + ttl);
	if ((rc = stmt_run(s)) < 0 || (rc = tx_commit(st)) < 0)
		goto done;
	rc = 1;
done:
	tx_rollback(st);
	return rc;
}

/*
 * Inside a transaction: finds the live token of kind with this hash and
 * spends it together with every other live token of the same kind of
 * its user.  Returns 1 with the user id in uid, 0 when there is no such
 * live token, <0 on error.
 */
static int
spend(struct store *st, const unsigned char hash[32], const char *kind,
    int64_t now, char uid[37])
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = find(st, hash, kind, now)) == NULL)
		return STORE_EDB;
	if ((rc = drv_step(s)) == DRV_ROW)
		col_copy(s, 0, uid, 37);
	drv_reset(s);
	if (rc != DRV_ROW)
		return rc;
	if ((s = stmt1(st, Q_USE_ALL, uid)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, kind);
	drv_bind_int64(s, 3, now);
	if ((rc = stmt_run(s)) < 0)
		return rc;
	return 1;
}

/*
 * Whether hash is a live token of kind (unused, unexpired, its user
 * active): 1, 0 not, <0 error.  A read only: the caller acts on it in a
 * transaction that checks again.
 */
int
store_token_live(struct store *st, const unsigned char hash[32],
    const char *kind)
{
	struct drv_stmt	*s;

	if ((s = find(st, hash, kind, now_s())) == NULL)
		return STORE_EDB;
	return stmt_int64(s, NULL);
}

/*
 * Uses a token of kind in one transaction: the token and the user's
 * other tokens of that kind are spent, then with a new password hash
 * (a reset) the hash is set, which also marks the email verified, every
 * session revoked and the token generation incremented; without one (a
 * verification) the email is marked verified.  1 done (the user's id in
 * user_id when not NULL), 0 when the token is unknown, used or expired
 * or its user inactive or deleted, <0 error (nothing changed).
 */
static int
use_token(struct store *st, const unsigned char hash[32], const char *kind,
    const char *pwhash, char *user_id)
{
	struct drv_stmt	*s;
	char		 uid[37];
	int64_t		 now = now_s();
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = spend(st, hash, kind, now, uid)) <= 0)
		goto done;
	if ((s = stmt1(st, pwhash != NULL ? Q_SET_PASSWORD : Q_VERIFY,
	    uid)) == NULL) {
		rc = STORE_EDB;
		goto done;
	}
	if (pwhash != NULL)
		drv_bind_text(s, 2, pwhash);
	drv_bind_int64(s, pwhash != NULL ? 3 : 2, now);
	if ((rc = stmt_run(s)) < 0 || (pwhash != NULL &&
	    (rc = user_revoke_all_tx(st, uid)) < 0) ||
	    (rc = tx_commit(st)) < 0)
		goto done;
	if (user_id != NULL)
		memcpy(user_id, uid, sizeof(uid));
	rc = 1;
done:
	tx_rollback(st);
	return rc;
}

int
store_token_reset_password(struct store *st, const unsigned char hash[32],
    const char *pwhash, char *user_id)
{
	return use_token(st, hash, "reset", pwhash, user_id);
}

int
store_token_verify_email(struct store *st, const unsigned char hash[32])
{
	return use_token(st, hash, "verify", NULL, NULL);
}

/*
 * Counts the tokens of kind created for a user at or after since, used
 * or not: the number of mails of that kind sent to the account.  Rows
 * are kept for a day, so any window up to that is exact.  Returns the
 * count, or <0 on error.
 */
int
store_token_count_since(struct store *st, const char *uid, const char *kind,
    int64_t since)
{
	struct drv_stmt	*s;
	int64_t		 n = 0;
	int		 rc;

	if ((s = stmt1(st, Q_COUNT, uid)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, kind);
	drv_bind_int64(s, 3, since);
	if ((rc = stmt_int64(s, &n)) < 0)
		return rc;
	return n > 1000000000 ? 1000000000 : (int)n;
}

/*
 * The work of store_token_create() without its effect: a write
 * transaction that inserts a row and deletes it again before committing,
 * so the database does what a real token costs.  For the answers that
 * must not reveal whether an account exists.  Returns 1 or <0.
 */
int
store_token_decoy(struct store *st)
{
	return write_undone(st, "decoy", now_s());
}
