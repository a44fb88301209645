/*
 * Unit tests of the PostgreSQL driver (store/drv_pg.c): the pure parts
 * (placeholder translation, bytea decoding, the URL as logged), then a
 * real server: migrations (also by several processes at once), round
 * trips of every type, constraint errors, the write lock, retries of
 * serialization failures, a transparent reconnect after the server
 * ended the connection, and an outage (the server unreachable, then
 * back) through a relay this test stops and starts.
 *
 * The server: STACK_DATABASE_URL's (tests/pg/with-pg), else one started
 * here with tests/pg/pg in a temporary directory and removed at the end.
 * Each run works in databases of its own on that server.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store.h"
#include "drv.h"
#include "drv_pg.h"
#include "util.h"
#include "t.h"

static char	 own_dir[] = "/tmp/authd-drvpg.XXXXXX";
static int	 own_server;
static char	*server_url;		/* the server's database "authd" */
static PGconn	*admin;			/* to server_url */
static char	 sock_dir[256];		/* the server's socket directory */
static char	 sock_port[16];
static char	 sock_user[64];

/* ------------------------------------------------------------------ */
/* Pure parts */

static void
test_translate(void)
{
	static const struct {
		const char	*in, *out;
		int		 n;
	} ok[] = {
		{ "SELECT ?1", "SELECT $1", 1 },
		{ "SELECT ?1, ?2, ?1", "SELECT $1, $2, $1", 2 },
		{ "SELECT ?, ?", "SELECT $1, $2", 2 },
		{ "SELECT ?3, ?", "SELECT $3, $4", 4 },
		{ "x = ?12 AND y = ?2", "x = $12 AND y = $2", 12 },
		{ "SELECT ?999", "SELECT $999", 999 },
		{ "SELECT '?1', ?1", "SELECT '?1', $1", 1 },
		{ "SELECT 'it''s ?1', ?2", "SELECT 'it''s ?1', $2", 2 },
		{ "SELECT \"a?1\"\"?\" FROM t WHERE x = ?1",
		  "SELECT \"a?1\"\"?\" FROM t WHERE x = $1", 1 },
		{ "SELECT 1 -- ?1 '\n, ?2", "SELECT 1 -- ?1 '\n, $2", 2 },
		{ "SELECT /* ?1 ' */ ?2", "SELECT /* ?1 ' */ $2", 2 },
		{ "SELECT 'open ?1", "SELECT 'open ?1", 0 },
		{ "SELECT 1", "SELECT 1", 0 },
		{ "", "", 0 },
	};
	static const char *const bad[] = {
		"SELECT ?0", "SELECT ?1000", "SELECT ?99999999999999999999",
	};
	char	*t;
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = -1;
		t = pgdrv_translate(ok[i].in, &n);
		T_STREQ(t, ok[i].out);
		T_OK(n == ok[i].n, "%s: %d parameters, want %d", ok[i].in, n,
		    ok[i].n);
		free(t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = pgdrv_translate(bad[i], &n);
		T_OK(t == NULL, "%s refused", bad[i]);
		free(t);
	}
}

static void
test_unhex(void)
{
	unsigned char	out[8];

	T_OK(pgdrv_unhex("\\x", out) == 0, "empty bytea");
	T_OK(pgdrv_unhex("\\x00ff10", out) == 3 && out[0] == 0 &&
	    out[1] == 0xff && out[2] == 0x10, "three bytes");
	T_OK(pgdrv_unhex("\\xABcd", out) == 2 && out[0] == 0xab &&
	    out[1] == 0xcd, "either case");
	T_OK(pgdrv_unhex("\\x0", out) == -1, "odd length");
	T_OK(pgdrv_unhex("00ff", out) == -1, "no \\x prefix (escape format)");
	T_OK(pgdrv_unhex("\\xzz", out) == -1, "not hex");
}

static void
test_utf8(void)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain ascii", "plain ascii" },
		{ "\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80", "\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
		{ "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong / */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "end\xe2\x82", "end\xef\xbf\xbd\xef\xbf\xbd" },	/* cut short */
	};
	char	*t;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = pgdrv_utf8(cases[i].in);
		T_OK(strcmp(t, cases[i].out) == 0, "utf8 case %zu", i);
		free(t);
	}
}

static void
test_describe(void)
{
	char	buf[256];

	T_OK(pgdrv_describe("postgresql://bob:s3cret@db.example:5433/authd",
	    buf, sizeof(buf)) == 0, "URL parsed");
	T_STREQ(buf, "db.example:5433/authd");
	T_OK(pgdrv_describe("postgres:///authd?host=/tmp/x&user=u&"
	    "password=s3cret", buf, sizeof(buf)) == 0, "query form parsed");
	T_STREQ(buf, "/tmp/x/authd");
	T_OK(strstr(buf, "s3cret") == NULL, "no password");
	T_OK(pgdrv_describe("postgresql://h/db?nosuchparameter=1", buf,
	    sizeof(buf)) == -1, "a bad URL refused");
}

/* ------------------------------------------------------------------ */
/* The server */

static int
start_server(void)
{
	char	 line[512], *cmd;
	FILE	*p;

	if ((server_url = getenv("STACK_DATABASE_URL")) != NULL &&
	    server_url[0] != '\0') {
		server_url = xstrdup(server_url);
		return 0;
	}
	if (mkdtemp(own_dir) == NULL)
		return -1;
	own_server = 1;
	cmd = xasprintf("tests/pg/pg start %s", own_dir);
	p = popen(cmd, "r");
	free(cmd);
	if (p == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		server_url = xstrdup(line);
	}
	if (pclose(p) != 0 || server_url == NULL) {
		fprintf(stderr, "tests/pg/pg start failed\n");
		return -1;
	}
	return 0;
}

static void
stop_server(void)
{
	char	*cmd;

	if (!own_server)
		return;
	cmd = xasprintf("tests/pg/pg destroy %s", own_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "tests/pg/pg destroy %s failed\n", own_dir);
	free(cmd);
}

/* The socket directory, port and user of server_url. */
static int
server_parts(void)
{
	PQconninfoOption	*o, *opts;
	char			*err = NULL;

	if ((opts = PQconninfoParse(server_url, &err)) == NULL) {
		PQfreemem(err);
		return -1;
	}
	snprintf(sock_port, sizeof(sock_port), "5432");
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			snprintf(sock_dir, sizeof(sock_dir), "%s", o->val);
		else if (strcmp(o->keyword, "port") == 0 && o->val[0] != '\0')
			snprintf(sock_port, sizeof(sock_port), "%s", o->val);
		else if (strcmp(o->keyword, "user") == 0)
			snprintf(sock_user, sizeof(sock_user), "%s", o->val);
	}
	PQconninfoFree(opts);
	return sock_dir[0] == '/' ? 0 : -1;
}

/* A connection string for database db through the sockets of dir. */
static char *
url_for(const char *dir, const char *db)
{
	return xasprintf("host=%s port=%s user=%s dbname=%s", dir, sock_port,
	    sock_user[0] ? sock_user : "authd", db);
}

static int
admin_exec(const char *q)
{
	PGresult	*res = PQexec(admin, q);
	int		 ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
			    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "admin: %s: %s", q, PQerrorMessage(admin));
	PQclear(res);
	return ok ? 0 : -1;
}

/* A fresh database of this run: its connection string. */
static char *
fresh_db(const char *name)
{
	char	*q, *db;

	db = xasprintf("drvpg_%ld_%s", (long)getpid(), name);
	q = xasprintf("DROP DATABASE IF EXISTS %s", db);
	(void)admin_exec(q);
	free(q);
	q = xasprintf("CREATE DATABASE %s", db);
	T_OK(admin_exec(q) == 0, "create database %s", db);
	free(q);
	q = url_for(sock_dir, db);
	free(db);
	return q;
}

static void
drop_dbs(void)
{
	PGresult	*res;
	char		*q;
	int		 i;

	q = xasprintf("SELECT datname FROM pg_database WHERE datname LIKE "
	    "'drvpg_%ld_%%'", (long)getpid());
	res = PQexec(admin, q);
	free(q);
	for (i = 0; i < PQntuples(res); i++) {
		q = xasprintf("DROP DATABASE %s WITH (FORCE)",
		    PQgetvalue(res, i, 0));
		(void)admin_exec(q);
		free(q);
	}
	PQclear(res);
}

/* A one-value query on a connection string of its own. */
static long
value_in(const char *url, const char *q)
{
	PGconn		*c = PQconnectdb(url);
	PGresult	*res;
	long		 v = -1;

	res = PQexec(c, q);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	return v;
}

/* ------------------------------------------------------------------ */
/* Migrations */

static void
test_migrate(void)
{
	struct pgdrv	*d;
	char		*url;
	int		 v = -1;

	url = fresh_db("migrate");
	T_OK(pgdrv_open(url, 0, &d) == 0, "open");
	T_OK(pgdrv_schema_version(d, &v) == 0 && v == 0, "empty: version 0");
	T_OK(pgdrv_migrate(d, 5000) == 0, "migrations apply");
	T_OK(pgdrv_schema_version(d, &v) == 0 && v == pgdrv_migrations(),
	    "version %d after", v);
	T_OK(pgdrv_migrations() == 3, "three migrations embedded");
	T_OK(pgdrv_migrate(d, 5000) == 0, "a second run is a no-op");
	T_OK(value_in(url, "SELECT count(*) FROM schema_migrations") == 3,
	    "one row per migration");
	T_OK(value_in(url, "SELECT count(*) FROM information_schema.tables "
	    "WHERE table_schema = 'public'") == 7, "six tables and the "
	    "bookkeeping");
	pgdrv_close(d);
	free(url);
}

/* Several processes migrating one new database at the same moment. */
static void
test_migrate_race(void)
{
	struct pgdrv	*d;
	pid_t		 pid[4];
	char		*url;
	int		 i, st, ok = 0, go[2];
	char		 c = 'g';

	url = fresh_db("race");
	if (pipe(go) == -1)
		return;
	for (i = 0; i < 4; i++) {
		if ((pid[i] = fork()) == 0) {
			close(go[1]);
			/* All wait for one signal, then migrate together. */
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			if (pgdrv_open(url, 0, &d) != 0)
				_exit(2);
			st = pgdrv_migrate(d, 10000);
			pgdrv_close(d);
			_exit(st == 0 ? 0 : 1);
		}
	}
	close(go[0]);
	close(go[1]);			/* EOF: go */
	for (i = 0; i < 4; i++)
		if (pid[i] > 0 && waitpid(pid[i], &st, 0) == pid[i] &&
		    WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	T_OK(ok == 4, "four processes migrated (%d succeeded)", ok);
	T_OK(value_in(url, "SELECT count(*) FROM schema_migrations") == 3,
	    "each migration applied once");
	T_OK(value_in(url, "SELECT count(*) FROM pg_indexes WHERE indexname "
	    "= 'sessions_cookie'") == 1, "the last migration's index is there");
	free(url);
}

/* ------------------------------------------------------------------ */
/* Statements */

static const struct sqlq q_insert = {
	"INSERT INTO t (id, name, data, extra, n) VALUES (?1, ?2, ?3, ?4, ?5)",
	NULL
};
static const struct sqlq q_select = {
	"SELECT id, name, data, extra, n FROM t WHERE id = ?1", NULL
};

static void
test_roundtrip(struct pgdrv *d)
{
	struct pgdrv_stmt	*s, *r;
	unsigned char		 all[256];
	const unsigned char	*b, *b2;
	const char		*name = "quote ' \" ?1 $1 \xc3\xbc" "n\xc3\xaf" "code";
	size_t			 len, len2;
	int			 i, rc;

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	T_OK(pgdrv_exec(d, "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT "
	    "UNIQUE, data BYTEA, extra BYTEA, n BIGINT CHECK (n <> 7))") == 0,
	    "create table");
	s = pgdrv_prepare(d, q_insert.lite);
	r = pgdrv_prepare(d, q_select.lite);
	T_OK(s != NULL && r != NULL, "prepare");
	if (s == NULL || r == NULL)
		return;
	pgdrv_bind_int64(s, 1, INT64_MAX);
	pgdrv_bind_text(s, 2, name);
	pgdrv_bind_blob(s, 3, all, sizeof(all));
	pgdrv_bind_blob(s, 4, "", 0);
	pgdrv_bind_int64(s, 5, INT64_MIN);
	T_OK(pgdrv_step(s) == DRV_DONE, "insert");
	T_OK(pgdrv_changes(s) == 1, "one row inserted");
	pgdrv_reset(s);

	pgdrv_bind_int64(r, 1, INT64_MAX);
	T_OK(pgdrv_step(r) == DRV_ROW, "row found");
	T_OK(pgdrv_col_int64(r, 0) == INT64_MAX, "int64 max");
	T_STREQ(pgdrv_col_text(r, 1), name);
	b = pgdrv_col_blob(r, 2, &len);
	b2 = pgdrv_col_blob(r, 3, &len2);
	T_OK(b != NULL && len == 256 && memcmp(b, all, 256) == 0,
	    "every byte value survives (len %zu)", len);
	T_OK(b2 != NULL && !pgdrv_col_null(r, 3) && len2 == 0,
	    "an empty blob is empty, not NULL");
	T_OK(b != NULL && memcmp(b, all, 256) == 0, "the first blob stays "
	    "valid while the second is read");
	T_OK(pgdrv_col_int64(r, 4) == INT64_MIN, "int64 min");
	T_OK(pgdrv_step(r) == DRV_DONE, "one row only");
	pgdrv_reset(r);

	/* NULLs, and a reused statement with new bindings. */
	pgdrv_bind_int64(s, 1, 2);
	pgdrv_bind_text(s, 2, NULL);
	pgdrv_bind_null(s, 3);
	pgdrv_bind_null(s, 4);
	pgdrv_bind_null(s, 5);
	T_OK((rc = pgdrv_step(s)) == DRV_DONE, "insert NULLs (%d)", rc);
	pgdrv_reset(s);
	pgdrv_bind_int64(r, 1, 2);
	T_OK(pgdrv_step(r) == DRV_ROW, "NULL row found");
	T_OK(pgdrv_col_null(r, 1) && pgdrv_col_text(r, 1) == NULL,
	    "NULL text");
	T_OK(pgdrv_col_blob(r, 2, &len) == NULL && len == 0, "NULL blob");
	T_OK(pgdrv_col_null(r, 4) && pgdrv_col_int64(r, 4) == 0, "NULL int");
	pgdrv_reset(r);

	/* Bytes that are not UTF-8: stored repaired, not refused. */
	pgdrv_bind_int64(s, 1, 3);
	pgdrv_bind_text(s, 2, "agent \xff\xfe");
	pgdrv_bind_null(s, 3);
	pgdrv_bind_null(s, 4);
	pgdrv_bind_null(s, 5);
	T_OK((rc = pgdrv_step(s)) == DRV_DONE, "invalid UTF-8 stored (%d)", rc);
	pgdrv_reset(s);
	pgdrv_bind_int64(r, 1, 3);
	T_OK(pgdrv_step(r) == DRV_ROW, "row found");
	T_STREQ(pgdrv_col_text(r, 1), "agent \xef\xbf\xbd\xef\xbf\xbd");
	pgdrv_reset(r);
	pgdrv_finalize(s);
	pgdrv_finalize(r);
	s = pgdrv_prepare(d, "SELECT count(*) FROM t WHERE name = ?1");
	pgdrv_bind_text(s, 1, "\xc0\xaf");
	T_OK(pgdrv_step(s) == DRV_ROW && pgdrv_col_int64(s, 0) == 0,
	    "a lookup by a text that is not UTF-8 finds nothing, no error");
	pgdrv_finalize(s);
}

static void
test_rows(struct pgdrv *d)
{
	struct pgdrv_stmt	*s;
	int			 n = 0;
	int64_t			 sum = 0;

	s = pgdrv_prepare(d, "INSERT INTO t (id, n) SELECT g, g FROM "
	    "generate_series(10, 14) g");
	T_OK(s != NULL && pgdrv_step(s) == DRV_DONE && pgdrv_changes(s) == 5,
	    "five rows inserted");
	pgdrv_finalize(s);
	s = pgdrv_prepare(d, "SELECT n FROM t WHERE id BETWEEN ?1 AND ?2 "
	    "ORDER BY id");
	pgdrv_bind_int64(s, 1, 10);
	pgdrv_bind_int64(s, 2, 14);
	while (pgdrv_step(s) == DRV_ROW) {
		n++;
		sum += pgdrv_col_int64(s, 0);
	}
	T_OK(n == 5 && sum == 60, "five rows read (%d, %lld)", n,
	    (long long)sum);
	T_OK(pgdrv_step(s) == DRV_DONE, "done stays done");
	pgdrv_finalize(s);
	s = pgdrv_prepare(d, "UPDATE t SET n = n + 1 WHERE id IN (?1, ?2)");
	pgdrv_bind_int64(s, 1, 13);
	pgdrv_bind_int64(s, 2, 14);
	T_OK(pgdrv_step(s) == DRV_DONE && pgdrv_changes(s) == 2,
	    "two rows changed");
	pgdrv_finalize(s);
	s = pgdrv_prepare(d, "SELECT id > 12, id = 0 FROM t WHERE id = 14");
	T_OK(pgdrv_step(s) == DRV_ROW && pgdrv_col_int64(s, 0) == 1 &&
	    pgdrv_col_int64(s, 1) == 0, "booleans read as 1 and 0");
	pgdrv_finalize(s);
	s = pgdrv_prepare(d, "INSERT INTO t (id) VALUES (?1) RETURNING id * 2");
	pgdrv_bind_int64(s, 1, 21);
	T_OK(pgdrv_step(s) == DRV_ROW && pgdrv_col_int64(s, 0) == 42 &&
	    pgdrv_step(s) == DRV_DONE && pgdrv_changes(s) == 1, "RETURNING");
	pgdrv_finalize(s);
}

/* Runs one bound insert of (id, name, n): the driver's result. */
static int
insert(struct pgdrv_stmt *s, int64_t id, const char *name, int64_t n)
{
	int	rc;

	pgdrv_bind_int64(s, 1, id);
	pgdrv_bind_text(s, 2, name);
	pgdrv_bind_null(s, 3);
	pgdrv_bind_null(s, 4);
	pgdrv_bind_int64(s, 5, n);
	rc = pgdrv_step(s);
	pgdrv_reset(s);
	return rc;
}

static long
count_t(struct pgdrv *d, const char *where)
{
	struct pgdrv_stmt	*s;
	char			*q;
	long			 v = -1;

	q = xasprintf("SELECT count(*) FROM t WHERE %s", where);
	s = pgdrv_prepare(d, q);
	if (pgdrv_step(s) == DRV_ROW)
		v = (long)pgdrv_col_int64(s, 0);
	pgdrv_finalize(s);
	free(q);
	return v;
}

static void
test_conflict(struct pgdrv *d)
{
	struct pgdrv_stmt	*s = pgdrv_prepare(d, q_insert.lite);

	T_OK(insert(s, INT64_MAX, "x", 0) == STORE_ECONFLICT,
	    "duplicate key: STORE_ECONFLICT");
	T_OK(insert(s, 100, "quote ' \" ?1 $1 \xc3\xbc" "n\xc3\xaf" "code", 0) ==
	    STORE_ECONFLICT, "duplicate unique text: STORE_ECONFLICT");
	T_OK(insert(s, 101, "seven", 7) == STORE_ECONFLICT,
	    "check constraint: STORE_ECONFLICT");
	T_OK(insert(s, 102, "fine", 1) == DRV_DONE, "the next insert works");

	/* In a transaction a refused statement is undone alone. */
	T_OK(pgdrv_begin(d) == 0, "begin");
	T_OK(insert(s, 200, "tx-a", 1) == DRV_DONE, "insert in tx");
	T_OK(insert(s, 200, "tx-b", 1) == STORE_ECONFLICT, "conflict in tx");
	T_OK(insert(s, 201, "tx-c", 1) == DRV_DONE, "the tx goes on");
	T_OK(pgdrv_commit(d) == 0, "commit");
	T_OK(count_t(d, "id IN (200, 201)") == 2, "both rows committed");
	pgdrv_rollback(d);	/* no transaction: a no-op */
	T_OK(count_t(d, "id IN (200, 201)") == 2, "rollback after commit "
	    "changes nothing");
	T_OK(pgdrv_begin(d) == 0, "begin");
	T_OK(insert(s, 202, "tx-d", 1) == DRV_DONE, "insert in tx");
	pgdrv_rollback(d);
	T_OK(count_t(d, "id = 202") == 0, "rolled back");
	pgdrv_finalize(s);
}

/* Runs f() with stderr going to a file; returns what was written. */
static char *
stderr_of(int (*f)(struct pgdrv *), struct pgdrv *d, int *rc)
{
	char	 path[] = "/tmp/authd-drvpg-log.XXXXXX", *buf;
	int	 fd, saved;
	off_t	 n;

	buf = xcalloc(1, 4096);
	if ((fd = mkstemp(path)) == -1)
		return buf;
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	*rc = f(d);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, 4095, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static int
bad_number(struct pgdrv *d)
{
	struct pgdrv_stmt	*s;
	int			 rc;

	s = pgdrv_prepare(d, "SELECT count(*) FROM t WHERE id = ?1");
	pgdrv_bind_text(s, 1, "hunter2-secret");
	rc = pgdrv_step(s);
	pgdrv_finalize(s);
	return rc;
}

static int
bad_syntax(struct pgdrv *d)
{
	struct pgdrv_stmt	*s;
	int			 rc;

	s = pgdrv_prepare(d, "SELEC nothing");
	rc = pgdrv_step(s);
	pgdrv_finalize(s);
	return rc;
}

static void
test_errors(struct pgdrv *d)
{
	char	*log;
	int	 rc = 0;

	log = stderr_of(bad_number, d, &rc);
	T_OK(rc == STORE_EDB, "a value PostgreSQL refuses: STORE_EDB (%d)", rc);
	T_OK(strstr(log, "22P02") != NULL, "logged with its SQLSTATE: %s", log);
	T_OK(strstr(log, "hunter2") == NULL, "never with the value: %s", log);
	free(log);
	log = stderr_of(bad_syntax, d, &rc);
	T_OK(rc == STORE_EDB, "a syntax error: STORE_EDB");
	T_OK(strstr(log, "42601") != NULL && strstr(log, "SELEC") != NULL,
	    "logged with the statement: %s", log);
	free(log);
	T_OK(count_t(d, "true") > 0, "the connection still works");
}

/* ------------------------------------------------------------------ */
/* Locks and retries */

static void
test_lock(const char *url)
{
	struct pgdrv	*a, *b;
	int		 rc;

	T_OK(pgdrv_open(url, 0, &a) == 0 && pgdrv_open(url, 200, &b) == 0,
	    "two connections");
	T_OK(pgdrv_begin(a) == 0, "A holds the write lock");
	T_OK((rc = pgdrv_begin(b)) == STORE_EBUSY, "B waits 200 ms, then "
	    "STORE_EBUSY (%d)", rc);
	T_OK(pgdrv_commit(a) == 0, "A commits");
	T_OK(pgdrv_begin(b) == 0, "B gets the lock");
	T_OK(pgdrv_commit(b) == 0, "B commits");
	pgdrv_close(a);
	pgdrv_close(b);
}

static void
test_retry(struct pgdrv *d, const char *url)
{
	struct pgdrv_stmt	*s;
	int			 rc;

	T_OK(pgdrv_exec(d, "CREATE SEQUENCE tries; "
	    "CREATE FUNCTION flaky(every BIGINT) RETURNS BIGINT AS $$ "
	    "DECLARE v BIGINT := nextval('tries'); BEGIN "
	    "IF v % every <> 0 THEN RAISE EXCEPTION 'try again' USING "
	    "ERRCODE = '40001'; END IF; RETURN v; END $$ LANGUAGE plpgsql; "
	    "CREATE FUNCTION deadlocked() RETURNS BIGINT AS $$ BEGIN "
	    "PERFORM nextval('tries'); RAISE EXCEPTION 'deadlock' USING "
	    "ERRCODE = '40P01'; END $$ LANGUAGE plpgsql") == 0, "functions");
	s = pgdrv_prepare(d, "SELECT flaky(?1)");
	pgdrv_bind_int64(s, 1, 3);
	T_OK((rc = pgdrv_step(s)) == DRV_ROW && pgdrv_col_int64(s, 0) == 3,
	    "a serialization failure is retried (%d)", rc);
	pgdrv_reset(s);
	pgdrv_bind_int64(s, 1, 1000);
	T_OK(pgdrv_step(s) == STORE_EBUSY, "and given up: STORE_EBUSY");
	pgdrv_finalize(s);
	T_OK(value_in(url, "SELECT last_value FROM tries") == 6,
	    "three tries each");
	s = pgdrv_prepare(d, "SELECT deadlocked()");
	T_OK(pgdrv_step(s) == STORE_EBUSY, "a deadlock: STORE_EBUSY");
	pgdrv_finalize(s);
	T_OK(value_in(url, "SELECT last_value FROM tries") == 9,
	    "after three tries");
	/* Inside a transaction the transaction is lost: no retry. */
	s = pgdrv_prepare(d, "SELECT flaky(?1)");
	T_OK(pgdrv_begin(d) == 0, "begin");
	pgdrv_bind_int64(s, 1, 1000);
	T_OK(pgdrv_step(s) == STORE_EBUSY, "in a transaction: STORE_EBUSY");
	pgdrv_reset(s);
	pgdrv_rollback(d);
	pgdrv_finalize(s);
	T_OK(value_in(url, "SELECT last_value FROM tries") == 10,
	    "after one try");
}

/* ------------------------------------------------------------------ */
/* Connections */

/* The server ends the driver's connection (as a restart does). */
static void
test_terminated(struct pgdrv *d, const char *db)
{
	struct pgdrv_stmt	*s;
	char			*q;
	int			 rc;

	s = pgdrv_prepare(d, "SELECT count(*) FROM t WHERE id >= ?1");
	pgdrv_bind_int64(s, 1, 0);
	T_OK(pgdrv_step(s) == DRV_ROW, "prepared and run");
	pgdrv_reset(s);
	q = xasprintf("SELECT pg_terminate_backend(pid, 10000) FROM "
	    "pg_stat_activity WHERE datname = '%s' AND pid <> "
	    "pg_backend_pid()", db);
	T_OK(admin_exec(q) == 0, "connection terminated");
	free(q);
	pgdrv_bind_int64(s, 1, 0);
	T_OK((rc = pgdrv_step(s)) == DRV_ROW, "run again on a new connection, "
	    "prepared again (%d)", rc);
	pgdrv_finalize(s);
}

/*
 * A relay from dir/.s.PGSQL.<port> to the server's socket, in a process
 * group of its own: stopping it is the server going away for the driver.
 */
static pid_t
relay_start(const char *dir)
{
	struct sockaddr_un	 la, ta;
	struct pollfd		 p[2];
	char			 buf[8192], c = 'r';
	int			 ready[2], l, a, t, i;
	ssize_t			 n;
	pid_t			 pid;

	memset(&la, 0, sizeof(la));
	memset(&ta, 0, sizeof(ta));
	la.sun_family = ta.sun_family = AF_UNIX;
	if ((size_t)snprintf(la.sun_path, sizeof(la.sun_path), "%.60s/.s.PGSQL.%.8s",
	    dir, sock_port) >= sizeof(la.sun_path) ||
	    (size_t)snprintf(ta.sun_path, sizeof(ta.sun_path), "%.80s/.s.PGSQL.%.8s",
	    sock_dir, sock_port) >= sizeof(ta.sun_path))
		return -1;
	if (pipe(ready) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid > 0) {
		close(ready[1]);
		n = read(ready[0], &c, 1);	/* listening */
		close(ready[0]);
		return n == 1 ? pid : -1;
	}
	setpgid(0, 0);
	signal(SIGCHLD, SIG_IGN);
	unlink(la.sun_path);
	if ((l = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&la, sizeof(la)) == -1 ||
	    listen(l, 16) == -1)
		_exit(1);
	if (write(ready[1], &c, 1) != 1)
		_exit(1);
	for (;;) {
		if ((a = accept(l, NULL, NULL)) == -1)
			continue;
		if (fork() != 0) {
			close(a);
			continue;
		}
		close(l);
		if ((t = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(t, (struct sockaddr *)&ta, sizeof(ta)) == -1)
			_exit(1);
		p[0].fd = a;
		p[1].fd = t;
		p[0].events = p[1].events = POLLIN;
		while (poll(p, 2, -1) > 0) {
			for (i = 0; i < 2; i++) {
				if (p[i].revents == 0)
					continue;
				if ((n = read(p[i].fd, buf, sizeof(buf))) <= 0 ||
				    write(p[1 - i].fd, buf, (size_t)n) != n)
					_exit(0);
			}
		}
		_exit(0);
	}
}

static void
relay_stop(pid_t pid, const char *dir)
{
	char	*path;

	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	path = xasprintf("%s/.s.PGSQL.%s", dir, sock_port);
	unlink(path);
	free(path);
}

static int64_t
ms_since(int64_t t0)
{
	return mono_ms() - t0;
}

/* Runs the count until it succeeds or ms pass: the last result. */
static int
until_up(struct pgdrv_stmt *s, int ms)
{
	int64_t		t0 = mono_ms();
	struct timespec	ts = { 0, 20000000L };
	int		rc;

	for (;;) {
		pgdrv_bind_int64(s, 1, 0);
		rc = pgdrv_step(s);
		pgdrv_reset(s);
		if (rc == DRV_ROW || ms_since(t0) > ms)
			return rc;
		nanosleep(&ts, NULL);	/* the back-off decides, not this */
	}
}

static void
test_outage(const char *db)
{
	struct pgdrv		*d;
	struct pgdrv_stmt	*s, *ins;
	char			 dir[] = "/tmp/authd-relay.XXXXXX", *url;
	pid_t			 relay;
	int64_t			 t0, took;
	int			 rc;

	if (mkdtemp(dir) == NULL)
		return;
	relay = relay_start(dir);
	T_OK(relay > 0, "relay started");
	url = url_for(dir, db);
	T_OK(pgdrv_open(url, 0, &d) == 0, "open through the relay");
	s = pgdrv_prepare(d, "SELECT count(*) FROM t WHERE id >= ?1");
	ins = pgdrv_prepare(d, q_insert.lite);
	T_OK(until_up(s, 0) == DRV_ROW, "works through the relay");

	relay_stop(relay, dir);
	t0 = mono_ms();
	pgdrv_bind_int64(s, 1, 0);
	rc = pgdrv_step(s);
	took = ms_since(t0);
	pgdrv_reset(s);
	T_OK(rc == STORE_EUNAVAIL, "server gone: STORE_EUNAVAIL (%d)", rc);
	T_OK(took < 3000, "at once, not after a hang (%lld ms)",
	    (long long)took);
	t0 = mono_ms();
	pgdrv_bind_int64(s, 1, 0);
	rc = pgdrv_step(s);
	took = ms_since(t0);
	pgdrv_reset(s);
	T_OK(rc == STORE_EUNAVAIL && took < 1000, "again, within the back-off "
	    "(%d, %lld ms)", rc, (long long)took);
	T_OK(pgdrv_begin(d) == STORE_EUNAVAIL, "begin: STORE_EUNAVAIL");

	relay = relay_start(dir);
	T_OK(relay > 0, "relay started again");
	T_OK((rc = until_up(s, 10000)) == DRV_ROW, "recovered without a new "
	    "driver (%d)", rc);

	/* The connection lost inside a transaction loses the transaction. */
	T_OK(pgdrv_begin(d) == 0, "begin");
	T_OK(insert(ins, 300, "lost", 1) == DRV_DONE, "insert in tx");
	relay_stop(relay, dir);
	T_OK(insert(ins, 301, "lost-2", 1) == STORE_EUNAVAIL,
	    "in the transaction: STORE_EUNAVAIL");
	relay = relay_start(dir);
	T_OK(insert(ins, 302, "lost-3", 1) == STORE_EUNAVAIL,
	    "no reconnect inside the transaction (its statements would run "
	    "outside it)");
	T_OK(pgdrv_commit(d) == STORE_EUNAVAIL, "commit: STORE_EUNAVAIL");
	pgdrv_rollback(d);
	T_OK(until_up(s, 10000) == DRV_ROW, "recovered");
	T_OK(count_t(d, "id >= 300 AND id < 400") == 0, "nothing of it "
	    "committed");
	pgdrv_finalize(s);
	pgdrv_finalize(ins);
	pgdrv_close(d);
	relay_stop(relay, dir);
	rmdir(dir);
	free(url);
}

/* A server that cannot be reached at start: open works, calls fail. */
static void
test_down_at_start(void)
{
	struct pgdrv		*d;
	struct pgdrv_stmt	*s;
	char			*url;

	url = url_for("/nonexistent-authd-dir", "authd");
	T_OK(pgdrv_open(url, 0, &d) == 0, "open without a server");
	s = pgdrv_prepare(d, "SELECT ?1");
	pgdrv_bind_int64(s, 1, 1);
	T_OK(pgdrv_step(s) == STORE_EUNAVAIL, "STORE_EUNAVAIL");
	pgdrv_finalize(s);
	T_OK(pgdrv_migrate(d, 300) == -1, "migrate gives up after its wait");
	pgdrv_close(d);
	free(url);
	T_OK(pgdrv_open("postgresql://h/db?nosuchparameter=1", 0, &d) == -1,
	    "a bad URL: -1");
}

int
main(void)
{
	struct pgdrv	*d;
	char		*url, *db;

	test_translate();
	test_unhex();
	test_utf8();
	test_describe();
	if (start_server() == -1 || server_parts() == -1) {
		T_OK(0, "a PostgreSQL server to test against");
		stop_server();
		return t_done("drv_pg");
	}
	admin = PQconnectdb(server_url);
	T_OK(PQstatus(admin) == CONNECTION_OK, "admin connection: %s",
	    PQerrorMessage(admin));
	test_migrate();
	test_migrate_race();
	url = fresh_db("stmts");
	db = xasprintf("drvpg_%ld_stmts", (long)getpid());
	T_OK(pgdrv_open(url, 0, &d) == 0, "open");
	test_roundtrip(d);
	test_rows(d);
	test_conflict(d);
	test_errors(d);
	test_lock(url);
	test_retry(d, url);
	test_terminated(d, db);
	test_outage(db);
	test_down_at_start();
	pgdrv_close(d);
	drop_dbs();
	PQfinish(admin);
	stop_server();
	free(url);
	free(db);
	free(server_url);
	return t_done("drv_pg");
}
