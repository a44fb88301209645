/*
 * The current user: GET /api/v1/users/me and the protected test data.
 */
#include <json-c/json.h>

#include "handlers.h"

/* GET /api/v1/users/me → UserPublic of the caller. */
int
handle_me_get(struct req *r, struct resp *out)
{
	return resp_json(out, 200, user_public(r->user));
}

/* GET /api/v1/data/test-data. */
int
handle_test_data(struct req *r, struct resp *out)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "message",
	    json_object_new_string("This is protected test data"));
	json_object_object_add(o, "user_id",
	    json_object_new_string(r->user->id));
	return resp_json(out, 200, o);
}
