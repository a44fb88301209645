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
/*
 * Username rules 1-8 of SPEC §3, first failure wins, then a name that
 * looks like a phone number (phone_like()) is refused (DECISIONS.md).
 */
const char	*validate_username(const char *in, size_t len);
/* Password rules of SPEC §3, first failure wins. */
const char	*validate_password(const char *in, size_t len);
/* Phone: normalises to E.164; on success *norm gets the allocated value. */
const char	*validate_phone(const char *in, size_t len, char **norm);
/* Normalises a login identifier that may be a phone (no validation); allocated. */
char		*phone_normalise(const char *in);
/*
 * 1 when the n bytes look like a phone number to the login: digits and
 * the separators the phone normalisation drops (space - . ( )), at most
 * one '+' before the first digit, and at least 8 digits.
 */
int		 phone_like(const char *, size_t n);
/*
 * A UUID in one of the forms pydantic accepts (hyphenated, 32 hex
 * digits, {braced}, urn:uuid:), any case.  Returns NULL with the
 * canonical lower-case hyphenated form in out, else err filled with the
 * uuid crate's message pydantic reports (for "Input should be a valid
 * UUID, <err>").
 */
const char	*validate_uuid(const char *in, size_t len, char out[37],
		    char *err, size_t errlen);
/* Number of code points in valid UTF-8, or -1 when not valid UTF-8 or holding NUL. */
long		 utf8_len(const char *, size_t);

#endif
