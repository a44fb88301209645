/*
 * Pieces shared by several handlers: the public user object, Bearer
 * authentication, token answers and password checks.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "config.h"
#include "handlers.h"
#include "jwt.h"
#include "keyring.h"
#include "log.h"
#include "mail.h"
#include "pwhash.h"
#include "util.h"

int64_t		 started_at;
/* A hash of a random password, verified for unknown identifiers. */
static char	*dummy_hash;

int
handlers_init(const struct config *conf)
{
	unsigned char	 raw[24];
	char		*pw;

	started_at = now_s();
	rand_bytes(raw, sizeof(raw));
	pw = b64url_encode(raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	dummy_hash = pwhash_hash(&conf->pw, pw, strlen(pw));
	free_secret(pw);
	return dummy_hash == NULL ? -1 : 0;
}

void
handlers_free(void)
{
	free(dummy_hash);
	dummy_hash = NULL;
	captcha_free();
}

static struct json_object *
time_or_null(int64_t t)
{
	char	ts[21];

	if (t == 0)
		return NULL;
	rfc3339(t, ts);
	return json_object_new_string(ts);
}

/*
 * Adds member k (a string literal: json-c keeps the pointer) that o does
 * not have yet: no copy of the key and no lookup, on the path of every
 * token check.
 */
static void
add_new(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_KEY_IS_CONSTANT);
}

struct json_object *
user_public(const struct user *u)
{
	struct json_object	*o = json_object_new_object();

	add_new(o, "id", json_object_new_string(u->id));
	add_new(o, "email", json_object_new_string(u->email));
	add_new(o, "username", json_object_new_string(u->username));
	add_new(o, "account_role", json_object_new_string(role_name(u->role)));
	add_new(o, "account_subscription",
	    json_object_new_string(u->pro ? "PRO" : "FREE"));
	add_new(o, "subscription_expires_at", time_or_null(u->sub_expires));
	add_new(o, "created_at", time_or_null(u->created_at));
	add_new(o, "email_verified", json_object_new_boolean(u->email_verified));
	return o;
}

struct json_object *
user_admin(const struct user *u)
{
	struct json_object	*o = user_public(u);

	json_object_object_add(o, "phone", u->phone ?
	    json_object_new_string(u->phone) : NULL);
	json_object_object_add(o, "is_active",
	    json_object_new_boolean(u->is_active));
	json_object_object_add(o, "deleted_at", time_or_null(u->deleted_at));
	return o;
}

int
auth_check(struct req *r, struct resp *out, enum role min)
{
	struct json_object	*payload = NULL;
	char			*tok;
	int			 rc, live;

	/* A Bearer header wins; without one, the cookie where allowed. */
	if (r->authz == NULL && r->cookie_ok && r->cookie != NULL)
		return cookie_check(r, out, min);
	if ((tok = bearer_parse(r->authz)) == NULL)
		return resp_unauthorized(out, "Could not validate credentials");
	rc = keyring_verify(r->cfg, tok, strlen(tok), now_s(), &r->claims,
	    &payload);
	free_secret(tok);
	if (rc == -1)
		return resp_unauthorized(out, "Could not validate credentials");
	r->token = payload;
	user_free(r->user);
	r->user = NULL;
	/* One read: the user and whether the token's session is live. */
	if ((rc = store_user_by_id_session(r->db, r->claims.sub, r->claims.sid,
	    now_s(), &r->user, &live)) < 0)
		return resp_store_error(out, rc);
	if (rc == 0)
		return resp_unauthorized(out, "Could not validate credentials");
	if (!r->user->is_active || r->user->deleted_at != 0)
		return resp_detail(out, 403,
		    "User account is deactivated or deleted");
	/*
	 * Generation, then session (docs/DECISIONS.md): a token of an
	 * ended or expired session is refused like a bad token; one
	 * without sid (issued before tokens named their session) is not
	 * tied to a session.
	 */
	if (r->claims.gen != r->user->token_gen ||
	    (r->claims.sid[0] != '\0' && !live))
		return resp_unauthorized(out, "Could not validate credentials");
	if (r->user->role < min)
		return resp_detail(out, 403, "Not enough permissions");
	return 0;
}

int
token_answer(struct req *r, struct resp *out, const struct user *u,
    const char *sid, const char *refresh)
{
	struct jwt_claims	 c;
	struct json_object	*o;
	char			*access;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", u->id);
	snprintf(c.type, sizeof(c.type), "access");
	uuid_v4(c.jti);
	snprintf(c.role, sizeof(c.role), "%s", role_name(u->role));
	snprintf(c.username, sizeof(c.username), "%s", u->username);
	c.iat = now_s();
	c.exp = c.iat + r->cfg->access_ttl;
	c.gen = u->token_gen;
	snprintf(c.sid, sizeof(c.sid), "%s", sid != NULL ? sid : "");
	access = keyring_sign(r->cfg, &c, c.iat);
	o = json_object_new_object();
	json_object_object_add(o, "access_token",
	    json_object_new_string(access));
	json_object_object_add(o, "refresh_token",
	    json_object_new_string(refresh));
	json_object_object_add(o, "token_type", json_object_new_string("bearer"));
	json_object_object_add(o, "expires_in",
	    json_object_new_int64(r->cfg->access_ttl));
	json_object_object_add(o, "user", user_public(u));
	free_secret(access);
	out->nostore = 1;
	return resp_json(out, 200, o);
}

int
login_answer(struct req *r, struct resp *out, const struct user *u)
{
	unsigned char	 hash[32];
	char		*refresh, sid[37];
	int		 rc;

	if (r->browser)
		return browser_session_answer(r, out, u);
	refresh = token_new(hash);
	rc = store_session_start(r->db, u->id, r->ua, r->ip, hash,
	    r->cfg->refresh_ttl, sid);
	if (rc < 0)
		rc = resp_store_error(out, rc);
	else
		rc = token_answer(r, out, u, sid, refresh);
	free_secret(refresh);
	return rc;
}

void
mail_decoy(struct req *r)
{
	unsigned char	 hash[32];
	char		*tok;

	tok = token_new(hash);
	if (store_token_decoy(r->db) < 0)
		log_warnx("mail decoy: database write failed");
	spool_decoy(r->cfg->spool_dir);
	free_secret(tok);
}

int
password_check(const struct req *r, const struct user *u, const char *pw,
    size_t len, int *rehash)
{
	int	rc;

	*rehash = 0;
	if (u == NULL) {
		(void)pwhash_verify(&r->cfg->pw, dummy_hash, pw, len, rehash);
		*rehash = 0;
		return 0;
	}
	if ((rc = pwhash_verify(&r->cfg->pw, u->password_hash, pw, len,
	    rehash)) == -1) {
		/* Unusable stored hash: spend the same time, refuse. */
		(void)pwhash_verify(&r->cfg->pw, dummy_hash, pw, len, rehash);
		*rehash = 0;
		return 0;
	}
	return rc;
}
