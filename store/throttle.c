/*
 * Throttling counters and lockouts, shared by every worker through the
 * database (SPEC §6).  One row per counted event; a count is a range
 * scan of the (bucket, key, at) index.  A write that reads first (take,
 * failed) runs in one transaction, every other is one statement; every
 * 256th write of a connection also deletes the rows no window can see
 * any more, so the tables stay small whatever the traffic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "store_int.h"

/* One prune per this many writes of a connection. */
#define PRUNE_EVERY	256
/* The longest fixed window of SPEC §6 (registrations, reset emails). */
#define HOUR		3600

enum {
	Q_ADD,
	Q_COUNT,
	Q_CLEAR,
	Q_PRUNE_EVENTS,
	Q_PRUNE_LOCKOUTS,
	Q_LOCK_SET,
	Q_LOCK_GET,
	Q_LOCK_CLEAR,
	Q_FORGET,
	Q__MAX
};

static const struct sqlq sql[Q__MAX] = {
	/* Q_ADD: the event's rowid, for store_throttle_forget() */
	{ "INSERT INTO throttle_events (bucket, key, at) VALUES (?1, ?2, ?3) "
	  "RETURNING rowid", NULL },
	/* Q_COUNT */
	{ "SELECT count(*), min(at) FROM throttle_events "
	  "WHERE bucket = ?1 AND key = ?2 AND at >= ?3", NULL },
	/* Q_CLEAR */
	{ "DELETE FROM throttle_events WHERE bucket = ?1 AND key = ?2", NULL },
	/* Q_PRUNE_EVENTS */
	{ "DELETE FROM throttle_events WHERE at < ?1", NULL },
	/* Q_PRUNE_LOCKOUTS */
	{ "DELETE FROM lockouts WHERE until <= ?1", NULL },
	/* Q_LOCK_SET (the same upsert on PostgreSQL) */
	{ "INSERT INTO lockouts (key, until) VALUES (?1, ?2) "
	  "ON CONFLICT (key) DO UPDATE SET until = excluded.until", NULL },
	/* Q_LOCK_GET */
	{ "SELECT until FROM lockouts WHERE key = ?1 AND until > ?2", NULL },
	/* Q_LOCK_CLEAR */
	{ "DELETE FROM lockouts WHERE key = ?1", NULL },
	/* Q_FORGET: one event, by the rowid its insert gave */
	{ "DELETE FROM throttle_events WHERE rowid = ?1", NULL },
};

/* The statement q of this file, with its first parameter bound. */
static struct drv_stmt *
stmt1(struct store *st, size_t q, const char *v)
{
	return stmt_get1(st, MOD_THROTTLE, sql, Q__MAX, q, v);
}

/* Runs a statement of one time parameter, ignoring a failure (logged). */
static void
run_at(struct store *st, size_t q, int64_t t)
{
	struct drv_stmt	*s;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, q)) != NULL) {
		drv_bind_int64(s, 1, t);
		(void)stmt_run(s);
	}
}

/*
 * Deletes events older than the longest window in use and lockouts that
 * have ended.  Failures are logged and otherwise ignored: pruning is
 * housekeeping, the next one tries again.
 */
static void
prune(struct store *st)
{
	int64_t	now = now_s(), longest = HOUR;

	if (st->cfg->login_failure_window > longest)
		longest = st->cfg->login_failure_window;
	run_at(st, Q_PRUNE_EVENTS, now - longest);
	run_at(st, Q_PRUNE_LOCKOUTS, now);
}

/* Counts a write of this connection and prunes every PRUNE_EVERY-th. */
static void
wrote(struct store *st)
{
	if (++st->writes % PRUNE_EVERY == 0)
		prune(st);
}

/* Inserts one event; 0 with its rowid in *row (when not NULL), or <0. */
static int
add(struct store *st, const char *bucket, const char *key, int64_t at,
    int64_t *row)
{
	struct drv_stmt	*s;
	int64_t		 r = 0;
	int		 rc;

	if ((s = stmt1(st, Q_ADD, bucket)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, key);
	drv_bind_int64(s, 3, at);
	if ((rc = stmt_int64(s, &r)) < 0)
		return rc;
	if (row != NULL)
		*row = r;
	return 0;
}

/* Forgets the events of bucket/key: 1 rows went, 0 none, <0. */
static int
clear(struct store *st, const char *bucket, const char *key)
{
	struct drv_stmt	*s;

	if ((s = stmt1(st, Q_CLEAR, bucket)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, key);
	return stmt_run(s);
}

/*
 * Records one event of bucket for key at the current time.  Returns 1,
 * or <0 on a database failure.
 */
int
store_throttle_add(struct store *st, const char *bucket, const char *key)
{
	int	rc;

	if ((rc = add(st, bucket, key, now_s(), NULL)) < 0)
		return rc;
	wrote(st);
	return 1;
}

/*
 * Checks the lockout of lock_key (when not NULL) and each limit with a
 * positive max, and records one event for each of those limits when
 * none is reached, all in one write transaction: two workers
 * cannot both take the last free place.  Returns 1 (recorded; each
 * limit's rowid set), 0 refused with the seconds until a place frees in
 * *retry (nothing recorded), <0 on a database failure (nothing
 * recorded).
 */
int
store_throttle_take(struct store *st, const char *lock_key,
    struct throttle_limit *l, size_t n, int64_t *retry)
{
	int64_t	now = now_s(), until = 0, oldest, wait = 0;
	size_t	i;
	int	rc, c;

	*retry = 0;
	for (i = 0; i < n; i++)
		l[i].row = 0;
	if ((rc = tx_begin(st)) < 0)
		return rc;
	if (lock_key != NULL &&
	    (rc = store_lockout_get(st, lock_key, &until)) != 0) {
		if (rc > 0) {
			*retry = until - now;
			rc = 0;
		}
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (l[i].max <= 0)
			continue;
		c = store_throttle_count(st, l[i].bucket, l[i].key,
		    now - l[i].window + 1, &oldest);
		if (c < 0) {
			rc = c;
			goto done;
		}
		if (c >= l[i].max && oldest + l[i].window - now > wait)
			wait = oldest + l[i].window - now;
		if (c >= l[i].max && wait < 1)
			wait = 1;
	}
	if (wait > 0) {
		*retry = wait;
		rc = 0;
		goto done;
	}
	for (i = 0; i < n; i++)
		if (l[i].max > 0 &&
		    (rc = add(st, l[i].bucket, l[i].key, now, &l[i].row)) < 0)
			goto done;
	if ((rc = tx_commit(st)) < 0)
		goto done;
	wrote(st);
	rc = 1;
done:
	tx_rollback(st);
	if (rc != 1)
		for (i = 0; i < n; i++)
			l[i].row = 0;
	return rc;
}

/*
 * After a failed attempt recorded by store_throttle_take(): when the
 * events of bucket/key within window reach max, locks key until now +
 * lockout and forgets those events, in one transaction, so the lockout
 * ends on time and cannot extend itself.  Returns the number of events
 * counted (the lockout was set when it is >= max), or <0.
 */
int
store_throttle_failed(struct store *st, const char *bucket, const char *key,
    long max, int64_t window, int64_t lockout)
{
	int64_t	now = now_s();
	int	rc, n;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((rc = n = store_throttle_count(st, bucket, key, now - window + 1,
	    NULL)) < 0)
		goto done;
	if (n >= max &&
	    ((rc = store_lockout_set(st, key, now + lockout)) < 0 ||
	    (rc = clear(st, bucket, key)) < 0))
		goto done;
	if ((rc = tx_commit(st)) < 0)
		goto done;
	rc = n;
done:
	tx_rollback(st);
	return rc;
}

/*
 * Forgets one event recorded by store_throttle_take() (an attempt that
 * turned out a success).  Returns 1, 0 when it was gone, <0.
 */
int
store_throttle_forget(struct store *st, int64_t row)
{
	struct drv_stmt	*s;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, Q_FORGET)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 1, row);
	return stmt_run(s);
}

/*
 * Counts the events of bucket for key at or after since.  Returns the
 * count (0 or more) and, when oldest is non-NULL, the time of the oldest
 * counted event in *oldest (0 when there is none); <0 on failure.
 */
int
store_throttle_count(struct store *st, const char *bucket, const char *key,
    int64_t since, int64_t *oldest)
{
	struct drv_stmt	*s;
	int64_t		 n = 0, o = 0;
	int		 rc;

	if ((s = stmt1(st, Q_COUNT, bucket)) == NULL)
		return STORE_EDB;
	drv_bind_text(s, 2, key);
	drv_bind_int64(s, 3, since);
	if ((rc = drv_step(s)) == DRV_ROW) {
		n = drv_col_int64(s, 0);
		o = drv_col_int64(s, 1);
	}
	drv_reset(s);
	if (rc != DRV_ROW)
		return rc < 0 ? rc : STORE_EDB;
	if (oldest != NULL)
		*oldest = o;
	return n > 1000000000 ? 1000000000 : (int)n;
}

/*
 * Forgets every event of bucket for key.  Returns 1 when rows went, 0
 * when there were none, <0 on failure.
 */
int
store_throttle_clear(struct store *st, const char *bucket, const char *key)
{
	int	rc;

	if ((rc = clear(st, bucket, key)) < 0)
		return rc;
	wrote(st);
	return rc;
}

/*
 * Locks the account key until the given time (replacing an earlier
 * lockout).  Returns 1 or <0.
 */
int
store_lockout_set(struct store *st, const char *key, int64_t until)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = stmt1(st, Q_LOCK_SET, key)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, until);
	if ((rc = stmt_run(s)) < 0)
		return rc;
	wrote(st);
	return 1;
}

/*
 * Whether key is locked now.  Returns 1 with the end of the lockout
 * in *until, 0 when not locked (an ended lockout does not count), <0 on
 * failure.
 */
int
store_lockout_get(struct store *st, const char *key, int64_t *until)
{
	struct drv_stmt	*s;

	if ((s = stmt1(st, Q_LOCK_GET, key)) == NULL)
		return STORE_EDB;
	drv_bind_int64(s, 2, now_s());
	return stmt_int64(s, until);
}

/* Ends the lockout of key, if any.  Returns 1, 0 none, <0 failure. */
int
store_lockout_clear(struct store *st, const char *key)
{
	struct drv_stmt	*s;
	int		 rc;

	if ((s = stmt1(st, Q_LOCK_CLEAR, key)) == NULL)
		return STORE_EDB;
	if ((rc = stmt_run(s)) < 0)
		return rc;
	wrote(st);
	return rc;
}
