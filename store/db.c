/*
 * The connection: opening, pragmas, migrations, statement caches and
 * transactions.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "store_int.h"

#include "migrations.inc"	/* static const char *const migrations[] */

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static const char *const sql[] = {
	"BEGIN IMMEDIATE",	/* Q_BEGIN */
	"COMMIT",		/* Q_COMMIT */
	"ROLLBACK",		/* Q_ROLLBACK */
	"SELECT 1",		/* Q_PING */
	/* Q_PROBE_INSERT: a row that lives only inside the write probe */
	"INSERT INTO throttle_events (bucket, key, at) VALUES ('probe', '', 0)",
	/* Q_PROBE_DELETE */
	"DELETE FROM throttle_events WHERE rowid = last_insert_rowid()",
};
enum { Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_PING, Q_PROBE_INSERT,
    Q_PROBE_DELETE, Q__MAX };

int
store_err(struct store *st, int rc, const char *what)
{
	int	prim = rc & 0xff;

	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
		log_warnx("database busy: %s", what);
		return STORE_EBUSY;
	}
	log_warnx("database error: %s: %s", what,
	    st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) :
	    sqlite3_errstr(rc));
	return STORE_EDB;
}

sqlite3_stmt *
stmt_get(struct store *st, enum module m, const char *const *q, size_t n,
    size_t idx)
{
	int	rc;

	if (st->stmts[m] == NULL) {
		st->stmts[m] = xcalloc(n, sizeof(sqlite3_stmt *));
		st->nstmts[m] = n;
	}
	if (st->stmts[m][idx] == NULL) {
		rc = sqlite3_prepare_v3(st->db, q[idx], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmts[m][idx], NULL);
		if (rc != SQLITE_OK) {
			log_warnx("prepare failed: %s: %s", q[idx],
			    sqlite3_errmsg(st->db));
			st->stmts[m][idx] = NULL;
			return NULL;
		}
	}
	return st->stmts[m][idx];
}

void
stmt_done(sqlite3_stmt *s)
{
	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

int
stmt_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int	rc = sqlite3_step(s);

	stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_err(st, rc, what);
	return 0;
}

static int
exec1(struct store *st, size_t q)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_DB, sql, Q__MAX, q)) == NULL)
		return STORE_EDB;
	rc = sqlite3_step(s);
	stmt_done(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_err(st, rc, sql[q]);
	return 0;
}

int
tx_begin(struct store *st)
{
	return exec1(st, Q_BEGIN);
}

int
tx_commit(struct store *st)
{
	int	rc;

	if ((rc = exec1(st, Q_COMMIT)) < 0)
		tx_rollback(st);
	return rc;
}

void
tx_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return;
	(void)exec1(st, Q_ROLLBACK);
}

int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char	*t;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	t = sqlite3_column_text(s, i);
	return xstrndup(t ? (const char *)t : "",
	    (size_t)sqlite3_column_bytes(s, i));
}

/*
 * Switching a new database to WAL takes an exclusive lock, and SQLite
 * answers SQLITE_BUSY at once rather than through the busy handler when
 * another process holds a lock: workers started together on a fresh
 * database (spawn-fcgi -F N, or a migration under way) must wait for it
 * like for any other lock, up to the busy timeout, not exit.
 */
static int
apply_pragmas(sqlite3 *db)
{
	const struct timespec	 pause = { 0, 10 * 1000 * 1000 };
	char			 q[128];
	char			*err = NULL;
	int			 rc, waited_ms = 0, limit_ms;

	limit_ms = cfg.busy_timeout_ms > 0 ? cfg.busy_timeout_ms : 5000;
	snprintf(q, sizeof(q), "PRAGMA journal_mode=WAL; PRAGMA "
	    "foreign_keys=ON; PRAGMA synchronous=%s;",
	    cfg.sync_full ? "FULL" : "NORMAL");
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
open_db(const char *path, sqlite3 **out)
{
	sqlite3	*db = NULL;
	int	 fd;

	/* Create the file ourselves so its mode is 0600 from the start. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("open %s", path);
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("sqlite open %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, cfg.busy_timeout_ms > 0 ?
	    cfg.busy_timeout_ms : 5000);
	sqlite3_extended_result_codes(db, 1);
	if (apply_pragmas(db) == -1) {
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return *v < 0 ? -1 : 0;
}

int
store_migrate(const char *path)
{
	sqlite3	*db;
	char	*err = NULL, q[64];
	int	 v, rc = -1;
	size_t	 i;

	if (open_db(path, &db) == -1)
		return -1;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK)
		goto out;
	if (user_version(db, &v) == -1) {
		log_warnx("migrate: cannot read user_version");
		goto rollback;
	}
	if ((size_t)v > NMIGRATIONS) {
		log_warnx("migrate: database version %d is newer than this "
		    "program (%zu)", v, NMIGRATIONS);
		goto rollback;
	}
	for (i = (size_t)v; i < NMIGRATIONS; i++) {
		if (sqlite3_exec(db, migrations[i], NULL, NULL, &err) !=
		    SQLITE_OK)
			goto rollback;
		snprintf(q, sizeof(q), "PRAGMA user_version=%zu", i + 1);
		if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
			goto rollback;
		log_info("migrate: applied migration %zu", i + 1);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK)
		goto rollback;
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	if (rc == -1)
		log_warnx("migrate %s: %s", path, err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	sqlite3_close(db);
	if (rc == 0 && chmod(path, 0600) == -1)
		log_warn("chmod %s", path);
	return rc;
}

int
store_open(const char *path, struct store **out)
{
	struct store	*st;

	st = xcalloc(1, sizeof(*st));
	if (open_db(path, &st->db) == -1) {
		free(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	size_t	m, i;

	if (st == NULL)
		return;
	for (m = 0; m < MOD__MAX; m++) {
		for (i = 0; i < st->nstmts[m]; i++)
			sqlite3_finalize(st->stmts[m][i]);
		free(st->stmts[m]);
	}
	sqlite3_close(st->db);
	free(st);
}

/*
 * A write that commits, as the throttling counters do: BEGIN IMMEDIATE
 * and ROLLBACK alone would write nothing and miss a full disk, while
 * the commit of an inserted and deleted row appends its pages to the
 * WAL (SQLITE_FULL when the filesystem has no room for them).
 */
static int
write_probe(struct store *st)
{
	int	rc;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = exec1(st, Q_PROBE_INSERT)) < 0 ||
	    (rc = exec1(st, Q_PROBE_DELETE)) < 0) {
		tx_rollback(st);
		return rc;
	}
	return tx_commit(st);
}

int
store_ready(struct store *st)
{
	return st != NULL && exec1(st, Q_PING) == 0 && write_probe(st) == 0;
}

/*
 * Reads PRAGMA user_version through the connection: a read, so it waits
 * for no writer (WAL).
 */
int
store_schema_current(struct store *st)
{
	int	v;

	if (user_version(st->db, &v) == -1) {
		log_warnx("cannot read the schema version: %s",
		    sqlite3_errmsg(st->db));
		return STORE_EDB;
	}
	if ((size_t)v > NMIGRATIONS) {
		log_warnx("database version %d is newer than this program "
		    "(%zu)", v, NMIGRATIONS);
		return STORE_EDB;
	}
	return (size_t)v == NMIGRATIONS;
}
