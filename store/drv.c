/*
 * drv.h's functions: each passes the call to the driver of the
 * connection's kind, SQLite (drv_sqlite.c) or PostgreSQL (drv_pg.c),
 * chosen once by drv_open() from the configuration.
 */
#include <stdlib.h>

#include "config.h"
#include "util.h"
#include "drv.h"
#include "drv_pg.h"
#include "drv_sqlite.h"
#include "store.h"

struct drv {
	enum drv_kind		 kind;
	struct litedrv		*lite;
	struct pgdrv		*pg;
};

struct drv_stmt {
	struct litedrv_stmt	*lite;
	struct pgdrv_stmt	*pg;
};

int
drv_open(const struct config *c, struct drv **out)
{
	struct drv	*d;
	int		 rc;

	*out = NULL;
	d = xcalloc(1, sizeof(*d));
	if (c->database_url != NULL) {
		d->kind = DRV_PG;
		rc = pgdrv_open(c->database_url, c->busy_timeout_ms, &d->pg) ==
		    0 ? 0 : STORE_EDB;
	} else {
		d->kind = DRV_SQLITE;
		rc = litedrv_open(c, &d->lite);
	}
	if (rc < 0) {
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void
drv_close(struct drv *d)
{
	if (d == NULL)
		return;
	if (d->pg != NULL)
		pgdrv_close(d->pg);
	else
		litedrv_close(d->lite);
	free(d);
}

enum drv_kind
drv_kind(const struct drv *d)
{
	return d->kind;
}

struct drv_stmt *
drv_prepare(struct drv *d, const struct sqlq *q)
{
	struct drv_stmt	*s;

	s = xcalloc(1, sizeof(*s));
	if (d->pg != NULL)
		s->pg = pgdrv_prepare(d->pg, q->pg != NULL ? q->pg : q->lite);
	else
		s->lite = litedrv_prepare(d->lite, q->lite);
	if (s->pg == NULL && s->lite == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
drv_finalize(struct drv_stmt *s)
{
	if (s == NULL)
		return;
	if (s->pg != NULL)
		pgdrv_finalize(s->pg);
	else
		litedrv_finalize(s->lite);
	free(s);
}

void
drv_bind_int64(struct drv_stmt *s, int i, int64_t v)
{
	if (s->pg != NULL)
		pgdrv_bind_int64(s->pg, i, v);
	else
		litedrv_bind_int64(s->lite, i, v);
}

void
drv_bind_text(struct drv_stmt *s, int i, const char *v)
{
	if (s->pg != NULL)
		pgdrv_bind_text(s->pg, i, v);
	else
		litedrv_bind_text(s->lite, i, v);
}

void
drv_bind_blob(struct drv_stmt *s, int i, const void *v, size_t n)
{
	if (s->pg != NULL)
		pgdrv_bind_blob(s->pg, i, v, n);
	else
		litedrv_bind_blob(s->lite, i, v, n);
}

void
drv_bind_null(struct drv_stmt *s, int i)
{
	if (s->pg != NULL)
		pgdrv_bind_null(s->pg, i);
	else
		litedrv_bind_null(s->lite, i);
}

int
drv_step(struct drv_stmt *s)
{
	return s->pg != NULL ? pgdrv_step(s->pg) : litedrv_step(s->lite);
}

void
drv_reset(struct drv_stmt *s)
{
	if (s == NULL)
		return;
	if (s->pg != NULL)
		pgdrv_reset(s->pg);
	else
		litedrv_reset(s->lite);
}

int
drv_col_null(struct drv_stmt *s, int i)
{
	return s->pg != NULL ? pgdrv_col_null(s->pg, i) :
	    litedrv_col_null(s->lite, i);
}

int64_t
drv_col_int64(struct drv_stmt *s, int i)
{
	return s->pg != NULL ? pgdrv_col_int64(s->pg, i) :
	    litedrv_col_int64(s->lite, i);
}

const char *
drv_col_text(struct drv_stmt *s, int i)
{
	return s->pg != NULL ? pgdrv_col_text(s->pg, i) :
	    litedrv_col_text(s->lite, i);
}

const void *
drv_col_blob(struct drv_stmt *s, int i, size_t *len)
{
	return s->pg != NULL ? pgdrv_col_blob(s->pg, i, len) :
	    litedrv_col_blob(s->lite, i, len);
}

int64_t
drv_changes(const struct drv_stmt *s)
{
	return s->pg != NULL ? pgdrv_changes(s->pg) :
	    litedrv_changes(s->lite);
}

int
drv_begin(struct drv *d)
{
	return d->pg != NULL ? pgdrv_begin(d->pg) : litedrv_begin(d->lite);
}

int
drv_commit(struct drv *d)
{
	return d->pg != NULL ? pgdrv_commit(d->pg) : litedrv_commit(d->lite);
}

void
drv_rollback(struct drv *d)
{
	if (d->pg != NULL)
		pgdrv_rollback(d->pg);
	else
		litedrv_rollback(d->lite);
}

int
drv_exec(struct drv *d, const char *script)
{
	return d->pg != NULL ? pgdrv_exec(d->pg, script) :
	    litedrv_exec(d->lite, script);
}

int
drv_pg_migrate(struct drv *d, int wait_ms)
{
	return d->pg != NULL ? pgdrv_migrate(d->pg, wait_ms) : STORE_EDB;
}

int
drv_pg_schema_version(struct drv *d, int64_t *v)
{
	int	rc, iv = 0;

	*v = 0;
	if (d->pg == NULL)
		return STORE_EDB;
	rc = pgdrv_schema_version(d->pg, &iv);
	*v = iv;
	return rc;
}

size_t
drv_pg_migrations(void)
{
	return (size_t)pgdrv_migrations();
}

const char *
drv_describe(struct drv *d)
{
	return d->pg != NULL ? pgdrv_where(d->pg) : NULL;
}

int
drv_mark(struct drv *d, unsigned char out[DRV_MARK_LEN])
{
	return d->lite != NULL ? litedrv_mark(d->lite, out) : 0;
}

sqlite3 *
drv_sqlite_handle(struct drv *d)
{
	return d->lite != NULL ? litedrv_handle(d->lite) : NULL;
}
