/*
 * Validators for the fields of SPEC §3.
 *
 * Every validator takes (pointer, length), may be handed embedded NUL
 * bytes, and returns NULL when the value is valid or a static message.
 * Nothing is allocated on failure; *norm is set to NULL then.
 *
 * Decisions where SPEC §3 is silent:
 *
 * - Input that is not valid UTF-8 (overlong forms, surrogates, code
 *   points past U+10FFFF, truncated sequences) or holds a NUL byte:
 *   - email: "value is not a valid email address: The email address
 *     contains unsafe characters." (also for C0 controls and DEL, so
 *     CR, LF and TAB anywhere give this message);
 *   - username: the rule-6 message, before any other rule, since the
 *     value can only contain letters, numbers, '_' and '-' anyway;
 *   - password: "Password contains invalid characters", before any
 *     other rule (none of the four SPEC messages would be true);
 *   - phone: the SPEC's phone message.
 * - Email follows python email-validator's wording, without the
 *   details it appends in parentheses or after a colon (character
 *   counts, the offending characters), so that every message is a
 *   static string.  Only ASCII addresses are accepted: the local part
 *   is RFC 5322 atext plus dots, the domain labels are [a-z0-9-].
 *   Lengths: at most 254 bytes in all, 64 before the '@', 63 per label.
 * - Username "whitespace" is what Python's str.isspace() accepts, so
 *   the rules match the service this one replaces: U+0009..U+000D,
 *   U+001C..U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
 *   U+2029, U+202F, U+205F and U+3000.
 * - Password "digit" is an ASCII digit.  A "letter" is an ASCII letter
 *   or a code point from U+0080 up that is not whitespace (as above)
 *   and not in a small table of ranges known to hold no letters
 *   (controls, Latin-1 symbols, combining marks, general punctuation
 *   and symbol blocks, CJK punctuation, private use, variation
 *   selectors, fullwidth ASCII punctuation, emoji and the like).  This
 *   approximates Python's str.isalpha() without Unicode tables; it
 *   errs towards calling a character a letter.
 * - Phone: "spaces" means the ASCII whitespace characters (space, TAB,
 *   LF, VT, FF, CR), as Python's \s does for ASCII; only ASCII digits
 *   count, and the leading "00" is looked for after the separators are
 *   dropped.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "validate.h"

#define EMAIL_PFX	"value is not a valid email address: "

#define EMAIL_MAX	254
#define EMAIL_LOCAL_MAX	64
#define EMAIL_LABEL_MAX	63

#define USER_MIN	3
#define USER_MAX	30
#define PASS_MIN	6
#define PASS_MAX	128
#define PHONE_MIN	8
#define PHONE_MAX	15

enum emsg {
	EM_UNSAFE,
	EM_ONE_AT,
	EM_NO_LOCAL,
	EM_NO_DOMAIN,
	EM_TOO_LONG,
	EM_LOCAL_LONG,
	EM_LOCAL_CHARS,
	EM_LOCAL_START_DOT,
	EM_LOCAL_END_DOT,
	EM_TWO_DOTS,
	EM_DOMAIN_CHARS,
	EM_DOMAIN_END_DOT,
	EM_DOMAIN_START_DOT,
	EM_DOMAIN_END_HYPHEN,
	EM_DOMAIN_START_HYPHEN,
	EM_DOT_HYPHEN,
	EM_NO_PERIOD,
	EM_LABEL_LONG,
	EM_TLD,
	EM__MAX
};

static const char *const email_msgs[EM__MAX] = {
	/* EM_UNSAFE */
	EMAIL_PFX "The email address contains unsafe characters.",
	/* EM_ONE_AT */
	EMAIL_PFX "The email address is not valid. "
	    "It must have exactly one @-sign.",
	/* EM_NO_LOCAL */
	EMAIL_PFX "There must be something before the @-sign.",
	/* EM_NO_DOMAIN */
	EMAIL_PFX "There must be something after the @-sign.",
	/* EM_TOO_LONG */
	EMAIL_PFX "The email address is too long.",
	/* EM_LOCAL_LONG */
	EMAIL_PFX "The email address is too long before the @-sign.",
	/* EM_LOCAL_CHARS */
	EMAIL_PFX "The email address contains invalid characters "
	    "before the @-sign.",
	/* EM_LOCAL_START_DOT */
	EMAIL_PFX "An email address cannot start with a period.",
	/* EM_LOCAL_END_DOT */
	EMAIL_PFX "An email address cannot have a period immediately "
	    "before the @-sign.",
	/* EM_TWO_DOTS */
	EMAIL_PFX "An email address cannot have two periods in a row.",
	/* EM_DOMAIN_CHARS */
	EMAIL_PFX "The part after the @-sign contains invalid characters.",
	/* EM_DOMAIN_END_DOT */
	EMAIL_PFX "An email address cannot end with a period.",
	/* EM_DOMAIN_START_DOT */
	EMAIL_PFX "An email address cannot have a period immediately "
	    "after the @-sign.",
	/* EM_DOMAIN_END_HYPHEN */
	EMAIL_PFX "An email address cannot end with a hyphen.",
	/* EM_DOMAIN_START_HYPHEN */
	EMAIL_PFX "An email address cannot have a hyphen immediately "
	    "after the @-sign.",
	/* EM_DOT_HYPHEN */
	EMAIL_PFX "An email address cannot have a period and a hyphen "
	    "next to each other.",
	/* EM_NO_PERIOD */
	EMAIL_PFX "The part after the @-sign is not valid. "
	    "It should have a period.",
	/* EM_LABEL_LONG */
	EMAIL_PFX "After the @-sign, periods cannot be separated by so "
	    "many characters.",
	/* EM_TLD */
	EMAIL_PFX "The part after the @-sign is not valid. "
	    "It is not within a valid top-level domain.",
};

static const char MSG_USER_EMPTY[] =
    "The username cannot be empty or consist only of whitespace.";
static const char MSG_USER_EDGE[] =
    "The username cannot contain spaces at the beginning or end.";
static const char MSG_USER_SHORT[] =
    "Username must be at least 3 characters long.";
static const char MSG_USER_LONG[] =
    "Username cannot be longer than 30 characters.";
static const char MSG_USER_AT[] =
    "Username cannot contain '@' symbol.";
static const char MSG_USER_CHARS[] =
    "Username can only contain letters, numbers, underscores (_), "
    "and hyphens (-).";
static const char MSG_USER_RESERVED[] =
    "This username is reserved and cannot be used.";
/* Not in the SPEC: see docs/DECISIONS.md (issue 9). */
static const char MSG_USER_PHONE[] =
    "Username cannot look like a phone number.";
static const char MSG_USER_REPEAT[] =
    "Username cannot contain consecutive underscores or hyphens.";

static const char MSG_PASS_SHORT[] =
    "Password must be at least 6 characters long";
static const char MSG_PASS_DIGIT[] =
    "Password must contain at least one digit";
static const char MSG_PASS_LETTER[] =
    "Password must contain at least one letter";
static const char MSG_PASS_LONG[] =
    "Password cannot be longer than 128 characters";
static const char MSG_PASS_INVALID[] =
    "Password contains invalid characters";

static const char MSG_PHONE[] =
    "Phone number must be in international format, e.g. +48123456789";

static const char *const reserved_names[] = {
	"admin", "administrator", "root", "system", "support", "help",
	"moderator", "superuser", "guest", "api", "auth", "login",
	"logout", "register", "dashboard", "settings", "profile",
};

/* Inclusive ranges of code points from U+0080 up that hold no letters. */
static const struct {
	uint32_t	lo, hi;
} nonletters[] = {
	{ 0x0080, 0x00BF },	/* C1 controls, Latin-1 punctuation */
	{ 0x00D7, 0x00D7 },	/* multiplication sign */
	{ 0x00F7, 0x00F7 },	/* division sign */
	{ 0x02C2, 0x02C5 },	/* modifier arrowheads */
	{ 0x02D2, 0x02DF },	/* spacing modifier symbols */
	{ 0x0300, 0x036F },	/* combining diacritical marks */
	{ 0x2000, 0x206F },	/* general punctuation */
	{ 0x2070, 0x209F },	/* super- and subscripts */
	{ 0x20A0, 0x20FF },	/* currency, combining marks for symbols */
	{ 0x2150, 0x2BFF },	/* number forms .. misc. symbols, arrows */
	{ 0x2E00, 0x2E7F },	/* supplemental punctuation */
	{ 0x3000, 0x303F },	/* CJK symbols and punctuation */
	{ 0xE000, 0xF8FF },	/* private use */
	{ 0xFE00, 0xFE0F },	/* variation selectors */
	{ 0xFE10, 0xFE6F },	/* vertical, combining half, small forms */
	{ 0xFEFF, 0xFEFF },	/* byte order mark */
	{ 0xFF00, 0xFF20 },	/* fullwidth ASCII punctuation, digits */
	{ 0xFF3B, 0xFF40 },	/* fullwidth ASCII punctuation */
	{ 0xFF5B, 0xFF65 },	/* fullwidth ASCII punctuation */
	{ 0xFFF0, 0xFFFF },	/* specials */
	{ 0x1F000, 0x1FAFF },	/* game symbols, emoji, pictographs */
	{ 0xE0000, 0x10FFFF },	/* tags, selectors, private use planes */
};

/*
 * Decodes the code point at s[*i], of a string of len bytes, into *cp
 * and advances *i.  Returns 0, or -1 on a byte sequence that is not
 * well-formed UTF-8 or on a NUL byte.
 */
static int
u8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	uint32_t	c, min;
	size_t		n, k;

	c = s[*i];
	if (c == 0)
		return -1;
	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 1;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 2;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;
	if (len - *i <= n)
		return -1;
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (s[*i + k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	*i += n + 1;
	return 0;
}

/*
 * Counts the code points of in[0..len) and returns the count, or -1
 * when the bytes are not well-formed UTF-8 (overlong forms, surrogates,
 * values past U+10FFFF, truncated or stray continuation bytes) or hold
 * a NUL byte.  An empty string has length 0.
 */
long
utf8_len(const char *in, size_t len)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0;
	uint32_t		 cp;
	long			 n = 0;

	if (len > 0 && in == NULL)
		return -1;
	while (i < len) {
		if (u8_next(s, len, &i, &cp) == -1)
			return -1;
		n++;
	}
	return n;
}

/* Python's str.isspace() for a code point. */
static int
is_space(uint32_t c)
{
	if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20))
		return 1;
	if (c < 0x80)
		return 0;
	return c == 0x85 || c == 0xA0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202F || c == 0x205F || c == 0x3000;
}

static int
is_alpha_ascii(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit_ascii(int c)
{
	return c >= '0' && c <= '9';
}

static int
to_lower_ascii(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* A letter for the password rule; see the comment at the top. */
static int
is_letter(uint32_t c)
{
	size_t	i;

	if (c < 0x80)
		return is_alpha_ascii((int)c);
	if (is_space(c))
		return 0;
	for (i = 0; i < sizeof(nonletters) / sizeof(nonletters[0]); i++)
		if (c >= nonletters[i].lo && c <= nonletters[i].hi)
			return 0;
	return 1;
}

/* RFC 5322 atext, compared after lower-casing (so upper case is fine). */
static int
is_atext(int c)
{
	if (is_alpha_ascii(c) || is_digit_ascii(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static const char *
email_local(const char *s, size_t n)
{
	size_t	i;

	if (n > EMAIL_LOCAL_MAX)
		return email_msgs[EM_LOCAL_LONG];
	for (i = 0; i < n; i++)
		if (s[i] != '.' && !is_atext((unsigned char)s[i]))
			return email_msgs[EM_LOCAL_CHARS];
	if (s[0] == '.')
		return email_msgs[EM_LOCAL_START_DOT];
	if (s[n - 1] == '.')
		return email_msgs[EM_LOCAL_END_DOT];
	for (i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return email_msgs[EM_TWO_DOTS];
	return NULL;
}

/* The checks follow the order python email-validator makes them in. */
static const char *
email_domain(const char *s, size_t n)
{
	size_t	i, start, lab;
	int	c, dot = 0;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (!is_alpha_ascii(c) && !is_digit_ascii(c) &&
		    c != '-' && c != '.')
			return email_msgs[EM_DOMAIN_CHARS];
	}
	if (s[n - 1] == '.')
		return email_msgs[EM_DOMAIN_END_DOT];
	if (s[0] == '.')
		return email_msgs[EM_DOMAIN_START_DOT];
	for (i = 1; i < n; i++) {
		if (s[i] == '.' && s[i - 1] == '.')
			return email_msgs[EM_TWO_DOTS];
		if (s[i] == '.')
			dot = 1;
	}
	if (s[n - 1] == '-')
		return email_msgs[EM_DOMAIN_END_HYPHEN];
	if (s[0] == '-')
		return email_msgs[EM_DOMAIN_START_HYPHEN];
	for (i = 1; i < n; i++)
		if ((s[i] == '.' && s[i - 1] == '-') ||
		    (s[i] == '-' && s[i - 1] == '.'))
			return email_msgs[EM_DOT_HYPHEN];
	if (!dot)
		return email_msgs[EM_NO_PERIOD];

	/* Labels are now non-empty and separated by single dots. */
	for (start = 0, i = 0; i <= n; i++)
		if (i == n || s[i] == '.') {
			if (i - start > EMAIL_LABEL_MAX)
				return email_msgs[EM_LABEL_LONG];
			start = i + 1;
		}

	/* start is the top-level label's first byte. */
	for (lab = 0, start = n; start > 0 && s[start - 1] != '.'; start--)
		lab++;
	if (lab < 2)
		return email_msgs[EM_TLD];
	for (i = start; i < n; i++)
		if (!is_alpha_ascii((unsigned char)s[i]))
			return email_msgs[EM_TLD];
	return NULL;
}

/*
 * Checks an email address (SPEC §3), compared as if lower-cased.
 * Returns NULL when valid, with *norm (if norm is not NULL) set to an
 * allocated, ASCII lower-cased copy the caller frees; else a static
 * message beginning "value is not a valid email address: ", with
 * *norm set to NULL.
 */
const char *
validate_email(const char *in, size_t len, char **norm)
{
	const char	*at = NULL, *msg;
	size_t		 i, nat = 0, llen;
	int		 c;
	char		*p;

	if (norm != NULL)
		*norm = NULL;
	if (utf8_len(in, len) < 0)
		return email_msgs[EM_UNSAFE];
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7F)
			return email_msgs[EM_UNSAFE];
		if (c == '@') {
			nat++;
			at = in + i;
		}
	}
	if (nat != 1)
		return email_msgs[EM_ONE_AT];
	llen = (size_t)(at - in);
	if (llen == 0)
		return email_msgs[EM_NO_LOCAL];
	if (llen + 1 == len)
		return email_msgs[EM_NO_DOMAIN];
	if ((msg = email_local(in, llen)) != NULL)
		return msg;
	if ((msg = email_domain(at + 1, len - llen - 1)) != NULL)
		return msg;
	if (len > EMAIL_MAX)
		return email_msgs[EM_TOO_LONG];

	if (norm != NULL) {
		p = xstrndup(in, len);
		for (i = 0; i < len; i++)
			p[i] = (char)to_lower_ascii((unsigned char)p[i]);
		*norm = p;
	}
	return NULL;
}

static int
username_reserved(const char *s, size_t len)
{
	const char	*r;
	size_t		 i, k;

	for (i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]);
	    i++) {
		r = reserved_names[i];
		if (strlen(r) != len)
			continue;
		for (k = 0; k < len; k++)
			if (to_lower_ascii((unsigned char)s[k]) != r[k])
				break;
		if (k == len)
			return 1;
	}
	return 0;
}

/*
 * Checks a username against rules 1 to 8 of SPEC §3 in order.  Returns
 * NULL when valid, else the static message of the first rule broken.
 * Invalid UTF-8 or a NUL byte gives the rule-6 message at once.
 */
const char *
validate_username(const char *in, size_t len)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i;
	uint32_t		 cp;
	long			 n;
	int			 allspace = 1, edge = 0, first, sp = 0;

	if ((n = utf8_len(in, len)) < 0)
		return MSG_USER_CHARS;

	/* After the loop sp tells whether the last code point is a space. */
	for (i = 0; i < len; ) {
		first = i == 0;
		(void)u8_next(s, len, &i, &cp);
		sp = is_space(cp);
		if (sp && first)
			edge = 1;
		if (!sp)
			allspace = 0;
	}
	if (allspace)
		return MSG_USER_EMPTY;
	if (edge || sp)
		return MSG_USER_EDGE;
	if (n < USER_MIN)
		return MSG_USER_SHORT;
	if (n > USER_MAX)
		return MSG_USER_LONG;
	if (memchr(in, '@', len) != NULL)
		return MSG_USER_AT;
	for (i = 0; i < len; i++)
		if (!is_alpha_ascii(s[i]) && !is_digit_ascii(s[i]) &&
		    s[i] != '_' && s[i] != '-')
			return MSG_USER_CHARS;
	if (username_reserved(in, len))
		return MSG_USER_RESERVED;
	for (i = 1; i < len; i++)
		if ((s[i] == '_' || s[i] == '-') && s[i] == s[i - 1])
			return MSG_USER_REPEAT;
	if (phone_like(in, len))
		return MSG_USER_PHONE;
	return NULL;
}

/*
 * Checks a password against the rules of SPEC §3 in order (length in
 * code points, a digit, a letter, the upper bound).  Returns NULL when
 * valid, else a static message.  Invalid UTF-8 or a NUL byte gives
 * "Password contains invalid characters" before any other rule.  The
 * password itself is never copied.
 */
const char *
validate_password(const char *in, size_t len)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i;
	uint32_t		 cp;
	long			 n;
	int			 digit = 0, letter = 0;

	if ((n = utf8_len(in, len)) < 0)
		return MSG_PASS_INVALID;
	if (n < PASS_MIN)
		return MSG_PASS_SHORT;
	for (i = 0; i < len; ) {
		(void)u8_next(s, len, &i, &cp);
		if (cp < 0x80 && is_digit_ascii((int)cp))
			digit = 1;
		else if (is_letter(cp))
			letter = 1;
	}
	if (!digit)
		return MSG_PASS_DIGIT;
	if (!letter)
		return MSG_PASS_LETTER;
	if (n > PASS_MAX)
		return MSG_PASS_LONG;
	return NULL;
}

static int
phone_sep(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == '-' ||
	    c == '.' || c == '(' || c == ')';
}

/*
 * Writes the normalised form of in[0..len) into out (room for len + 1
 * bytes): separators dropped, a leading "00" turned into "+".
 */
static void
phone_norm_into(const char *in, size_t len, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < len; i++)
		if (!phone_sep((unsigned char)in[i]))
			out[o++] = in[i];
	out[o] = '\0';
	if (o >= 2 && out[0] == '0' && out[1] == '0') {
		out[0] = '+';
		memmove(out + 1, out + 2, o - 1);
	}
}

/*
 * Checks and normalises a phone number (SPEC §3).  Returns NULL when
 * the normalised value is '+' and 8 to 15 ASCII digits, with *norm (if
 * norm is not NULL) set to that allocated value the caller frees; else
 * the SPEC's static message, with *norm set to NULL.
 */
const char *
validate_phone(const char *in, size_t len, char **norm)
{
	char	*p;
	size_t	 i, n;

	if (norm != NULL)
		*norm = NULL;
	if (len > 0 && (in == NULL || memchr(in, '\0', len) != NULL))
		return MSG_PHONE;
	p = xmalloc(len + 1);
	phone_norm_into(in, len, p);
	n = strlen(p);
	if (n < 1 + PHONE_MIN || n > 1 + PHONE_MAX || p[0] != '+')
		goto bad;
	for (i = 1; i < n; i++)
		if (!is_digit_ascii((unsigned char)p[i]))
			goto bad;
	if (norm != NULL)
		*norm = p;
	else
		free(p);
	return NULL;
bad:
	free(p);
	return MSG_PHONE;
}

/*
 * Normalises a login identifier the way phones are stored: spaces,
 * dashes, dots and parentheses dropped, a leading "00" turned into
 * "+".  Nothing is validated, so any identifier may be passed.
 * Returns an allocated string the caller frees, or NULL for NULL.
 */
char *
phone_normalise(const char *in)
{
	char	*p;
	size_t	 len;

	if (in == NULL)
		return NULL;
	len = strlen(in);
	p = xmalloc(len + 1);
	phone_norm_into(in, len, p);
	return p;
}

int
phone_like(const char *s, size_t n)
{
	size_t	i;
	int	digits = 0, plus = 0;

	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '+' && digits == 0 && plus++ == 0)
			continue;
		else if (strchr(" -.()", s[i]) == NULL || s[i] == '\0')
			return 0;
	}
	return digits >= 8;
}

/*
 * The error of the uuid crate that pydantic-core reports, for an input
 * that is not a UUID in any of its forms.  The positions it names are
 * 1-based, counted in bytes from the start of the whole input.
 */
static void
uuid_error(const char *s, size_t n, char *err, size_t errlen)
{
	static const size_t	 starts[5] = { 0, 9, 14, 19, 24 };
	static const int	 want[5] = { 8, 4, 4, 4, 12 };
	const char		*u = s;
	size_t			 un = n, off = 0, i, bounds[4] = { 0 };
	size_t			 hyphens = 0;
	int			 simple = 1;

	if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
		u = s + 1;
		un = n - 2;
		off = 1;
		simple = 0;
	} else if (n >= 9 && strncmp(s, "urn:uuid:", 9) == 0) {
		u = s + 9;
		un = n - 9;
		off = 9;
		simple = 0;
	}
	for (i = 0; i < un; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c == '-') {
			if (hyphens < 4)
				bounds[hyphens] = i;
			hyphens++;
		} else if (!isxdigit(c)) {
			size_t k = 1;

			/* A multibyte character is named whole. */
			if (c >= 0x80)
				while (i + k < un && k < 4 &&
				    ((unsigned char)u[i + k] & 0xc0) == 0x80)
					k++;
			snprintf(err, errlen, "invalid character: expected an "
			    "optional prefix of `urn:uuid:` followed by "
			    "[0-9a-fA-F-], found `%.*s` at %zu", (int)k, u + i,
			    i + off + 1);
			return;
		}
	}
	if (hyphens == 0 && simple) {
		snprintf(err, errlen, "invalid length: expected length 32 for "
		    "simple format, found %zu", n);
		return;
	}
	if (hyphens != 4) {
		snprintf(err, errlen, "invalid group count: expected 5, "
		    "found %zu", hyphens + 1);
		return;
	}
	for (i = 0; i < 4; i++)
		if (bounds[i] != starts[i + 1] - 1) {
			snprintf(err, errlen, "invalid group length in group "
			    "%zu: expected %d, found %zu", i, want[i],
			    bounds[i] - starts[i]);
			return;
		}
	snprintf(err, errlen, "invalid group length in group 4: expected "
	    "12, found %zu", n - starts[4]);
}

/* 32 hex digits at s, with hyphens at the given offsets when hy. */
static int
uuid_hex(const char *s, size_t n, int hy, char out[37])
{
	size_t	i, k = 0;

	for (i = 0; i < n; i++) {
		if (hy && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		out[k++] = (char)tolower((unsigned char)s[i]);
		if (k == 8 || k == 13 || k == 18 || k == 23)
			out[k++] = '-';
	}
	out[k] = '\0';
	return k == 36 ? 0 : -1;
}

const char *
validate_uuid(const char *in, size_t len, char out[37], char *err,
    size_t errlen)
{
	int	rc = -1;

	if (len == 32)
		rc = uuid_hex(in, len, 0, out);
	else if (len == 36)
		rc = uuid_hex(in, len, 1, out);
	else if (len == 38 && in[0] == '{' && in[37] == '}')
		rc = uuid_hex(in + 1, 36, 1, out);
	else if (len == 45 && strncmp(in, "urn:uuid:", 9) == 0)
		rc = uuid_hex(in + 9, 36, 1, out);
	if (rc == 0)
		return NULL;
	uuid_error(in, len, err, errlen);
	return err;
}
