/*
 * The connection (through the driver of drv.h), migrations, statement
 * caches and transactions.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "store_int.h"

#include "migrations.inc"	/* static const char *const migrations[] */

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static const struct sqlq sql[] = {
	/* Q_PING */
	{ "SELECT 1", NULL },
	/* Q_PROBE_INSERT: a row that lives only inside write_undone() */
	{ "INSERT INTO throttle_events (bucket, key, at) VALUES (?1, '', ?2) "
	  "RETURNING rowid", NULL },
	/* Q_PROBE_DELETE */
	{ "DELETE FROM throttle_events WHERE rowid = ?1", NULL },
	/* Q_VERSION: the schema version (a read: it waits for no writer) */
	{ "PRAGMA user_version", NULL },
};
enum { Q_PING, Q_PROBE_INSERT, Q_PROBE_DELETE, Q_VERSION, Q__MAX };

struct drv_stmt *
stmt_get(struct store *st, enum module m, const struct sqlq *q, size_t n,
    size_t idx)
{
	if (st->stmts[m] == NULL) {
		st->stmts[m] = xcalloc(n, sizeof(struct drv_stmt *));
		st->nstmts[m] = n;
	}
	if (st->stmts[m][idx] == NULL)
		st->stmts[m][idx] = drv_prepare(st->drv, &q[idx]);
	return st->stmts[m][idx];
}

struct drv_stmt *
stmt_get1(struct store *st, enum module m, const struct sqlq *q, size_t n,
    size_t idx, const char *v)
{
	struct drv_stmt	*s;

	if ((s = stmt_get(st, m, q, n, idx)) != NULL)
		drv_bind_text(s, 1, v);
	return s;
}

void
stmt_done(struct drv_stmt *s)
{
	if (s != NULL)
		drv_reset(s);
}

int
stmt_run(struct drv_stmt *s)
{
	int	rc;

	while ((rc = drv_step(s)) == DRV_ROW)
		;
	if (rc == DRV_DONE)
		rc = drv_changes(s) > 0;
	drv_reset(s);
	return rc;
}

int
stmt_int64(struct drv_stmt *s, int64_t *v)
{
	int	rc = drv_step(s);

	if (rc == DRV_ROW && v != NULL)
		*v = drv_col_int64(s, 0);
	drv_reset(s);
	return rc == DRV_ROW ? 1 : rc;
}

int
tx_begin(struct store *st)
{
	return drv_begin(st->drv);
}

int
tx_commit(struct store *st)
{
	return drv_commit(st->drv);
}

void
tx_rollback(struct store *st)
{
	drv_rollback(st->drv);
}

char *
col_text(struct drv_stmt *s, int i)
{
	const char	*t = drv_col_text(s, i);

	return t != NULL ? xstrdup(t) : NULL;
}

void
col_copy(struct drv_stmt *s, int i, char *buf, size_t size)
{
	const char	*t = drv_col_text(s, i);

	snprintf(buf, size, "%s", t != NULL ? t : "");
}

/*
 * Opens the database file path (or the server the configuration names)
 * with the settings of c.
 */
static int
open_drv(const char *path, const struct config *c, struct drv **out)
{
	struct config	 at = *c;
	int		 rc;

	at.database_path = xstrdup(path);
	rc = drv_open(&at, out);
	free(at.database_path);
	return rc;
}

/* The schema version of the database: 0 and *v, or <0. */
static int
schema_version(struct drv *d, int64_t *v)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = drv_prepare(d, &sql[Q_VERSION])) == NULL)
		return STORE_EDB;
	rc = drv_step(s);
	if (rc == DRV_ROW)
		*v = drv_col_int64(s, 0);
	drv_reset(s);
	drv_finalize(s);
	if (rc == DRV_ROW)
		return 0;
	return rc < 0 ? rc : STORE_EDB;
}

/* Records the schema version inside the migration's transaction. */
static int
set_schema_version(struct drv *d, size_t v)
{
	char	q[64];

	snprintf(q, sizeof(q), "PRAGMA user_version=%zu", v);
	return drv_exec(d, q);
}

/*
 * How long the start waits for a PostgreSQL server that cannot be
 * reached yet (a node booting with its database) before it gives up.
 */
#define PG_START_WAIT_MS	10000

int
store_migrate(const char *path, const struct config *c)
{
	struct drv	*d;
	int64_t		 v;
	size_t		 i;
	int		 rc;

	if (open_drv(path, c, &d) < 0)
		return -1;
	if (drv_kind(d) == DRV_PG) {
		rc = drv_pg_migrate(d, PG_START_WAIT_MS);
		drv_close(d);
		return rc < 0 ? -1 : 0;
	}
	if ((rc = drv_begin(d)) < 0)
		goto done;
	if ((rc = schema_version(d, &v)) < 0) {
		log_warnx("migrate: cannot read the schema version");
		goto done;
	}
	if (v < 0 || (uint64_t)v > NMIGRATIONS) {
		log_warnx("migrate: database version %lld is newer than this "
		    "program (%zu)", (long long)v, NMIGRATIONS);
		rc = STORE_EDB;
		goto done;
	}
	for (i = (size_t)v; i < NMIGRATIONS; i++) {
		if ((rc = drv_exec(d, migrations[i])) < 0 ||
		    (rc = set_schema_version(d, i + 1)) < 0)
			goto done;
		log_info("migrate: applied migration %zu", i + 1);
	}
	rc = drv_commit(d);
done:
	drv_rollback(d);
	drv_close(d);
	if (rc < 0) {
		log_warnx("migrate %s: failed", path);
		return -1;
	}
	if (chmod(path, 0600) == -1)
		log_warn("chmod %s", path);
	return 0;
}

int
store_open(const char *path, const struct config *c, struct store **out)
{
	struct store	*st;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	if (open_drv(path, c, &st->drv) < 0) {
		free(st);
		return -1;
	}
	st->cfg = c;
	*out = st;
	return 0;
}

void
store_use_config(struct store *st, const struct config *c)
{
	st->cfg = c;
}

void
store_close(struct store *st)
{
	size_t	m, i;

	if (st == NULL)
		return;
	for (m = 0; m < MOD__MAX; m++) {
		for (i = 0; i < st->nstmts[m]; i++)
			drv_finalize(st->stmts[m][i]);
		free(st->stmts[m]);
	}
	memo_free(st);
	drv_close(st->drv);
	free(st);
}

/*
 * A write that commits, as the throttling counters do: a transaction
 * begun and rolled back alone would write nothing and miss a full disk,
 * while the commit of an inserted and deleted row appends its pages to
 * the WAL (SQLITE_FULL when the filesystem has no room for them).
 */
int
write_undone(struct store *st, const char *bucket, int64_t at)
{
	struct drv_stmt	*s;
	int64_t		 row = 0;
	int		 rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((s = stmt_get1(st, MOD_DB, sql, Q__MAX, Q_PROBE_INSERT,
	    bucket)) == NULL) {
		rc = STORE_EDB;
		goto done;
	}
	drv_bind_int64(s, 2, at);
	if ((rc = stmt_int64(s, &row)) < 0)
		goto done;
	if ((s = stmt_get(st, MOD_DB, sql, Q__MAX, Q_PROBE_DELETE)) == NULL) {
		rc = STORE_EDB;
		goto done;
	}
	drv_bind_int64(s, 1, row);
	if ((rc = stmt_run(s)) < 0 || (rc = tx_commit(st)) < 0)
		goto done;
	rc = 1;
done:
	tx_rollback(st);
	return rc;
}

int
store_ready(struct store *st)
{
	struct drv_stmt	*s;

	if (st == NULL ||
	    (s = stmt_get(st, MOD_DB, sql, Q__MAX, Q_PING)) == NULL ||
	    stmt_int64(s, NULL) != 1)
		return 0;
	return write_undone(st, "probe", 0) == 1;
}

int
store_schema_current(struct store *st)
{
	struct drv_stmt	*s;
	int64_t		 v = -1;
	size_t		 n = NMIGRATIONS;
	int		 rc;

	if (drv_kind(st->drv) == DRV_PG) {
		n = drv_pg_migrations();
		if ((rc = drv_pg_schema_version(st->drv, &v)) < 0) {
			log_warnx("cannot read the schema version");
			return rc;
		}
	} else if ((s = stmt_get(st, MOD_DB, sql, Q__MAX, Q_VERSION)) ==
	    NULL || stmt_int64(s, &v) != 1) {
		log_warnx("cannot read the schema version");
		return STORE_EDB;
	}
	if (v < 0 || (uint64_t)v > n) {
		log_warnx("database version %lld is newer than this program "
		    "(%zu)", (long long)v, n);
		return STORE_EDB;
	}
	return (size_t)v == n;
}
