/*
 * Unit tests of lib/jwt.c: round trip, a known answer made with PyJWT,
 * and the rejections of SPEC §6 plus malformed and hostile input.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jwt.h"
#include "util.h"
#include "t.h"

/* A check without a message: T_OK(e) alone trips -Wformat-zero-length. */
#define CHECK(e)	T_OK(e, "%s", "")

#define NOW	1700000100

static const unsigned char key[] = "unit-test-key-for-authd-jwt-0123";
#define KEYLEN	(sizeof(key) - 1)

/*
 * Known answer: made once with PyJWT 2.6 (python3-jwt) by
 *   jwt.encode({"sub": "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab",
 *       "type": "access", "iat": 1700000000, "exp": 4102444800,
 *       "jti": "0d9e8f7a-6b5c-4d3e-9f2a-1b0c9d8e7f6a", "role": "REGULAR",
 *       "username": "john2_doe", "gen": 3},
 *       b"authd-known-answer-key-0123456789", algorithm="HS256")
 */
#define KAT_SUB	"6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"
static const char kat_key[] = "authd-known-answer-key-0123456789";
static const char kat_tok[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiI2ZjFjMmQzZS00YTViLTRjNmQtOGU3Zi0wMTIzNDU2Nzg5YWIiLCJ0eXBl"
    "IjoiYWNjZXNzIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsImp0aSI6"
    "IjBkOWU4ZjdhLTZiNWMtNGQzZS05ZjJhLTFiMGM5ZDhlN2Y2YSIsInJvbGUiOiJSRUdV"
    "TEFSIiwidXNlcm5hbWUiOiJqb2huMl9kb2UiLCJnZW4iOjN9."
    "Ky0stbE7en92O1katM9pYuXwpDgQz-DohopCBRKeQZ0";

static const char hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* A payload that passes every check, as a printf format for exp. */
#define GOODP	"{\"sub\":\"u1\",\"type\":\"access\",\"iat\":1700000000," \
		"\"exp\":%lld,\"jti\":\"j\",\"role\":\"ADMIN\","	\
		"\"username\":\"bob\",\"gen\":7}"

/* Signs arbitrary header and payload text with k: a hand-made token. */
static char *
mk(const char *hdr, const char *pl, const unsigned char *k, size_t klen)
{
	unsigned char	 mac[32];
	unsigned int	 maclen;
	char		*h, *p, *in, *s, *tok;

	h = b64url_encode(hdr, strlen(hdr));
	p = b64url_encode(pl, strlen(pl));
	in = xasprintf("%s.%s", h, p);
	HMAC(EVP_sha256(), k, (int)klen, (unsigned char *)in, strlen(in),
	    mac, &maclen);
	s = b64url_encode(mac, maclen);
	tok = xasprintf("%s.%s", in, s);
	free(h);
	free(p);
	free(in);
	free(s);
	return tok;
}

/* jwt_verify() of a whole NUL-terminated string with the test key. */
static int
v(const char *tok)
{
	return jwt_verify(tok, strlen(tok), key, KEYLEN, NOW, NULL, NULL);
}

/* Verifies a hand-made token with header hdr and payload pl. */
static int
vmk(const char *hdr, const char *pl)
{
	char	*tok;
	int	 rc;

	tok = mk(hdr, pl, key, KEYLEN);
	rc = v(tok);
	free(tok);
	return rc;
}

/* Same with the standard header. */
static int
vp(const char *pl)
{
	return vmk(hs256, pl);
}

static char *
goodp(long long exp)
{
	return xasprintf(GOODP, exp);
}

static void
test_roundtrip(void)
{
	struct jwt_claims	 c, out;
	struct json_object	*pl = NULL, *x;
	char			*tok;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", KAT_SUB);
	snprintf(c.type, sizeof(c.type), "%s", "access");
	snprintf(c.jti, sizeof(c.jti), "%s", "abc");
	snprintf(c.role, sizeof(c.role), "%s", "MODERATOR");
	snprintf(c.username, sizeof(c.username), "jane/doe \"q\" \xc3\xa9");
	c.iat = NOW - 10;
	c.exp = NOW + 1800;
	c.gen = 42;
	tok = jwt_sign(&c, key, KEYLEN);
	CHECK(tok != NULL);
	if (tok == NULL)
		return;
	CHECK(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
	CHECK(strchr(tok, '=') == NULL && strchr(tok, '+') == NULL &&
	    strchr(tok, '/') == NULL);
	memset(&out, 0xa5, sizeof(out));
	CHECK(jwt_verify(tok, strlen(tok), key, KEYLEN, NOW, &out, &pl) == 0);
	T_STREQ(out.sub, c.sub);
	T_STREQ(out.type, "access");
	T_STREQ(out.jti, "abc");
	T_STREQ(out.role, "MODERATOR");
	T_STREQ(out.username, c.username);
	CHECK(out.iat == NOW - 10);
	CHECK(out.exp == NOW + 1800);
	CHECK(out.gen == 42);
	CHECK(pl != NULL && json_object_object_get_ex(pl, "gen", &x) &&
	    json_object_is_type(x, json_type_int) &&
	    json_object_get_int64(x) == 42);
	json_object_put(pl);
	/* c and payload may be NULL. */
	CHECK(jwt_verify(tok, strlen(tok), key, KEYLEN, NOW, NULL, NULL) == 0);
	/* exp is exclusive: valid until the second before. */
	CHECK(jwt_verify(tok, strlen(tok), key, KEYLEN, NOW + 1799, NULL,
	    NULL) == 0);
	CHECK(jwt_verify(tok, strlen(tok), key, KEYLEN, NOW + 1800, NULL,
	    NULL) == -1);
	/* Wrong key, one byte off, or a prefix of the key. */
	CHECK(jwt_verify(tok, strlen(tok), (const unsigned char *)"other", 5,
	    NOW, NULL, NULL) == -1);
	CHECK(jwt_verify(tok, strlen(tok), key, KEYLEN - 1, NOW, NULL,
	    NULL) == -1);
	/*
	 * The keyed HMAC context is reused only for the same key bytes: a
	 * key changed in place (a reload reusing the address) is refused,
	 * and the first key works again after it.
	 */
	{
		unsigned char	k2[KEYLEN];

		memcpy(k2, key, KEYLEN);
		CHECK(jwt_verify(tok, strlen(tok), k2, KEYLEN, NOW, NULL,
		    NULL) == 0);
		k2[KEYLEN - 1] ^= 1;
		CHECK(jwt_verify(tok, strlen(tok), k2, KEYLEN, NOW, NULL,
		    NULL) == -1);
		CHECK(jwt_verify(tok, strlen(tok), key, KEYLEN, NOW, NULL,
		    NULL) == 0);
	}
	/* Length given shorter than the string: a cut signature. */
	CHECK(jwt_verify(tok, strlen(tok) - 1, key, KEYLEN, NOW, NULL,
	    NULL) == -1);
	/* Empty key refused both ways. */
	CHECK(jwt_sign(&c, key, 0) == NULL);
	CHECK(jwt_verify(tok, strlen(tok), key, 0, NOW, NULL, NULL) == -1);
	free(tok);

	/* Empty optional strings survive the round trip. */
	c.jti[0] = c.role[0] = c.username[0] = '\0';
	tok = jwt_sign(&c, key, KEYLEN);
	memset(&out, 0, sizeof(out));
	CHECK(tok != NULL && jwt_verify(tok, strlen(tok), key, KEYLEN, NOW,
	    &out, NULL) == 0);
	T_STREQ(out.role, "");
	T_OK(out.sid[0] == '\0' && strstr(tok, "sid") == NULL,
	    "no sid claim without a session");
	free(tok);

	/* sid: signed when set, read back; absent in older tokens. */
	snprintf(c.sid, sizeof(c.sid), "%s",
	    "3f2b8c1e-8d4a-4b7e-9a51-0c6d2e7f1a90");
	tok = jwt_sign(&c, key, KEYLEN);
	memset(&out, 0, sizeof(out));
	pl = NULL;
	T_OK(tok != NULL && jwt_verify(tok, strlen(tok), key, KEYLEN, NOW,
	    &out, &pl) == 0, "token with sid verifies");
	T_STREQ(out.sid, c.sid);
	CHECK(pl != NULL && json_object_object_get_ex(pl, "sid", &x) &&
	    json_object_is_type(x, json_type_string) &&
	    strcmp(json_object_get_string(x), c.sid) == 0);
	json_object_put(pl);
	free(tok);
	c.sid[0] = '\0';

	/* A token inside a larger, unterminated buffer. */
	c.gen = 1;
	tok = jwt_sign(&c, key, KEYLEN);
	if (tok != NULL) {
		size_t	 n = strlen(tok);
		char	*buf = xmalloc(n + 5);

		memcpy(buf, tok, n);
		memcpy(buf + n, ".xyz", 4);
		CHECK(jwt_verify(buf, n, key, KEYLEN, NOW, NULL, NULL) == 0);
		CHECK(jwt_verify(buf, n + 4, key, KEYLEN, NOW, NULL,
		    NULL) == -1);
		free(buf);
	}
	free(tok);
}

static void
test_kat(void)
{
	struct jwt_claims	 c, out;
	char			*tok;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", KAT_SUB);
	snprintf(c.type, sizeof(c.type), "%s", "access");
	snprintf(c.jti, sizeof(c.jti), "0d9e8f7a-6b5c-4d3e-9f2a-1b0c9d8e7f6a");
	snprintf(c.role, sizeof(c.role), "%s", "REGULAR");
	snprintf(c.username, sizeof(c.username), "%s", "john2_doe");
	c.iat = 1700000000;
	c.exp = 4102444800;
	c.gen = 3;
	tok = jwt_sign(&c, (const unsigned char *)kat_key,
	    sizeof(kat_key) - 1);
	T_STREQ(tok, kat_tok);
	free(tok);
	memset(&out, 0, sizeof(out));
	CHECK(jwt_verify(kat_tok, strlen(kat_tok),
	    (const unsigned char *)kat_key, sizeof(kat_key) - 1, 1700000001,
	    &out, NULL) == 0);
	CHECK(memcmp(&out, &c, sizeof(c)) == 0);
	CHECK(jwt_verify(kat_tok, strlen(kat_tok),
	    (const unsigned char *)kat_key, sizeof(kat_key) - 1, 4102444800,
	    NULL, NULL) == -1);
}

static void
test_header(void)
{
	char	*p = goodp(NOW + 60), *t;

	T_OK(vp(p) == 0, "hand-made control token");
	T_OK(vmk("{\"alg\":\"HS256\"}", p) == 0, "typ optional");
	CHECK(vmk("{\"typ\":\"jwt\",\"alg\":\"HS256\"}", p) == 0);
	CHECK(vmk("{\"alg\":\"none\",\"typ\":\"JWT\"}", p) == -1);
	CHECK(vmk("{\"alg\":\"None\"}", p) == -1);
	CHECK(vmk("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", p) == -1);
	CHECK(vmk("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", p) == -1);
	CHECK(vmk("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", p) == -1);
	CHECK(vmk("{\"alg\":\"hs256\"}", p) == -1);
	CHECK(vmk("{\"alg\":\"HS256 \"}", p) == -1);
	CHECK(vmk("{\"alg\":\"HS256\\u0000\"}", p) == -1);
	T_OK(vmk("{\"typ\":\"JWT\"}", p) == -1, "missing alg");
	CHECK(vmk("{\"alg\":256}", p) == -1);
	CHECK(vmk("{\"alg\":null}", p) == -1);
	CHECK(vmk("{\"alg\":[\"HS256\"]}", p) == -1);
	CHECK(vmk("{\"alg\":\"HS256\",\"typ\":\"JWS\"}", p) == -1);
	CHECK(vmk("{\"alg\":\"HS256\",\"typ\":1}", p) == -1);
	CHECK(vmk("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", p) == -1);
	T_OK(vmk("[\"HS256\"]", p) == -1, "header not an object");
	CHECK(vmk("\"HS256\"", p) == -1);
	CHECK(vmk("null", p) == -1);
	T_OK(vmk("{\"alg\":\"HS256\"}x", p) == -1, "trailing bytes");
	CHECK(vmk("{\"alg\":\"HS256\"}{}", p) == -1);
	T_OK(vmk("{'alg':'HS256'}", p) == -1, "not strict JSON");
	T_OK(vmk("{\"alg\":\"HS256\"", p) == -1, "truncated");
	CHECK(vmk(" ", p) == -1);

	/* alg none with no signature at all. */
	t = xasprintf("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%s.", "e30");
	CHECK(v(t) == -1);
	free(t);
	free(p);
}

static void
test_claims(void)
{
	char	*p, *s;

	p = goodp(NOW - 1);
	T_OK(vp(p) == -1, "expired");
	free(p);
	p = goodp(NOW);
	T_OK(vp(p) == -1, "exp == now");
	free(p);
	p = goodp(NOW + 1);
	T_OK(vp(p) == 0, "exp == now + 1");
	free(p);

#define P(rest) "{\"sub\":\"u1\",\"type\":\"access\",\"gen\":1" rest "}"
	T_OK(vp(P(",\"exp\":4102444800")) == 0, "minimal claims");
	T_OK(vp(P("")) == -1, "missing exp");
	T_OK(vp(P(",\"exp\":\"4102444800\"")) == -1, "exp string");
	T_OK(vp(P(",\"exp\":4102444800.0")) == -1, "exp double");
	CHECK(vp(P(",\"exp\":4.1e9")) == -1);
	CHECK(vp(P(",\"exp\":null")) == -1);
	CHECK(vp(P(",\"exp\":true")) == -1);
	CHECK(vp(P(",\"exp\":-4102444800")) == -1);
	T_OK(vp(P(",\"exp\":99999999999999999999999")) == -1,
	    "exp beyond int64 (json-c clamps it)");
	T_OK(vp(P(",\"exp\":9223372036854775807")) == -1, "INT64_MAX");
	T_OK(vp(P(",\"exp\":9223372036854775806")) == 0, "INT64_MAX - 1");
	T_OK(vp(P(",\"exp\":4102444800,\"gen\":-99999999999999999999")) ==
	    -1, "gen beyond int64");
	T_OK(vp(P(",\"exp\":4102444800,\"iat\":\"1\"")) == -1, "iat string");
	CHECK(vp(P(",\"exp\":4102444800,\"iat\":1.5")) == -1);
	CHECK(vp(P(",\"exp\":4102444800,\"nbf\":1700000100")) == 0);
	T_OK(vp(P(",\"exp\":4102444800,\"nbf\":1700000101")) == -1,
	    "not yet valid");
	CHECK(vp(P(",\"exp\":4102444800,\"nbf\":\"0\"")) == -1);
	T_OK(vp(P(",\"exp\":4102444800,\"jti\":5")) == -1, "jti int");
	CHECK(vp(P(",\"exp\":4102444800,\"role\":null")) == -1);
	T_OK(vp(P(",\"exp\":4102444800,\"role\":\"MODERATOR_LONGER\"")) == -1,
	    "role of 16 bytes does not fit");
	CHECK(vp(P(",\"exp\":4102444800,\"role\":\"MODERATOR_LONGE\"")) == 0);
	T_OK(vp(P(",\"exp\":4102444800,\"username\":\"a\\u0000b\"")) == -1,
	    "NUL inside a string");
	T_OK(vp(P(",\"exp\":4102444800,\"sid\":\"s-1\"")) == 0, "sid string");
	T_OK(vp(P(",\"exp\":4102444800,\"sid\":7")) == -1, "sid int");
	CHECK(vp(P(",\"exp\":4102444800,\"sid\":null")) == -1);
	T_OK(vp(P(",\"exp\":4102444800,\"sid\":\"a\\u0000b\"")) == -1,
	    "NUL inside sid");
	T_OK(vp(P(",\"exp\":4102444800,\"other\":{\"x\":[1,2,{}]}")) == 0,
	    "unknown claims ignored");
	T_OK(vp(P(",\"exp\":4102444800,\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]")) == -1,
	    "too deep");
	T_OK(vp(P(",\"exp\":4102444800,\"username\":\"\xc3\x28\"")) == -1,
	    "invalid UTF-8");
#undef P

#define E ",\"exp\":4102444800"
	T_OK(vp("{\"sub\":\"u1\",\"type\":\"refresh\",\"gen\":1" E "}") == -1,
	    "type refresh");
	CHECK(vp("{\"sub\":\"u1\",\"type\":\"Access\",\"gen\":1" E "}") == -1);
	CHECK(vp("{\"sub\":\"u1\",\"type\":\"access \",\"gen\":1" E "}") == -1);
	T_OK(vp("{\"sub\":\"u1\",\"gen\":1" E "}") == -1, "missing type");
	CHECK(vp("{\"sub\":\"u1\",\"type\":1,\"gen\":1" E "}") == -1);
	T_OK(vp("{\"type\":\"access\",\"gen\":1" E "}") == -1, "missing sub");
	T_OK(vp("{\"sub\":\"\",\"type\":\"access\",\"gen\":1" E "}") == -1,
	    "empty sub");
	CHECK(vp("{\"sub\":12,\"type\":\"access\",\"gen\":1" E "}") == -1);
	T_OK(vp("{\"sub\":\"u1\",\"type\":\"access\"" E "}") == -1,
	    "missing gen");
	T_OK(vp("{\"sub\":\"u1\",\"type\":\"access\",\"gen\":\"1\"" E "}") ==
	    -1, "gen string");
	CHECK(vp("{\"sub\":\"u1\",\"type\":\"access\",\"gen\":1.0" E "}") ==
	    -1);
#undef E

	/* sub: 63 bytes fit, 64 do not. */
	s = xasprintf("{\"sub\":\"%063d\",\"type\":\"access\",\"gen\":0,"
	    "\"exp\":4102444800}", 0);
	T_OK(vp(s) == 0, "sub of 63 bytes");
	free(s);
	s = xasprintf("{\"sub\":\"%064d\",\"type\":\"access\",\"gen\":0,"
	    "\"exp\":4102444800}", 0);
	T_OK(vp(s) == -1, "sub of 64 bytes");
	free(s);
	s = xasprintf("{\"sub\":\"u\",\"type\":\"access\",\"gen\":0,"
	    "\"exp\":4102444800,\"username\":\"%0128d\"}", 0);
	T_OK(vp(s) == -1, "username of 128 bytes");
	free(s);

	T_OK(vp("[1,2]") == -1, "payload not an object");
	CHECK(vp("\"access\"") == -1);
	CHECK(vp("4102444800") == -1);
	CHECK(vp("{}") == -1);
}

static void
test_structure(void)
{
	struct json_object	*sentinel = (struct json_object *)&sentinel;
	struct json_object	*pl = sentinel;
	struct jwt_claims	 c;
	char			*p, *tok, *t, *dot;
	size_t			 n, i;

	p = goodp(NOW + 60);
	tok = mk(hs256, p, key, KEYLEN);
	free(p);
	CHECK(v(tok) == 0);
	n = strlen(tok);

	/* Failures leave c and *payload alone. */
	memset(&c, 0x5a, sizeof(c));
	CHECK(jwt_verify(tok, n, key, KEYLEN, NOW + 61, &c, &pl) == -1);
	CHECK(pl == sentinel && ((unsigned char *)&c)[0] == 0x5a);

	/* Tampered payload, old signature. */
	p = goodp(NOW + 6000);
	t = mk(hs256, p, key, KEYLEN);
	free(p);
	dot = strrchr(tok, '.');
	*strrchr(t, '.') = '\0';
	p = xasprintf("%s%s", t, dot);
	T_OK(v(p) == -1, "tampered payload");
	free(p);
	free(t);

	/* Every single-bit flip of the token is refused. */
	t = xstrdup(tok);
	for (i = 0; i < n; i++) {
		int	 b, bad = 0;

		for (b = 0; b < 8; b++) {
			t[i] ^= (char)(1 << b);
			if (t[i] != '\0' && v(t) == 0)
				bad++;
			t[i] = tok[i];
		}
		if (bad)
			T_OK(0, "bit flip at %zu accepted", i);
	}
	free(t);

	/* The last signature character with other padding bits. */
	t = xstrdup(tok);
	t[n - 1] = t[n - 1] == 'A' ? 'B' : (char)(t[n - 1] ^ 1);
	T_OK(v(t) == -1, "non-canonical signature");
	free(t);

	/* Two parts, four parts, empty parts. */
	t = xstrndup(tok, (size_t)(strrchr(tok, '.') - tok));
	T_OK(v(t) == -1, "two parts");
	free(t);
	t = xasprintf("%s.", tok);
	T_OK(v(t) == -1, "trailing dot");
	free(t);
	t = xasprintf("%s.AAAA", tok);
	T_OK(v(t) == -1, "four parts");
	free(t);
	t = xasprintf(".%s", tok);
	T_OK(v(t) == -1, "leading dot");
	free(t);
	CHECK(v("..") == -1);
	CHECK(v("...") == -1);
	CHECK(v(".") == -1);
	CHECK(v("a.b.c") == -1);
	T_OK(v("") == -1, "empty string");
	CHECK(jwt_verify(tok, 0, key, KEYLEN, NOW, NULL, NULL) == -1);
	CHECK(jwt_verify(NULL, 10, key, KEYLEN, NOW, NULL, NULL) == -1);
	CHECK(jwt_verify(tok, n, NULL, 0, NOW, NULL, NULL) == -1);

	/* Bad base64url: padding, the standard alphabet, bad length. */
	dot = strchr(tok, '.');
	t = xasprintf("%.*s=%s", (int)(dot - tok), tok, dot);
	T_OK(v(t) == -1, "padded header");
	free(t);
	t = xasprintf("%.*s+%s", (int)(dot - tok - 1), tok, dot);
	T_OK(v(t) == -1, "+ in header");
	free(t);
	t = xasprintf("%.*sA%s", (int)(dot - tok), tok, dot);
	T_OK(v(t) == -1, "header length 4n+1");
	free(t);
	t = xstrdup(tok);
	t[n - 3] = '\0';
	T_OK(jwt_verify(t, n, key, KEYLEN, NOW, NULL, NULL) == -1,
	    "NUL inside");
	free(t);
	free(tok);

	/* Huge input, and a properly signed token over 8 KiB. */
	t = xmalloc(1 << 20);
	memset(t, 'A', 1 << 20);
	t[100] = t[200] = '.';
	CHECK(jwt_verify(t, 1 << 20, key, KEYLEN, NOW, NULL, NULL) == -1);
	free(t);
	p = xasprintf("{\"sub\":\"u\",\"type\":\"access\",\"gen\":0,"
	    "\"exp\":4102444800,\"pad\":\"%07000d\"}", 0);
	tok = mk(hs256, p, key, KEYLEN);
	T_OK(strlen(tok) > 8192 && v(tok) == -1, "over 8 KiB");
	free(tok);
	free(p);
}

/* Random mutations of a good token: nothing may crash or be accepted. */
static void
test_mutate(void)
{
	struct json_object	*pl;
	char			*p, *tok, *t;
	size_t			 n, i, k;
	unsigned int		 seed = 12345;
	int			 accepted = 0;

	p = goodp(NOW + 60);
	tok = mk(hs256, p, key, KEYLEN);
	free(p);
	n = strlen(tok);
	t = xmalloc(n + 16);
	for (i = 0; i < 20000; i++) {
		size_t	 len = n;

		memcpy(t, tok, n);
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245 + 12345;
			t[(seed >> 8) % n] = (char)(seed >> 20);
		}
		if (i % 3 == 0)
			len = (seed >> 4) % (n + 1);
		pl = NULL;
		if (jwt_verify(t, len, key, KEYLEN, NOW, NULL, &pl) == 0) {
			if (len != n || memcmp(t, tok, n) != 0)
				accepted++;
			json_object_put(pl);
		}
	}
	T_OK(accepted == 0, "%d mutated tokens accepted", accepted);
	free(t);
	free(tok);
}

/* Key rings: kid in the header, the key that matches, legacy tokens. */
static void
test_kid(void)
{
	static const unsigned char k2[] = "a-second-key-of-at-least-32-bytes!!";
	struct jwt_claims	 c, out;
	struct jwt_key		 ring[2];
	struct json_object	*h;
	unsigned char		*hb;
	size_t			 hl;
	char			*tok, *legacy, *bad;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", KAT_SUB);
	snprintf(c.type, sizeof(c.type), "access");
	c.iat = NOW;
	c.exp = NOW + 60;
	c.gen = 1;
	memset(ring, 0, sizeof(ring));
	snprintf(ring[0].kid, sizeof(ring[0].kid), "new0000000000001");
	ring[0].key = k2;
	ring[0].len = sizeof(k2) - 1;
	snprintf(ring[1].kid, sizeof(ring[1].kid), "old0000000000001");
	ring[1].key = key;
	ring[1].len = KEYLEN;
	ring[1].legacy = 1;

	tok = jwt_sign_kid(&c, "old0000000000001", key, KEYLEN);
	CHECK(tok != NULL);
	if (tok == NULL)
		return;
	/* The header carries the kid. */
	CHECK(b64url_decode(tok, strcspn(tok, "."), &hb, &hl) == 0);
	h = json_tokener_parse((const char *)hb);
	T_STREQ(json_object_get_string(json_object_object_get(h, "kid")),
	    "old0000000000001");
	json_object_put(h);
	free(hb);
	/* An old key's token verifies through the ring, and alone without kid rules. */
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, &out, NULL) == 0);
	CHECK(jwt_verify(tok, strlen(tok), key, KEYLEN, NOW, NULL, NULL) == 0);
	/* Not once the old key has left the ring. */
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 1, NOW, NULL, NULL) == -1);
	/* A kid that names another key than the one that signed: refused. */
	snprintf(ring[1].kid, sizeof(ring[1].kid), "other00000000001");
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == -1);
	snprintf(ring[1].kid, sizeof(ring[1].kid), "old0000000000001");
	/* A token without kid: only the legacy key takes it. */
	legacy = jwt_sign(&c, key, KEYLEN);
	CHECK(jwt_verify_keys(legacy, strlen(legacy), ring, 2, NOW, NULL,
	    NULL) == 0);
	ring[1].legacy = 0;
	CHECK(jwt_verify_keys(legacy, strlen(legacy), ring, 2, NOW, NULL,
	    NULL) == -1);
	free(legacy);
	legacy = jwt_sign(&c, k2, sizeof(k2) - 1);
	CHECK(jwt_verify_keys(legacy, strlen(legacy), ring, 2, NOW, NULL,
	    NULL) == -1);
	free(legacy);
	/* Key ids we would never make are not made. */
	CHECK((bad = jwt_sign_kid(&c, "a\"b", key, KEYLEN)) == NULL);
	CHECK((bad = jwt_sign_kid(&c, "012345678901234567890123456789012",
	    key, KEYLEN)) == NULL);
	free(tok);
}

/*
 * The memo of verified tokens: a second check of the same token is
 * answered from it, and still refuses what verification would refuse
 * now (expired, not yet valid, a key gone from the ring or renamed, a
 * token differing in one byte).
 */
static void
test_memo(void)
{
	static const unsigned char k2[] = "a-second-key-of-at-least-32-bytes!!";
	struct jwt_claims	 c, out;
	struct jwt_key		 ring[2];
	struct json_object	*pl = NULL;
	unsigned long		 h;
	char			*tok, *pls, *nbf, *bad;

	jwt_memo_forget();
	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", KAT_SUB);
	snprintf(c.type, sizeof(c.type), "access");
	snprintf(c.username, sizeof(c.username), "memo");
	c.iat = NOW;
	c.exp = NOW + 60;
	c.gen = 5;
	memset(ring, 0, sizeof(ring));
	snprintf(ring[0].kid, sizeof(ring[0].kid), "k2");
	ring[0].key = k2;
	ring[0].len = sizeof(k2) - 1;
	snprintf(ring[1].kid, sizeof(ring[1].kid), "k1");
	ring[1].key = key;
	ring[1].len = KEYLEN;
	tok = jwt_sign_kid(&c, "k1", key, KEYLEN);
	CHECK(tok != NULL);
	if (tok == NULL)
		return;
	h = jwt_memo_hits();
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == 0);
	CHECK(jwt_memo_hits() == h);
	/* Again: from the memo, with the same claims and payload. */
	memset(&out, 0xa5, sizeof(out));
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW + 1, &out,
	    &pl) == 0);
	CHECK(jwt_memo_hits() == h + 1);
	T_STREQ(out.sub, KAT_SUB);
	T_STREQ(out.username, "memo");
	CHECK(out.gen == 5 && out.exp == NOW + 60 && out.sid[0] == '\0');
	pls = xstrdup(pl != NULL ? json_object_to_json_string(pl) : "");
	CHECK(strstr(pls, "\"username\": \"memo\"") != NULL);
	json_object_put(pl);
	pl = NULL;
	/* The caller's put left the memo's own reference alone. */
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, &pl) == 0);
	T_STREQ(pl != NULL ? json_object_to_json_string(pl) : "", pls);
	json_object_put(pl);
	free(pls);
	/* Expired since: refused, from the memo or not. */
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW + 60, NULL,
	    NULL) == -1);
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == 0);
	/* The key left the ring: refused. */
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 1, NOW, NULL, NULL) == -1);
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == 0);
	/* The same key bytes under another kid: the header no longer agrees. */
	snprintf(ring[1].kid, sizeof(ring[1].kid), "k9");
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == -1);
	snprintf(ring[1].kid, sizeof(ring[1].kid), "k1");
	/* One byte changed in the payload, the slot unchanged: refused. */
	bad = xstrdup(tok);
	bad[strcspn(bad, ".") + 3] ^= 1;
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == 0);
	CHECK(jwt_verify_keys(bad, strlen(bad), ring, 2, NOW, NULL, NULL) == -1);
	free(bad);
	/* A token without kid: only while its key is the legacy one. */
	free(tok);
	tok = jwt_sign(&c, key, KEYLEN);
	ring[1].legacy = 1;
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == 0);
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == 0);
	ring[1].legacy = 0;
	CHECK(jwt_verify_keys(tok, strlen(tok), ring, 2, NOW, NULL, NULL) == -1);
	/* nbf: not before its time, remembered or not. */
	pls = xasprintf("{\"sub\":\"u1\",\"type\":\"access\",\"exp\":%lld,"
	    "\"nbf\":%lld,\"gen\":1}", (long long)NOW + 60,
	    (long long)NOW + 10);
	nbf = mk(hs256, pls, key, KEYLEN);
	CHECK(jwt_verify(nbf, strlen(nbf), key, KEYLEN, NOW, NULL, NULL) == -1);
	CHECK(jwt_verify(nbf, strlen(nbf), key, KEYLEN, NOW + 10, NULL,
	    NULL) == 0);
	h = jwt_memo_hits();
	CHECK(jwt_verify(nbf, strlen(nbf), key, KEYLEN, NOW + 11, NULL,
	    NULL) == 0);
	CHECK(jwt_memo_hits() == h + 1);
	CHECK(jwt_verify(nbf, strlen(nbf), key, KEYLEN, NOW + 9, NULL,
	    NULL) == -1);
	/* Forgotten: verified anew. */
	jwt_memo_forget();
	h = jwt_memo_hits();
	CHECK(jwt_verify(nbf, strlen(nbf), key, KEYLEN, NOW + 11, NULL,
	    NULL) == 0);
	CHECK(jwt_memo_hits() == h);
	free(pls);
	free(nbf);
	free(tok);
}

int
main(void)
{
	test_roundtrip();
	test_kat();
	test_header();
	test_claims();
	test_structure();
	test_mutate();
	test_kid();
	test_memo();
	return t_done("jwt");
}
