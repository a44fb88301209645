/*
 * Unit tests for authctl's pure parts and its store functions: the
 * aligned table (alignment counted in characters, NULL as "-", control
 * characters and invalid UTF-8 made harmless, no trailing blanks), the
 * JSON printer, ctl_uuid_shaped(), and store_backup() /
 * store_schema_current() / store_user_verify() on a fresh database.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "config.h"
#include "ctl.h"
#include "store.h"
#include "t.h"
#include "util.h"

/* The configuration handed to the store (store_open()), built here. */
static struct config	cfg;
static char	dir[] = "/tmp/test_ctl.XXXXXX";

/*
 * Runs fn with stdout sent into a file and returns what it printed
 * (allocated); *rc gets fn's result.
 */
static char *
capture(int (*fn)(void *), void *arg, int *rc)
{
	char	*path, *buf;
	FILE	*f;
	long	 n;
	int	 saved;

	fflush(stdout);
	path = xasprintf("%s/out", dir);
	saved = dup(STDOUT_FILENO);
	if (freopen(path, "w", stdout) == NULL)
		abort();
	*rc = fn(arg);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	clearerr(stdout);
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xcalloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	free(path);
	return buf;
}

static int
print_table(void *arg)
{
	return ctl_table_print(arg);
}

static int
print_json(void *arg)
{
	return ctl_json_print(arg);
}

static void
test_table(void)
{
	struct ctl_table	*t;
	char			*out;
	int			 rc;

	t = ctl_table_new(3, "ID", "NAME", "NOTE");
	T_OK(ctl_table_rows(t) == 0);
	ctl_table_row(t, "1", "\xc3\xa9l\xc3\xa8ve", NULL);
	ctl_table_row(t, "22", "x", "bell\x07 esc\x1b[31m c1\xc2\x9b bad\xff");
	T_OK(ctl_table_rows(t) == 2);
	out = capture(print_table, t, &rc);
	T_OK(rc == CTL_OK);
	/* é and è count as one character each: NAME is 5 wide. */
	T_STREQ(out,
	    "ID  NAME   NOTE\n"
	    "1   \xc3\xa9l\xc3\xa8ve  -\n"
	    "22  x      bell? esc?[31m c1? bad?\n");
	free(out);

	t = ctl_table_new(2, "A", "B");
	out = capture(print_table, t, &rc);
	T_STREQ(out, "A  B\n");
	free(out);
	ctl_table_free(NULL);
}

static void
test_json(void)
{
	struct json_object	*o = json_object_new_object();
	char			*out;
	int			 rc;

	json_object_object_add(o, "url", json_object_new_string("a/b"));
	out = capture(print_json, o, &rc);
	T_OK(rc == CTL_OK);
	T_OK(strstr(out, "\"url\": \"a/b\"") != NULL, "got %s", out);
	T_OK(out[strlen(out) - 1] == '\n');
	free(out);
}

static void
test_uuid(void)
{
	T_OK(ctl_uuid_shaped("6f1c2d4e-0000-4000-8000-000000000000"));
	T_OK(!ctl_uuid_shaped("6F1C2D4E-0000-4000-8000-000000000000"));
	T_OK(!ctl_uuid_shaped("6f1c2d4e-0000-4000-8000-00000000000"));
	T_OK(!ctl_uuid_shaped("6f1c2d4e-0000-4000-8000-0000000000000"));
	T_OK(!ctl_uuid_shaped("../../etc/passwd"));
	T_OK(!ctl_uuid_shaped(""));
}

/* The number of users in the database file at path, or -1. */
static int
count_users(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int		 n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT count(*) FROM users",
	    -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

static void
test_store(void)
{
	struct store	*st;
	struct user_new	 n;
	struct user	*u = NULL, *v = NULL;
	struct stat	 sb;
	char		*db, *copy;

	db = xasprintf("%s/t.db", dir);
	copy = xasprintf("%s/copy.db", dir);
	T_OK(store_migrate(db, &cfg) == 0 && store_open(db, &cfg, &st) == 0,
	    "open");
	T_OK(store_schema_current(st) == 1);

	memset(&n, 0, sizeof(n));
	n.email = "a@example.com";
	n.username = "alice";
	n.password_hash = "$argon2id$x";
	n.role = ROLE_REGULAR;
	T_OK(store_user_create(st, &n, &u) == 1);
	T_OK(u != NULL && !u->email_verified);
	T_OK(store_user_verify(st, u->id) == 1);
	T_OK(store_user_by_id(st, u->id, &v) == 1 && v->email_verified);
	T_OK(store_user_verify(st, "6f1c2d4e-0000-4000-8000-000000000000") == 0);

	umask(0022);
	T_OK(store_backup(st, copy, 0) == 1);
	T_OK(stat(copy, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "mode %o", sb.st_mode & 0777);
	T_OK(count_users(copy) == 1);
	T_OK(store_backup(st, copy, 0) == 0, "no overwrite");
	n.email = "b@example.com";
	n.username = "bob";
	user_free(u);
	T_OK(store_user_create(st, &n, &u) == 1);
	T_OK(count_users(copy) == 1, "untouched");
	T_OK(store_backup(st, copy, 1) == 1, "replaced");
	T_OK(count_users(copy) == 2);
	T_OK(store_user_delete(st, u->id) == 1);
	T_OK(store_user_verify(st, u->id) == 0, "deleted: not verified");
	T_OK(store_backup(st, "/nonexistent-dir/x.db", 0) == STORE_EDB);

	user_free(u);
	user_free(v);
	store_close(st);
	free(db);
	free(copy);
}

int
main(void)
{
	char	*p;

	if (mkdtemp(dir) == NULL)
		return 1;
	cfg.busy_timeout_ms = 1000;
	test_table();
	test_json();
	test_uuid();
	test_store();
	p = xasprintf("rm -rf %s", dir);
	if (system(p) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(p);
	return t_done("ctl");
}
