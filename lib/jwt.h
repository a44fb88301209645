/*
 * HS256 JSON Web Tokens made and checked with OpenSSL's HMAC.
 * Only the configured algorithm is accepted ("none" never is).
 */
#ifndef AUTHD_JWT_H
#define AUTHD_JWT_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

struct jwt_claims {
	char	 sub[64];	/* user id */
	char	 type[16];	/* "access" */
	char	 jti[64];
	char	 role[16];
	char	 username[128];
	int64_t	 iat;
	int64_t	 exp;
	int64_t	 gen;
	char	 sid[64];	/* session id; "" = none (older tokens) */
};

/* Longest key id (kid) accepted in a header, NUL excluded. */
#define JWT_KID_MAX	32

/*
 * One verification key.  kid "" is a key without a name: it takes
 * tokens with any kid or none (jwt_verify()).  A named key takes tokens
 * whose header kid equals its kid, and, when legacy is set, tokens
 * without a kid (made before tokens carried one).
 */
struct jwt_key {
	char			 kid[JWT_KID_MAX + 1];
	const unsigned char	*key;
	size_t			 len;
	int			 legacy;
};

/*
 * Signs claims as a compact JWT with HMAC-SHA256 and key.
 * Returns the allocated token.
 */
char	*jwt_sign(const struct jwt_claims *, const unsigned char *key, size_t keylen);
/*
 * The same with "kid" in the header (kid NULL or "": none; at most
 * JWT_KID_MAX characters of [A-Za-z0-9_-], else NULL is returned).
 */
char	*jwt_sign_kid(const struct jwt_claims *, const char *kid,
	    const unsigned char *key, size_t keylen);

/*
 * Verifies a compact JWT: header alg must be "HS256" (typ optional, JWT),
 * signature must match in constant time, "exp" must be present and in the
 * future (against now), "type" must be "access", "sub" and "gen" present;
 * "sid" is optional (c->sid "" without it).
 * Returns 0 and fills c on success, -1 on any failure.
 * If payload is non-NULL, on success it receives the decoded claims object
 * (caller puts it with json_object_put).
 */
int	 jwt_verify(const char *tok, size_t len, const unsigned char *key,
	    size_t keylen, int64_t now, struct jwt_claims *c,
	    struct json_object **payload);
/*
 * jwt_verify() against several keys (a key ring): the token is taken
 * when its signature matches one key (each is tried, so nothing of the
 * token is parsed before it is authenticated) and its header's kid
 * agrees with that key (see struct jwt_key).  Same returns.
 */
int	 jwt_verify_keys(const char *tok, size_t len, const struct jwt_key *,
	    size_t nkeys, int64_t now, struct jwt_claims *c,
	    struct json_object **payload);

/*
 * The memo of tokens verified lately (jwt.c): how many verifications it
 * answered so far, and forgetting it all (tests, key rotation tools).
 */
unsigned long	 jwt_memo_hits(void);
void		 jwt_memo_forget(void);

#endif
