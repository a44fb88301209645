/*
 * POST /api/v1/auth/logout.
 */
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "audit.h"
#include "handlers.h"
#include "util.h"

enum { F_REFRESH, F_ALL, F__MAX };

static const struct field fields[F__MAX] = {
	{ "refresh_token", FT_STRING, 0, NULL, 1024 },	/* F_REFRESH */
	{ "all", FT_BOOL, 0, NULL, 0 },			/* F_ALL */
};

/*
 * POST /api/v1/auth/logout {"refresh_token","all"}, or the refresh token
 * as Authorization: Bearer.  Revokes that session (every session of the
 * user with "all": true).  Always 204, also for unknown tokens.
 */
int
handle_logout(struct req *r, struct resp *out)
{
	struct fval	 v[F__MAX];
	unsigned char	 hash[32];
	char		*tok = NULL, uid[37];
	int		 rc;

	if (!body_parse(r, out, 0, 1) || !fields_read(r, fields, F__MAX, v,
	    out))
		return out->status;
	if (v[F_REFRESH].present && v[F_REFRESH].len > 0)
		tok = xstrndup(v[F_REFRESH].s, v[F_REFRESH].len);
	else
		tok = bearer_parse(r->authz);
	if (tok != NULL) {
		token_hash(tok, hash);
		free_secret(tok);
		rc = store_session_logout_uid(r->db, hash, v[F_ALL].present &&
		    v[F_ALL].b, uid);
		if (rc < 0)
			return resp_store_error(out, rc);
		if (rc > 0)
			audit_req(r, AUDIT_SESSION_END, uid, uid, "reason=%s",
			    v[F_ALL].present && v[F_ALL].b ? "logout_all" :
			    "logout");
	}
	fvals_free(v, F__MAX);
	return resp_empty(out, 204);
}
