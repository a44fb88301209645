/*
 * Users: creation, lookups, password changes.
 */
#include <stdint.h>
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

static const struct sqlq sql[Q__MAX] = {
	/* Q_INSERT */
	{ "INSERT INTO users (id, email, username, phone, password_hash, "
	  "account_role, email_verified, created_at, updated_at) "
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)", NULL },
	/* Q_BY_ID */
	{ "SELECT " USER_COLS " FROM users WHERE id = ?1", NULL },
	/*
	 * Q_BY_ID_SESSION: the user and whether the access token's session
	 * (?2, by primary key) is still live, in one indexed read (a count
	 * of 0 or 1: an integer on both backends, where EXISTS is not).
	 */
	{ "SELECT " USER_COLS ", (SELECT count(*) FROM sessions WHERE "
	  "sessions.id = ?2 AND sessions.user_id = users.id AND "
	  "sessions.revoked_at IS NULL AND sessions.expires_at > ?3) "
	  "FROM users WHERE id = ?1", NULL },
	/* Q_BY_EMAIL */
	{ "SELECT " USER_COLS " FROM users WHERE email = ?1", NULL },
	/* Q_BY_LOGIN */
	{ "SELECT " USER_COLS " FROM users WHERE email = ?1 "
	  "UNION ALL SELECT " USER_COLS " FROM users WHERE lower(username) = "
	  "lower(?1) LIMIT 1", NULL },
	/*
	 * Q_BY_LOGIN_PHONE: a phone-looking identifier is the phone's
	 * owner's first, so an account named like the digits (made before
	 * such names were refused) cannot shadow it.
	 */
	{ "SELECT " USER_COLS " FROM users WHERE phone = ?2 "
	  "UNION ALL SELECT " USER_COLS " FROM users WHERE email = ?1 "
	  "UNION ALL SELECT " USER_COLS " FROM users WHERE lower(username) = "
	  "lower(?1) LIMIT 1", NULL },
	/* Q_USERNAME_TAKEN */
	{ "SELECT 1 FROM users WHERE lower(username) = lower(?1)", NULL },
	/* Q_PHONE_TAKEN */
	{ "SELECT 1 FROM users WHERE phone = ?1", NULL },
	/* Q_REHASH */
	{ "UPDATE users SET password_hash = ?3 WHERE id = ?1 AND "
	  "password_hash = ?2", NULL },
	/* Q_SET_PASSWORD */
	{ "UPDATE users SET password_hash = ?2, token_gen = token_gen + 1, "
	  "updated_at = ?3 WHERE id = ?1 AND is_active = 1 AND "
	  "deleted_at IS NULL RETURNING token_gen", NULL },
	/* Q_REVOKE_SESSIONS */
	{ "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND "
	  "revoked_at IS NULL", NULL },
	/* Q_BUMP_GEN */
	{ "UPDATE users SET token_gen = token_gen + 1, updated_at = ?2 "
	  "WHERE id = ?1", NULL },
	/* Q_VOID_RESET: a link mailed before a password change dies with it */
	{ "UPDATE user_tokens SET used_at = ?2 WHERE user_id = ?1 AND "
	  "kind = 'reset' AND used_at IS NULL", NULL },
	/* Q_ADMIN_EXISTS */
	{ "SELECT 1 FROM users WHERE account_role = 'ADMIN' AND is_active = 1 "
	  "AND deleted_at IS NULL LIMIT 1", NULL },
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
user_row(struct drv_stmt *s)
{
	struct user	*u;
	const char	*r;
	int		 role;

	u = xcalloc(1, sizeof(*u));
	col_copy(s, 0, u->id, sizeof(u->id));
	u->email = col_text(s, 1);
	u->username = col_text(s, 2);
	u->phone = col_text(s, 3);
	u->password_hash = col_text(s, 4);
	r = drv_col_text(s, 5);
	role = r ? role_parse(r, 0) : -1;
	u->role = role < 0 ? ROLE_REGULAR : (enum role)role;
	r = drv_col_text(s, 6);
	u->pro = r != NULL && strcmp(r, "PRO") == 0;
	u->sub_expires = drv_col_int64(s, 7);
	u->email_verified = drv_col_int64(s, 8) != 0;
	u->is_active = drv_col_int64(s, 9) != 0;
	u->token_gen = drv_col_int64(s, 10);
	u->created_at = drv_col_int64(s, 11);
	u->updated_at = drv_col_int64(s, 12);
	u->deleted_at = drv_col_int64(s, 13);
	if (u->email == NULL)
		u->email = xstrdup("");
	if (u->username == NULL)
		u->username = xstrdup("");
	if (u->password_hash == NULL)
		u->password_hash = xstrdup("");
	return u;
}

int
user_fetch(struct drv_stmt *s, struct user **out)
{
	int	rc;

	*out = NULL;
	if ((rc = drv_step(s)) == DRV_ROW) {
		*out = user_row(s);
		rc = 1;
	}
	drv_reset(s);
	return rc;
}

/* The statement q of this file, with its first parameter bound. */
static struct drv_stmt *
stmt1(struct store *st, size_t q, const char *v)
{
	return stmt_get1(st, MOD_USER, sql, Q__MAX, q, v);
}

/* Whether the statement q finds a row for v: 1, 0, <0. */
static int
exists(struct store *st, size_t q, const char *v)
{
	struct drv_stmt	*s;

	if ((s = stmt1(st, q, v)) == NULL)
		return STORE_EDB;
	return stmt_int64(s, NULL);
}

/*
 * After a constraint refused a new user: which of email, username and
 * phone another account holds, by reading (the email first when both
 * clash, SPEC §4).
 */
static int
conflict(struct store *st, const struct user_new *n)
{
	int	rc;

	if ((rc = store_email_taken(st, n->email)) != 0)
		return rc < 0 ? rc : STORE_EEMAIL;
	if ((rc = exists(st, Q_USERNAME_TAKEN, n->username)) != 0)
		return rc < 0 ? rc : STORE_EUSERNAME;
	if (n->phone != NULL &&
	    (rc = exists(st, Q_PHONE_TAKEN, n->phone)) != 0)
		return rc < 0 ? rc : STORE_EPHONE;
	log_warnx("insert user: a constraint refused it, yet no account "
	    "holds its email, username or phone");
	return STORE_EDB;
}

int
user_commit_tx(struct store *st, const char *id, struct user **out)
{
	struct user	*u;
	int		 rc;

	if ((rc = store_user_by_id(st, id, &u)) <= 0)
		return rc == 0 ? STORE_EDB : rc;
	if ((rc = tx_commit(st)) < 0) {
		user_free(u);
		return rc;
	}
	*out = u;
	return 1;
}

int
store_user_create(struct store *st, const struct user_new *n,
    struct user **out)
{
	struct drv_stmt	*s;
	char		 id[37];
	int		 rc;

	*out = NULL;
	uuid_v4(id);
	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((s = stmt1(st, Q_INSERT, id)) == NULL) {
		rc = STORE_EDB;
		goto done;
	}
	drv_bind_text(s, 2, n->email);
	drv_bind_text(s, 3, n->username);
	drv_bind_text(s, 4, n->phone);
	drv_bind_text(s, 5, n->password_hash);
	drv_bind_text(s, 6, role_name(n->role));
	drv_bind_int64(s, 7, n->email_verified);
	drv_bind_int64(s, 8, now_s());
	if ((rc = stmt_run(s)) < 0)
		goto done;
	rc = user_commit_tx(st, id, out);
done:
	tx_rollback(st);
	if (rc == STORE_ECONFLICT)
		rc = conflict(st, n);
	return rc;
}

/* The user the statement q finds for v: 1, 0 none, <0. */
static int
user_by(struct store *st, size_t q, const char *v, struct user **out)
{
	struct drv_stmt	*s;

	*out = NULL;
	if ((s = stmt1(st, q, v)) == NULL)
		return STORE_EDB;
	return user_fetch(s, out);
}

int
store_user_by_id(struct store *st, const char *id, struct user **out)
{
	return user_by(st, Q_BY_ID, id, out);
}

struct user *
user_dup(const struct user *u)
{
	struct user	*c;

	c = xcalloc(1, sizeof(*c));
	*c = *u;
	c->email = xstrdup(u->email);
	c->username = xstrdup(u->username);
	c->phone = u->phone != NULL ? xstrdup(u->phone) : NULL;
	c->password_hash = xstrdup(u->password_hash);
	return c;
}

/*
 * The token check's read, the hottest query of the system: through the
 * memo (memo.c), keyed by "U" id NUL sid.
 */
int
store_user_by_id_session(struct store *st, const char *id, const char *sid,
    int64_t now, struct user **out, int *live)
{
	unsigned char	 mark[DRV_MARK_LEN], key[MEMO_KEY_MAX];
	struct memo	*m = NULL;
	struct drv_stmt	*s;
	size_t		 il, sl;
	int		 rc, hit = 0;

	*out = NULL;
	*live = 0;
	if (sid == NULL)
		sid = "";
	il = strlen(id);
	sl = strlen(sid);
	if (2 + il + sl <= sizeof(key)) {
		key[0] = 'U';
		memcpy(key + 1, id, il + 1);
		memcpy(key + 2 + il, sid, sl);
		/* The mark first: the read below is at least as new as it. */
		m = memo_get(st, key, 2 + il + sl, now, mark, &hit);
	}
	if (hit) {
		*out = m->u != NULL ? user_dup(m->u) : NULL;
		*live = m->live;
		return m->u != NULL;
	}
	if ((s = stmt1(st, Q_BY_ID_SESSION, id)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, *sid != '\0' ? sid : NULL);
	drv_bind_int64(s, 3, now);
	if ((rc = drv_step(s)) == DRV_ROW) {
		*out = user_row(s);
		*live = drv_col_int64(s, USER_NCOLS) > 0;
		rc = 1;
	}
	drv_reset(s);
	if (m != NULL && rc >= 0) {
		memo_put(m, key, 2 + il + sl, now, mark, *out);
		m->live = *live;
	}
	return rc;
}

int
store_user_by_email(struct store *st, const char *email, struct user **out)
{
	return user_by(st, Q_BY_EMAIL, email, out);
}

int
store_user_by_login(struct store *st, const char *ident, const char *phone,
    struct user **out)
{
	struct drv_stmt	*s;

	*out = NULL;
	s = stmt1(st, phone != NULL ? Q_BY_LOGIN_PHONE : Q_BY_LOGIN, ident);
	if (s == NULL)
		return STORE_EDB;
	if (phone != NULL)
		drv_bind_text(s, 2, phone);
	return user_fetch(s, out);
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
	struct drv_stmt	*s;

	/* No parameter to bind (a bind would be out of range). */
	if ((s = stmt_get(st, MOD_USER, sql, Q__MAX, Q_ADMIN_EXISTS)) == NULL)
		return STORE_EDB;
	return stmt_int64(s, NULL);
}

int
store_user_rehash(struct store *st, const char *id, const char *old,
    const char *new)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = stmt1(st, Q_REHASH, id)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, old);
	drv_bind_text(s, 3, new);
	if ((rc = stmt_run(s)) < 0)
		return rc;
	return 1;
}

/* Runs a two-parameter (id, now) update: 1 a row changed, 0 none, <0. */
static int
update_id_now(struct store *st, size_t q, const char *id)
{
	struct drv_stmt	*s;

	if ((s = stmt1(st, q, id)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, now_s());
	return stmt_run(s);
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
	if ((rc = user_revoke_all_tx(st, id)) < 0 ||
	    (rc = tx_commit(st)) < 0)
		goto done;
	rc = 1;
done:
	tx_rollback(st);
	return rc;
}

int
store_user_set_password(struct store *st, const char *id, const char *hash,
    int64_t *gen)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((s = stmt1(st, Q_SET_PASSWORD, id)) == NULL) {
		rc = STORE_EDB;
		goto done;
	}
	drv_bind_text(s, 2, hash);
	drv_bind_int64(s, 3, now_s());
	if ((rc = stmt_int64(s, gen)) <= 0)
		goto done;
	if ((rc = update_id_now(st, Q_REVOKE_SESSIONS, id)) < 0 ||
	    (rc = update_id_now(st, Q_VOID_RESET, id)) < 0 ||
	    (rc = tx_commit(st)) < 0)
		goto done;
	rc = 1;
done:
	tx_rollback(st);
	return rc;
}
