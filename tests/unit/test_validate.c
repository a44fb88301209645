/*
 * Unit tests for lib/validate.c: tables of valid and invalid emails,
 * usernames, passwords and phones with the exact message expected for
 * each, and utf8_len() on well-formed and malformed UTF-8.  Inputs are
 * given with explicit lengths so that embedded NUL bytes are tested.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "util.h"
#include "validate.h"

/* A string literal and its length, NUL bytes inside included. */
#define L(s)	s, sizeof(s) - 1
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define EP	"value is not a valid email address: "
#define E_UNSAFE	EP "The email address contains unsafe characters."
#define E_ONE_AT	EP "The email address is not valid. " \
			    "It must have exactly one @-sign."
#define E_NO_LOCAL	EP "There must be something before the @-sign."
#define E_NO_DOMAIN	EP "There must be something after the @-sign."
#define E_TOO_LONG	EP "The email address is too long."
#define E_LOCAL_LONG	EP "The email address is too long before the @-sign."
#define E_LOCAL_CHARS	EP "The email address contains invalid characters " \
			    "before the @-sign."
#define E_START_DOT	EP "An email address cannot start with a period."
#define E_LOCAL_END_DOT	EP "An email address cannot have a period " \
			    "immediately before the @-sign."
#define E_TWO_DOTS	EP "An email address cannot have two periods in a row."
#define E_DOMAIN_CHARS	EP "The part after the @-sign contains invalid " \
			    "characters."
#define E_END_DOT	EP "An email address cannot end with a period."
#define E_AFTER_AT_DOT	EP "An email address cannot have a period " \
			    "immediately after the @-sign."
#define E_END_HYPHEN	EP "An email address cannot end with a hyphen."
#define E_AFTER_AT_HYPHEN EP "An email address cannot have a hyphen " \
			    "immediately after the @-sign."
#define E_DOT_HYPHEN	EP "An email address cannot have a period and a " \
			    "hyphen next to each other."
#define E_NO_PERIOD	EP "The part after the @-sign is not valid. " \
			    "It should have a period."
#define E_LABEL_LONG	EP "After the @-sign, periods cannot be separated " \
			    "by so many characters."
#define E_TLD		EP "The part after the @-sign is not valid. " \
			    "It is not within a valid top-level domain."

#define U_EMPTY		"The username cannot be empty or consist only of " \
			    "whitespace."
#define U_EDGE		"The username cannot contain spaces at the " \
			    "beginning or end."
#define U_SHORT		"Username must be at least 3 characters long."
#define U_LONG		"Username cannot be longer than 30 characters."
#define U_AT		"Username cannot contain '@' symbol."
#define U_CHARS		"Username can only contain letters, numbers, " \
			    "underscores (_), and hyphens (-)."
#define U_RESERVED	"This username is reserved and cannot be used."
#define U_REPEAT	"Username cannot contain consecutive underscores " \
			    "or hyphens."
#define U_PHONE		"Username cannot look like a phone number."

#define P_SHORT		"Password must be at least 6 characters long"
#define P_DIGIT		"Password must contain at least one digit"
#define P_LETTER	"Password must contain at least one letter"
#define P_LONG		"Password cannot be longer than 128 characters"
#define P_INVALID	"Password contains invalid characters"

#define PH		"Phone number must be in international format, " \
			    "e.g. +48123456789"

struct vcase {
	const char	*in;
	size_t		 len;
	const char	*want;	/* expected message, NULL when valid */
	const char	*norm;	/* expected normalised value when valid */
};

static const struct vcase emails[] = {
	/* valid */
	{ L("user@example.com"), NULL, "user@example.com" },
	{ L("User@Example.COM"), NULL, "user@example.com" },
	{ L("USER2@EXAMPLE.COM"), NULL, "user2@example.com" },
	{ L("john.doe@example.co.uk"), NULL, "john.doe@example.co.uk" },
	{ L("a@b.cd"), NULL, "a@b.cd" },
	{ L("first.middle.last@sub.domain.org"), NULL,
	    "first.middle.last@sub.domain.org" },
	{ L("user+tag@example.com"), NULL, "user+tag@example.com" },
	{ L("x!#$%&'*+-/=?^_`{|}~y@example.com"), NULL,
	    "x!#$%&'*+-/=?^_`{|}~y@example.com" },
	{ L("user@my-domain.com"), NULL, "user@my-domain.com" },
	{ L("user@a-b-c.d-e.info"), NULL, "user@a-b-c.d-e.info" },
	{ L("user@123.example.com"), NULL, "user@123.example.com" },
	{ L("1234@example.com"), NULL, "1234@example.com" },
	{ L("user@xn--bcher-kva.example"), NULL,
	    "user@xn--bcher-kva.example" },
	{ L("_@example.museum"), NULL, "_@example.museum" },
	{ L("o'brien@example.ie"), NULL, "o'brien@example.ie" },
	{ L("deleted_0c5e@anonymized.local"), NULL,
	    "deleted_0c5e@anonymized.local" },

	/* the SPEC's list */
	{ L("invalid-email"), E_ONE_AT, NULL },
	{ L("user@"), E_NO_DOMAIN, NULL },
	{ L("@domain.com"), E_NO_LOCAL, NULL },
	{ L("user@domain"), E_NO_PERIOD, NULL },
	{ L("user.domain.com"), E_ONE_AT, NULL },
	{ L("user@.com"), E_AFTER_AT_DOT, NULL },

	/* the @-sign */
	{ L(""), E_ONE_AT, NULL },
	{ L("@"), E_NO_LOCAL, NULL },
	{ L("a@b@example.com"), E_ONE_AT, NULL },
	{ L("user@@example.com"), E_ONE_AT, NULL },
	{ L("\"a@b\"@example.com"), E_ONE_AT, NULL },

	/* unsafe bytes anywhere */
	{ L("user\r@example.com"), E_UNSAFE, NULL },
	{ L("user@example.com\n"), E_UNSAFE, NULL },
	{ L("user@example.com\r\nBcc: x@y.z"), E_UNSAFE, NULL },
	{ L("us\ter@example.com"), E_UNSAFE, NULL },
	{ L("user@example.com\0"), E_UNSAFE, NULL },
	{ L("\0user@example.com"), E_UNSAFE, NULL },
	{ L("user\0@example.com"), E_UNSAFE, NULL },
	{ L("user@exa\0mple.com"), E_UNSAFE, NULL },
	{ L("user@example.com\x7f"), E_UNSAFE, NULL },
	{ L("user@example.com\xff"), E_UNSAFE, NULL },
	{ L("us\xc0\xafr@example.com"), E_UNSAFE, NULL },
	{ L("noat\n"), E_UNSAFE, NULL },

	/* the local part */
	{ L("us er@example.com"), E_LOCAL_CHARS, NULL },
	{ L(" user@example.com"), E_LOCAL_CHARS, NULL },
	{ L("user,name@example.com"), E_LOCAL_CHARS, NULL },
	{ L("user(x)@example.com"), E_LOCAL_CHARS, NULL },
	{ L("user\\x@example.com"), E_LOCAL_CHARS, NULL },
	{ L("\"user\"@example.com"), E_LOCAL_CHARS, NULL },
	{ L("us<er>@example.com"), E_LOCAL_CHARS, NULL },
	{ L("j\xc3\xb6rg@example.com"), E_LOCAL_CHARS, NULL },
	{ L(".user@example.com"), E_START_DOT, NULL },
	{ L("user.@example.com"), E_LOCAL_END_DOT, NULL },
	{ L("us..er@example.com"), E_TWO_DOTS, NULL },
	{ L(".@example.com"), E_START_DOT, NULL },

	/* the domain */
	{ L("user@ example.com"), E_DOMAIN_CHARS, NULL },
	{ L("user@example.com "), E_DOMAIN_CHARS, NULL },
	{ L("user@exa_mple.com"), E_DOMAIN_CHARS, NULL },
	{ L("user@[127.0.0.1]"), E_DOMAIN_CHARS, NULL },
	{ L("user@b\xc3\xbc" "cher.de"), E_DOMAIN_CHARS, NULL },
	{ L("user@example+.com"), E_DOMAIN_CHARS, NULL },
	{ L("user@example.com."), E_END_DOT, NULL },
	{ L("user@."), E_END_DOT, NULL },
	{ L("user@..com"), E_AFTER_AT_DOT, NULL },
	{ L("user@example..com"), E_TWO_DOTS, NULL },
	{ L("user@-example.com"), E_AFTER_AT_HYPHEN, NULL },
	{ L("user@example.com-"), E_END_HYPHEN, NULL },
	{ L("user@example-.com"), E_DOT_HYPHEN, NULL },
	{ L("user@sub.-example.com"), E_DOT_HYPHEN, NULL },
	{ L("user@-"), E_END_HYPHEN, NULL },
	{ L("user@localhost"), E_NO_PERIOD, NULL },
	{ L("user@example.c"), E_TLD, NULL },
	{ L("user@example.c0m"), E_TLD, NULL },
	{ L("user@example.123"), E_TLD, NULL },
	{ L("user@127.0.0.1"), E_TLD, NULL },
	{ L("user@example.xn--p1ai"), E_TLD, NULL },
};

static const struct vcase usernames[] = {
	/* valid */
	{ L("john2_doe"), NULL, NULL },
	{ L("Tom"), NULL, NULL },
	{ L("abc"), NULL, NULL },
	{ L("a-b"), NULL, NULL },
	{ L("a_b"), NULL, NULL },
	{ L("_ab"), NULL, NULL },
	{ L("ab-"), NULL, NULL },
	{ L("-_-"), NULL, NULL },
	{ L("_-_-_"), NULL, NULL },
	{ L("123"), NULL, NULL },
	{ L("User_Name-42"), NULL, NULL },
	{ L("abcdefghijklmnopqrstuvwxyz1234"), NULL, NULL },	/* 30 */
	{ L("admins"), NULL, NULL },
	{ L("rooted"), NULL, NULL },
	{ L("my_admin"), NULL, NULL },
	{ L("DeletedUser_0a1b2c3d"), NULL, NULL },

	/* rule 1 */
	{ L(""), U_EMPTY, NULL },
	{ L(" "), U_EMPTY, NULL },
	{ L("   "), U_EMPTY, NULL },
	{ L("\t\n\r\v\f"), U_EMPTY, NULL },
	{ L("\xc2\xa0"), U_EMPTY, NULL },			/* U+00A0 */
	{ L("\xe3\x80\x80 \xe2\x80\x83"), U_EMPTY, NULL },	/* U+3000 */
	{ L("\x1c\x1d\x1e\x1f"), U_EMPTY, NULL },

	/* rule 2 */
	{ L(" john"), U_EDGE, NULL },
	{ L("john "), U_EDGE, NULL },
	{ L(" john "), U_EDGE, NULL },
	{ L("\tjohn"), U_EDGE, NULL },
	{ L("john\n"), U_EDGE, NULL },
	{ L("\xc2\xa0john"), U_EDGE, NULL },
	{ L("john\xe2\x80\xa8"), U_EDGE, NULL },		/* U+2028 */
	{ L(" a"), U_EDGE, NULL },
	{ L(" @ "), U_EDGE, NULL },

	/* rule 3, in code points */
	{ L("a"), U_SHORT, NULL },
	{ L("ab"), U_SHORT, NULL },
	{ L("a b"), U_CHARS, NULL },
	{ L("@"), U_SHORT, NULL },
	{ L("\xc3\xa9\xc3\xa9"), U_SHORT, NULL },		/* 2 cp, 4 bytes */
	{ L("\xf0\x9f\x98\x80"), U_SHORT, NULL },		/* 1 cp, 4 bytes */

	/* rule 4 */
	{ L("abcdefghijklmnopqrstuvwxyz12345"), U_LONG, NULL },	/* 31 */
	{ L("ab@defghijklmnopqrstuvwxyz12345"), U_LONG, NULL },

	/* rule 5 */
	{ L("user@example.com"), U_AT, NULL },
	{ L("@john"), U_AT, NULL },
	{ L("jo hn@"), U_AT, NULL },

	/* rule 6 */
	{ L("john doe"), U_CHARS, NULL },
	{ L("john.doe"), U_CHARS, NULL },
	{ L("john!"), U_CHARS, NULL },
	{ L("j\xc3\xb6rg"), U_CHARS, NULL },
	{ L("\xc3\xa9\xc3\xa9\xc3\xa9"), U_CHARS, NULL },
	{ L("admin."), U_CHARS, NULL },
	{ L("a\xc2\xa0" "b"), U_CHARS, NULL },
	{ L("abc\0"), U_CHARS, NULL },
	{ L("\0"), U_CHARS, NULL },
	{ L("ab\0cd"), U_CHARS, NULL },
	{ L("abc\xff"), U_CHARS, NULL },
	{ L("ab\xc0\x80"), U_CHARS, NULL },
	{ L(" \xed\xa0\x80"), U_CHARS, NULL },	/* before rule 2 */
	{ L("\xe3\x80"), U_CHARS, NULL },

	/* rule 7 */
	{ L("admin"), U_RESERVED, NULL },
	{ L("Admin"), U_RESERVED, NULL },
	{ L("ADMINISTRATOR"), U_RESERVED, NULL },
	{ L("root"), U_RESERVED, NULL },
	{ L("system"), U_RESERVED, NULL },
	{ L("support"), U_RESERVED, NULL },
	{ L("help"), U_RESERVED, NULL },
	{ L("moderator"), U_RESERVED, NULL },
	{ L("SuperUser"), U_RESERVED, NULL },
	{ L("guest"), U_RESERVED, NULL },
	{ L("api"), U_RESERVED, NULL },
	{ L("API"), U_RESERVED, NULL },
	{ L("auth"), U_RESERVED, NULL },
	{ L("login"), U_RESERVED, NULL },
	{ L("logout"), U_RESERVED, NULL },
	{ L("register"), U_RESERVED, NULL },
	{ L("dashboard"), U_RESERVED, NULL },
	{ L("settings"), U_RESERVED, NULL },
	{ L("profile"), U_RESERVED, NULL },

	/* rule 8 */
	{ L("john__doe"), U_REPEAT, NULL },
	{ L("john--doe"), U_REPEAT, NULL },
	{ L("__john"), U_REPEAT, NULL },
	{ L("john--"), U_REPEAT, NULL },
	{ L("___"), U_REPEAT, NULL },
	{ L("a_-_--b"), U_REPEAT, NULL },

	/* after rule 8: what the login would read as a phone (issue 9) */
	{ L("0048123456789"), U_PHONE, NULL },
	{ L("48123456789"), U_PHONE, NULL },
	{ L("12345678"), U_PHONE, NULL },
	{ L("0048-123-456-789"), U_PHONE, NULL },
	{ L("-12-34-56-78-"), U_PHONE, NULL },
	{ L("1234567"), NULL, NULL },			/* 7 digits */
	{ L("123-456-7"), NULL, NULL },
	{ L("a12345678"), NULL, NULL },
	{ L("12345678_"), NULL, NULL },
	{ L("0048123456789x"), NULL, NULL },
	{ L("00--48123456789"), U_REPEAT, NULL },	/* rule 8 first */
};

static const struct vcase passwords[] = {
	/* valid */
	{ L("abc123"), NULL, NULL },
	{ L("Passw0rd"), NULL, NULL },
	{ L("1a1a1a1a"), NULL, NULL },
	{ L("a     1"), NULL, NULL },
	{ L("correct horse battery staple 9"), NULL, NULL },
	{ L("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "1"), NULL, NULL },
	{ L("\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c" "1"), NULL,
	    NULL },				/* Cyrillic */
	{ L("\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81" "12"), NULL,
	    NULL },				/* CJK */
	{ L("!@#$%a1"), NULL, NULL },

	/* length in code points */
	{ L(""), P_SHORT, NULL },
	{ L("a1"), P_SHORT, NULL },
	{ L("abc12"), P_SHORT, NULL },
	{ L("     "), P_SHORT, NULL },
	{ L("\xc3\xa9\xc3\xa9\xc3\xa9" "1"), P_SHORT, NULL },	/* 8 bytes */
	{ L("\xf0\x9f\x98\x80\xf0\x9f\x98\x80" "1a"), P_SHORT, NULL },

	/* digit */
	{ L("abcdef"), P_DIGIT, NULL },
	{ L("password"), P_DIGIT, NULL },
	{ L("!!!!!!"), P_DIGIT, NULL },
	{ L("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), P_DIGIT,
	    NULL },
	{ L("\xd9\xa1\xd9\xa2\xd9\xa3" "abc"), P_DIGIT, NULL },	/* Arabic-Indic */

	/* letter */
	{ L("123456"), P_LETTER, NULL },
	{ L("12345!@#"), P_LETTER, NULL },
	{ L("1     "), P_LETTER, NULL },
	{ L("123\xc2\xa0\xc2\xa0\xc2\xa0"), P_LETTER, NULL },	/* NBSP */
	{ L("123\xc2\xa7\xc2\xb0\xc3\x97"), P_LETTER, NULL },	/* symbols */
	{ L("1234\xe2\x80\x94\xe2\x82\xac"), P_LETTER, NULL },	/* dash, euro */
	{ L("1234\xf0\x9f\x98\x80\xf0\x9f\x98\x80"), P_LETTER, NULL },
	{ L("12345\xcc\x81"), P_LETTER, NULL },	/* combining acute */

	/* invalid bytes come first */
	{ L("abc123\0"), P_INVALID, NULL },
	{ L("abc\0" "123"), P_INVALID, NULL },
	{ L("\0"), P_INVALID, NULL },
	{ L("abc123\xff"), P_INVALID, NULL },
	{ L("abc123\xed\xa0\x80"), P_INVALID, NULL },
	{ L("abc123\xc1\xbf"), P_INVALID, NULL },
};

static const struct vcase phones[] = {
	/* valid */
	{ L("+48123456789"), NULL, "+48123456789" },
	{ L("+48 123 456 789"), NULL, "+48123456789" },
	{ L("+48-123-456-789"), NULL, "+48123456789" },
	{ L("+48.123.456.789"), NULL, "+48123456789" },
	{ L("+1 (555) 123-4567"), NULL, "+15551234567" },
	{ L("0048123456789"), NULL, "+48123456789" },
	{ L("00 48 123 456 789"), NULL, "+48123456789" },
	{ L("(0048) 123456789"), NULL, "+48123456789" },
	{ L("+12345678"), NULL, "+12345678" },			/* 8 */
	{ L("+123456789012345"), NULL, "+123456789012345" },	/* 15 */
	{ L("\t+48\t123456789 "), NULL, "+48123456789" },

	/* invalid */
	{ L(""), PH, NULL },
	{ L("+"), PH, NULL },
	{ L("00"), PH, NULL },
	{ L("48123456789"), PH, NULL },
	{ L("0123456789"), PH, NULL },
	{ L("+1234567"), PH, NULL },				/* 7 */
	{ L("+1234567890123456"), PH, NULL },			/* 16 */
	{ L("++48123456789"), PH, NULL },
	{ L("+48123456789+"), PH, NULL },
	{ L("+48 123 abc 789"), PH, NULL },
	{ L("+48/123/456/789"), PH, NULL },
	{ L("+48_123456789"), PH, NULL },
	{ L("+48123456789\0"), PH, NULL },
	{ L("+4812\0" "3456789"), PH, NULL },
	{ L("\0" "0048123456789"), PH, NULL },
	{ L("0 0123456789"), NULL, "+123456789" },	/* "00" joined */
	{ L("+\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7"
	    "\xd9\xa8"), PH, NULL },				/* Arabic digits */
	{ L("user@example.com"), PH, NULL },
	{ L("0 048123456789"), NULL, "+48123456789" },
};

/* Two messages are the same: both NULL or equal strings. */
static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

struct u8case {
	const char	*in;
	size_t		 len;
	long		 want;
};

static const struct u8case u8cases[] = {
	{ L(""), 0 },
	{ L("a"), 1 },
	{ L("hello"), 5 },
	{ L("\x7f"), 1 },
	{ L("\x01\x1f"), 2 },
	{ L("\xc2\x80"), 1 },			/* U+0080, smallest 2-byte */
	{ L("\xdf\xbf"), 1 },			/* U+07FF */
	{ L("\xe0\xa0\x80"), 1 },		/* U+0800, smallest 3-byte */
	{ L("\xed\x9f\xbf"), 1 },		/* U+D7FF */
	{ L("\xee\x80\x80"), 1 },		/* U+E000 */
	{ L("\xef\xbf\xbf"), 1 },		/* U+FFFF */
	{ L("\xf0\x90\x80\x80"), 1 },		/* U+10000 */
	{ L("\xf4\x8f\xbf\xbf"), 1 },		/* U+10FFFF */
	{ L("z\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 4 },
	{ L("\xc3\xa9t\xc3\xa9"), 3 },

	/* NUL */
	{ L("\0"), -1 },
	{ L("a\0b"), -1 },
	{ L("abc\0"), -1 },
	/* stray continuation bytes and impossible lead bytes */
	{ L("\x80"), -1 },
	{ L("a\xbf"), -1 },
	{ L("\xc3\xa9\xa9"), -1 },
	{ L("\xfe"), -1 },
	{ L("\xff"), -1 },
	{ L("\xf8\x88\x80\x80\x80"), -1 },	/* 5-byte form */
	{ L("\xfc\x84\x80\x80\x80\x80"), -1 },	/* 6-byte form */
	/* overlong forms */
	{ L("\xc0\x80"), -1 },			/* NUL */
	{ L("\xc0\xaf"), -1 },			/* '/' */
	{ L("\xc1\xbf"), -1 },
	{ L("\xe0\x80\xaf"), -1 },
	{ L("\xe0\x9f\xbf"), -1 },		/* U+07FF in 3 bytes */
	{ L("\xf0\x80\x80\xaf"), -1 },
	{ L("\xf0\x8f\xbf\xbf"), -1 },		/* U+FFFF in 4 bytes */
	/* surrogates */
	{ L("\xed\xa0\x80"), -1 },		/* U+D800 */
	{ L("\xed\xbf\xbf"), -1 },		/* U+DFFF */
	{ L("\xed\xa0\xbd\xed\xb8\x80"), -1 },	/* CESU-8 pair */
	/* past U+10FFFF */
	{ L("\xf4\x90\x80\x80"), -1 },
	{ L("\xf5\x80\x80\x80"), -1 },
	{ L("\xf7\xbf\xbf\xbf"), -1 },
	/* truncated sequences */
	{ L("\xc3"), -1 },
	{ L("a\xc3"), -1 },
	{ L("\xe2\x82"), -1 },
	{ L("\xe2"), -1 },
	{ L("\xf0\x9f\x98"), -1 },
	{ L("\xf0\x9f"), -1 },
	{ L("\xe2\x82z"), -1 },			/* interrupted */
	{ L("\xc3z"), -1 },
	{ L("\xf0\x9f\x98\x80\xf0"), -1 },
};

static void
test_emails(void)
{
	const struct vcase	*c;
	const char		*msg;
	char			*norm;
	size_t			 i;

	for (i = 0; i < NELEM(emails); i++) {
		c = &emails[i];
		norm = (char *)1;
		msg = validate_email(c->in, c->len, &norm);
		T_OK(same(msg, c->want),
		    "email #%zu \"%s\": got \"%s\"", i, c->in,
		    msg ? msg : "(null)");
		if (c->want == NULL) {
			T_STREQ(norm, c->norm);
			free(norm);
		} else
			T_OK(norm == NULL, "email #%zu: norm not NULL", i);
		/* Without an out-pointer the answer is the same. */
		T_STREQ(validate_email(c->in, c->len, NULL), c->want);
	}
}

/* Length limits: 254 bytes in all, 64 before the @, 63 per label. */
static void
test_email_lengths(void)
{
	char	 buf[600], *norm;
	size_t	 n;

	/* 64-byte local part: valid; 65: too long. */
	memset(buf, 'a', 64);
	memcpy(buf + 64, "@example.com", 12);
	T_STREQ(validate_email(buf, 76, &norm), NULL);
	free(norm);
	memset(buf, 'a', 65);
	memcpy(buf + 65, "@example.com", 12);
	T_STREQ(validate_email(buf, 77, &norm), E_LOCAL_LONG);
	T_OK(norm == NULL, "norm == NULL");
	/* Overlong local part with bad characters: length is told first. */
	buf[3] = ' ';
	T_STREQ(validate_email(buf, 77, NULL), E_LOCAL_LONG);

	/* 63-byte label: valid; 64: too long. */
	memcpy(buf, "u@", 2);
	memset(buf + 2, 'b', 63);
	memcpy(buf + 65, ".com", 4);
	T_STREQ(validate_email(buf, 69, NULL), NULL);
	memset(buf + 2, 'b', 64);
	memcpy(buf + 66, ".com", 4);
	T_STREQ(validate_email(buf, 70, NULL), E_LABEL_LONG);
	/* A long top-level label. */
	memcpy(buf, "u@x.", 4);
	memset(buf + 4, 'c', 64);
	T_STREQ(validate_email(buf, 68, NULL), E_LABEL_LONG);

	/*
	 * Exactly 254 bytes: "u@" + 4 labels of 60 + dots + "abcdefgh"
	 * = 2 + 4 * 61 + 8 = 254.
	 */
	memcpy(buf, "u@", 2);
	for (n = 2; n < 2 + 4 * 61; n += 61) {
		memset(buf + n, 'd', 60);
		buf[n + 60] = '.';
	}
	memcpy(buf + n, "abcdefgh", 8);
	n += 8;
	/* The input's length is checked through norm's below. */
	T_STREQ(validate_email(buf, n, &norm), NULL);
	T_OK(norm != NULL && strlen(norm) == 254, "254-byte norm");
	free(norm);
	/* 255 bytes. */
	memcpy(buf + n - 8, "abcdefghi", 9);
	T_STREQ(validate_email(buf, n + 1, &norm), E_TOO_LONG);
	T_OK(norm == NULL, "norm == NULL");
	/* Much longer still, upper case, with a 64-byte local part. */
	memset(buf, 'A', 64);
	buf[64] = '@';
	for (n = 65; n < 65 + 8 * 50; n += 50) {
		memset(buf + n, 'D', 49);
		buf[n + 49] = '.';
	}
	memcpy(buf + n, "COM", 3);
	n += 3;
	T_STREQ(validate_email(buf, n, NULL), E_TOO_LONG);
}

static void
test_usernames(void)
{
	const struct vcase	*c;
	const char		*msg;
	char			 buf[64];
	size_t			 i;

	for (i = 0; i < NELEM(usernames); i++) {
		c = &usernames[i];
		msg = validate_username(c->in, c->len);
		T_OK(same(msg, c->want),
		    "username #%zu \"%s\": got \"%s\"", i, c->in,
		    msg ? msg : "(null)");
	}

	/* 30 two-byte code points is 60 bytes but only 30 characters. */
	for (i = 0; i < 30; i++)
		memcpy(buf + 2 * i, "\xc3\xa9", 2);
	T_STREQ(validate_username(buf, 60), U_CHARS);
	memcpy(buf + 60, "\xc3\xa9", 2);
	T_STREQ(validate_username(buf, 62), U_LONG);
	/* NULL with no bytes is the empty string. */
	T_STREQ(validate_username(NULL, 0), U_EMPTY);
}

static void
test_passwords(void)
{
	const struct vcase	*c;
	const char		*msg;
	char			 buf[600];
	size_t			 i;

	for (i = 0; i < NELEM(passwords); i++) {
		c = &passwords[i];
		msg = validate_password(c->in, c->len);
		T_OK(same(msg, c->want),
		    "password #%zu: got \"%s\"", i, msg ? msg : "(null)");
	}

	/* 128 characters is fine, 129 is too long. */
	memset(buf, 'a', 127);
	buf[127] = '1';
	T_STREQ(validate_password(buf, 128), NULL);
	buf[128] = 'b';
	T_STREQ(validate_password(buf, 129), P_LONG);
	/* The earlier rules win over the length limit. */
	memset(buf, 'a', 200);
	T_STREQ(validate_password(buf, 200), P_DIGIT);
	memset(buf, '1', 200);
	T_STREQ(validate_password(buf, 200), P_LETTER);
	/* 128 two-byte letters plus nothing else: counted in code points. */
	for (i = 0; i < 127; i++)
		memcpy(buf + 2 * i, "\xc3\xa9", 2);
	buf[254] = '7';
	T_STREQ(validate_password(buf, 255), NULL);
	memcpy(buf + 255, "\xc3\xa9", 2);
	T_STREQ(validate_password(buf, 257), P_LONG);
	/* Invalid bytes past character 128 still give the invalid message. */
	buf[257] = '\0';
	T_STREQ(validate_password(buf, 258), P_INVALID);
	T_STREQ(validate_password(NULL, 0), P_SHORT);
}

static void
test_phones(void)
{
	const struct vcase	*c;
	const char		*msg;
	char			*norm;
	size_t			 i;

	for (i = 0; i < NELEM(phones); i++) {
		c = &phones[i];
		norm = (char *)1;
		msg = validate_phone(c->in, c->len, &norm);
		T_OK(same(msg, c->want),
		    "phone #%zu \"%s\": got \"%s\"", i, c->in,
		    msg ? msg : "(null)");
		if (c->want == NULL) {
			T_STREQ(norm, c->norm);
			free(norm);
		} else
			T_OK(norm == NULL, "phone #%zu: norm not NULL", i);
		T_STREQ(validate_phone(c->in, c->len, NULL), c->want);
	}
	T_STREQ(validate_phone(NULL, 0, NULL), PH);
}

static void
test_phone_normalise(void)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "+48 123 456 789", "+48123456789" },
		{ "0048 (123) 456-789", "+48123456789" },
		{ "00.48.123", "+48123" },
		{ "00", "+" },
		{ "0", "0" },
		{ "", "" },
		{ "(00)1", "+1" },
		{ "100200", "100200" },
		{ "john.doe", "johndoe" },
		{ "user@example.com", "user@examplecom" },
		{ "John Doe", "JohnDoe" },
		{ "+48\t123\n456\r789", "+48123456789" },
		{ "0000", "+00" },
		{ "+0048", "+0048" },
	};
	char	*p;
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		p = phone_normalise(cases[i].in);
		T_STREQ(p, cases[i].want);
		free(p);
	}
	T_OK(phone_normalise(NULL) == NULL, "phone_normalise(NULL) == NULL");
}

/* pydantic's uuid_parsing messages (the uuid crate's), and the canonical form. */
static void
test_uuids(void)
{
	static const struct {
		const char	*in;
		const char	*want;		/* canonical, or the error */
		int		 ok;
	} c[] = {
		{ "7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11",
		    "7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11", 1 },
		{ "7D3C9A52-1F0E-4B6A-9C1D-2E8F4A6B0C11",
		    "7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11", 1 },
		{ "7d3c9a521f0e4b6a9c1d2e8f4a6b0c11",
		    "7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11", 1 },
		{ "{7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11}",
		    "7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11", 1 },
		{ "urn:uuid:7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11",
		    "7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11", 1 },
		{ "", "invalid length: expected length 32 for simple format, "
		    "found 0", 0 },
		{ "7d3c9a52", "invalid length: expected length 32 for simple "
		    "format, found 8", 0 },
		{ "not-a-uuid", "invalid character: expected an optional "
		    "prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` "
		    "at 1", 0 },
		{ "7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c1g", "invalid character: "
		    "expected an optional prefix of `urn:uuid:` followed by "
		    "[0-9a-fA-F-], found `g` at 36", 0 },
		{ "{7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c1\xc3\xa9}",
		    "invalid character: expected an optional prefix of "
		    "`urn:uuid:` followed by [0-9a-fA-F-], found `\xc3\xa9` at "
		    "37", 0 },
		{ "7d3c9a52-1f0e-4b6a-9c1d", "invalid group count: expected 5, "
		    "found 4", 0 },
		{ "7d3c9a52-1f0e4-b6a-9c1d-2e8f4a6b0c11", "invalid group "
		    "length in group 1: expected 4, found 5", 0 },
		{ "7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c112", "invalid group "
		    "length in group 4: expected 12, found 13", 0 },
	};
	char	out[37], err[256];
	size_t	i;

	for (i = 0; i < NELEM(c); i++) {
		const char *m = validate_uuid(c[i].in, strlen(c[i].in), out,
		    err, sizeof(err));

		if (c[i].ok) {
			T_OK(m == NULL, "uuid #%zu: %s", i, m ? m : "");
			if (m == NULL)
				T_STREQ(out, c[i].want);
		} else
			T_STREQ(m, c[i].want);
	}
}

/* Per-address keys: IPv6 by its /64, IPv4-mapped as IPv4. */
static void
test_ip_keys(void)
{
	static const char *const c[][2] = {
		{ "127.0.0.1", "127.0.0.1" },
		{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2::1", "2001:db8:1:2::/64" },
		{ "2001:DB8:1:2:ffff::", "2001:db8:1:2::/64" },
		{ "2001:db8:1:3::1", "2001:db8:1:3::/64" },
		{ "::1", "::/64" },
		{ "::ffff:192.0.2.7", "192.0.2.7" },
		{ "fe80::1%eth0", "fe80::1%eth0" },		/* unparsable: as is */
		{ "unknown", "unknown" },
		{ "", "" },
	};
	char	out[64];
	size_t	i;

	for (i = 0; i < NELEM(c); i++) {
		ip_key(c[i][0], out, sizeof(out));
		T_STREQ(out, c[i][1]);
	}
}

static void
test_utf8_len(void)
{
	size_t	i;
	long	n;
	char	buf[4 * 100];

	for (i = 0; i < NELEM(u8cases); i++) {
		n = utf8_len(u8cases[i].in, u8cases[i].len);
		T_OK(n == u8cases[i].want, "utf8 #%zu: got %ld, want %ld",
		    i, n, u8cases[i].want);
	}
	/* Only the given length is read: a truncated view is truncated. */
	T_OK(utf8_len("\xc3\xa9", 1) == -1, "cut 2-byte");
	T_OK(utf8_len("\xf0\x9f\x98\x80", 3) == -1, "cut 4-byte");
	T_OK(utf8_len("ab\0cd", 2) == 2, "bytes past len unread");
	T_OK(utf8_len(NULL, 0) == 0, "utf8_len(NULL, 0) == 0");
	for (i = 0; i < 100; i++)
		memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
	T_OK(utf8_len(buf, sizeof(buf)) == 100, "100 emoji");
	/* Every lead byte alone is invalid unless ASCII and not NUL. */
	for (i = 0; i < 256; i++) {
		buf[0] = (char)i;
		n = utf8_len(buf, 1);
		T_OK(n == ((i > 0 && i < 0x80) ? 1 : -1), "byte %zu", i);
	}
}

int
main(void)
{
	test_emails();
	test_email_lengths();
	test_usernames();
	test_passwords();
	test_phones();
	test_phone_normalise();
	test_utf8_len();
	test_uuids();
	test_ip_keys();
	return t_done("validate");
}
