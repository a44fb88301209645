/*
 * Unit tests of lib/pwhash.c: argon2id round trip, the rehash flag,
 * bcrypt and werkzeug imports, the cost ceilings and malformed stored
 * hashes.
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

/*
 * werkzeug hashes of PW: wz_gen1 and wz_gen2 from python3-werkzeug 2.2
 * (generate_password_hash(PW, "pbkdf2:sha256:1000") and its default
 * method with salt_length 8, i.e. 260000 iterations); the others from
 * Python's hashlib (pbkdf2_hmac, scrypt) in werkzeug's format, the salt
 * "saltsaltsalt1234" as text bytes.  wz_utf8 is of "zażółć1 gęślą".
 */
static const char wz_gen1[] = "pbkdf2:sha256:1000$MukKcSyY5gDYHvWB$"
    "ac98a2e6a4f221a1f238786f68d3b257fd99cc74fea6feebd6532d809590a87b";
static const char wz_gen2[] = "pbkdf2:sha256:260000$79Yt4R1l$"
    "6fa6fb8a074ef008f3d92988f784e957a686b1cf0cc15a6d80165d3191f4b42e";
static const char wz_pbkdf2[] = "pbkdf2:sha256:1000$saltsaltsalt1234$"
    "c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64";
static const char wz_scrypt[] = "scrypt:1024:8:1$saltsaltsalt1234$"
    "b01445609c49c91f609d0b8c422a36e10e994daba08aa793d6d493bf20804a83"
    "a49b75906d4ac1d2b98cecf0694631e8386fcd50f71c1b0fee2b4d8096c3d914";
static const char wz_scrypt_p2[] = "scrypt:16:1:2$zz$"
    "bab695efcd2a397e448cc225635e2cf7a1f55f59fa2bc3b17ec6e74d6e77a0b2"
    "47990f1784bac0431ead14ee65914103d7e999c215e02adbcb3f1fc53264f6dc";
static const char wz_utf8_pbkdf2[] = "pbkdf2:sha256:1$ab$"
    "58f372b89125ec1bcb2d00bc4ff28818e1cf014d5ce961586e264569d8df70bb";
static const char wz_utf8_scrypt[] = "scrypt:2:1:1$ab$"
    "4750317f4b49954178f73023daf21bcc530e8156ef290f88881b174b9dd372b1"
    "051287708920dccd644bdd0062f33f4c7e62f75a76044cb87bb53850442befd0";
#define WZ_HEX128 \
    "b01445609c49c91f609d0b8c422a36e10e994daba08aa793d6d493bf20804a83" \
    "a49b75906d4ac1d2b98cecf0694631e8386fcd50f71c1b0fee2b4d8096c3d914"
#define PW_UTF8	"za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87" "1 g\xc4\x99\xc5\x9bl\xc4\x85"

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

static void
test_werkzeug(void)
{
	static const char	*good[] = { wz_gen1, wz_gen2, wz_pbkdf2,
		wz_scrypt, wz_scrypt_p2, NULL };
	char			 buf[300];
	size_t			 i;
	int			 rh;

	for (i = 0; good[i] != NULL; i++) {
		rh = 0;
		T_OK(vf(good[i], PW, &rh) == 1 && rh == 1, "match, rehash: %s",
		    good[i]);
		rh = 1;
		T_OK(vf(good[i], "correct horsE", &rh) == 0 && rh == 0,
		    "mismatch: %s", good[i]);
		CHECK(vf(good[i], "", &rh) == 0);
		CHECK(pwhash_verify(&pp, good[i], PW "x", PWLEN + 1, &rh) == 0);
		CHECK(pwhash_verify(&pp, good[i], PW "x", PWLEN, &rh) == 1);
		T_OK(pwhash_usable(&pp, good[i]) == 1, "usable %s", good[i]);
		/* One hex digit changed: no match. */
		snprintf(buf, sizeof(buf), "%s", good[i]);
		buf[strlen(buf) - 1] = buf[strlen(buf) - 1] == '0' ? '1' : '0';
		CHECK(vf(buf, PW, &rh) == 0);
		/* Upper-case hex never matched in werkzeug either: refused. */
		snprintf(buf, sizeof(buf), "%s", good[i]);
		buf[strlen(buf) - 1] = 'A';
		T_OK(vf(buf, PW, &rh) == -1, "upper-case hex %s", buf);
	}
	/* UTF-8 passwords are hashed as their bytes, as werkzeug does. */
	rh = 0;
	T_OK(vf(wz_utf8_pbkdf2, PW_UTF8, &rh) == 1 && rh == 1, "utf-8 pbkdf2");
	T_OK(vf(wz_utf8_scrypt, PW_UTF8, &rh) == 1 && rh == 1, "utf-8 scrypt");
	CHECK(vf(wz_utf8_scrypt, "zazolc1 gesla", &rh) == 0);
	/* The salt is text: a different salt of the same bytes' base64 fails. */
	CHECK(vf("pbkdf2:sha256:1000$c2FsdHNhbHRzYWx0MTIzNA$"
	    "c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
	    PW, &rh) == 0);
}

static void
test_werkzeug_refused(void)
{
	static const char	*bad[] = {
		/* Without parameters: werkzeug never writes these. */
		"pbkdf2:sha256$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"scrypt$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		/* Other digests and methods. */
		"pbkdf2:sha1:1000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"pbkdf2:sha512:1000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"sha256$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"plain$$correct horse",
		"PBKDF2:sha256:1000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		/* Malformed iterations. */
		"pbkdf2:sha256:0$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"pbkdf2:sha256:01000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"pbkdf2:sha256:-1000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"pbkdf2:sha256:1000:1$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"pbkdf2:sha256:99999999999$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		/* Salt and hex shapes. */
		"pbkdf2:sha256:1000$$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"pbkdf2:sha256:1000$saltsaltsalt1234$",
		"pbkdf2:sha256:1000$saltsaltsalt1234",
		"pbkdf2:sha256:1000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c6",
		"pbkdf2:sha256:1000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c644",
		"pbkdf2:sha256:1000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c6g",
		"pbkdf2:sha256:1000$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64$",
		"pbkdf2:sha256:1000$salt\tsalt$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"pbkdf2:sha256:1000$"
		"01234567890123456789012345678901234567890123456789012345678901234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		/* scrypt with a pbkdf2-sized key, and bad N, r, p. */
		"scrypt:1024:8:1$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"scrypt:1000:8:1$saltsaltsalt1234$" WZ_HEX128,
		"scrypt:1:8:1$saltsaltsalt1234$" WZ_HEX128,
		"scrypt:0:8:1$saltsaltsalt1234$" WZ_HEX128,
		"scrypt:1024:0:1$saltsaltsalt1234$" WZ_HEX128,
		"scrypt:1024:8:0$saltsaltsalt1234$" WZ_HEX128,
		"scrypt:1024:8$saltsaltsalt1234$" WZ_HEX128,
		"scrypt:1024:8:1:1$saltsaltsalt1234$" WZ_HEX128,
		"scrypt:1024:8:1$saltsaltsalt1234$" WZ_HEX128 "00",
		NULL,
	};
	size_t	 i;
	int	 rh;

	for (i = 0; bad[i] != NULL; i++) {
		rh = 1;
		T_OK(vf(bad[i], PW, &rh) == -1 && rh == 0, "\"%s\"", bad[i]);
		T_OK(pwhash_usable(&pp, bad[i]) == 0, "not usable \"%s\"",
		    bad[i]);
	}
}

static void
test_werkzeug_ceiling(void)
{
	static const char	*over[] = {
		/* 1,000,001 iterations. */
		"pbkdf2:sha256:1000001$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		"pbkdf2:sha256:4294967295$saltsaltsalt1234$"
		"c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64",
		/* 128*N*r = 128 MiB over the 64 MiB of max_m_cost. */
		"scrypt:131072:8:1$saltsaltsalt1234$" WZ_HEX128,
		/* N*r wrapping 64 bits. */
		"scrypt:2147483648:4294967295:1$saltsaltsalt1234$" WZ_HEX128,
		"scrypt:1024:4294967295:1$saltsaltsalt1234$" WZ_HEX128,
		/* 64 MiB memory (the ceiling) but 5 x 64 MiB of work > 4 x. */
		"scrypt:65536:8:5$saltsaltsalt1234$" WZ_HEX128,
		/* p over 16. */
		"scrypt:2:1:17$saltsaltsalt1234$" WZ_HEX128,
		NULL,
	};
	int64_t	 t0;
	size_t	 i;
	int	 rh;

	t0 = mono_ms();
	for (i = 0; over[i] != NULL; i++) {
		rh = 1;
		T_OK(vf(over[i], PW, &rh) == -1 && rh == 0, "over: %s",
		    over[i]);
		T_OK(pwhash_usable(&pp, over[i]) == 0, "not usable: %s",
		    over[i]);
	}
	T_OK(mono_ms() - t0 < 100, "refusals took %lld ms",
	    (long long)(mono_ms() - t0));
	/* At the ceilings exactly: usable (no hashing done here). */
	CHECK(pwhash_usable(&pp, "pbkdf2:sha256:1000000$saltsaltsalt1234$"
	    "c3bfd9f93b4a7b6ef4eb3898aa7b46584a72c32701847460b4b20dfa19270c64"));
	CHECK(pwhash_usable(&pp, "scrypt:65536:8:4$saltsaltsalt1234$"
	    WZ_HEX128));
	CHECK(pwhash_usable(&pp, "scrypt:2:1:16$saltsaltsalt1234$"
	    WZ_HEX128));
	/* The other schemes through pwhash_usable. */
	CHECK(pwhash_usable(&pp, bc_2b) == 1);
	CHECK(pwhash_usable(&pp, a2id) == 1);
	CHECK(pwhash_usable(&pp, "$2b$15$L1q5l3Xj3ab5WycpGYP5he8LD/EwRnj8Vl"
	    "FTlEsYN80YSSUhywSaS") == 0);
	CHECK(pwhash_usable(&pp, "$argon2id$v=19$m=1024,t=5,p=1$"
	    "c2FsdHNhbHRzYWx0MTIzNA$HasTmFLTOhYVTzxQbN0M2+z4TY56vDB8T+u6D3kw4+4")
	    == 0);
	CHECK(pwhash_usable(&pp, PWHASH_UNUSABLE) == 0);
	CHECK(pwhash_usable(&pp, "") == 0);
	CHECK(pwhash_usable(&pp, NULL) == 0);
	CHECK(pwhash_usable(NULL, a2id) == 0);
}

int
main(void)
{
	test_argon2();
	test_ceiling();
	test_bcrypt();
	test_malformed();
	test_werkzeug();
	test_werkzeug_refused();
	test_werkzeug_ceiling();
	return t_done("pwhash");
}
