/*
 * Imports (authctl import, SPEC §10): writing the imported users into
 * our database in one transaction.  Reading them from the FastAPI
 * service's SQLite file is fastapi.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "store_int.h"

enum { I_ID_TAKEN, I_EMAIL_HOLDER, I_USERNAME_HOLDER, I_INSERT, I__MAX };

static const struct sqlq import_sql[I__MAX] = {
	/* I_ID_TAKEN */
	{ "SELECT 1 FROM users WHERE id = ?1", NULL },
	/* I_EMAIL_HOLDER */
	{ "SELECT id FROM users WHERE email = ?1", NULL },
	/* I_USERNAME_HOLDER */
	{ "SELECT id FROM users WHERE lower(username) = lower(?1)", NULL },
	/* I_INSERT */
	{ "INSERT INTO users (id, email, username, password_hash, "
	  "account_role, account_subscription, subscription_expires_at, "
	  "email_verified, is_active, created_at, updated_at) "
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", NULL },
};

struct store_import {
	struct store	*st;
};

int
store_import_begin(struct store *st, struct store_import **out)
{
	struct store_import	*im;
	int			 rc;

	*out = NULL;
	if ((rc = tx_begin(st)) < 0)
		return rc;
	im = xcalloc(1, sizeof(*im));
	im->st = st;
	*out = im;
	return 1;
}

/*
 * Runs a one-parameter lookup: 1 with the first column (when holder is
 * not NULL, 37 bytes) on a row, 0 without one, <0 error.
 */
static int
lookup(struct store_import *im, size_t q, const char *v, char *holder)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = stmt_get(im->st, MOD_IMPORT, import_sql, I__MAX, q)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 1, v);
	if ((rc = drv_step(s)) == DRV_ROW) {
		if (holder != NULL)
			col_copy(s, 0, holder, 37);
		rc = 1;
	}
	drv_reset(s);
	return rc;
}

int
store_import_user(struct store_import *im, const struct import_user *u,
    char holder[37])
{
	struct drv_stmt	*s;
	int		 rc;

	holder[0] = '\0';
	if ((rc = lookup(im, I_ID_TAKEN, u->id, NULL)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = lookup(im, I_EMAIL_HOLDER, u->email, holder)) != 0)
		return rc < 0 ? rc : STORE_EEMAIL;
	if ((rc = lookup(im, I_USERNAME_HOLDER, u->username, holder)) != 0)
		return rc < 0 ? rc : STORE_EUSERNAME;
	if ((s = stmt_get(im->st, MOD_IMPORT, import_sql, I__MAX,
	    I_INSERT)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 1, u->id);
	drv_bind_text(s, 2, u->email);
	drv_bind_text(s, 3, u->username);
	drv_bind_text(s, 4, u->password_hash);
	drv_bind_text(s, 5, role_name(u->role));
	drv_bind_text(s, 6, u->pro ? "PRO" : "FREE");
	if (u->sub_expires != 0)
		drv_bind_int64(s, 7, u->sub_expires);
	else
		drv_bind_null(s, 7);
	drv_bind_int64(s, 8, u->email_verified != 0);
	drv_bind_int64(s, 9, u->is_active != 0);
	drv_bind_int64(s, 10, u->created_at);
	drv_bind_int64(s, 11, u->updated_at);
	if ((rc = stmt_run(s)) < 0)
		return rc;
	return 1;
}

int
store_import_end(struct store_import *im, int commit)
{
	int	rc = 0;

	if (im == NULL)
		return 0;
	if (commit)
		rc = tx_commit(im->st);
	tx_rollback(im->st);
	free(im);
	return rc;
}
