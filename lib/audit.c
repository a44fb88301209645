/*
 * The audit log: see audit.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "audit.h"
#include "http.h"
#include "log.h"

static const char *const names[AUDIT__MAX] = {
	"login_success",	/* AUDIT_LOGIN_SUCCESS */
	"login_failure",	/* AUDIT_LOGIN_FAILURE */
	"lockout",		/* AUDIT_LOCKOUT */
	"password_change",	/* AUDIT_PASSWORD_CHANGE */
	"password_reset",	/* AUDIT_PASSWORD_RESET */
	"session_end",		/* AUDIT_SESSION_END */
	"role_change",		/* AUDIT_ROLE_CHANGE */
	"activity_change",	/* AUDIT_ACTIVITY_CHANGE */
	"account_delete",	/* AUDIT_ACCOUNT_DELETE */
	"import",		/* AUDIT_IMPORT */
	"key_rotate",		/* AUDIT_KEY_ROTATE */
	"account_create",	/* AUDIT_ACCOUNT_CREATE */
	"email_verify",		/* AUDIT_EMAIL_VERIFY */
	"lockout_clear",	/* AUDIT_UNLOCK */
};

const char *
audit_name(enum audit_event ev)
{
	return ev < AUDIT__MAX ? names[ev] : "unknown";
}

/* Writes one line; every field is escaped (the ids are ours, but still). */
static void
audit_line(enum audit_event ev, const char *actor, const char *user,
    const char *ip, const char *reqid, const char *fmt, va_list ap)
{
	char	a[80], u[80], i[80], q[80], raw[256], d[256];

	log_escape(actor ? actor : "-", a, sizeof(a));
	log_escape(user ? user : "-", u, sizeof(u));
	log_escape(ip ? ip : "-", i, sizeof(i));
	log_escape(reqid ? reqid : "-", q, sizeof(q));
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(raw, d, sizeof(d));
	log_info("audit event=%s actor=%s user=%s ip=%s req=%s%s%s",
	    audit_name(ev), a, u, i, q, d[0] != '\0' ? " " : "", d);
}

void
audit_event(enum audit_event ev, const char *actor, const char *user,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	audit_line(ev, actor, user, NULL, NULL, fmt, ap);
	va_end(ap);
}

void
audit_req(const struct req *r, enum audit_event ev, const char *actor,
    const char *user, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	audit_line(ev, actor, user, r ? r->ip : NULL, r ? r->reqid : NULL,
	    fmt, ap);
	va_end(ap);
}
