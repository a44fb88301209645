/*
 * POST /api/v1/auth/login.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "fields.h"
#include "audit.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "pwhash.h"
#include "util.h"
#include "validate.h"

static char *
lower(const char *s, size_t n)
{
	char	*l = xstrndup(s, n);
	size_t	 i;

	for (i = 0; i < n; i++)
		l[i] = (char)tolower((unsigned char)l[i]);
	return l;
}

/*
 * The throttling key of a login: the account's id, or for an identifier
 * no account matches "ident:" and the SHA-256 of the identifier (hashed,
 * since it may be anything the client typed, a password included).
 */
static char *
account_key(const struct user *u, const char *ident, size_t len)
{
	unsigned char	h[32];
	char		hex[65];

	if (u != NULL)
		return xstrdup(u->id);
	sha256(ident, len, h);
	hex_encode(h, sizeof(h), hex);
	return xasprintf("ident:%s", hex);
}

/*
 * The guarded password check of a sign-in, shared with the sign-in
 * page: records the attempt (throttle_login_begin()), verifies pw
 * against u (or the dummy hash when u is NULL, in the same time), and
 * counts the outcome.  Returns 0 with *ok set (1 only for an active
 * account's right password) and *rehash, or the 429/503 status with the
 * answer in out (nothing verified).
 */
int
login_attempt_check(struct req *r, struct resp *out, const struct user *u,
    const char *account, struct login_attempt *a, const char *pw,
    size_t len, int *ok, int *rehash)
{
	int	rc;

	*ok = *rehash = 0;
	if ((rc = throttle_login_begin(r, out, account, a)) != 0)
		return rc;
	*ok = password_check(r, u, pw, len, rehash) && u->is_active &&
	    u->deleted_at == 0;
	throttle_login_end(r, a, *ok);
	return 0;
}

static int
incorrect(struct resp *out)
{
	return resp_unauthorized(out, "Incorrect email or password");
}

/*
 * The whole sign-in check, shared by the API login and the sign-in page:
 * resolves the identifier (the phone first when it looks like one, then
 * the email, then the username), records the attempt under the limits
 * and verifies the password (a dummy hash for an unknown identifier, in
 * the same time), then replaces an outdated hash.  Failures are counted
 * in the metrics and audited here; success, and the unverified refusal,
 * are the caller's to count and audit once it has answered.  Returns 0
 * with the signed-in user in *out_u (freed by the caller),
 * LOGIN_INCORRECT with nothing in out for a wrong identifier or password
 * or an inactive account (each caller answers it in its own form), or
 * the 429/503/5xx status with the answer in out.
 */
int
login_verify(struct req *r, struct resp *out, const char *id, size_t idlen,
    const char *pw, size_t pwlen, struct user **out_u)
{
	struct user	*u = NULL;
	struct login_attempt a;
	char		*ident = NULL, *phone = NULL, *account = NULL, *nh;
	int		 rc, ok, rehash;

	*out_u = NULL;
	/*
	 * An empty identifier or one holding a NUL byte matches no account,
	 * but costs the same verification, under the same limits.
	 */
	if (idlen == 0 || memchr(id, '\0', idlen) != NULL)
		account = account_key(NULL, id, idlen);
	else {
		ident = lower(id, idlen);
		if (phone_like(ident, idlen))
			phone = phone_normalise(ident);
		if ((rc = store_user_by_login(r->db, ident, phone, &u)) < 0) {
			rc = resp_store_error(out, rc);
			goto done;
		}
		account = phone != NULL ? account_key(u, phone,
		    strlen(phone)) : account_key(u, ident, idlen);
	}
	if ((rc = login_attempt_check(r, out, u, account, &a, pw, pwlen, &ok,
	    &rehash)) != 0) {
		metrics_count(rc == 429 ? MET_LOGIN_LOCKED : MET_LOGIN_FAILURE);
		audit_req(r, AUDIT_LOGIN_FAILURE, NULL, u ? u->id : NULL,
		    "reason=%s", rc == 429 ? "locked" : "error");
		goto done;
	}
	if (!ok) {
		metrics_count(MET_LOGIN_FAILURE);
		audit_req(r, AUDIT_LOGIN_FAILURE, NULL, u ? u->id : NULL,
		    "reason=%s", u == NULL ? "unknown_account" :
		    !u->is_active || u->deleted_at != 0 ? "inactive" :
		    "bad_password");
		rc = LOGIN_INCORRECT;
		goto done;
	}
	if (rehash && (nh = pwhash_hash(&r->cfg->pw, pw, pwlen)) != NULL) {
		if (store_user_rehash(r->db, u->id, u->password_hash, nh) < 0)
			log_warnx("rehash of user %s failed", u->id);
		free_secret(nh);
	}
	*out_u = u;
	u = NULL;
	rc = 0;
done:
	free(account);
	free(ident);
	free(phone);
	user_free(u);
	return rc;
}

/*
 * POST /api/v1/auth/login, as an OAuth2 password form or JSON with
 * "login", "username" or "name".  200 with a token pair; 401 for a wrong
 * identifier or password and for inactive accounts, in the same time;
 * 403 for an unverified email when REQUIRE_VERIFIED_EMAIL; 429 throttled;
 * 503 when the attempt cannot be recorded.
 */
int
handle_login(struct req *r, struct resp *out)
{
	const struct fval *pw = req_field(r, &field_login_password);
	const struct fval *id;
	struct user	*u = NULL;
	struct json_object *list;
	int		 rc;

	/* The first identifier given of the three. */
	id = req_field(r, &field_ident_login);
	if (!id->present)
		id = req_field(r, &field_ident_username);
	if (!id->present)
		id = req_field(r, &field_ident_name);
	if (!id->present) {
		list = json_object_new_array();
		json_object_array_add(list, err_entry("missing", "username",
		    "Field required", json_object_get(r->json)));
		rc = resp_422(out, list);
		goto done;
	}
	rc = login_verify(r, out, id->s, id->len, pw->s, pw->len, &u);
	if (rc == LOGIN_INCORRECT) {
		rc = incorrect(out);
		goto done;
	}
	if (rc != 0)
		goto done;
	if (r->cfg->require_verified && !u->email_verified) {
		metrics_count(MET_LOGIN_UNVERIFIED);
		audit_req(r, AUDIT_LOGIN_FAILURE, NULL, u->id,
		    "reason=unverified");
		rc = resp_detail(out, 403, "Email not verified");
		goto done;
	}
	rc = login_answer(r, out, u);
	metrics_count(rc == 200 ? MET_LOGIN_SUCCESS : MET_LOGIN_FAILURE);
	if (rc != 200) {
		audit_req(r, AUDIT_LOGIN_FAILURE, NULL, u->id, "reason=error");
		goto done;
	}
	audit_req(r, AUDIT_LOGIN_SUCCESS, u->id, u->id, "method=password");
	/* The request line names the user who signed in. */
	r->user = u;
	u = NULL;
done:
	user_free(u);
	return rc;
}
