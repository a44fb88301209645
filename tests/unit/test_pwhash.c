/*
 * Unit tests of lib/pwhash.c: argon2id round trip, the rehash flag,
 * bcrypt imports, the cost ceilings and malformed stored hashes.
 * Small argon2 parameters keep it fast.
 */
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "pwhash.h"
#include "util.h"
#include "t.h"

/* A check without a message: T_OK(e) alone trips -Wformat-zero-length. */
#define CHECK(e)	T_OK(e, "%s", "")

static const struct pwhash_params pp = {
	.t_cost = 1, .m_cost = 1024, .parallelism = 1,
	.max_m_cost = 65536, .max_t_cost = 4,
};

#define PW	"correct horse"
#define PWLEN	(sizeof(PW) - 1)

/*
 * Fixtures made once from PW by other implementations:
 * $2b$ and $2a$ with python3-bcrypt 3.2 (bcrypt.hashpw), $2y$ with
 * Apache's htpasswd -B -C 4, argon2 with the argon2(1) command-line tool
 * (salt "saltsaltsalt1234").
 */
static const char bc_2b[] =
    "$2b$04$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS";
static const char bc_2a[] =
    "$2a$05$jrTY/KnyhMI6S74X6zyZheXnn7HJ3gYFQ3FPoQhHtni0.WtOTwA3u";
static const char bc_2y[] =
    "$2y$04$2WX8xaoAN6Z572PrL6gpruGYLuB7mzOwqMR.fMhiQwyhTfdqwiIs.";
static const char a2id[] = "$argon2id$v=19$m=1024,t=1,p=1$"
    "c2FsdHNhbHRzYWx0MTIzNA$HasTmFLTOhYVTzxQbN0M2+z4TY56vDB8T+u6D3kw4+4";
static const char a2i[] = "$argon2i$v=19$m=1024,t=1,p=1$"
    "c2FsdHNhbHRzYWx0MTIzNA$0pFVmIGxhVxLJ/hEzYfgNBbbdeqD27iR0GZzNBAyOXY";
static const char a2id_222[] = "$argon2id$v=19$m=2048,t=2,p=2$"
    "c2FsdHNhbHRzYWx0MTIzNA$Zigg5YxhKoZgFElAtnhNva7rq8zX62ImL6ghHbQPpw4";

static int
vf(const char *hash, const char *pw, int *rehash)
{
	return pwhash_verify(&pp, hash, pw, strlen(pw), rehash);
}

static void
test_argon2(void)
{
	struct pwhash_params	 p2 = pp;
	char			*h, *h2;
	uint32_t		 m, t, p;
	int			 rh, var;
	static const char	 nulpw[] = "ab\0cd";

	h = pwhash_hash(&pp, PW, PWLEN);
	T_OK(h != NULL, "pwhash_hash");
	if (h == NULL)
		return;
	T_OK(strncmp(h, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0, "%s", h);
	T_OK(pwhash_parse_argon2(h, &var, &m, &t, &p) == 0 &&
	    var == Argon2_id && m == 1024 && t == 1 && p == 1, "parse own");
	/* 16-byte salt (22 chars) and 32-byte hash (43 chars). */
	T_OK(strlen(h) == 30 + 22 + 1 + 43, "length %zu", strlen(h));
	rh = -1;
	T_OK(vf(h, PW, &rh) == 1 && rh == 0, "match, current params");
	rh = -1;
	T_OK(vf(h, "correct horsE", &rh) == 0 && rh == 0, "wrong password");
	CHECK(vf(h, "", &rh) == 0);
	CHECK(pwhash_verify(&pp, h, PW, PWLEN - 1, &rh) == 0);
	CHECK(pwhash_verify(&pp, h, PW, PWLEN, NULL) == 1);
	/* Salts differ. */
	h2 = pwhash_hash(&pp, PW, PWLEN);
	T_OK(h2 != NULL && strcmp(h, h2) != 0, "fresh salt");
	free(h2);

	/* Changed parameters: still matches, asks for a rehash. */
	p2.t_cost = 2;
	rh = 0;
	T_OK(pwhash_verify(&p2, h, PW, PWLEN, &rh) == 1 && rh == 1,
	    "rehash on new t");
	p2 = pp;
	p2.m_cost = 2048;
	rh = 0;
	T_OK(pwhash_verify(&p2, h, PW, PWLEN, &rh) == 1 && rh == 1,
	    "rehash on new m");
	p2 = pp;
	p2.parallelism = 2;
	rh = 0;
	T_OK(pwhash_verify(&p2, h, PW, PWLEN, &rh) == 1 && rh == 1,
	    "rehash on new p");
	/* Ceiling under the stored parameters: refused. */
	p2 = pp;
	p2.max_m_cost = 512;
	T_OK(pwhash_verify(&p2, h, PW, PWLEN, &rh) == -1, "m over ceiling");
	free(h);

	/* Passwords with NUL bytes are hashed by length. */
	h = pwhash_hash(&pp, nulpw, sizeof(nulpw) - 1);
	T_OK(h != NULL, "hash with NUL");
	if (h != NULL) {
		CHECK(pwhash_verify(&pp, h, nulpw, sizeof(nulpw) - 1,
		    &rh) == 1);
		CHECK(pwhash_verify(&pp, h, "ab", 2, &rh) == 0);
		CHECK(pwhash_verify(&pp, h, "ab\0ce", 5, &rh) == 0);
	}
	free(h);
	/* Empty password. */
	h = pwhash_hash(&pp, NULL, 0);
	T_OK(h != NULL && pwhash_verify(&pp, h, "", 0, &rh) == 1 &&
	    pwhash_verify(&pp, h, NULL, 0, &rh) == 1, "empty password");
	free(h);
	/* Bad parameters fail cleanly. */
	p2 = pp;
	p2.t_cost = 0;
	T_OK(pwhash_hash(&p2, PW, PWLEN) == NULL, "t=0");
	p2 = pp;
	p2.m_cost = 4;
	T_OK(pwhash_hash(&p2, PW, PWLEN) == NULL, "m=4");
	T_OK(pwhash_hash(NULL, PW, PWLEN) == NULL, "no params");

	/* Hashes made by the argon2 tool. */
	rh = -1;
	T_OK(vf(a2id, PW, &rh) == 1 && rh == 0, "argon2 tool, argon2id");
	CHECK(vf(a2id, "wrong", &rh) == 0);
	rh = 0;
	T_OK(vf(a2i, PW, &rh) == 1 && rh == 1, "argon2i matches, rehash");
	CHECK(vf(a2i, "wrong", &rh) == 0);
	rh = 0;
	T_OK(vf(a2id_222, PW, &rh) == 1 && rh == 1, "older params, rehash");
	/* Same bytes relabelled as the other variant: no match. */
	CHECK(vf("$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	    "HasTmFLTOhYVTzxQbN0M2+z4TY56vDB8T+u6D3kw4+4", PW, &rh) == 0);
}

static void
test_ceiling(void)
{
	int64_t	 t0;
	int	 rh = 1;

	t0 = mono_ms();
	T_OK(vf("$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	    "HasTmFLTOhYVTzxQbN0M2+z4TY56vDB8T+u6D3kw4+4", PW, &rh) == -1,
	    "m=4 GiB refused");
	T_OK(rh == 0, "no rehash on refusal");
	CHECK(vf("$argon2id$v=19$m=4294967295,t=4294967295,p=16777215$"
	    "c2FsdHNhbHRzYWx0MTIzNA$"
	    "HasTmFLTOhYVTzxQbN0M2+z4TY56vDB8T+u6D3kw4+4",
	    PW, &rh) == -1);
	T_OK(vf("$argon2id$v=19$m=1024,t=5,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	    "HasTmFLTOhYVTzxQbN0M2+z4TY56vDB8T+u6D3kw4+4", PW, &rh) == -1,
	    "t over ceiling");
	T_OK(vf("$argon2id$v=19$m=65536,t=1,p=17$c2FsdHNhbHRzYWx0MTIzNA$"
	    "HasTmFLTOhYVTzxQbN0M2+z4TY56vDB8T+u6D3kw4+4", PW, &rh) == -1,
	    "p over 16");
	T_OK(vf("$2b$15$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS",
	    PW, &rh) == -1, "bcrypt cost 15 over the ceiling");
	T_OK(vf("$2b$31$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS",
	    PW, &rh) == -1, "bcrypt cost 31");
	T_OK(mono_ms() - t0 < 100, "refusals took %lld ms",
	    (long long)(mono_ms() - t0));
	/* At the ceiling exactly: still verified (wrong hash, no match). */
	CHECK(vf("$argon2id$v=19$m=1024,t=4,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	    "HasTmFLTOhYVTzxQbN0M2+z4TY56vDB8T+u6D3kw4+4", PW, &rh) == 0);
}

static void
test_bcrypt(void)
{
	char	 buf[128];
	int	 rh;

	rh = 0;
	T_OK(vf(bc_2b, PW, &rh) == 1 && rh == 1, "$2b$ match, rehash");
	rh = 0;
	T_OK(vf(bc_2b, "correct horsE", &rh) == 0 && rh == 0, "$2b$ mismatch");
	CHECK(vf(bc_2b, "", &rh) == 0);
	rh = 0;
	T_OK(vf(bc_2a, PW, &rh) == 1 && rh == 1, "$2a$ match");
	CHECK(vf(bc_2a, "correct", &rh) == 0);
	rh = 0;
	T_OK(vf(bc_2y, PW, &rh) == 1 && rh == 1, "$2y$ match (htpasswd)");
	CHECK(vf(bc_2y, "Correct horse", &rh) == 0);
	/* A NUL inside the password never matches (crypt takes C strings). */
	T_OK(pwhash_verify(&pp, bc_2b, PW "\0x", PWLEN + 2, &rh) == 0,
	    "NUL inside");
	/* Given length wins over the C string. */
	CHECK(pwhash_verify(&pp, bc_2b, PW "xyz", PWLEN, &rh) == 1);
	/* A changed hash character: no match. */
	snprintf(buf, sizeof(buf), "%s", bc_2b);
	buf[40] = buf[40] == 'a' ? 'b' : 'a';
	CHECK(vf(buf, PW, &rh) == 0);
	/* Malformed. */
	CHECK(vf("$2b$04$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSa",
	    PW, &rh) == -1);
	CHECK(vf("$2b$04$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS"
	    "x",
	    PW, &rh) == -1);
	CHECK(vf("$2b$03$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS",
	    PW, &rh) == -1);
	CHECK(vf("$2b$4$$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS",
	    PW, &rh) == -1);
	CHECK(vf("$2b$0a$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS",
	    PW, &rh) == -1);
	CHECK(vf("$2b$04$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhyw$aS",
	    PW, &rh) == -1);
	CHECK(vf("$2b$04$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhyw+aS",
	    PW, &rh) == -1);
	CHECK(vf("$2x$04$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS",
	    PW, &rh) == -1);
	CHECK(vf("$2$04$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8VlFTlEsYN80YSSUhywSaS",
	    PW, &rh) == -1);
	CHECK(vf("$2b$", PW, &rh) == -1);
}

static void
test_malformed(void)
{
	static const char	*bad[] = {
		"",
		"$",
		"$argon2id$",
		"$argon2id",
		"$argon2d$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=019$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=19$m=01024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=19$m=-1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=19$m=+1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=19$m=,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=19$m=4294967296,t=1,p=1$c2FsdA$AAAA",
		"$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdA$AAAA",
		"$argon2id$v=19$t=1,m=1024,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=19$m=1024,t=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=19$m=1024,t=1,p=1,keyid=x$c2FsdA$AAAA",
		"$argon2id$v=19$m=1024,t=1,p=1$$AAAA",
		"$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$",
		"$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA",
		"$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA$",
		"$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA==$AAAA",
		"$argon2id$v=19$m=1024,t=1,p=1$c2Fsd-HNhbHRzYWx0MTIzNA$AAAA",
		"$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AA AA",
		"$ARGON2ID$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		" $argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAA",
		"$pbkdf2-sha256$29000$c2FsdA$AAAA",
		"$1$saltsalt$AAAAAAAAAAAAAAAAAAAAAA",
		"$6$saltsalt$AAAA",
		"*",
		"!",
		"plaintext",
		PWHASH_UNUSABLE,
		NULL,
	};
	char		 big[400];
	uint32_t	 m = 7, t = 7, p = 7;
	size_t		 i;
	int		 var = 7, rh;

	for (i = 0; bad[i] != NULL; i++) {
		rh = 1;
		T_OK(vf(bad[i], PW, &rh) == -1 && rh == 0, "\"%s\"", bad[i]);
		if (strncmp(bad[i], "$argon2", 7) == 0)
			T_OK(pwhash_parse_argon2(bad[i], &var, &m, &t,
			    &p) == -1 && var == 7 && m == 7, "parse \"%s\"",
			    bad[i]);
	}
	T_OK(vf(PWHASH_UNUSABLE, PWHASH_UNUSABLE, &rh) == -1,
	    "the unusable marker as its own password");
	CHECK(pwhash_verify(&pp, NULL, PW, PWLEN, &rh) == -1);
	CHECK(pwhash_verify(NULL, a2id, PW, PWLEN, &rh) == -1);
	CHECK(pwhash_verify(&pp, a2id, NULL, 3, &rh) == -1);
	/* Well-formed, but libargon2 refuses a 3-byte hash: unusable. */
	CHECK(vf("$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$AAAA", PW, &rh) == -1);
	/* Over the stored-hash length bound. */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "$argon2id$v=19$m=1024,t=1,p=1$", 30);
	big[100] = '$';
	CHECK(vf(big, PW, &rh) == -1);
	/* Parse of a good string, and argon2i. */
	T_OK(pwhash_parse_argon2(a2i, &var, &m, &t, &p) == 0 &&
	    var == Argon2_i && m == 1024 && t == 1 && p == 1, "parse argon2i");
	T_OK(pwhash_parse_argon2("$argon2id$v=19$m=4294967295,t=0,p=0$AA$AA",
	    &var, &m, &t, &p) == 0 && m == 4294967295u && t == 0,
	    "parse only parses");
}

int
main(void)
{
	test_argon2();
	test_ceiling();
	test_bcrypt();
	test_malformed();
	return t_done("pwhash");
}
