/*
 * The route table and the router.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

const struct route routes[] = {
	{ M_GET,    "/",					ROLE_NONE,	handle_root },
	{ M_GET,    "/health/live",				ROLE_NONE,	handle_health_live },
	{ M_GET,    "/health/ready",				ROLE_NONE,	handle_health_ready },
	{ M_GET,    "/openapi.json",				ROLE_NONE,	handle_openapi_json },
	{ M_GET,    "/docs.yaml",				ROLE_NONE,	handle_openapi_yaml },
	{ M_POST,   "/api/v1/auth/register",			ROLE_NONE,	handle_register },
	{ M_POST,   "/api/v1/auth/login",			ROLE_NONE,	handle_login },
	{ M_POST,   "/api/v1/auth/refresh",			ROLE_NONE,	handle_refresh },
	{ M_POST,   "/api/v1/auth/logout",			ROLE_NONE,	handle_logout },
	{ M_GET,    "/api/v1/auth/validate",			ROLE_NONE,	handle_validate },
	{ M_POST,   "/api/v1/auth/validate",			ROLE_NONE,	handle_validate },
	{ M_POST,   "/api/v1/auth/forgot-password",		ROLE_NONE,	handle_forgot_password },
	{ M_POST,   "/api/v1/auth/reset-password",		ROLE_NONE,	handle_reset_password },
	{ M_POST,   "/api/v1/auth/verify-email",		ROLE_NONE,	handle_verify_email },
	{ M_POST,   "/api/v1/auth/resend-verification",	ROLE_NONE,	handle_resend_verification },
	{ M_GET,    "/api/v1/users/me",				ROLE_REGULAR,	handle_me_get },
	{ M_DELETE, "/api/v1/users/me",				ROLE_REGULAR,	handle_me_delete },
	{ M_POST,   "/api/v1/users/me/password",		ROLE_REGULAR,	handle_me_password },
	{ M_GET,    "/api/v1/users/me/sessions",		ROLE_REGULAR,	handle_sessions_list },
	{ M_DELETE, "/api/v1/users/me/sessions/{id}",		ROLE_REGULAR,	handle_session_delete },
	{ M_GET,    "/api/v1/data/test-data",			ROLE_REGULAR,	handle_test_data },
	{ M_GET,    "/api/v1/users",				ROLE_MODERATOR,	handle_users_list },
	{ M_GET,    "/api/v1/users/{id}",			ROLE_MODERATOR,	handle_user_get },
	{ M_PATCH,  "/api/v1/users/{id}",			ROLE_ADMIN,	handle_user_patch },
	{ M_DELETE, "/api/v1/users/{id}",			ROLE_ADMIN,	handle_user_delete },
	/* SPEC §10: Prometheus metrics, for METRICS_ALLOW only */
	{ M_GET,    "/metrics",					ROLE_NONE,	handle_metrics },
	/* Browser sign-in (SPEC §9): pages answer HTML and check their own session. */
	{ M_GET,    "/auth/login",				ROLE_NONE,	handle_page_login },
	{ M_POST,   "/auth/login",				ROLE_NONE,	handle_page_login_post },
	{ M_POST,   "/auth/logout",				ROLE_NONE,	handle_page_logout },
	{ M_GET,    "/auth/register",				ROLE_NONE,	handle_page_register },
	{ M_POST,   "/auth/register",				ROLE_NONE,	handle_page_register_post },
	{ M_GET,    "/auth/forgot-password",			ROLE_NONE,	handle_page_forgot },
	{ M_POST,   "/auth/forgot-password",			ROLE_NONE,	handle_page_forgot_post },
	{ M_GET,    "/auth/reset-password",			ROLE_NONE,	handle_page_reset },
	{ M_POST,   "/auth/reset-password",			ROLE_NONE,	handle_page_reset_post },
	{ M_GET,    "/auth/verify-email",			ROLE_NONE,	handle_page_verify },
	{ M_POST,   "/auth/verify-email",			ROLE_NONE,	handle_page_verify_post },
	{ M_GET,    "/auth/account",				ROLE_NONE,	handle_page_account },
	{ M_POST,   "/auth/account/password",			ROLE_NONE,	handle_page_password },
	{ M_POST,   "/auth/account/sessions/end",		ROLE_NONE,	handle_page_session_end },
	{ M_POST,   "/auth/account/sessions/end-all",		ROLE_NONE,	handle_page_session_end_all },
	{ M_POST,   "/auth/account/delete",			ROLE_NONE,	handle_page_delete },
	{ M_GET,    "/auth/style.css",				ROLE_NONE,	handle_page_style },
	{ M_GET,    "/auth/signin-redirect",			ROLE_NONE,	handle_signin_redirect },
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
	return rt->fn(r, out);
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
