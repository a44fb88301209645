/*
 * Imports (authctl import, SPEC §10): reading the users table of the
 * FastAPI service's SQLite database, opened read-only, and writing the
 * imported users into ours in one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "store_int.h"

/* The columns of SPEC §10, in the order of struct fastapi_row. */
static const char fastapi_sql[] =
	"SELECT id, username, email, hashed_password, account_role, "
	"account_subscription, subscription_expires_at, is_active, "
	"deleted_at, created_at, updated_at FROM users";

enum { I_ID_TAKEN, I_EMAIL_HOLDER, I_USERNAME_HOLDER, I_INSERT, I__MAX };

static const char *const import_sql[I__MAX] = {
	/* I_ID_TAKEN */
	"SELECT 1 FROM users WHERE id = ?1",
	/* I_EMAIL_HOLDER */
	"SELECT id FROM users WHERE email = ?1",
	/* I_USERNAME_HOLDER */
	"SELECT id FROM users WHERE lower(username) = lower(?1)",
	/* I_INSERT */
	"INSERT INTO users (id, email, username, password_hash, account_role, "
	"account_subscription, subscription_expires_at, email_verified, "
	"is_active, created_at, updated_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
};

struct store_import {
	struct store	*st;
	sqlite3_stmt	*s[I__MAX];
};

/* col_text(), noting a text that a NUL byte would cut short. */
static char *
col_text_nul(sqlite3_stmt *s, int i, int *has_nul)
{
	char	*t = col_text(s, i);

	if (t != NULL && strlen(t) != (size_t)sqlite3_column_bytes(s, i))
		*has_nul = 1;
	return t;
}

/* A 16-byte blob as a lower-case dashed UUID, else the column's text. */
static char *
col_id(sqlite3_stmt *s, int i, int *has_nul)
{
	const unsigned char	*b;
	char			 hex[33];

	if (sqlite3_column_type(s, i) != SQLITE_BLOB ||
	    sqlite3_column_bytes(s, i) != 16)
		return col_text_nul(s, i, has_nul);
	b = sqlite3_column_blob(s, i);
	hex_encode(b, 16, hex);
	return xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}

static void
fastapi_row_clear(struct fastapi_row *r)
{
	free(r->id);
	free(r->username);
	free(r->email);
	free_secret(r->hashed_password);
	free(r->account_role);
	free(r->account_subscription);
	free(r->subscription_expires_at);
	free(r->is_active);
	free(r->deleted_at);
	free(r->created_at);
	free(r->updated_at);
}

void
fastapi_rows_free(struct fastapi_row *rows, size_t n)
{
	size_t	i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		fastapi_row_clear(&rows[i]);
	free(rows);
}

int
store_fastapi_read(const char *path, struct fastapi_row **out, size_t *nout,
    char *err, size_t errlen)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	struct fastapi_row *rows = NULL, *r;
	size_t		 n = 0, cap = 0;
	int		 rc, ret = -1;

	*out = NULL;
	*nout = 0;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s as an SQLite database: "
		    "%s", path, db != NULL ? sqlite3_errmsg(db) :
		    sqlite3_errstr(rc));
		goto done;
	}
	sqlite3_busy_timeout(db, cfg.busy_timeout_ms > 0 ?
	    cfg.busy_timeout_ms : 5000);
	if (sqlite3_prepare_v2(db, fastapi_sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s is not a database of the FastAPI "
		    "service (a users table with the columns id, username, "
		    "email, hashed_password, account_role, account_subscription, "
		    "subscription_expires_at, is_active, deleted_at, created_at, "
		    "updated_at): %s", path, sqlite3_errmsg(db));
		goto done;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			rows = xrealloc(rows, cap * sizeof(*rows));
		}
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->id = col_id(s, 0, &r->has_nul);
		r->username = col_text_nul(s, 1, &r->has_nul);
		r->email = col_text_nul(s, 2, &r->has_nul);
		r->hashed_password = col_text_nul(s, 3, &r->has_nul);
		r->account_role = col_text_nul(s, 4, &r->has_nul);
		r->account_subscription = col_text_nul(s, 5, &r->has_nul);
		r->subscription_expires_at = col_text_nul(s, 6, &r->has_nul);
		r->is_active = col_text_nul(s, 7, &r->has_nul);
		r->deleted_at = col_text_nul(s, 8, &r->has_nul);
		r->created_at = col_text_nul(s, 9, &r->has_nul);
		r->updated_at = col_text_nul(s, 10, &r->has_nul);
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading the users of %s: %s", path,
		    sqlite3_errmsg(db));
		goto done;
	}
	*out = rows;
	*nout = n;
	rows = NULL;
	ret = 0;
done:
	fastapi_rows_free(rows, n);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ret;
}

int
store_import_begin(struct store *st, struct store_import **out)
{
	struct store_import	*im;
	size_t			 i;
	int			 rc;

	*out = NULL;
	im = xcalloc(1, sizeof(*im));
	im->st = st;
	for (i = 0; i < I__MAX; i++) {
		if (sqlite3_prepare_v2(st->db, import_sql[i], -1, &im->s[i],
		    NULL) != SQLITE_OK) {
			log_warnx("prepare failed: %s: %s", import_sql[i],
			    sqlite3_errmsg(st->db));
			rc = STORE_EDB;
			goto fail;
		}
	}
	if ((rc = tx_begin(st)) < 0)
		goto fail;
	*out = im;
	return 1;
fail:
	for (i = 0; i < I__MAX; i++)
		sqlite3_finalize(im->s[i]);
	free(im);
	return rc;
}

/*
 * Runs a one-parameter lookup: 1 with the first column (when holder is
 * not NULL, 37 bytes) on a row, 0 without one, <0 error.
 */
static int
lookup(struct store_import *im, size_t q, const char *v, char *holder)
{
	sqlite3_stmt	*s = im->s[q];
	const char	*t;
	int		 rc;

	bind_text(s, 1, v);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (holder != NULL) {
			t = (const char *)sqlite3_column_text(s, 0);
			snprintf(holder, 37, "%s", t != NULL ? t : "");
		}
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store_err(im->st, rc, import_sql[q]);
	stmt_done(s);
	return rc;
}

int
store_import_user(struct store_import *im, const struct import_user *u,
    char holder[37])
{
	sqlite3_stmt	*s = im->s[I_INSERT];
	int		 rc;

	holder[0] = '\0';
	if ((rc = lookup(im, I_ID_TAKEN, u->id, NULL)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = lookup(im, I_EMAIL_HOLDER, u->email, holder)) != 0)
		return rc < 0 ? rc : STORE_EEMAIL;
	if ((rc = lookup(im, I_USERNAME_HOLDER, u->username, holder)) != 0)
		return rc < 0 ? rc : STORE_EUSERNAME;
	bind_text(s, 1, u->id);
	bind_text(s, 2, u->email);
	bind_text(s, 3, u->username);
	bind_text(s, 4, u->password_hash);
	bind_text(s, 5, role_name(u->role));
	bind_text(s, 6, u->pro ? "PRO" : "FREE");
	if (u->sub_expires != 0)
		sqlite3_bind_int64(s, 7, u->sub_expires);
	else
		sqlite3_bind_null(s, 7);
	sqlite3_bind_int(s, 8, u->email_verified != 0);
	sqlite3_bind_int(s, 9, u->is_active != 0);
	sqlite3_bind_int64(s, 10, u->created_at);
	sqlite3_bind_int64(s, 11, u->updated_at);
	if ((rc = stmt_run(im->st, s, "import user")) < 0)
		return rc;
	return 1;
}

int
store_import_end(struct store_import *im, int commit)
{
	size_t	i;
	int	rc = 0;

	if (im == NULL)
		return 0;
	if (commit)
		rc = tx_commit(im->st);
	else
		tx_rollback(im->st);
	for (i = 0; i < I__MAX; i++)
		sqlite3_finalize(im->s[i]);
	free(im);
	return rc;
}
