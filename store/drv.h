/*
 * The database driver: the one interface the files of store/ use to reach
 * the database.  Two implementations: drv_sqlite.c (the default, a file)
 * and drv_pg.c (PostgreSQL through libpq, DATABASE_URL=postgresql://...).
 * Nothing outside store/ includes this file, and no file of store/ but
 * the drivers calls sqlite3_* or PQ* directly.
 *
 * One set of SQL statements serves both: a statement is written once in
 * SQLite's dialect with numbered placeholders (?1, ?2...); the PostgreSQL
 * driver reads ?N as $N.  Where the dialects differ (upserts, RETURNING of
 * a rowid, LIMIT -1, case-insensitive comparison...), the statement carries
 * its PostgreSQL text beside it, so the difference stays next to the
 * statement.
 *
 * Errors are the store's: STORE_EBUSY (locked or a serialization failure
 * after the driver's bounded retries: 503 DB_LOCKED), STORE_EUNAVAIL (the
 * server cannot be reached: 503 DB_UNAVAILABLE, the driver reconnects
 * with back-off on a later call), STORE_ECONFLICT (a unique or other
 * constraint refused the write; the caller finds out which by reading,
 * never by parsing an error text), STORE_EDB (anything else, logged).
 */
#ifndef AUTHD_STORE_DRV_H
#define AUTHD_STORE_DRV_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct drv;		/* one connection */
struct drv_stmt;	/* a statement prepared on one connection */

enum drv_kind {
	DRV_SQLITE,
	DRV_PG
};

/* A statement: SQLite's text, and PostgreSQL's where it differs (NULL: same). */
struct sqlq {
	const char	*lite;
	const char	*pg;
};

/* drv_step() results; errors are <0 (STORE_E*). */
#define DRV_DONE	0
#define DRV_ROW		1

/*
 * Opens the database the configuration names (cfg->database_url when set,
 * else the SQLite file in the state directory): 0 and the connection in
 * *out, or <0 (logged).  Does not migrate.
 */
int		 drv_open(const struct config *, struct drv **out);
void		 drv_close(struct drv *);
enum drv_kind	 drv_kind(const struct drv *);

/*
 * Prepares a statement once for the life of the connection (the caller
 * caches it).  NULL on failure (logged).  A driver that loses its
 * connection prepares again on its own after reconnecting.
 */
struct drv_stmt	*drv_prepare(struct drv *, const struct sqlq *);
void		 drv_finalize(struct drv_stmt *);

/* Binding, 1-based like the placeholders.  text NULL binds NULL. */
void		 drv_bind_int64(struct drv_stmt *, int, int64_t);
void		 drv_bind_text(struct drv_stmt *, int, const char *);
void		 drv_bind_blob(struct drv_stmt *, int, const void *, size_t);
void		 drv_bind_null(struct drv_stmt *, int);

/* Runs (first call) or advances: DRV_ROW, DRV_DONE or <0. */
int		 drv_step(struct drv_stmt *);
/* Ready for new bindings; always call when done with a run. */
void		 drv_reset(struct drv_stmt *);

/* Columns of the current row, 0-based.  Texts and blobs stay valid until
 * the next drv_step() or drv_reset(); a NULL text is NULL, a NULL integer
 * reads 0. */
int		 drv_col_null(struct drv_stmt *, int);
int64_t		 drv_col_int64(struct drv_stmt *, int);
const char	*drv_col_text(struct drv_stmt *, int);
const void	*drv_col_blob(struct drv_stmt *, int, size_t *len);

/* Rows the statement's last run changed (after DRV_DONE). */
int64_t		 drv_changes(const struct drv_stmt *);

/*
 * Transactions.  drv_begin() takes the database's write lock at once
 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN and a transaction-scoped
 * advisory lock), so writers are serialised on both backends and a
 * read-then-write inside a transaction cannot race another node.
 * drv_rollback() is a no-op when no transaction is open (after a commit).
 */
int		 drv_begin(struct drv *);
int		 drv_commit(struct drv *);
void		 drv_rollback(struct drv *);

/*
 * A mark of the database's committed state, for reads that may be
 * answered from memory: while the mark is the same, no transaction of
 * any process has been committed since.  SQLite in WAL mode: the
 * wal-index header (the -shm file's first 48 bytes, sqlite.org's
 * "WAL-mode file format": every commit changes its iChange, mxFrame and
 * checksums), read where SQLite itself maps it.  1 with the mark in
 * out, 0 when there is none (PostgreSQL, whose other nodes write
 * unseen; SQLite not in WAL or before its first read).  Take the mark
 * before the read whose result it is to vouch for.
 */
#define DRV_MARK_LEN	48
int		 drv_mark(struct drv *, unsigned char out[DRV_MARK_LEN]);

/* Runs a script of statements without parameters (migrations): 0 or <0. */
int		 drv_exec(struct drv *, const char *script);

/*
 * PostgreSQL's schema (store/pg/, bookkept in the table schema_migrations;
 * SQLite's migrations stay with db.c and PRAGMA user_version).
 * drv_pg_migrate() applies the missing migrations, each in a transaction,
 * under a session advisory lock so that nodes starting together apply
 * each once; it waits up to wait_ms for the server: 0 or <0 (logged).
 * drv_pg_schema_version(): the highest migration applied (0 for an empty
 * database) into *v: 0 or <0.  drv_pg_migrations(): how many this
 * program carries.
 */
int		 drv_pg_migrate(struct drv *, int wait_ms);
int		 drv_pg_schema_version(struct drv *, int64_t *v);
size_t		 drv_pg_migrations(void);
/*
 * Where a PostgreSQL connection goes, for messages ("host:port/db", never
 * the user or password); NULL for SQLite (its path is the configuration's).
 */
const char	*drv_describe(struct drv *);

#endif
