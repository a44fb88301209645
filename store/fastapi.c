/*
 * The reader of the FastAPI service's SQLite database for authctl import
 * (SPEC §10): a foreign file, opened read-only, whatever our own backend
 * is.  SQLite-specific by nature, so it calls sqlite3_* itself (with
 * drv_sqlite.c and backup.c, the only files of store/ that do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "util.h"
#include "store.h"

/* The columns of SPEC §10, in the order of struct fastapi_row. */
static const char fastapi_sql[] =
	"SELECT id, username, email, hashed_password, account_role, "
	"account_subscription, subscription_expires_at, is_active, "
	"deleted_at, created_at, updated_at FROM users";

/* An allocated copy of a text column, NULL for NULL. */
static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char	*t;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	t = sqlite3_column_text(s, i);
	return xstrndup(t ? (const char *)t : "",
	    (size_t)sqlite3_column_bytes(s, i));
}

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
store_fastapi_read(const struct config *c, const char *path,
    struct fastapi_row **out, size_t *nout, char *err, size_t errlen)
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
	sqlite3_busy_timeout(db, c->busy_timeout_ms > 0 ?
	    c->busy_timeout_ms : 5000);
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
