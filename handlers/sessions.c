/*
 * The caller's sessions: GET /api/v1/users/me/sessions and
 * DELETE /api/v1/users/me/sessions/{id}.
 */
#include <json-c/json.h>

#include <stdio.h>

#include "audit.h"
#include "handlers.h"

/*
 * GET /api/v1/users/me/sessions: the caller's live sessions (neither
 * revoked nor expired), newest first, as
 * [{"id","created_at","last_used_at","expires_at","user_agent","ip"}].
 */
int
handle_sessions_list(struct req *r, struct resp *out)
{
	struct json_object	*list;
	int			 rc;

	if ((rc = store_sessions_list(r->db, r->user->id, &list)) < 0)
		return resp_store_error(out, rc);
	return resp_json(out, 200, list);
}

/*
 * DELETE /api/v1/users/me/sessions/{id}: revokes one live session of the
 * caller (its refresh token stops working).  204, or 404 when the id is
 * unknown, not the caller's, already revoked or expired.
 */
int
handle_session_delete(struct req *r, struct resp *out)
{
	int	rc;

	if ((rc = store_session_revoke(r->db, r->user->id,
	    r->params[0])) < 0)
		return resp_store_error(out, rc);
	if (rc == 0)
		return resp_detail(out, 404, "Session not found");
	audit_req(r, AUDIT_SESSION_END, r->user->id, r->user->id,
	    "reason=revoked");
	return resp_empty(out, 204);
}
