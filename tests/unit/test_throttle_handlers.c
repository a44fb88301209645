/*
 * Unit tests of handlers/throttle.c (SPEC §6) on a fresh database: the
 * account lockout after LOGIN_MAX_FAILURES failures within the window,
 * its Retry-After, its end and the clean count after it; a success and
 * a password reset forgetting failures; the per-address limits of
 * failed logins and registrations with the seconds until the oldest
 * counted event leaves its window; refused requests not counted; and 0
 * switching each limit off.  Times in the past are made by rewriting
 * rows through a connection of the test's own, never by waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "handlers.h"
#include "http.h"
#include "store.h"
#include "util.h"
#include "t.h"

static char	 dir[] = "/tmp/authd-throttle-h-XXXXXX";
static sqlite3	*raw;
static char	 ip[] = "192.0.2.7", ip2[] = "198.51.100.9";
/* The configuration the requests carry (r.cfg), built here. */
static struct config conf;

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

/* The limits of the bats file 50_throttle.bats. */
static void
limits(void)
{
	conf.login_max_failures = 3;
	conf.login_failure_window = 15 * 60;
	conf.login_lockout = 15 * 60;
	conf.login_max_fail_ip_min = 20;
	conf.register_max_ip_hour = 4;
}

static void
reset_db(void)
{
	exec("DELETE FROM throttle_events; DELETE FROM lockouts;");
}

/* The Retry-After of a response, -1 when it has none. */
static long
retry_after(const struct resp *o)
{
	size_t	i;

	for (i = 0; i < o->nhdrs; i++)
		if (strcmp(o->hdrs[i].name, "Retry-After") == 0)
			return strtol(o->hdrs[i].value, NULL, 10);
	return -1;
}

/*
 * The check before a password is verified, without its effect: its
 * status and the Retry-After of a refusal in *ra (-1 without one); an
 * attempt it let through is forgotten again (throttle_login_begin()
 * records it).
 */
static int
check(struct req *r, const char *account, long *ra)
{
	struct resp		o;
	struct login_attempt	a;
	int			rc;

	resp_init(&o);
	rc = throttle_login_begin(r, &o, account, &a);
	*ra = retry_after(&o);
	if (rc == 429)
		T_OK(o.status == 429, "the answer is the 429: %d", o.status);
	if (rc == 0 && a.ip_row != 0)
		(void)store_throttle_forget(r->db, a.ip_row);
	if (rc == 0 && a.user_row != 0)
		(void)store_throttle_forget(r->db, a.user_row);
	resp_free(&o);
	return rc;
}

/* An attempt as a sign-in makes it: recorded, then a failure or a success. */
static int
attempt(struct req *r, const char *account, int ok)
{
	struct resp		o;
	struct login_attempt	a;
	int			rc;

	resp_init(&o);
	if ((rc = throttle_login_begin(r, &o, account, &a)) == 0)
		throttle_login_end(r, &a, ok);
	resp_free(&o);
	return rc;
}

static void
throttle_login_failed(struct req *r, const char *account)
{
	(void)attempt(r, account, 0);
}

static void
throttle_login_ok(struct req *r, const char *account)
{
	(void)attempt(r, account, 1);
}

static int
reg(struct req *r, long *ra)
{
	struct resp	o;
	int		rc;

	resp_init(&o);
	rc = throttle_register(r, &o);
	*ra = retry_after(&o);
	resp_free(&o);
	return rc;
}

static void
test_lockout(struct req *r)
{
	long	ra;
	char	q[256];

	limits();
	reset_db();
	T_OK(check(r, "user-1", &ra) == 0 && ra == -1, "no failure: go on");
	throttle_login_failed(r, "user-1");
	throttle_login_failed(r, "user-1");
	T_OK(check(r, "user-1", &ra) == 0, "two failures of three: go on");
	T_OK(scalar("SELECT count(*) FROM lockouts") == 0, "not locked yet");
	throttle_login_failed(r, "user-1");
	T_OK(check(r, "user-1", &ra) == 429, "the third failure locks");
	T_OK(ra >= 895 && ra <= 900, "Retry-After is the lockout: %ld", ra);
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE bucket = "
	    "'login_user'") == 0, "a lockout forgets the failures");
	T_OK(check(r, "user-2", &ra) == 0, "another account is not locked");
	T_OK(check(r, "ident:nobody@example.com", &ra) == 0,
	    "an unknown identifier is not locked");

	/* Two minutes left. */
	snprintf(q, sizeof(q), "UPDATE lockouts SET until = %lld",
	    (long long)now_s() + 120);
	exec(q);
	T_OK(check(r, "user-1", &ra) == 429 && ra >= 115 && ra <= 120,
	    "Retry-After counts down: %ld", ra);
	/* Ended. */
	snprintf(q, sizeof(q), "UPDATE lockouts SET until = %lld",
	    (long long)now_s());
	exec(q);
	T_OK(check(r, "user-1", &ra) == 0, "the lockout ends on time");
	throttle_login_failed(r, "user-1");
	T_OK(check(r, "user-1", &ra) == 0,
	    "after a lockout the count starts again from zero");

	/* An unknown identifier is locked the same way. */
	throttle_login_failed(r, "ident:nobody@example.com");
	throttle_login_failed(r, "ident:nobody@example.com");
	throttle_login_failed(r, "ident:nobody@example.com");
	T_OK(check(r, "ident:nobody@example.com", &ra) == 429 && ra >= 895,
	    "an unknown identifier is locked out too");
}

static void
test_window(struct req *r)
{
	long	ra;

	limits();
	reset_db();
	throttle_login_failed(r, "user-3");
	throttle_login_failed(r, "user-3");
	/* Sixteen minutes later: out of LOGIN_FAILURE_WINDOW. */
	exec("UPDATE throttle_events SET at = at - 16 * 60 "
	    "WHERE bucket = 'login_user'");
	throttle_login_failed(r, "user-3");
	throttle_login_failed(r, "user-3");
	T_OK(check(r, "user-3", &ra) == 0,
	    "failures older than the window do not count");
	throttle_login_failed(r, "user-3");
	T_OK(check(r, "user-3", &ra) == 429, "three within the window lock");

	/* A success forgets the failures. */
	reset_db();
	throttle_login_failed(r, "user-4");
	throttle_login_failed(r, "user-4");
	throttle_login_ok(r, "user-4");
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE bucket = "
	    "'login_user'") == 0, "a success clears the failures");
	throttle_login_failed(r, "user-4");
	throttle_login_failed(r, "user-4");
	T_OK(check(r, "user-4", &ra) == 0, "so two more do not lock");

	/* A reset lifts a lockout and forgets the failures. */
	reset_db();
	throttle_login_failed(r, "user-5");
	throttle_login_failed(r, "user-5");
	throttle_login_failed(r, "user-5");
	T_OK(check(r, "user-5", &ra) == 429, "locked");
	throttle_login_failed(r, "user-6");
	throttle_account_reset(r, "user-5");
	T_OK(check(r, "user-5", &ra) == 0, "a password reset lifts the lockout");
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE key = "
	    "'user-6'") == 1, "and touches no other account");
}

static void
test_ip(struct req *r)
{
	long	ra;
	int	i;
	char	q[256], *other;

	limits();
	reset_db();
	/* Other accounts each time: none of them reaches its lockout. */
	for (i = 0; i < 19; i++) {
		snprintf(q, sizeof(q), "ident:x%d", i);
		throttle_login_failed(r, q);
	}
	exec("DELETE FROM lockouts");
	T_OK(check(r, "user-7", &ra) == 0, "19 failed logins of 20: go on");
	throttle_login_failed(r, "ident:y");
	exec("DELETE FROM lockouts");
	T_OK(check(r, "user-7", &ra) == 429, "the 20th failure of the address "
	    "refuses every account");
	T_OK(ra >= 55 && ra <= 60, "Retry-After within the minute: %ld", ra);
	/* The oldest counted failure 50 s old: it leaves in 10 s. */
	snprintf(q, sizeof(q), "UPDATE throttle_events SET at = %lld WHERE "
	    "rowid = (SELECT min(rowid) FROM throttle_events WHERE bucket = "
	    "'login_ip')", (long long)now_s() - 50);
	exec(q);
	T_OK(check(r, "user-7", &ra) == 429 && ra >= 9 && ra <= 10,
	    "Retry-After: until the oldest failure leaves the window: %ld", ra);
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE bucket = "
	    "'login_ip'") == 20, "a refused attempt is not counted");
	other = r->ip;
	r->ip = ip2;
	T_OK(check(r, "user-7", &ra) == 0, "another address is not limited");
	r->ip = other;
	exec("UPDATE throttle_events SET at = at - 60 WHERE bucket = "
	    "'login_ip'");
	T_OK(check(r, "user-7", &ra) == 0, "a minute later the address may "
	    "try again");

	/* Registrations: four an hour, a refusal not counted. */
	reset_db();
	for (i = 0; i < 4; i++)
		T_OK(reg(r, &ra) == 0, "registration %d of 4", i + 1);
	T_OK(reg(r, &ra) == 429, "the fifth within the hour is refused");
	T_OK(ra >= 3595 && ra <= 3600, "Retry-After: the hour: %ld", ra);
	T_OK(scalar("SELECT count(*) FROM throttle_events WHERE bucket = "
	    "'register_ip'") == 4, "the refusal was not counted");
	exec("UPDATE throttle_events SET at = at - 3600 WHERE bucket = "
	    "'register_ip'");
	T_OK(reg(r, &ra) == 0, "an hour later one more");
}

static void
test_off(struct req *r)
{
	long	ra;
	int	i;

	limits();
	reset_db();
	conf.login_max_failures = 0;
	conf.login_max_fail_ip_min = 0;
	conf.register_max_ip_hour = 0;
	for (i = 0; i < 30; i++) {
		throttle_login_failed(r, "user-8");
		T_OK(reg(r, &ra) == 0, "registrations unlimited");
	}
	T_OK(check(r, "user-8", &ra) == 0, "0 switches the limits off");
	T_OK(scalar("SELECT count(*) FROM throttle_events") == 0,
	    "and nothing is counted");

	limits();
	conf.login_lockout = 0;
	conf.login_max_fail_ip_min = 0;
	for (i = 0; i < 6; i++)
		throttle_login_failed(r, "user-9");
	T_OK(check(r, "user-9", &ra) == 0,
	    "LOGIN_LOCKOUT_MINUTES=0 switches the lockout off");
	T_OK(scalar("SELECT count(*) FROM lockouts") == 0, "no lockout row");
}

int
main(void)
{
	struct req	 r;
	struct store	*st = NULL;
	char		*p;

	if (mkdtemp(dir) == NULL)
		return 1;
	conf.busy_timeout_ms = 1000;
	p = xasprintf("%s/t.db", dir);
	T_OK(store_migrate(p, &conf) == 0 && store_open(p, &conf, &st) == 0,
	    "open");
	T_OK(sqlite3_open(p, &raw) == SQLITE_OK, "test connection");
	sqlite3_busy_timeout(raw, 1000);
	memset(&r, 0, sizeof(r));
	r.db = st;
	r.cfg = &conf;
	r.ip = ip;
	if (st != NULL) {
		test_lockout(&r);
		test_window(&r);
		test_ip(&r);
		test_off(&r);
	}
	sqlite3_close(raw);
	store_close(st);
	free(p);
	p = xasprintf("rm -rf %s", dir);
	if (system(p) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(p);
	return t_done("throttle_handlers");
}
