/*
 * HS256 JSON Web Tokens (RFC 7519, compact JWS of RFC 7515) made and
 * checked with OpenSSL's HMAC-SHA256 and json-c.
 *
 * Verification authenticates before it interprets: the token is split
 * and its characters checked, then the HMAC over "header.payload" is
 * recomputed and compared in constant time, and only then are the
 * header and the claims decoded and parsed.  Without the key nobody
 * reaches the JSON parser.  The header must still say alg "HS256" so
 * that a token made for another algorithm is never taken for ours.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "jwt.h"
#include "log.h"
#include "util.h"

#define JWT_MAX_LEN	8192	/* longest token looked at, bytes */
#define JWT_MAX_DEPTH	8	/* JSON nesting accepted in header/claims */
#define JWT_MAC_LEN	32	/* HMAC-SHA256 */
#define JWT_SIG_B64LEN	43	/* base64url of 32 bytes, no padding */

static const char jwt_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/*
 * The HMAC of the last key used, kept keyed: OpenSSL 3's one-shot HMAC()
 * fetches the algorithm and sets the key up anew on every call, which
 * was a fifth of a worker's time per token check.  A context made once
 * and re-initialised with the key it holds skips both.  The key is
 * compared by value (a reloaded configuration may reuse the address).
 */
static EVP_MAC		*jwt_mac;
static EVP_MAC_CTX	*jwt_mac_ctx;
static unsigned char	*jwt_mac_key;
static size_t		 jwt_mac_keylen;

static EVP_MAC_CTX *
jwt_mac_for(const unsigned char *key, size_t keylen)
{
	OSSL_PARAM	 params[2];

	if (jwt_mac_ctx != NULL && keylen == jwt_mac_keylen &&
	    memcmp(key, jwt_mac_key, keylen) == 0)
		return EVP_MAC_init(jwt_mac_ctx, NULL, 0, NULL) ? jwt_mac_ctx :
		    NULL;
	EVP_MAC_CTX_free(jwt_mac_ctx);
	jwt_mac_ctx = NULL;
	if (jwt_mac_key != NULL) {
		OPENSSL_cleanse(jwt_mac_key, jwt_mac_keylen);
		free(jwt_mac_key);
		jwt_mac_key = NULL;
	}
	if (jwt_mac == NULL &&
	    (jwt_mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	if ((jwt_mac_ctx = EVP_MAC_CTX_new(jwt_mac)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string("digest",
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(jwt_mac_ctx, key, keylen, params)) {
		EVP_MAC_CTX_free(jwt_mac_ctx);
		jwt_mac_ctx = NULL;
		return NULL;
	}
	jwt_mac_key = xmalloc(keylen);
	memcpy(jwt_mac_key, key, keylen);
	jwt_mac_keylen = keylen;
	return jwt_mac_ctx;
}

/*
 * HMAC-SHA256 of data with key into mac.  OpenSSL treats a NULL key as
 * "no key given", so an empty key is passed as a real empty buffer.
 * Returns 0, or -1 when OpenSSL fails or the key is empty or too long.
 */
static int
jwt_hmac(const unsigned char *key, size_t keylen, const void *data,
    size_t n, unsigned char mac[JWT_MAC_LEN])
{
	EVP_MAC_CTX	*ctx;
	size_t		 maclen = 0;

	if (key == NULL || keylen == 0 || keylen > 65536)
		return -1;
	if ((ctx = jwt_mac_for(key, keylen)) == NULL ||
	    !EVP_MAC_update(ctx, data, n) ||
	    !EVP_MAC_final(ctx, mac, &maclen, JWT_MAC_LEN) ||
	    maclen != JWT_MAC_LEN)
		return -1;
	return 0;
}

/*
 * Tokens verified lately, per process.  A client sends the same access
 * token with every request for its whole life, and checking it again
 * (HMAC, base64, two JSON parses) was about a quarter of a worker's time
 * per validate.  What is remembered is only what verification computes
 * from the token's own bytes and the key: that the signature is the
 * key's, that the header agrees with the key, and the claims.  Whatever
 * can change is still checked every time: exp and nbf against now, and
 * that the key that verified the token is still in the ring passed in,
 * the first live key with those bytes and with the same kid and legacy
 * flag (a retired or removed key verifies nothing, remembered or not).
 * Revocation is not a property of the token: the caller still reads the
 * account and session (generation, session state) on every request.
 *
 * Direct-mapped, JWT_MEMO_N slots picked by the signature's last
 * characters (HMAC output: evenly spread).  A token is found only when
 * all its bytes equal the remembered one, compared in constant time.
 */
#define JWT_MEMO_N	32
#define JWT_MEMO_TOKMAX	1024	/* longer tokens are verified every time */

struct jwt_memo {
	char			 tok[JWT_MEMO_TOKMAX];
	size_t			 len;		/* 0: empty */
	unsigned char		*key;		/* copy of the verifying key */
	size_t			 keylen;
	char			 kid[JWT_KID_MAX + 1];
	int			 legacy;
	int			 has_nbf;
	int64_t			 nbf;
	struct jwt_claims	 claims;
	struct json_object	*payload;
};

static struct jwt_memo	jwt_memo[JWT_MEMO_N];
static unsigned long	jwt_memo_nhits;

static void
jwt_memo_clear(struct jwt_memo *m)
{
	json_object_put(m->payload);
	if (m->key != NULL) {
		OPENSSL_cleanse(m->key, m->keylen);
		free(m->key);
	}
	OPENSSL_cleanse(m, sizeof(*m));
	m->payload = NULL;
	m->key = NULL;
}

static struct jwt_memo *
jwt_memo_slot(const char *tok, size_t len)
{
	unsigned	h;

	h = (unsigned char)tok[len - 1] | (unsigned char)tok[len - 2] << 8;
	return &jwt_memo[h % JWT_MEMO_N];
}

/*
 * The remembered verification of tok when it still holds against keys
 * and now: 0 with *c and *payload filled, -1 when the token is known but
 * expired or not yet valid, 1 when it must be verified.
 */
static int
jwt_memo_find(const char *tok, size_t len, const struct jwt_key *keys,
    size_t nkeys, int64_t now, struct jwt_claims *c,
    struct json_object **payload)
{
	struct jwt_memo	*m = jwt_memo_slot(tok, len);
	size_t		 i;

	if (m->len == 0 || !ct_eq(m->tok, m->len, tok, len))
		return 1;
	for (i = 0; i < nkeys; i++)
		if (keys[i].key != NULL && keys[i].len == m->keylen &&
		    CRYPTO_memcmp(keys[i].key, m->key, m->keylen) == 0)
			break;
	if (i == nkeys || keys[i].legacy != m->legacy ||
	    strcmp(keys[i].kid, m->kid) != 0) {
		jwt_memo_clear(m);
		return 1;
	}
	if (m->claims.exp <= now || (m->has_nbf && m->nbf > now))
		return -1;
	jwt_memo_nhits++;
	if (c != NULL)
		*c = m->claims;
	if (payload != NULL)
		*payload = json_object_get(m->payload);
	return 0;
}

/* Remembers a verification that succeeded (the memo takes a reference). */
static void
jwt_memo_keep(const char *tok, size_t len, const struct jwt_key *k,
    const struct jwt_claims *c, int has_nbf, int64_t nbf,
    struct json_object *payload)
{
	struct jwt_memo	*m;

	if (len > JWT_MEMO_TOKMAX)
		return;
	m = jwt_memo_slot(tok, len);
	jwt_memo_clear(m);
	memcpy(m->tok, tok, len);
	m->len = len;
	m->key = xmalloc(k->len);
	memcpy(m->key, k->key, k->len);
	m->keylen = k->len;
	memcpy(m->kid, k->kid, sizeof(m->kid));
	m->legacy = k->legacy;
	m->has_nbf = has_nbf;
	m->nbf = nbf;
	m->claims = *c;
	m->payload = json_object_get(payload);
}

unsigned long
jwt_memo_hits(void)
{
	return jwt_memo_nhits;
}

void
jwt_memo_forget(void)
{
	size_t	i;

	for (i = 0; i < JWT_MEMO_N; i++)
		jwt_memo_clear(&jwt_memo[i]);
}

/* The base64url alphabet, no padding. */
static int
jwt_b64char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/*
 * The same as a table, for the scan of every byte of every token (one
 * load per byte instead of five comparisons).
 */
static const unsigned char jwt_b64set[256] = {
	['-'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int
jwt_b64ok(const char *s, size_t n)
{
	size_t		 i;
	unsigned	 ok = 1;

	if (n == 0 || n % 4 == 1)
		return 0;
	for (i = 0; i < n; i++)
		ok &= jwt_b64set[(unsigned char)s[i]];
	return ok;
}

/*
 * Decodes one base64url part and parses it as a JSON object: strict
 * syntax, valid UTF-8, bounded depth, nothing after the object, no NUL
 * byte in the text.  Returns the object (caller puts it) or NULL.
 */
static struct json_object *
jwt_part_obj(const char *s, size_t n)
{
	struct json_tokener	*tk;
	struct json_object	*o = NULL;
	unsigned char		*buf;
	size_t			 len;

	if (b64url_decode(s, n, &buf, &len) == -1)
		return NULL;
	if (len == 0 || len > JWT_MAX_LEN || memchr(buf, '\0', len) != NULL)
		goto done;
	if ((tk = json_tokener_new_ex(JWT_MAX_DEPTH)) == NULL)
		goto done;
	json_tokener_set_flags(tk, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tk, (const char *)buf, (int)len);
	if (o != NULL && (json_tokener_get_error(tk) != json_tokener_success ||
	    json_tokener_get_parse_end(tk) != len ||
	    !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tk);
done:
	free(buf);
	return o;
}

/*
 * Copies the string member k of o into dst (size dstsz).  A member of
 * another type, one holding a NUL byte or one that does not fit (no
 * silent truncation) is refused: -1.  A required member must be present
 * and non-empty; an absent optional one gives 0 and leaves dst alone.
 * Returns 0 on success.
 */
static int
jwt_str(struct json_object *o, const char *k, int required, char *dst,
    size_t dstsz)
{
	struct json_object	*v;
	const char		*s;
	int			 n;

	if (!json_object_object_get_ex(o, k, &v))
		return required ? -1 : 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (s == NULL || n < 0 || (n == 0 && required) ||
	    (size_t)n >= dstsz || memchr(s, '\0', (size_t)n) != NULL)
		return -1;
	memcpy(dst, s, (size_t)n);
	dst[n] = '\0';
	return 0;
}

/*
 * Reads the integer member k of o into *dst, same rules as jwt_str():
 * only a JSON integer is taken (not 1.0, not "1").  json-c clamps a
 * number outside int64 to INT64_MAX or INT64_MIN, so both limits are
 * refused rather than read as "expires never".
 */
static int
jwt_int(struct json_object *o, const char *k, int required, int64_t *dst)
{
	struct json_object	*v;
	int64_t			 n;

	if (!json_object_object_get_ex(o, k, &v))
		return required ? -1 : 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	if (n == INT64_MAX || n == INT64_MIN)
		return -1;
	*dst = n;
	return 0;
}

/* A key id we make and accept: 1 to JWT_KID_MAX of [A-Za-z0-9_-]. */
static int
jwt_kid_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > JWT_KID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!jwt_b64char((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * Checks the protected header: alg exactly "HS256", typ (optional) a
 * string "JWT" in any case, no "crit" since we understand no extension
 * (RFC 7515 4.1.11), and a kid that agrees with the key k that verified
 * the signature (struct jwt_key).
 */
static int
jwt_header_ok(struct json_object *h, const struct jwt_key *k)
{
	struct json_object	*v;
	const char		*s;
	size_t			 n;

	if (!json_object_object_get_ex(h, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != 5 ||
	    memcmp(json_object_get_string(v), "HS256", 5) != 0)
		return 0;
	if (json_object_object_get_ex(h, "typ", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) != 3)
			return 0;
		s = json_object_get_string(v);
		if (strncasecmp(s, "JWT", 3) != 0)
			return 0;
	}
	if (json_object_object_get_ex(h, "crit", NULL))
		return 0;
	if (k->kid[0] == '\0')
		return 1;
	if (!json_object_object_get_ex(h, "kid", &v))
		return k->legacy;
	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	return jwt_kid_ok(s, n) && n == strlen(k->kid) &&
	    memcmp(s, k->kid, n) == 0;
}

/*
 * Builds the claims object of c.  The fixed-size fields are read up to
 * their size even if a caller forgot the terminating NUL.
 */
static struct json_object *
jwt_claims_obj(const struct jwt_claims *c)
{
	struct json_object	*o;

	o = json_object_new_object();
	if (o == NULL)
		return NULL;
#define JWT_ADDSTR(f) json_object_object_add(o, #f,			\
	json_object_new_string_len(c->f, (int)strnlen(c->f, sizeof(c->f))))
	JWT_ADDSTR(sub);
	JWT_ADDSTR(type);
	json_object_object_add(o, "iat", json_object_new_int64(c->iat));
	json_object_object_add(o, "exp", json_object_new_int64(c->exp));
	JWT_ADDSTR(jti);
	JWT_ADDSTR(role);
	JWT_ADDSTR(username);
	json_object_object_add(o, "gen", json_object_new_int64(c->gen));
	if (c->sid[0] != '\0')
		JWT_ADDSTR(sid);
#undef JWT_ADDSTR
	return o;
}

/*
 * Signs the claims of c as a compact JWT: base64url (no padding) of the
 * header {"alg":"HS256","typ":"JWT"}, of the claims sub, type, iat, exp,
 * jti, role, username, gen and, when c->sid is not empty, sid in that
 * order (integers as JSON integers), and of their HMAC-SHA256 with key.
 * Returns the token, allocated (caller frees), or NULL when the key is
 * empty or OpenSSL/json-c fail (logged).
 */
char *
jwt_sign(const struct jwt_claims *c, const unsigned char *key, size_t keylen)
{
	return jwt_sign_kid(c, NULL, key, keylen);
}

/*
 * jwt_sign() with the header {"alg":"HS256","typ":"JWT","kid":kid} when
 * kid is given.  NULL for a kid outside [A-Za-z0-9_-]{1,32}.
 */
char *
jwt_sign_kid(const struct jwt_claims *c, const char *kid,
    const unsigned char *key, size_t keylen)
{
	struct json_object	*o;
	const char		*js;
	size_t			 jslen;
	unsigned char		 mac[JWT_MAC_LEN];
	char			*hdr, *h64, *p64, *s64, *input, *tok = NULL;

	if (kid != NULL && *kid != '\0' && !jwt_kid_ok(kid, strlen(kid))) {
		log_warnx("jwt_sign: bad key id");
		return NULL;
	}
	if (c == NULL || (o = jwt_claims_obj(c)) == NULL) {
		log_warnx("jwt_sign: json-c failed");
		return NULL;
	}
	js = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &jslen);
	if (js == NULL) {
		json_object_put(o);
		log_warnx("jwt_sign: json-c failed");
		return NULL;
	}
	if (kid != NULL && *kid != '\0')
		hdr = xasprintf("{\"alg\":\"HS256\",\"typ\":\"JWT\","
		    "\"kid\":\"%s\"}", kid);
	else
		hdr = xstrdup(jwt_header);
	h64 = b64url_encode(hdr, strlen(hdr));
	free(hdr);
	p64 = b64url_encode(js, jslen);
	json_object_put(o);
	input = xasprintf("%s.%s", h64, p64);
	if (jwt_hmac(key, keylen, input, strlen(input), mac) == -1) {
		log_warnx("jwt_sign: HMAC failed (key length %zu)", keylen);
		goto done;
	}
	s64 = b64url_encode(mac, sizeof(mac));
	tok = xasprintf("%s.%s", input, s64);
	free(s64);
done:
	OPENSSL_cleanse(mac, sizeof(mac));
	free(input);
	free(h64);
	free(p64);
	return tok;
}

/*
 * Verifies the compact JWT tok (len bytes, not necessarily
 * NUL-terminated): at most 8 KiB, exactly three non-empty base64url
 * parts, a signature equal in constant time to HMAC-SHA256 with key of
 * "header.payload", a header that is an object with alg "HS256", and
 * claims that are an object with an integer exp > now, type "access",
 * a string sub and an integer gen; jti, role, username and sid are taken
 * when they are strings that fit their fields, iat when an integer, and a
 * nbf, if any, must be an integer <= now.
 * Returns 0 and fills c (when non-NULL) on success; if payload is
 * non-NULL it then receives the claims object, which the caller puts.
 * Returns -1 on any failure, leaving c and *payload untouched.
 */
int
jwt_verify(const char *tok, size_t len, const unsigned char *key,
    size_t keylen, int64_t now, struct jwt_claims *c,
    struct json_object **payload)
{
	struct jwt_key	k;

	memset(&k, 0, sizeof(k));
	k.key = key;
	k.len = keylen;
	return jwt_verify_keys(tok, len, &k, 1, now, c, payload);
}

/*
 * The index of the key of keys whose HMAC-SHA256 of the first n bytes
 * of tok, as canonical base64url, equals sig (compared in constant
 * time), or -1.
 */
static int
jwt_which_key(const char *tok, size_t n, const char *sig, size_t slen,
    const struct jwt_key *keys, size_t nkeys)
{
	unsigned char	 mac[JWT_MAC_LEN];
	char		*want;
	size_t		 i;
	int		 found = -1;

	for (i = 0; i < nkeys && found == -1; i++) {
		if (jwt_hmac(keys[i].key, keys[i].len, tok, n, mac) == -1)
			continue;
		want = b64url_encode(mac, sizeof(mac));
		if (ct_eq(want, strlen(want), sig, slen))
			found = (int)i;
		OPENSSL_cleanse(want, strlen(want));
		free(want);
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return found;
}

/*
 * jwt_verify() with a key ring: the signature is checked against each
 * key in turn (the signer first, by the caller's order), and the header
 * must then agree with the key that matched.
 */
int
jwt_verify_keys(const char *tok, size_t len, const struct jwt_key *keys,
    size_t nkeys, int64_t now, struct jwt_claims *c,
    struct json_object **payload)
{
	struct json_object	*h = NULL, *p = NULL;
	struct jwt_claims	 cl;
	const char		*d1, *d2;
	size_t			 hlen, plen, slen;
	int64_t			 nbf;
	int			 rc = -1, ki;

	if (tok == NULL || len == 0 || len > JWT_MAX_LEN)
		return -1;
	if ((d1 = memchr(tok, '.', len)) == NULL)
		return -1;
	hlen = (size_t)(d1 - tok);
	if ((d2 = memchr(d1 + 1, '.', len - hlen - 1)) == NULL)
		return -1;
	plen = (size_t)(d2 - d1 - 1);
	slen = len - hlen - plen - 2;
	if (memchr(d2 + 1, '.', slen) != NULL)
		return -1;
	if (!jwt_b64ok(tok, hlen) || !jwt_b64ok(d1 + 1, plen) ||
	    slen != JWT_SIG_B64LEN || !jwt_b64ok(d2 + 1, slen))
		return -1;
	if (keys != NULL && (rc = jwt_memo_find(tok, len, keys, nkeys, now,
	    c, payload)) != 1)
		return rc;
	rc = -1;

	/*
	 * The expected signature is compared as its canonical base64url
	 * text, so a signature with non-zero padding bits (another
	 * spelling of the same bytes) is refused too.
	 */
	if (keys == NULL || (ki = jwt_which_key(tok, hlen + 1 + plen, d2 + 1,
	    slen, keys, nkeys)) == -1)
		goto done;

	if ((h = jwt_part_obj(tok, hlen)) == NULL ||
	    !jwt_header_ok(h, &keys[ki]))
		goto done;
	if ((p = jwt_part_obj(d1 + 1, plen)) == NULL)
		goto done;

	memset(&cl, 0, sizeof(cl));
	if (jwt_int(p, "exp", 1, &cl.exp) == -1 || cl.exp <= now)
		goto done;
	nbf = INT64_MIN;
	if (jwt_int(p, "nbf", 0, &nbf) == -1 || nbf > now)
		goto done;
	if (jwt_str(p, "type", 1, cl.type, sizeof(cl.type)) == -1 ||
	    strcmp(cl.type, "access") != 0)
		goto done;
	if (jwt_str(p, "sub", 1, cl.sub, sizeof(cl.sub)) == -1 ||
	    jwt_int(p, "gen", 1, &cl.gen) == -1 ||
	    jwt_int(p, "iat", 0, &cl.iat) == -1 ||
	    jwt_str(p, "jti", 0, cl.jti, sizeof(cl.jti)) == -1 ||
	    jwt_str(p, "role", 0, cl.role, sizeof(cl.role)) == -1 ||
	    jwt_str(p, "username", 0, cl.username,
	    sizeof(cl.username)) == -1 ||
	    jwt_str(p, "sid", 0, cl.sid, sizeof(cl.sid)) == -1)
		goto done;

	jwt_memo_keep(tok, len, &keys[ki], &cl, nbf != INT64_MIN, nbf, p);
	if (c != NULL)
		*c = cl;
	if (payload != NULL) {
		*payload = p;
		p = NULL;
	}
	rc = 0;
done:
	json_object_put(h);
	json_object_put(p);
	return rc;
}
