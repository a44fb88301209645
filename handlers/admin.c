/*
 * Administration: GET /api/v1/users, GET|PATCH|DELETE /api/v1/users/{id},
 * and the first administrator created at start from ADMIN_EMAIL,
 * ADMIN_USERNAME and ADMIN_PASSWORD.
 *
 * The router has checked the role (MODERATOR reads, ADMIN writes).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "fields.h"
#include "audit.h"
#include "handlers.h"
#include "log.h"
#include "pwhash.h"
#include "util.h"
#include "validate.h"

#define LIMIT_DEFAULT	50
#define LIMIT_MAX	100
#define Q_MAX		256	/* bytes of the search string */

#define MSG_RESERVED	"This username is reserved and cannot be used."

/* A 422 entry for a query parameter, in the shape of SPEC §1. */
static struct json_object *
query_entry(const char *type, const char *name, const char *msg,
    const char *input)
{
	struct json_object	*e = json_object_new_object();
	struct json_object	*loc = json_object_new_array();

	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_array_add(loc, json_object_new_string("query"));
	json_object_array_add(loc, json_object_new_string(name));
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "input", json_object_new_string(input));
	return e;
}

/* The 422 entry of a query parameter that is not URL-encoded UTF-8. */
static struct json_object *
undecodable(const char *name)
{
	struct json_object	*e = query_entry("value_error", name,
	    "Value error, the parameter is not valid URL-encoded UTF-8", "");

	json_object_object_add(e, "input", NULL);
	return e;
}

/*
 * Reads the integer query parameter name into *v (def when absent),
 * demanding lo <= *v <= hi.  Returns NULL, or the 422 entry.
 */
static struct json_object *
query_long(const char *query, const char *name, long def, long lo, long hi,
    long *v)
{
	struct json_object	*e = NULL;
	char			*s, *end, msg[80];
	long			 n;
	int			 rc;

	*v = def;
	if ((rc = query_param(query, name, &s)) < 0)
		return undecodable(name);
	if (rc == 0)
		return NULL;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE)
		e = query_entry("int_parsing", name, "Input should be a valid "
		    "integer, unable to parse string as an integer", s);
	else if (n < lo) {
		snprintf(msg, sizeof(msg), "Input should be greater than or "
		    "equal to %ld", lo);
		e = query_entry("greater_than_equal", name, msg, s);
	} else if (n > hi) {
		snprintf(msg, sizeof(msg), "Input should be less than or "
		    "equal to %ld", hi);
		e = query_entry("less_than_equal", name, msg, s);
	} else
		*v = n;
	free(s);
	return e;
}

static void
add_entry(struct json_object **list, struct json_object *e)
{
	if (e == NULL)
		return;
	if (*list == NULL)
		*list = json_object_new_array();
	json_object_array_add(*list, e);
}

/*
 * GET /api/v1/users?limit=50&offset=0&q=<substring>: users in creation
 * order, deleted ones included (their deleted_at set), as
 * {"items":[UserPublic+{"phone","is_active","deleted_at"}],"total":N}.
 * limit 1..100, offset >= 0, q a case-insensitive substring of the email
 * or username; a bad parameter is a 422 with loc ["query", name].
 */
int
handle_users_list(struct req *r, struct resp *out)
{
	struct json_object	*errs = NULL, *items, *o;
	struct user		**users = NULL;
	char			*q, msg[64];
	size_t			 n = 0, i;
	long			 limit, offset, total;
	int			 rc;

	add_entry(&errs, query_long(r->query, "limit", LIMIT_DEFAULT, 1,
	    LIMIT_MAX, &limit));
	add_entry(&errs, query_long(r->query, "offset", 0, 0, LONG_MAX,
	    &offset));
	if (query_param(r->query, "q", &q) < 0)
		add_entry(&errs, undecodable("q"));
	else if (q != NULL && strlen(q) > Q_MAX) {
		snprintf(msg, sizeof(msg), "String should have at most %d "
		    "characters", Q_MAX);
		add_entry(&errs, query_entry("string_too_long", "q", msg, q));
	}
	if (errs != NULL) {
		rc = resp_422(out, errs);
		goto done;
	}
	if ((rc = store_users_list(r->db, q, limit, offset, &users, &n,
	    &total)) < 0) {
		rc = resp_store_error(out, rc);
		goto done;
	}
	items = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(items, user_admin(users[i]));
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", json_object_new_int64(total));
	rc = resp_json(out, 200, o);
done:
	users_free(users, n);
	free(q);
	return rc;
}

/*
 * GET /api/v1/users/{id}: the administration object of any user, deleted
 * ones included; 404 "User not found".
 */
int
handle_user_get(struct req *r, struct resp *out)
{
	struct user	*u = NULL;
	int		 rc;

	if ((rc = store_user_by_id(r->db, r->params[0], &u)) < 0)
		return resp_store_error(out, rc);
	if (rc == 0)
		return resp_detail(out, 404, "User not found");
	rc = resp_json(out, 200, user_admin(u));
	user_free(u);
	return rc;
}

/*
 * PATCH /api/v1/users/{id} with any of account_role,
 * account_subscription, subscription_expires_at (RFC 3339 or null) and
 * is_active.  200 with the updated object; deactivation ends the user's
 * sessions and voids their access tokens.  404 for an unknown or deleted
 * user; 409 when it would leave no active ADMIN; 422 on bad fields.
 */
int
handle_user_patch(struct req *r, struct resp *out)
{
	const struct fval	*role = req_field(r, &field_account_role);
	const struct fval	*sub = req_field(r, &field_account_subscription);
	const struct fval	*expires =
	    req_field(r, &field_subscription_expires_at);
	const struct fval	*active = req_field(r, &field_is_active);
	struct user_patch	 p;
	struct user		*u = NULL;
	int			 rc;

	memset(&p, 0, sizeof(p));
	if (role->present) {
		p.set_role = 1;
		p.role = (enum role)role_parse(role->s, 0);
	}
	if (sub->present) {
		p.set_pro = 1;
		p.pro = strcmp(sub->s, "PRO") == 0;
	}
	if (expires->present) {
		p.set_sub_expires = 1;
		if (!expires->is_null)
			(void)rfc3339_parse(expires->s, &p.sub_expires);
	}
	if (active->present) {
		p.set_active = 1;
		p.active = active->b;
	}
	rc = store_user_patch(r->db, r->params[0], &p, &u);
	if (rc == STORE_ELASTADMIN)
		rc = resp_detail(out, 409, "Cannot remove the last administrator");
	else if (rc < 0)
		rc = resp_store_error(out, rc);
	else if (rc == 0)
		rc = resp_detail(out, 404, "User not found");
	else {
		log_info("user %s changed by administrator %s", u->id,
		    r->user->id);
		if (p.set_role)
			audit_req(r, AUDIT_ROLE_CHANGE, r->user->id, u->id,
			    "role=%s", role_name(p.role));
		if (p.set_active)
			audit_req(r, AUDIT_ACTIVITY_CHANGE, r->user->id, u->id,
			    "active=%s", p.active ? "true" : "false");
		rc = resp_json(out, 200, user_admin(u));
	}
	user_free(u);
	return rc;
}

/*
 * DELETE /api/v1/users/{id}: the soft delete of SPEC §4.  204; 404 for
 * an unknown or already deleted user; 409 for the last active ADMIN.
 */
int
handle_user_delete(struct req *r, struct resp *out)
{
	int	rc;

	rc = store_user_delete(r->db, r->params[0]);
	if (rc == STORE_ELASTADMIN)
		return resp_detail(out, 409,
		    "Cannot remove the last administrator");
	if (rc < 0)
		return resp_store_error(out, rc);
	if (rc == 0)
		return resp_detail(out, 404, "User not found");
	audit_req(r, AUDIT_ACCOUNT_DELETE, r->user->id, r->params[0], "by=admin");
	return resp_empty(out, 204);
}

/*
 * Checks the ADMIN_* values with the rules of SPEC §3.  The username may
 * be a reserved one: those names are kept from the public so that the
 * operator can give them to the administrator.  0, or -1 (logged).
 */
static int
bootstrap_check(const struct config *conf, char **email)
{
	const char	*m;

	*email = NULL;
	if ((m = validate_email(conf->admin_email, strlen(conf->admin_email),
	    email)) != NULL) {
		log_warnx("ADMIN_EMAIL: %s", m);
		return -1;
	}
	if ((m = validate_username(conf->admin_username,
	    strlen(conf->admin_username))) != NULL &&
	    strcmp(m, MSG_RESERVED) != 0) {
		log_warnx("ADMIN_USERNAME: %s", m);
		return -1;
	}
	if ((m = validate_password(conf->admin_password,
	    strlen(conf->admin_password))) != NULL) {
		log_warnx("ADMIN_PASSWORD: %s", m);
		return -1;
	}
	return 0;
}

/*
 * Creates the administrator of ADMIN_EMAIL/ADMIN_USERNAME/ADMIN_PASSWORD
 * (email marked verified: the operator vouches for it) when the three
 * are set and no active ADMIN exists.  Invalid values, or an email or
 * username already held by another account, stop the start.  0 or -1
 * (logged).
 */
int
admin_bootstrap(const struct config *conf)
{
	struct store	*st = NULL;
	struct user_new	 n;
	struct user	*u = NULL;
	char		*email = NULL, *hash = NULL;
	int		 rc, ret = -1;

	if (conf->admin_email == NULL)
		return 0;
	if (bootstrap_check(conf, &email) == -1)
		goto done;
	if (store_open(conf->database_path, conf, &st) == -1)
		goto done;
	if ((rc = store_admin_exists(st)) < 0) {
		log_warnx("admin bootstrap: cannot read the users");
		goto done;
	}
	if (rc > 0) {
		ret = 0;
		goto done;
	}
	if ((hash = pwhash_hash(&conf->pw, conf->admin_password,
	    strlen(conf->admin_password))) == NULL)
		goto done;
	memset(&n, 0, sizeof(n));
	n.email = email;
	n.username = conf->admin_username;
	n.password_hash = hash;
	n.role = ROLE_ADMIN;
	n.email_verified = 1;
	rc = store_user_create(st, &n, &u);
	/*
	 * Processes started together (spawn-fcgi -F N) race to create it:
	 * a conflict with an administrator that now exists is a loss of
	 * that race, not a failure.
	 */
	if ((rc == STORE_EEMAIL || rc == STORE_EUSERNAME) &&
	    store_admin_exists(st) > 0) {
		ret = 0;
		goto done;
	}
	if (rc == STORE_EEMAIL)
		log_warnx("ADMIN_EMAIL: %s is already registered to an account "
		    "that is not an active administrator", email);
	else if (rc == STORE_EUSERNAME)
		log_warnx("ADMIN_USERNAME: %s is already taken by an account "
		    "that is not an active administrator", conf->admin_username);
	else if (rc < 0)
		log_warnx("admin bootstrap: cannot create the administrator");
	else {
		log_info("created administrator %s (%s)", u->username, u->id);
		ret = 0;
	}
done:
	user_free(u);
	free_secret(hash);
	free(email);
	store_close(st);
	return ret;
}
