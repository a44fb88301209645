/*
 * Password hashing.  New hashes are argon2id PHC strings made with
 * libargon2 (16-byte random salt, 32-byte hash).  Verification accepts
 * argon2id and argon2i (version 19) and, for accounts imported from the
 * services authd replaces, bcrypt ($2a$, $2b$, $2y$) through libcrypt and
 * werkzeug's pbkdf2:sha256 and scrypt through OpenSSL.
 *
 * A stored hash is not trusted to be cheap: its cost parameters are
 * parsed and checked against the configured ceiling before any work is
 * done, so a crafted row cannot make a worker allocate gigabytes or spin
 * for minutes.  bcrypt costs above 14, pbkdf2 above 1,000,000 iterations
 * and scrypt above the argon2 memory and work ceilings are refused for
 * the same reason.
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "pwhash.h"
#include "util.h"

#define PW_SALT_LEN	16
#define PW_HASH_LEN	32
#define PW_MAX_P	16	/* ceiling on stored parallelism */
#define PW_MAX_STORED	256	/* longest stored hash looked at */
#define PW_BCRYPT_LEN	60	/* "$2b$NN$" + 22 salt + 31 hash */
#define PW_BCRYPT_MAX	14	/* highest bcrypt cost verified */
#define PW_WZ_SALT_MAX	64	/* longest werkzeug salt taken */
#define PW_PBKDF2_LEN	32	/* werkzeug pbkdf2:sha256 key bytes */
#define PW_PBKDF2_MAX	1000000	/* highest pbkdf2 iteration count verified */
#define PW_SCRYPT_LEN	64	/* werkzeug scrypt key bytes */

/*
 * Parses a decimal uint32 at *sp: digits only, no sign, no leading zero,
 * at most 10 digits and no more than UINT32_MAX.  Advances *sp past it.
 */
static int
pw_decimal(const char **sp, uint32_t *out)
{
	const char	*s = *sp;
	uint64_t	 v = 0;
	size_t		 n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n == 10)
			return -1;
		v = v * 10 + (uint64_t)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0') || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	*sp = s + n;
	return 0;
}

/* Expects the literal lit at *sp and advances past it. */
static int
pw_lit(const char **sp, const char *lit)
{
	size_t	 n = strlen(lit);

	if (strncmp(*sp, lit, n) != 0)
		return -1;
	*sp += n;
	return 0;
}

/*
 * Skips a non-empty run of the standard base64 alphabet without padding
 * (what PHC strings use for salt and hash); returns its length, 0 if
 * there is none.
 */
static size_t
pw_b64run(const char *s)
{
	size_t	 n = 0;

	while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
	    (s[n] >= '0' && s[n] <= '9') || s[n] == '+' || s[n] == '/')
		n++;
	return n;
}

/*
 * Parses "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH" (or "$argon2i$...").
 * Only version 19 is taken, parameters in that order without extra
 * ones, salt and hash non-empty unpadded base64 with nothing after.
 * *variant receives Argon2_id or Argon2_i (argon2.h's argon2_type).
 * Returns 0 and fills the out values, -1 when malformed; the out values
 * are left alone on failure.
 */
int
pwhash_parse_argon2(const char *hash, int *variant, uint32_t *m,
    uint32_t *t, uint32_t *p)
{
	const char	*s = hash;
	uint32_t	 mm, tt, pp, ver;
	size_t		 n;
	int		 var;

	if (s == NULL || strnlen(s, PW_MAX_STORED + 1) > PW_MAX_STORED)
		return -1;
	if (pw_lit(&s, "$argon2id$") == 0)
		var = Argon2_id;
	else if (pw_lit(&s, "$argon2i$") == 0)
		var = Argon2_i;
	else
		return -1;
	if (pw_lit(&s, "v=") == -1 || pw_decimal(&s, &ver) == -1 ||
	    ver != ARGON2_VERSION_13 || pw_lit(&s, "$m=") == -1 ||
	    pw_decimal(&s, &mm) == -1 || pw_lit(&s, ",t=") == -1 ||
	    pw_decimal(&s, &tt) == -1 || pw_lit(&s, ",p=") == -1 ||
	    pw_decimal(&s, &pp) == -1 || pw_lit(&s, "$") == -1)
		return -1;
	if ((n = pw_b64run(s)) == 0 || s[n] != '$')
		return -1;
	s += n + 1;
	if ((n = pw_b64run(s)) == 0 || s[n] != '\0')
		return -1;
	*variant = var;
	*m = mm;
	*t = tt;
	*p = pp;
	return 0;
}

/*
 * Makes a new argon2id PHC string of pw (len bytes, NUL allowed) with
 * the parameters of pp, a 16-byte random salt and a 32-byte hash.
 * Returns it allocated (caller frees), or NULL on failure (logged).
 */
char *
pwhash_hash(const struct pwhash_params *pp, const char *pw, size_t len)
{
	unsigned char	 salt[PW_SALT_LEN];
	char		*out;
	size_t		 outlen;
	int		 rc;

	if (pp == NULL || (pw == NULL && len != 0) || len > UINT32_MAX) {
		log_warnx("pwhash_hash: bad arguments");
		return NULL;
	}
	outlen = argon2_encodedlen(pp->t_cost, pp->m_cost, pp->parallelism,
	    PW_SALT_LEN, PW_HASH_LEN, Argon2_id);
	out = xmalloc(outlen);
	rand_bytes(salt, sizeof(salt));
	rc = argon2id_hash_encoded(pp->t_cost, pp->m_cost, pp->parallelism,
	    pw == NULL ? "" : pw, len, salt, sizeof(salt), PW_HASH_LEN, out,
	    outlen);
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		log_warnx("pwhash_hash: argon2id (t=%u m=%u p=%u): %s",
		    pp->t_cost, pp->m_cost, pp->parallelism,
		    argon2_error_message(rc));
		OPENSSL_cleanse(out, outlen);
		free(out);
		return NULL;
	}
	return out;
}

static int
pw_verify_argon2(const struct pwhash_params *pp, const char *hash,
    const char *pw, size_t len, int *rehash)
{
	uint32_t	 m, t, p;
	int		 variant, rc;

	if (pwhash_parse_argon2(hash, &variant, &m, &t, &p) == -1)
		return -1;
	if (m > pp->max_m_cost || t > pp->max_t_cost || p > PW_MAX_P) {
		log_warnx("pwhash: stored argon2 hash over the ceiling "
		    "(m=%u t=%u p=%u)", m, t, p);
		return -1;
	}
	if (variant == Argon2_id)
		rc = argon2id_verify(hash, pw, len);
	else
		rc = argon2i_verify(hash, pw, len);
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	if (rc != ARGON2_OK) {
		log_warnx("pwhash: argon2 verify: %s",
		    argon2_error_message(rc));
		return -1;
	}
	if (variant != Argon2_id || m != pp->m_cost || t != pp->t_cost ||
	    p != pp->parallelism)
		*rehash = 1;
	return 1;
}

/* bcrypt's own base64 alphabet. */
static int
pw_bcrypt_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '.' || ch == '/';
}

/*
 * Checks a bcrypt string's shape and cost: 1 usable, 0 malformed, -1
 * over the ceiling (logged).
 */
static int
pw_parse_bcrypt(const char *hash)
{
	size_t	 i;
	int	 cost;

	if (strnlen(hash, PW_BCRYPT_LEN + 1) != PW_BCRYPT_LEN ||
	    hash[0] != '$' || hash[1] != '2' ||
	    (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') ||
	    hash[3] != '$' || hash[6] != '$' ||
	    hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9')
		return 0;
	for (i = 7; i < PW_BCRYPT_LEN; i++)
		if (!pw_bcrypt_char((unsigned char)hash[i]))
			return 0;
	cost = (hash[4] - '0') * 10 + (hash[5] - '0');
	if (cost < 4 || cost > 31)
		return 0;
	if (cost > PW_BCRYPT_MAX) {
		log_warnx("pwhash: stored bcrypt hash over the ceiling "
		    "(cost %d)", cost);
		return -1;
	}
	return 1;
}

/*
 * bcrypt through libcrypt's crypt_r().  crypt() takes a C string, so a
 * password holding a NUL byte can never be the one that made the hash
 * from the original service's point of view either: it is a mismatch.
 * bcrypt only reads the first 72 bytes of a password; that is the
 * scheme's limit and the reason such hashes are replaced at login.
 */
static int
pw_verify_bcrypt(const char *hash, const char *pw, size_t len, int *rehash)
{
	struct crypt_data	*cd;
	const char		*res;
	char			*buf;
	int			 rc = -1;

	if (pw_parse_bcrypt(hash) != 1)
		return -1;
	if (len != 0 && memchr(pw, '\0', len) != NULL)
		return 0;

	buf = xmalloc(len + 1);
	if (len != 0)
		memcpy(buf, pw, len);
	buf[len] = '\0';
	cd = xcalloc(1, sizeof(*cd));
	res = crypt_r(buf, hash, cd);
	if (res == NULL || res[0] == '*')
		log_warnx("pwhash: crypt_r failed on a bcrypt hash");
	else if (ct_eq(res, strlen(res), hash, PW_BCRYPT_LEN)) {
		*rehash = 1;
		rc = 1;
	} else
		rc = 0;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	OPENSSL_cleanse(buf, len + 1);
	free(buf);
	return rc;
}

/*
 * A werkzeug hash, "METHOD$SALT$HEX", as generate_password_hash() writes
 * it for the two methods taken:
 *   pbkdf2:sha256:ITER$SALT$HEX   PBKDF2-HMAC-SHA256, ITER iterations,
 *                                 32-byte key
 *   scrypt:N:R:P$SALT$HEX         scrypt, 64-byte key
 * SALT is used as its text bytes (werkzeug makes 16 letters and digits
 * by default); HEX is the lower-case hex of the key, as werkzeug compares
 * it.  werkzeug always writes the parameters out, so the forms without
 * them ("pbkdf2:sha256$...", "scrypt$...") are refused: the iterations
 * they stand for changed from one werkzeug release to the next.
 */
struct pw_wz {
	int		 scrypt;	/* else pbkdf2:sha256 */
	uint32_t	 iter;		/* pbkdf2 */
	uint32_t	 n, r, p;	/* scrypt */
	const char	*salt;
	size_t		 saltlen;
	unsigned char	 key[PW_SCRYPT_LEN];
	size_t		 keylen;
};

static int
pw_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Parses a werkzeug hash into *w: 1 usable, 0 malformed, -1 over the
 * ceilings of pp (logged).  The ceilings: pbkdf2 at most 1,000,000
 * iterations (werkzeug's highest default); scrypt with N a power of two
 * of at least 2, r and p from 1, p at most 16, its memory 128*N*r bytes
 * at most pp's max_m_cost KiB and its work 128*N*r*p bytes at most
 * max_m_cost KiB times max_t_cost (what the argon2 ceilings allow).
 */
static int
pw_parse_werkzeug(const struct pwhash_params *pp, const char *hash,
    struct pw_wz *w)
{
	const char	*s = hash;
	uint64_t	 mem, work, cap;
	size_t		 i;
	int		 hi, lo;

	memset(w, 0, sizeof(*w));
	if (strnlen(hash, PW_MAX_STORED + 1) > PW_MAX_STORED)
		return 0;
	if (pw_lit(&s, "pbkdf2:sha256:") == 0) {
		if (pw_decimal(&s, &w->iter) == -1 || w->iter == 0)
			return 0;
		w->keylen = PW_PBKDF2_LEN;
	} else if (pw_lit(&s, "scrypt:") == 0) {
		if (pw_decimal(&s, &w->n) == -1 || pw_lit(&s, ":") == -1 ||
		    pw_decimal(&s, &w->r) == -1 || pw_lit(&s, ":") == -1 ||
		    pw_decimal(&s, &w->p) == -1)
			return 0;
		if (w->n < 2 || (w->n & (w->n - 1)) != 0 || w->r == 0 ||
		    w->p == 0)
			return 0;
		w->scrypt = 1;
		w->keylen = PW_SCRYPT_LEN;
	} else
		return 0;
	if (pw_lit(&s, "$") == -1)
		return 0;
	w->salt = s;
	while (*s != '\0' && *s != '$' && (unsigned char)*s >= 0x20 &&
	    *s != 0x7f)
		s++;
	w->saltlen = (size_t)(s - w->salt);
	if (w->saltlen == 0 || w->saltlen > PW_WZ_SALT_MAX ||
	    pw_lit(&s, "$") == -1 || strlen(s) != w->keylen * 2)
		return 0;
	for (i = 0; i < w->keylen; i++) {
		if ((hi = pw_hexval(s[2 * i])) < 0 ||
		    (lo = pw_hexval(s[2 * i + 1])) < 0)
			return 0;
		w->key[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!w->scrypt) {
		if (w->iter > PW_PBKDF2_MAX) {
			log_warnx("pwhash: stored pbkdf2 hash over the ceiling "
			    "(%u iterations)", w->iter);
			return -1;
		}
		return 1;
	}
	cap = (uint64_t)pp->max_m_cost * 1024;
	mem = 128 * (uint64_t)w->n * w->r;	/* wraps only when r is over */
	if (w->r > cap / 128 / w->n || mem > cap || w->p > PW_MAX_P ||
	    (work = mem * w->p) > cap * pp->max_t_cost) {
		log_warnx("pwhash: stored scrypt hash over the ceiling "
		    "(N=%u r=%u p=%u)", w->n, w->r, w->p);
		return -1;
	}
	return 1;
}

/* werkzeug pbkdf2:sha256 and scrypt through OpenSSL. */
static int
pw_verify_werkzeug(const struct pwhash_params *pp, const char *hash,
    const char *pw, size_t len, int *rehash)
{
	struct pw_wz	 w;
	unsigned char	 dk[PW_SCRYPT_LEN];
	uint64_t	 maxmem;
	int		 ok, rc = -1;

	if (pw_parse_werkzeug(pp, hash, &w) != 1)
		goto done;
	if (len > INT32_MAX)
		goto done;
	if (w.scrypt) {
		/* V (128*r*(N+2)) and B (128*r*p), as OpenSSL counts them. */
		maxmem = 128 * (uint64_t)w.r * ((uint64_t)w.n + 2 + w.p);
		ok = EVP_PBE_scrypt(pw, len, (const unsigned char *)w.salt,
		    w.saltlen, w.n, w.r, w.p, maxmem, dk, w.keylen);
	} else
		ok = PKCS5_PBKDF2_HMAC(pw, (int)len,
		    (const unsigned char *)w.salt, (int)w.saltlen,
		    (int)w.iter, EVP_sha256(), (int)w.keylen, dk);
	if (ok != 1) {
		log_warnx("pwhash: %s failed on a werkzeug hash",
		    w.scrypt ? "EVP_PBE_scrypt" : "PKCS5_PBKDF2_HMAC");
		goto done;
	}
	rc = ct_eq(dk, w.keylen, w.key, w.keylen) ? 1 : 0;
	if (rc == 1)
		*rehash = 1;
done:
	OPENSSL_cleanse(dk, sizeof(dk));
	OPENSSL_cleanse(&w, sizeof(w));
	return rc;
}

/*
 * Verifies pw (len bytes) against the stored hash: argon2id/argon2i
 * PHC strings (parameters checked against pp's ceilings first: m over
 * max_m_cost, t over max_t_cost or p over 16 is refused), bcrypt
 * $2a$/$2b$/$2y$ with cost 04..14, or werkzeug pbkdf2:sha256:ITER and
 * scrypt:N:r:p (see pw_parse_werkzeug for their ceilings).  Returns 1
 * match, 0 no match, -1 the hash is unusable (PWHASH_UNUSABLE, unknown
 * scheme, malformed, over the ceiling, or the library failed).  *rehash
 * (when non-NULL) is set to 0, and to 1 on a match unless the hash is
 * argon2id with exactly pp's t_cost, m_cost and parallelism.
 */
int
pwhash_verify(const struct pwhash_params *pp, const char *hash,
    const char *pw, size_t len, int *rehash)
{
	int	 dummy = 0;

	if (rehash == NULL)
		rehash = &dummy;
	*rehash = 0;
	if (pp == NULL || hash == NULL || (pw == NULL && len != 0))
		return -1;
	if (pw == NULL)
		pw = "";
	if (strncmp(hash, "$argon2id$", 10) == 0 ||
	    strncmp(hash, "$argon2i$", 9) == 0)
		return pw_verify_argon2(pp, hash, pw, len, rehash);
	if (strncmp(hash, "$2a$", 4) == 0 || strncmp(hash, "$2b$", 4) == 0 ||
	    strncmp(hash, "$2y$", 4) == 0)
		return pw_verify_bcrypt(hash, pw, len, rehash);
	if (strncmp(hash, "pbkdf2:", 7) == 0 || strncmp(hash, "scrypt:", 7) == 0)
		return pw_verify_werkzeug(pp, hash, pw, len, rehash);
	return -1;
}

/*
 * Whether pwhash_verify() would work on a stored hash: its scheme is
 * known, it is well-formed and within pp's ceilings.  Does no hashing.
 */
int
pwhash_usable(const struct pwhash_params *pp, const char *hash)
{
	struct pw_wz	 w;
	uint32_t	 m, t, p;
	int		 variant, rc;

	if (pp == NULL || hash == NULL)
		return 0;
	if (strncmp(hash, "$2", 2) == 0)
		return pw_parse_bcrypt(hash) == 1;
	if (strncmp(hash, "pbkdf2:", 7) == 0 ||
	    strncmp(hash, "scrypt:", 7) == 0) {
		rc = pw_parse_werkzeug(pp, hash, &w);
		OPENSSL_cleanse(&w, sizeof(w));
		return rc == 1;
	}
	if (pwhash_parse_argon2(hash, &variant, &m, &t, &p) == -1)
		return 0;
	return m <= pp->max_m_cost && t <= pp->max_t_cost && p <= PW_MAX_P;
}
