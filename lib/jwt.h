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
};

/*
 * Signs claims as a compact JWT with HMAC-SHA256 and key.
 * Returns the allocated token.
 */
char	*jwt_sign(const struct jwt_claims *, const unsigned char *key, size_t keylen);

/*
 * Verifies a compact JWT: header alg must be "HS256" (typ optional, JWT),
 * signature must match in constant time, "exp" must be present and in the
 * future (against now), "type" must be "access", "sub" and "gen" present.
 * Returns 0 and fills c on success, -1 on any failure.
 * If payload is non-NULL, on success it receives the decoded claims object
 * (caller puts it with json_object_put).
 */
int	 jwt_verify(const char *tok, size_t len, const unsigned char *key,
	    size_t keylen, int64_t now, struct jwt_claims *c,
	    struct json_object **payload);

#endif
