/*
 * The JWT verifier (jwt_verify).  Two modes, picked by the first byte:
 * 0: the rest is a raw token, as it comes from an Authorization header;
 * 1: the rest is "header-json\npayload-json", encoded and signed here
 *    with the right key, so the JSON decoding and claim checks behind
 *    the signature are reached too.
 * A token that verifies always has type "access", a subject and an
 * exp in the future.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <json-c/json.h>

#include "jwt.h"
#include "util.h"
#include "fuzz.h"

#define NOW	1790000000

static const unsigned char key[] = "fuzzing-key-0123456789abcdefghijklmnop";

static char *
signed_token(const uint8_t *d, size_t n)
{
	const uint8_t	*nl;
	unsigned char	 mac[32];
	unsigned int	 maclen = 0;
	char		*h64, *p64, *in, *s64, *tok;

	if ((nl = memchr(d, '\n', n)) == NULL)
		return NULL;
	h64 = b64url_encode(d, (size_t)(nl - d));
	p64 = b64url_encode(nl + 1, n - (size_t)(nl - d) - 1);
	in = xasprintf("%s.%s", h64, p64);
	if (HMAC(EVP_sha256(), key, sizeof(key) - 1, (unsigned char *)in,
	    strlen(in), mac, &maclen) == NULL)
		abort();
	s64 = b64url_encode(mac, maclen);
	tok = xasprintf("%s.%s", in, s64);
	free(h64);
	free(p64);
	free(in);
	free(s64);
	return tok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_claims	 c;
	struct json_object	*payload = NULL;
	char			*tok;
	size_t			 len;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if ((tok = signed_token(data + 1, size - 1)) == NULL)
			return 0;
		len = strlen(tok);
	} else {
		tok = fz_cstr(data + 1, size - 1);
		len = size - 1;
	}
	memset(&c, 0, sizeof(c));
	if (jwt_verify(tok, len, key, sizeof(key) - 1, NOW, &c,
	    &payload) == 0) {
		if (strcmp(c.type, "access") != 0 || c.sub[0] == '\0' ||
		    c.exp <= NOW || payload == NULL)
			fz_fail("verified token with type %s exp %lld",
			    c.type, (long long)c.exp);
		json_object_put(payload);
	}
	free(tok);
	return 0;
}
