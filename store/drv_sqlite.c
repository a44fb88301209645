/*
 * The SQLite driver of drv.h (under the names of drv_sqlite.h; drv.c
 * calls it for a connection of kind DRV_SQLITE): one connection to the database file, WAL,
 * statements prepared persistent, SQLite's result codes mapped to the
 * store's (by code, never by message).  With backup.c and fastapi.c
 * (SQLite's own backup API and the reader of a foreign SQLite file), the
 * only file that calls sqlite3_*.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "drv.h"
#include "drv_sqlite.h"
#include "store.h"

/* The busy timeout when the configuration gives none. */
#define BUSY_DEFAULT_MS	5000

struct litedrv {
	sqlite3		*db;
	sqlite3_stmt	*begin, *commit, *rollback;
	int		 wal;		/* journal_mode is WAL: litedrv_mark() */
};

struct litedrv_stmt {
	struct litedrv	*d;
	sqlite3_stmt	*s;
	int64_t		 changes;	/* of the last run that reached DONE */
};

/* Maps a result code to STORE_E* (logged; a constraint only for debugging). */
static int
map_err(struct litedrv *d, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warnx("database busy: %s", what);
		return STORE_EBUSY;
	case SQLITE_CONSTRAINT:
		/* The caller finds out by reading; column names, no values. */
		log_debug("constraint: %s: %s", what, d != NULL &&
		    d->db != NULL ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
		return STORE_ECONFLICT;
	default:
		log_warnx("database error: %s: %s", what, d != NULL &&
		    d->db != NULL ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
		return STORE_EDB;
	}
}

/*
 * Switching a new database to WAL takes an exclusive lock, and SQLite
 * answers SQLITE_BUSY at once rather than through the busy handler when
 * another process holds a lock: workers started together on a fresh
 * database (spawn-fcgi -F N, or a migration under way) must wait for it
 * like for any other lock, up to the busy timeout, not exit.
 */
static int
apply_pragmas(sqlite3 *db, const struct config *c)
{
	const struct timespec	 pause = { 0, 10 * 1000 * 1000 };
	char			 q[128];
	char			*err = NULL;
	int			 rc, waited_ms = 0, limit_ms;

	limit_ms = c->busy_timeout_ms > 0 ? c->busy_timeout_ms :
	    BUSY_DEFAULT_MS;
	snprintf(q, sizeof(q), "PRAGMA journal_mode=WAL; PRAGMA "
	    "foreign_keys=ON; PRAGMA synchronous=%s;",
	    c->sync_full ? "FULL" : "NORMAL");
	for (;;) {
		rc = sqlite3_exec(db, q, NULL, NULL, &err);
		if (rc == SQLITE_OK)
			return 0;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) !=
		    SQLITE_LOCKED) || waited_ms >= limit_ms)
			break;
		sqlite3_free(err);
		err = NULL;
		nanosleep(&pause, NULL);
		waited_ms += 10;
	}
	log_warnx("pragmas: %s", err ? err : sqlite3_errstr(rc));
	sqlite3_free(err);
	return -1;
}

static int
prepare_raw(struct litedrv *d, const char *q, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v3(d->db, q, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL) != SQLITE_OK) {
		log_warnx("prepare failed: %s: %s", q, sqlite3_errmsg(d->db));
		*out = NULL;
		return -1;
	}
	return 0;
}

/*
 * Whether the connection's journal mode is WAL (a file system without
 * shared memory leaves a database in its rollback journal), after a
 * first read: SQLite opens the WAL and maps its shared memory at a
 * connection's first read, before anyone asks litedrv_mark() for it.
 */
static int
journal_is_wal(struct litedrv *d)
{
	sqlite3_stmt	*s;
	const char	*m;
	int		 wal = 0;

	if (prepare_raw(d, "PRAGMA journal_mode", &s) == -1)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (m = (const char *)sqlite3_column_text(s, 0)) != NULL)
		wal = strcmp(m, "wal") == 0;
	sqlite3_finalize(s);
	if (!wal || prepare_raw(d, "SELECT count(*) FROM sqlite_master",
	    &s) == -1)
		return 0;
	if (sqlite3_step(s) != SQLITE_ROW)
		wal = 0;
	sqlite3_finalize(s);
	return wal;
}

int
litedrv_open(const struct config *c, struct litedrv **out)
{
	struct litedrv	*d;
	const char	*path = c->database_path;
	int		 fd;

	*out = NULL;
	/* Create the file ourselves so its mode is 0600 from the start. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("open %s", path);
		return STORE_EDB;
	}
	close(fd);
	d = xcalloc(1, sizeof(*d));
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("sqlite open %s: %s", path,
		    d->db ? sqlite3_errmsg(d->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(d->db, c->busy_timeout_ms > 0 ?
	    c->busy_timeout_ms : BUSY_DEFAULT_MS);
	sqlite3_extended_result_codes(d->db, 1);
	if (apply_pragmas(d->db, c) == -1 ||
	    prepare_raw(d, "BEGIN IMMEDIATE", &d->begin) == -1 ||
	    prepare_raw(d, "COMMIT", &d->commit) == -1 ||
	    prepare_raw(d, "ROLLBACK", &d->rollback) == -1)
		goto fail;
	d->wal = journal_is_wal(d);
	*out = d;
	return 0;
fail:
	litedrv_close(d);
	return STORE_EDB;
}

void
litedrv_close(struct litedrv *d)
{
	if (d == NULL)
		return;
	sqlite3_finalize(d->begin);
	sqlite3_finalize(d->commit);
	sqlite3_finalize(d->rollback);
	sqlite3_close(d->db);
	free(d);
}

struct litedrv_stmt *
litedrv_prepare(struct litedrv *d, const char *q)
{
	struct litedrv_stmt	*ds;
	sqlite3_stmt	*s;

	if (prepare_raw(d, q, &s) == -1)
		return NULL;
	ds = xcalloc(1, sizeof(*ds));
	ds->d = d;
	ds->s = s;
	return ds;
}

void
litedrv_finalize(struct litedrv_stmt *ds)
{
	if (ds == NULL)
		return;
	sqlite3_finalize(ds->s);
	free(ds);
}

/*
 * A failed bind (an index out of range, no memory) is a programming or
 * resource error; SQLite remembers nothing of it, so it is logged here
 * and the statement runs with that parameter NULL.
 */
static void
bound(struct litedrv_stmt *ds, int rc, int i)
{
	if (rc != SQLITE_OK)
		log_warnx("bind %d: %s: %s", i, sqlite3_errstr(rc),
		    sqlite3_sql(ds->s));
}

void
litedrv_bind_int64(struct litedrv_stmt *ds, int i, int64_t v)
{
	bound(ds, sqlite3_bind_int64(ds->s, i, v), i);
}

void
litedrv_bind_text(struct litedrv_stmt *ds, int i, const char *v)
{
	if (v == NULL)
		litedrv_bind_null(ds, i);
	else
		bound(ds, sqlite3_bind_text(ds->s, i, v, -1,
		    SQLITE_TRANSIENT), i);
}

void
litedrv_bind_blob(struct litedrv_stmt *ds, int i, const void *v, size_t len)
{
	bound(ds, sqlite3_bind_blob64(ds->s, i, v, len, SQLITE_TRANSIENT), i);
}

void
litedrv_bind_null(struct litedrv_stmt *ds, int i)
{
	bound(ds, sqlite3_bind_null(ds->s, i), i);
}

int
litedrv_step(struct litedrv_stmt *ds)
{
	int	rc = sqlite3_step(ds->s);

	if (rc == SQLITE_ROW)
		return DRV_ROW;
	if (rc == SQLITE_DONE) {
		ds->changes = sqlite3_changes64(ds->d->db);
		return DRV_DONE;
	}
	return map_err(ds->d, rc, sqlite3_sql(ds->s));
}

void
litedrv_reset(struct litedrv_stmt *ds)
{
	if (ds == NULL)
		return;
	sqlite3_reset(ds->s);
	sqlite3_clear_bindings(ds->s);
}

int
litedrv_col_null(struct litedrv_stmt *ds, int i)
{
	return sqlite3_column_type(ds->s, i) == SQLITE_NULL;
}

int64_t
litedrv_col_int64(struct litedrv_stmt *ds, int i)
{
	return sqlite3_column_int64(ds->s, i);
}

const char *
litedrv_col_text(struct litedrv_stmt *ds, int i)
{
	if (sqlite3_column_type(ds->s, i) == SQLITE_NULL)
		return NULL;
	return (const char *)sqlite3_column_text(ds->s, i);
}

const void *
litedrv_col_blob(struct litedrv_stmt *ds, int i, size_t *len)
{
	const void	*b = sqlite3_column_blob(ds->s, i);

	*len = (size_t)sqlite3_column_bytes(ds->s, i);
	return b;
}

int64_t
litedrv_changes(const struct litedrv_stmt *ds)
{
	return ds->changes;
}

/* Runs one of the transaction statements. */
static int
tx(struct litedrv *d, sqlite3_stmt *s)
{
	int	rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return map_err(d, rc, sqlite3_sql(s));
	return 0;
}

int
litedrv_begin(struct litedrv *d)
{
	return tx(d, d->begin);
}

int
litedrv_commit(struct litedrv *d)
{
	return tx(d, d->commit);
}

void
litedrv_rollback(struct litedrv *d)
{
	if (sqlite3_get_autocommit(d->db))
		return;
	(void)tx(d, d->rollback);
}

int
litedrv_exec(struct litedrv *d, const char *script)
{
	char	*err = NULL;
	int	 rc;

	rc = sqlite3_exec(d->db, script, NULL, NULL, &err);
	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		rc = STORE_EBUSY;
	else
		rc = STORE_EDB;
	log_warnx("database script failed: %s", err != NULL ? err : "?");
	sqlite3_free(err);
	return rc;
}

/*
 * drv_mark(): the first copy of the wal-index header, from the shared
 * memory SQLite maps for this connection (the VFS's xShmMap of region 0,
 * never extended: before the connection's first read it is not mapped
 * and there is no mark).  A writer commits by updating this header, so
 * while its bytes stay the same no commit has become visible to readers;
 * a copy torn by a commit under way differs from both and only costs a
 * read.  A connection not in WAL mode has no shared memory.
 */
int
litedrv_mark(struct litedrv *d, unsigned char *out)
{
	sqlite3_file		*f = NULL;
	volatile void		*p = NULL;
	const volatile unsigned char *h;
	int			 i;

	if (!d->wal ||
	    sqlite3_file_control(d->db, "main", SQLITE_FCNTL_FILE_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods == NULL ||
	    f->pMethods->iVersion < 2 || f->pMethods->xShmMap == NULL)
		return 0;
	if (f->pMethods->xShmMap(f, 0, 32768, 0, &p) != SQLITE_OK ||
	    p == NULL)
		return 0;
	h = p;
	for (i = 0; i < DRV_MARK_LEN; i++)
		out[i] = h[i];
	return 1;
}

sqlite3 *
litedrv_handle(struct litedrv *d)
{
	return d->db;
}
