/*
 * Sessions (token families) and their refresh tokens.
 *
 * The tables stay bounded whatever a client does: each rotation deletes
 * the session's spent tokens but the newest SPENT_KEEP (a spent token
 * is kept only to recognise its reuse; one deleted is refused as
 * unknown, the same 401), each session start deletes a batch of dead
 * sessions (past their expiry or revoked, their tokens with them), and a
 * user holds at most MAX_SESSIONS_PER_USER live sessions: a new one ends
 * the oldest.  So one user's rows are at most MAX_SESSIONS_PER_USER
 * sessions of 1 + SPENT_KEEP tokens each, plus dead ones awaiting their
 * batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "store_int.h"

/* Spent refresh tokens kept per session, for reuse detection. */
#define SPENT_KEEP	16
/* Dead sessions deleted per session start. */
#define PRUNE_BATCH	32

enum {
	Q_SESSION_INSERT,
	Q_TOKEN_INSERT,
	Q_TOKEN_FIND,
	Q_TOKEN_SPEND,
	Q_SESSION_TOUCH,
	Q_SESSION_REVOKE,
	Q_LIST,
	Q_REVOKE_ONE,
	Q_PRUNE_SPENT,
	Q_PRUNE_EXPIRED,
	Q_PRUNE_REVOKED,
	Q_CAP,
	Q__MAX
};

static const struct sqlq sql[Q__MAX] = {
	/* Q_SESSION_INSERT: an API session, or a browser one with its cookie */
	{ "INSERT INTO sessions (id, user_id, created_at, last_used_at, "
	  "expires_at, user_agent, ip, kind, cookie_hash) VALUES (?1, ?2, ?3, "
	  "?3, ?4, ?5, ?6, ?7, ?8)", NULL },
	/* Q_TOKEN_INSERT */
	{ "INSERT INTO refresh_tokens (hash, session_id, created_at, "
	  "expires_at) VALUES (?1, ?2, ?3, ?4)", NULL },
	/* Q_TOKEN_FIND: the token, its session and the session's user */
	{ "SELECT t.session_id, t.expires_at, t.spent_at, s.revoked_at, "
	  "s.user_id FROM refresh_tokens t JOIN sessions s ON s.id = "
	  "t.session_id WHERE t.hash = ?1", NULL },
	/* Q_TOKEN_SPEND */
	{ "UPDATE refresh_tokens SET spent_at = ?2 WHERE hash = ?1 AND "
	  "spent_at IS NULL", NULL },
	/* Q_SESSION_TOUCH */
	{ "UPDATE sessions SET last_used_at = ?2, expires_at = ?3 WHERE "
	  "id = ?1", NULL },
	/* Q_SESSION_REVOKE */
	{ "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND "
	  "revoked_at IS NULL", NULL },
	/* Q_LIST */
	{ "SELECT id, created_at, last_used_at, expires_at, user_agent, ip, "
	  "kind FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND "
	  "expires_at > ?2 ORDER BY created_at DESC, id", NULL },
	/* Q_REVOKE_ONE */
	{ "UPDATE sessions SET revoked_at = ?3 WHERE id = ?1 AND "
	  "user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3", NULL },
	/* Q_PRUNE_SPENT: all spent tokens of a session but the newest ?2 */
	{ "DELETE FROM refresh_tokens WHERE session_id = ?1 AND spent_at IS "
	  "NOT NULL AND hash NOT IN (SELECT hash FROM refresh_tokens WHERE "
	  "session_id = ?1 AND spent_at IS NOT NULL ORDER BY spent_at DESC, "
	  "created_at DESC LIMIT ?2)", NULL },
	/* Q_PRUNE_EXPIRED: a batch (sessions_expiry) */
	{ "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE "
	  "expires_at <= ?1 LIMIT ?2)", NULL },
	/* Q_PRUNE_REVOKED: a batch (sessions_revoked) */
	{ "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE "
	  "revoked_at IS NOT NULL LIMIT ?1)", NULL },
	/*
	 * Q_CAP: the user's live sessions but the newest ?3 (the rowid
	 * orders two started within one second)
	 */
	{ "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE "
	  "user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 "
	  "ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?3)",
	  /* no limit: PostgreSQL's LIMIT ALL */
	  "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE "
	  "user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 "
	  "ORDER BY created_at DESC, rowid DESC LIMIT ALL OFFSET ?3)" },
};

struct tokrow {
	char	 sid[37];
	char	 uid[37];
	int64_t	 expires;
	int64_t	 spent;		/* 0 = not spent */
	int	 revoked;
};

/* The statement q of this file, with its first parameter bound. */
static struct drv_stmt *
stmt1(struct store *st, size_t q, const char *v)
{
	return stmt_get1(st, MOD_SESSION, sql, Q__MAX, q, v);
}

/* The statement q of this file, with its first parameter bound to a hash. */
static struct drv_stmt *
stmt1_hash(struct store *st, size_t q, const unsigned char hash[32])
{
	struct drv_stmt	*s;

	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, q)) != NULL)
		drv_bind_blob(s, 1, hash, 32);
	return s;
}

static int
insert_token(struct store *st, const unsigned char hash[32], const char *sid,
    int64_t now, int64_t ttl)
{
	struct drv_stmt	*s;

	if ((s = stmt1_hash(st, Q_TOKEN_INSERT, hash)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, sid);
	drv_bind_int64(s, 3, now);
	drv_bind_int64(s, 4, now + ttl);
	return stmt_run(s);
}

/*
 * Deletes a batch of dead sessions, then ends the user's oldest live
 * sessions beyond MAX_SESSIONS_PER_USER - 1.  0 or <0.
 */
static int
make_room_tx(struct store *st, const char *uid, int64_t now)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_PRUNE_EXPIRED)) ==
	    NULL)
		return STORE_EDB;
	drv_bind_int64(s, 1, now);
	drv_bind_int64(s, 2, PRUNE_BATCH);
	if ((rc = stmt_run(s)) < 0)
		return rc;
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_PRUNE_REVOKED)) ==
	    NULL)
		return STORE_EDB;
	drv_bind_int64(s, 1, PRUNE_BATCH);
	if ((rc = stmt_run(s)) < 0)
		return rc;
	if (st->cfg->max_sessions_user <= 0)
		return 0;
	if ((s = stmt1(st, Q_CAP, uid)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, now);
	drv_bind_int64(s, 3, st->cfg->max_sessions_user - 1);
	return (rc = stmt_run(s)) < 0 ? rc : 0;
}

int
session_insert_tx(struct store *st, const char *uid, const char *ua,
    const char *ip, int64_t now, int64_t expires, const char *kind,
    const unsigned char *cookie, char *sid)
{
	struct drv_stmt	*s;
	int		 rc;

	uuid_v4(sid);
	if ((rc = make_room_tx(st, uid, now)) < 0)
		return rc;
	if ((s = stmt1(st, Q_SESSION_INSERT, sid)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, uid);
	drv_bind_int64(s, 3, now);
	drv_bind_int64(s, 4, expires);
	drv_bind_text(s, 5, ua);
	drv_bind_text(s, 6, ip);
	drv_bind_text(s, 7, kind);
	if (cookie != NULL)
		drv_bind_blob(s, 8, cookie, 32);
	else
		drv_bind_null(s, 8);
	return (rc = stmt_run(s)) < 0 ? rc : 0;
}

int
store_session_start(struct store *st, const char *uid, const char *ua,
    const char *ip, const unsigned char hash[32], int64_t ttl, char *sid)
{
	int64_t	now = now_s();
	int	rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = session_insert_tx(st, uid, ua, ip, now, now + ttl, "api",
	    NULL, sid)) < 0 ||
	    (rc = insert_token(st, hash, sid, now, ttl)) < 0 ||
	    (rc = tx_commit(st)) < 0)
		goto done;
	rc = 1;
done:
	tx_rollback(st);
	return rc;
}

static int
find_token(struct store *st, const unsigned char hash[32], struct tokrow *t)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = stmt1_hash(st, Q_TOKEN_FIND, hash)) == NULL)
		return STORE_EDB;
	if ((rc = drv_step(s)) == DRV_ROW) {
		col_copy(s, 0, t->sid, sizeof(t->sid));
		t->expires = drv_col_int64(s, 1);
		t->spent = drv_col_int64(s, 2);
		t->revoked = !drv_col_null(s, 3);
		col_copy(s, 4, t->uid, sizeof(t->uid));
		rc = 1;
	}
	drv_reset(s);
	return rc;
}

static int
revoke_session(struct store *st, const char *sid, int64_t now)
{
	struct drv_stmt	*s;

	if ((s = stmt1(st, Q_SESSION_REVOKE, sid)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, now);
	return stmt_run(s);
}

/*
 * A spent token presented again (inside the rotation's transaction): past
 * the grace window, and its session still live, it is taken for theft
 * and the session revoked.  0 or <0.
 */
static int
reused(struct store *st, const struct tokrow *t, int64_t now, int64_t grace)
{
	int	rc;

	if (now - t->spent <= grace || t->revoked)
		return 0;
	log_warnx("refresh token reuse: session %s revoked", t->sid);
	metrics_count(MET_REFRESH_REUSE);
	audit_event(AUDIT_SESSION_END, NULL, t->uid,
	    "reason=refresh_token_reuse");
	/*
	 * The thief may hold access tokens of this family; those without a
	 * sid claim (issued before tokens named their session) are not
	 * ended by the revoke, so the user's generation moves on too (other
	 * sessions refresh into new ones).
	 */
	if ((rc = revoke_session(st, t->sid, now)) < 0 ||
	    (rc = user_bump_gen_tx(st, t->uid)) < 0 ||
	    (rc = tx_commit(st)) < 0)
		return rc;
	return 0;
}

/* Spends the old token, stores the new one, prunes and touches the session. */
static int
rotate_tx(struct store *st, const struct tokrow *t, const unsigned char
    old[32], const unsigned char new[32], int64_t now, int64_t ttl)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = stmt1_hash(st, Q_TOKEN_SPEND, old)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, now);
	if ((rc = stmt_run(s)) < 0 ||
	    (rc = insert_token(st, new, t->sid, now, ttl)) < 0)
		return rc;
	if ((s = stmt1(st, Q_PRUNE_SPENT, t->sid)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, SPENT_KEEP);
	if ((rc = stmt_run(s)) < 0)
		return rc;
	if ((s = stmt1(st, Q_SESSION_TOUCH, t->sid)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, now);
	drv_bind_int64(s, 3, now + ttl);
	return stmt_run(s);
}

int
store_session_rotate(struct store *st, const unsigned char old[32],
    const unsigned char new[32], int64_t ttl, int64_t grace, struct user **u,
    char *sid)
{
	struct tokrow	 t;
	int64_t		 now = now_s();
	int		 rc;

	*u = NULL;
	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = find_token(st, old, &t)) <= 0)
		goto done;
	if (t.spent != 0) {
		rc = reused(st, &t, now, grace);
		goto done;
	}
	if (t.revoked || t.expires <= now) {
		rc = 0;
		goto done;
	}
	if ((rc = store_user_by_id(st, t.uid, u)) <= 0)
		goto done;
	if (!(*u)->is_active || (*u)->deleted_at != 0) {
		rc = 0;
		goto done;
	}
	if ((rc = rotate_tx(st, &t, old, new, now, ttl)) < 0 ||
	    (rc = tx_commit(st)) < 0)
		goto done;
	if (sid != NULL)
		memcpy(sid, t.sid, sizeof(t.sid));
	rc = 1;
done:
	tx_rollback(st);
	if (rc != 1) {
		user_free(*u);
		*u = NULL;
	}
	return rc;
}

int
store_session_logout(struct store *st, const unsigned char hash[32], int all)
{
	return store_session_logout_uid(st, hash, all, NULL);
}

int
store_session_logout_uid(struct store *st, const unsigned char hash[32],
    int all, char *uid)
{
	struct tokrow	 t;
	int64_t		 now = now_s();
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = find_token(st, hash, &t)) <= 0)
		goto done;
	/* A spent or expired token no longer speaks for its session. */
	if (t.revoked || t.spent != 0 || t.expires <= now) {
		rc = 0;
		goto done;
	}
	if (all)
		rc = user_revoke_all_tx(st, t.uid);
	else
		rc = revoke_session(st, t.sid, now);
	if (rc < 0 || (rc = tx_commit(st)) < 0)
		goto done;
	if (uid != NULL)
		memcpy(uid, t.uid, sizeof(t.uid));
	rc = 1;
done:
	tx_rollback(st);
	return rc;
}

/* One row of Q_LIST as the JSON object of GET /users/me/sessions. */
static struct json_object *
session_json(struct drv_stmt *s)
{
	static const char *const times[] = {
		"created_at", "last_used_at", "expires_at"
	};
	struct json_object	*o = json_object_new_object();
	char			 ts[21];
	const char		*v;
	int			 i;

	v = drv_col_text(s, 0);
	json_object_object_add(o, "id", json_object_new_string(v ? v : ""));
	for (i = 0; i < 3; i++) {
		rfc3339(drv_col_int64(s, i + 1), ts);
		json_object_object_add(o, times[i], json_object_new_string(ts));
	}
	v = drv_col_text(s, 4);
	json_object_object_add(o, "user_agent", v ? json_object_new_string(v) :
	    NULL);
	v = drv_col_text(s, 5);
	json_object_object_add(o, "ip", v ? json_object_new_string(v) : NULL);
	v = drv_col_text(s, 6);
	json_object_object_add(o, "kind", json_object_new_string(v ? v :
	    "api"));
	return o;
}

int
store_sessions_list(struct store *st, const char *uid, struct json_object **out)
{
	struct drv_stmt		*s;
	struct json_object	*a;
	int			 rc;

	*out = NULL;
	if ((s = stmt1(st, Q_LIST, uid)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, now_s());
	a = json_object_new_array();
	while ((rc = drv_step(s)) == DRV_ROW)
		json_object_array_add(a, session_json(s));
	drv_reset(s);
	if (rc < 0) {
		json_object_put(a);
		return rc;
	}
	*out = a;
	return 1;
}

int
store_session_revoke(struct store *st, const char *uid, const char *sid)
{
	struct drv_stmt	*s;

	if ((s = stmt1(st, Q_REVOKE_ONE, sid)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, uid);
	drv_bind_int64(s, 3, now_s());
	return stmt_run(s);
}
