/*
 * The limits of SPEC §6, kept in the database so that every worker, and
 * a worker started after another died, sees the same counts.
 *
 * Buckets of throttle_events:
 *   login_ip     a failed login from a client address (window: 1 minute)
 *   login_user   a failed login of an account (LOGIN_FAILURE_WINDOW)
 *   register_ip  a registration attempt that passed validation (1 hour)
 *   token_ip     a reset-password or verify-email attempt (1 minute)
 * Client addresses are counted by ip_key(): an IPv6 client by its /64.
 * Reset emails are counted from user_tokens by the forgot-password
 * handler, not here.
 *
 * A limit of 0 switches that limit off: nothing is counted for it.
 * A request refused with 429 is not counted again, so a client that
 * waits for Retry-After gets in; the answer names the seconds until the
 * oldest counted event leaves its window (or the lockout ends).
 *
 * A login attempt is recorded as a failure before its password is
 * verified (and forgotten when it succeeds), so parallel guesses never
 * verify more than the limit; when it cannot be recorded, nothing is
 * verified (503).
 *
 * When an account reaches LOGIN_MAX_FAILURES it is locked for
 * LOGIN_LOCKOUT and its failures are forgotten, so the lockout ends on
 * time and the account starts again from a clean count: a lockout never
 * extends itself.  A successful login forgets the failures too.
 */
#include <stdint.h>

#include <string.h>

#include "config.h"
#include "audit.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define B_LOGIN_IP	"login_ip"
#define B_LOGIN_USER	"login_user"
#define B_REGISTER_IP	"register_ip"
#define B_TOKEN_IP	"token_ip"

#define MINUTE		60
#define HOUR		3600

/*
 * Counts one registration attempt of the client address against
 * REGISTER_MAX_PER_IP_PER_HOUR.  Returns 0 (counted), or 429/503 with
 * the answer in out (not counted; an attempt that cannot be recorded is
 * refused, like the other limits').
 */
int
throttle_register(struct req *r, struct resp *out)
{
	struct throttle_limit	l;
	char			ip[64];
	int64_t			retry;
	int			rc;

	if (r->cfg->register_max_ip_hour <= 0)
		return 0;
	ip_key(r->ip, ip, sizeof(ip));
	memset(&l, 0, sizeof(l));
	l.bucket = B_REGISTER_IP;
	l.key = ip;
	l.max = r->cfg->register_max_ip_hour;
	l.window = HOUR;
	if ((rc = store_throttle_take(r->db, NULL, &l, 1, &retry)) < 0)
		return resp_store_unwritable(out, rc);
	if (rc == 0)
		return resp_too_many(out, (long)retry);
	return 0;
}

/*
 * Counts one reset-password or verify-email attempt of the client
 * address against TOKEN_ATTEMPTS_PER_IP_PER_MINUTE, before the token is
 * even looked up.  Returns 0 (counted), or 429/503 with the answer in
 * out (not counted; a store failure refuses rather than letting an
 * uncounted attempt through).
 */
int
throttle_token_attempt(struct req *r, struct resp *out)
{
	struct throttle_limit	l;
	char			ip[64];
	int64_t			retry;
	int			rc;

	if (r->cfg->token_attempts_ip_min <= 0)
		return 0;
	ip_key(r->ip, ip, sizeof(ip));
	memset(&l, 0, sizeof(l));
	l.bucket = B_TOKEN_IP;
	l.key = ip;
	l.max = r->cfg->token_attempts_ip_min;
	l.window = MINUTE;
	if ((rc = store_throttle_take(r->db, NULL, &l, 1, &retry)) < 0)
		return resp_store_unwritable(out, rc);
	if (rc == 0)
		return resp_too_many(out, (long)retry);
	return 0;
}

/* Whether the per-account lockout is on. */
static int
account_limit_on(const struct req *r)
{
	return r->cfg->login_max_failures > 0 && r->cfg->login_lockout > 0;
}

/*
 * Before a password is verified: refuses (429) when the client address
 * is at LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE or the account key is
 * locked or at LOGIN_MAX_FAILURES, else records the attempt as a failure
 * of both, in one transaction.  Verifying only after recording means
 * parallel guesses cannot pass the limit: each holds its place while it
 * is verified.  When the attempt cannot be recorded the answer is 503
 * and nothing is verified, so the limits fail closed.  The account key
 * is the user's id, or "ident:<hash>" when no account matches, so an
 * unknown identifier is throttled exactly like a real account.
 * Returns 0 to go on (a finished by throttle_login_end()), or the
 * status with the answer in out.
 */
int
throttle_login_begin(struct req *r, struct resp *out, const char *account,
    struct login_attempt *a)
{
	struct throttle_limit	l[2];
	int64_t			retry;
	int			rc;

	memset(a, 0, sizeof(*a));
	a->account = account;
	if (r->cfg->login_max_fail_ip_min <= 0 && !account_limit_on(r))
		return 0;
	ip_key(r->ip, a->ip, sizeof(a->ip));
	memset(l, 0, sizeof(l));
	l[0].bucket = B_LOGIN_IP;
	l[0].key = a->ip;
	l[0].max = r->cfg->login_max_fail_ip_min;
	l[0].window = MINUTE;
	l[1].bucket = B_LOGIN_USER;
	l[1].key = account;
	l[1].max = account_limit_on(r) ? r->cfg->login_max_failures : 0;
	l[1].window = r->cfg->login_failure_window;
	rc = store_throttle_take(r->db, account_limit_on(r) ? account : NULL,
	    l, 2, &retry);
	if (rc < 0) {
		log_warnx("throttle: cannot record a login attempt, refused");
		return resp_store_unwritable(out, rc);
	}
	if (rc == 0)
		return resp_too_many(out, (long)retry);
	a->ip_row = l[0].row;
	a->user_row = l[1].row;
	return 0;
}

/*
 * After the password was verified: a success forgets the attempt and
 * the account's earlier failures; a failure stays counted, and locks the
 * account key for LOGIN_LOCKOUT once it holds LOGIN_MAX_FAILURES within
 * LOGIN_FAILURE_WINDOW (its failures then forgotten, so the lockout
 * cannot extend itself).  Store failures are logged: the attempt was
 * counted already.  The key is not logged for an unknown account: it
 * comes from what the client typed.
 */
void
throttle_login_end(struct req *r, struct login_attempt *a, int ok)
{
	int	n;

	if (ok) {
		if (a->ip_row != 0 &&
		    store_throttle_forget(r->db, a->ip_row) < 0)
			log_warnx("throttle: cannot forget a login attempt");
		if (a->user_row != 0 &&
		    store_throttle_clear(r->db, B_LOGIN_USER, a->account) < 0)
			log_warnx("throttle: cannot clear the failures of "
			    "user %s", a->account);
		return;
	}
	if (a->user_row == 0)
		return;
	n = store_throttle_failed(r->db, B_LOGIN_USER, a->account,
	    r->cfg->login_max_failures, r->cfg->login_failure_window,
	    r->cfg->login_lockout);
	if (n < 0)
		log_warnx("throttle: cannot check an account's failures");
	else if (n < r->cfg->login_max_failures)
		return;
	metrics_count(MET_LOCKOUT);
	audit_req(r, AUDIT_LOCKOUT, NULL, strncmp(a->account, "ident:", 6) !=
	    0 ? a->account : NULL, "minutes=%ld", r->cfg->login_lockout / 60);
	if (strncmp(a->account, "ident:", 6) != 0)
		log_info("user %s locked for %lds after %d failed logins",
		    a->account, r->cfg->login_lockout, n);
	else
		log_info("an unknown identifier locked for %lds after %d "
		    "failed logins", r->cfg->login_lockout, n);
}

/*
 * After a password reset: the owner proved the address and chose a new
 * password, so it works at once, lockout or not.
 */
void
throttle_account_reset(struct req *r, const char *account)
{
	if (store_throttle_clear(r->db, B_LOGIN_USER, account) < 0 ||
	    store_lockout_clear(r->db, account) < 0)
		log_warnx("throttle: cannot clear the lockout of user %s",
		    account);
}
