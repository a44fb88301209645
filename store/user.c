/*
 * Users: creation, lookups, password changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "store_int.h"

enum {
	Q_INSERT,
	Q_BY_ID,
	Q_BY_ID_SESSION,
	Q_BY_EMAIL,
	Q_BY_LOGIN,
	Q_BY_LOGIN_PHONE,
	Q_USERNAME_TAKEN,
	Q_PHONE_TAKEN,
	Q_REHASH,
	Q_SET_PASSWORD,
	Q_REVOKE_SESSIONS,
	Q_BUMP_GEN,
	Q_VOID_RESET,
	Q_ADMIN_EXISTS,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	/* Q_INSERT */
	"INSERT INTO users (id, email, username, phone, password_hash, "
	"account_role, email_verified, created_at, updated_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
	/* Q_BY_ID */
	"SELECT " USER_COLS " FROM users WHERE id = ?1",
	/*
	 * Q_BY_ID_SESSION: the user and whether the access token's session
	 * (?2, by primary key) is still live, in one indexed read.
	 */
	"SELECT " USER_COLS ", EXISTS (SELECT 1 FROM sessions WHERE "
	"sessions.id = ?2 AND sessions.user_id = users.id AND "
	"sessions.revoked_at IS NULL AND sessions.expires_at > ?3) "
	"FROM users WHERE id = ?1",
	/* Q_BY_EMAIL */
	"SELECT " USER_COLS " FROM users WHERE email = ?1",
	/* Q_BY_LOGIN */
	"SELECT " USER_COLS " FROM users WHERE email = ?1 "
	"UNION ALL SELECT " USER_COLS " FROM users WHERE lower(username) = "
	"lower(?1) LIMIT 1",
	/*
	 * Q_BY_LOGIN_PHONE: a phone-looking identifier is the phone's
	 * owner's first, so an account named like the digits (made before
	 * such names were refused) cannot shadow it.
	 */
	"SELECT " USER_COLS " FROM users WHERE phone = ?2 "
	"UNION ALL SELECT " USER_COLS " FROM users WHERE email = ?1 "
	"UNION ALL SELECT " USER_COLS " FROM users WHERE lower(username) = "
	"lower(?1) LIMIT 1",
	/* Q_USERNAME_TAKEN */
	"SELECT 1 FROM users WHERE lower(username) = lower(?1)",
	/* Q_PHONE_TAKEN */
	"SELECT 1 FROM users WHERE phone = ?1",
	/* Q_REHASH */
	"UPDATE users SET password_hash = ?3 WHERE id = ?1 AND "
	"password_hash = ?2",
	/* Q_SET_PASSWORD */
	"UPDATE users SET password_hash = ?2, token_gen = token_gen + 1, "
	"updated_at = ?3 WHERE id = ?1 AND is_active = 1 AND deleted_at IS NULL "
	"RETURNING token_gen",
	/* Q_REVOKE_SESSIONS */
	"UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND "
	"revoked_at IS NULL",
	/* Q_BUMP_GEN */
	"UPDATE users SET token_gen = token_gen + 1, updated_at = ?2 "
	"WHERE id = ?1",
	/* Q_VOID_RESET: a link mailed before a password change dies with it */
	"UPDATE user_tokens SET used_at = ?2 WHERE user_id = ?1 AND "
	"kind = 'reset' AND used_at IS NULL",
	/* Q_ADMIN_EXISTS */
	"SELECT 1 FROM users WHERE account_role = 'ADMIN' AND is_active = 1 "
	"AND deleted_at IS NULL LIMIT 1",
};

static const char *const roles[ROLE__MAX] = {
	"NONE",		/* ROLE_NONE */
	"REGULAR",	/* ROLE_REGULAR */
	"MODERATOR",	/* ROLE_MODERATOR */
	"ADMIN",	/* ROLE_ADMIN */
};

const char *
role_name(enum role r)
{
	return r < ROLE__MAX ? roles[r] : "NONE";
}

int
role_parse(const char *s, int ci)
{
	int	i;

	for (i = ROLE_REGULAR; i < ROLE__MAX; i++)
		if (ci ? strcasecmp(s, roles[i]) == 0 : strcmp(s, roles[i]) == 0)
			return i;
	return -1;
}

void
user_free(struct user *u)
{
	if (u == NULL)
		return;
	free(u->email);
	free(u->username);
	free(u->phone);
	free_secret(u->password_hash);
	free(u);
}

struct user *
user_row(sqlite3_stmt *s)
{
	struct user	*u;
	const char	*id, *r;
	int		 role;

	u = xcalloc(1, sizeof(*u));
	id = (const char *)sqlite3_column_text(s, 0);
	snprintf(u->id, sizeof(u->id), "%s", id ? id : "");
	u->email = col_text(s, 1);
	u->username = col_text(s, 2);
	u->phone = col_text(s, 3);
	u->password_hash = col_text(s, 4);
	r = (const char *)sqlite3_column_text(s, 5);
	role = r ? role_parse(r, 0) : -1;
	u->role = role < 0 ? ROLE_REGULAR : (enum role)role;
	r = (const char *)sqlite3_column_text(s, 6);
	u->pro = r != NULL && strcmp(r, "PRO") == 0;
	u->sub_expires = sqlite3_column_int64(s, 7);
	u->email_verified = sqlite3_column_int(s, 8);
	u->is_active = sqlite3_column_int(s, 9);
	u->token_gen = sqlite3_column_int64(s, 10);
	u->created_at = sqlite3_column_int64(s, 11);
	u->updated_at = sqlite3_column_int64(s, 12);
	u->deleted_at = sqlite3_column_int64(s, 13);
	if (u->email == NULL)
		u->email = xstrdup("");
	if (u->username == NULL)
		u->username = xstrdup("");
	if (u->password_hash == NULL)
		u->password_hash = xstrdup("");
	return u;
}

/* Runs a user SELECT whose parameters are bound; 1 found, 0, <0. */
static int
fetch_user(struct store *st, sqlite3_stmt *s, struct user **out)
{
	int	rc;

	*out = NULL;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = user_row(s);
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store_err(st, rc, "select user");
	stmt_done(s);
	return rc;
}

static int
conflict(struct store *st)
{
	const char	*m = sqlite3_errmsg(st->db);

	if (strstr(m, "users.email") != NULL)
		return STORE_EEMAIL;
	if (strstr(m, "users_username") != NULL ||
	    strstr(m, "users.username") != NULL)
		return STORE_EUSERNAME;
	if (strstr(m, "users.phone") != NULL || strstr(m, "users_phone"))
		return STORE_EPHONE;
	return store_err(st, SQLITE_CONSTRAINT, "insert user");
}

int
store_user_create(struct store *st, const struct user_new *n,
    struct user **out)
{
	sqlite3_stmt	*s;
	char		 id[37];
	int		 rc;

	*out = NULL;
	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, Q_INSERT)) == NULL)
		return STORE_EDB;
	uuid_v4(id);
	bind_text(s, 1, id);
	bind_text(s, 2, n->email);
	bind_text(s, 3, n->username);
	bind_text(s, 4, n->phone);
	bind_text(s, 5, n->password_hash);
	bind_text(s, 6, role_name(n->role));
	sqlite3_bind_int(s, 7, n->email_verified);
	sqlite3_bind_int64(s, 8, now_s());
	rc = sqlite3_step(s);
	stmt_done(s);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		/* The email answer wins when both clash (SPEC §4). */
		rc = conflict(st);
		if (rc == STORE_EUSERNAME && store_email_taken(st, n->email) > 0)
			rc = STORE_EEMAIL;
		return rc;
	}
	if (rc != SQLITE_DONE)
		return store_err(st, rc, "insert user");
	rc = store_user_by_id(st, id, out);
	return rc == 0 ? STORE_EDB : rc;
}

int
store_user_by_id(struct store *st, const char *id, struct user **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, Q_BY_ID)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, id);
	return fetch_user(st, s, out);
}

int
store_user_by_id_session(struct store *st, const char *id, const char *sid,
    int64_t now, struct user **out, int *live)
{
	sqlite3_stmt	*s;
	int		 rc;

	*out = NULL;
	*live = 0;
	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, Q_BY_ID_SESSION)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, id);
	if (sid != NULL && *sid != '\0')
		bind_text(s, 2, sid);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int64(s, 3, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = user_row(s);
		*live = sqlite3_column_int(s, 14);
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store_err(st, rc, "select user and session");
	stmt_done(s);
	return rc;
}

int
store_user_by_email(struct store *st, const char *email, struct user **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, Q_BY_EMAIL)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, email);
	return fetch_user(st, s, out);
}

int
store_user_by_login(struct store *st, const char *ident, const char *phone,
    struct user **out)
{
	sqlite3_stmt	*s;

	*out = NULL;
	s = stmt_get(st, MOD_USER, sql, Q__MAX, phone != NULL ?
	    Q_BY_LOGIN_PHONE : Q_BY_LOGIN);
	if (s == NULL)
		return STORE_EDB;
	bind_text(s, 1, ident);
	if (phone != NULL)
		bind_text(s, 2, phone);
	return fetch_user(st, s, out);
}

static int
exists(struct store *st, size_t q, const char *v)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, q)) == NULL)
		return STORE_EDB;
	if (v != NULL)
		bind_text(s, 1, v);
	rc = sqlite3_step(s);
	stmt_done(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_err(st, rc, sql[q]);
}

int
store_username_available(struct store *st, const char *name)
{
	int	rc = exists(st, Q_USERNAME_TAKEN, name);

	return rc < 0 ? rc : !rc;
}

int
store_phone_taken(struct store *st, const char *phone)
{
	return exists(st, Q_PHONE_TAKEN, phone);
}

int
store_email_taken(struct store *st, const char *email)
{
	struct user	*u;
	int		 rc;

	rc = store_user_by_email(st, email, &u);
	user_free(u);
	return rc;
}

int
store_admin_exists(struct store *st)
{
	return exists(st, Q_ADMIN_EXISTS, NULL);
}

int
store_user_rehash(struct store *st, const char *id, const char *old,
    const char *new)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, Q_REHASH)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, id);
	bind_text(s, 2, old);
	bind_text(s, 3, new);
	rc = sqlite3_step(s);
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_err(st, rc, "rehash");
	return 1;
}

/* Runs a two-parameter (id, now) update. */
static int
update_id_now(struct store *st, size_t q, const char *id)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, q)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, now_s());
	rc = sqlite3_step(s);
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_err(st, rc, sql[q]);
	return sqlite3_changes(st->db) > 0;
}

int
user_revoke_all_tx(struct store *st, const char *id)
{
	int	rc;

	if ((rc = update_id_now(st, Q_REVOKE_SESSIONS, id)) < 0)
		return rc;
	return update_id_now(st, Q_BUMP_GEN, id);
}

int
user_bump_gen_tx(struct store *st, const char *id)
{
	return update_id_now(st, Q_BUMP_GEN, id);
}

int
store_user_revoke_all(struct store *st, const char *id)
{
	int	rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = user_revoke_all_tx(st, id)) < 0) {
		tx_rollback(st);
		return rc;
	}
	if ((rc = tx_commit(st)) < 0)
		return rc;
	return 1;
}

int
store_user_set_password(struct store *st, const char *id, const char *hash,
    int64_t *gen)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, Q_SET_PASSWORD)) == NULL) {
		tx_rollback(st);
		return STORE_EDB;
	}
	bind_text(s, 1, id);
	bind_text(s, 2, hash);
	sqlite3_bind_int64(s, 3, now_s());
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*gen = sqlite3_column_int64(s, 0);
	stmt_done(s);
	if (rc == SQLITE_DONE) {
		tx_rollback(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		tx_rollback(st);
		return store_err(st, rc, "set password");
	}
	if ((rc = update_id_now(st, Q_REVOKE_SESSIONS, id)) < 0 ||
	    (rc = update_id_now(st, Q_VOID_RESET, id)) < 0) {
		tx_rollback(st);
		return rc;
	}
	if ((rc = tx_commit(st)) < 0)
		return rc;
	return 1;
}
