/*
 * Request and response helpers independent of FastCGI.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "validate.h"

/* Error codes of the store, mirrored here to keep lib/ free of store/. */
#define STORE_EBUSY	(-2)
#define STORE_EUNAVAIL	(-9)

static const char *const methods[M__MAX] = {
	"GET",		/* M_GET */
	"POST",		/* M_POST */
	"PUT",		/* M_PUT */
	"PATCH",	/* M_PATCH */
	"DELETE",	/* M_DELETE */
	"OPTIONS",	/* M_OPTIONS */
	"HEAD",		/* M_HEAD */
	"OTHER",	/* M_OTHER */
};

enum method
method_parse(const char *s)
{
	int	i;

	for (i = 0; i < M_OTHER; i++)
		if (strcmp(s, methods[i]) == 0)
			return (enum method)i;
	return M_OTHER;
}

const char *
method_name(enum method m)
{
	return m < M__MAX ? methods[m] : "OTHER";
}

void
req_free(struct req *r)
{
	free(r->method_s);
	free(r->path);
	free(r->query);
	free(r->ctype);
	free_secret(r->authz);
	free(r->ip);
	free(r->ua);
	free(r->reqid);
	free(r->origin);
	free(r->req_role);
	free(r->acr_method);
	free(r->acr_headers);
	free_secret(r->cookie);
	free(r->referer);
	free(r->host);
	free(r->fetch_site);
	free(r->original_url);
	free_secret(r->body);
	free(r->params[0]);
	free(r->params[1]);
	json_object_put(r->json);
	json_object_put(r->token);
	/* r->user is freed by the router, which owns the user type. */
	memset(r, 0, sizeof(*r));
}

void
resp_init(struct resp *o)
{
	memset(o, 0, sizeof(*o));
	o->status = 500;
}

void
resp_free(struct resp *o)
{
	size_t	i;

	json_object_put(o->body);
	free(o->raw);
	for (i = 0; i < o->nhdrs; i++)
		free(o->hdrs[i].value);
	memset(o, 0, sizeof(*o));
}

void
resp_header(struct resp *o, const char *name, const char *value)
{
	if (o->nhdrs == RESP_HDR_MAX) {
		log_warnx("response header %s dropped: too many", name);
		return;
	}
	o->hdrs[o->nhdrs].name = name;
	o->hdrs[o->nhdrs].value = xstrdup(value);
	o->nhdrs++;
}

void
resp_headerf(struct resp *o, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*v;

	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		v = NULL;
	va_end(ap);
	if (v == NULL)
		abort();
	resp_header(o, name, v);
	free(v);
}

int
resp_json(struct resp *o, int status, struct json_object *j)
{
	json_object_put(o->body);
	o->body = j;
	o->status = status;
	return status;
}

int
resp_detail(struct resp *o, int status, const char *msg)
{
	struct json_object	*j = json_object_new_object();

	json_object_object_add(j, "detail", json_object_new_string(msg));
	return resp_json(o, status, j);
}

int
resp_message(struct resp *o, int status, const char *msg)
{
	struct json_object	*j = json_object_new_object();

	json_object_object_add(j, "message", json_object_new_string(msg));
	return resp_json(o, status, j);
}

int
resp_unauthorized(struct resp *o, const char *msg)
{
	resp_header(o, "WWW-Authenticate", "Bearer");
	return resp_detail(o, 401, msg);
}

int
resp_store_error(struct resp *o, int rc)
{
	struct json_object	*j = json_object_new_object();

	if (rc == STORE_EBUSY) {
		metrics_count(MET_DB_BUSY);
		json_object_object_add(j, "detail", json_object_new_string(
		    "Database error: Resource is locked. Service temporarily "
		    "unavailable."));
		json_object_object_add(j, "error_code",
		    json_object_new_string("DB_LOCKED"));
		resp_header(o, "Retry-After", "1");
		return resp_json(o, 503, j);
	}
	if (rc == STORE_EUNAVAIL) {
		/* A database server down or restarting (PostgreSQL). */
		json_object_object_add(j, "detail", json_object_new_string(
		    "Database error: Service unavailable. Please try again "
		    "later."));
		json_object_object_add(j, "error_code",
		    json_object_new_string("DB_UNAVAILABLE"));
		resp_header(o, "Retry-After", "1");
		return resp_json(o, 503, j);
	}
	json_object_object_add(j, "detail", json_object_new_string(
	    "Database error: Internal operation failed."));
	json_object_object_add(j, "error_code",
	    json_object_new_string("DB_ERROR"));
	return resp_json(o, 500, j);
}

int
resp_store_unwritable(struct resp *o, int rc)
{
	struct json_object	*j;

	if (rc == STORE_EBUSY || rc == STORE_EUNAVAIL)
		return resp_store_error(o, rc);
	j = json_object_new_object();
	json_object_object_add(j, "detail", json_object_new_string(
	    "Database error: Cannot record the attempt. Service temporarily "
	    "unavailable."));
	json_object_object_add(j, "error_code",
	    json_object_new_string("DB_UNWRITABLE"));
	resp_header(o, "Retry-After", "10");
	return resp_json(o, 503, j);
}

int
resp_too_many(struct resp *o, long retry_after)
{
	resp_headerf(o, "Retry-After", "%ld", retry_after < 1 ? 1 :
	    retry_after);
	return resp_detail(o, 429, "Too many requests. Try again later.");
}

int
resp_empty(struct resp *o, int status)
{
	json_object_put(o->body);
	o->body = NULL;
	o->status = status;
	return status;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decodes %-escapes and '+' of n bytes into an allocated string.
 * Returns NULL on a bad escape, a NUL byte or bytes that are not UTF-8.
 */
static char *
url_decode(const char *s, size_t n)
{
	char	*o, *p;
	size_t	 i;
	int	 h, l;

	p = o = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			*p++ = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= n) {
				free(o);
				return NULL;
			}
			if ((h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0 ||
			    (h == 0 && l == 0)) {
				free(o);
				return NULL;
			}
			*p++ = (char)(h << 4 | l);
			i += 2;
		} else if (s[i] == '\0') {
			free(o);
			return NULL;
		} else
			*p++ = s[i];
	}
	*p = '\0';
	/* Decoded values end up in JSON answers: UTF-8 only. */
	if (utf8_len(o, (size_t)(p - o)) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

int
query_param(const char *q, const char *name, char **out)
{
	const char	*p, *e, *eq;
	size_t		 nlen = strlen(name);

	*out = NULL;
	for (p = q; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    strncmp(p, name, nlen) == 0) {
			*out = url_decode(eq + 1, (size_t)(e - eq - 1));
			return *out == NULL ? -1 : 1;
		}
		if (eq == NULL && (size_t)(e - p) == nlen &&
		    strncmp(p, name, nlen) == 0) {
			*out = xstrdup("");
			return 1;
		}
	}
	return 0;
}

char *
query_get(const char *q, const char *name)
{
	char	*v;

	(void)query_param(q, name, &v);
	return v;
}

struct json_object *
form_decode(const char *s, size_t n)
{
	struct json_object	*o = json_object_new_object();
	const char		*p = s, *end = s + n, *e, *eq;
	char			*k, *v;

	while (p < end) {
		e = memchr(p, '&', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (e == p) {
			p = e + 1;
			continue;
		}
		eq = memchr(p, '=', (size_t)(e - p));
		k = url_decode(p, (size_t)((eq ? eq : e) - p));
		v = eq ? url_decode(eq + 1, (size_t)(e - eq - 1)) : xstrdup("");
		if (k == NULL || v == NULL) {
			free(k);
			free_secret(v);
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, k, json_object_new_string(v));
		free(k);
		free_secret(v);
		p = e + 1;
	}
	return o;
}

char *
bearer_parse(const char *h)
{
	const char	*p, *e;
	int		 changed;

	if (h == NULL)
		return NULL;
	p = h;
	e = h + strlen(h);
	do {
		changed = 0;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++, changed = 1;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--, changed = 1;
		if (e - p >= 2 && ((*p == '"' && e[-1] == '"') ||
		    (*p == '\'' && e[-1] == '\''))) {
			p++, e--, changed = 1;
		}
		if (e - p >= 6 && strncasecmp(p, "bearer", 6) == 0) {
			if (e - p >= 9 && strncmp(p + 6, "%20", 3) == 0) {
				p += 9;
				changed = 1;
			} else if (e - p > 6 && (p[6] == ' ' || p[6] == '\t' ||
			    p[6] == '"' || p[6] == '\'')) {
				p += 6;
				changed = 1;
			}
		}
	} while (changed && p < e);
	if (p >= e || e - p > 8192 || (e - p == 6 &&
	    strncasecmp(p, "bearer", 6) == 0))
		return NULL;
	for (const char *c = p; c < e; c++)
		if (*c <= ' ' || *c == '"' || *c == '\'' || *c == 0x7f)
			return NULL;
	return xstrndup(p, (size_t)(e - p));
}
