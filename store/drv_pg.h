/*
 * The PostgreSQL driver (libpq): the functions of drv.h for a PostgreSQL
 * connection, under their own names so the two drivers live side by side
 * and drv.h's functions pick one by the connection's kind.  Only the
 * drivers include this file.
 *
 * A connection is opened lazily and kept: when it is lost, calls return
 * STORE_EUNAVAIL at once and later calls reconnect with back-off (100 ms
 * doubling to 5 s; one attempt never blocks longer than connect_timeout,
 * 2 s unless the URL says otherwise).  Statements are prepared on the
 * server once per connection under names of their own, and prepared
 * again after a reconnect without the caller noticing.
 */
#ifndef AUTHD_STORE_DRV_PG_H
#define AUTHD_STORE_DRV_PG_H

#include <stddef.h>
#include <stdint.h>

struct pgdrv;
struct pgdrv_stmt;

/*
 * A connection to the database of a postgresql:// or postgres:// URL.
 * lock_ms: how long drv_begin() waits for the write lock, as
 * SQLITE_BUSY_TIMEOUT_MS does for SQLite (STORE_EBUSY past it; <= 0:
 * 5000).  Returns 0 and the driver in *out even when the server cannot
 * be reached now (it is tried again on use); -1 when the URL cannot be
 * parsed (logged without the URL: it may hold a password).
 */
int		 pgdrv_open(const char *url, int lock_ms, struct pgdrv **out);
void		 pgdrv_close(struct pgdrv *);
/* "host:port/db" of the connection, for messages. */
const char	*pgdrv_where(const struct pgdrv *);

struct pgdrv_stmt *pgdrv_prepare(struct pgdrv *, const char *sql);
void		 pgdrv_finalize(struct pgdrv_stmt *);
void		 pgdrv_bind_int64(struct pgdrv_stmt *, int, int64_t);
void		 pgdrv_bind_text(struct pgdrv_stmt *, int, const char *);
void		 pgdrv_bind_blob(struct pgdrv_stmt *, int, const void *, size_t);
void		 pgdrv_bind_null(struct pgdrv_stmt *, int);
int		 pgdrv_step(struct pgdrv_stmt *);
void		 pgdrv_reset(struct pgdrv_stmt *);
int		 pgdrv_col_null(struct pgdrv_stmt *, int);
int64_t		 pgdrv_col_int64(struct pgdrv_stmt *, int);
const char	*pgdrv_col_text(struct pgdrv_stmt *, int);
const void	*pgdrv_col_blob(struct pgdrv_stmt *, int, size_t *);
int64_t		 pgdrv_changes(const struct pgdrv_stmt *);
int		 pgdrv_begin(struct pgdrv *);
int		 pgdrv_commit(struct pgdrv *);
void		 pgdrv_rollback(struct pgdrv *);
int		 pgdrv_exec(struct pgdrv *, const char *script);

/*
 * Applies the PostgreSQL migrations (store/pg/) not applied yet, under a
 * session advisory lock so that nodes starting together apply each once.
 * Waits up to wait_ms for the server to be reachable.  0 or -1 (logged).
 */
int		 pgdrv_migrate(struct pgdrv *, int wait_ms);
/*
 * The schema's version (the highest applied migration) into *v, 0 when
 * none is: 0, or <0 (STORE_EUNAVAIL, STORE_EDB).
 */
int		 pgdrv_schema_version(struct pgdrv *, int *v);
/* The number of migrations this program carries. */
int		 pgdrv_migrations(void);

/*
 * Pure parts, exposed for the unit tests.
 *
 * SQLite's placeholders as PostgreSQL's: ?N becomes $N and a bare ?
 * the next number after the highest so far (SQLite's rule), outside
 * quoted strings, quoted identifiers and comments.  Returns the
 * allocated text and the number of parameters in *nparams, or NULL when
 * a placeholder is malformed or above 999 (logged).
 */
char		*pgdrv_translate(const char *sql, int *nparams);
/*
 * Decodes a bytea in hex output format ("\x0a1b..."): returns the byte
 * count written to out (room for (strlen(in) - 2) / 2 bytes), or -1
 * when the text is not in that format.
 */
long		 pgdrv_unhex(const char *in, unsigned char *out);
/*
 * A text parameter as PostgreSQL takes it: an allocated copy of in with
 * every byte that is not part of valid UTF-8 replaced by U+FFFD.  SQLite
 * keeps any bytes; a PostgreSQL database in UTF-8 refuses them (22021),
 * which would turn a lookup by a hostile id into a 500.  A repaired text
 * can only equal a stored text that holds U+FFFD where it had bad
 * bytes: the keys looked up (ids, emails, usernames, checked as UTF-8
 * before) hold neither.
 */
char		*pgdrv_utf8(const char *in);
/*
 * Writes "host[:port]/dbname" of a connection URL to out (never its user
 * or password); -1 when the URL cannot be parsed.
 */
int		 pgdrv_describe(const char *url, char *out, size_t outlen);

#endif
