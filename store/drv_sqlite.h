/*
 * The SQLite driver (drv_sqlite.c): the functions of drv.h for an SQLite
 * connection, under their own names so the two drivers live side by side
 * and drv.c picks one by the connection's kind; and what only the SQLite
 * driver can give, its connection handle, for the SQLite-only work of
 * backup.c (the online backup API).  Nothing but the drivers and
 * backup.c includes this file.
 */
#ifndef AUTHD_STORE_DRV_SQLITE_H
#define AUTHD_STORE_DRV_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct config;
struct drv;
struct litedrv;
struct litedrv_stmt;

/* The connection of an SQLite driver (drv_kind() == DRV_SQLITE). */
sqlite3	*drv_sqlite_handle(struct drv *);

/* drv.h's functions, one for one (drv_open: the file cfg names). */
int		 litedrv_open(const struct config *, struct litedrv **out);
void		 litedrv_close(struct litedrv *);
struct litedrv_stmt *litedrv_prepare(struct litedrv *, const char *sql);
void		 litedrv_finalize(struct litedrv_stmt *);
void		 litedrv_bind_int64(struct litedrv_stmt *, int, int64_t);
void		 litedrv_bind_text(struct litedrv_stmt *, int, const char *);
void		 litedrv_bind_blob(struct litedrv_stmt *, int, const void *,
		    size_t);
void		 litedrv_bind_null(struct litedrv_stmt *, int);
int		 litedrv_step(struct litedrv_stmt *);
void		 litedrv_reset(struct litedrv_stmt *);
int		 litedrv_col_null(struct litedrv_stmt *, int);
int64_t		 litedrv_col_int64(struct litedrv_stmt *, int);
const char	*litedrv_col_text(struct litedrv_stmt *, int);
const void	*litedrv_col_blob(struct litedrv_stmt *, int, size_t *);
int64_t		 litedrv_changes(const struct litedrv_stmt *);
int		 litedrv_begin(struct litedrv *);
int		 litedrv_commit(struct litedrv *);
void		 litedrv_rollback(struct litedrv *);
int		 litedrv_exec(struct litedrv *, const char *script);
int		 litedrv_mark(struct litedrv *, unsigned char *out);
sqlite3		*litedrv_handle(struct litedrv *);

#endif
