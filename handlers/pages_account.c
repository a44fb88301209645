/*
 * The account page of browser sign-in (SPEC §9) and its forms: change
 * password, sign out one session or all, delete the account.  Each form
 * hands its fields to the API handler of the same action.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "pages.h"
#include "tmpl.h"
#include "util.h"

/*
 * The signed-in person of a page: 0 with r->user and r->sid, else the
 * answer (303 to sign-in for no session, a page for a store failure).
 */
static int
signed_in(struct req *r, struct resp *out)
{
	struct resp	tmp;
	int		rc;

	resp_init(&tmp);
	rc = cookie_check(r, &tmp, ROLE_REGULAR);
	if (rc == 401 || rc == 403) {
		if (rc == 403)
			(void)browser_session_end(r, out);
		rc = page_redirect(out, "/auth/login");
	} else if (rc != 0)
		rc = page_failed(r, out, rc);
	resp_free(&tmp);
	return rc;
}

/* "Chrome on Linux"-like is guesswork; the agent itself, cut short, is honest. */
static void
client_of(const char *ua, char *buf, size_t n)
{
	if (ua == NULL || *ua == '\0')
		snprintf(buf, n, "Unknown client");
	else if (strlen(ua) > 80)
		snprintf(buf, n, "%.77s...", ua);
	else
		snprintf(buf, n, "%s", ua);
}

/* "2026-11-22 10:04 UTC" from an RFC 3339 string. */
static void
when(const char *ts, char *buf, size_t n)
{
	if (ts == NULL || strlen(ts) < 16)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.10s %.5s UTC", ts, ts + 11);
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The session list's items, rendered; NULL on a store failure. */
static char *
session_rows(struct req *r, const char *csrf)
{
	struct json_object	*list = NULL, *o;
	struct tbuf		 b = { 0 };
	char			 client[96], created[32], used[32], *row;
	const char		*kind, *id;
	size_t			 i;

	if (store_sessions_list(r->db, r->user->id, &list) < 0)
		return NULL;
	for (i = 0; i < json_object_array_length(list); i++) {
		o = json_object_array_get_idx(list, i);
		id = str(o, "id");
		kind = str(o, "kind");
		client_of(str(o, "user_agent"), client, sizeof(client));
		when(str(o, "created_at"), created, sizeof(created));
		when(str(o, "last_used_at"), used, sizeof(used));
		{
			const char *kv[] = { "id", id, "kind", kind,
			    "kind_label", kind != NULL && strcmp(kind,
			    "browser") == 0 ? "browser" : "app (API)",
			    "client", client, "created", created, "last_used",
			    used, "ip", str(o, "ip") ? str(o, "ip") : "-",
			    "csrf", csrf, "current", id != NULL &&
			    strcmp(id, r->sid) == 0 ?
			    " <span class=\"badge current\">this browser</span>" :
			    "", NULL };

			row = page_fragment("session_row", kv);
		}
		tbuf_puts(&b, row);
		free(row);
	}
	json_object_put(list);
	return b.p != NULL ? b.p : xstrdup("<li>No other sessions.</li>");
}

/* Renders the account page with optional errors of its forms. */
static int
account(struct req *r, struct resp *out, int status, const char *notice,
    const char *cur_err, const char *new_err, const char *del_err)
{
	char	*csrf = csrf_token(r, out), *rows, *n = NULL, *e1 = NULL,
		*e2 = NULL, *e3 = NULL;
	int	 rc;

	if ((rows = session_rows(r, csrf)) == NULL) {
		free(csrf);
		return page_failed(r, out, 503);
	}
	if (notice != NULL) {
		struct tbuf	b = { 0 };

		tbuf_puts(&b, "<p class=\"notice\" role=\"status\">");
		tmpl_escape_html(&b, notice);
		tbuf_puts(&b, "</p>");
		n = b.p;
	}
	if (cur_err != NULL)
		e1 = page_field_error("current_password", cur_err);
	if (new_err != NULL)
		e2 = page_field_error("new_password", new_err);
	if (del_err != NULL)
		e3 = page_field_error("delete_password", del_err);
	{
		const char *kv[] = { "csrf", csrf, "username",
		    r->user->username, "email", r->user->email, "verified",
		    r->user->email_verified ? "verified" : "not verified",
		    "role", role_name(r->user->role), "sessions", rows,
		    "notice", n, "current_password_error", e1,
		    "new_password_error", e2, "delete_password_error", e3,
		    NULL };

		rc = page_render(r, out, status, "Your account", "account", kv);
	}
	free(csrf);
	free(rows);
	free(n);
	free(e1);
	free(e2);
	free(e3);
	return rc;
}

/* GET /auth/account */
int
handle_page_account(struct req *r, struct resp *out)
{
	int	rc;

	if ((rc = signed_in(r, out)) != 0)
		return rc;
	return account(r, out, 200, NULL, NULL, NULL, NULL);
}

/* The start of every account form: the form checks, then the session. */
static int
account_form(struct req *r, struct resp *out)
{
	int	rc;

	if ((rc = page_form(r, out)) != 0)
		return rc;
	return signed_in(r, out);
}

/*
 * POST /auth/account/password (current_password, new_password, csrf):
 * handle_me_password() with a browser session instead of tokens, so this
 * browser stays signed in while every other session ends.
 */
int
handle_page_password(struct req *r, struct resp *out)
{
	struct resp	tmp;
	int		rc;

	if ((rc = account_form(r, out)) != 0)
		return rc;
	resp_init(&tmp);
	r->browser = 1;
	rc = router_call(r, &tmp, handle_me_password);
	r->browser = 0;
	switch (rc) {
	case 200:
		page_keep_headers(out, &tmp);
		rc = page_redirect(out, "/auth/account");
		break;
	case 400:
		rc = account(r, out, 400, NULL, "Incorrect current password",
		    NULL, NULL);
		break;
	case 422:
		rc = account(r, out, 422, NULL,
		    page_422_field(r, &tmp, "current_password",
		    "Enter your current password."),
		    page_422_msg(&tmp, "new_password"), NULL);
		break;
	default:
		rc = page_refused(r, out, rc, &tmp);
	}
	resp_free(&tmp);
	return rc;
}

/* POST /auth/account/sessions/end (session_id, csrf): handle_session_delete(). */
int
handle_page_session_end(struct req *r, struct resp *out)
{
	struct resp	 tmp;
	const char	*sid;
	int		 rc, self;

	if ((rc = account_form(r, out)) != 0)
		return rc;
	if ((sid = page_field(r, "session_id")) == NULL || strlen(sid) > 64)
		return account(r, out, 404, "Session not found", NULL, NULL,
		    NULL);
	self = strcmp(sid, r->sid) == 0;
	free(r->params[0]);
	r->params[0] = xstrdup(sid);
	resp_init(&tmp);
	rc = handle_session_delete(r, &tmp);
	resp_free(&tmp);
	if (rc == 204 && self) {
		(void)browser_session_end(r, out);
		return page_redirect(out, "/auth/login");
	}
	if (rc == 204)
		return page_redirect(out, "/auth/account");
	if (rc == 404)
		return account(r, out, 404, "Session not found", NULL, NULL,
		    NULL);
	return page_failed(r, out, rc);
}

/* POST /auth/account/sessions/end-all (csrf): every session, this one too. */
int
handle_page_session_end_all(struct req *r, struct resp *out)
{
	int	rc;

	if ((rc = account_form(r, out)) != 0)
		return rc;
	if ((rc = store_user_revoke_all(r->db, r->user->id)) < 0) {
		struct resp	tmp;

		resp_init(&tmp);
		rc = page_failed(r, out, resp_store_error(&tmp, rc));
		resp_free(&tmp);
		return rc;
	}
	audit_req(r, AUDIT_SESSION_END, r->user->id, r->user->id,
	    "reason=logout_all");
	(void)browser_session_end(r, out);
	return page_redirect(out, "/auth/login");
}

/*
 * POST /auth/account/delete (password, csrf): the password is checked
 * (a failure counts like a failed login), then handle_me_delete().
 */
int
handle_page_delete(struct req *r, struct resp *out)
{
	struct resp	 tmp;
	struct login_attempt a;
	const char	*pw;
	int		 rc, ok, rehash;

	if ((rc = account_form(r, out)) != 0)
		return rc;
	if ((pw = page_field(r, "password")) == NULL || *pw == '\0')
		return account(r, out, 400, NULL, NULL, NULL,
		    "Enter your password to delete your account.");
	/* PASSWORD_MAX of handlers/body.c, with the API's message. */
	if (strlen(pw) > 4096)
		return account(r, out, 400, NULL, NULL, NULL,
		    "String should have at most 4096 characters");
	resp_init(&tmp);
	/* Recorded before it is verified, like every password check. */
	if ((rc = login_attempt_check(r, &tmp, r->user, r->user->id, &a, pw,
	    strlen(pw), &ok, &rehash)) != 0) {
		rc = page_refused(r, out, rc, &tmp);
		resp_free(&tmp);
		return rc;
	}
	if (!ok) {
		resp_free(&tmp);
		return account(r, out, 400, NULL, NULL, NULL,
		    "Incorrect password");
	}
	rc = handle_me_delete(r, &tmp);
	resp_free(&tmp);
	if (rc == 409)
		return account(r, out, 409, NULL, NULL, NULL,
		    "Cannot remove the last administrator");
	if (rc != 204)
		return page_failed(r, out, rc);
	(void)browser_session_end(r, out);
	return page_message(r, out, 200, "Account deleted",
	    "Your account has been deleted.", "/auth/login", "Sign in page");
}
