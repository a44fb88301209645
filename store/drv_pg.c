/*
 * The PostgreSQL driver (drv_pg.h): libpq, one connection per process,
 * statements prepared once per connection, parameters sent as text
 * (blobs in binary, as bytea), results read as text (bytea in hex,
 * decoded here).
 *
 * What keeps PostgreSQL's behaviour close to SQLite's, which the store's
 * code was written for:
 * - drv_begin() is BEGIN and a transaction-scoped advisory lock: writers
 *   serialise across every node as they do under BEGIN IMMEDIATE, and
 *   lock_timeout (SQLITE_BUSY_TIMEOUT_MS) bounds the wait as the busy
 *   timeout does (STORE_EBUSY past it).
 * - Inside a transaction every statement but a SELECT runs under a
 *   savepoint: a statement refused by a constraint is undone alone and
 *   the transaction goes on, as in SQLite (PostgreSQL would otherwise
 *   refuse every later statement of the transaction).
 * - A serialization failure or a deadlock of a statement outside a
 *   transaction is retried a few times; inside one the transaction is
 *   lost and the caller gets STORE_EBUSY.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "log.h"
#include "util.h"
#include "store.h"
#include "drv.h"
#include "drv_pg.h"

#include "pg/migrations.inc"	/* static const char *const migrations[] */

#define NMIGRATIONS	((int)(sizeof(migrations) / sizeof(migrations[0])))

/*
 * The advisory lock keys: writers (the transaction lock of drv_begin)
 * and the migrations (a session lock).  Arbitrary constants, distinct,
 * spelling "authdTX" and "authdMG" in ASCII.
 */
#define LOCK_TX		INT64_C(0x6175746864545800)
#define LOCK_MIGRATE	INT64_C(0x617574686d474d00)

#define BACKOFF_FIRST_MS	100
#define BACKOFF_MAX_MS		5000
#define STMT_RETRIES		3	/* serialization failures, deadlocks */
#define MAX_PARAMS		999

#define BYTEA_OID	17
#define INT8_OID	20

struct pgdrv {
	PGconn		*conn;		/* NULL while disconnected */
	char		*url;		/* holds the password: wiped when freed */
	char		 where[256];	/* host:port/db, for log lines */
	unsigned	 gen;		/* bumped at each connection */
	unsigned	 next_id;	/* statement names */
	int		 in_tx;		/* a transaction of drv_begin is open */
	int		 tx_lost;	/* the connection went inside it */
	int		 lock_timeout_ms;
	int		 backoff_ms;	/* 0 while connected */
	int64_t		 next_try;	/* mono_ms() before which no attempt */
	int		 down_logged;	/* the outage was logged */
};

struct pgdrv_stmt {
	struct pgdrv	*d;
	char		*text;		/* with $N placeholders */
	char		 name[24];	/* on the server */
	unsigned	 gen;		/* connection it was prepared on, 0 none */
	int		 is_select;	/* no savepoint needed */
	int		 nparams;
	char		**vals;		/* owned; NULL binds NULL */
	int		*lens;
	int		*fmts;		/* 1 binary (bytea) */
	Oid		*types;		/* fixed when first prepared */
	int		 typed;		/* types were chosen */
	PGresult	*res;
	int		 row;		/* current row, -1 before the first */
	int		 ran;		/* executed since the last reset */
	int64_t		 changes;
	char		 state[6];	/* SQLSTATE of the last failure */
	unsigned char	**blobs;	/* decoded bytea of the current row */
	int		 nblobs;
};

/* ------------------------------------------------------------------ */
/* Pure helpers */

/* Copies a quoted run starting at p (the opening quote q) to out. */
static const char *
copy_quoted(const char *p, char q, char **o)
{
	*(*o)++ = *p++;
	while (*p != '\0') {
		if (*p == q && p[1] == q) {	/* doubled: escaped */
			*(*o)++ = *p++;
			*(*o)++ = *p++;
			continue;
		}
		if (*p == q) {
			*(*o)++ = *p++;
			break;
		}
		*(*o)++ = *p++;
	}
	return p;
}

char *
pgdrv_translate(const char *sql, int *nparams)
{
	const char	*p = sql;
	char		*out, *o;
	long		 n;
	int		 max = 0;

	/* "?" becomes "$1000" at most: 4 more bytes each, bounded below. */
	out = o = xmalloc(strlen(sql) * 5 + 1);
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			p = copy_quoted(p, *p, &o);
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p != '\0' && *p != '\n')
				*o++ = *p++;
		} else if (p[0] == '/' && p[1] == '*') {
			*o++ = *p++;
			*o++ = *p++;
			while (*p != '\0' && !(p[0] == '*' && p[1] == '/'))
				*o++ = *p++;
			if (*p != '\0') {
				*o++ = *p++;
				*o++ = *p++;
			}
		} else if (*p == '?') {
			p++;
			if (*p >= '0' && *p <= '9') {
				n = 0;
				while (*p >= '0' && *p <= '9' && n <= MAX_PARAMS)
					n = n * 10 + (*p++ - '0');
				if (n < 1 || n > MAX_PARAMS ||
				    (*p >= '0' && *p <= '9'))
					goto bad;
			} else
				n = max + 1;
			if (n > MAX_PARAMS)
				goto bad;
			if (n > max)
				max = (int)n;
			o += sprintf(o, "$%ld", n);
		} else
			*o++ = *p++;
	}
	*o = '\0';
	*nparams = max;
	return out;
bad:
	log_warnx("database: a placeholder outside ?1..?%d in a statement",
	    MAX_PARAMS);
	free(out);
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
pgdrv_unhex(const char *in, unsigned char *out)
{
	size_t	i, n;
	int	hi, lo;

	if (in[0] != '\\' || in[1] != 'x')
		return -1;
	in += 2;
	n = strlen(in);
	if (n % 2 != 0)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = hexval(in[2 * i])) < 0 ||
		    (lo = hexval(in[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/*
 * The length of the valid UTF-8 sequence at s (n bytes left), 0 when
 * there is none: RFC 3629, as PostgreSQL checks it (no overlong forms,
 * no surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t	len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

char *
pgdrv_utf8(const char *in)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 n = strlen(in), i, k, o = 0;
	char			*out;

	for (i = 0; i < n; i += k)
		if ((k = utf8_seq(s + i, n - i)) == 0)
			break;
	if (i == n)
		return xstrdup(in);
	/* Each bad byte becomes U+FFFD: 3 bytes for 1 at most. */
	out = xmalloc(n * 3 + 1);
	for (i = 0; i < n; i += k) {
		if ((k = utf8_seq(s + i, n - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
		}
	}
	out[o] = '\0';
	return out;
}

int
pgdrv_describe(const char *url, char *out, size_t outlen)
{
	PQconninfoOption	*opts, *o;
	const char		*host = NULL, *port = NULL, *db = NULL;
	char			*err = NULL;

	if ((opts = PQconninfoParse(url, &err)) == NULL) {
		PQfreemem(err);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
	}
	snprintf(out, outlen, "%s%s%s/%s", host ? host : "(default host)",
	    port ? ":" : "", port ? port : "", db ? db : "(default db)");
	PQconninfoFree(opts);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connection */

/* The SQLSTATE of a failed result, "" when libpq gave none. */
static const char *
sqlstate(const PGresult *res)
{
	const char	*s;

	s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s != NULL ? s : "";
}

static void
drop_conn(struct pgdrv *d)
{
	if (d->conn == NULL)
		return;
	PQfinish(d->conn);
	d->conn = NULL;
	if (d->in_tx)
		d->tx_lost = 1;
	d->in_tx = 0;
	/* The first attempt again at the next call, then back-off. */
	d->backoff_ms = 0;
	d->next_try = 0;
}

/* libpq's message as one line (it ends them with a newline, some have two). */
static const char *
oneline(const char *msg, char *buf, size_t n)
{
	size_t	i;

	snprintf(buf, n, "%s", msg != NULL ? msg : "?");
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n' || buf[i] == '\t')
			buf[i] = ' ';
	while (i > 0 && buf[i - 1] == ' ')
		buf[--i] = '\0';
	return buf;
}

/* Notices (a NOTICE of IF NOT EXISTS...) are not the service's news. */
static void
notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("database notice: %s", msg);
}

/* The session's settings: 0 or -1 (logged). */
static int
session_setup(struct pgdrv *d)
{
	PGresult	*res;
	char		 q[160], msg[512];
	int		 ok;

	snprintf(q, sizeof(q), "SET lock_timeout = %d; "
	    "SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; "
	    "SET TIME ZONE 'UTC'", d->lock_timeout_ms);
	PQsetNoticeProcessor(d->conn, notice, NULL);
	res = PQexec(d->conn, q);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_warnx("database %s: session settings: %s", d->where,
		    oneline(PQresultErrorMessage(res), msg, sizeof(msg)));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Connects when allowed by the back-off: 0, or STORE_EUNAVAIL. */
static int
connect_now(struct pgdrv *d)
{
	/*
	 * A server gone silent over TCP (no reset) fails the connection
	 * within seconds instead of holding a worker: keepalives, and a
	 * bound on unacknowledged writes.  Unix sockets ignore them.
	 */
	const char	*keys[] = { "connect_timeout", "application_name",
			    "keepalives_idle", "keepalives_interval",
			    "keepalives_count", "tcp_user_timeout", "dbname",
			    NULL };
	const char	*vals[] = { "2", "authd", "30", "10", "3", "10000",
			    d->url, NULL };
	int64_t		 now = mono_ms();
	char		 msg[512];

	if (d->next_try != 0 && now < d->next_try)
		return STORE_EUNAVAIL;
	/* Later keys win: the URL may set its own timeout and name. */
	d->conn = PQconnectdbParams(keys, vals, 1);
	if (d->conn != NULL && PQstatus(d->conn) == CONNECTION_OK &&
	    session_setup(d) == 0) {
		if (d->down_logged)
			log_info("database %s: connected again", d->where);
		d->down_logged = 0;
		d->backoff_ms = 0;
		d->next_try = 0;
		d->gen++;
		return 0;
	}
	if (!d->down_logged || d->backoff_ms >= BACKOFF_MAX_MS / 2)
		log_warnx("database %s: cannot connect: %s", d->where,
		    oneline(d->conn ? PQerrorMessage(d->conn) :
		    "out of memory", msg, sizeof(msg)));
	d->down_logged = 1;
	PQfinish(d->conn);
	d->conn = NULL;
	d->backoff_ms = d->backoff_ms == 0 ? BACKOFF_FIRST_MS :
	    d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    d->backoff_ms * 2;
	d->next_try = mono_ms() + d->backoff_ms;
	return STORE_EUNAVAIL;
}

/*
 * A usable connection: 0, or STORE_EUNAVAIL.  An idle connection is
 * checked first without blocking: a server that restarted has said so
 * and closed the socket, and a new connection is made before the
 * statement rather than failing it.
 */
static int
conn_ready(struct pgdrv *d)
{
	struct pollfd	pfd;
	int		i, ok = 1;

	if (d->tx_lost)
		return STORE_EUNAVAIL;
	if (d->conn != NULL && !d->in_tx) {
		/*
		 * The server's last words (an error), then the end of the
		 * stream: each read takes one, a few reads at most.
		 */
		pfd.fd = PQsocket(d->conn);
		pfd.events = POLLIN;
		for (i = 0; i < 4 && pfd.fd >= 0 && ok; i++) {
			if (poll(&pfd, 1, 0) <= 0)
				break;
			ok = PQconsumeInput(d->conn) == 1;
		}
		if (pfd.fd < 0 || !ok || PQstatus(d->conn) != CONNECTION_OK) {
			log_warnx("database %s: connection lost", d->where);
			d->down_logged = 1;
			drop_conn(d);
		}
	}
	if (d->conn != NULL)
		return 0;
	if (d->in_tx)
		return STORE_EUNAVAIL;
	return connect_now(d);
}

/*
 * The store's error for a failed result (res may be NULL), logged when
 * it is STORE_EDB or the connection went.  what: the statement's text or
 * a name, never a parameter.  Messages of the data-exception and
 * constraint classes can quote values, so only their SQLSTATE is logged.
 */
static int
fail(struct pgdrv *d, const PGresult *res, const char *what)
{
	const char	*st = sqlstate(res);
	const char	*msg;
	char		 buf[512];

	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK ||
	    strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
	    strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0) {
		if (!d->down_logged)
			log_warnx("database %s: connection lost (%s)",
			    d->where, st[0] ? st : "closed");
		d->down_logged = 1;
		drop_conn(d);
		return STORE_EUNAVAIL;
	}
	if (strncmp(st, "23", 2) == 0)
		return STORE_ECONFLICT;
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strcmp(st, "55P03") == 0) {
		log_warnx("database busy (%s): %s", st, what);
		return STORE_EBUSY;
	}
	msg = strncmp(st, "22", 2) == 0 ? "(message not logged)" :
	    res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    PQerrorMessage(d->conn);
	log_warnx("database error %s: %s: %s", st[0] ? st : "-",
	    oneline(msg, buf, sizeof(buf)), what);
	return STORE_EDB;
}

int
pgdrv_open(const char *url, int lock_ms, struct pgdrv **out)
{
	struct pgdrv	*d;
	char		 where[256];

	*out = NULL;
	if (pgdrv_describe(url, where, sizeof(where)) == -1) {
		log_warnx("DATABASE_URL: not a valid PostgreSQL connection "
		    "URI");
		return -1;
	}
	d = xcalloc(1, sizeof(*d));
	d->url = xstrdup(url);
	memcpy(d->where, where, sizeof(d->where));
	d->lock_timeout_ms = lock_ms > 0 ? lock_ms : 5000;
	(void)conn_ready(d);
	*out = d;
	return 0;
}

const char *
pgdrv_where(const struct pgdrv *d)
{
	return d->where;
}

void
pgdrv_close(struct pgdrv *d)
{
	if (d == NULL)
		return;
	if (d->conn != NULL)
		PQfinish(d->conn);
	free_secret(d->url);
	free(d);
}

/* ------------------------------------------------------------------ */
/* Statements */

static int
starts_with_select(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '(')
		s++;
	return strncasecmp(s, "SELECT", 6) == 0;
}

struct pgdrv_stmt *
pgdrv_prepare(struct pgdrv *d, const char *sql)
{
	struct pgdrv_stmt	*s;
	char			*text;
	int			 n;

	if ((text = pgdrv_translate(sql, &n)) == NULL) {
		log_warnx("prepare failed: %s", sql);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->d = d;
	s->text = text;
	s->nparams = n;
	s->is_select = starts_with_select(text);
	snprintf(s->name, sizeof(s->name), "authd_%u", ++d->next_id);
	if (n > 0) {
		s->vals = xcalloc((size_t)n, sizeof(*s->vals));
		s->lens = xcalloc((size_t)n, sizeof(*s->lens));
		s->fmts = xcalloc((size_t)n, sizeof(*s->fmts));
		s->types = xcalloc((size_t)n, sizeof(*s->types));
	}
	s->row = -1;
	return s;
}

static void
free_blobs(struct pgdrv_stmt *s)
{
	int	i;

	for (i = 0; i < s->nblobs; i++) {
		free(s->blobs[i]);
		s->blobs[i] = NULL;
	}
}

static void
clear_binds(struct pgdrv_stmt *s)
{
	int	i;

	for (i = 0; i < s->nparams; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
		s->lens[i] = 0;
		s->fmts[i] = 0;
	}
}

void
pgdrv_reset(struct pgdrv_stmt *s)
{
	if (s == NULL)
		return;
	free_blobs(s);
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->ran = 0;
	clear_binds(s);
}

void
pgdrv_finalize(struct pgdrv_stmt *s)
{
	char		 q[48];
	PGresult	*res;

	if (s == NULL)
		return;
	pgdrv_reset(s);
	/* Forget it on the server unless the connection is gone or busy. */
	if (s->gen != 0 && s->gen == s->d->gen && s->d->conn != NULL &&
	    PQtransactionStatus(s->d->conn) == PQTRANS_IDLE) {
		snprintf(q, sizeof(q), "DEALLOCATE %s", s->name);
		res = PQexec(s->d->conn, q);
		PQclear(res);
	}
	free(s->blobs);
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s->types);
	free(s->text);
	free(s);
}

/* The slot of parameter i (1-based), cleared; NULL when out of range. */
static int
slot(struct pgdrv_stmt *s, int i)
{
	if (i < 1 || i > s->nparams) {
		log_warnx("database: parameter %d of %d bound: %s", i,
		    s->nparams, s->text);
		return -1;
	}
	i--;
	free(s->vals[i]);
	s->vals[i] = NULL;
	s->lens[i] = 0;
	s->fmts[i] = 0;
	return i;
}

void
pgdrv_bind_int64(struct pgdrv_stmt *s, int i, int64_t v)
{
	if ((i = slot(s, i)) < 0)
		return;
	s->vals[i] = xasprintf("%lld", (long long)v);
	if (!s->typed)
		s->types[i] = INT8_OID;
}

void
pgdrv_bind_text(struct pgdrv_stmt *s, int i, const char *v)
{
	if ((i = slot(s, i)) < 0)
		return;
	if (v != NULL)
		s->vals[i] = pgdrv_utf8(v);
}

void
pgdrv_bind_blob(struct pgdrv_stmt *s, int i, const void *v, size_t n)
{
	if ((i = slot(s, i)) < 0)
		return;
	/* A zero-length blob is an empty bytea, not NULL. */
	s->vals[i] = xmalloc(n > 0 ? n : 1);
	if (n > 0)
		memcpy(s->vals[i], v, n);
	s->lens[i] = (int)n;
	s->fmts[i] = 1;
	if (!s->typed)
		s->types[i] = BYTEA_OID;
}

void
pgdrv_bind_null(struct pgdrv_stmt *s, int i)
{
	(void)slot(s, i);
}

/* Prepares s on the current connection if not yet: 0 or <0. */
static int
prepare_here(struct pgdrv_stmt *s)
{
	PGresult	*res;
	int		 rc = 0;

	if (s->gen == s->d->gen)
		return 0;
	/* The types the first run bound; text and NULL are inferred. */
	s->typed = 1;
	res = PQprepare(s->d->conn, s->name, s->text, s->nparams, s->types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail(s->d, res, s->text);
	else
		s->gen = s->d->gen;
	PQclear(res);
	return rc;
}

/* Runs a command without parameters or result: 0 or <0. */
static int
command(struct pgdrv *d, const char *q)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(d->conn, q);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = fail(d, res, q);
	PQclear(res);
	return rc;
}

/* One execution of the bound statement into s->res: 0 or <0. */
static int
execute(struct pgdrv_stmt *s)
{
	struct pgdrv	*d = s->d;
	ExecStatusType	 st;
	int		 rc, savepoint;

	if ((rc = prepare_here(s)) < 0)
		return rc;
	savepoint = d->in_tx && !s->is_select;
	if (savepoint && (rc = command(d, "SAVEPOINT authd_stmt")) < 0)
		return rc;
	s->state[0] = '\0';
	s->res = PQexecPrepared(d->conn, s->name, s->nparams,
	    (const char *const *)s->vals, s->lens, s->fmts, 0);
	st = PQresultStatus(s->res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (savepoint)
			(void)command(d, "RELEASE SAVEPOINT authd_stmt");
		return 0;
	}
	snprintf(s->state, sizeof(s->state), "%s", sqlstate(s->res));
	rc = fail(d, s->res, s->text);
	PQclear(s->res);
	s->res = NULL;
	if (savepoint && d->conn != NULL)
		(void)command(d, "ROLLBACK TO SAVEPOINT authd_stmt");
	return rc;
}

/*
 * 1 after a serialization failure or a deadlock, worth running again
 * outside a transaction (a lock timeout is not: it has waited already).
 */
static int
retryable(const struct pgdrv_stmt *s)
{
	return strcmp(s->state, "40001") == 0 || strcmp(s->state, "40P01") == 0;
}

static int
run(struct pgdrv_stmt *s)
{
	struct pgdrv		*d = s->d;
	struct timespec		 ts;
	int			 rc, i;

	for (i = 0; ; i++) {
		if ((rc = conn_ready(d)) < 0)
			return rc;
		rc = execute(s);
		if (rc != STORE_EBUSY || d->in_tx || i + 1 >= STMT_RETRIES ||
		    !retryable(s))
			break;
		/* A few milliseconds, more each time: let the other finish. */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(i + 1) * 5000000L;
		nanosleep(&ts, NULL);
	}
	return rc;
}

int
pgdrv_step(struct pgdrv_stmt *s)
{
	const char	*n;
	int		 rc, nf;

	free_blobs(s);
	if (!s->ran) {
		s->ran = 1;
		s->changes = 0;
		if ((rc = run(s)) < 0)
			return rc;
		n = PQcmdTuples(s->res);
		s->changes = n[0] != '\0' ? strtoll(n, NULL, 10) : 0;
		nf = PQnfields(s->res);
		if (nf > s->nblobs) {
			s->blobs = xrealloc(s->blobs, (size_t)nf *
			    sizeof(*s->blobs));
			memset(s->blobs + s->nblobs, 0, (size_t)(nf -
			    s->nblobs) * sizeof(*s->blobs));
			s->nblobs = nf;
		}
	}
	if (s->res == NULL)
		return DRV_DONE;
	if (s->row + 1 < PQntuples(s->res)) {
		s->row++;
		return DRV_ROW;
	}
	s->row = PQntuples(s->res);
	return DRV_DONE;
}

/* 1 when column i of the current row exists. */
static int
have(const struct pgdrv_stmt *s, int i)
{
	return s->res != NULL && s->row >= 0 && s->row < PQntuples(s->res) &&
	    i >= 0 && i < PQnfields(s->res);
}

int
pgdrv_col_null(struct pgdrv_stmt *s, int i)
{
	return !have(s, i) || PQgetisnull(s->res, s->row, i);
}

int64_t
pgdrv_col_int64(struct pgdrv_stmt *s, int i)
{
	const char	*v;

	if (pgdrv_col_null(s, i))
		return 0;
	v = PQgetvalue(s->res, s->row, i);
	/* A boolean reads as SQLite's 1 and 0. */
	if (strcmp(v, "t") == 0)
		return 1;
	if (strcmp(v, "f") == 0)
		return 0;
	return strtoll(v, NULL, 10);
}

const char *
pgdrv_col_text(struct pgdrv_stmt *s, int i)
{
	if (pgdrv_col_null(s, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

const void *
pgdrv_col_blob(struct pgdrv_stmt *s, int i, size_t *len)
{
	const char	*v;
	long		 n;

	*len = 0;
	if (pgdrv_col_null(s, i))
		return NULL;
	v = PQgetvalue(s->res, s->row, i);
	if (PQftype(s->res, i) != BYTEA_OID) {
		/* A text read as bytes, as SQLite gives it. */
		*len = (size_t)PQgetlength(s->res, s->row, i);
		return v;
	}
	if (s->blobs[i] == NULL)
		s->blobs[i] = xmalloc(strlen(v) / 2 + 1);
	if ((n = pgdrv_unhex(v, s->blobs[i])) < 0) {
		log_warnx("database: a bytea not in hex format: %s", s->text);
		return NULL;
	}
	*len = (size_t)n;
	return s->blobs[i];
}

int64_t
pgdrv_changes(const struct pgdrv_stmt *s)
{
	return s->changes;
}

/* ------------------------------------------------------------------ */
/* Transactions and scripts */

int
pgdrv_begin(struct pgdrv *d)
{
	char	q[96];
	int	rc;

	if (d->in_tx) {
		log_warnx("database: BEGIN inside a transaction");
		return STORE_EDB;
	}
	if ((rc = conn_ready(d)) < 0)
		return rc;
	snprintf(q, sizeof(q), "BEGIN; SELECT pg_advisory_xact_lock(%lld)",
	    (long long)LOCK_TX);
	if ((rc = command(d, q)) < 0) {
		if (d->conn != NULL &&
		    PQtransactionStatus(d->conn) != PQTRANS_IDLE)
			(void)command(d, "ROLLBACK");
		return rc;
	}
	d->in_tx = 1;
	return 0;
}

int
pgdrv_commit(struct pgdrv *d)
{
	PGresult	*res;
	int		 rc = 0;

	if (d->tx_lost) {
		d->tx_lost = 0;
		return STORE_EUNAVAIL;
	}
	if (!d->in_tx || d->conn == NULL) {
		log_warnx("database: COMMIT without a transaction");
		return STORE_EDB;
	}
	res = PQexec(d->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail(d, res, "COMMIT");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		/* A failed transaction answers COMMIT with ROLLBACK. */
		log_warnx("database: the transaction failed and was rolled "
		    "back");
		rc = STORE_EDB;
	}
	PQclear(res);
	/* Over either way (lost with the connection, if it went). */
	d->in_tx = 0;
	d->tx_lost = 0;
	if (d->conn != NULL && PQtransactionStatus(d->conn) != PQTRANS_IDLE)
		(void)command(d, "ROLLBACK");
	return rc;
}

void
pgdrv_rollback(struct pgdrv *d)
{
	d->tx_lost = 0;
	if (!d->in_tx)
		return;
	d->in_tx = 0;
	if (d->conn != NULL)
		(void)command(d, "ROLLBACK");
}

int
pgdrv_exec(struct pgdrv *d, const char *script)
{
	int	rc;

	if ((rc = conn_ready(d)) < 0)
		return rc;
	return command(d, script);
}

/* ------------------------------------------------------------------ */
/* Migrations */

/* Reads the highest applied migration into *v: 0 or <0. */
static int
read_version(struct pgdrv *d, int *v)
{
	PGresult	*res;
	int		 rc = 0;

	*v = 0;
	res = PQexec(d->conn, "SELECT to_regclass('schema_migrations') "
	    "IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = fail(d, res, "schema_migrations exists");
		PQclear(res);
		return rc;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	res = PQexec(d->conn, "SELECT coalesce(max(version), 0) FROM "
	    "schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = fail(d, res, "schema_migrations version");
	else
		*v = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

int
pgdrv_schema_version(struct pgdrv *d, int *v)
{
	int	rc;

	*v = 0;
	if ((rc = conn_ready(d)) < 0)
		return rc;
	return read_version(d, v);
}

int
pgdrv_migrations(void)
{
	return NMIGRATIONS;
}

/* Applies the missing migrations, the session lock held: 0 or -1. */
static int
migrate_locked(struct pgdrv *d)
{
	char	q[160];
	int	v, i;

	if (command(d, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)") < 0 ||
	    read_version(d, &v) < 0)
		return -1;
	if (v > NMIGRATIONS) {
		log_warnx("migrate: database version %d is newer than this "
		    "program (%d)", v, NMIGRATIONS);
		return -1;
	}
	for (i = v; i < NMIGRATIONS; i++) {
		if (command(d, "BEGIN") < 0)
			return -1;
		snprintf(q, sizeof(q), "INSERT INTO schema_migrations "
		    "(version, applied_at) VALUES (%d, "
		    "extract(epoch FROM now())::bigint)", i + 1);
		if (command(d, migrations[i]) < 0 || command(d, q) < 0 ||
		    command(d, "COMMIT") < 0) {
			if (d->conn != NULL)
				(void)command(d, "ROLLBACK");
			return -1;
		}
		log_info("migrate: applied migration %d (PostgreSQL)", i + 1);
	}
	return 0;
}

int
pgdrv_migrate(struct pgdrv *d, int wait_ms)
{
	char	q[96];
	int64_t	end = mono_ms() + wait_ms;
	int	rc;
	struct timespec ts = { 0, 100000000L };

	while ((rc = conn_ready(d)) < 0 && mono_ms() < end)
		nanosleep(&ts, NULL);
	if (rc < 0) {
		log_warnx("migrate: database %s cannot be reached", d->where);
		return -1;
	}
	/* Blocks while another node migrates; its work is then seen. */
	snprintf(q, sizeof(q), "SET lock_timeout = 0; "
	    "SELECT pg_advisory_lock(%lld)", (long long)LOCK_MIGRATE);
	if (command(d, q) < 0)
		return -1;
	rc = migrate_locked(d);
	snprintf(q, sizeof(q), "SELECT pg_advisory_unlock(%lld); "
	    "SET lock_timeout = %d", (long long)LOCK_MIGRATE,
	    d->lock_timeout_ms);
	if (d->conn != NULL && command(d, q) < 0)
		rc = -1;
	return rc;
}
