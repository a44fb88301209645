/*
 * The signed-out pages of browser sign-in (SPEC §9): sign in, sign out,
 * register, forgot and reset password, verify email; and what every
 * page shares (rendering, headers, the form checks).  Templates live in
 * pages/templates/ and are built into the binary (pages/embed.sh); the
 * template code is the mailer's (lib/tmpl.c), which escapes values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "audit.h"
#include "config.h"
#include "fields.h"
#include "log.h"
#include "pages.h"
#include "tmpl.h"
#include "util.h"

#include "pages/pages.inc"	/* page_files[] */

#define NFILES		(sizeof(page_files) / sizeof(page_files[0]))
#define CSP		"default-src 'self'; frame-ancestors 'none'; base-uri 'none'"
#define EMAIL_LEADIN	"value is not a valid email address: "
#define BAD_FORM	"This form has expired or did not come from this site. " \
			"Go back, reload the page and try again."

static const char *
file_text(const char *name)
{
	size_t	i;

	for (i = 0; i < NFILES; i++)
		if (strcmp(page_files[i].name, name) == 0)
			return page_files[i].text;
	log_warnx("page template %s is missing", name);
	return "";
}

/* What a template is rendered with: the configuration and the pairs. */
struct page_args {
	const struct config	*cfg;
	const char *const	*kv;
};

static const char *
kv_lookup(void *arg, const char *key)
{
	const struct page_args	*a = arg;
	const char *const	*kv = a->kv;

	if (strcmp(key, "app_name") == 0)
		return a->cfg != NULL ? a->cfg->app_name : NULL;
	for (; kv != NULL && kv[0] != NULL; kv += 2)
		if (strcmp(kv[0], key) == 0)
			return kv[1] != NULL ? kv[1] : "";
	return "";
}

/* conf NULL: a fragment, whose templates do not name app_name. */
static void
render(struct tbuf *b, const struct config *conf, const char *name,
    const char *const *kv)
{
	struct page_args	 a = { conf, kv };
	char			 file[64];

	snprintf(file, sizeof(file), "%s.html", name);
	/* kv_lookup never fails: a key without a value renders empty. */
	(void)tmpl_subst(b, file_text(file), kv_lookup, &a, 1, NULL, 0);
}

char *
page_fragment(const char *name, const char *const *kv)
{
	struct tbuf	b = { 0 };

	render(&b, NULL, name, kv);
	return b.p != NULL ? b.p : xstrdup("");
}

char *
page_field_error(const char *field, const char *msg)
{
	const char	*kv[] = { "field", field, "message", msg, NULL };

	return page_fragment("field_error", kv);
}

static void
page_headers(struct resp *out)
{
	resp_header(out, "Content-Security-Policy", CSP);
	resp_header(out, "Referrer-Policy", "no-referrer");
	resp_header(out, "X-Content-Type-Options", "nosniff");
	resp_header(out, "X-Frame-Options", "DENY");
	out->nostore = 1;
}

int
page_render(const struct req *r, struct resp *out, int status,
    const char *title, const char *name, const char *const *kv)
{
	struct tbuf	 b = { 0 };
	char		*content;
	const char	*lkv[] = { "title", title, "content", NULL, NULL };

	content = page_fragment(name, kv);
	lkv[3] = content;
	render(&b, r->cfg, "layout", lkv);
	free(content);
	json_object_put(out->body);
	out->body = NULL;
	free(out->raw);
	out->raw = b.p;
	out->rawlen = b.len;
	out->ctype = "text/html; charset=utf-8";
	out->status = status;
	page_headers(out);
	return status;
}

int
page_message(const struct req *r, struct resp *out, int status,
    const char *title, const char *msg, const char *link,
    const char *link_text)
{
	const char	*kv[] = { "message", msg, "link", link, "link_text",
	    link_text, NULL };

	return page_render(r, out, status, title, "message", kv);
}

int
page_redirect(struct resp *out, const char *location)
{
	json_object_put(out->body);
	out->body = NULL;
	free(out->raw);
	out->raw = xstrdup("");
	out->rawlen = 0;
	out->ctype = "text/html; charset=utf-8";
	resp_header(out, "Location", location);
	page_headers(out);
	out->status = 303;
	return 303;
}

int
page_style(struct resp *out)
{
	const char	*css = file_text("style.css");

	out->raw = xstrdup(css);
	out->rawlen = strlen(css);
	out->ctype = "text/css; charset=utf-8";
	resp_header(out, "Cache-Control", "public, max-age=3600");
	resp_header(out, "X-Content-Type-Options", "nosniff");
	out->status = 200;
	return 200;
}

int
page_form(struct req *r, struct resp *out)
{
	struct json_object	*f, *c = NULL;

	if (r->bodylen == 0 || (f = form_decode(r->body, r->bodylen)) == NULL)
		return page_message(r, out, 400, "Bad request",
		    "The form could not be read.", "/auth/login",
		    "Back to sign in");
	if (!json_object_object_get_ex(f, "csrf", &c) || !origin_ok(r) ||
	    !csrf_ok(r, json_object_get_string(c))) {
		json_object_put(f);
		log_info("page %s: form refused (CSRF token or origin)",
		    r->path);
		return page_message(r, out, 403, "Form refused", BAD_FORM,
		    "/auth/login", "Back to sign in");
	}
	json_object_object_del(f, "csrf");
	json_object_put(r->json);
	r->json = f;
	return 0;
}

const char *
page_field(const struct req *r, const char *name)
{
	struct json_object	*v;

	if (r->json == NULL || !json_object_object_get_ex(r->json, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void
page_keep_headers(struct resp *dst, const struct resp *src)
{
	size_t	i;

	for (i = 0; i < src->nhdrs; i++)
		if (strcmp(src->hdrs[i].name, "Set-Cookie") == 0 ||
		    strcmp(src->hdrs[i].name, "Retry-After") == 0)
			resp_header(dst, src->hdrs[i].name,
			    src->hdrs[i].value);
}

const char *
page_422_msg(const struct resp *src, const char *field)
{
	struct json_object	*d, *e, *loc, *f, *m;
	const char		*s;
	size_t			 i;

	if (src->body == NULL ||
	    !json_object_object_get_ex(src->body, "detail", &d) ||
	    !json_object_is_type(d, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(d); i++) {
		e = json_object_array_get_idx(d, i);
		if (!json_object_object_get_ex(e, "loc", &loc) ||
		    json_object_array_length(loc) < 2 ||
		    (f = json_object_array_get_idx(loc, 1)) == NULL ||
		    strcmp(json_object_get_string(f), field) != 0 ||
		    !json_object_object_get_ex(e, "msg", &m))
			continue;
		s = json_object_get_string(m);
		if (strncmp(s, "Value error, ", 13) == 0)
			s += 13;
		/* The email check's technical lead-in reads badly on a page. */
		if (strncmp(s, EMAIL_LEADIN, strlen(EMAIL_LEADIN)) == 0)
			s += strlen(EMAIL_LEADIN);
		return s;
	}
	return NULL;
}

const char *
page_422_field(const struct req *r, const struct resp *src, const char *field,
    const char *empty_msg)
{
	const char	*m = page_422_msg(src, field), *v = page_field(r, field);

	if (m == NULL)
		return NULL;
	return v == NULL || *v == '\0' ? empty_msg : m;
}

int
page_throttled(const struct req *r, struct resp *out, const struct resp *src)
{
	page_keep_headers(out, src);
	return page_message(r, out, 429, "Too many attempts",
	    "Too many requests. Try again later.", "/auth/login",
	    "Back to sign in");
}

int
page_failed(const struct req *r, struct resp *out, int status)
{
	if (status < 500)
		status = 400;
	return page_message(r, out, status, "Something went wrong",
	    status == 503 ? "The service is busy. Try again in a moment." :
	    "The request could not be completed. Try again later.",
	    "/auth/login", "Back to sign in");
}

int
page_refused(const struct req *r, struct resp *out, int status,
    const struct resp *src)
{
	size_t	i;

	if (status == 429)
		return page_throttled(r, out, src);
	for (i = 0; i < src->nhdrs; i++)
		if (strcmp(src->hdrs[i].name, "Retry-After") == 0)
			resp_header(out, "Retry-After", src->hdrs[i].value);
	return page_failed(r, out, status);
}

/* The detail string of an API answer, or "". */
static const char *
detail(const struct resp *src)
{
	struct json_object	*d;

	if (src->body == NULL ||
	    !json_object_object_get_ex(src->body, "detail", &d) ||
	    !json_object_is_type(d, json_type_string))
		return "";
	return json_object_get_string(d);
}

/* ---- sign in ---- */

static int
login_form(struct req *r, struct resp *out, int status, const char *rd,
    const char *username, const char *uerr, const char *perr)
{
	char	*csrf = csrf_token(r, out), *ue = NULL, *pe = NULL;
	int	 reg = r->cfg->registration_enabled &&
		     r->cfg->captcha_url == NULL;
	const char *kv[] = { "csrf", csrf, "rd", rd, "username", username,
	    "username_error", NULL, "password_error", NULL, "register_link",
	    reg ? "<a href=\"/auth/register\">Create an account</a>" : "",
	    NULL };

	if (uerr != NULL)
		kv[7] = ue = page_field_error("username", uerr);
	if (perr != NULL)
		kv[9] = pe = page_field_error("password", perr);
	status = page_render(r, out, status, "Sign in", "login", kv);
	free(ue);
	free(pe);
	free(csrf);
	return status;
}

/*
 * GET /auth/login?rd=: the form; a browser signed in already gets a
 * link on to rd (or its account) instead.  Not a redirect: a protected
 * app that does not receive the cookie (COOKIE_DOMAIN not covering it)
 * sends the browser here again, and a redirect would loop.
 */
int
handle_page_login(struct req *r, struct resp *out)
{
	struct resp	 tmp;
	char		*rd = query_get(r->query, "rd"), *msg;
	int		 rc;

	resp_init(&tmp);
	if (r->cookie != NULL && cookie_check(r, &tmp, ROLE_REGULAR) == 0) {
		msg = xasprintf("You are signed in as %s.", r->user->username);
		rc = page_message(r, out, 200, "Signed in", msg,
		    rd_allowed(r, rd) ? rd : "/auth/account", rd_allowed(r, rd) ?
		    "Continue" : "Go to your account");
		free(msg);
	} else
		rc = login_form(r, out, 200, rd, NULL, NULL, NULL);
	resp_free(&tmp);
	free(rd);
	return rc;
}

/*
 * POST /auth/login (username, password, rd, csrf): handle_login() does
 * the work with a browser session instead of tokens.
 */
int
handle_page_login_post(struct req *r, struct resp *out)
{
	struct resp	 tmp;
	char		*rd = NULL, *user = NULL;
	int		 rc;

	if ((rc = page_form(r, out)) != 0)
		return rc;
	if (page_field(r, "rd") != NULL)
		rd = xstrdup(page_field(r, "rd"));
	if (page_field(r, "username") != NULL)
		user = xstrdup(page_field(r, "username"));
	json_object_object_del(r->json, "rd");
	json_object_object_del(r->json, "login");
	json_object_object_del(r->json, "name");
	resp_init(&tmp);
	r->browser = 1;
	rc = router_call(r, &tmp, handle_login);
	r->browser = 0;
	switch (rc) {
	case 200:
		page_keep_headers(out, &tmp);
		rc = page_redirect(out, rd_allowed(r, rd) ? rd :
		    "/auth/account");
		break;
	case 401:
		rc = login_form(r, out, 401, rd, user, NULL,
		    "Incorrect email or password");
		break;
	case 422:
		rc = login_form(r, out, 422, rd, user, user == NULL ||
		    *user == '\0' ? "Enter your email, username or phone." :
		    NULL, page_422_field(r, &tmp, "password",
		    "Enter your password."));
		break;
	case 429:
		rc = page_throttled(r, out, &tmp);
		break;
	case 403:
		rc = page_message(r, out, 403, "Email not verified",
		    "Your email address is not verified yet. Open the link "
		    "we sent you, then sign in again.", "/auth/login",
		    "Back to sign in");
		break;
	default:
		rc = page_refused(r, out, rc, &tmp);
	}
	resp_free(&tmp);
	free(rd);
	free(user);
	return rc;
}

/* POST /auth/logout (csrf): ends this browser session, 303 to sign-in. */
int
handle_page_logout(struct req *r, struct resp *out)
{
	struct resp	tmp;
	int		rc;

	if ((rc = page_form(r, out)) != 0)
		return rc;
	resp_init(&tmp);
	if (cookie_check(r, &tmp, ROLE_NONE) == 0)
		audit_req(r, AUDIT_SESSION_END, r->user->id, r->user->id,
		    "reason=browser_sign_out session=%s", r->sid);
	resp_free(&tmp);
	(void)browser_session_end(r, out);
	return page_redirect(out, "/auth/login");
}

/* ---- registration ---- */

static int
registration_open(const struct req *r)
{
	return r->cfg->registration_enabled && r->cfg->captcha_url == NULL;
}

static int
register_closed(const struct req *r, struct resp *out)
{
	return page_message(r, out, 403, "Registration is closed",
	    "Registration is disabled. Ask the administrator for an account.",
	    "/auth/login", "Back to sign in");
}

static int
register_form(struct req *r, struct resp *out, int status,
    const char *errs[4])
{
	static const char *const names[4] = { "email", "username", "password",
	    "phone" };
	char		*csrf = csrf_token(r, out), *frag[4] = { 0 };
	const char	*kv[19];
	size_t		 i, k = 0;

	kv[k++] = "csrf";
	kv[k++] = csrf;
	for (i = 0; i < 4; i++) {
		if (i != 2) {
			kv[k++] = names[i];
			kv[k++] = page_field(r, names[i]);
		}
		if (errs != NULL && errs[i] != NULL)
			frag[i] = page_field_error(names[i], errs[i]);
		kv[k++] = i == 0 ? "email_error" : i == 1 ? "username_error" :
		    i == 2 ? "password_error" : "phone_error";
		kv[k++] = frag[i];
	}
	kv[k] = NULL;
	status = page_render(r, out, status, "Create an account", "register",
	    kv);
	for (i = 0; i < 4; i++)
		free(frag[i]);
	free(csrf);
	return status;
}

int
handle_page_register(struct req *r, struct resp *out)
{
	if (!registration_open(r))
		return register_closed(r, out);
	return register_form(r, out, 200, NULL);
}

/* The message of a 409 of handle_register() for the field it concerns. */
static int
conflict(const struct resp *src, const char *errs[4], char *buf, size_t n)
{
	struct json_object	*d, *m, *s;

	if (src->body == NULL ||
	    !json_object_object_get_ex(src->body, "detail", &d))
		return 0;
	if (json_object_is_type(d, json_type_object) &&
	    json_object_object_get_ex(d, "message", &m) &&
	    json_object_object_get_ex(d, "suggestion", &s)) {
		snprintf(buf, n, "%s. %s is free.", json_object_get_string(m),
		    json_object_get_string(s));
		errs[1] = buf;
		return 1;
	}
	if (strstr(detail(src), "Phone") != NULL)
		errs[3] = detail(src);
	else
		errs[0] = detail(src);
	return 1;
}

/*
 * POST /auth/register (email, username, password, phone, csrf):
 * handle_register() creates the account and queues the verification
 * mail; the new person is then signed in.
 */
int
handle_page_register_post(struct req *r, struct resp *out)
{
	static const char *const names[4] = { "email", "username", "password",
	    "phone" };
	struct json_object	*id;
	struct user		*u = NULL;
	struct resp		 tmp;
	const char		*errs[4] = { 0 }, *ph;
	char			 buf[160];
	size_t			 i;
	int			 rc;

	if (!registration_open(r))
		return register_closed(r, out);
	if ((rc = page_form(r, out)) != 0)
		return rc;
	if ((ph = page_field(r, "phone")) != NULL && *ph == '\0')
		json_object_object_del(r->json, "phone");
	resp_init(&tmp);
	rc = router_call(r, &tmp, handle_register);
	if (rc == 201 && json_object_object_get_ex(tmp.body, "id", &id) &&
	    (rc = store_user_by_id(r->db, json_object_get_string(id),
	    &u)) > 0) {
		resp_free(&tmp);
		resp_init(&tmp);
		if ((rc = browser_session_answer(r, &tmp, u)) == 200) {
			page_keep_headers(out, &tmp);
			rc = page_redirect(out, "/auth/account");
		} else
			rc = page_failed(r, out, rc);
	} else if (rc == 422) {
		for (i = 0; i < 4; i++)
			errs[i] = page_422_msg(&tmp, names[i]);
		rc = register_form(r, out, 422, errs);
	} else if (rc == 409 && conflict(&tmp, errs, buf, sizeof(buf)))
		rc = register_form(r, out, 409, errs);
	else {
		if (rc < 0)
			rc = resp_store_error(&tmp, rc);
		rc = page_refused(r, out, rc, &tmp);
	}
	user_free(u);
	resp_free(&tmp);
	return rc;
}

/* ---- password recovery ---- */

static int
forgot_form(struct req *r, struct resp *out, int status, const char *err)
{
	char	*csrf = csrf_token(r, out), *e = NULL;
	const char *kv[] = { "csrf", csrf, "email", page_field(r, "email"),
	    "email_error", NULL, NULL };

	if (err != NULL)
		kv[5] = e = page_field_error("email", err);
	status = page_render(r, out, status, "Forgot your password?", "forgot",
	    kv);
	free(e);
	free(csrf);
	return status;
}

int
handle_page_forgot(struct req *r, struct resp *out)
{
	return forgot_form(r, out, 200, NULL);
}

/* POST /auth/forgot-password (email, csrf): always the same confirmation. */
int
handle_page_forgot_post(struct req *r, struct resp *out)
{
	struct resp	tmp;
	int		rc;

	if ((rc = page_form(r, out)) != 0)
		return rc;
	resp_init(&tmp);
	rc = router_call(r, &tmp, handle_forgot_password);
	if (rc == 202)
		rc = page_message(r, out, 200, "Check your email",
		    "If the email exists, a reset link has been sent.",
		    "/auth/login", "Back to sign in");
	else if (rc == 422)
		rc = forgot_form(r, out, 422, page_422_msg(&tmp, "email") ?
		    "Enter a valid email address." : "Enter your email.");
	else
		rc = page_failed(r, out, rc);
	resp_free(&tmp);
	return rc;
}

static int
bad_link(const struct req *r, struct resp *out, const char *what)
{
	return page_message(r, out, 400, "Link not valid", what,
	    "/auth/forgot-password", "Ask for a new link");
}

static int
reset_form(struct req *r, struct resp *out, int status, const char *token,
    const char *err)
{
	char	*csrf = csrf_token(r, out), *e = NULL;
	const char *kv[] = { "csrf", csrf, "token", token,
	    "new_password_error", NULL, NULL };

	if (err != NULL)
		kv[5] = e = page_field_error("new_password", err);
	status = page_render(r, out, status, "Choose a new password", "reset",
	    kv);
	free(e);
	free(csrf);
	return status;
}

/* GET /auth/reset-password?token=: the form; the token is not spent. */
int
handle_page_reset(struct req *r, struct resp *out)
{
	char	*tok = query_get(r->query, "token");
	int	 rc;

	if (tok == NULL || !token_shaped(tok, strlen(tok)))
		rc = bad_link(r, out, "Invalid or expired reset token");
	else
		rc = reset_form(r, out, 200, tok, NULL);
	free_secret(tok);
	return rc;
}

/* POST /auth/reset-password (token, new_password, csrf). */
int
handle_page_reset_post(struct req *r, struct resp *out)
{
	struct resp	tmp;
	int		rc;

	if ((rc = page_form(r, out)) != 0)
		return rc;
	resp_init(&tmp);
	rc = router_call(r, &tmp, handle_reset_password);
	if (rc == 200)
		rc = page_message(r, out, 200, "Password changed",
		    "Password has been reset successfully. Sign in with your "
		    "new password.", "/auth/login", "Sign in");
	else if (rc == 422 && page_422_msg(&tmp, "new_password") != NULL &&
	    page_field(r, "token") != NULL)
		rc = reset_form(r, out, 422, page_field(r, "token"),
		    page_422_msg(&tmp, "new_password"));
	else if (rc == 400 || rc == 422)
		rc = bad_link(r, out, "Invalid or expired reset token");
	else
		rc = page_refused(r, out, rc, &tmp);
	resp_free(&tmp);
	return rc;
}

/* ---- email verification ---- */

/* GET /auth/verify-email?token=: a confirm button; the token is not spent. */
int
handle_page_verify(struct req *r, struct resp *out)
{
	char	*tok = query_get(r->query, "token"), *csrf;
	int	 rc;

	if (tok == NULL || !token_shaped(tok, strlen(tok))) {
		free_secret(tok);
		return page_message(r, out, 400, "Link not valid",
		    "Invalid or expired verification token", "/auth/login",
		    "Back to sign in");
	}
	csrf = csrf_token(r, out);
	{
		const char *kv[] = { "csrf", csrf, "token", tok, NULL };

		rc = page_render(r, out, 200, "Verify your email", "verify", kv);
	}
	free(csrf);
	free_secret(tok);
	return rc;
}

/* POST /auth/verify-email (token, csrf). */
int
handle_page_verify_post(struct req *r, struct resp *out)
{
	struct resp	tmp;
	int		rc;

	if ((rc = page_form(r, out)) != 0)
		return rc;
	resp_init(&tmp);
	rc = router_call(r, &tmp, handle_verify_email);
	if (rc == 200)
		rc = page_message(r, out, 200, "Email verified",
		    "Your email address is verified.", "/auth/account",
		    "Go to your account");
	else if (rc == 400 || rc == 422)
		rc = page_message(r, out, 400, "Link not valid",
		    "Invalid or expired verification token", "/auth/login",
		    "Back to sign in");
	else
		rc = page_refused(r, out, rc, &tmp);
	resp_free(&tmp);
	return rc;
}

/* GET /auth/style.css */
int
handle_page_style(struct req *r, struct resp *out)
{
	(void)r;
	return page_style(out);
}

/*
 * GET /auth/signin-redirect: the answer nginx gives for a protected
 * location whose validate said 401 (nginx/authd-protect.conf): a 302 to
 * the sign-in page with rd=<the original URL> for a browser, the 401
 * JSON for an API client (an Authorization header, or Accept:
 * application/json).  The original URL comes from nginx as
 * X-Authd-Original-URL.
 */
int
handle_signin_redirect(struct req *r, struct resp *out)
{
	char	*rd, *loc;
	size_t	 i, n;
	static const char hex[] = "0123456789ABCDEF";

	if (r->authz != NULL || r->api_client)
		return resp_unauthorized(out, "Could not validate credentials");
	n = r->original_url != NULL ? strlen(r->original_url) : 0;
	rd = xmalloc(3 * n + 1);
	for (i = 0, n = 0; r->original_url != NULL &&
	    r->original_url[i] != '\0'; i++) {
		unsigned char	c = (unsigned char)r->original_url[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/:", c) != NULL)
			rd[n++] = (char)c;
		else {
			rd[n++] = '%';
			rd[n++] = hex[c >> 4];
			rd[n++] = hex[c & 15];
		}
	}
	rd[n] = '\0';
	loc = n > 0 ? xasprintf("%s/auth/login?rd=%s", public_url(r), rd) :
	    xasprintf("%s/auth/login", public_url(r));
	free(rd);
	resp_header(out, "Location", loc);
	free(loc);
	out->raw = xstrdup("");
	out->ctype = "text/html; charset=utf-8";
	out->nostore = 1;
	out->status = 302;
	return 302;
}
