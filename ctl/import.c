/*
 * authctl import (SPEC §10): the users of the services authd replaces.
 *
 *   authctl import fastapi PATH [--dry-run] [--verified] [--json]
 *   authctl import flask-json PATH [--email-domain D] [--dry-run]
 *       [--verified] [--json]
 *
 * Every row of the source is checked first (id, username and email
 * rules of SPEC §3, role, password hash), then the rows that pass are
 * written in one transaction: a row whose id exists is skipped, a row
 * whose email or username another account holds (one already there, or
 * an earlier row of the same file) is conflicting, the others are
 * created with their id, role, times and password hash kept.  --dry-run
 * does all of it and rolls back.  The report lists every row with its
 * result and reason; the exit code is 0 once the report is printed,
 * conflicts included, and 1 (nothing written) when the file cannot be
 * read as the format named or the database fails.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "config.h"
#include "ctl.h"
#include "log.h"
#include "pwhash.h"
#include "store.h"
#include "util.h"
#include "validate.h"

/* The domain of the addresses made for accounts without an email. */
#define IMPORT_EMAIL_DOMAIN	"users.invalid"
/* The largest users.json read. */
#define IMPORT_JSON_MAX		(64L * 1024 * 1024)
/* Longest text shown in a table cell. */
#define CELL_MAX		48

enum result { R_CREATED, R_SKIPPED, R_CONFLICT, R__MAX };

static const char *const results[R__MAX] = {
	"created",	/* R_CREATED */
	"skipped",	/* R_SKIPPED */
	"conflicting",	/* R_CONFLICT */
};

/* One row of the source and what became of it. */
struct row {
	size_t		 n;		/* 1-based position in the source */
	char		*src_id;	/* the id as the source has it, or NULL */
	char		 id[37];	/* ours */
	char		*email;		/* normalised */
	char		*username;
	char		*hash;
	struct import_user u;		/* the rest; pointers set at writing */
	int		 ready;		/* passed the checks: to be written */
	enum result	 result;
	char		*reason;	/* why not created */
};

struct import {
	const char	*format;	/* "fastapi" or "flask-json" */
	const char	*path;
	const char	*domain;	/* --email-domain */
	const struct config *cfg;	/* authctl's (c->cfg) */
	int		 dry_run;
	int		 verified;	/* --verified */
	struct row	*rows;
	size_t		 n, cap;
};

static int
usage(FILE *f)
{
	fprintf(f, "usage: authctl import fastapi PATH [--dry-run] "
	    "[--verified] [--json]\n"
	    "       authctl import flask-json PATH [--email-domain D] "
	    "[--dry-run] [--verified] [--json]\n\n"
	    "Imports the users of the FastAPI service's SQLite database or "
	    "of the Flask\nservice's users.json, keeping ids, roles and "
	    "password hashes (rehashed to\nargon2id at each user's first "
	    "login).  One transaction; rows whose id exists\nare skipped, "
	    "so it can be repeated.\n\n"
	    "  --dry-run          check and report, write nothing\n"
	    "  --verified         mark the imported emails verified (not "
	    "the made-up ones)\n"
	    "  --email-domain D   flask-json: accounts without an email get "
	    "NAME@D,\n"
	    "                     unverified (default %s)\n"
	    "  --json             the report as JSON\n", IMPORT_EMAIL_DOMAIN);
	return f == stdout ? CTL_OK : CTL_USAGE;
}

static struct row *
row_add(struct import *im)
{
	struct row	*r;

	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		im->rows = xrealloc(im->rows, im->cap * sizeof(*im->rows));
	}
	r = &im->rows[im->n++];
	memset(r, 0, sizeof(*r));
	r->n = im->n;
	r->u.is_active = 1;
	return r;
}

static void
rows_free(struct import *im)
{
	size_t	i;

	for (i = 0; i < im->n; i++) {
		free(im->rows[i].src_id);
		free(im->rows[i].email);
		free(im->rows[i].username);
		free_secret(im->rows[i].hash);
		free(im->rows[i].reason);
	}
	free(im->rows);
}

/* Marks a row refused with a reason; returns -1 for the callers' ease. */
static int
refuse(struct row *r, enum result res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(struct row *r, enum result res, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(r->reason);
	r->reason = xstrdup(buf);
	r->result = res;
	r->ready = 0;
	return -1;
}

/* Untrusted text made printable and short, for reasons and tables. */
static void
shown(const char *s, char *buf, size_t n)
{
	log_escape(s != NULL ? s : "", buf, n);
}

/*
 * Our id for a source id: a UUID (any case, with or without dashes) is
 * kept, lower-cased with dashes; anything else (the Flask service's
 * integers) gets a UUID made from the SHA-256 of the format and the id,
 * shaped as a v4 UUID, so that the same row gets the same id at every
 * import.
 */
static void
make_id(const char *format, const char *src, char out[37])
{
	unsigned char	 h[32];
	char		 hex[65], *in;
	size_t		 i, j, len = strlen(src);

	if (len == 36 || len == 32) {
		for (i = 0, j = 0; i < len && j < 32; i++) {
			if (len == 36 && (i == 8 || i == 13 || i == 18 ||
			    i == 23)) {
				if (src[i] != '-')
					break;
				continue;
			}
			if (!isxdigit((unsigned char)src[i]))
				break;
			hex[j++] = (char)tolower((unsigned char)src[i]);
		}
		if (i == len && j == 32)
			goto format;
	}
	in = xasprintf("authd-import:%s:%s", format, src);
	sha256(in, strlen(in), h);
	free(in);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x40);
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	hex_encode(h, 16, hex);
format:
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
}

/*
 * The checks every row goes through: id, username (SPEC §3), email
 * (SPEC §3, lower-cased), password hash (a scheme authd verifies,
 * within the ceilings).  0, or -1 with the row refused.
 */
static int
check_common(struct import *im, struct row *r, const char *email)
{
	const char	*m;
	char		 buf[CELL_MAX + 1];

	if (r->src_id == NULL || r->src_id[0] == '\0')
		return refuse(r, R_CONFLICT, "id is missing");
	make_id(im->format, r->src_id, r->id);
	if (r->username == NULL)
		return refuse(r, R_CONFLICT, "username is missing");
	if ((m = validate_username(r->username, strlen(r->username))) != NULL)
		return refuse(r, R_CONFLICT, "username: %s", m);
	if (email == NULL || email[0] == '\0')
		return refuse(r, R_CONFLICT, "email is missing");
	if ((m = validate_email(email, strlen(email), &r->email)) != NULL) {
		shown(email, buf, sizeof(buf));
		return refuse(r, R_CONFLICT, "email '%s': %s", buf, m);
	}
	if (r->hash == NULL || r->hash[0] == '\0')
		return refuse(r, R_CONFLICT, "password hash is missing");
	if (!pwhash_usable(&im->cfg->pw, r->hash))
		return refuse(r, R_CONFLICT, "password hash: not a scheme "
		    "authd verifies (bcrypt, argon2, werkzeug "
		    "pbkdf2:sha256:ITER or scrypt:N:r:p) or over its ceilings");
	r->ready = 1;
	return 0;
}

/* --- fastapi ----------------------------------------------------------- */

/* SQLite DateTime text ("2026-11-22 10:04:05.123456", UTC) or RFC 3339. */
static int
parse_time(const char *s, int64_t *out)
{
	char	 buf[64];
	size_t	 n = strlen(s);

	if (n == 0 || n >= sizeof(buf) - 1)
		return -1;
	if (rfc3339_parse(s, out) == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%sZ", s);
	return rfc3339_parse(buf, out);
}

static int
fastapi_time(struct row *r, const char *col, const char *v, int64_t dflt,
    int64_t *out)
{
	char	 buf[CELL_MAX + 1];

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (parse_time(v, out) == -1) {
		shown(v, buf, sizeof(buf));
		return refuse(r, R_CONFLICT, "%s '%s' is not a date", col, buf);
	}
	return 0;
}

static void
fastapi_row(struct import *im, struct fastapi_row *f)
{
	struct row	*r = row_add(im);
	char		 buf[CELL_MAX + 1];
	int		 role;

	r->src_id = f->id != NULL ? xstrdup(f->id) : NULL;
	r->username = f->username != NULL ? xstrdup(f->username) : NULL;
	r->hash = f->hashed_password != NULL ?
	    xstrdup(f->hashed_password) : NULL;
	if (f->has_nul) {
		refuse(r, R_CONFLICT, "a column holds a NUL byte");
		return;
	}
	if (check_common(im, r, f->email) == -1)
		return;
	if (f->deleted_at != NULL) {
		refuse(r, R_SKIPPED, "deleted in the FastAPI service");
		return;
	}
	if (f->account_role == NULL)
		r->u.role = ROLE_REGULAR;
	else if ((role = role_parse(f->account_role, 1)) < 0) {
		shown(f->account_role, buf, sizeof(buf));
		refuse(r, R_CONFLICT, "unknown account_role '%s'", buf);
		return;
	} else
		r->u.role = (enum role)role;
	if (f->account_subscription == NULL ||
	    strcasecmp(f->account_subscription, "FREE") == 0)
		r->u.pro = 0;
	else if (strcasecmp(f->account_subscription, "PRO") == 0)
		r->u.pro = 1;
	else {
		shown(f->account_subscription, buf, sizeof(buf));
		refuse(r, R_CONFLICT, "unknown account_subscription '%s'",
		    buf);
		return;
	}
	if (f->is_active == NULL || strcmp(f->is_active, "1") == 0)
		r->u.is_active = 1;
	else if (strcmp(f->is_active, "0") == 0)
		r->u.is_active = 0;
	else {
		shown(f->is_active, buf, sizeof(buf));
		refuse(r, R_CONFLICT, "is_active '%s' is not 0 or 1", buf);
		return;
	}
	if (fastapi_time(r, "subscription_expires_at",
	    f->subscription_expires_at, 0, &r->u.sub_expires) == -1 ||
	    fastapi_time(r, "created_at", f->created_at, now_s(),
	    &r->u.created_at) == -1 ||
	    fastapi_time(r, "updated_at", f->updated_at, r->u.created_at,
	    &r->u.updated_at) == -1)
		return;
	r->u.email_verified = im->verified;
}

static int
read_fastapi(struct import *im)
{
	struct fastapi_row	*rows;
	char			 err[1024];
	size_t			 n, i;

	if (store_fastapi_read(im->cfg, im->path, &rows, &n, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "authctl: import: %s\n", err);
		return -1;
	}
	for (i = 0; i < n; i++)
		fastapi_row(im, &rows[i]);
	fastapi_rows_free(rows, n);
	return 0;
}

/* --- flask-json -------------------------------------------------------- */

/*
 * A string member of o: 1 with its value (may be NULL when absent or
 * null and optional), -1 with the row refused.
 */
static int
member_str(struct row *r, struct json_object *o, const char *key,
    int required, const char **out)
{
	struct json_object	*v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (required)
			return refuse(r, R_CONFLICT, "%s is missing", key);
		return 1;
	}
	if (!json_object_is_type(v, json_type_string))
		return refuse(r, R_CONFLICT, "%s is not a string", key);
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return refuse(r, R_CONFLICT, "%s holds a NUL byte", key);
	return 1;
}

/* Root and Admin are ADMIN, User is REGULAR (any case). */
static int
flask_level(struct row *r, const char *level)
{
	char	 buf[CELL_MAX + 1];

	if (strcasecmp(level, "Root") == 0 || strcasecmp(level, "Admin") == 0)
		r->u.role = ROLE_ADMIN;
	else if (strcasecmp(level, "User") == 0)
		r->u.role = ROLE_REGULAR;
	else {
		shown(level, buf, sizeof(buf));
		return refuse(r, R_CONFLICT, "unknown level '%s' (Root, Admin "
		    "or User)", buf);
	}
	return 0;
}

static void
flask_row(struct import *im, struct json_object *o)
{
	struct row		*r = row_add(im);
	struct json_object	*id;
	const char		*name, *hash, *level, *email;
	char			*made = NULL;
	int			 real_email;

	if (!json_object_object_get_ex(o, "id", &id) || id == NULL) {
		refuse(r, R_CONFLICT, "id is missing");
		return;
	}
	if (json_object_is_type(id, json_type_int))
		r->src_id = xasprintf("%lld",
		    (long long)json_object_get_int64(id));
	else if (json_object_is_type(id, json_type_string) &&
	    strlen(json_object_get_string(id)) ==
	    (size_t)json_object_get_string_len(id))
		r->src_id = xstrdup(json_object_get_string(id));
	else {
		refuse(r, R_CONFLICT, "id is not a string or an integer");
		return;
	}
	if (member_str(r, o, "name", 1, &name) == -1)
		return;
	r->username = xstrdup(name);
	if (member_str(r, o, "password_hash", 1, &hash) == -1 ||
	    member_str(r, o, "level", 1, &level) == -1 ||
	    member_str(r, o, "email", 0, &email) == -1)
		return;
	r->hash = xstrdup(hash);
	real_email = email != NULL && email[0] != '\0';
	if (!real_email && validate_username(name, strlen(name)) == NULL)
		email = made = xasprintf("%s@%s", name, im->domain);
	if (check_common(im, r, email) == 0 && flask_level(r, level) == 0) {
		r->u.email_verified = real_email && im->verified;
		r->u.created_at = r->u.updated_at = now_s();
	}
	free(made);
}

/* Reads a whole regular file of at most max bytes; NULL after a message. */
static char *
slurp(const char *path, long max, size_t *len)
{
	struct stat	 sb;
	char		*buf = NULL;
	ssize_t		 got;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "authctl: import: cannot open %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > max) {
		fprintf(stderr, "authctl: import: %s is not a regular file of "
		    "at most %ld bytes\n", path, max);
		goto fail;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		got = read(fd, buf + off, (size_t)sb.st_size - off);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			fprintf(stderr, "authctl: import: reading %s: %s\n",
			    path, got == 0 ? "short read" : strerror(errno));
			goto fail;
		}
		off += (size_t)got;
	}
	buf[off] = '\0';
	*len = off;
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

static int
read_flask(struct import *im)
{
	struct json_tokener	*tk = NULL;
	struct json_object	*doc = NULL, *o;
	enum json_tokener_error	 jerr;
	char			*buf;
	size_t			 len = 0, i, n;
	int			 rc = -1;

	if ((buf = slurp(im->path, IMPORT_JSON_MAX, &len)) == NULL)
		return -1;
	if ((tk = json_tokener_new()) == NULL)
		goto done;
	json_tokener_set_flags(tk, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tk, buf, (int)len);
	jerr = json_tokener_get_error(tk);
	if (doc == NULL || jerr != json_tokener_success ||
	    json_tokener_get_parse_end(tk) != len) {
		fprintf(stderr, "authctl: import: %s is not JSON: %s at byte "
		    "%zu\n", im->path, doc == NULL ? json_tokener_error_desc(
		    jerr == json_tokener_continue ? json_tokener_error_parse_eof :
		    jerr) : "trailing data", json_tokener_get_parse_end(tk));
		goto done;
	}
	if (!json_object_is_type(doc, json_type_array)) {
		fprintf(stderr, "authctl: import: %s is not a users.json of the "
		    "Flask service: expected a list of user objects, found %s\n",
		    im->path, json_type_to_name(json_object_get_type(doc)));
		goto done;
	}
	n = json_object_array_length(doc);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(doc, i);
		if (!json_object_is_type(o, json_type_object)) {
			fprintf(stderr, "authctl: import: %s is not a users.json "
			    "of the Flask service: element %zu of the list is "
			    "%s, not an object\n", im->path, i + 1,
			    json_type_to_name(json_object_get_type(o)));
			goto done;
		}
	}
	for (i = 0; i < n; i++)
		flask_row(im, json_object_array_get_idx(doc, i));
	rc = 0;
done:
	json_object_put(doc);
	if (tk != NULL)
		json_tokener_free(tk);
	/* The file holds password hashes. */
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* --- writing ----------------------------------------------------------- */

/* The row before upto of this import that created id, or NULL. */
static const struct row *
created_here(const struct import *im, size_t upto, const char *id)
{
	size_t	i;

	for (i = 0; i < upto; i++)
		if (im->rows[i].result == R_CREATED && !im->rows[i].ready &&
		    strcmp(im->rows[i].id, id) == 0)
			return &im->rows[i];
	return NULL;
}

static int
by_id(const void *a, const void *b)
{
	const struct row	*x = *(const struct row *const *)a;
	const struct row	*y = *(const struct row *const *)b;
	int			 c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

/*
 * A row whose id an earlier row of the file has is conflicting, before
 * anything is written, so that a repeated import reports it the same.
 */
static void
refuse_duplicate_ids(struct import *im)
{
	struct row	**v;
	size_t		  i, first = 0;

	if (im->n < 2)
		return;
	v = xcalloc(im->n, sizeof(*v));
	for (i = 0; i < im->n; i++)
		v[i] = &im->rows[i];
	qsort(v, im->n, sizeof(*v), by_id);
	for (i = 1; i < im->n; i++) {
		if (v[i]->id[0] == '\0' || strcmp(v[i]->id, v[first]->id) != 0) {
			first = i;
			continue;
		}
		if (v[i]->ready || v[i]->result != R_CONFLICT)
			refuse(v[i], R_CONFLICT, "duplicate id in the file "
			    "(row %zu)", v[first]->n);
	}
	free(v);
}

/*
 * Writes the ready rows in one transaction, committed unless dry_run.
 * 0, or -1 after a message (everything rolled back).
 */
static int
write_rows(struct ctl *c, struct import *im)
{
	struct store_import	*tx;
	const struct row	*dup;
	struct row		*r;
	char			 holder[37];
	const char		*what;
	size_t			 i;
	int			 rc;

	refuse_duplicate_ids(im);
	if (ctl_store(c) == NULL)
		return -1;
	if ((rc = store_import_begin(c->db, &tx)) < 0)
		goto fail;
	for (i = 0; i < im->n; i++) {
		r = &im->rows[i];
		if (!r->ready)
			continue;
		/* Set here: the rows array moved while it grew. */
		r->u.id = r->id;
		r->u.email = r->email;
		r->u.username = r->username;
		r->u.password_hash = r->hash;
		rc = store_import_user(tx, &r->u, holder);
		r->ready = 0;
		if (rc == 1) {
			r->result = R_CREATED;
			continue;
		}
		if (rc == 0) {
			if ((dup = created_here(im, i, r->id)) != NULL)
				refuse(r, R_CONFLICT, "duplicate id in the "
				    "file (row %zu)", dup->n);
			else
				refuse(r, R_SKIPPED, "id already present");
			continue;
		}
		if (rc != STORE_EEMAIL && rc != STORE_EUSERNAME) {
			(void)store_import_end(tx, 0);
			goto fail;
		}
		what = rc == STORE_EEMAIL ? "email" : "username";
		if ((dup = created_here(im, i, holder)) != NULL)
			refuse(r, R_CONFLICT, "duplicate %s in the file (row "
			    "%zu)", what, dup->n);
		else
			refuse(r, R_CONFLICT, "%s already registered (account "
			    "%s)", what, holder);
	}
	if ((rc = store_import_end(tx, !im->dry_run)) < 0)
		goto fail;
	return 0;
fail:
	if (rc == STORE_EBUSY)
		fprintf(stderr, "authctl: import: the database is busy past the "
		    "busy timeout (SQLITE_BUSY_TIMEOUT_MS); nothing was written\n");
	else
		fprintf(stderr, "authctl: import: the database failed (see "
		    "above); nothing was written\n");
	return -1;
}

/* --- the report -------------------------------------------------------- */

static void
count(const struct import *im, size_t n[R__MAX])
{
	size_t	i;

	memset(n, 0, R__MAX * sizeof(n[0]));
	for (i = 0; i < im->n; i++)
		n[im->rows[i].result]++;
}

static struct json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static void
report_json(const struct import *im)
{
	struct json_object	*doc, *list, *o;
	const struct row	*r;
	size_t			 n[R__MAX], i;

	count(im, n);
	doc = json_object_new_object();
	json_object_object_add(doc, "format", jstr(im->format));
	json_object_object_add(doc, "path", jstr(im->path));
	json_object_object_add(doc, "dry_run",
	    json_object_new_boolean(im->dry_run));
	json_object_object_add(doc, "created", json_object_new_int64(
	    (int64_t)n[R_CREATED]));
	json_object_object_add(doc, "skipped", json_object_new_int64(
	    (int64_t)n[R_SKIPPED]));
	json_object_object_add(doc, "conflicting", json_object_new_int64(
	    (int64_t)n[R_CONFLICT]));
	list = json_object_new_array();
	for (i = 0; i < im->n; i++) {
		r = &im->rows[i];
		o = json_object_new_object();
		json_object_object_add(o, "row",
		    json_object_new_int64((int64_t)r->n));
		json_object_object_add(o, "result", jstr(results[r->result]));
		json_object_object_add(o, "source_id", jstr(r->src_id));
		json_object_object_add(o, "id",
		    jstr(r->id[0] != '\0' ? r->id : NULL));
		json_object_object_add(o, "username", jstr(r->username));
		json_object_object_add(o, "email", jstr(r->email));
		json_object_object_add(o, "role", r->result == R_CREATED ?
		    jstr(role_name(r->u.role)) : NULL);
		json_object_object_add(o, "reason", jstr(r->reason));
		json_object_array_add(list, o);
	}
	json_object_object_add(doc, "rows", list);
	printf("%s\n", json_object_to_json_string_ext(doc,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
}

enum { C_ROW, C_RESULT, C_ID, C_USERNAME, C_EMAIL, C_ROLE, C_REASON, C__MAX };

static const char *const heads[C__MAX] = {
	"ROW",		/* C_ROW */
	"RESULT",	/* C_RESULT */
	"ID",		/* C_ID */
	"USERNAME",	/* C_USERNAME */
	"EMAIL",	/* C_EMAIL */
	"ROLE",		/* C_ROLE */
	"REASON",	/* C_REASON */
};

static void
cells(const struct row *r, char cell[C__MAX][CELL_MAX + 1])
{
	snprintf(cell[C_ROW], CELL_MAX + 1, "%zu", r->n);
	snprintf(cell[C_RESULT], CELL_MAX + 1, "%s", results[r->result]);
	snprintf(cell[C_ID], CELL_MAX + 1, "%s", r->id[0] ? r->id : "-");
	shown(r->username != NULL ? r->username : "-", cell[C_USERNAME],
	    CELL_MAX + 1);
	shown(r->email != NULL ? r->email : "-", cell[C_EMAIL], CELL_MAX + 1);
	snprintf(cell[C_ROLE], CELL_MAX + 1, "%s", r->result == R_CREATED ?
	    role_name(r->u.role) : "-");
	cell[C_REASON][0] = '\0';	/* printed whole, last */
}

static void
report_table(const struct import *im)
{
	char		 cell[C__MAX][CELL_MAX + 1], reason[512];
	size_t		 w[C__MAX], n[R__MAX], i, k;

	for (k = 0; k < C__MAX; k++)
		w[k] = strlen(heads[k]);
	for (i = 0; i < im->n; i++) {
		cells(&im->rows[i], cell);
		for (k = 0; k < C__MAX; k++)
			if (strlen(cell[k]) > w[k])
				w[k] = strlen(cell[k]);
	}
	for (k = 0; k + 1 < C__MAX; k++)
		printf("%-*s  ", (int)w[k], heads[k]);
	printf("%s\n", heads[C__MAX - 1]);
	for (i = 0; i < im->n; i++) {
		cells(&im->rows[i], cell);
		for (k = 0; k + 1 < C__MAX; k++)
			printf("%-*s  ", (int)w[k], cell[k]);
		shown(im->rows[i].reason != NULL ? im->rows[i].reason : "-",
		    reason, sizeof(reason));
		printf("%s\n", reason);
	}
	count(im, n);
	printf("\n%s %s: %zu created, %zu skipped, %zu conflicting%s\n",
	    im->format, im->path, n[R_CREATED], n[R_SKIPPED], n[R_CONFLICT],
	    im->dry_run ? " (dry run: nothing written)" : "");
}

/* --- the command ------------------------------------------------------- */

static int
parse_args(struct ctl *c, struct import *im, int argc, char **argv)
{
	char	*addr, *norm = NULL;
	int	 a, bad;

	for (a = 1; a < argc; a++)
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
			return usage(stdout) == CTL_OK ? 1 : -1;
	if (argc < 3)
		return -1;
	if (strcmp(argv[1], "fastapi") != 0 &&
	    strcmp(argv[1], "flask-json") != 0) {
		fprintf(stderr, "authctl: import: unknown format '%s' "
		    "(fastapi or flask-json)\n", argv[1]);
		return -1;
	}
	im->format = argv[1];
	im->domain = IMPORT_EMAIL_DOMAIN;
	for (a = 2; a < argc; a++) {
		if (strcmp(argv[a], "--dry-run") == 0)
			im->dry_run = 1;
		else if (strcmp(argv[a], "--verified") == 0)
			im->verified = 1;
		else if (strcmp(argv[a], "--json") == 0)
			c->json = 1;
		else if (strcmp(argv[a], "--email-domain") == 0 &&
		    a + 1 < argc && strcmp(im->format, "flask-json") == 0)
			im->domain = argv[++a];
		else if (argv[a][0] == '-' || im->path != NULL) {
			fprintf(stderr, "authctl: import: unexpected '%s'\n",
			    argv[a]);
			return -1;
		} else
			im->path = argv[a];
	}
	if (im->path == NULL)
		return -1;
	addr = xasprintf("user@%s", im->domain);
	bad = validate_email(addr, strlen(addr), &norm) != NULL;
	free(addr);
	free(norm);
	if (bad) {
		fprintf(stderr, "authctl: import: --email-domain '%s' is not "
		    "a valid email domain\n", im->domain);
		return -1;
	}
	return 0;
}

int
ctl_import(struct ctl *c, int argc, char **argv)
{
	struct import	 im;
	size_t		 n[R__MAX];
	int		 rc;

	memset(&im, 0, sizeof(im));
	im.cfg = c->cfg;
	if ((rc = parse_args(c, &im, argc, argv)) != 0)
		return rc > 0 ? CTL_OK : usage(stderr);
	if (strcmp(im.format, "fastapi") == 0)
		rc = read_fastapi(&im);
	else
		rc = read_flask(&im);
	if (rc == 0)
		rc = write_rows(c, &im);
	if (rc == -1) {
		rows_free(&im);
		return CTL_ERR;
	}
	count(&im, n);
	if (im.dry_run)
		log_info("import: %s %s (dry run): %zu created, %zu skipped, "
		    "%zu conflicting", im.format, im.path, n[R_CREATED],
		    n[R_SKIPPED], n[R_CONFLICT]);
	else
		audit_event(AUDIT_IMPORT, "authctl", NULL, "format=%s "
		    "created=%zu skipped=%zu conflicting=%zu", im.format,
		    n[R_CREATED], n[R_SKIPPED], n[R_CONFLICT]);
	if (c->json)
		report_json(&im);
	else
		report_table(&im);
	rows_free(&im);
	return CTL_OK;
}
