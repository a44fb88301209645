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
	Q_SESSION_USER,
	Q_LIST,
	Q_REVOKE_ONE,
	Q_PRUNE_SPENT,
	Q_PRUNE_EXPIRED,
	Q_PRUNE_REVOKED,
	Q_CAP,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	/* Q_SESSION_INSERT */
	"INSERT INTO sessions (id, user_id, created_at, last_used_at, "
	"expires_at, user_agent, ip) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
	/* Q_TOKEN_INSERT */
	"INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at) "
	"VALUES (?1, ?2, ?3, ?4)",
	/* Q_TOKEN_FIND: the token, its session and the session's user */
	"SELECT t.session_id, t.expires_at, t.spent_at, s.revoked_at, "
	"s.user_id FROM refresh_tokens t JOIN sessions s ON s.id = "
	"t.session_id WHERE t.hash = ?1",
	/* Q_TOKEN_SPEND */
	"UPDATE refresh_tokens SET spent_at = ?2 WHERE hash = ?1 AND "
	"spent_at IS NULL",
	/* Q_SESSION_TOUCH */
	"UPDATE sessions SET last_used_at = ?2, expires_at = ?3 WHERE id = ?1",
	/* Q_SESSION_REVOKE */
	"UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND "
	"revoked_at IS NULL",
	/* Q_SESSION_USER */
	"SELECT " USER_COLS " FROM users WHERE id = ?1",
	/* Q_LIST */
	"SELECT id, created_at, last_used_at, expires_at, user_agent, ip, "
	"kind FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND "
	"expires_at > ?2 ORDER BY created_at DESC, id",
	/* Q_REVOKE_ONE */
	"UPDATE sessions SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 "
	"AND revoked_at IS NULL AND expires_at > ?3",
	/* Q_PRUNE_SPENT: all spent tokens of a session but the newest ?2 */
	"DELETE FROM refresh_tokens WHERE session_id = ?1 AND spent_at IS NOT "
	"NULL AND hash NOT IN (SELECT hash FROM refresh_tokens WHERE "
	"session_id = ?1 AND spent_at IS NOT NULL ORDER BY spent_at DESC, "
	"created_at DESC LIMIT ?2)",
	/* Q_PRUNE_EXPIRED: a batch (sessions_expiry) */
	"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE "
	"expires_at <= ?1 LIMIT ?2)",
	/* Q_PRUNE_REVOKED: a batch (sessions_revoked) */
	"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE "
	"revoked_at IS NOT NULL LIMIT ?1)",
	/* Q_CAP: the user's live sessions but the newest ?3 */
	"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE "
	"user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 "
	"ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?3)",
};

struct tokrow {
	char	 sid[37];
	char	 uid[37];
	int64_t	 expires;
	int64_t	 spent;		/* 0 = not spent */
	int	 revoked;
};

static int
insert_token(struct store *st, const unsigned char hash[32], const char *sid,
    int64_t now, int64_t ttl)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_TOKEN_INSERT)) == NULL)
		return STORE_EDB;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	bind_text(s, 2, sid);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, now + ttl);
	return stmt_run(st, s, "insert refresh token");
}

int
session_make_room_tx(struct store *st, const char *uid, int64_t now)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_PRUNE_EXPIRED)) ==
	    NULL)
		return STORE_EDB;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, PRUNE_BATCH);
	if ((rc = stmt_run(st, s, "prune expired sessions")) < 0)
		return rc;
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_PRUNE_REVOKED)) ==
	    NULL)
		return STORE_EDB;
	sqlite3_bind_int(s, 1, PRUNE_BATCH);
	if ((rc = stmt_run(st, s, "prune revoked sessions")) < 0)
		return rc;
	if (cfg.max_sessions_user <= 0)
		return 0;
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_CAP)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, uid);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, cfg.max_sessions_user - 1);
	return stmt_run(st, s, "end the oldest sessions");
}

int
store_session_start(struct store *st, const char *uid, const char *ua,
    const char *ip, const unsigned char hash[32], int64_t ttl, char *sid)
{
	sqlite3_stmt	*s;
	int64_t		 now = now_s();
	int		 rc;

	uuid_v4(sid);
	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = session_make_room_tx(st, uid, now)) < 0)
		goto fail;
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_SESSION_INSERT)) ==
	    NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	bind_text(s, 1, sid);
	bind_text(s, 2, uid);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, now + ttl);
	bind_text(s, 5, ua);
	bind_text(s, 6, ip);
	if ((rc = stmt_run(st, s, "insert session")) < 0 ||
	    (rc = insert_token(st, hash, sid, now, ttl)) < 0)
		goto fail;
	if ((rc = tx_commit(st)) < 0)
		return rc;
	return 1;
fail:
	tx_rollback(st);
	return rc;
}

static int
find_token(struct store *st, const unsigned char hash[32], struct tokrow *t)
{
	sqlite3_stmt	*s;
	const char	*v;
	int		 rc;

	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_TOKEN_FIND)) == NULL)
		return STORE_EDB;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(s, 0);
		snprintf(t->sid, sizeof(t->sid), "%s", v ? v : "");
		t->expires = sqlite3_column_int64(s, 1);
		t->spent = sqlite3_column_int64(s, 2);
		t->revoked = sqlite3_column_type(s, 3) != SQLITE_NULL;
		v = (const char *)sqlite3_column_text(s, 4);
		snprintf(t->uid, sizeof(t->uid), "%s", v ? v : "");
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store_err(st, rc, "find refresh token");
	stmt_done(s);
	return rc;
}

static int
revoke_session(struct store *st, const char *sid, int64_t now)
{
	sqlite3_stmt	*s;

	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_SESSION_REVOKE)) ==
	    NULL)
		return STORE_EDB;
	bind_text(s, 1, sid);
	sqlite3_bind_int64(s, 2, now);
	return stmt_run(st, s, "revoke session");
}

int
store_session_rotate(struct store *st, const unsigned char old[32],
    const unsigned char new[32], int64_t ttl, int64_t grace, struct user **u,
    char *sid)
{
	sqlite3_stmt	*s;
	struct tokrow	 t;
	int64_t		 now = now_s();
	int		 rc;

	*u = NULL;
	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = find_token(st, old, &t)) <= 0)
		goto fail;
	if (t.spent != 0) {
		rc = 0;
		if (now - t.spent > grace && !t.revoked) {
			/* Reuse after the grace window: treat as theft. */
			log_warnx("refresh token reuse: session %s revoked",
			    t.sid);
			metrics_count(MET_REFRESH_REUSE);
			audit_event(AUDIT_SESSION_END, NULL, t.uid,
			    "reason=refresh_token_reuse");
			/*
			 * The thief may hold access tokens of this family;
			 * those without a sid claim (issued before tokens
			 * named their session) are not ended by the revoke,
			 * so the user's generation moves on too (other
			 * sessions refresh into new ones).
			 */
			if ((rc = revoke_session(st, t.sid, now)) < 0 ||
			    (rc = user_bump_gen_tx(st, t.uid)) < 0)
				goto fail;
			if ((rc = tx_commit(st)) < 0)
				return rc;
			return 0;
		}
		goto fail;
	}
	if (t.revoked || t.expires <= now) {
		rc = 0;
		goto fail;
	}
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_SESSION_USER)) ==
	    NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	bind_text(s, 1, t.uid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*u = user_row(s);
	stmt_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = store_err(st, rc, "session user");
		goto fail;
	}
	if (*u == NULL || !(*u)->is_active || (*u)->deleted_at != 0) {
		rc = 0;
		goto fail;
	}
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_TOKEN_SPEND)) == NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	sqlite3_bind_blob(s, 1, old, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now);
	if ((rc = stmt_run(st, s, "spend refresh token")) < 0)
		goto fail;
	if ((rc = insert_token(st, new, t.sid, now, ttl)) < 0)
		goto fail;
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_PRUNE_SPENT)) ==
	    NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	bind_text(s, 1, t.sid);
	sqlite3_bind_int(s, 2, SPENT_KEEP);
	if ((rc = stmt_run(st, s, "prune spent refresh tokens")) < 0)
		goto fail;
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_SESSION_TOUCH)) ==
	    NULL) {
		rc = STORE_EDB;
		goto fail;
	}
	bind_text(s, 1, t.sid);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, now + ttl);
	if ((rc = stmt_run(st, s, "touch session")) < 0)
		goto fail;
	if ((rc = tx_commit(st)) < 0)
		goto out;
	if (sid != NULL)
		memcpy(sid, t.sid, sizeof(t.sid));
	return 1;
fail:
	tx_rollback(st);
out:
	user_free(*u);
	*u = NULL;
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
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = find_token(st, hash, &t)) <= 0)
		goto fail;
	/* A spent or expired token no longer speaks for its session. */
	if (t.revoked || t.spent != 0 || t.expires <= now_s()) {
		rc = 0;
		goto fail;
	}
	if (all)
		rc = user_revoke_all_tx(st, t.uid);
	else
		rc = revoke_session(st, t.sid, now_s());
	if (rc < 0)
		goto fail;
	if ((rc = tx_commit(st)) < 0)
		return rc;
	if (uid != NULL)
		memcpy(uid, t.uid, sizeof(t.uid));
	return 1;
fail:
	tx_rollback(st);
	return rc;
}

int
store_sessions_list(struct store *st, const char *uid, struct json_object **out)
{
	sqlite3_stmt		*s;
	struct json_object	*a, *o;
	char			 ts[21];
	const char		*v;
	int			 rc, i;

	*out = NULL;
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_LIST)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, uid);
	sqlite3_bind_int64(s, 2, now_s());
	a = json_object_new_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		o = json_object_new_object();
		v = (const char *)sqlite3_column_text(s, 0);
		json_object_object_add(o, "id", json_object_new_string(v ? v :
		    ""));
		for (i = 1; i <= 3; i++) {
			rfc3339(sqlite3_column_int64(s, i), ts);
			json_object_object_add(o, i == 1 ? "created_at" :
			    i == 2 ? "last_used_at" : "expires_at",
			    json_object_new_string(ts));
		}
		for (i = 4; i <= 5; i++) {
			v = (const char *)sqlite3_column_text(s, i);
			json_object_object_add(o, i == 4 ? "user_agent" : "ip",
			    v ? json_object_new_string(v) : NULL);
		}
		v = (const char *)sqlite3_column_text(s, 6);
		json_object_object_add(o, "kind", json_object_new_string(v ? v :
		    "api"));
		json_object_array_add(a, o);
	}
	stmt_done(s);
	if (rc != SQLITE_DONE) {
		json_object_put(a);
		return store_err(st, rc, "list sessions");
	}
	*out = a;
	return 1;
}

int
store_session_revoke(struct store *st, const char *uid, const char *sid)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((s = stmt_get(st, MOD_SESSION, sql, Q__MAX, Q_REVOKE_ONE)) == NULL) {
		tx_rollback(st);
		return STORE_EDB;
	}
	bind_text(s, 1, sid);
	bind_text(s, 2, uid);
	sqlite3_bind_int64(s, 3, now_s());
	if ((rc = stmt_run(st, s, "revoke one session")) < 0) {
		tx_rollback(st);
		return rc;
	}
	rc = sqlite3_changes(st->db) > 0;
	if (tx_commit(st) < 0)
		return STORE_EDB;
	return rc;
}
