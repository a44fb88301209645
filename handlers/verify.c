/*
 * Email verification: the mail queued at registration,
 * POST /api/v1/auth/verify-email and POST /api/v1/auth/resend-verification.
 *
 * resend-verification answers the same 202 whatever the account's state
 * and, like forgot-password, does the work of queueing a mail when none
 * goes out (mail_decoy()), so its timing does not reveal accounts.  It
 * shares RESET_MAX_PER_ACCOUNT_PER_HOUR as the hourly limit of
 * verification mails per account (0 = none), counted on the stored
 * "verify" tokens, so the mail sent at registration counts too.
 * Failures after the account lookup are logged and answered 202; at
 * registration the account exists anyway and the user can ask again.
 * Neither the token nor the link is ever logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "config.h"
#include "fields.h"
#include "handlers.h"
#include "log.h"
#include "mail.h"
#include "util.h"

#define RESEND_MESSAGE	"If the account exists and is unverified, a " \
			"verification email has been sent."
#define VERIFY_MESSAGE	"Email verified"
#define VERIFY_INVALID	"Invalid or expired verification token"
#define HOUR		3600

/*
 * Stores a verify token for u and queues the verification mail with
 * the link <FRONTEND_URL or PUBLIC_URL>/auth/verify-email?token=<token>.
 * Failures are logged.  Returns 0 when the mail was queued, -1 when not.
 */
static int
verify_mail(const struct req *r, const struct user *u)
{
	unsigned char	 hash[32];
	char		 hours[24], qid[37], *tok, *link = NULL;
	const char	*kv[7], *f = r->cfg->frontend_url != NULL ?
			    r->cfg->frontend_url : public_url(r);
	size_t		 n;
	int		 rc = -1, qrc;

	tok = token_new(hash);
	if (store_token_create(r->db, u->id, "verify", hash,
	    r->cfg->verify_ttl) < 0) {
		log_warnx("verification: user %s: cannot store the token, no "
		    "mail sent", u->id);
		goto done;
	}
	n = strlen(f);
	while (n > 0 && f[n - 1] == '/')
		n--;
	link = xasprintf("%.*s/auth/verify-email?token=%s", (int)n, f, tok);
	snprintf(hours, sizeof(hours), "%lld",
	    (long long)(r->cfg->verify_ttl / 3600));
	kv[0] = "link";
	kv[1] = link;
	kv[2] = "hours";
	kv[3] = hours;
	kv[4] = "username";
	kv[5] = u->username;
	kv[6] = NULL;
	if ((qrc = spool_queue(r->cfg->spool_dir, "verify_email", u->email, kv,
	    qid)) != 0) {
		log_warnx("verification: user %s: the mail could not be "
		    "queued (%s)", u->id, qrc == SPOOL_EHEADER ?
		    "unsafe header value" : "spool failure");
		goto done;
	}
	log_info("verification: user %s: mail %s queued", u->id, qid);
	rc = 0;
done:
	OPENSSL_cleanse(hash, sizeof(hash));
	free_secret(tok);
	free_secret(link);
	return rc;
}

/*
 * Queues the verification mail for a user just registered (nothing for
 * an address already verified, e.g. one created as verified).  Failures
 * are logged, never answered: the account exists either way, and
 * resend-verification asks again.
 */
void
verification_queue(struct req *r, const struct user *u)
{
	if (u == NULL || u->email_verified)
		return;
	(void)verify_mail(r, u);
}

/*
 * POST /api/v1/auth/verify-email {"token"}.  200 {"message":"Email
 * verified"} when the token was good (it and the user's other
 * verification tokens are spent), 400 for an unknown, used or expired
 * token or an inactive account, 429 when the client address is over
 * TOKEN_ATTEMPTS_PER_IP_PER_MINUTE.
 */
int
handle_verify_email(struct req *r, struct resp *out)
{
	const struct fval *tok = req_field(r, &field_token);
	unsigned char	 th[32];
	int		 rc;

	if ((rc = throttle_token_attempt(r, out)) != 0)
		return rc;
	if (!token_shaped(tok->s, tok->len))
		return resp_detail(out, 400, VERIFY_INVALID);
	token_hash(tok->s, th);
	if ((rc = store_token_verify_email(r->db, th)) < 0)
		rc = resp_store_error(out, rc);
	else if (rc == 0)
		rc = resp_detail(out, 400, VERIFY_INVALID);
	else
		rc = resp_message(out, 200, VERIFY_MESSAGE);
	OPENSSL_cleanse(th, sizeof(th));
	return rc;
}

/*
 * POST /api/v1/auth/resend-verification {"email"}.  Always 202 with the
 * SPEC's message for a valid email (422 for an invalid one, a store
 * error when the lookup fails).  Queues a new verification mail only
 * for an existing, active, unverified account under its hourly limit.
 */
int
handle_resend_verification(struct req *r, struct resp *out)
{
	struct user	*u = NULL;
	const char	*uid = "";
	int		 rc, n;

	if ((rc = store_user_by_email(r->db, req_field(r, &field_email)->norm,
	    &u)) < 0)
		return resp_store_error(out, rc);
	if (u != NULL && u->is_active && u->deleted_at == 0 &&
	    !u->email_verified)
		uid = u->id;
	/* Counted for every request, so all cost the same query. */
	n = store_token_count_since(r->db, uid, "verify", now_s() - HOUR);
	if (*uid == '\0' || n < 0 || (r->cfg->reset_max_account_hour > 0 &&
	    n >= r->cfg->reset_max_account_hour)) {
		if (*uid != '\0')
			log_info("resend-verification: user %s: %s, no mail "
			    "sent", uid, n < 0 ? "cannot count mails" :
			    "hourly limit reached");
		mail_decoy(r);
	} else if (verify_mail(r, u) == -1)
		log_warnx("resend-verification: user %s: no mail sent", uid);
	rc = resp_message(out, 202, RESEND_MESSAGE);
	user_free(u);
	return rc;
}
