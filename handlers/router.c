/*
 * The route table and the router.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "fields.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/*
 * The bodies of the API (SPEC §4): each route's fields in declared order,
 * the order of its 422 entries, each field declared once (body.c).
 */
static const struct body_field register_body[] = {
	{ &field_email, F_REQUIRED },
	{ &field_username, F_REQUIRED },
	{ &field_password, F_REQUIRED },
	{ &field_phone, 0 },
	{ &field_captcha_id, F_WITH_CAPTCHA },
	{ &field_captcha_answer, F_WITH_CAPTCHA },
};
/* One identifier of the three (handle_login() demands it). */
static const struct body_field login_body[] = {
	{ &field_ident_login, 0 },
	{ &field_ident_username, 0 },
	{ &field_ident_name, 0 },
	{ &field_login_password, F_REQUIRED },
};
static const struct body_field refresh_body[] = {
	{ &field_refresh_token, F_REQUIRED },
};
/* Or the refresh token as Authorization: Bearer. */
static const struct body_field logout_body[] = {
	{ &field_refresh_token, 0 },
	{ &field_logout_all, 0 },
};
/* forgot-password and resend-verification. */
static const struct body_field email_body[] = {
	{ &field_email, F_REQUIRED },
};
static const struct body_field reset_body[] = {
	{ &field_token, F_REQUIRED },
	{ &field_new_password, F_REQUIRED },
};
static const struct body_field verify_body[] = {
	{ &field_token, F_REQUIRED },
};
static const struct body_field password_body[] = {
	{ &field_current_password, F_REQUIRED },
	{ &field_new_password, F_REQUIRED },
};
static const struct body_field patch_body[] = {
	{ &field_account_role, 0 },
	{ &field_account_subscription, 0 },
	{ &field_subscription_expires_at, 0 },
	{ &field_is_active, 0 },
};

/* Flags and fields of a route that reads no body, or of one that does. */
#define NOBODY		0, NULL, 0
#define BODY(fl, a)	(R_JSON | (fl)), (a), sizeof(a) / sizeof((a)[0])

const struct route routes[] = {
	{ M_GET,    "/",					ROLE_NONE,	NOBODY,	handle_root },
	{ M_GET,    "/health/live",				ROLE_NONE,	NOBODY,	handle_health_live },
	{ M_GET,    "/health/ready",				ROLE_NONE,	NOBODY,	handle_health_ready },
	{ M_GET,    "/openapi.json",				ROLE_NONE,	NOBODY,	handle_openapi_json },
	{ M_GET,    "/docs.yaml",				ROLE_NONE,	NOBODY,	handle_openapi_yaml },
	{ M_POST,   "/api/v1/auth/register",			ROLE_NONE,	BODY(R_REGISTRATION, register_body),	handle_register },
	{ M_POST,   "/api/v1/auth/login",			ROLE_NONE,	BODY(R_FORM, login_body),	handle_login },
	{ M_POST,   "/api/v1/auth/refresh",			ROLE_NONE,	BODY(0, refresh_body),	handle_refresh },
	{ M_POST,   "/api/v1/auth/logout",			ROLE_NONE,	BODY(R_EMPTY, logout_body),	handle_logout },
	{ M_GET,    "/api/v1/auth/validate",			ROLE_NONE,	NOBODY,	handle_validate },
	{ M_POST,   "/api/v1/auth/validate",			ROLE_NONE,	NOBODY,	handle_validate },
	{ M_POST,   "/api/v1/auth/forgot-password",		ROLE_NONE,	BODY(0, email_body),	handle_forgot_password },
	{ M_POST,   "/api/v1/auth/reset-password",		ROLE_NONE,	BODY(0, reset_body),	handle_reset_password },
	{ M_POST,   "/api/v1/auth/verify-email",		ROLE_NONE,	BODY(0, verify_body),	handle_verify_email },
	{ M_POST,   "/api/v1/auth/resend-verification",	ROLE_NONE,	BODY(0, email_body),	handle_resend_verification },
	{ M_GET,    "/api/v1/users/me",				ROLE_REGULAR,	NOBODY,	handle_me_get },
	{ M_DELETE, "/api/v1/users/me",				ROLE_REGULAR,	NOBODY,	handle_me_delete },
	{ M_POST,   "/api/v1/users/me/password",		ROLE_REGULAR,	BODY(0, password_body),	handle_me_password },
	{ M_GET,    "/api/v1/users/me/sessions",		ROLE_REGULAR,	NOBODY,	handle_sessions_list },
	{ M_DELETE, "/api/v1/users/me/sessions/{id}",		ROLE_REGULAR,	NOBODY,	handle_session_delete },
	{ M_GET,    "/api/v1/data/test-data",			ROLE_REGULAR,	NOBODY,	handle_test_data },
	{ M_GET,    "/api/v1/users",				ROLE_MODERATOR,	NOBODY,	handle_users_list },
	{ M_GET,    "/api/v1/users/{id}",			ROLE_MODERATOR,	NOBODY,	handle_user_get },
	{ M_PATCH,  "/api/v1/users/{id}",			ROLE_ADMIN,	BODY(0, patch_body),	handle_user_patch },
	{ M_DELETE, "/api/v1/users/{id}",			ROLE_ADMIN,	NOBODY,	handle_user_delete },
	/* SPEC §10: Prometheus metrics, for METRICS_ALLOW only */
	{ M_GET,    "/metrics",					ROLE_NONE,	NOBODY,	handle_metrics },
	/*
	 * Browser sign-in (SPEC §9): pages answer HTML, check their own
	 * session and read their own forms (router_call() hands them on).
	 */
	{ M_GET,    "/auth/login",				ROLE_NONE,	NOBODY,	handle_page_login },
	{ M_POST,   "/auth/login",				ROLE_NONE,	NOBODY,	handle_page_login_post },
	{ M_POST,   "/auth/logout",				ROLE_NONE,	NOBODY,	handle_page_logout },
	{ M_GET,    "/auth/register",				ROLE_NONE,	NOBODY,	handle_page_register },
	{ M_POST,   "/auth/register",				ROLE_NONE,	NOBODY,	handle_page_register_post },
	{ M_GET,    "/auth/forgot-password",			ROLE_NONE,	NOBODY,	handle_page_forgot },
	{ M_POST,   "/auth/forgot-password",			ROLE_NONE,	NOBODY,	handle_page_forgot_post },
	{ M_GET,    "/auth/reset-password",			ROLE_NONE,	NOBODY,	handle_page_reset },
	{ M_POST,   "/auth/reset-password",			ROLE_NONE,	NOBODY,	handle_page_reset_post },
	{ M_GET,    "/auth/verify-email",			ROLE_NONE,	NOBODY,	handle_page_verify },
	{ M_POST,   "/auth/verify-email",			ROLE_NONE,	NOBODY,	handle_page_verify_post },
	{ M_GET,    "/auth/account",				ROLE_NONE,	NOBODY,	handle_page_account },
	{ M_POST,   "/auth/account/password",			ROLE_NONE,	NOBODY,	handle_page_password },
	{ M_POST,   "/auth/account/sessions/end",		ROLE_NONE,	NOBODY,	handle_page_session_end },
	{ M_POST,   "/auth/account/sessions/end-all",		ROLE_NONE,	NOBODY,	handle_page_session_end_all },
	{ M_POST,   "/auth/account/delete",			ROLE_NONE,	NOBODY,	handle_page_delete },
	{ M_GET,    "/auth/style.css",				ROLE_NONE,	NOBODY,	handle_page_style },
	{ M_GET,    "/auth/signin-redirect",			ROLE_NONE,	NOBODY,	handle_signin_redirect },
};
const size_t nroutes = sizeof(routes) / sizeof(routes[0]);

#define PARAM_MAX	128

/*
 * Matches a path against a pattern; literal segments win over "{id}"
 * because the table lists /users/me before /users/{id}.  Returns 1 and
 * fills params (allocated) on a match.
 */
static int
match(const char *pat, const char *path, char *params[2])
{
	const char	*p = pat, *s = path, *pe, *se;
	size_t		 np = 0;

	while (*p != '\0' && *s != '\0') {
		if (*p != '/' || *s != '/')
			return 0;
		p++, s++;
		pe = p + strcspn(p, "/");
		se = s + strcspn(s, "/");
		if (*p == '{') {
			if (se == s || se - s > PARAM_MAX || np == 2)
				return 0;
			params[np++] = xstrndup(s, (size_t)(se - s));
		} else if (pe - p != se - s || strncmp(p, s, (size_t)(pe - p)))
			goto no;
		p = pe;
		s = se;
	}
	if (*p == '\0' && *s == '\0')
		return 1;
no:
	while (np > 0) {
		free(params[--np]);
		params[np] = NULL;
	}
	return 0;
}

static const char *
cors_origin(const struct req *r)
{
	size_t	i;

	if (r->origin == NULL)
		return NULL;
	for (i = 0; i < r->cfg->ncors; i++)
		if (strcmp(r->cfg->cors_origins[i], r->origin) == 0)
			return r->cfg->cors_origins[i];
	return NULL;
}

/* A CORS preflight: answered here for listed origins only. */
static int
preflight(struct req *r, struct resp *out, const char *allow)
{
	const char	*o = cors_origin(r);

	if (o == NULL)
		return resp_detail(out, 400, "Disallowed CORS origin");
	resp_header(out, "Access-Control-Allow-Methods", allow);
	resp_header(out, "Access-Control-Allow-Headers", r->acr_headers ?
	    r->acr_headers : "Authorization, Content-Type");
	resp_header(out, "Access-Control-Max-Age", "600");
	out->ctype = "text/plain";
	out->raw = xstrdup("OK");
	out->rawlen = 2;
	out->status = 200;
	return 200;
}

static void
append(char *buf, size_t n, const char *s)
{
	size_t	l = strlen(buf);

	snprintf(buf + l, n - l, "%s", s);
}

static void
allow_list(const char *path, char *buf, size_t n)
{
	char	*params[2] = { NULL, NULL };
	size_t	 i, j;
	int	 seen[M__MAX] = { 0 };

	buf[0] = '\0';
	for (i = 0; i < nroutes; i++) {
		if (!match(routes[i].pattern, path, params))
			continue;
		for (j = 0; j < 2; j++) {
			free(params[j]);
			params[j] = NULL;
		}
		if (seen[routes[i].method]++)
			continue;
		if (buf[0] != '\0')
			append(buf, n, ", ");
		append(buf, n, method_name(routes[i].method));
	}
}

/*
 * Reads the body of rt into vals: parsed as JSON (or a form, or {} when
 * empty, as the route allows; a form a page decoded is kept), then each
 * declared field validated in order.  1, or 0 with the 422 in out.
 */
static int
body_read(const struct route *rt, struct req *r, struct resp *out,
    struct fval *vals)
{
	struct field	 f[ROUTE_FIELDS_MAX];
	size_t		 i;

	if (!body_parse(r, out, (rt->flags & R_FORM) != 0,
	    (rt->flags & R_EMPTY) != 0))
		return 0;
	for (i = 0; i < rt->nfields; i++) {
		f[i] = *rt->fields[i].f;
		f[i].flags |= rt->fields[i].flags & F_REQUIRED;
		if (!(rt->fields[i].flags & F_WITH_CAPTCHA))
			continue;
		/* Without a captcha service the fields are ignored. */
		if (r->cfg->captcha_url != NULL)
			f[i].flags |= F_REQUIRED;
		else
			f[i].type = FT_STRING;
	}
	return fields_read(r, f, rt->nfields, vals, out);
}

/*
 * What every route runs once matched and authorised: the registration
 * check, the body read and validated, the handler with the values in r,
 * the values freed.  Returns the status.
 */
static int
run(const struct route *rt, struct req *r, struct resp *out)
{
	struct fval		 vals[ROUTE_FIELDS_MAX];
	const struct body_field	*fields = r->fields;
	struct fval		*fv = r->fv;
	size_t			 nfields = r->nfields;
	int			 rc;

	if ((rt->flags & R_REGISTRATION) && !r->cfg->registration_enabled)
		return resp_detail(out, 403, "Registration is disabled");
	if (!(rt->flags & R_JSON))
		return rt->fn(r, out);
	if (rt->nfields > ROUTE_FIELDS_MAX) {
		log_warnx("route %s: more than %d fields", rt->pattern,
		    ROUTE_FIELDS_MAX);
		abort();
	}
	if (!body_read(rt, r, out, vals))
		return out->status;
	r->fields = rt->fields;
	r->fv = vals;
	r->nfields = rt->nfields;
	rc = rt->fn(r, out);
	fvals_free(vals, rt->nfields);
	r->fields = fields;
	r->fv = fv;
	r->nfields = nfields;
	return rc;
}

static int
route(struct req *r, struct resp *out)
{
	const struct route	*rt = NULL;
	char			 allow[128];
	size_t			 i;
	int			 rc;

	for (i = 0; i < nroutes; i++) {
		if (routes[i].method != r->method)
			continue;
		if (match(routes[i].pattern, r->path, r->params)) {
			rt = &routes[i];
			break;
		}
	}
	if (rt == NULL) {
		allow_list(r->path, allow, sizeof(allow));
		if (allow[0] == '\0')
			return resp_detail(out, 404, "Not Found");
		/* With no CORS origins configured there is no preflight. */
		if (r->method == M_OPTIONS && r->acr_method != NULL &&
		    r->origin != NULL && r->cfg->ncors > 0)
			return preflight(r, out, allow);
		resp_header(out, "Allow", allow);
		return resp_detail(out, 405, "Method Not Allowed");
	}
	r->route = rt->pattern;
	if (r->body_too_large)
		return resp_detail(out, 413, "Request body too large");
	if (rt->role != ROLE_NONE && (rc = auth_check(r, out, rt->role)) != 0)
		return rc;
	return run(rt, r, out);
}

int
router_call(struct req *r, struct resp *out, handler_fn fn)
{
	size_t	i;

	for (i = 0; i < nroutes; i++)
		if (routes[i].fn == fn)
			return run(&routes[i], r, out);
	log_warnx("router_call: a handler of no route");
	abort();
}

const struct fval *
req_field(const struct req *r, const struct field *f)
{
	size_t	i;

	for (i = 0; i < r->nfields; i++)
		if (r->fields[i].f == f)
			return &r->fv[i];
	log_warnx("req_field: \"%s\" is not a field of this route", f->name);
	abort();
}

/* The index of the route that answered r, nroutes when none did. */
static size_t
route_index(const struct req *r)
{
	size_t	i;

	for (i = 0; r->route != NULL && i < nroutes; i++)
		if (routes[i].pattern == r->route &&
		    routes[i].method == r->method)
			return i;
	return nroutes;
}

void
router_dispatch(struct req *r, struct resp *out)
{
	const char	*o;
	char		 path[160], ip[64];
	int64_t		 t0 = metrics_on() ? metrics_now_us() : 0;

	if (r->path == NULL || r->path[0] != '/')
		resp_detail(out, 404, "Not Found");
	else
		out->status = route(r, out);
	if ((o = cors_origin(r)) != NULL) {
		resp_header(out, "Access-Control-Allow-Origin", o);
		resp_header(out, "Access-Control-Allow-Credentials", "true");
	}
	/* Every answer depends on Origin once CORS is on: tell caches. */
	if (r->cfg->ncors > 0)
		resp_header(out, "Vary", "Origin");
	if (t0 != 0)
		metrics_request(route_index(r), (int)r->method, out->status,
		    metrics_now_us() - t0);
	log_escape(r->route ? r->route : r->path, path, sizeof(path));
	log_escape(r->ip, ip, sizeof(ip));
	log_info("req=%s ip=%s %s %s status=%d ms=%lld user=%s",
	    r->reqid ? r->reqid : "-", ip, method_name(r->method), path,
	    out->status, (long long)(mono_ms() - r->start_ms),
	    r->user ? r->user->id : "-");
	user_free(r->user);
	r->user = NULL;
}
