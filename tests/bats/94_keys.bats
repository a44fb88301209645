#!/usr/bin/env bats
#
# Signing-key rotation (SPEC §10): tokens carry kid, `authctl key rotate`
# makes a new signer, the previous key verifies until it retires, the
# workers take the new key ring without a restart.
#
# The stack runs without SECRET_KEY (start_stack sets one): the key is the
# generated secret.key, then the key ring in the state directory.

load helpers

AUTHCTL=$AUTHCTL_BIN

setup_file() {
	export ACCESS_TOKEN_EXPIRE_MINUTES=1
	start_stack
	stop_authd
	unset SECRET_KEY
	start_authd
}

teardown_file() {
	stop_stack
}

# authctl ARGS: stdout only (its stderr, with the audit line, goes to
# $BATS_TEST_TMPDIR/authctl.err).
authctl() {
	"$AUTHCTL" "$@" 2>"$BATS_TEST_TMPDIR/authctl.err"
}

# jwt_header_field TOKEN FIELD: a field of the token's (unverified) header.
jwt_header_field() {
	"$PY" - "$1" "$2" <<'EOF'
import base64, json, sys
h = sys.argv[1].split(".")[0]
h += "=" * (-len(h) % 4)
print(json.loads(base64.urlsafe_b64decode(h)).get(sys.argv[2], ""))
EOF
}

# legacy_token TOKEN KEYFILE: TOKEN's claims signed again with the key in
# KEYFILE and no kid, as tokens were made before they carried one.
legacy_token() {
	"$PY" - "$1" "$2" <<'EOF'
import base64, hashlib, hmac, json, sys
tok, keyfile = sys.argv[1], sys.argv[2]
key = open(keyfile, "rb").read().rstrip(b"\r\n")
def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
body = tok.split(".")[1]
mac = hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest()
print(head + "." + body + "." + b64(mac))
EOF
}

validate_status() {
	api_bearer "$1" GET /api/v1/auth/validate
	printf '%s\n' "$status"
}

# The kid of a fresh login's access token is $1.
login_kid_is() {
	login_user "$USER_EMAIL" "$USER_PASSWORD" >/dev/null 2>&1 || return 1
	[[ $(jwt_header_field "$ACCESS_TOKEN" kid) == "$1" ]]
}

@test "authctl key --help and key rotate --help print the usage and exit 0" {
	run authctl key --help
	[ "$status" -eq 0 ] || fail "status $status: $output"
	[[ $output == *"key rotate [--keep-old SECONDS]"* ]] || fail "$output"
	run authctl key rotate --help
	[ "$status" -eq 0 ] || fail "status $status"
	[[ $output == *"usage: authctl"* ]] || fail "$output"
}

@test "authctl key: a missing or unknown subcommand or a bad --keep-old is a usage error (2)" {
	local args
	for args in "" "frobnicate" "rotate --keep-old" "rotate --keep-old x" \
	    "rotate --keep-old -1" "rotate extra" "list extra"; do
		# shellcheck disable=SC2086 # the words are the arguments
		run authctl key $args
		[ "$status" -eq 2 ] || fail "authctl key $args: status $status: $output"
	done
	[ ! -e "$AUTH_STATE_DIR/keyring" ] || fail "a usage error wrote a key ring"
}

@test "before any rotation, tokens carry the kid of the generated secret.key" {
	new_user
	run authctl --json key list
	[ "$status" -eq 0 ] || fail "status $status: $output"
	local kid
	kid=$(json_get '[0].kid' "$output")
	[ "$(json_get '[0].state' "$output")" = signing ] || fail "$output"
	[ "$(json_get '[0].source' "$output")" = secret.key ] || fail "$output"
	[ "$(jwt_header_field "$ACCESS_TOKEN" kid)" = "$kid" ] || fail "kid $kid"
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
}

@test "a token signed before a rotation validates after it, a new token has the new kid, no restart" {
	new_user
	local old=$ACCESS_TOKEN oldkid legacy workers before after newkid i
	oldkid=$(jwt_header_field "$old" kid)
	# A token of the same key without kid, as made before tokens had one.
	legacy=$(legacy_token "$old" "$AUTH_STATE_DIR/secret.key")
	[ "$(validate_status "$legacy")" = 200 ] || fail "legacy token refused"
	workers=$(worker_pids | sort | tr '\n' ' ')
	before=$(date +%s)
	run authctl --json key rotate
	after=$(date +%s)
	[ "$status" -eq 0 ] || fail "status $status: $output"
	newkid=$(json_get .kid "$output")
	[ "$(json_get .previous_kid "$output")" = "$oldkid" ] || fail "$output"
	[ "$newkid" != "$oldkid" ] || fail "same kid"
	# Kept for the longest access token (60 s) and the workers' pick-up.
	local retires
	retires=$(json_get .previous_retires "$output")
	(( retires >= before + 60 && retires <= after + 60 + 5 )) || fail "retires $retires, rotated at $before..$after"
	# The key moved into the key ring, private.
	[ ! -e "$AUTH_STATE_DIR/secret.key" ] || fail "secret.key still there"
	[ "$(stat -c %a "$AUTH_STATE_DIR/keyring")" = 600 ] || fail "mode"
	local k
	for k in $(grep -v '^#' "$AUTH_STATE_DIR/keyring" | cut -d' ' -f5); do
		! grep -qF "$k" "$STACK_AUTH_LOG" || fail "a key in the log"
	done
	wait_until 10 login_kid_is "$newkid" || fail "no token with kid $newkid"
	for i in 1 2 3 4 5 6; do
		[ "$(validate_status "$old")" = 200 ] || fail "old token refused after the rotation"
		[ "$(validate_status "$legacy")" = 200 ] || fail "token without kid refused"
		[ "$(validate_status "$ACCESS_TOKEN")" = 200 ] || fail "new token refused"
	done
	after=$(worker_pids | sort | tr '\n' ' ')
	[ "$workers" = "$after" ] || fail "workers restarted: $workers -> $after"
	grep -q "key ring reloaded: signing key $newkid" "$STACK_AUTH_LOG" || fail "no reload line"
}

# validate_refused TOKEN RETIRES: the token is refused (401); fails the
# whole test when that happens before RETIRES.
validate_refused() {
	local s now
	s=$(validate_status "$1")
	now=$(date +%s)
	if [[ $s == 401 ]]; then
		(( now >= $2 )) || { echo "refused at $now, before its retirement at $2" >&2; touch "$BATS_TEST_TMPDIR/early"; }
		return 0
	fi
	[[ $s == 200 ]] || echo "unexpected status $s" >&2
	return 1
}

@test "a token of the previous key is refused once that key has retired, not before" {
	new_user
	local old=$ACCESS_TOKEN newkid retires
	run authctl --json key rotate --keep-old 3
	[ "$status" -eq 0 ] || fail "status $status: $output"
	newkid=$(json_get .kid "$output")
	retires=$(json_get .previous_retires "$output")
	wait_until 15 validate_refused "$old" "$retires" || fail "old token still valid"
	[ ! -e "$BATS_TEST_TMPDIR/early" ] || fail "refused before its retirement"
	wait_until 10 login_kid_is "$newkid" || fail "no token with kid $newkid"
	[ "$(validate_status "$ACCESS_TOKEN")" = 200 ] || fail "new token refused"
	# The refresh token outlives the key: the session goes on.
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 200
}

@test "after a leak, --keep-old 0 drops the previous key at once" {
	new_user
	local old=$ACCESS_TOKEN prev
	run authctl --json key rotate --keep-old 0
	[ "$status" -eq 0 ] || fail "status $status: $output"
	prev=$(json_get .previous_kid "$output")
	[ "$(jwt_header_field "$old" kid)" = "$prev" ] || fail "$output"
	wait_until 10 validate_refused "$old" 0 || fail "old token still valid"
	run authctl key list
	[ "$status" -eq 0 ] || fail "status $status"
	[[ $output == KID*STATE* ]] || fail "$output"
	[[ $output != *"$prev"* ]] || fail "the dropped key is still listed: $output"
}

@test "a key set by SECRET_KEY cannot be rotated: exit 1, naming SECRET_KEY, nothing written" {
	local sum
	sum=$(sha256sum "$AUTH_STATE_DIR/keyring")
	SECRET_KEY=0123456789abcdef0123456789abcdef0123 run authctl key rotate
	[ "$status" -eq 1 ] || fail "status $status: $output"
	grep -q "SECRET_KEY" "$BATS_TEST_TMPDIR/authctl.err" || fail "$(cat "$BATS_TEST_TMPDIR/authctl.err")"
	[ "$(sha256sum "$AUTH_STATE_DIR/keyring")" = "$sum" ] || fail "key ring changed"
}

@test "a key ring that does not parse stops a start naming the file; running workers keep their keys" {
	# Every worker must hold the current keys first: one that served no
	# token since the last rotation would look at the ring only now, find
	# it broken, and rightly keep the keys it had (without the new one).
	# A restart makes them all load the ring (the master loads it, the
	# workers inherit it).
	stop_authd
	start_authd
	new_user
	cp "$AUTH_STATE_DIR/keyring" "$BATS_TEST_TMPDIR/ring"
	printf 'not a key ring\n' >"$AUTH_STATE_DIR/keyring.new"
	mv "$AUTH_STATE_DIR/keyring.new" "$AUTH_STATE_DIR/keyring"
	run "$AUTHD_BIN" --check
	[ "$status" -eq 2 ] || fail "status $status: $output"
	[[ $output == *"$AUTH_STATE_DIR/keyring"* ]] || fail "$output"
	# Workers look at the ring when they sign or verify: keep asking.
	warned() {
		[ "$(validate_status "$ACCESS_TOKEN")" = 200 ] || fail "keys lost" || return 2
		grep -q "key ring not reloaded" "$STACK_AUTH_LOG"
	}
	wait_until 10 warned || fail "no warning"
	[ "$(validate_status "$ACCESS_TOKEN")" = 200 ] || fail "keys lost"
	run authctl key rotate
	[ "$status" -eq 1 ] || fail "rotation over a broken ring: status $status"
	cp "$BATS_TEST_TMPDIR/ring" "$AUTH_STATE_DIR/keyring"
	[ "$(validate_status "$ACCESS_TOKEN")" = 200 ] || fail "after the repair"
}
