/*
 * POST /api/v1/auth/logout.
 */
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "audit.h"
#include "handlers.h"
#include "util.h"

/*
 * POST /api/v1/auth/logout {"refresh_token","all"}, or the refresh token
 * as Authorization: Bearer.  Revokes that session (every session of the
 * user with "all": true).  Always 204, also for unknown tokens.
 */
int
handle_logout(struct req *r, struct resp *out)
{
	const struct fval *refresh = req_field(r, &field_refresh_token);
	const struct fval *all = req_field(r, &field_logout_all);
	unsigned char	 hash[32];
	char		*tok = NULL, uid[37];
	int		 rc;

	if (refresh->present && refresh->len > 0)
		tok = xstrndup(refresh->s, refresh->len);
	else
		tok = bearer_parse(r->authz);
	if (tok != NULL) {
		token_hash(tok, hash);
		free_secret(tok);
		rc = store_session_logout_uid(r->db, hash, all->present &&
		    all->b, uid);
		if (rc < 0)
			return resp_store_error(out, rc);
		if (rc > 0)
			audit_req(r, AUDIT_SESSION_END, uid, uid, "reason=%s",
			    all->present && all->b ? "logout_all" :
			    "logout");
	}
	return resp_empty(out, 204);
}
