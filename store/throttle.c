/*
 * Throttling counters and lockouts, shared by every worker through the
 * database (SPEC §6).  One row per counted event; a count is a range
 * scan of the (bucket, key, at) index.  Every write is one statement, so
 * it needs no explicit transaction; every 256th write of a connection
 * also deletes the rows no window can see any more, so the tables stay
 * small whatever the traffic.
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

static const char *const sql[Q__MAX] = {
	/* Q_ADD */
	"INSERT INTO throttle_events (bucket, key, at) VALUES (?1, ?2, ?3)",
	/* Q_COUNT */
	"SELECT count(*), min(at) FROM throttle_events "
	"WHERE bucket = ?1 AND key = ?2 AND at >= ?3",
	/* Q_CLEAR */
	"DELETE FROM throttle_events WHERE bucket = ?1 AND key = ?2",
	/* Q_PRUNE_EVENTS */
	"DELETE FROM throttle_events WHERE at < ?1",
	/* Q_PRUNE_LOCKOUTS */
	"DELETE FROM lockouts WHERE until <= ?1",
	/* Q_LOCK_SET */
	"INSERT INTO lockouts (key, until) VALUES (?1, ?2) "
	"ON CONFLICT (key) DO UPDATE SET until = excluded.until",
	/* Q_LOCK_GET */
	"SELECT until FROM lockouts WHERE key = ?1 AND until > ?2",
	/* Q_LOCK_CLEAR */
	"DELETE FROM lockouts WHERE key = ?1",
	/* Q_FORGET: one event, by the rowid its insert gave */
	"DELETE FROM throttle_events WHERE rowid = ?1",
};

/* Runs one bound write statement to its end; 0 or <0. */
static int
run(struct store *st, sqlite3_stmt *s, size_t q)
{
	int	rc;

	rc = sqlite3_step(s);
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_err(st, rc, sql[q]);
	return 0;
}

/*
 * Deletes events older than the longest window in use and lockouts that
 * have ended.  Failures are logged and otherwise ignored: pruning is
 * housekeeping, the next one tries again.
 */
static void
prune(struct store *st)
{
	sqlite3_stmt	*s;
	int64_t		 now = now_s(), longest = HOUR;

	if (cfg.login_failure_window > longest)
		longest = cfg.login_failure_window;
	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX,
	    Q_PRUNE_EVENTS)) != NULL) {
		sqlite3_bind_int64(s, 1, now - longest);
		(void)run(st, s, Q_PRUNE_EVENTS);
	}
	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX,
	    Q_PRUNE_LOCKOUTS)) != NULL) {
		sqlite3_bind_int64(s, 1, now);
		(void)run(st, s, Q_PRUNE_LOCKOUTS);
	}
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
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, Q_ADD)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, bucket);
	bind_text(s, 2, key);
	sqlite3_bind_int64(s, 3, at);
	if ((rc = run(st, s, Q_ADD)) < 0)
		return rc;
	if (row != NULL)
		*row = sqlite3_last_insert_rowid(st->db);
	return 0;
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
 * none is reached, all in one BEGIN IMMEDIATE transaction: two workers
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
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (l[i].max <= 0)
			continue;
		c = store_throttle_count(st, l[i].bucket, l[i].key,
		    now - l[i].window + 1, &oldest);
		if (c < 0) {
			rc = c;
			goto fail;
		}
		if (c >= l[i].max && oldest + l[i].window - now > wait)
			wait = oldest + l[i].window - now;
		if (c >= l[i].max && wait < 1)
			wait = 1;
	}
	if (wait > 0) {
		*retry = wait;
		rc = 0;
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (l[i].max > 0 &&
		    (rc = add(st, l[i].bucket, l[i].key, now, &l[i].row)) < 0)
			goto fail;
	if ((rc = tx_commit(st)) < 0)
		return rc;
	wrote(st);
	return 1;
fail:
	tx_rollback(st);
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
	sqlite3_stmt	*s;
	int64_t		 now = now_s();
	int		 rc, n;

	if ((rc = tx_begin(st)) < 0)
		return rc;
	if ((n = store_throttle_count(st, bucket, key, now - window + 1,
	    NULL)) < 0) {
		rc = n;
		goto fail;
	}
	if (n >= max) {
		if ((rc = store_lockout_set(st, key, now + lockout)) < 0)
			goto fail;
		if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, Q_CLEAR)) ==
		    NULL) {
			rc = STORE_EDB;
			goto fail;
		}
		bind_text(s, 1, bucket);
		bind_text(s, 2, key);
		if ((rc = run(st, s, Q_CLEAR)) < 0)
			goto fail;
	}
	if ((rc = tx_commit(st)) < 0)
		return rc;
	return n;
fail:
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
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, Q_FORGET)) == NULL)
		return STORE_EDB;
	sqlite3_bind_int64(s, 1, row);
	if ((rc = run(st, s, Q_FORGET)) < 0)
		return rc;
	return sqlite3_changes(st->db) > 0;
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
	sqlite3_stmt	*s;
	int64_t		 n = 0, o = 0;
	int		 rc;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, Q_COUNT)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, bucket);
	bind_text(s, 2, key);
	sqlite3_bind_int64(s, 3, since);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_int64(s, 0);
		o = sqlite3_column_int64(s, 1);
	}
	stmt_done(s);
	if (rc != SQLITE_ROW)
		return store_err(st, rc, sql[Q_COUNT]);
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
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, Q_CLEAR)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, bucket);
	bind_text(s, 2, key);
	if ((rc = run(st, s, Q_CLEAR)) < 0)
		return rc;
	wrote(st);
	return sqlite3_changes(st->db) > 0;
}

/*
 * Locks the account key until the given time (replacing an earlier
 * lockout).  Returns 1 or <0.
 */
int
store_lockout_set(struct store *st, const char *key, int64_t until)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, Q_LOCK_SET)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, until);
	if ((rc = run(st, s, Q_LOCK_SET)) < 0)
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
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX, Q_LOCK_GET)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, now_s());
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && until != NULL)
		*until = sqlite3_column_int64(s, 0);
	stmt_done(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_err(st, rc, sql[Q_LOCK_GET]);
}

/* Ends the lockout of key, if any.  Returns 1, 0 none, <0 failure. */
int
store_lockout_clear(struct store *st, const char *key)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, MOD_THROTTLE, sql, Q__MAX,
	    Q_LOCK_CLEAR)) == NULL)
		return STORE_EDB;
	bind_text(s, 1, key);
	if ((rc = run(st, s, Q_LOCK_CLEAR)) < 0)
		return rc;
	wrote(st);
	return sqlite3_changes(st->db) > 0;
}
