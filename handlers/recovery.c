/*
 * Password recovery: POST /api/v1/auth/forgot-password and
 * POST /api/v1/auth/reset-password.
 *
 * forgot-password answers the same 202 whatever happens after the email
 * is found valid, and in about the same time: when no mail goes out
 * (unknown or inactive account, hourly limit reached) it still does the
 * work of queueing one (mail_decoy()), so neither the answer nor its
 * timing tells whether an account exists.  Failures after the account
 * lookup (token store, spool write) are logged and still answered 202:
 * answering them differently would reveal the account, and the user can
 * simply ask again.  Neither the token nor the link is ever logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "config.h"
#include "fields.h"
#include "audit.h"
#include "handlers.h"
#include "log.h"
#include "mail.h"
#include "pwhash.h"
#include "util.h"

#define FORGOT_MESSAGE	"If the email exists, a reset link has been sent."
#define RESET_MESSAGE	"Password has been reset successfully"
#define RESET_INVALID	"Invalid or expired reset token"
#define HOUR		3600

/*
 * The reset link for tok: RESET_PASSWORD_URL with the token appended as
 * a query parameter (after "&" when the URL already has a query), else
 * the /auth/reset-password page under FRONTEND_URL, or PUBLIC_URL
 * when FRONTEND_URL is unset.  Allocated; it holds the
 * token, so the caller frees it with free_secret().
 */
static char *
reset_link(const struct req *r, const char *tok)
{
	const char	*u = r->cfg->reset_url;
	size_t		 n;

	if (u != NULL) {
		n = strlen(u);
		if (n > 0 && (u[n - 1] == '?' || u[n - 1] == '&'))
			return xasprintf("%stoken=%s", u, tok);
		return xasprintf("%s%ctoken=%s", u,
		    strchr(u, '?') != NULL ? '&' : '?', tok);
	}
	/* FRONTEND_URL unset: authd's own page (SPEC §9) under PUBLIC_URL. */
	u = r->cfg->frontend_url != NULL ? r->cfg->frontend_url :
	    public_url(r);
	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		n--;
	return xasprintf("%.*s/auth/reset-password?token=%s", (int)n, u, tok);
}

/*
 * Sends a reset mail to u when it is an active account under its hourly
 * limit; otherwise does the decoy work.  Everything is logged, nothing
 * is answered: the caller answers 202 in every case.
 */
static void
reset_mail(struct req *r, const struct user *u)
{
	unsigned char	 hash[32];
	char		 minutes[24], qid[37], *tok = NULL, *link = NULL;
	const char	*kv[7];
	int		 n, rc;

	if (u == NULL || !u->is_active || u->deleted_at != 0) {
		/* The same count query as a real account costs. */
		(void)store_token_count_since(r->db, "", "reset",
		    now_s() - HOUR);
		mail_decoy(r);
		return;
	}
	n = store_token_count_since(r->db, u->id, "reset", now_s() - HOUR);
	if (n < 0) {
		log_warnx("forgot-password: user %s: cannot count reset "
		    "mails, none sent", u->id);
		mail_decoy(r);
		return;
	}
	if (r->cfg->reset_max_account_hour > 0 &&
	    n >= r->cfg->reset_max_account_hour) {
		log_info("forgot-password: user %s reached %ld reset mails "
		    "this hour, none sent", u->id,
		    r->cfg->reset_max_account_hour);
		mail_decoy(r);
		return;
	}
	tok = token_new(hash);
	if ((rc = store_token_create(r->db, u->id, "reset", hash,
	    r->cfg->reset_ttl)) < 0) {
		log_warnx("forgot-password: user %s: cannot store the reset "
		    "token, no mail sent", u->id);
		goto done;
	}
	link = reset_link(r, tok);
	snprintf(minutes, sizeof(minutes), "%lld",
	    (long long)(r->cfg->reset_ttl / 60));
	kv[0] = "link";
	kv[1] = link;
	kv[2] = "minutes";
	kv[3] = minutes;
	kv[4] = "username";
	kv[5] = u->username;
	kv[6] = NULL;
	if ((rc = spool_queue(r->cfg->spool_dir, "reset_password", u->email,
	    kv, qid)) != 0)
		log_warnx("forgot-password: user %s: the reset mail could not "
		    "be queued (%s)", u->id, rc == SPOOL_EHEADER ?
		    "unsafe header value" : "spool failure");
	else
		log_info("forgot-password: user %s: reset mail %s queued",
		    u->id, qid);
done:
	OPENSSL_cleanse(hash, sizeof(hash));
	free_secret(tok);
	free_secret(link);
}

/*
 * POST /api/v1/auth/forgot-password {"email"}.  Always 202 with the
 * SPEC's message for a valid email, whether or not an account holds it
 * (422 for an invalid one, a store error when the lookup itself fails).
 * For an active account under RESET_MAX_PER_ACCOUNT_PER_HOUR reset mails
 * in the last hour, stores a new single-use reset token (its hash only)
 * and queues the reset mail.
 */
int
handle_forgot_password(struct req *r, struct resp *out)
{
	struct user	*u = NULL;
	int		 rc;

	if ((rc = store_user_by_email(r->db, req_field(r, &field_email)->norm,
	    &u)) < 0)
		return resp_store_error(out, rc);
	reset_mail(r, u);
	rc = resp_message(out, 202, FORGOT_MESSAGE);
	user_free(u);
	return rc;
}

/*
 * POST /api/v1/auth/reset-password {"token","new_password"}.  200 when
 * the token was good: the password is replaced, the token spent, the
 * user's other reset tokens voided, every session revoked and older
 * access tokens refused.  400 for an unknown, used or expired token;
 * 422 when new_password breaks the password rules; 429 when the client
 * address is over TOKEN_ATTEMPTS_PER_IP_PER_MINUTE.  The new password
 * is hashed only once the token is known to be live.
 */
int
handle_reset_password(struct req *r, struct resp *out)
{
	const struct fval *tok = req_field(r, &field_token);
	const struct fval *pw = req_field(r, &field_new_password);
	unsigned char	 th[32];
	char		 uid[37];
	char		*hash = NULL;
	int		 rc;

	if ((rc = throttle_token_attempt(r, out)) != 0)
		goto done;
	/* Anything token_new() cannot have made fails at once. */
	if (!token_shaped(tok->s, tok->len)) {
		rc = resp_detail(out, 400, RESET_INVALID);
		goto done;
	}
	/*
	 * The costly hash only for a live token: a guessed one costs a
	 * lookup.  The reset below checks the token again in its own
	 * transaction, so one spent meanwhile still answers 400.
	 */
	token_hash(tok->s, th);
	if ((rc = store_token_live(r->db, th, "reset")) <= 0) {
		rc = rc < 0 ? resp_store_error(out, rc) :
		    resp_detail(out, 400, RESET_INVALID);
		goto done;
	}
	if ((hash = pwhash_hash(&r->cfg->pw, pw->s, pw->len)) == NULL) {
		rc = resp_detail(out, 500, "Internal Server Error");
		goto done;
	}
	if ((rc = store_token_reset_password(r->db, th, hash, uid)) < 0)
		rc = resp_store_error(out, rc);
	else if (rc == 0)
		rc = resp_detail(out, 400, RESET_INVALID);
	else {
		/* The owner proved the address: the new password works now. */
		throttle_account_reset(r, uid);
		audit_req(r, AUDIT_PASSWORD_RESET, NULL, uid,
		    "via=reset_token");
		rc = resp_message(out, 200, RESET_MESSAGE);
	}
done:
	OPENSSL_cleanse(th, sizeof(th));
	free_secret(hash);
	return rc;
}
