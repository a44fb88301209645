/*
 * The FastCGI adapter: a struct req made from the FastCGI environment
 * and body, and a struct resp written back as a CGI response.  Nothing
 * here knows about routes or handlers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "http.h"
#include "server.h"
#include "util.h"

/*
 * The FastCGI parameters a request uses, found in one pass over the
 * environment (FCGX_GetParam() would scan it once per name), each with
 * the most bytes a request may bring in it.
 */
enum {
	E_METHOD,
	E_PATH,
	E_DOCURI,
	E_QUERY,
	E_CTYPE,
	E_CLEN,
	E_AUTHZ,
	E_REALIP,
	E_REMOTE,
	E_UA,
	E_REQID,
	E_ORIGIN,
	E_ROLE,
	E_ACRM,
	E_ACRH,
	E_START,
	E__MAX
};

static const struct envname {
	const char	*name;
	size_t		 len;
	size_t		 max;
} envnames[E__MAX] = {
#define E(n, max) { n, sizeof(n) - 1, max }
	E("REQUEST_METHOD", 16),				/* E_METHOD */
	E("PATH_INFO", 2048),					/* E_PATH */
	E("DOCUMENT_URI", 2048),				/* E_DOCURI */
	E("QUERY_STRING", 4096),				/* E_QUERY */
	E("CONTENT_TYPE", 256),					/* E_CTYPE */
	E("CONTENT_LENGTH", 32),				/* E_CLEN */
	E("HTTP_AUTHORIZATION", 16384),				/* E_AUTHZ */
	E("HTTP_X_REAL_IP", 64),				/* E_REALIP */
	E("REMOTE_ADDR", 64),					/* E_REMOTE */
	E("HTTP_USER_AGENT", 512),				/* E_UA */
	E("HTTP_X_REQUEST_ID", 64),				/* E_REQID */
	E("HTTP_ORIGIN", 256),					/* E_ORIGIN */
	E("HTTP_X_REQUIRE_ROLE", 32),				/* E_ROLE */
	E("HTTP_ACCESS_CONTROL_REQUEST_METHOD", 32),		/* E_ACRM */
	E("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", 512),		/* E_ACRH */
	E("AUTHD_REQUEST_START", 32),				/* E_START */
#undef E
};

/* Fills v (borrowed from envp) with the first value of each name. */
static void
env_scan(char **envp, const char *v[E__MAX])
{
	const char	*eq;
	size_t		 n, i;

	memset(v, 0, E__MAX * sizeof(*v));
	for (; envp != NULL && *envp != NULL; envp++) {
		if ((eq = strchr(*envp, '=')) == NULL)
			continue;
		n = (size_t)(eq - *envp);
		for (i = 0; i < E__MAX; i++)
			if (envnames[i].len == n && v[i] == NULL &&
			    memcmp(envnames[i].name, *envp, n) == 0) {
				v[i] = eq + 1;
				break;
			}
	}
}

/* A copy of parameter i, cut at its maximum length, or NULL when absent or empty. */
static char *
param(const char *v[E__MAX], size_t i)
{
	if (v[i] == NULL || *v[i] == '\0')
		return NULL;
	return xstrndup(v[i], strnlen(v[i], envnames[i].max));
}

/* A request id from nginx when it is short and printable, else our own. */
static char *
request_id(const char *v)
{
	const char	*p;
	char		 id[37];

	if (v != NULL && *v != '\0' && strlen(v) <= 64) {
		for (p = v; *p != '\0'; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' &&
			    *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    *p == '-' || *p == '_'))
				break;
		if (*p == '\0')
			return xstrdup(v);
	}
	uuid_v4(id);
	return xstrdup(id);
}

/*
 * nginx's $msec: seconds since the epoch with a three-digit fraction
 * ("1764087000.123").  Milliseconds, or 0 for anything else.
 */
static int64_t
start_ms(const char *v)
{
	int64_t	ms = 0;
	int	digits = 0, frac = -1;

	if (v == NULL)
		return 0;
	for (; *v != '\0'; v++) {
		if (*v == '.' && frac == -1 && digits > 0) {
			frac = 0;
			continue;
		}
		if (*v < '0' || *v > '9' || ++digits > 16 || frac == 3)
			return 0;
		ms = ms * 10 + (*v - '0');
		if (frac >= 0)
			frac++;
	}
	if (digits == 0)
		return 0;
	for (frac = frac < 0 ? 0 : frac; frac < 3; frac++)
		ms *= 10;
	return ms;
}

/* fcgi_req_env() with the scanned values left in v. */
static int64_t
req_env(char **envp, struct req *r, struct store *db, const char *v[E__MAX])
{
	memset(r, 0, sizeof(*r));
	r->start_ms = mono_ms();
	r->db = db;
	env_scan(envp, v);
	r->method_s = param(v, E_METHOD);
	r->method = method_parse(r->method_s ? r->method_s : "");
	if ((r->path = param(v, E_PATH)) == NULL)
		r->path = param(v, E_DOCURI);
	if ((r->query = param(v, E_QUERY)) == NULL)
		r->query = xstrdup("");
	if ((r->ctype = param(v, E_CTYPE)) == NULL)
		r->ctype = xstrdup("");
	r->authz = param(v, E_AUTHZ);
	if ((r->ip = param(v, E_REALIP)) == NULL &&
	    (r->ip = param(v, E_REMOTE)) == NULL)
		r->ip = xstrdup("unknown");
	r->ua = param(v, E_UA);
	r->reqid = request_id(v[E_REQID]);
	r->origin = param(v, E_ORIGIN);
	r->req_role = param(v, E_ROLE);
	r->acr_method = param(v, E_ACRM);
	r->acr_headers = param(v, E_ACRH);
	/* What browser sign-in reads: cookie, referer, host, ... */
	req_browser_env(r, envp);
	return start_ms(v[E_START]);
}

int64_t
fcgi_req_env(char **envp, struct req *r, struct store *db)
{
	const char	*v[E__MAX];

	return req_env(envp, r, db, v);
}

/*
 * Reads the body: CONTENT_LENGTH bytes when that is at most BODY_MAX (the
 * buffer fits the body), else up to BODY_MAX.  Without a CONTENT_LENGTH
 * (a GET: nginx sends it empty) the buffer starts small and grows as
 * bytes come, so a request without a body allocates next to nothing
 * (a 64 KiB buffer per GET cost the fast path a heap consolidation
 * each time).  Anything beyond BODY_MAX is drained and flags the body
 * as too large.
 */
static void
read_body(FCGX_Request *rq, struct req *r, const char *cl)
{
	char		 scratch[4096];
	char		*end;
	long		 want = -1;
	size_t		 cap, room;
	int		 n;

	if (cl != NULL && *cl != '\0') {
		want = strtol(cl, &end, 10);
		if (*end != '\0' || want < 0)
			want = -1;
	}
	if (want > BODY_MAX)
		r->body_too_large = 1;
	cap = want >= 0 && want <= BODY_MAX ? (size_t)want : BODY_MAX;
	room = want >= 0 ? cap : 256;
	r->body = xmalloc(room + 1);
	for (;;) {
		if (r->bodylen == room && room < cap) {
			room = room * 4 < cap ? room * 4 : cap;
			r->body = xrealloc(r->body, room + 1);
		}
		if (r->bodylen >= room || (n = FCGX_GetStr(r->body +
		    r->bodylen, (int)(room - r->bodylen), rq->in)) <= 0)
			break;
		r->bodylen += (size_t)n;
	}
	r->body[r->bodylen] = '\0';
	while ((n = FCGX_GetStr(scratch, sizeof(scratch), rq->in)) > 0)
		r->body_too_large = 1;
}

int64_t
fcgi_req_build(FCGX_Request *rq, struct req *r, struct store *db)
{
	const char	*v[E__MAX];
	int64_t		 start;

	start = req_env(rq->envp, r, db, v);
	read_body(rq, r, v[E_CLEN]);
	return start;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* Writes a header value with any CR, LF or NUL dropped. */
static void
put_header(FCGX_Stream *o, const char *name, const char *v)
{
	size_t	n;

	FCGX_PutS(name, o);
	FCGX_PutStr(": ", 2, o);
	while (*v != '\0') {
		if ((n = strcspn(v, "\r\n")) > 0) {
			FCGX_PutStr(v, (int)n, o);
			v += n;
		} else
			v++;
	}
	FCGX_PutStr("\r\n", 2, o);
}

void
fcgi_resp_write(FCGX_Request *rq, const struct req *r, struct resp *out)
{
	const char	*body = NULL;
	char		 line[64];
	size_t		 len = 0, i;

	if (out->body == NULL && out->raw == NULL && out->status != 204) {
		out->status = 500;
		resp_detail(out, 500, "Internal Server Error");
	}
	if (out->body != NULL) {
		body = json_object_to_json_string_length(out->body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
	} else if (out->raw != NULL) {
		body = out->raw;
		len = out->rawlen;
	}
	/* libfcgi's own printf knows no %zu: format here. */
	snprintf(line, sizeof(line), "%d %s", out->status, reason(out->status));
	put_header(rq->out, "Status", line);
	if (body != NULL) {
		put_header(rq->out, "Content-Type", out->ctype ? out->ctype :
		    "application/json");
		snprintf(line, sizeof(line), "%zu", len);
		put_header(rq->out, "Content-Length", line);
	}
	put_header(rq->out, "X-Request-Id", r->reqid);
	if (out->nostore) {
		put_header(rq->out, "Cache-Control", "no-store");
		put_header(rq->out, "Pragma", "no-cache");
	}
	for (i = 0; i < out->nhdrs; i++)
		put_header(rq->out, out->hdrs[i].name, out->hdrs[i].value);
	FCGX_PutStr("\r\n", 2, rq->out);
	if (body != NULL && len > 0)
		FCGX_PutStr(body, (int)len, rq->out);
}
