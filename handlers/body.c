/*
 * Every field of a request body, declared once: its JSON name, type,
 * validator and length limit.  The route table (router.c) lists, per
 * route, which of them the body holds, in the order of the 422 entries,
 * and whether each is required; a handler reads the validated values
 * with req_field().
 */
#include <stdint.h>
#include <string.h>

#include "handlers.h"
#include "util.h"

#define IDENT_MAX	320	/* bytes of a login identifier */
#define PASSWORD_MAX	4096	/* bytes of any password */
#define TOKEN_MAX	512	/* bytes of a reset or verify token */

#define MSG_ROLE	"Input should be 'ADMIN', 'MODERATOR' or 'REGULAR'"
#define MSG_SUB		"Input should be 'FREE' or 'PRO'"
#define MSG_TIME	"Input should be a valid RFC 3339 date-time with a " \
			"time zone, e.g. 2026-11-22T10:04:05Z"

static const char *
check_role(const char *s, size_t n, char **norm)
{
	(void)norm;
	if (memchr(s, '\0', n) != NULL || role_parse(s, 0) < 0)
		return MSG_ROLE;
	return NULL;
}

static const char *
check_sub(const char *s, size_t n, char **norm)
{
	(void)norm;
	if (n == 3 && memcmp(s, "PRO", 3) == 0)
		return NULL;
	if (n == 4 && memcmp(s, "FREE", 4) == 0)
		return NULL;
	return MSG_SUB;
}

/* An RFC 3339 time after the epoch (0 stands for null in the store). */
static const char *
check_time(const char *s, size_t n, char **norm)
{
	int64_t	t;

	(void)norm;
	if (memchr(s, '\0', n) != NULL || rfc3339_parse(s, &t) == -1 || t <= 0)
		return MSG_TIME;
	return NULL;
}

/* The rules of SPEC §3. */
const struct field field_email = { "email", FT_STRING, F_NOPREFIX, check_email, 1024 };
const struct field field_username = { "username", FT_STRING, 0, check_username, 1024 };
const struct field field_password = { "password", FT_STRING, 0, check_password, PASSWORD_MAX };
const struct field field_phone = { "phone", FT_STRING, 0, check_phone, 64 };
const struct field field_new_password = { "new_password", FT_STRING, 0, check_password, PASSWORD_MAX };

/* Registration's captcha (SPEC §4). */
const struct field field_captcha_id = { "captcha_id", FT_UUID, 0, NULL, 128 };
const struct field field_captcha_answer = { "captcha_answer", FT_STRING, 0, NULL, 256 };

/* What a sign-in or a password change is given: any string, verified. */
const struct field field_ident_login = { "login", FT_STRING, 0, NULL, IDENT_MAX };
const struct field field_ident_username = { "username", FT_STRING, 0, NULL, IDENT_MAX };
const struct field field_ident_name = { "name", FT_STRING, 0, NULL, IDENT_MAX };
const struct field field_login_password = { "password", FT_STRING, 0, NULL, PASSWORD_MAX };
const struct field field_current_password = { "current_password", FT_STRING, 0, NULL, PASSWORD_MAX };

/* Tokens. */
const struct field field_refresh_token = { "refresh_token", FT_STRING, 0, NULL, 1024 };
const struct field field_logout_all = { "all", FT_BOOL, 0, NULL, 0 };
const struct field field_token = { "token", FT_STRING, 0, NULL, TOKEN_MAX };

/* Administration (PATCH /api/v1/users/{id}). */
const struct field field_account_role = { "account_role", FT_STRING, F_NOPREFIX, check_role, 16 };
const struct field field_account_subscription = { "account_subscription", FT_STRING, F_NOPREFIX, check_sub, 16 };
const struct field field_subscription_expires_at = { "subscription_expires_at", FT_STRING_OR_NULL, F_NOPREFIX, check_time, 64 };
const struct field field_is_active = { "is_active", FT_BOOL, 0, NULL, 0 };
