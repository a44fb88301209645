/*
 * Administration: listing, patching and the soft delete of users.
 *
 * The last-administrator rule is checked inside the same write
 * transaction as the write it guards, so two administrators demoting
 * each other at the same moment cannot both succeed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pwhash.h"
#include "util.h"
#include "store_int.h"

/* Attempts at a free DeletedUser_<8 hex> name before giving up. */
#define ANON_TRIES	8

enum {
	Q_LIST,
	Q_COUNT,
	Q_OTHER_ADMINS,
	Q_PATCH,
	Q_ANONYMISE,
	Q_VOID_TOKENS,
	Q_SET_VERIFIED,
	Q__MAX
};

static const struct sqlq sql[Q__MAX] = {
	/*
	 * Q_LIST: ?1 the substring or NULL (instr() needs no LIKE escaping);
	 * rowid keeps the insertion order within one second.
	 */
	{ "SELECT " USER_COLS " FROM users WHERE ?1 IS NULL OR "
	  "instr(email, lower(?1)) > 0 OR instr(lower(username), lower(?1)) > 0 "
	  "ORDER BY created_at, rowid LIMIT ?2 OFFSET ?3",
	  /*
	   * PostgreSQL's instr() is strpos(), and a parameter it meets
	   * first in "IS NULL" needs its type said.
	   */
	  "SELECT " USER_COLS " FROM users WHERE CAST(?1 AS TEXT) IS NULL OR "
	  "strpos(email, lower(?1)) > 0 OR strpos(lower(username), lower(?1)) "
	  "> 0 ORDER BY created_at, rowid LIMIT ?2 OFFSET ?3" },
	/* Q_COUNT */
	{ "SELECT count(*) FROM users WHERE ?1 IS NULL OR "
	  "instr(email, lower(?1)) > 0 OR instr(lower(username), lower(?1)) > 0",
	  "SELECT count(*) FROM users WHERE CAST(?1 AS TEXT) IS NULL OR "
	  "strpos(email, lower(?1)) > 0 OR strpos(lower(username), lower(?1)) "
	  "> 0" },
	/* Q_OTHER_ADMINS */
	{ "SELECT count(*) FROM users WHERE account_role = 'ADMIN' AND "
	  "is_active = 1 AND deleted_at IS NULL AND id <> ?1", NULL },
	/* Q_PATCH: each ?2k flag (0 or 1) says whether ?2k+1 replaces the column */
	{ "UPDATE users SET "
	  "account_role = CASE WHEN ?2 = 1 THEN ?3 ELSE account_role END, "
	  "account_subscription = CASE WHEN ?4 = 1 THEN ?5 "
	  "ELSE account_subscription END, "
	  "subscription_expires_at = CASE WHEN ?6 = 1 THEN ?7 "
	  "ELSE subscription_expires_at END, "
	  "is_active = CASE WHEN ?8 = 1 THEN ?9 ELSE is_active END, "
	  "updated_at = ?10 WHERE id = ?1", NULL },
	/* Q_ANONYMISE */
	{ "UPDATE users SET email = 'deleted_' || id || '@anonymized.local', "
	  "username = ?2, phone = NULL, password_hash = ?3, is_active = 0, "
	  "deleted_at = ?4, updated_at = ?4 WHERE id = ?1 AND "
	  "deleted_at IS NULL", NULL },
	/* Q_VOID_TOKENS: mail tokens of a deleted user are spent at once */
	{ "UPDATE user_tokens SET used_at = ?2 WHERE user_id = ?1 AND "
	  "used_at IS NULL", NULL },
	/* Q_SET_VERIFIED: an operator vouches for the address (authctl) */
	{ "UPDATE users SET email_verified = 1, updated_at = ?2 WHERE id = ?1 "
	  "AND deleted_at IS NULL", NULL },
};

/* The statement q of this file, with its first parameter bound. */
static struct drv_stmt *
stmt1(struct store *st, size_t q, const char *v)
{
	return stmt_get1(st, MOD_ADMIN, sql, Q__MAX, q, v);
}

/* Frees a list from store_users_list(); NULL-safe. */
void
users_free(struct user **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		user_free(v[i]);
	free(v);
}

/*
 * One page of users matching q (NULL or "" for all), in creation order,
 * deleted ones included, and the number of all matches in *total.
 * Returns 1 with *items (n entries, freed by users_free()) or <0 with
 * nothing allocated.  limit must be positive (the handler bounds it).
 */
int
store_users_list(struct store *st, const char *q, long limit, long offset,
    struct user ***items, size_t *n, long *total)
{
	struct drv_stmt	 *s;
	struct user	**v = NULL;
	size_t		  nv = 0;
	int64_t		  count = 0;
	int		  rc;

	*items = NULL;
	*n = 0;
	*total = 0;
	if (q != NULL && *q == '\0')
		q = NULL;
	if ((s = stmt1(st, Q_COUNT, q)) == NULL)
		return STORE_EDB;
	if ((rc = stmt_int64(s, &count)) < 0)
		return rc;
	*total = (long)count;
	if ((s = stmt1(st, Q_LIST, q)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, limit);
	drv_bind_int64(s, 3, offset);
	v = xcalloc(limit > 0 ? (size_t)limit : 1, sizeof(*v));
	while (nv < (size_t)limit && (rc = drv_step(s)) == DRV_ROW)
		v[nv++] = user_row(s);
	drv_reset(s);
	if (rc < 0) {
		users_free(v, nv);
		return rc;
	}
	*items = v;
	*n = nv;
	return 1;
}

/* Whether an active ADMIN other than id exists: 1, 0, <0. */
static int
other_admins(struct store *st, const char *id)
{
	struct drv_stmt	*s;
	int64_t		 c = 0;
	int		 rc;

	if ((s = stmt1(st, Q_OTHER_ADMINS, id)) == NULL)
		return STORE_EDB;
	if ((rc = stmt_int64(s, &c)) < 0)
		return rc;
	return c > 0;
}

/* The user of id unless deleted: 1 with *u, 0 unknown or deleted, <0. */
static int
live_user(struct store *st, const char *id, struct user **u)
{
	int	rc;

	if ((rc = store_user_by_id(st, id, u)) == 1 && (*u)->deleted_at != 0)
		rc = 0;
	return rc;
}

/*
 * STORE_ELASTADMIN when u is an active ADMIN and no other active ADMIN
 * exists, else 0 (or <0 on error).
 */
static int
last_admin(struct store *st, const struct user *u)
{
	int	rc;

	if (u->role != ROLE_ADMIN || !u->is_active || u->deleted_at != 0)
		return 0;
	if ((rc = other_admins(st, u->id)) < 0)
		return rc;
	return rc == 0 ? STORE_ELASTADMIN : 0;
}

static int
apply_patch(struct store *st, const char *id, const struct user_patch *p)
{
	struct drv_stmt	*s;

	if ((s = stmt1(st, Q_PATCH, id)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, p->set_role != 0);
	drv_bind_text(s, 3, role_name(p->set_role ? p->role : ROLE_REGULAR));
	drv_bind_int64(s, 4, p->set_pro != 0);
	drv_bind_text(s, 5, p->pro ? "PRO" : "FREE");
	drv_bind_int64(s, 6, p->set_sub_expires != 0);
	if (p->sub_expires != 0)
		drv_bind_int64(s, 7, p->sub_expires);
	else
		drv_bind_null(s, 7);
	drv_bind_int64(s, 8, p->set_active != 0);
	drv_bind_int64(s, 9, p->active ? 1 : 0);
	drv_bind_int64(s, 10, now_s());
	return stmt_run(s);
}

/*
 * Applies an administrator's patch to a live user in one write
 * transaction.  Demoting or deactivating the last active ADMIN is
 * refused with STORE_ELASTADMIN; deactivation revokes every session and
 * moves the token generation on, and so does a demotion (access tokens
 * carry the role as a claim).  Returns 1 with the updated user in
 * *out (freed by user_free()), 0 when the user is unknown or deleted,
 * <0 on error.
 */
int
store_user_patch(struct store *st, const char *id,
    const struct user_patch *p, struct user **out)
{
	struct user	*u = NULL;
	int		 rc, demote, deactivate;

	*out = NULL;
	if ((rc = tx_begin(st)) < 0)
		return rc;
	/* A deleted account is gone for good: nothing to patch. */
	if ((rc = live_user(st, id, &u)) <= 0)
		goto done;
	demote = p->set_role && p->role != ROLE_ADMIN;
	deactivate = p->set_active && !p->active;
	if ((demote || deactivate) && (rc = last_admin(st, u)) < 0)
		goto done;
	/* An empty patch changes nothing, updated_at included. */
	if ((p->set_role || p->set_pro || p->set_sub_expires ||
	    p->set_active) && (rc = apply_patch(st, id, p)) < 0)
		goto done;
	if (deactivate && u->is_active &&
	    (rc = user_revoke_all_tx(st, id)) < 0)
		goto done;
	/*
	 * Access tokens carry the role as a claim: after a demotion the
	 * older ones would over-privilege whoever reads the claim, so the
	 * generation moves on.  A promotion keeps them (a claim below the
	 * real role grants nothing, and the new role counts at once).
	 */
	if (p->set_role && p->role < u->role && !(deactivate &&
	    u->is_active) && (rc = user_bump_gen_tx(st, id)) < 0)
		goto done;
	rc = user_commit_tx(st, id, out);
done:
	/* A no-op after a commit; ends the transaction on every failure. */
	tx_rollback(st);
	user_free(u);
	return rc;
}

/*
 * Anonymises the user inside the open transaction with a fresh
 * DeletedUser_<8 hex> name, drawing again on the rare clash.
 * 1 done, 0 gone meanwhile, <0 error.
 */
static int
anonymise(struct store *st, const char *id, int64_t now)
{
	struct drv_stmt	*s;
	unsigned char	 raw[4];
	char		 hex[9], name[32];
	int		 i, rc;

	for (i = 0; i < ANON_TRIES; i++) {
		rand_bytes(raw, sizeof(raw));
		hex_encode(raw, sizeof(raw), hex);
		snprintf(name, sizeof(name), "DeletedUser_%s", hex);
		if ((s = stmt1(st, Q_ANONYMISE, id)) == NULL)
			return STORE_EDB;
		drv_bind_text(s, 2, name);
		drv_bind_text(s, 3, PWHASH_UNUSABLE);
		drv_bind_int64(s, 4, now);
		/* A clash of the drawn name: draw again. */
		if ((rc = stmt_run(s)) != STORE_ECONFLICT)
			return rc;
	}
	log_warnx("anonymise user %s: no free name after %d tries", id,
	    ANON_TRIES);
	return STORE_EDB;
}

/*
 * The soft delete of SPEC §4 in one write transaction: email
 * deleted_<id>@anonymized.local, username DeletedUser_<8 hex>, phone
 * cleared, an unusable password hash, inactive, deleted_at set, every
 * session revoked, the token generation moved on and pending mail tokens
 * voided.  Returns 1, 0 when unknown or already deleted,
 * STORE_ELASTADMIN for the last active ADMIN, <0 on error.
 */
int
store_user_delete(struct store *st, const char *id)
{
	struct drv_stmt	*s;
	struct user	*u = NULL;
	int64_t		 now = now_s();
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = live_user(st, id, &u)) <= 0)
		goto done;
	if ((rc = last_admin(st, u)) < 0 ||
	    (rc = anonymise(st, id, now)) <= 0 ||
	    (rc = user_revoke_all_tx(st, id)) < 0)
		goto done;
	if ((s = stmt1(st, Q_VOID_TOKENS, id)) == NULL) {
		rc = STORE_EDB;
		goto done;
	}
	drv_bind_int64(s, 2, now);
	if ((rc = stmt_run(s)) < 0 ||
	    (rc = tx_commit(st)) < 0)
		goto done;
	rc = 1;
done:
	/* A no-op after a commit; ends the transaction on every failure. */
	tx_rollback(st);
	user_free(u);
	return rc;
}

/*
 * Marks the email of a live user verified (the operator vouches for it),
 * one statement.  Returns 1 (also when it already was), 0 when the user
 * is unknown or deleted, <0 on error.
 */
int
store_user_verify(struct store *st, const char *id)
{
	struct drv_stmt	*s;

	if ((s = stmt1(st, Q_SET_VERIFIED, id)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, now_s());
	return stmt_run(s);
}
