#!/bin/sh
# Interoperability of lib/jwt.c with a standard JWT library (PyJWT,
# Debian's python3-jwt): a token signed by jwt_sign() must decode with
# jwt.decode(..., algorithms=["HS256"]) to the same claims, and tokens
# made by PyJWT must pass jwt_verify() (HS256) or fail it (HS512, none).
# Usage: tests/unit/jwt_pyjwt_check.sh   (from anywhere; CC may be set)
set -eu

cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat > "$tmp/jwtcli.c" <<'EOF'
/* jwtcli sign KEY NOW [KID] | jwtcli verify KEY NOW TOKEN */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

int
main(int argc, char *argv[])
{
	struct jwt_claims	 c;
	const unsigned char	*key;
	char			*tok;
	long long		 now;

	if (argc < 4)
		return 2;
	key = (const unsigned char *)argv[2];
	now = atoll(argv[3]);
	if (strcmp(argv[1], "sign") == 0) {
		memset(&c, 0, sizeof(c));
		snprintf(c.sub, sizeof(c.sub), "%s",
		    "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab");
		snprintf(c.type, sizeof(c.type), "access");
		snprintf(c.jti, sizeof(c.jti), "jti-1");
		snprintf(c.role, sizeof(c.role), "ADMIN");
		snprintf(c.username, sizeof(c.username), "j\xc3\xb6rg/\"x\"");
		c.iat = now;
		c.exp = now + 1800;
		c.gen = 5;
		if ((tok = jwt_sign_kid(&c, argc > 4 ? argv[4] : NULL, key,
		    strlen(argv[2]))) == NULL)
			return 1;
		puts(tok);
		free(tok);
		return 0;
	}
	if (strcmp(argv[1], "verify") == 0 && argc == 5) {
		if (jwt_verify(argv[4], strlen(argv[4]), key, strlen(argv[2]),
		    now, &c, NULL) == -1)
			return 1;
		printf("%s %s %s %lld\n", c.sub, c.type, c.role,
		    (long long)c.gen);
		return 0;
	}
	return 2;
}
EOF

# shellcheck disable=SC2046
$CC -D_GNU_SOURCE -std=c11 -Wall -Wextra -Werror -Ilib -o "$tmp/jwtcli" \
    "$tmp/jwtcli.c" lib/jwt.c lib/util.c lib/log.c \
    $(pkg-config --cflags --libs json-c libcrypto)

key="interop-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
now=$(date +%s)
tok=$("$tmp/jwtcli" sign "$key" "$now")

# C → PyJWT
"$PY" - "$key" "$tok" "$now" <<'EOF'
import sys, jwt
key, tok, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = jwt.decode(tok, key, algorithms=["HS256"])
want = {"sub": "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab", "type": "access",
        "iat": now, "exp": now + 1800, "jti": "jti-1", "role": "ADMIN",
        "username": "j\u00f6rg/\"x\"", "gen": 5}
assert c == want, c
assert jwt.get_unverified_header(tok) == {"alg": "HS256", "typ": "JWT"}
try:
    jwt.decode(tok, key + "x", algorithms=["HS256"])
    raise SystemExit("PyJWT accepted a wrong key")
except jwt.InvalidSignatureError:
    pass
EOF

# A token with a key id (key rotation): PyJWT reads it and its kid.
ktok=$("$tmp/jwtcli" sign "$key" "$now" 0123abcd0123abcd)
"$PY" - "$key" "$ktok" <<'EOF'
import sys, jwt
key, tok = sys.argv[1], sys.argv[2]
assert jwt.get_unverified_header(tok) == {"alg": "HS256", "typ": "JWT",
                                          "kid": "0123abcd0123abcd"}
assert jwt.decode(tok, key, algorithms=["HS256"])["gen"] == 5
EOF

# PyJWT → C
pytok() {
	"$PY" - "$key" "$now" "$1" <<'EOF'
import sys, jwt
key, now, alg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = {"sub": "u-42", "type": "access", "iat": now, "exp": now + 60,
     "role": "REGULAR", "gen": 9}
print(jwt.encode(c, None if alg == "none" else key, algorithm=alg))
EOF
}
pt=$(pytok HS256)
out=$("$tmp/jwtcli" verify "$key" "$now" "$pt")
[ "$out" = "u-42 access REGULAR 9" ] || { echo "bad claims: $out" >&2; exit 1; }
for alg in HS384 HS512 none; do
	pt=$(pytok $alg)
	[ -n "$pt" ] || exit 1
	if "$tmp/jwtcli" verify "$key" "$now" "$pt" >/dev/null; then
		echo "jwt_verify accepted alg $alg" >&2
		exit 1
	fi
done
echo "jwt_pyjwt_check: ok"
