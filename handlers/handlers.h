/*
 * Handlers: one function per endpoint, the route table and the router.
 *
 * A handler reads its validated input (req_field()), calls store
 * functions with plain C values and fills one response; it returns the
 * HTTP status.  It never writes to the FastCGI stream, never writes SQL
 * and never speaks SMTP.  The router answers 404, 405, 413, the table's
 * role column (401/403), its registration flag (403) and its body
 * declaration (422) before a handler runs.
 */
#ifndef AUTHD_HANDLERS_H
#define AUTHD_HANDLERS_H

#include <stdint.h>

#include "fields.h"
#include "http.h"
#include "store.h"

#define AUTHD_VERSION	"0.1.0"

typedef int (*handler_fn)(struct req *, struct resp *);

/*
 * A route's use of one declared field (body.c): the declaration, shared
 * by every route taking the field, and this route's flags: F_REQUIRED,
 * or F_WITH_CAPTCHA.
 */
struct body_field {
	const struct field	*f;
	int			 flags;
};
/*
 * Required, and of its declared type, when CAPTCHA_SERVICE_URL is set;
 * else optional, read as a string and ignored.
 */
#define F_WITH_CAPTCHA	0x100

/* What the router does before the handler (the flags of a route). */
#define R_JSON		0x01	/* reads the body: a JSON object (SPEC §1) */
#define R_FORM		0x02	/* with R_JSON: a URL-encoded form too */
#define R_EMPTY		0x04	/* with R_JSON: no body reads as {} */
#define R_REGISTRATION	0x08	/* 403 when REGISTRATION_ENABLED=false */
#define ROUTE_FIELDS_MAX 8	/* fields of one body (test_openapi checks) */

struct route {
	enum method	 method;
	const char	*pattern;	/* "{id}" matches one path segment */
	enum role	 role;		/* ROLE_NONE: no token needed */
	int		 flags;		/* R_* */
	/* With R_JSON: the fields in declared order (the 422 order). */
	const struct body_field *fields;
	size_t		 nfields;
	handler_fn	 fn;
};

/* The route table, for the router and the OpenAPI consistency test. */
extern const struct route routes[];
extern const size_t nroutes;

/*
 * Routes one request: matches r->path against the table, checks method,
 * body size and role, runs the handler, and sets the headers every
 * answer carries.  The response is complete when it returns.
 */
void	 router_dispatch(struct req *, struct resp *);
/*
 * Runs the API handler fn as the router runs it for its route, minus the
 * role check: the route's registration check, its body read and
 * validated (a page's form already decoded into r->json is read as the
 * body), fn, and the values freed.  For the pages that hand their form
 * to the API handler of the same action.  Returns fn's status, or the
 * 403/422 in out.
 */
int	 router_call(struct req *, struct resp *, handler_fn fn);
/*
 * The validated value of the declared field f of the running handler's
 * route (present 0 when the body did not hold it).  Borrowed until the
 * handler returns.  A field the route does not declare is a bug: abort.
 */
const struct fval *req_field(const struct req *, const struct field *f);

/* --- body.c: every field of a request body, declared once --- */

extern const struct field field_email;		/* SPEC §3, lower-cased */
extern const struct field field_username;	/* SPEC §3 */
extern const struct field field_password;	/* SPEC §3 */
extern const struct field field_phone;		/* SPEC §3, E.164 */
extern const struct field field_new_password;	/* SPEC §3 */
extern const struct field field_current_password; /* any string */
extern const struct field field_captcha_id;	/* a UUID */
extern const struct field field_captcha_answer;
extern const struct field field_ident_login;	/* the login's identifiers */
extern const struct field field_ident_username;
extern const struct field field_ident_name;
extern const struct field field_login_password;	/* any string */
extern const struct field field_refresh_token;
extern const struct field field_logout_all;	/* a boolean */
extern const struct field field_token;		/* a reset or verify token */
extern const struct field field_account_role;	/* ADMIN, MODERATOR, REGULAR */
extern const struct field field_account_subscription; /* FREE, PRO */
extern const struct field field_subscription_expires_at; /* RFC 3339 or null */
extern const struct field field_is_active;	/* a boolean */

/*
 * Per-worker start-up: the dummy hash for unknown logins (with the
 * ARGON2_* of conf), etc.  0 or -1.
 */
int	 handlers_init(const struct config *conf);
void	 handlers_free(void);
/* Process start time, for /health/live. */
extern int64_t	 started_at;

/* --- common.c: shared by several handlers --- */

/* UserPublic of SPEC §2 (a new object). */
struct json_object *user_public(const struct user *);
/* UserPublic plus is_active and deleted_at, for administration. */
struct json_object *user_admin(const struct user *);
/*
 * Authenticates the Bearer access token of r and demands min role:
 * 0 with r->user, r->claims, r->token set, else the status with the
 * SPEC's answer in out (401, 403, or a store error).  A token naming a
 * session (claim sid) that is revoked or expired gets the bad-token 401.
 */
int	 auth_check(struct req *, struct resp *, enum role min);
/*
 * Answers 200 with a login-shaped body: a new access token for u, naming
 * its session sid (claim "sid"), and the given refresh token of that
 * session; sets no-store.
 */
int	 token_answer(struct req *, struct resp *, const struct user *,
	    const char *sid, const char *refresh);
/*
 * Starts a session for u and answers as token_answer(); for a page
 * (r->browser) a browser session instead (browser_session_answer()).
 */
int	 login_answer(struct req *, struct resp *, const struct user *);
/*
 * Does the work of storing a mail token and queueing its mail, with no
 * effect: for the answers that must cost the same whether or not an
 * account exists (forgot-password, resend-verification).
 */
void	 mail_decoy(struct req *);
/* The SPEC's verification of a password against a user or the dummy hash. */
int	 password_check(const struct req *, const struct user *,
	    const char *pw, size_t len, int *rehash);

/* --- throttle.c: the limits of SPEC §6, shared by all workers --- */

/* Counts a registration attempt of the client address: 0, or 429/5xx in out. */
int	 throttle_register(struct req *, struct resp *);
/* Counts a reset/verify token attempt of the client address: 0, or 429/503 in out. */
int	 throttle_token_attempt(struct req *, struct resp *);

/* A password check in progress, between throttle_login_begin() and _end(). */
struct login_attempt {
	const char	*account;	/* borrowed: the account key */
	char		 ip[64];	/* the address key (ip_key()) */
	int64_t		 ip_row;	/* the events recorded, 0 = none */
	int64_t		 user_row;
};
/*
 * Before any password of the account key (a user id, or
 * "ident:<sha256 hex>" when no account matches) is verified, by the
 * API login, the password change and the sign-in page alike: 0 when the
 * attempt is recorded and may go on (then call throttle_login_end()),
 * else 429 (address or account over its limit, or locked) or 503 (it
 * could not be recorded) with the answer in out.  account must outlive a.
 */
int	 throttle_login_begin(struct req *, struct resp *, const char *account,
	    struct login_attempt *a);
/* After the verification: ok 1 forgets the attempt (and the account's failures), 0 counts it. */
void	 throttle_login_end(struct req *, struct login_attempt *a, int ok);
/*
 * A sign-in's password check under the limits (login.c; the sign-in page
 * calls it too): 0 with *ok (the active account's right password) and
 * *rehash, or 429/503 in out with nothing verified.  u may be NULL (an
 * unknown identifier: the dummy hash is verified).
 */
int	 login_attempt_check(struct req *, struct resp *, const struct user *u,
	    const char *account, struct login_attempt *a, const char *pw,
	    size_t len, int *ok, int *rehash);
/*
 * A whole sign-in (login.c; the sign-in page calls it too): identifier
 * resolved, attempt recorded, password verified, outdated hash
 * replaced.  0 with the user in *u (caller frees; check
 * REQUIRE_VERIFIED_EMAIL yourself), LOGIN_INCORRECT with out untouched
 * (answer "Incorrect email or password" in your own form), or the
 * 429/503/5xx status with the answer in out.
 */
#define LOGIN_INCORRECT	401
int	 login_verify(struct req *, struct resp *, const char *id, size_t idlen,
	    const char *pw, size_t pwlen, struct user **u);
/* After a password reset: clears the account's failures and lockout. */
void	 throttle_account_reset(struct req *, const char *account);

/* --- captcha.c --- */

/* Verifies a captcha answer with CAPTCHA_SERVICE_URL: 0, or 400/503/504 in out. */
int	 captcha_check(const struct config *, struct resp *, const char *id,
	    const char *answer);
/* Releases the per-worker handle. */
void	 captcha_free(void);

/* --- verify.c --- */

/* Queues the verification email for a new user (failures are logged). */
void	 verification_queue(struct req *, const struct user *);

/* --- admin.c --- */

/*
 * Creates the administrator of ADMIN_EMAIL/ADMIN_USERNAME/ADMIN_PASSWORD
 * when they are set and no active ADMIN exists.  Run by the master at
 * start.  0 or -1 (logged).
 */
int	 admin_bootstrap(const struct config *);

/* --- browser.c: browser sign-in (SPEC §9) --- */

/*
 * auth_check() for a request without Authorization whose handler
 * allows the session cookie (r->cookie_ok): the session of the cookie,
 * then the account (403), then min role (403).  0 with r->user,
 * r->token (claims-like) and r->sid set, else the status with the
 * answer in out (401 for no, an unknown or an expired cookie).
 */
int	 cookie_check(struct req *, struct resp *, enum role min);
/*
 * Starts a browser session for u and sets its cookie on out; answers
 * 200 {"message":"Signed in"}.  What login_answer() does when r->browser.
 */
int	 browser_session_answer(struct req *, struct resp *, const struct user *);
/* Ends the request's browser session(s) and clears the cookie on out.  0. */
int	 browser_session_end(struct req *, struct resp *);
/*
 * The CSRF token for the forms of a page (allocated): an HMAC of the
 * browser's CSRF cookie, which is set on out when the browser has none.
 */
char	*csrf_token(const struct req *, struct resp *);
/* 1 when a form's csrf field matches the browser's CSRF cookie. */
int	 csrf_ok(const struct req *, const char *form_token);
/*
 * 1 when a form POST may come from authd's own origin: Origin when it
 * is one, else Referer; "Origin: null" without Referer (what browsers
 * send under Referrer-Policy: no-referrer) passes unless Sec-Fetch-Site
 * says other than same-origin, leaving the csrf token to decide; neither
 * Origin nor Referer: 0.  Own origin: PUBLIC_URL's, or scheme://Host.
 */
int	 origin_ok(const struct req *);
/* PUBLIC_URL (never NULL, even in a configuration built by hand). */
const char *public_url(const struct req *);
/*
 * 1 when rd may be redirected to after sign-in: an absolute http(s) URL
 * without user-info, control characters or backslashes, whose host is
 * authd's own, COOKIE_DOMAIN or a subdomain, or in ALLOWED_REDIRECT_HOSTS.
 */
int	 rd_allowed(const struct req *, const char *rd);

/* --- the endpoints --- */
int	 handle_root(struct req *, struct resp *);
int	 handle_health_live(struct req *, struct resp *);
int	 handle_health_ready(struct req *, struct resp *);
int	 handle_openapi_json(struct req *, struct resp *);
int	 handle_openapi_yaml(struct req *, struct resp *);
int	 handle_register(struct req *, struct resp *);
int	 handle_login(struct req *, struct resp *);
int	 handle_refresh(struct req *, struct resp *);
int	 handle_logout(struct req *, struct resp *);
int	 handle_validate(struct req *, struct resp *);
int	 handle_forgot_password(struct req *, struct resp *);
int	 handle_reset_password(struct req *, struct resp *);
int	 handle_verify_email(struct req *, struct resp *);
int	 handle_resend_verification(struct req *, struct resp *);
int	 handle_me_get(struct req *, struct resp *);
int	 handle_me_delete(struct req *, struct resp *);
int	 handle_me_password(struct req *, struct resp *);
int	 handle_sessions_list(struct req *, struct resp *);
int	 handle_session_delete(struct req *, struct resp *);
int	 handle_test_data(struct req *, struct resp *);
int	 handle_users_list(struct req *, struct resp *);
int	 handle_user_get(struct req *, struct resp *);
int	 handle_user_patch(struct req *, struct resp *);
int	 handle_user_delete(struct req *, struct resp *);
int	 handle_metrics(struct req *, struct resp *);
/* The pages of SPEC §9 (pages.c, pages_account.c). */
int	 handle_page_login(struct req *, struct resp *);
int	 handle_page_login_post(struct req *, struct resp *);
int	 handle_page_logout(struct req *, struct resp *);
int	 handle_page_register(struct req *, struct resp *);
int	 handle_page_register_post(struct req *, struct resp *);
int	 handle_page_forgot(struct req *, struct resp *);
int	 handle_page_forgot_post(struct req *, struct resp *);
int	 handle_page_reset(struct req *, struct resp *);
int	 handle_page_reset_post(struct req *, struct resp *);
int	 handle_page_verify(struct req *, struct resp *);
int	 handle_page_verify_post(struct req *, struct resp *);
int	 handle_page_account(struct req *, struct resp *);
int	 handle_page_password(struct req *, struct resp *);
int	 handle_page_session_end(struct req *, struct resp *);
int	 handle_page_session_end_all(struct req *, struct resp *);
int	 handle_page_delete(struct req *, struct resp *);
int	 handle_page_style(struct req *, struct resp *);
int	 handle_signin_redirect(struct req *, struct resp *);

#endif
