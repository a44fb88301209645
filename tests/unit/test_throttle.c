/*
 * Unit tests of store/throttle.c on a fresh database: counting within a
 * window and the oldest counted event, clearing, lockouts that end on
 * time, two connections seeing the same counts (as two workers do), and
 * pruning of rows no window can see any more.  Times in the past are
 * made by rewriting rows through a connection of the test's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "store.h"
#include "util.h"
#include "t.h"

/* The configuration handed to the store (store_open()), built here. */
static struct config	cfg;
static char	 dir[] = "/tmp/authd-throttle-XXXXXX";
static sqlite3	*raw;

static void
exec(const char *q)
{
	char	*err = NULL;

	if (sqlite3_exec(raw, q, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "test sql: %s: %s\n", q, err ? err : "?");
		sqlite3_free(err);
	}
}

static long
scalar(const char *q)
{
	sqlite3_stmt	*s;
	long		 v = -1;

	if (sqlite3_prepare_v2(raw, q, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
test_count(struct store *st, struct store *other)
{
	int64_t	now = now_s(), oldest = -1;
	char	q[256];
	int	i;

	T_OK(store_throttle_count(st, "login_ip", "10.0.0.1", 0, &oldest) == 0,
	    "nothing counted yet");
	T_OK(oldest == 0, "no oldest when nothing is counted");
	for (i = 0; i < 3; i++)
		T_OK(store_throttle_add(st, "login_ip", "10.0.0.1") == 1, "add");
	T_OK(store_throttle_add(other, "login_ip", "10.0.0.1") == 1,
	    "add from another connection");
	T_OK(store_throttle_add(st, "login_ip", "10.0.0.2") == 1, "add");
	T_OK(store_throttle_add(st, "register_ip", "10.0.0.1") == 1, "add");
	T_OK(store_throttle_count(other, "login_ip", "10.0.0.1", now - 59,
	    &oldest) == 4, "a second connection sees every event");
	T_OK(oldest >= now && oldest <= now_s(), "oldest is now");

	/* Two events a minute old: outside a one-minute window. */
	snprintf(q, sizeof(q), "UPDATE throttle_events SET at = %lld WHERE "
	    "rowid IN (SELECT rowid FROM throttle_events WHERE bucket = "
	    "'login_ip' AND key = '10.0.0.1' LIMIT 2)", (long long)now - 60);
	exec(q);
	T_OK(store_throttle_count(st, "login_ip", "10.0.0.1", now - 59,
	    &oldest) == 2, "events out of the window do not count");
	T_OK(store_throttle_count(st, "login_ip", "10.0.0.1", now - 60,
	    &oldest) == 4, "events at the window's start count");
	T_OK(oldest == now - 60, "oldest of the window");

	T_OK(store_throttle_clear(st, "login_ip", "10.0.0.1") == 1, "clear");
	T_OK(store_throttle_clear(st, "login_ip", "10.0.0.1") == 0,
	    "clear again: nothing");
	T_OK(store_throttle_count(st, "login_ip", "10.0.0.1", 0, NULL) == 0,
	    "cleared");
	T_OK(store_throttle_count(st, "login_ip", "10.0.0.2", 0, NULL) == 1,
	    "other keys untouched");
	T_OK(store_throttle_count(st, "register_ip", "10.0.0.1", 0, NULL) == 1,
	    "other buckets untouched");
	T_OK(store_throttle_count(st, "login_ip", "10.0.0.1' OR '1'='1", 0,
	    NULL) == 0, "keys are bound, not spliced");
}

static void
test_lockout(struct store *st, struct store *other)
{
	struct user_new	 n;
	struct user	*u = NULL;
	int64_t		 until = 0, now = now_s();
	char		 q[256];

	memset(&n, 0, sizeof(n));
	n.email = "locked@example.com";
	n.username = "locked";
	n.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA";
	n.role = ROLE_REGULAR;
	T_OK(store_user_create(st, &n, &u) == 1, "user");
	if (u == NULL)
		return;
	T_OK(store_lockout_get(st, u->id, &until) == 0, "not locked");
	T_OK(store_lockout_set(st, u->id, now + 900) == 1, "lock");
	T_OK(store_lockout_get(other, u->id, &until) == 1 && until == now + 900,
	    "locked, seen by another connection");
	T_OK(store_lockout_set(st, u->id, now + 60) == 1, "lock again");
	T_OK(store_lockout_get(st, u->id, &until) == 1 && until == now + 60,
	    "a new lockout replaces the old one");
	snprintf(q, sizeof(q), "UPDATE lockouts SET until = %lld",
	    (long long)now_s());
	exec(q);
	T_OK(store_lockout_get(st, u->id, &until) == 0,
	    "a lockout ends at its end time");
	T_OK(store_lockout_set(st, u->id, now_s() + 900) == 1, "lock");
	T_OK(store_lockout_clear(st, u->id) == 1, "clear");
	T_OK(store_lockout_get(st, u->id, &until) == 0, "cleared");
	T_OK(store_lockout_clear(st, u->id) == 0, "nothing to clear");
	T_OK(store_lockout_get(st, "no-such-user", &until) == 0, "unknown id");
	user_free(u);
}

static void
test_prune(struct store *st)
{
	char	q[512];
	int	i;

	exec("DELETE FROM throttle_events");
	/* 300 events two hours old, 5 half an hour old, one ended lockout. */
	snprintf(q, sizeof(q), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 300) INSERT INTO throttle_events "
	    "SELECT 'register_ip', 'old', %lld FROM n",
	    (long long)now_s() - 7200);
	exec(q);
	snprintf(q, sizeof(q), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 5) INSERT INTO throttle_events "
	    "SELECT 'register_ip', 'recent', %lld FROM n",
	    (long long)now_s() - 1800);
	exec(q);
	snprintf(q, sizeof(q), "INSERT INTO lockouts SELECT id, %lld FROM "
	    "users LIMIT 1", (long long)now_s() - 1);
	exec(q);
	T_OK(scalar("SELECT count(*) FROM lockouts") == 1, "ended lockout");
	/* 256 writes of one connection include at least one prune. */
	for (i = 0; i < 256; i++)
		(void)store_throttle_add(st, "login_ip", "prune");
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE key = 'old'")
	    == 0, "rows older than every window pruned");
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE key = "
	    "'recent'") == 5, "rows within the hour kept");
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE key = "
	    "'prune'") == 256, "new rows kept");
	T_OK(scalar("SELECT count(*) FROM lockouts") == 0,
	    "ended lockouts pruned");
}

/*
 * store_throttle_take(): a place per event, taken by two connections in
 * turn, refused with nothing recorded once the limit is reached or the
 * lock key is locked; store_throttle_failed() locks at the limit and
 * forgets; store_throttle_forget() gives one place back.
 */
static void
test_take(struct store *st, struct store *other)
{
	struct throttle_limit	l[2];
	int64_t			retry = -1, first = 0;
	int			i, rc;

	exec("DELETE FROM throttle_events; DELETE FROM lockouts;");
	memset(l, 0, sizeof(l));
	l[0].bucket = "login_ip";
	l[0].key = "10.9.9.9";
	l[0].max = 0;			/* off: neither checked nor recorded */
	l[0].window = 60;
	l[1].bucket = "login_user";
	l[1].key = "acct-1";
	l[1].max = 3;
	l[1].window = 900;
	for (i = 0; i < 3; i++) {
		rc = store_throttle_take(i % 2 ? other : st, "acct-1", l, 2,
		    &retry);
		T_OK(rc == 1 && l[1].row > 0 && l[0].row == 0, "take %d: %d",
		    i, rc);
		if (i == 0)
			first = l[1].row;
	}
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE bucket = "
	    "'login_ip'") == 0, "a limit that is off records nothing");
	rc = store_throttle_take(other, "acct-1", l, 2, &retry);
	T_OK(rc == 0 && retry >= 1 && retry <= 900, "the 4th refused: %d "
	    "retry %lld", rc, (long long)retry);
	T_OK(scalar("SELECT count(*) FROM throttle_events") == 3,
	    "a refusal records nothing");
	T_OK(store_throttle_forget(st, first) == 1, "forget one");
	T_OK(store_throttle_take(st, "acct-1", l, 2, &retry) == 1,
	    "its place is free again");
	T_OK(store_throttle_failed(st, "login_user", "acct-1", 3, 900, 600) ==
	    3, "three failures counted");
	T_OK(store_lockout_get(other, "acct-1", NULL) == 1, "locked at 3");
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE key = "
	    "'acct-1'") == 0, "failures forgotten by the lockout");
	rc = store_throttle_take(other, "acct-1", l, 2, &retry);
	T_OK(rc == 0 && retry > 500 && retry <= 600, "locked: %d retry %lld",
	    rc, (long long)retry);
	T_OK(store_throttle_take(other, NULL, l, 2, &retry) == 1,
	    "no lock key: only the counts");
	T_OK(store_throttle_failed(st, "login_user", "acct-1", 3, 900, 600) ==
	    1, "below the limit: no lockout change");
	exec("DELETE FROM throttle_events; DELETE FROM lockouts;");
}

int
main(void)
{
	struct store	*st = NULL, *other = NULL;
	char		*p;

	if (mkdtemp(dir) == NULL)
		return 1;
	cfg.busy_timeout_ms = 1000;
	cfg.login_failure_window = 900;
	p = xasprintf("%s/t.db", dir);
	T_OK(store_migrate(p, &cfg) == 0 && store_open(p, &cfg, &st) == 0 &&
	    store_open(p, &cfg, &other) == 0, "open two connections");
	T_OK(sqlite3_open(p, &raw) == SQLITE_OK, "test connection");
	sqlite3_busy_timeout(raw, 1000);
	if (st != NULL && other != NULL) {
		test_count(st, other);
		test_lockout(st, other);
		test_prune(st);
		test_take(st, other);
	}
	sqlite3_close(raw);
	store_close(st);
	store_close(other);
	free(p);
	p = xasprintf("rm -rf %s", dir);
	if (system(p) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(p);
	return t_done("throttle");
}
