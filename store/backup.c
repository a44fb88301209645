/*
 * Online backup of the database (authctl backup, SPEC §10).
 *
 * SQLite's backup API copies every page in one step, that is inside one
 * read transaction of the source: in WAL mode the workers keep writing
 * meanwhile and the copy is the database as it was when the step began.
 * The copy goes into a private temporary file beside the destination
 * and is renamed into place only once complete and synced, so a full
 * disk or a crash never leaves a partial file under the asked-for name.
 * SQLite-specific by nature: with drv_sqlite.c and fastapi.c, the only
 * files of store/ that call sqlite3_*, through the driver's handle.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "drv_sqlite.h"
#include "store_int.h"

/* Maps an SQLite result of the copy to the store's codes (logged). */
static int
backup_err(sqlite3 *dst, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warnx("backup: database busy");
		return STORE_EBUSY;
	case SQLITE_FULL:
		log_warnx("backup: disk full");
		return STORE_EFULL;
	default:
		log_warnx("backup: %s", dst != NULL ? sqlite3_errmsg(dst) :
		    sqlite3_errstr(rc));
		return STORE_EDB;
	}
}

/* Copies the whole database of st into the empty file tmp.  0 or <0. */
static int
copy_into(struct store *st, const char *tmp)
{
	sqlite3		*dst = NULL;
	sqlite3_backup	*b;
	int		 rc;

	if (drv_kind(st->drv) != DRV_SQLITE) {
		log_warnx("backup: the online backup is SQLite's; back up a "
		    "PostgreSQL database with its own tools (pg_dump)");
		return STORE_EDB;
	}
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		rc = backup_err(dst, rc);
		goto done;
	}
	sqlite3_extended_result_codes(dst, 1);
	if ((b = sqlite3_backup_init(dst, "main",
	    drv_sqlite_handle(st->drv), "main")) == NULL) {
		rc = backup_err(dst, sqlite3_errcode(dst));
		goto done;
	}
	rc = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE)
		rc = sqlite3_errcode(dst);
	rc = rc == SQLITE_DONE ? 0 : backup_err(dst, rc);
done:
	if (sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = backup_err(NULL, SQLITE_IOERR);
	return rc;
}

/* fsync(2) of a file or directory by name.  0, or -1 with errno. */
static int
sync_path(const char *path, int flags)
{
	int	fd, rc, saved;

	if ((fd = open(path, flags | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * Moves the finished copy tmp to path: link(2) when path must not exist
 * (atomic: a file created meanwhile is never replaced), rename(2) when
 * replacing.  1 done, 0 path exists, -1 (errno).
 */
static int
publish(const char *tmp, const char *path, int replace)
{
	if (replace)
		return rename(tmp, path) == 0 ? 1 : -1;
	if (link(tmp, path) == 0) {
		(void)unlink(tmp);
		return 1;
	}
	return errno == EEXIST ? 0 : -1;
}

/*
 * See store.h.  Returns 1 copied, 0 path exists (not replace), or
 * STORE_EBUSY, STORE_EFULL, STORE_EDB with nothing left at path or beside it.
 */
int
store_backup(struct store *st, const char *path, int replace)
{
	struct stat	 sb;
	char		*tmp = NULL, *journal = NULL, *dcopy = NULL;
	int		 fd, rc = STORE_EDB, r;

	if (!replace && lstat(path, &sb) == 0)
		return 0;
	tmp = xasprintf("%s.tmp-XXXXXX", path);
	journal = NULL;
	/* mkstemp(3) creates the file 0600, whatever the umask. */
	if ((fd = mkstemp(tmp)) == -1) {
		log_warn("backup: create %s", tmp);
		rc = errno == ENOSPC ? STORE_EFULL : STORE_EDB;
		free(tmp);
		return rc;
	}
	close(fd);
	journal = xasprintf("%s-journal", tmp);
	if ((rc = copy_into(st, tmp)) < 0)
		goto done;
	if (sync_path(tmp, O_RDONLY) == -1) {
		log_warn("backup: fsync %s", tmp);
		rc = errno == ENOSPC ? STORE_EFULL : STORE_EDB;
		goto done;
	}
	if ((r = publish(tmp, path, replace)) == -1) {
		log_warn("backup: cannot create %s", path);
		rc = errno == ENOSPC ? STORE_EFULL : STORE_EDB;
		goto done;
	}
	if (r == 0) {
		rc = 0;
		goto done;
	}
	dcopy = xstrdup(path);
	if (sync_path(dirname(dcopy), O_RDONLY | O_DIRECTORY) == -1)
		log_warn("backup: fsync the directory of %s", path);
	rc = 1;
done:
	/* After a rename or link the name is gone or a second link: both fine. */
	if (rc != 1)
		(void)unlink(tmp);
	(void)unlink(journal);
	free(tmp);
	free(journal);
	free(dcopy);
	return rc;
}
