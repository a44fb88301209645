/*
 * Browser sessions (SPEC §9): rows of the sessions table with kind
 * 'browser', found by the SHA-256 of their cookie.  Their expires_at is
 * the earlier of "last use + idle" and "start + max"; it moves on when
 * the last use is written, which the caller does at most once a minute,
 * so a lookup is one indexed read and no write, and none at all while
 * the memo (memo.c) holds the answer of this second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "store_int.h"

enum {
	Q_FIND,
	Q_TOUCH,
	Q_END,
	Q__MAX
};

static const struct sqlq sql[Q__MAX] = {
	/*
	 * Q_FIND: the session's columns are renamed in a subquery so that
	 * USER_COLS stays unambiguous; SQLite flattens it into one lookup
	 * of the sessions_cookie index and one of the users primary key.
	 */
	{ "SELECT " USER_COLS ", sid, screated, sused, sexpires FROM users "
	  "JOIN (SELECT id AS sid, user_id AS suid, created_at AS screated, "
	  "last_used_at AS sused, expires_at AS sexpires FROM sessions WHERE "
	  "cookie_hash = ?1 AND kind = 'browser' AND revoked_at IS NULL AND "
	  "expires_at > ?2) AS bs ON users.id = bs.suid", NULL },
	/* Q_TOUCH */
	{ "UPDATE sessions SET last_used_at = ?2, expires_at = ?3 WHERE "
	  "id = ?1 AND revoked_at IS NULL", NULL },
	/* Q_END */
	{ "UPDATE sessions SET revoked_at = ?2 WHERE cookie_hash = ?1 AND "
	  "revoked_at IS NULL", NULL },
};

int
store_browser_start(struct store *st, const char *uid, const char *ua,
    const char *ip, const unsigned char hash[32], int64_t idle, int64_t max,
    char *sid)
{
	int64_t	now = now_s();
	int	rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	/* Browser sessions count towards MAX_SESSIONS_PER_USER too. */
	if ((rc = session_insert_tx(st, uid, ua, ip, now, now + (idle < max ?
	    idle : max), "browser", hash, sid)) < 0 ||
	    (rc = tx_commit(st)) < 0)
		goto done;
	rc = 1;
done:
	tx_rollback(st);
	return rc;
}

/*
 * The lookup of every request with a cookie: through the memo (memo.c),
 * keyed by "B" and the cookie's hash, like the token check's read.
 */
int
store_browser_find(struct store *st, const unsigned char hash[32],
    int64_t now, struct bsession *b, struct user **u)
{
	unsigned char	 mark[DRV_MARK_LEN], key[33];
	struct memo	*m;
	struct drv_stmt	*s;
	int		 rc, hit;

	*u = NULL;
	key[0] = 'B';
	memcpy(key + 1, hash, 32);
	/* The mark first: the read below is at least as new as it. */
	m = memo_get(st, key, sizeof(key), now, mark, &hit);
	if (hit) {
		if (m->u == NULL)
			return 0;
		*u = user_dup(m->u);
		*b = m->b;
		return 1;
	}
	if ((s = stmt_get(st, MOD_BROWSER, sql, Q__MAX, Q_FIND)) == NULL)
		return STORE_EDB;
	drv_bind_blob(s, 1, hash, 32);
	drv_bind_int64(s, 2, now);
	if ((rc = drv_step(s)) == DRV_ROW) {
		*u = user_row(s);
		col_copy(s, USER_NCOLS, b->id, sizeof(b->id));
		b->created_at = drv_col_int64(s, USER_NCOLS + 1);
		b->last_used_at = drv_col_int64(s, USER_NCOLS + 2);
		b->expires_at = drv_col_int64(s, USER_NCOLS + 3);
		rc = 1;
	}
	drv_reset(s);
	if (m != NULL && rc >= 0) {
		memo_put(m, key, sizeof(key), now, mark, *u);
		if (rc == 1)
			m->b = *b;
	}
	return rc;
}

int
store_browser_touch(struct store *st, const char *sid, int64_t now,
    int64_t expires)
{
	struct drv_stmt	*s;

	if ((s = stmt_get(st, MOD_BROWSER, sql, Q__MAX, Q_TOUCH)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 1, sid);
	drv_bind_int64(s, 2, now);
	drv_bind_int64(s, 3, expires);
	return stmt_run(s);
}

int
store_browser_end(struct store *st, const unsigned char hash[32])
{
	struct drv_stmt	*s;

	if ((s = stmt_get(st, MOD_BROWSER, sql, Q__MAX, Q_END)) == NULL)
		return STORE_EDB;
	drv_bind_blob(s, 1, hash, 32);
	drv_bind_int64(s, 2, now_s());
	return stmt_run(s);
}
