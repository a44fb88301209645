/*
 * What only the SQLite driver can give: its connection handle, for the
 * SQLite-only work of backup.c (the online backup API).  Nothing but
 * drv_sqlite.c and backup.c includes this file.
 */
#ifndef AUTHD_STORE_DRV_SQLITE_H
#define AUTHD_STORE_DRV_SQLITE_H

#include <sqlite3.h>

struct drv;

/* The connection of an SQLite driver (drv_kind() == DRV_SQLITE). */
sqlite3	*drv_sqlite_handle(struct drv *);

#endif
