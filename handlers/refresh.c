/*
 * POST /api/v1/auth/refresh.
 */
#include <stdlib.h>

#include "config.h"
#include "fields.h"
#include "handlers.h"
#include "metrics.h"
#include "util.h"

/*
 * POST /api/v1/auth/refresh {"refresh_token"}.
 * Returns 200 with a new token pair, 401 when the token is unknown,
 * spent, expired or revoked (a spent one past the grace window also
 * revokes its family), 5xx on store failure.
 */
int
handle_refresh(struct req *r, struct resp *out)
{
	const struct fval *v = req_field(r, &field_refresh_token);
	struct user	*u = NULL;
	unsigned char	 old[32], new[32];
	char		*tok, *refresh = NULL, sid[37] = "";
	int		 rc;

	tok = xstrndup(v->s, v->len);
	token_hash(tok, old);
	free_secret(tok);
	refresh = token_new(new);
	rc = store_session_rotate(r->db, old, new, r->cfg->refresh_ttl,
	    r->cfg->reuse_grace, &u, sid);
	if (rc < 0)
		rc = resp_store_error(out, rc);
	else if (rc == 0)
		rc = resp_unauthorized(out, "Invalid or expired refresh token");
	else
		rc = token_answer(r, out, u, sid, refresh);
	metrics_count(rc == 200 ? MET_REFRESH_SUCCESS : MET_REFRESH_INVALID);
	if (rc == 200) {
		/* The request line names the session's user. */
		r->user = u;
		u = NULL;
	}
	free_secret(refresh);
	user_free(u);
	return rc;
}
