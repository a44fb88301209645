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
	Q_DECOY_INSERT,
	Q_DECOY_DELETE,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	/* Q_INSERT */
	"INSERT INTO user_tokens (hash, user_id, kind, created_at, expires_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5)",
	/* Q_PRUNE_USER: spent or expired, and older than every count window */
	"DELETE FROM user_tokens WHERE user_id = ?1 AND created_at < ?2 AND "
	"(used_at IS NOT NULL OR expires_at <= ?3)",
	/* Q_FIND: a live token of a kind, and its active user */
	"SELECT t.user_id FROM user_tokens t JOIN users u ON u.id = t.user_id "
	"WHERE t.hash = ?1 AND t.kind = ?2 AND t.used_at IS NULL AND "
	"t.expires_at > ?3 AND u.is_active = 1 AND u.deleted_at IS NULL",
	/* Q_USE_ALL: the token presented and every other live one of its kind */
	"UPDATE user_tokens SET used_at = ?3 WHERE user_id = ?1 AND kind = ?2 "
	"AND used_at IS NULL",
	/*
	 * Q_SET_PASSWORD: following a link from the mailbox also proves the
	 * address, so a reset verifies the email as well.
	 */
	"UPDATE users SET password_hash = ?2, email_verified = 1, "
	"updated_at = ?3 WHERE id = ?1",
	/* Q_VERIFY */
	"UPDATE users SET email_verified = 1, updated_at = ?2 WHERE id = ?1",
	/* Q_COUNT */
	"SELECT count(*) FROM user_tokens WHERE user_id = ?1 AND kind = ?2 "
	"AND created_at >= ?3",
	/* Q_DECOY_INSERT: a row that lives only inside the decoy transaction */
	"INSERT INTO throttle_events (bucket, key, at) VALUES ('decoy', '', ?1)",
	/* Q_DECOY_DELETE */
	"DELETE FROM throttle_events WHERE rowid = last_insert_rowid()",
};

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
	sqlite3_stmt	*s;
	int64_t		 now = now_s();
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_PRUNE_USER)) == NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	bind_text(s, 1, uid);
	sqlite3_bind_int64(s, 2, now - KEEP_SECONDS);
	sqlite3_bind_int64(s, 3, now);
	if ((rc = stmt_run(st, s, sql[Q_PRUNE_USER])) < 0)
		goto fail;
	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_INSERT)) == NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	bind_text(s, 2, uid);
	bind_text(s, 3, kind);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, now + ttl);
	if ((rc = stmt_run(st, s, sql[Q_INSERT])) < 0)
		goto fail;
	if ((rc = tx_commit(st)) < 0)
		return rc;
	return 1;
fail:
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
	sqlite3_stmt	*s;
	const char	*v;
	int		 rc;

	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_FIND)) == NULL)
		return STORE_EDB;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	bind_text(s, 2, kind);
	sqlite3_bind_int64(s, 3, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(s, 0);
		snprintf(uid, 37, "%s", v != NULL ? v : "");
	}
	stmt_done(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return store_err(st, rc, "find mail token");
	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_USE_ALL)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, uid);
	bind_text(s, 2, kind);
	sqlite3_bind_int64(s, 3, now);
	if ((rc = stmt_run(st, s, sql[Q_USE_ALL])) < 0)
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
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_FIND)) == NULL)
		return STORE_EDB;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	bind_text(s, 2, kind);
	sqlite3_bind_int64(s, 3, now_s());
	rc = sqlite3_step(s);
	stmt_done(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_err(st, rc, "find mail token");
}

/*
 * Resets a password with a reset token, all in one BEGIN IMMEDIATE: the
 * token is spent and the user's other reset tokens voided, the new hash
 * set (which also marks the email verified), every session revoked and
 * the token generation incremented.  Returns 1 done, 0 when the token is
 * unknown, used or expired or its user inactive or deleted, <0 error
 * (nothing changed).
 */
int
store_token_reset_password(struct store *st, const unsigned char hash[32],
    const char *pwhash, char *user_id)
{
	sqlite3_stmt	*s;
	char		 uid[37];
	int64_t		 now = now_s();
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = spend(st, hash, "reset", now, uid)) <= 0)
		goto fail;
	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_SET_PASSWORD)) ==
	    NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	bind_text(s, 1, uid);
	bind_text(s, 2, pwhash);
	sqlite3_bind_int64(s, 3, now);
	if ((rc = stmt_run(st, s, sql[Q_SET_PASSWORD])) < 0 ||
	    (rc = user_revoke_all_tx(st, uid)) < 0)
		goto fail;
	if ((rc = tx_commit(st)) < 0)
		return rc;
	if (user_id != NULL)
		memcpy(user_id, uid, sizeof(uid));
	return 1;
fail:
	tx_rollback(st);
	return rc;
}

/*
 * Verifies an email with a verify token in one transaction: the token
 * and the user's other verify tokens are spent, email_verified set.
 * Returns 1 done, 0 when the token is unknown, used or expired or its
 * user inactive or deleted, <0 error.
 */
int
store_token_verify_email(struct store *st, const unsigned char hash[32])
{
	sqlite3_stmt	*s;
	char		 uid[37];
	int64_t		 now = now_s();
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = spend(st, hash, "verify", now, uid)) <= 0)
		goto fail;
	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_VERIFY)) == NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	bind_text(s, 1, uid);
	sqlite3_bind_int64(s, 2, now);
	if ((rc = stmt_run(st, s, sql[Q_VERIFY])) < 0)
		goto fail;
	if ((rc = tx_commit(st)) < 0)
		return rc;
	return 1;
fail:
	tx_rollback(st);
	return rc;
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
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_COUNT)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, uid);
	bind_text(s, 2, kind);
	sqlite3_bind_int64(s, 3, since);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = sqlite3_column_int(s, 0);
	else
		rc = store_err(st, rc, "count mail tokens");
	stmt_done(s);
	return rc;
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
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_DECOY_INSERT)) == NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	sqlite3_bind_int64(s, 1, now_s());
	if ((rc = stmt_run(st, s, sql[Q_DECOY_INSERT])) < 0)
		goto fail;
	if ((s = stmt_get(st, MOD_TOKEN, sql, Q__MAX, Q_DECOY_DELETE)) == NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	if ((rc = stmt_run(st, s, sql[Q_DECOY_DELETE])) < 0)
		goto fail;
	if ((rc = tx_commit(st)) < 0)
		return rc;
	return 1;
fail:
	tx_rollback(st);
	return rc;
}
