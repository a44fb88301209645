/*
 * The limits of SPEC §6, kept in the database so that every worker, and
 * a worker started after another died, sees the same counts.
 *
 * Buckets of throttle_events:
 *   login_ip     a failed login from a client address (window: 1 minute)
 *   login_user   a failed login of an account (LOGIN_FAILURE_WINDOW)
 *   register_ip  a registration attempt that passed validation (1 hour)
 * Reset emails are counted from user_tokens by the forgot-password
 * handler, not here.
 *
 * A limit of 0 switches that limit off: nothing is counted for it.
 * A request refused with 429 is not counted again, so a client that
 * waits for Retry-After gets in; the answer names the seconds until the
 * oldest counted event leaves its window (or the lockout ends).
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

#define MINUTE		60
#define HOUR		3600

/*
 * Checks a limit of max events of bucket/key per window seconds.
 * Returns 0 under the limit, 429 (with Retry-After) at or over it, or
 * the store error's status, the answer in out either way.
 */
static int
over_limit(struct req *r, struct resp *out, const char *bucket,
    const char *key, long max, long window)
{
	int64_t	now = now_s(), oldest = 0;
	int	n;

	n = store_throttle_count(r->db, bucket, key, now - window + 1,
	    &oldest);
	if (n < 0)
		return resp_store_error(out, n);
	if (n < max)
		return 0;
	return resp_too_many(out, (long)(oldest + window - now));
}

/*
 * Counts one registration attempt of the client address against
 * REGISTER_MAX_PER_IP_PER_HOUR.  Returns 0 (counted), or 429/5xx with
 * the answer in out (not counted).
 */
int
throttle_register(struct req *r, struct resp *out)
{
	int	rc;

	if (cfg.register_max_ip_hour <= 0)
		return 0;
	if ((rc = over_limit(r, out, B_REGISTER_IP, r->ip,
	    cfg.register_max_ip_hour, HOUR)) != 0)
		return rc;
	if ((rc = store_throttle_add(r->db, B_REGISTER_IP, r->ip)) < 0)
		return resp_store_error(out, rc);
	return 0;
}

/*
 * Before a login's password is checked: the client address's failures of
 * the last minute against LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE, then the
 * lockout of the account key (a user id, or the identifier when no
 * account matches, so an unknown identifier is locked out exactly like a
 * real account).  Returns 0 to go on, or 429/5xx with the answer in out.
 */
int
throttle_login_check(struct req *r, struct resp *out, const char *account)
{
	int64_t	until = 0;
	int	rc;

	if (cfg.login_max_fail_ip_min > 0 && (rc = over_limit(r, out,
	    B_LOGIN_IP, r->ip, cfg.login_max_fail_ip_min, MINUTE)) != 0)
		return rc;
	if (cfg.login_max_failures <= 0 || cfg.login_lockout <= 0)
		return 0;
	if ((rc = store_lockout_get(r->db, account, &until)) < 0)
		return resp_store_error(out, rc);
	if (rc == 0)
		return 0;
	return resp_too_many(out, (long)(until - now_s()));
}

/*
 * After a failed login: counts it for the client address and for the
 * account key, which is locked once it reaches LOGIN_MAX_FAILURES within
 * LOGIN_FAILURE_WINDOW.  Store failures are logged; the login is refused
 * anyway.  The key is not logged: for an unknown account it is what the
 * client typed.
 */
void
throttle_login_failed(struct req *r, const char *account)
{
	int64_t	now;
	int	n;

	if (cfg.login_max_fail_ip_min > 0 &&
	    store_throttle_add(r->db, B_LOGIN_IP, r->ip) < 0)
		log_warnx("throttle: cannot count a failed login");
	if (cfg.login_max_failures <= 0 || cfg.login_lockout <= 0)
		return;
	if (store_throttle_add(r->db, B_LOGIN_USER, account) < 0) {
		log_warnx("throttle: cannot count a failed login");
		return;
	}
	now = now_s();
	n = store_throttle_count(r->db, B_LOGIN_USER, account,
	    now - cfg.login_failure_window + 1, NULL);
	if (n < cfg.login_max_failures)
		return;
	if (store_lockout_set(r->db, account, now + cfg.login_lockout) < 0) {
		log_warnx("throttle: cannot lock an account");
		return;
	}
	metrics_count(MET_LOCKOUT);
	audit_req(r, AUDIT_LOCKOUT, NULL, strncmp(account, "ident:", 6) != 0 ?
	    account : NULL, "minutes=%ld", cfg.login_lockout / 60);
	if (strncmp(account, "ident:", 6) != 0)
		log_info("user %s locked for %lds after %d failed logins",
		    account, cfg.login_lockout, n);
	else
		log_info("an unknown identifier locked for %lds after %d "
		    "failed logins", cfg.login_lockout, n);
	(void)store_throttle_clear(r->db, B_LOGIN_USER, account);
}

/*
 * After a successful login: forgets the account's failures.  Only a
 * read when there are none, so the common case takes no write lock.
 */
void
throttle_login_ok(struct req *r, const char *account)
{
	if (cfg.login_max_failures <= 0 || cfg.login_lockout <= 0)
		return;
	if (store_throttle_count(r->db, B_LOGIN_USER, account, 0, NULL) > 0 &&
	    store_throttle_clear(r->db, B_LOGIN_USER, account) < 0)
		log_warnx("throttle: cannot clear the failures of user %s",
		    account);
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
