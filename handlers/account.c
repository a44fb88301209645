/*
 * The caller's own account: DELETE /api/v1/users/me and
 * POST /api/v1/users/me/password.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fields.h"
#include "audit.h"
#include "handlers.h"
#include "log.h"
#include "pwhash.h"
#include "util.h"

/*
 * DELETE /api/v1/users/me: the soft delete of SPEC §4 (anonymisation,
 * every session revoked, older access tokens refused).  204; 409 when
 * the caller is the last active ADMIN; 5xx on store failure.
 */
int
handle_me_delete(struct req *r, struct resp *out)
{
	int	rc;

	rc = store_user_delete(r->db, r->user->id);
	if (rc == STORE_ELASTADMIN)
		return resp_detail(out, 409,
		    "Cannot remove the last administrator");
	if (rc < 0)
		return resp_store_error(out, rc);
	/* 0: deleted by someone else since auth_check; the outcome stands. */
	audit_req(r, AUDIT_ACCOUNT_DELETE, r->user->id, r->user->id, "by=owner");
	return resp_empty(out, 204);
}

/*
 * POST /api/v1/users/me/password {"current_password","new_password"}.
 * 200 with a fresh token pair: every session, the caller's included, is
 * revoked and the token generation moves on, so only the new pair works.
 * 400 on a wrong current password (counted like a failed login, so a
 * stolen access token is no password oracle); 422 when the new password
 * breaks the rules of SPEC §3; 429 when throttled; 5xx on failure.
 */
int
handle_me_password(struct req *r, struct resp *out)
{
	const struct fval *cur = req_field(r, &field_current_password);
	const struct fval *pw = req_field(r, &field_new_password);
	struct login_attempt a;
	char		*hash = NULL;
	int64_t		 gen;
	int		 rc, ok, rehash;

	if ((rc = login_attempt_check(r, out, r->user, r->user->id, &a,
	    cur->s, cur->len, &ok, &rehash)) != 0)
		goto done;
	if (!ok) {
		rc = resp_detail(out, 400, "Incorrect current password");
		goto done;
	}
	if ((hash = pwhash_hash(&r->cfg->pw, pw->s, pw->len)) == NULL) {
		rc = resp_detail(out, 500, "Internal Server Error");
		goto done;
	}
	if ((rc = store_user_set_password(r->db, r->user->id, hash,
	    &gen)) < 0) {
		rc = resp_store_error(out, rc);
		goto done;
	}
	if (rc == 0) {
		/* Deactivated or deleted since auth_check. */
		rc = resp_detail(out, 403, "User account is deactivated or "
		    "deleted");
		goto done;
	}
	audit_req(r, AUDIT_PASSWORD_CHANGE, r->user->id, r->user->id, "by=owner");
	r->user->token_gen = gen;
	rc = login_answer(r, out, r->user);
done:
	free_secret(hash);
	return rc;
}
