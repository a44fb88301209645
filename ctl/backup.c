/*
 * authctl backup PATH: a consistent copy of the database while the
 * service runs (SPEC §10), through store_backup(): SQLite's online
 * backup into a private temporary file, renamed into place when whole.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "ctl.h"
#include "store.h"
#include "util.h"

static const char usage_backup[] =
"usage: authctl backup [--force] PATH\n"
"\n"
"Writes a consistent copy of the database to PATH (mode 0600) while the\n"
"service runs.  An existing PATH is refused unless --force, which\n"
"replaces it atomically.  Restore: stop the service, copy the file over\n"
"DATABASE_PATH (removing its -wal and -shm files), start the service.\n";

/* 1 when a and b name the same existing file. */
static int
same_file(const char *a, const char *b)
{
	struct stat	sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * authctl backup PATH.  CTL_OK with the copy in place; CTL_ERR with
 * nothing at PATH changed (the database, a full disk, an existing file
 * without --force); CTL_USAGE.
 */
int
ctl_backup(struct ctl *c, int argc, char **argv)
{
	struct json_object	*j;
	const char		*path;
	char			*wal, *shm;
	int			 r, live;

	if (argc != 2 || argv[1][0] == '\0' || argv[1][0] == '-')
		return ctl_usage(usage_backup, ctl_wants_help(argc, argv));
	path = argv[1];
	wal = xasprintf("%s-wal", c->cfg->database_path);
	shm = xasprintf("%s-shm", c->cfg->database_path);
	live = same_file(path, c->cfg->database_path) || same_file(path, wal) ||
	    same_file(path, shm);
	free(wal);
	free(shm);
	if (live) {
		fprintf(stderr, "authctl: backup: %s is the live database or "
		    "one of its files: choose another path\n", path);
		return CTL_ERR;
	}
	if (ctl_store(c) == NULL)
		return CTL_ERR;
	r = store_backup(c->db, path, c->force);
	if (r == 0) {
		fprintf(stderr, "authctl: backup: %s exists; choose another "
		    "path or pass --force to replace it\n", path);
		return CTL_ERR;
	}
	if (r < 0)
		return ctl_store_error(r, "backup");
	if (c->json) {
		j = json_object_new_object();
		json_object_object_add(j, "path", json_object_new_string(path));
		return ctl_json_print(j);
	}
	printf("backup written to %s\n", path);
	return CTL_OK;
}
