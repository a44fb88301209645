/*
 * The stored password hash parser: pwhash_parse_argon2() on the PHC
 * string, then pwhash_verify() of a password against it with tiny
 * parameters and ceilings (m <= 64 KiB, t <= 2), so a crafted hash can
 * only cost what the ceiling allows.  The input is "hash\npassword".
 * bcrypt hashes above cost 6 and werkzeug pbkdf2 ones above 10000
 * iterations are parsed but not verified: a real cost 14 (or a million
 * iterations) takes a second, which is the ceiling working, not a
 * finding.  werkzeug scrypt is verified: the tiny ceilings bound it.
 * A hash pwhash_usable() refuses must be unusable for pwhash_verify().
 */
#include <argon2.h>

#include "pwhash.h"
#include "fuzz.h"

static const struct pwhash_params tiny = {
	.t_cost = 1,
	.m_cost = 8,
	.parallelism = 1,
	.max_m_cost = 64,
	.max_t_cost = 2,
};

static int
bcrypt_costly(const char *h)
{
	return strlen(h) >= 7 && h[0] == '$' && h[1] == '2' && h[3] == '$' &&
	    (h[4] != '0' || h[5] > '6');
}

static int
pbkdf2_costly(const char *h)
{
	const char	*p = "pbkdf2:sha256:";
	size_t		 i, n = strlen(p);

	if (strncmp(h, p, n) != 0)
		return 0;
	for (i = n; h[i] >= '0' && h[i] <= '9'; i++)
		if (i - n >= 4)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, *pw;
	size_t		 pwlen = 0;
	uint32_t	 m = 0, t = 0, p = 0;
	int		 variant = -1, rc, rehash;

	s = fz_cstr(data, size);
	if ((pw = memchr(s, '\n', size)) != NULL) {
		*pw++ = '\0';
		pwlen = size - (size_t)(pw - s);
	}
	if (pwhash_parse_argon2(s, &variant, &m, &t, &p) == 0) {
		if (variant != Argon2_id && variant != Argon2_i)
			fz_fail("variant %d", variant);
		if (strncmp(s, "$argon2", 7) != 0)
			fz_fail("argon2 parse of a non-argon2 string");
	}
	if (!bcrypt_costly(s) && !pbkdf2_costly(s)) {
		rehash = -1;
		rc = pwhash_verify(&tiny, s, pw, pwlen, &rehash);
		if (rc < -1 || rc > 1 || (rehash != 0 && rehash != 1))
			fz_fail("pwhash_verify %d rehash %d", rc, rehash);
		if (rc != -1 && !pwhash_usable(&tiny, s))
			fz_fail("verified a hash pwhash_usable() refuses");
		if (rc == 1 && strncmp(s, "$argon2", 7) == 0 &&
		    (m > tiny.max_m_cost || t > tiny.max_t_cost))
			fz_fail("verified over the ceiling m=%u t=%u", m, t);
	}
	free(s);
	return 0;
}
