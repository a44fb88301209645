/*
 * Validators for the fields of SPEC §3.  Pure functions: each returns
 * NULL when the value is valid, else the SPEC's exact message (a static
 * string).  Lengths are counted in Unicode code points; input that is not
 * valid UTF-8 or holds a NUL byte is invalid.
 */
#ifndef AUTHD_VALIDATE_H
#define AUTHD_VALIDATE_H

#include <stddef.h>

/*
 * Email: lower-cases, then checks.  On success *norm gets the allocated
 * lower-cased address.  The message is the full pydantic-style text
 * ("value is not a valid email address: ...") and is NOT prefixed with
 * "Value error, " in a 422 entry.
 */
const char	*validate_email(const char *in, size_t len, char **norm);
/* Username rules 1-8 of SPEC §3, first failure wins. */
const char	*validate_username(const char *in, size_t len);
/* Password rules of SPEC §3, first failure wins. */
const char	*validate_password(const char *in, size_t len);
/* Phone: normalises to E.164; on success *norm gets the allocated value. */
const char	*validate_phone(const char *in, size_t len, char **norm);
/* Normalises a login identifier that may be a phone (no validation); allocated. */
char		*phone_normalise(const char *in);
/* Number of code points in valid UTF-8, or -1 when not valid UTF-8 or holding NUL. */
long		 utf8_len(const char *, size_t);

#endif
