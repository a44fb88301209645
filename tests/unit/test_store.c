/*
 * Unit tests of the store on fresh databases: the migrations build
 * exactly schema.sql, uniqueness maps to its own results, and refresh
 * rotation, reuse detection and revocation behave.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "store.h"
#include "store_int.h"
#include "util.h"
#include "t.h"

/* The configuration handed to the store (store_open()), built here. */
static struct config	cfg;
static char	dir[] = "/tmp/authd-store-XXXXXX";

/* Columns and indexes of every table, as text, for comparing two schemas. */
static char *
shape(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*s, *c;
	char		*out = xstrdup(""), *n, *q;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return out;
	sqlite3_prepare_v2(db, "SELECT type, name, tbl_name FROM sqlite_master "
	    "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name", -1, &s, NULL);
	while (sqlite3_step(s) == SQLITE_ROW) {
		n = xasprintf("%s%s %s on %s\n", out, sqlite3_column_text(s, 0),
		    sqlite3_column_text(s, 1), sqlite3_column_text(s, 2));
		free(out);
		out = n;
		q = xasprintf("PRAGMA %s(\"%s\")",
		    strcmp((const char *)sqlite3_column_text(s, 0), "table") ?
		    "index_xinfo" : "table_xinfo", sqlite3_column_text(s, 1));
		sqlite3_prepare_v2(db, q, -1, &c, NULL);
		free(q);
		while (sqlite3_step(c) == SQLITE_ROW) {
			n = xasprintf("%s  %s %s %s %s %s\n", out,
			    sqlite3_column_text(c, 0), sqlite3_column_text(c, 1),
			    sqlite3_column_text(c, 2), sqlite3_column_text(c, 3),
			    sqlite3_column_text(c, 4));
			free(out);
			out = n;
		}
		sqlite3_finalize(c);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

static void
test_schema(void)
{
	char	*a, *b, *p1, *p2, *sql = NULL, *cmd;
	FILE	*f;
	size_t	 cap = 0;
	sqlite3	*db;
	ssize_t	 n;

	p1 = xasprintf("%s/migrated.db", dir);
	p2 = xasprintf("%s/schema.db", dir);
	T_OK(store_migrate(p1, &cfg) == 0, "migrations apply");
	T_OK(store_migrate(p1, &cfg) == 0, "a second run is a no-op");
	f = fopen("schema.sql", "r");
	T_OK(f != NULL, "schema.sql readable (run from the repo root)");
	if (f != NULL) {
		n = getdelim(&sql, &cap, '\0', f);
		fclose(f);
		T_OK(n > 0, "schema.sql not empty");
		sqlite3_open(p2, &db);
		T_OK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
		    "schema.sql builds");
		sqlite3_close(db);
	}
	a = shape(p1);
	b = shape(p2);
	T_OK(strlen(a) > 100, "schema shape read");
	T_OK(strcmp(a, b) == 0, "migrations == schema.sql:\n%s\n---\n%s", a, b);
	cmd = xasprintf("stat -c %%a %s | grep -qx 600", p1);
	T_OK(system(cmd) == 0, "database file is 0600");
	free(cmd);
	free(a);
	free(b);
	free(sql);
	free(p1);
	free(p2);
}

static struct user *
mkuser(struct store *st, const char *email, const char *name,
    const char *phone, int *rc)
{
	struct user_new	 n;
	struct user	*u = NULL;

	memset(&n, 0, sizeof(n));
	n.email = email;
	n.username = name;
	n.phone = phone;
	n.password_hash = "$argon2id$x";
	n.role = ROLE_REGULAR;
	*rc = store_user_create(st, &n, &u);
	return u;
}

/* A count query on the store's own connection, through its driver. */
static long
count(struct store *st, const char *q)
{
	struct sqlq	 sq = { q, NULL };
	struct drv_stmt	*s;
	long		 v = -1;

	if ((s = drv_prepare(st->drv, &sq)) == NULL)
		return -1;
	if (drv_step(s) == DRV_ROW)
		v = (long)drv_col_int64(s, 0);
	drv_reset(s);
	drv_finalize(s);
	return v;
}

static void
test_users(struct store *st)
{
	struct user	*u, *v;
	unsigned char	 th[32];
	char		*t;
	int		 rc;
	int64_t		 gen = -1;

	u = mkuser(st, "a@example.com", "Alice", "+48123456789", &rc);
	T_OK(rc == 1 && u != NULL, "create");
	T_OK(u != NULL && u->role == ROLE_REGULAR && u->is_active &&
	    u->token_gen == 0, "defaults");
	v = mkuser(st, "a@example.com", "other", NULL, &rc);
	T_OK(rc == STORE_EEMAIL && v == NULL, "email taken: %d", rc);
	v = mkuser(st, "b@example.com", "ALICE", NULL, &rc);
	T_OK(rc == STORE_EUSERNAME, "username taken case-insensitively: %d",
	    rc);
	v = mkuser(st, "a@example.com", "alice", NULL, &rc);
	T_OK(rc == STORE_EEMAIL, "both taken: email wins: %d", rc);
	v = mkuser(st, "c@example.com", "carol", "+48123456789", &rc);
	T_OK(rc == STORE_EPHONE, "phone taken: %d", rc);
	T_OK(store_username_available(st, "aLiCe") == 0, "name not free");
	T_OK(store_username_available(st, "alice1") == 1, "name free");
	T_OK(store_user_by_login(st, "alice", NULL, &v) == 1 && v != NULL &&
	    strcmp(v->id, u->id) == 0, "login by username");
	user_free(v);
	T_OK(store_user_by_login(st, "a@example.com", NULL, &v) == 1,
	    "login by email");
	user_free(v);
	T_OK(store_user_by_login(st, "+48123456789", "+48123456789", &v) == 1,
	    "login by phone");
	user_free(v);
	T_OK(store_user_by_login(st, "nobody", NULL, &v) == 0 && v == NULL,
	    "unknown login");
	t = token_new(th);
	free_secret(t);
	T_OK(store_token_create(st, u->id, "reset", th, 900) == 1,
	    "a reset token");
	T_OK(store_token_live(st, th, "reset") == 1, "live");
	T_OK(store_user_set_password(st, u->id, "$argon2id$y", &gen) == 1 &&
	    gen == 1, "set password bumps the generation");
	T_OK(store_token_live(st, th, "reset") == 0,
	    "a password change voids the reset tokens");
	T_OK(store_token_reset_password(st, th, "$argon2id$z", NULL) == 0,
	    "and the voided token resets nothing");
	user_free(u);
}

/*
 * One session refreshed many times keeps its live token and at most 16
 * spent ones; MAX_SESSIONS_PER_USER live sessions at most, the oldest
 * ending first; dead sessions go at the next start.
 */
static void
test_session_bounds(struct store *st)
{
	struct user	*u, *r = NULL;
	unsigned char	 h[2][32], first[32];
	char		*t, sid[37], q[256];
	int		 i, rc, ok = 1;

	u = mkuser(st, "b@bounds.example.com", "bounded", NULL, &rc);
	T_OK(rc == 1, "user for bounds");
	if (u == NULL)
		return;
	cfg.max_sessions_user = 3;
	t = token_new(h[0]);
	free_secret(t);
	T_OK(store_session_start(st, u->id, NULL, NULL, h[0], 3600, sid) == 1,
	    "start");
	for (i = 0; i < 500 && ok; i++) {
		t = token_new(h[(i + 1) % 2]);
		free_secret(t);
		ok = store_session_rotate(st, h[i % 2], h[(i + 1) % 2], 3600,
		    10, &r, NULL) == 1;
		user_free(r);
		r = NULL;
	}
	T_OK(ok, "500 rotations");
	snprintf(q, sizeof(q), "SELECT count(*) FROM refresh_tokens WHERE "
	    "session_id = '%s'", sid);
	T_OK(count(st, q) == 17, "live + 16 spent kept: %ld", count(st, q));
	t = token_new(first);
	free_secret(t);
	for (i = 0; i < 4; i++) {
		t = token_new(i == 0 ? first : h[0]);
		free_secret(t);
		T_OK(store_session_start(st, u->id, NULL, NULL, i == 0 ?
		    first : h[0], 3600, sid) == 1, "start %d", i);
	}
	snprintf(q, sizeof(q), "SELECT count(*) FROM sessions WHERE "
	    "user_id = '%s'", u->id);
	T_OK(count(st, q) == 3, "3 sessions at most: %ld", count(st, q));
	T_OK(store_session_rotate(st, first, h[1], 3600, 10, &r, NULL) == 0,
	    "the oldest ended");
	user_free(r);
	cfg.max_sessions_user = 0;
	user_free(u);
}

/*
 * The memo of the token check's read (store_user_by_id_session): the
 * same answer while nothing is committed, and the next read after a
 * commit of another connection (a second worker), of a plain sqlite3
 * connection (the shell, another program) or of its own, sees it.
 */
static void
test_user_session_memo(const char *path)
{
	struct store	*a = NULL, *b = NULL;
	struct user	*u = NULL, *v = NULL;
	unsigned char	 h[32], m1[DRV_MARK_LEN], m2[DRV_MARK_LEN];
	char		*t, sid[37], q[160];
	sqlite3		*raw = NULL;
	int64_t		 now = now_s();
	int		 rc, live, i, same = 1;

	T_OK(store_open(path, &cfg, &a) == 0 && store_open(path, &cfg, &b) ==
	    0, "two connections");
	if (a == NULL || b == NULL)
		goto done;
	u = mkuser(a, "memo@example.com", "memo", NULL, &rc);
	T_OK(u != NULL, "user for the memo");
	if (u == NULL)
		goto done;
	t = token_new(h);
	free(t);
	T_OK(store_session_start(a, u->id, NULL, NULL, h, 3600, sid) == 1,
	    "session");
	T_OK(drv_mark(a->drv, m1) == 1 && drv_mark(a->drv, m2) == 1 &&
	    memcmp(m1, m2, sizeof(m1)) == 0, "a WAL connection has a mark, "
	    "unchanged without a commit");
	for (i = 0; i < 3; i++) {
		rc = store_user_by_id_session(a, u->id, sid, now, &v, &live);
		same &= rc == 1 && v != NULL && live == 1 &&
		    strcmp(v->email, "memo@example.com") == 0;
		user_free(v);
		v = NULL;
	}
	T_OK(same, "three reads, one answer (a copy each time)");
	T_OK(store_session_revoke(b, u->id, sid) == 1,
	    "the other connection ends the session");
	T_OK(drv_mark(a->drv, m2) == 1 && memcmp(m1, m2, sizeof(m1)) != 0,
	    "its commit changed the mark");
	rc = store_user_by_id_session(a, u->id, sid, now, &v, &live);
	T_OK(rc == 1 && live == 0, "the next read sees the ended session");
	user_free(v);
	v = NULL;
	T_OK(sqlite3_open(path, &raw) == SQLITE_OK, "a plain connection");
	snprintf(q, sizeof(q), "UPDATE users SET email = 'shell@example.com' "
	    "WHERE id = '%s'", u->id);
	T_OK(sqlite3_exec(raw, q, NULL, NULL, NULL) == SQLITE_OK,
	    "the shell's update");
	rc = store_user_by_id_session(a, u->id, sid, now, &v, &live);
	T_OK(rc == 1 && v != NULL && strcmp(v->email, "shell@example.com") ==
	    0, "the next read sees it");
	user_free(v);
	v = NULL;
	snprintf(q, sizeof(q), "DELETE FROM sessions WHERE user_id = '%s'",
	    u->id);
	T_OK(sqlite3_exec(raw, q, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(raw, "DELETE FROM users WHERE email = "
	    "'shell@example.com'", NULL, NULL, NULL) == SQLITE_OK,
	    "the shell deletes the user");
	rc = store_user_by_id_session(a, u->id, sid, now, &v, &live);
	T_OK(rc == 0 && v == NULL, "the next read finds no user");
	rc = store_user_by_id_session(a, u->id, sid, now + 1, &v, &live);
	T_OK(rc == 0 && v == NULL, "nor the next second's");
done:
	sqlite3_close(raw);
	user_free(v);
	user_free(u);
	store_close(a);
	store_close(b);
}

/*
 * The memo of a cookie's browser session (store_browser_find): the same
 * answer while nothing is committed; a sign-out or a last-use write by
 * another connection, and a revocation by a plain sqlite3 connection, are
 * seen by the next lookup; an unknown cookie is remembered as unknown
 * only until a commit.
 */
static void
test_browser_memo(const char *path)
{
	struct store	*a = NULL, *b = NULL;
	struct user	*u = NULL, *v = NULL;
	struct bsession	 s;
	unsigned char	 h[32], h2[32];
	char		*t, sid[37], q[200];
	sqlite3		*raw = NULL;
	int64_t		 now = now_s();
	int		 rc, i, same = 1;

	T_OK(store_open(path, &cfg, &a) == 0 && store_open(path, &cfg, &b) ==
	    0, "two connections (browser)");
	if (a == NULL || b == NULL)
		goto done;
	u = mkuser(a, "bmemo@example.com", "bmemo", NULL, &rc);
	T_OK(u != NULL, "user for the browser memo");
	if (u == NULL)
		goto done;
	t = token_new(h);
	free_secret(t);
	t = token_new(h2);
	free_secret(t);
	T_OK(store_browser_find(a, h2, now, &s, &v) == 0 && v == NULL,
	    "an unknown cookie is not found");
	T_OK(store_browser_start(b, u->id, NULL, NULL, h2, 3600, 7200, sid) ==
	    1, "the other connection starts that cookie's session");
	rc = store_browser_find(a, h2, now, &s, &v);
	T_OK(rc == 1 && v != NULL && strcmp(s.id, sid) == 0,
	    "the next lookup finds it (the unknown answer was not kept)");
	user_free(v);
	v = NULL;
	T_OK(store_browser_start(a, u->id, NULL, NULL, h, 3600, 7200, sid) ==
	    1, "browser session");
	for (i = 0; i < 3; i++) {
		rc = store_browser_find(a, h, now, &s, &v);
		same &= rc == 1 && v != NULL && strcmp(s.id, sid) == 0 &&
		    strcmp(v->email, "bmemo@example.com") == 0;
		user_free(v);
		v = NULL;
	}
	T_OK(same, "three lookups, one answer (a copy each time)");
	T_OK(store_browser_touch(b, sid, now + 30, now + 3630) == 1,
	    "the other connection writes the last use");
	rc = store_browser_find(a, h, now, &s, &v);
	T_OK(rc == 1 && s.last_used_at == now + 30 && s.expires_at ==
	    now + 3630, "the next lookup sees it");
	user_free(v);
	v = NULL;
	T_OK(store_browser_end(b, h) == 1, "the other connection signs out");
	rc = store_browser_find(a, h, now, &s, &v);
	T_OK(rc == 0 && v == NULL, "the next lookup finds no session");
	T_OK(sqlite3_open(path, &raw) == SQLITE_OK, "a plain connection");
	rc = store_browser_find(a, h2, now, &s, &v);
	T_OK(rc == 1, "the first cookie's session is live");
	user_free(v);
	v = NULL;
	snprintf(q, sizeof(q), "UPDATE sessions SET revoked_at = %lld WHERE "
	    "id = '%s'", (long long)now, s.id);
	T_OK(sqlite3_exec(raw, q, NULL, NULL, NULL) == SQLITE_OK,
	    "the shell revokes it");
	rc = store_browser_find(a, h2, now, &s, &v);
	T_OK(rc == 0 && v == NULL, "the next lookup finds no session");
done:
	sqlite3_close(raw);
	user_free(v);
	user_free(u);
	store_close(a);
	store_close(b);
}

/*
 * The store reads the configuration it was handed, and after
 * store_use_config() the one a reload swaps in: here the sessions a user
 * may hold.
 */
static void
test_use_config(struct store *st)
{
	struct config	 two = cfg;
	struct user	*u;
	unsigned char	 h[32];
	char		*t, sid[37], q[256];
	int		 i, rc;

	u = mkuser(st, "c@config.example.com", "configured", NULL, &rc);
	T_OK(rc == 1, "user for the configuration");
	if (u == NULL)
		return;
	snprintf(q, sizeof(q), "SELECT count(*) FROM sessions WHERE "
	    "user_id = '%s'", u->id);
	two.max_sessions_user = 2;
	store_use_config(st, &two);
	for (i = 0; i < 3; i++) {
		t = token_new(h);
		free_secret(t);
		T_OK(store_session_start(st, u->id, NULL, NULL, h, 3600, sid) ==
		    1, "start %d", i);
	}
	T_OK(count(st, q) == 2, "2 sessions at most: %ld", count(st, q));
	store_use_config(st, &cfg);	/* max_sessions_user 0: no bound */
	for (i = 0; i < 2; i++) {
		t = token_new(h);
		free_secret(t);
		T_OK(store_session_start(st, u->id, NULL, NULL, h, 3600, sid) ==
		    1, "start %d", i + 3);
	}
	T_OK(count(st, q) == 4, "no bound after the swap: %ld", count(st, q));
	user_free(u);
}

/*
 * Runs SQL on a connection of the test's own: how times in the past are
 * made, instead of waiting for them.  0 or -1.
 */
static int
past(const char *q)
{
	sqlite3	*db;
	char	*p;
	int	 rc;

	p = xasprintf("%s/t.db", dir);
	rc = sqlite3_open(p, &db);
	free(p);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 1000);
		rc = sqlite3_exec(db, q, NULL, NULL, NULL);
	}
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void
test_sessions(struct store *st)
{
	struct user	*u, *r = NULL;
	unsigned char	 h1[32], h2[32], h3[32], h4[32];
	char		*t, sid[37];
	int		 rc;

	u = mkuser(st, "s@example.com", "sam", NULL, &rc);
	T_OK(rc == 1, "user for sessions");
	t = token_new(h1);
	free(t);
	t = token_new(h2);
	free(t);
	t = token_new(h3);
	free(t);
	t = token_new(h4);
	free(t);
	T_OK(store_session_start(st, u->id, "ua", "127.0.0.1", h1, 3600,
	    sid) == 1, "session start");
	T_OK(store_session_rotate(st, h1, h2, 3600, 1, &r, NULL) == 1 &&
	    r != NULL && strcmp(r->id, u->id) == 0, "rotate");
	user_free(r);
	T_OK(store_session_rotate(st, h1, h3, 3600, 1, &r, NULL) == 0 &&
	    r == NULL, "spent token refused within the grace window");
	T_OK(store_session_rotate(st, h2, h3, 3600, 1, &r, NULL) == 1,
	    "the family lives on after a reuse within grace");
	user_free(r);
	/* Ten seconds later, for the spent tokens: past the grace of 1 s. */
	T_OK(past("UPDATE refresh_tokens SET spent_at = spent_at - 10 "
	    "WHERE spent_at IS NOT NULL") == 0, "move spent_at back");
	T_OK(store_session_rotate(st, h1, h4, 3600, 1, &r, NULL) == 0,
	    "spent token refused after grace");
	T_OK(store_session_rotate(st, h3, h4, 3600, 1, &r, NULL) == 0,
	    "reuse after grace revoked the family");
	T_OK(store_session_logout(st, h3, 0) == 0, "logout of a dead session");
	user_free(u);
}

/* The user read of Bearer checks, with its session's state. */
static void
test_user_session(struct store *st)
{
	struct user	*u, *v = NULL, *o;
	unsigned char	 h1[32], h2[32];
	char		*t, s1[37], s2[37];
	int		 rc, live;

	u = mkuser(st, "live@example.com", "liv", NULL, &rc);
	o = mkuser(st, "other@example.com", "oth", NULL, &rc);
	T_OK(u != NULL && o != NULL, "users for session reads");
	if (u == NULL || o == NULL)
		goto done;
	t = token_new(h1);
	free(t);
	t = token_new(h2);
	free(t);
	T_OK(store_session_start(st, u->id, "ua", "127.0.0.1", h1, 3600,
	    s1) == 1 && store_session_start(st, u->id, "ua", "127.0.0.1", h2,
	    3600, s2) == 1, "two sessions");
	rc = store_user_by_id_session(st, u->id, s1, now_s(), &v, &live);
	T_OK(rc == 1 && v != NULL && strcmp(v->id, u->id) == 0 &&
	    strcmp(v->email, "live@example.com") == 0 && live == 1,
	    "user and a live session in one read");
	user_free(v);
	rc = store_user_by_id_session(st, u->id, s1, now_s() + 3600, &v,
	    &live);
	T_OK(rc == 1 && live == 0, "an expired session is not live");
	user_free(v);
	rc = store_user_by_id_session(st, o->id, s1, now_s(), &v, &live);
	T_OK(rc == 1 && live == 0, "another user's session is not live");
	user_free(v);
	rc = store_user_by_id_session(st, u->id, NULL, now_s(), &v, &live);
	T_OK(rc == 1 && v != NULL && live == 0, "no sid: the user alone");
	user_free(v);
	T_OK(store_session_revoke(st, u->id, s1) == 1, "revoke one");
	rc = store_user_by_id_session(st, u->id, s1, now_s(), &v, &live);
	T_OK(rc == 1 && live == 0, "a revoked session is not live");
	user_free(v);
	rc = store_user_by_id_session(st, u->id, s2, now_s(), &v, &live);
	T_OK(rc == 1 && live == 1, "the other session lives on");
	user_free(v);
	rc = store_user_by_id_session(st, "no-such-user", s2, now_s(), &v,
	    &live);
	T_OK(rc == 0 && v == NULL && live == 0, "unknown user");
done:
	user_free(u);
	user_free(o);
}

/*
 * A busy COMMIT comes back as STORE_EBUSY (503 DB_LOCKED), not as a
 * database failure, and leaves no transaction open: the same write
 * succeeds once the reader is gone.  In WAL mode a reader never holds
 * off a COMMIT, so the test switches the store's connection to the
 * rollback journal, where a reader's SHARED lock does (the COMMIT needs
 * the EXCLUSIVE lock): SQLite's own locking, nothing faked.
 */
static void
test_busy_commit(void)
{
	struct user_new	 n = { "busy@x.com", "busy", NULL, "$argon2id$x",
	    ROLE_REGULAR, 0 };
	struct store	*st = NULL;
	struct user	*u = NULL;
	sqlite3		*rd = NULL;
	sqlite3_stmt	*s = NULL;
	char		*p;
	int		 rc, saved = cfg.busy_timeout_ms;

	cfg.busy_timeout_ms = 200;
	p = xasprintf("%s/busy.db", dir);
	if (store_migrate(p, &cfg) != 0 || store_open(p, &cfg, &st) != 0 ||
	    drv_exec(st->drv, "PRAGMA journal_mode=DELETE") != 0) {
		T_OK(0, "open a rollback-journal database");
		goto done;
	}
	rc = store_user_create(st, &(struct user_new){ "first@x.com",
	    "first", NULL, "$argon2id$x", ROLE_REGULAR, 0 }, &u);
	T_OK(rc == 1, "a first user");
	user_free(u);
	u = NULL;
	/* A reader in the middle of a SELECT holds SHARED. */
	T_OK(sqlite3_open(p, &rd) == SQLITE_OK &&
	    sqlite3_prepare_v2(rd, "SELECT id FROM users", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW, "a reader");
	rc = store_user_create(st, &n, &u);
	T_OK(rc == STORE_EBUSY && u == NULL, "busy commit: %d", rc);
	sqlite3_finalize(s);
	s = NULL;
	T_OK(store_email_taken(st, n.email) == 0,
	    "nothing of the busy write stayed");
	rc = store_user_create(st, &n, &u);
	T_OK(rc == 1 && u != NULL, "the same write goes through: %d", rc);
done:
	sqlite3_finalize(s);
	sqlite3_close(rd);
	user_free(u);
	store_close(st);
	free(p);
	cfg.busy_timeout_ms = saved;
}

int
main(void)
{
	struct store	*st;
	char		*p;

	if (mkdtemp(dir) == NULL)
		return 1;
	cfg.busy_timeout_ms = 1000;
	test_schema();
	p = xasprintf("%s/t.db", dir);
	T_OK(store_migrate(p, &cfg) == 0 && store_open(p, &cfg, &st) == 0,
	    "open");
	test_users(st);
	test_sessions(st);
	test_user_session(st);
	test_session_bounds(st);
	test_use_config(st);
	store_close(st);
	test_user_session_memo(p);
	test_browser_memo(p);
	test_busy_commit();
	free(p);
	p = xasprintf("rm -rf %s", dir);
	if (system(p) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(p);
	return t_done("store");
}
