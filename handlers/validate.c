/*
 * GET|POST /api/v1/auth/validate: the token check behind nginx's
 * auth_request, the hottest path of the system.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "handlers.h"
#include "util.h"

#define NEWKEY	(JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT)

/* The demanded role from ?role= or X-Require-Role; -1 unknown, 0 none. */
static int
demanded_role(struct req *r)
{
	char	*q;
	int	 role;

	if (query_param(r->query, "role", &q) < 0)
		return -1;
	if (q == NULL && r->req_role != NULL)
		q = xstrdup(r->req_role);
	if (q == NULL || *q == '\0') {
		free(q);
		return ROLE_REGULAR;
	}
	role = role_parse(q, 1);
	free(q);
	return role;
}

/*
 * Valid token → 200 {"valid":true,"user":UserPublic,"token":{claims}}
 * with X-User-* headers; 401 missing/invalid; 403 deactivated or below
 * the demanded role; 400 unknown role name.  Order: token, account,
 * generation, role.  Without an Authorization header the session cookie
 * of SPEC §9 is accepted, with the same answers.
 */
int
handle_validate(struct req *r, struct resp *out)
{
	struct json_object	*o;
	int			 role, rc;

	if ((role = demanded_role(r)) < 0)
		return resp_detail(out, 400, "Unknown role");
	r->cookie_ok = 1;
	if ((rc = auth_check(r, out, (enum role)role)) != 0)
		return rc;
	/* Keys new and constant: no copy, no lookup (the hottest path). */
	o = json_object_new_object();
	json_object_object_add_ex(o, "valid", json_object_new_boolean(1), NEWKEY);
	json_object_object_add_ex(o, "user", user_public(r->user), NEWKEY);
	json_object_object_add_ex(o, "token", json_object_get(r->token), NEWKEY);
	resp_header(out, "X-User-Id", r->user->id);
	resp_header(out, "X-User-Name", r->user->username);
	resp_header(out, "X-User-Email", r->user->email);
	resp_header(out, "X-User-Role", role_name(r->user->role));
	return resp_json(out, 200, o);
}
