/*
 * The router and everything behind it: router_dispatch() on a request
 * made from the input, against a real database (built by store_migrate
 * in a temporary directory, on tmpfs when there is one) holding two
 * fixed accounts, an ADMIN and a REGULAR user.  The directory is made
 * under FUZZ_TMPDIR when set (tests/fuzz/run sets it and removes it, so
 * a crash, which skips the clean-up at exit, leaves nothing behind).
 *
 * Input: byte 0 picks the method (low 3 bits) and the Authorization
 * (bits 4-5: none, the admin's valid token, the user's valid token, or
 * a line of the input); then "path\nquery\ncontent-type\n[authorization\n]body".
 * The request is made by the worker's own FastCGI adapter
 * (fcgi_req_env(), server/fcgi.c) from the environment nginx would send.
 * The database is put back to the same two accounts before every run,
 * so an input means the same thing each time it is replayed.
 *
 * Invariants: no 5xx, and every answer with a JSON body serialises to
 * strict UTF-8 JSON, with a "detail" whenever the status is 4xx.  Not
 * even a 503: the database is busy only when another connection holds
 * it, and the harness's own connection writes only between requests;
 * the disk, the spool and the captcha service (unset) do not fail here.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <ftw.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "config.h"
#include "handlers.h"
#include "http.h"
#include "jwt.h"
#include "keyring.h"
#include "mail.h"
#include "pwhash.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "fuzz.h"

#define ADMIN_ID	"00000000-0000-4000-8000-000000000001"
#define USER_ID		"00000000-0000-4000-8000-000000000002"

static struct store	*st;
static sqlite3		*h;		/* the harness's own connection */
static char		*reset_sql;
static char		*tok_admin, *tok_user;
static char		 dir[4096];
/* The configuration every request carries (r.cfg), built here. */
static struct config	 conf;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_router: %s\n", what);
	exit(1);
}

static char *
token(const char *id, const char *role, const char *name)
{
	struct jwt_claims	c;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", id);
	snprintf(c.type, sizeof(c.type), "access");
	snprintf(c.jti, sizeof(c.jti), "fuzz-%s", role);
	snprintf(c.role, sizeof(c.role), "%s", role);
	snprintf(c.username, sizeof(c.username), "%s", name);
	c.iat = now_s();
	c.exp = c.iat + 10L * 365 * 86400;
	c.gen = 0;
	return jwt_sign(&c, conf.secret, conf.secret_len);
}

/* Deletes every table's rows and inserts the two accounts again. */
static char *
make_reset_sql(void)
{
	sqlite3_stmt	*s;
	char		*q, *n, *hash;

	if (sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name NOT LIKE 'sqlite_%'", -1, &s,
	    NULL) != SQLITE_OK)
		die("list tables");
	q = xstrdup("BEGIN IMMEDIATE;");
	while (sqlite3_step(s) == SQLITE_ROW) {
		n = xasprintf("%s DELETE FROM \"%s\";", q,
		    (const char *)sqlite3_column_text(s, 0));
		free(q);
		q = n;
	}
	sqlite3_finalize(s);
	if ((hash = pwhash_hash(&conf.pw, "Secret123", 9)) == NULL)
		die("hash");
	n = xasprintf("%s INSERT INTO users (id, email, username, phone, "
	    "password_hash, account_role, email_verified, created_at, "
	    "updated_at) VALUES ('" ADMIN_ID "', 'admin@example.com', "
	    "'boss', NULL, '%s', 'ADMIN', 1, 1790000000, 1790000000), "
	    "('" USER_ID "', 'user@example.com', 'john_doe', '+48123456789', "
	    "'%s', 'REGULAR', 0, 1790000000, 1790000000); COMMIT;", q, hash,
	    hash);
	free(q);
	free(hash);
	return n;
}

static void
empty_dir(const char *sub)
{
	struct dirent	*e;
	DIR		*d;
	char		*p, *f;

	p = xasprintf("%s/spool/%s", dir, sub);
	if ((d = opendir(p)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			f = xasprintf("%s/%s", p, e->d_name);
			unlink(f);
			free(f);
		}
		closedir(d);
	}
	free(p);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

/* Removes the temporary directory when the fuzzer exits. */
static void
cleanup(void)
{
	if (h != NULL)
		sqlite3_close(h);
	store_close(st);
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static unsigned char	 secret[] = "fuzzing-secret-0123456789abcdefghijklmn";
	const char		*base;
	char			 err[256];

	(void)argc;
	(void)argv;
	if ((base = getenv("FUZZ_TMPDIR")) == NULL || *base == '\0')
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/authd-fuzz.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	atexit(cleanup);
	conf.state_dir = xstrdup(dir);
	conf.database_path = xasprintf("%s/auth.db", dir);
	conf.spool_dir = xasprintf("%s/spool", dir);
	conf.outbox_dir = xasprintf("%s/outbox", dir);
	conf.secret = secret;
	conf.secret_len = sizeof(secret) - 1;
	conf.algorithm = xstrdup("HS256");
	conf.access_ttl = 1800;
	conf.refresh_ttl = 7 * 86400;
	conf.reset_ttl = 900;
	conf.verify_ttl = 48 * 3600;
	conf.reuse_grace = 10;
	conf.frontend_url = xstrdup("http://localhost:3000");
	conf.app_name = xstrdup("authd");
	conf.login_max_failures = 5;
	conf.login_failure_window = 900;
	conf.login_lockout = 900;
	conf.login_max_fail_ip_min = 30;
	conf.register_max_ip_hour = 10;
	conf.reset_max_account_hour = 3;
	conf.workers = 1;
	conf.busy_timeout_ms = 1000;
	conf.pw.t_cost = 1;
	conf.pw.m_cost = 8;
	conf.pw.parallelism = 1;
	conf.pw.max_m_cost = 64;
	conf.pw.max_t_cost = 2;
	conf.mail_transport = xstrdup("file");
	conf.mail_max_attempts = 8;
	conf.mail_retry_scale = 1.0;
	conf.from_email = xstrdup("noreply@localhost");
	if (keyring_load(&conf, err, sizeof(err)) == -1 ||
	    store_migrate(conf.database_path, &conf) == -1 ||
	    spool_init(conf.spool_dir) == -1 || handlers_init(&conf) == -1 ||
	    store_open(conf.database_path, &conf, &st) == -1)
		die("set-up");
	if (sqlite3_open(conf.database_path, &h) != SQLITE_OK)
		die("harness connection");
	sqlite3_busy_timeout(h, 5000);
	reset_sql = make_reset_sql();
	tok_admin = token(ADMIN_ID, "ADMIN", "boss");
	tok_user = token(USER_ID, "REGULAR", "john_doe");
	return 0;
}

/* Cuts the next line off *p (of *n bytes): an allocated "NAME=line". */
static char *
line(const char *name, const uint8_t **p, size_t *n)
{
	const uint8_t	*nl = memchr(*p, '\n', *n);
	size_t		 len = nl != NULL ? (size_t)(nl - *p) : *n;
	char		*v, *s;

	v = fz_cstr(*p, len);
	s = xasprintf("%s=%s", name, v);
	free(v);
	*p += len + (nl != NULL);
	*n -= len + (nl != NULL);
	return s;
}

static void
check(const struct req *r, const struct resp *out)
{
	struct json_object	*j;
	const char		*s;
	size_t			 len;

	if (out->status < 200 || out->status > 599)
		fz_fail("status %d", out->status);
	if (out->status >= 500)
		fz_fail("%s %s answered %d", method_name(r->method), r->path,
		    out->status);
	if (out->body == NULL) {
		/* The pages of SPEC §9 answer HTML (errors included). */
		if (out->raw != NULL && out->ctype != NULL &&
		    strncmp(out->ctype, "text/", 5) == 0)
			return;
		if (out->status >= 400)
			fz_fail("error %d without a body", out->status);
		return;
	}
	s = json_object_to_json_string_length(out->body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if ((j = fz_strict_json(s, len)) == NULL)
		fz_fail("answer is not strict UTF-8 JSON: %.200s", s);
	if (out->status >= 400 && !json_object_object_get_ex(j, "detail",
	    NULL))
		fz_fail("error %d without detail", out->status);
	json_object_put(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req	 r;
	struct resp	 out;
	char		*err = NULL, *env[10];
	int		 sel, i, n = 0;

	if (size < 1 || size > BODY_MAX)
		return 0;
	if (sqlite3_exec(h, reset_sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "reset: %s\n", err ? err : "?");
		abort();
	}
	sel = *data++;
	size--;
	env[n++] = xasprintf("REQUEST_METHOD=%s",
	    method_name((enum method)((sel & 7) % M__MAX)));
	env[n++] = line("PATH_INFO", &data, &size);
	env[n++] = line("QUERY_STRING", &data, &size);
	env[n++] = line("CONTENT_TYPE", &data, &size);
	switch ((sel >> 4) & 3) {
	case 1:
		env[n++] = xasprintf("HTTP_AUTHORIZATION=Bearer %s", tok_admin);
		break;
	case 2:
		env[n++] = xasprintf("HTTP_AUTHORIZATION=Bearer %s", tok_user);
		break;
	case 3:
		env[n++] = line("HTTP_AUTHORIZATION", &data, &size);
		break;
	}
	env[n++] = xstrdup("REMOTE_ADDR=127.0.0.1");
	env[n++] = xstrdup("HTTP_USER_AGENT=fuzz");
	env[n++] = xstrdup("HTTP_X_REQUEST_ID=fuzz");
	env[n] = NULL;
	(void)fcgi_req_env(env, &r, st);
	r.cfg = &conf;
	for (i = 0; i < n; i++)
		free(env[i]);
	r.body = fz_cstr(data, size);
	r.bodylen = size;
	resp_init(&out);
	router_dispatch(&r, &out);
	check(&r, &out);
	resp_free(&out);
	req_free(&r);
	empty_dir("new");
	empty_dir("tmp");
	return 0;
}
