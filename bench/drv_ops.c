/*
 * bench/drv_ops: the cost of the store's database operations through
 * drv.h, on SQLite (a file in a temporary directory) and, when
 * DATABASE_URL (or STACK_DATABASE_URL) names one, on PostgreSQL: what a
 * request pays the driver, without HTTP or hashing around it.
 *
 * usage: bench/drv_ops [N]   (default 2000 of each, after 100 warm-ups)
 * Prints one line per backend:
 *   BACKEND read_us=R write_us=W tx_us=T
 * the mean microseconds of: a prepared SELECT of a user by primary key
 * (the validate path's read); an INSERT ... RETURNING rowid and the
 * DELETE of that row outside a transaction (two statements: the
 * throttling counters); a transaction of drv_begin(), one INSERT and
 * drv_commit() (the write lock, and on PostgreSQL the statement's
 * savepoint).  The database is migrated first; the rows it adds are
 * removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "drv.h"
#include "store.h"
#include "util.h"

static const struct sqlq q_user = {
	"INSERT INTO users (id, email, username, password_hash, created_at, "
	"updated_at) VALUES ('bench-user', 'bench@example.com', 'benchuser', "
	"'x', 0, 0) ON CONFLICT DO NOTHING", NULL
};
static const struct sqlq q_read = {
	"SELECT id, email, username, token_gen FROM users WHERE id = ?1", NULL
};
static const struct sqlq q_add = {
	"INSERT INTO throttle_events (bucket, key, at) VALUES ('bench', ?1, "
	"?2) RETURNING rowid", NULL
};
static const struct sqlq q_del = {
	"DELETE FROM throttle_events WHERE rowid = ?1", NULL
};
static const struct sqlq q_clear = {
	"DELETE FROM throttle_events WHERE bucket = 'bench'", NULL
};

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Steps a bound statement to its end: its first column, or -1 on error. */
static int64_t
run1(struct drv_stmt *s)
{
	int64_t	v = 0;
	int	rc;

	while ((rc = drv_step(s)) == DRV_ROW)
		v = drv_col_int64(s, 0);
	drv_reset(s);
	return rc < 0 ? -1 : v;
}

static int
read_once(struct drv_stmt *s)
{
	drv_bind_text(s, 1, "bench-user");
	return run1(s) < 0 ? -1 : 0;
}

static int
write_once(struct drv_stmt *add, struct drv_stmt *del, int i)
{
	int64_t	row;

	drv_bind_text(add, 1, "k");
	drv_bind_int64(add, 2, i);
	if ((row = run1(add)) <= 0)
		return -1;
	drv_bind_int64(del, 1, row);
	return run1(del) < 0 ? -1 : 0;
}

static int
tx_once(struct drv *d, struct drv_stmt *add, int i)
{
	if (drv_begin(d) < 0)
		return -1;
	drv_bind_text(add, 1, "tx");
	drv_bind_int64(add, 2, i);
	if (run1(add) <= 0 || drv_commit(d) < 0) {
		drv_rollback(d);
		return -1;
	}
	return 0;
}

/* Runs the three measures on the database of c: 0 or -1. */
static int
measure(const char *name, const struct config *c, int n)
{
	struct drv	*d = NULL;
	struct drv_stmt	*rd = NULL, *add = NULL, *del = NULL, *s;
	double		 t0 = 0, us[3];
	int		 i, k, rc = -1;

	if (store_migrate(c->database_path, c) == -1 || drv_open(c, &d) < 0)
		goto done;
	if ((s = drv_prepare(d, &q_user)) == NULL || run1(s) < 0) {
		drv_finalize(s);
		goto done;
	}
	drv_finalize(s);
	rd = drv_prepare(d, &q_read);
	add = drv_prepare(d, &q_add);
	del = drv_prepare(d, &q_del);
	if (rd == NULL || add == NULL || del == NULL)
		goto done;
	for (k = 0; k < 3; k++) {
		for (i = -100; i < n; i++) {
			if (i == 0)
				t0 = now_us();
			if ((k == 0 && read_once(rd) < 0) ||
			    (k == 1 && write_once(add, del, i) < 0) ||
			    (k == 2 && tx_once(d, add, i) < 0))
				goto done;
		}
		us[k] = (now_us() - t0) / n;
	}
	printf("%s read_us=%.1f write_us=%.1f tx_us=%.1f n=%d\n", name,
	    us[0], us[1], us[2], n);
	rc = 0;
done:
	if (rc == -1)
		fprintf(stderr, "drv_ops: %s failed\n", name);
	drv_finalize(rd);
	drv_finalize(add);
	drv_finalize(del);
	if (d != NULL && (s = drv_prepare(d, &q_clear)) != NULL) {
		(void)run1(s);
		drv_finalize(s);
	}
	drv_close(d);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct config	 c;
	char		 dir[] = "/tmp/authd-drvops.XXXXXX", *url, *cmd;
	int		 n = argc > 1 ? atoi(argv[1]) : 2000, rc = 0;

	if (n <= 0 || mkdtemp(dir) == NULL)
		return 2;
	memset(&c, 0, sizeof(c));
	c.busy_timeout_ms = 5000;
	c.database_path = xasprintf("%s/bench.db", dir);
	if (measure("sqlite", &c, n) == -1)
		rc = 1;
	if ((url = getenv("DATABASE_URL")) == NULL || url[0] == '\0')
		url = getenv("STACK_DATABASE_URL");
	if (url != NULL && url[0] != '\0') {
		c.database_url = url;
		if (measure("postgresql", &c, n) == -1)
			rc = 1;
	}
	cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	free(cmd);
	free(c.database_path);
	return rc;
}
