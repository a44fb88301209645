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

#define IDENT_MAX	320
#define PASSWORD_MAX	4096

enum { F_LOGIN, F_USERNAME, F_NAME, F_PASSWORD, F__MAX };

static const struct field fields[F__MAX] = {
	{ "login", FT_STRING, 0, NULL, IDENT_MAX },		/* F_LOGIN */
	{ "username", FT_STRING, 0, NULL, IDENT_MAX },		/* F_USERNAME */
	{ "name", FT_STRING, 0, NULL, IDENT_MAX },		/* F_NAME */
	{ "password", FT_STRING, F_REQUIRED, NULL, PASSWORD_MAX }, /* F_PASSWORD */
};

/*
 * A phone-looking identifier: digits and the separators the phone
 * normalisation drops, with at most one '+' before the first digit.
 */
static int
phone_like(const char *s)
{
	int	digits = 0, plus = 0;

	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (*s == '+' && digits == 0 && plus++ == 0)
			continue;
		else if (strchr(" -.()", *s) == NULL)
			return 0;
	}
	return digits >= 8;
}

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
account_key(const struct user *u, const char *ident)
{
	unsigned char	h[32];
	char		hex[65];

	if (u != NULL)
		return xstrdup(u->id);
	sha256(ident, strlen(ident), h);
	hex_encode(h, sizeof(h), hex);
	return xasprintf("ident:%s", hex);
}

static int
incorrect(struct resp *out)
{
	return resp_unauthorized(out, "Incorrect email or password");
}

/*
 * POST /api/v1/auth/login, as an OAuth2 password form or JSON with
 * "login", "username" or "name".  200 with a token pair; 401 for a wrong
 * identifier or password and for inactive accounts, in the same time;
 * 403 for an unverified email when REQUIRE_VERIFIED_EMAIL; 429 throttled.
 */
int
handle_login(struct req *r, struct resp *out)
{
	struct fval	 v[F__MAX];
	struct fval	*id;
	struct user	*u = NULL;
	struct json_object *list;
	char		*ident = NULL, *phone = NULL, *account = NULL, *nh;
	int		 rc, ok, rehash;

	if (!body_parse(r, out, 1, 0))
		return out->status;
	if (!fields_read(r, fields, F__MAX, v, out))
		return out->status;
	id = v[F_LOGIN].present ? &v[F_LOGIN] : v[F_USERNAME].present ?
	    &v[F_USERNAME] : v[F_NAME].present ? &v[F_NAME] : NULL;
	if (id == NULL) {
		list = json_object_new_array();
		json_object_array_add(list, err_entry("missing", "username",
		    "Field required", json_object_get(r->json)));
		rc = resp_422(out, list);
		goto done;
	}
	if (id->len == 0 || memchr(id->s, '\0', id->len) != NULL) {
		(void)password_check(NULL, v[F_PASSWORD].s, v[F_PASSWORD].len,
		    &rehash);
		audit_req(r, AUDIT_LOGIN_FAILURE, NULL, NULL,
		    "reason=unknown_account");
		rc = incorrect(out);
		goto done;
	}
	ident = lower(id->s, id->len);
	if (phone_like(ident))
		phone = phone_normalise(ident);
	if ((rc = store_user_by_login(r->db, ident, phone, &u)) < 0) {
		rc = resp_store_error(out, rc);
		goto done;
	}
	account = account_key(u, phone != NULL ? phone : ident);
	if ((rc = throttle_login_check(r, out, account)) != 0) {
		metrics_count(rc == 429 ? MET_LOGIN_LOCKED : MET_LOGIN_FAILURE);
		audit_req(r, AUDIT_LOGIN_FAILURE, NULL, u ? u->id : NULL,
		    "reason=%s", rc == 429 ? "locked" : "error");
		goto done;
	}
	ok = password_check(u, v[F_PASSWORD].s, v[F_PASSWORD].len, &rehash);
	if (!ok || !u->is_active || u->deleted_at != 0) {
		metrics_count(MET_LOGIN_FAILURE);
		audit_req(r, AUDIT_LOGIN_FAILURE, NULL, u ? u->id : NULL,
		    "reason=%s", u == NULL ? "unknown_account" : !ok ?
		    "bad_password" : "inactive");
		throttle_login_failed(r, account);
		rc = incorrect(out);
		goto done;
	}
	throttle_login_ok(r, account);
	if (cfg.require_verified && !u->email_verified) {
		metrics_count(MET_LOGIN_UNVERIFIED);
		audit_req(r, AUDIT_LOGIN_FAILURE, NULL, u->id,
		    "reason=unverified");
		rc = resp_detail(out, 403, "Email not verified");
		goto done;
	}
	if (rehash && (nh = pwhash_hash(&cfg.pw, v[F_PASSWORD].s,
	    v[F_PASSWORD].len)) != NULL) {
		if (store_user_rehash(r->db, u->id, u->password_hash, nh) < 0)
			log_warnx("rehash of user %s failed", u->id);
		free_secret(nh);
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
	free(account);
	free(ident);
	free(phone);
	user_free(u);
	fvals_free(v, F__MAX);
	return rc;
}
