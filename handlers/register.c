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
#include "validate.h"

enum { F_EMAIL, F_USERNAME, F_PASSWORD, F_PHONE, F_CAPTCHA_ID,
    F_CAPTCHA_ANSWER, F__MAX };

/* Without CAPTCHA_SERVICE_URL the captcha fields are optional and ignored. */
static const struct field fields[F__MAX] = {
	{ "email", FT_STRING, F_REQUIRED | F_NOPREFIX, field_email, 1024 },	/* F_EMAIL */
	{ "username", FT_STRING, F_REQUIRED, field_username, 1024 },		/* F_USERNAME */
	{ "password", FT_STRING, F_REQUIRED, field_password, 4096 },		/* F_PASSWORD */
	{ "phone", FT_STRING, 0, field_phone, 64 },				/* F_PHONE */
	{ "captcha_id", FT_STRING, 0, NULL, 128 },				/* F_CAPTCHA_ID */
	{ "captcha_answer", FT_STRING, 0, NULL, 256 },				/* F_CAPTCHA_ANSWER */
};

static const struct field fields_captcha[F__MAX] = {
	{ "email", FT_STRING, F_REQUIRED | F_NOPREFIX, field_email, 1024 },	/* F_EMAIL */
	{ "username", FT_STRING, F_REQUIRED, field_username, 1024 },		/* F_USERNAME */
	{ "password", FT_STRING, F_REQUIRED, field_password, 4096 },		/* F_PASSWORD */
	{ "phone", FT_STRING, 0, field_phone, 64 },				/* F_PHONE */
	{ "captcha_id", FT_UUID, F_REQUIRED, NULL, 128 },			/* F_CAPTCHA_ID */
	{ "captcha_answer", FT_STRING, F_REQUIRED, NULL, 256 },			/* F_CAPTCHA_ANSWER */
};

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
 * email, username or phone is held; 422 on invalid fields; the captcha
 * and registration limits answer before any write.  403 when
 * REGISTRATION_ENABLED=false (SPEC §9).
 */
int
handle_register(struct req *r, struct resp *out)
{
	struct fval	 v[F__MAX];
	struct user_new	 n;
	struct user	*u = NULL;
	char		*hash = NULL;
	int		 rc;

	if (!r->cfg->registration_enabled)
		return resp_detail(out, 403, "Registration is disabled");
	if (!body_parse(r, out, 0, 0))
		return out->status;
	if (!fields_read(r, r->cfg->captcha_url ? fields_captcha : fields,
	    F__MAX, v, out))
		return out->status;
	if ((rc = throttle_register(r, out)) != 0 ||
	    (r->cfg->captcha_url != NULL && (rc = captcha_check(r->cfg, out,
	    v[F_CAPTCHA_ID].norm, v[F_CAPTCHA_ANSWER].s)) != 0))
		goto done;
	if ((rc = precheck(r, out, v[F_EMAIL].norm, v[F_USERNAME].s,
	    v[F_PHONE].norm)) != 0)
		goto done;
	if ((hash = pwhash_hash(&r->cfg->pw, v[F_PASSWORD].s,
	    v[F_PASSWORD].len)) == NULL) {
		rc = resp_detail(out, 500, "Internal Server Error");
		goto done;
	}
	memset(&n, 0, sizeof(n));
	n.email = v[F_EMAIL].norm;
	n.username = v[F_USERNAME].s;
	n.phone = v[F_PHONE].norm;
	n.password_hash = hash;
	n.role = ROLE_REGULAR;
	if ((rc = store_user_create(r->db, &n, &u)) < 0) {
		rc = conflict(r, out, rc, v[F_USERNAME].s);
		goto done;
	}
	verification_queue(r, u);
	rc = resp_json(out, 201, user_public(u));
	metrics_count(MET_REGISTRATION);
done:
	free(hash);
	user_free(u);
	fvals_free(v, F__MAX);
	return rc;
}
