/*
 * The audit log of SPEC §10: one log line per security event, naming
 * the acting and the affected account ids, never a secret:
 *
 *   ... info: audit event=login_failure actor=- user=<id> ip=<addr>
 *             req=<request id> reason=bad_password
 *
 * Lines go through the logging module (stderr), so they land beside
 * the request lines of the same process; grep "audit event=".  "-"
 * stands for none/unknown (an identifier matching no account is never
 * printed: it may be a mistyped password); authctl acts as "authctl".
 * detail is free text of
 * key=value words made by the caller from ids and fixed words only.
 */
#ifndef AUTHD_AUDIT_H
#define AUTHD_AUDIT_H

#include <stdarg.h>

struct req;

enum audit_event {
	AUDIT_LOGIN_SUCCESS,
	AUDIT_LOGIN_FAILURE,
	AUDIT_LOCKOUT,
	AUDIT_PASSWORD_CHANGE,
	AUDIT_PASSWORD_RESET,
	AUDIT_SESSION_END,
	AUDIT_ROLE_CHANGE,
	AUDIT_ACTIVITY_CHANGE,
	AUDIT_ACCOUNT_DELETE,
	AUDIT_IMPORT,
	AUDIT_KEY_ROTATE,
	AUDIT_ACCOUNT_CREATE,
	AUDIT_EMAIL_VERIFY,
	AUDIT_UNLOCK,
	AUDIT__MAX
};

/* The event's name in the line ("login_failure", ...). */
const char	*audit_name(enum audit_event);

/*
 * Logs one event outside a request (authctl, the store): actor and user
 * are account ids or NULL; fmt and its arguments make the
 * key=value words that follow.
 */
void	 audit_event(enum audit_event, const char *actor, const char *user,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The same inside a request: adds the client address and the request id. */
void	 audit_req(const struct req *, enum audit_event, const char *actor,
	    const char *user, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

#endif
