/*
 * POST /api/v1/auth/register.
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
#include "pwhash.h"
#include "util.h"

/*
 * The free name with the smallest positive integer appended, the base
 * cut short so the result stays within 30 characters.
 */
static int
suggest(struct store *db, const char *name, char *out, size_t outlen)
{
	char	 num[24];
	size_t	 base;
	int	 i, rc;

	for (i = 1; i < 100000; i++) {
		snprintf(num, sizeof(num), "%d", i);
		base = strlen(name);
		if (base + strlen(num) > 30)
			base = 30 - strlen(num);
		/* Never end the cut base on a character that would form "__" or "--". */
		snprintf(out, outlen, "%.*s%s", (int)base, name, num);
		if ((rc = store_username_available(db, out)) != 0)
			return rc;
	}
	return STORE_EDB;
}

static int
username_taken(struct req *r, struct resp *out, const char *name)
{
	struct json_object	*o, *d;
	char			 s[64];
	int			 rc;

	if ((rc = suggest(r->db, name, s, sizeof(s))) < 0)
		return resp_store_error(out, rc);
	d = json_object_new_object();
	json_object_object_add(d, "message",
	    json_object_new_string("Username already taken"));
	json_object_object_add(d, "suggestion", json_object_new_string(s));
	o = json_object_new_object();
	json_object_object_add(o, "detail", d);
	return resp_json(out, 409, o);
}

static int
conflict(struct req *r, struct resp *out, int rc, const char *username)
{
	switch (rc) {
	case STORE_EEMAIL:
		return resp_detail(out, 409, "Email already registered");
	case STORE_EUSERNAME:
		return username_taken(r, out, username);
	case STORE_EPHONE:
		return resp_detail(out, 409, "Phone number already registered");
	default:
		return resp_store_error(out, rc);
	}
}

/*
 * Checks the email, the username, then the phone, before the costly
 * hash: a request that will be refused hashes nothing.
 */
static int
precheck(struct req *r, struct resp *out, const char *email,
    const char *username, const char *phone)
{
	int	rc;

	if ((rc = store_email_taken(r->db, email)) != 0)
		return conflict(r, out, rc > 0 ? STORE_EEMAIL : rc, username);
	if ((rc = store_username_available(r->db, username)) <= 0)
		return conflict(r, out, rc == 0 ? STORE_EUSERNAME : rc,
		    username);
	if (phone != NULL && (rc = store_phone_taken(r->db, phone)) != 0)
		return conflict(r, out, rc > 0 ? STORE_EPHONE : rc, username);
	return 0;
}

/*
 * POST /api/v1/auth/register {"email","username","password","phone",
 * "captcha_id","captcha_answer"}.  201 with UserPublic; 409 when the
 * email, username or phone is held; the captcha and registration limits
 * answer before any write.  The router has answered 403 when
 * REGISTRATION_ENABLED=false (SPEC §9) and 422 on invalid fields.
 */
int
handle_register(struct req *r, struct resp *out)
{
	const struct fval *email = req_field(r, &field_email);
	const struct fval *username = req_field(r, &field_username);
	const struct fval *password = req_field(r, &field_password);
	const struct fval *phone = req_field(r, &field_phone);
	struct user_new	 n;
	struct user	*u = NULL;
	char		*hash = NULL;
	int		 rc;

	if ((rc = throttle_register(r, out)) != 0 ||
	    (r->cfg->captcha_url != NULL && (rc = captcha_check(r->cfg, out,
	    req_field(r, &field_captcha_id)->norm,
	    req_field(r, &field_captcha_answer)->s)) != 0))
		goto done;
	if ((rc = precheck(r, out, email->norm, username->s,
	    phone->norm)) != 0)
		goto done;
	if ((hash = pwhash_hash(&r->cfg->pw, password->s,
	    password->len)) == NULL) {
		rc = resp_detail(out, 500, "Internal Server Error");
		goto done;
	}
	memset(&n, 0, sizeof(n));
	n.email = email->norm;
	n.username = username->s;
	n.phone = phone->norm;
	n.password_hash = hash;
	n.role = ROLE_REGULAR;
	if ((rc = store_user_create(r->db, &n, &u)) < 0) {
		rc = conflict(r, out, rc, username->s);
		goto done;
	}
	verification_queue(r, u);
	rc = resp_json(out, 201, user_public(u));
	metrics_count(MET_REGISTRATION);
done:
	free(hash);
	user_free(u);
	return rc;
}
