/*
 * Browser sign-in (SPEC §9): the session cookie, its check on the
 * auth_check path, CSRF tokens, the Origin check and the rd allow-list.
 *
 * The cookie is a token_new() string (256 random bits, base64url); the
 * database holds only its SHA-256.  A browser session is a row of the
 * sessions table (kind 'browser'), so every route that revokes sessions
 * ends it too.  Its last use is written at most once a minute (sooner
 * only when the idle limit is shorter than two minutes), so a signed-in
 * request costs one indexed read.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "config.h"
#include "handlers.h"
#include "log.h"
#include "util.h"

#define COOKIE_TRIES	4	/* cookies of the same name tried at most */
#define RD_MAX		2048

/* SESSION_COOKIE_NAME (never NULL, even in a configuration built by hand). */
static const char *
cookie_name(const struct req *r)
{
	return r->cfg->cookie_name != NULL ? r->cfg->cookie_name :
	    "authd_session";
}

/*
 * Finds the next value of cookie name in the Cookie header h from *pos.
 * Returns 1 with the value's start and length, 0 when no more.
 */
static int
cookie_next(const char *h, const char *name, size_t *pos, const char **v,
    size_t *vlen)
{
	size_t		 nlen = strlen(name);
	const char	*p, *e, *eq;

	for (p = h + *pos; *p != '\0'; p = *e == '\0' ? e : e + 1) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, ";");
		*pos = (size_t)(e - h) + (*e != '\0');
		if ((eq = memchr(p, '=', (size_t)(e - p))) == NULL)
			continue;
		if ((size_t)(eq - p) != nlen || strncmp(p, name, nlen) != 0)
			continue;
		*v = eq + 1;
		*vlen = (size_t)(e - eq - 1);
		while (*vlen > 0 && ((*v)[*vlen - 1] == ' ' ||
		    (*v)[*vlen - 1] == '\t'))
			(*vlen)--;
		return 1;
	}
	return 0;
}

/* The first token-shaped value of cookie name, allocated, or NULL. */
static char *
cookie_get(const struct req *r, const char *name)
{
	const char	*v;
	size_t		 pos = 0, n;

	if (r->cookie == NULL)
		return NULL;
	while (cookie_next(r->cookie, name, &pos, &v, &n))
		if (token_shaped(v, n))
			return xstrndup(v, n);
	return NULL;
}

static int
secure(const struct req *r)
{
	return r->cfg->cookie_secure == -1 ? r->https : r->cfg->cookie_secure;
}

/* Adds a Set-Cookie header; value NULL clears the cookie. */
static void
set_cookie(const struct req *r, struct resp *out, const char *name,
    const char *value, int64_t max_age, int domain)
{
	char	*v;

	v = xasprintf("%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s"
	    "%s%s", name, value ? value : "", value ? (long long)max_age : 0LL,
	    secure(r) ? "; Secure" : "", domain && r->cfg->cookie_domain ?
	    "; Domain=" : "", domain && r->cfg->cookie_domain ?
	    r->cfg->cookie_domain : "");
	resp_header(out, "Set-Cookie", v);
	free_secret(v);
}

/* The claims-like object validate returns for a cookie. */
static struct json_object *
session_claims(const struct user *u, const struct bsession *b)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "sub", json_object_new_string(u->id));
	json_object_object_add(o, "type", json_object_new_string("session"));
	json_object_object_add(o, "role",
	    json_object_new_string(role_name(u->role)));
	json_object_object_add(o, "username",
	    json_object_new_string(u->username));
	json_object_object_add(o, "iat", json_object_new_int64(b->created_at));
	json_object_object_add(o, "exp", json_object_new_int64(b->expires_at));
	return o;
}

/* Writes the last use when it is older than the touch interval. */
static void
session_touch(struct req *r, const struct bsession *b, int64_t now)
{
	int64_t	every = r->cfg->session_idle / 2 < 60 ?
		    r->cfg->session_idle / 2 : 60;
	int64_t	end;

	if (now - b->last_used_at < every)
		return;
	end = now + r->cfg->session_idle;
	if (end > b->created_at + r->cfg->session_max)
		end = b->created_at + r->cfg->session_max;
	if (store_browser_touch(r->db, b->id, now, end) < 0)
		log_warnx("browser session %s: cannot write its last use",
		    b->id);
}

int
cookie_check(struct req *r, struct resp *out, enum role min)
{
	struct bsession	 b;
	struct user	*u = NULL;
	unsigned char	 h[32];
	const char	*v;
	size_t		 pos = 0, n;
	int64_t		 now = now_s();
	int		 rc = 0, tries = 0;

	while (r->cookie != NULL && tries < COOKIE_TRIES &&
	    cookie_next(r->cookie, cookie_name(r), &pos, &v, &n)) {
		if (!token_shaped(v, n))
			continue;
		tries++;
		sha256(v, n, h);
		if ((rc = store_browser_find(r->db, h, now, &b, &u)) != 0)
			break;
	}
	OPENSSL_cleanse(h, sizeof(h));
	if (rc < 0)
		return resp_store_error(out, rc);
	if (rc == 0)
		return resp_unauthorized(out, "Could not validate credentials");
	user_free(r->user);
	r->user = u;
	memcpy(r->sid, b.id, sizeof(r->sid));
	if (!u->is_active || u->deleted_at != 0)
		return resp_detail(out, 403,
		    "User account is deactivated or deleted");
	if (u->role < min)
		return resp_detail(out, 403, "Not enough permissions");
	json_object_put(r->token);
	r->token = session_claims(u, &b);
	session_touch(r, &b, now);
	return 0;
}

int
browser_session_answer(struct req *r, struct resp *out, const struct user *u)
{
	unsigned char	 hash[32];
	char		*tok, sid[37];
	int		 rc;

	tok = token_new(hash);
	rc = store_browser_start(r->db, u->id, r->ua, r->ip, hash,
	    r->cfg->session_idle, r->cfg->session_max, sid);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc < 0) {
		free_secret(tok);
		return resp_store_error(out, rc);
	}
	set_cookie(r, out, cookie_name(r), tok, r->cfg->session_max, 1);
	free_secret(tok);
	memcpy(r->sid, sid, sizeof(r->sid));
	log_info("user %s signed in (browser session %s)", u->id, sid);
	return resp_message(out, 200, "Signed in");
}

int
browser_session_end(struct req *r, struct resp *out)
{
	unsigned char	 h[32];
	const char	*v;
	size_t		 pos = 0, n;
	int		 tries = 0;

	while (r->cookie != NULL && tries < COOKIE_TRIES &&
	    cookie_next(r->cookie, cookie_name(r), &pos, &v, &n)) {
		if (!token_shaped(v, n))
			continue;
		tries++;
		sha256(v, n, h);
		if (store_browser_end(r->db, h) < 0)
			log_warnx("sign out: cannot end a browser session");
	}
	OPENSSL_cleanse(h, sizeof(h));
	set_cookie(r, out, cookie_name(r), NULL, 0, 1);
	return 0;
}

/* The CSRF cookie's name: the session cookie's with "_csrf". */
static char *
csrf_cookie_name(const struct req *r)
{
	return xasprintf("%s_csrf", cookie_name(r));
}

/* base64url(HMAC-SHA256(secret, "csrf:" value)), allocated. */
static char *
csrf_of(const struct req *r, const char *value)
{
	unsigned char	 mac[32];
	unsigned int	 len = sizeof(mac);
	char		*msg, *enc;

	msg = xasprintf("csrf:%s", value);
	if (HMAC(EVP_sha256(), r->cfg->secret, (int)r->cfg->secret_len,
	    (const unsigned char *)msg, strlen(msg), mac, &len) == NULL) {
		log_warnx("csrf: HMAC failed");
		abort();
	}
	free_secret(msg);
	enc = b64url_encode(mac, len);
	OPENSSL_cleanse(mac, sizeof(mac));
	return enc;
}

char *
csrf_token(const struct req *r, struct resp *out)
{
	char	*name = csrf_cookie_name(r), *v, *tok;
	unsigned char	 h[32];

	if ((v = cookie_get(r, name)) == NULL) {
		v = token_new(h);
		set_cookie(r, out, name, v, r->cfg->session_max, 0);
	}
	tok = csrf_of(r, v);
	free_secret(v);
	free(name);
	return tok;
}

int
csrf_ok(const struct req *r, const char *form_token)
{
	char	*name = csrf_cookie_name(r), *v, *want;
	int	 ok = 0;

	if (form_token != NULL && (v = cookie_get(r, name)) != NULL) {
		want = csrf_of(r, v);
		ok = ct_eq(want, strlen(want), form_token, strlen(form_token));
		free_secret(want);
		free_secret(v);
	}
	free(name);
	return ok;
}

const char *
public_url(const struct req *r)
{
	return r->cfg->public_url != NULL ? r->cfg->public_url :
	    "http://127.0.0.1:8080";
}

/* Length of the "scheme://authority" origin at the start of u, or 0. */
static size_t
origin_len(const char *u)
{
	const char	*p;

	if (strncasecmp(u, "http://", 7) == 0)
		p = u + 7;
	else if (strncasecmp(u, "https://", 8) == 0)
		p = u + 8;
	else
		return 0;
	return (size_t)(p - u) + strcspn(p, "/?#");
}

/* 1 when the origin o (n bytes) is authd's own. */
static int
own_origin(const struct req *r, const char *o, size_t n)
{
	size_t	pl = origin_len(public_url(r));
	char	*mine;
	int	 ok;

	if (n == pl && strncasecmp(o, public_url(r), n) == 0)
		return 1;
	if (r->host == NULL)
		return 0;
	mine = xasprintf("%s://%s", r->https ? "https" : "http", r->host);
	ok = strlen(mine) == n && strncasecmp(mine, o, n) == 0;
	free(mine);
	return ok;
}

int
origin_ok(const struct req *r)
{
	size_t	n;

	if (r->origin != NULL && strcmp(r->origin, "null") != 0)
		return own_origin(r, r->origin, strlen(r->origin));
	if (r->referer != NULL)
		return (n = origin_len(r->referer)) > 0 &&
		    own_origin(r, r->referer, n);
	if (r->origin == NULL)
		return 0;
	/*
	 * "Origin: null" and no Referer: what a browser sends for our own
	 * forms under the pages' Referrer-Policy: no-referrer.  Over https
	 * it also sends Sec-Fetch-Site, which must then say same-origin;
	 * over plain http it sends nothing more, and the csrf token (bound
	 * to an HttpOnly SameSite=Lax cookie, which a cross-site or opaque
	 * "null" context does not carry) decides alone.
	 */
	return r->fetch_site == NULL ||
	    strcmp(r->fetch_site, "same-origin") == 0;
}

/* 1 when host h (n bytes, any case) is h2 or, with sub, one of its subdomains. */
static int
host_is(const char *h, size_t n, const char *h2, int sub)
{
	size_t	l = strlen(h2);

	if (n == l && strncasecmp(h, h2, n) == 0)
		return 1;
	return sub && n > l + 1 && h[n - l - 1] == '.' &&
	    strncasecmp(h + n - l, h2, l) == 0;
}

/* The host part of an authority "host[:port]" (no user-info): its length. */
static size_t
host_len(const char *a, size_t n)
{
	const char	*c = memchr(a, ':', n);

	return c != NULL ? (size_t)(c - a) : n;
}

/* 1 when host h (n bytes) is the host of the authority at the start of a. */
static int
host_of(const char *h, size_t n, const char *a)
{
	return host_len(a, strcspn(a, "/?#")) == n && strncasecmp(h, a, n) == 0;
}

int
rd_allowed(const struct req *r, const char *rd)
{
	const char	*a, *p;
	size_t		 ol, an, hn, i;

	if (rd == NULL || strlen(rd) > RD_MAX)
		return 0;
	for (p = rd; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	if ((ol = origin_len(rd)) == 0)
		return 0;
	a = strstr(rd, "://") + 3;
	an = (size_t)(rd + ol - a);
	if (an == 0 || memchr(a, '@', an) != NULL)
		return 0;
	hn = host_len(a, an);
	for (i = hn; i < an; i++)
		if (i > hn && !isdigit((unsigned char)a[i]))
			return 0;
	if (hn == 0)
		return 0;
	if (host_of(a, hn, strstr(public_url(r), "://") + 3) ||
	    (r->host != NULL && host_of(a, hn, r->host)))
		return 1;
	if (r->cfg->cookie_domain != NULL &&
	    host_is(a, hn, r->cfg->cookie_domain, 1))
		return 1;
	for (i = 0; i < r->cfg->nredirect_hosts; i++)
		if (host_is(a, hn, r->cfg->redirect_hosts[i], 0))
			return 1;
	return 0;
}
