#!/usr/bin/env bats
# Issue 9, the security review: reset and verify tokens looked up before
# any hash and limited per address, lockouts that hold against parallel
# guesses, bounded session tables, phone-looking usernames, reset links
# voided by a password change, token generations moved on by role
# changes and reuse detection, registration that does not hash for a
# phone already held, and IPv6 clients counted by their /64 (sent
# straight to the worker socket by tests/fcgi_client.py, since nginx
# here only ever sees 127.0.0.1).
#
# CPU time of the workers (from /proc, in clock ticks) stands in for
# "no password was hashed": an argon2 hash costs tens of milliseconds of
# CPU, a refused request a fraction of one, whatever the machine's load.

load helpers
load page_helpers

setup_file() {
	export AUTH_WORKERS=4
	export LOGIN_MAX_FAILURES=5
	export TOKEN_ATTEMPTS_PER_IP_PER_MINUTE=30
	export MAX_SESSIONS_PER_USER=3
	export ADMIN_EMAIL=sec-admin@example.com ADMIN_USERNAME=secchief
	export ADMIN_PASSWORD=Admin-pass1
	start_stack
}

teardown_file() {
	stop_stack
}

setup() {
	sql "DELETE FROM throttle_events; DELETE FROM lockouts;"
}

sql() {
	stack_sql "$@"
}

# A clock-tick budget well under one argon2 hash per request: the hash
# costs about 5 ticks (50 ms) here, so N requests that all hashed would
# use 5N ticks.
budget() {
	echo $(($1 * 5 / 4))
}

@test "reset-password with unknown tokens hashes nothing: 20 requests cost far less CPU than one hash each" {
	local i t0 t1
	t0=$(worker_ticks)
	for ((i = 0; i < 20; i++)); do
		api POST /api/v1/auth/reset-password "{\"token\":\"$(random_token)\",\"new_password\":\"newpass123\"}"
		assert_status 400
		assert_json_eq .detail "Invalid or expired reset token"
	done
	t1=$(worker_ticks)
	echo "worker ticks for 20 dead tokens: $((t1 - t0))"
	[ -n "$(hash_worker_pids)" ]
	(( t1 - t0 < $(budget 20) ))
}

@test "a live reset token still resets the password (the hash happens for it)" {
	registered
	local tok
	tok=$(stored_reset_token "$USER_ID")
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"fresh-pass9\"}"
	assert_status 200
	login_user "$USER_EMAIL" fresh-pass9
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"other-pass9\"}"
	assert_status 400
}

@test "reset and verify attempts are limited per address: the 31st in a minute is a 429 with Retry-After" {
	local i ra
	for ((i = 0; i < 20; i++)); do
		api POST /api/v1/auth/reset-password "{\"token\":\"$(random_token)\",\"new_password\":\"newpass123\"}"
		assert_status 400
	done
	for ((i = 0; i < 10; i++)); do
		api POST /api/v1/auth/verify-email "{\"token\":\"$(random_token)\"}"
		assert_status 400
	done
	api POST /api/v1/auth/reset-password "{\"token\":\"$(random_token)\",\"new_password\":\"newpass123\"}"
	assert_status 429
	assert_json_eq .detail "Too many requests. Try again later."
	ra=$(header_value Retry-After)
	(( ra >= 1 && ra <= 60 ))
	api POST /api/v1/auth/verify-email "{\"token\":\"$(random_token)\"}"
	assert_status 429
	# A live token is refused too while the address is over its limit.
	registered
	api POST /api/v1/auth/reset-password "{\"token\":\"$(stored_reset_token "$USER_ID")\",\"new_password\":\"fresh-pass9\"}"
	assert_status 429
}

@test "registering with a phone already held answers 409 without hashing the password" {
	local phone=+4915112345678 i t0 t1
	api POST /api/v1/auth/register "{\"email\":\"$(unique_name ph)@example.com\",\"username\":\"$(unique_name ph)\",\"password\":\"secret123\",\"phone\":\"$phone\"}"
	assert_status 201
	t0=$(worker_ticks)
	for ((i = 0; i < 10; i++)); do
		api POST /api/v1/auth/register "{\"email\":\"$(unique_name ph)@example.com\",\"username\":\"$(unique_name ph)\",\"password\":\"secret123\",\"phone\":\"$phone\"}"
		assert_status 409
		assert_json_eq .detail "Phone number already registered"
	done
	t1=$(worker_ticks)
	echo "worker ticks for 10 held phones: $((t1 - t0))"
	(( t1 - t0 < $(budget 10) ))
}

@test "12 parallel wrong passwords: exactly LOGIN_MAX_FAILURES (5) are verified (401), the rest 429" {
	registered
	local i n401 n429
	for i in $(seq 1 12); do
		curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
		    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong-pass$i\"}" \
		    "$BASE/api/v1/auth/login" >"$BATS_TEST_TMPDIR/code.$i" &
	done
	for i in $(seq 1 12); do
		wait_until 60 test -s "$BATS_TEST_TMPDIR/code.$i"
	done
	cat "$BATS_TEST_TMPDIR"/code.* | sort | uniq -c
	n401=$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^401$')
	n429=$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^429$')
	[ "$n401" -eq 5 ]
	[ "$n429" -eq 7 ]
	# Locked now, correct password or not.
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 429
}

@test "a successful login does not count as a failure" {
	registered
	local i
	for ((i = 0; i < 8; i++)); do
		login_user "$USER_EMAIL" "$USER_PASSWORD"
	done
	[ "$(sql "SELECT count(*) FROM throttle_events WHERE key = '$USER_ID'")" -eq 0 ]
}

@test "10,000 refreshes would not grow the tables: one session keeps a bounded number of refresh tokens" {
	new_user
	local i sid n
	for ((i = 0; i < 150; i++)); do
		api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
		assert_status 200
		REFRESH_TOKEN=$(json_get .refresh_token)
	done
	sid=$(sql "SELECT id FROM sessions WHERE user_id = '$USER_ID'")
	n=$(sql "SELECT count(*) FROM refresh_tokens WHERE session_id = '$sid'")
	echo "refresh tokens of the session after 150 refreshes: $n"
	(( n >= 2 && n <= 17 ))
	[ "$(sql "SELECT count(*) FROM sessions WHERE user_id = '$USER_ID'")" -eq 1 ]
}

@test "a spent token kept for reuse detection still revokes its session" {
	new_user
	local first=$REFRESH_TOKEN i
	for ((i = 0; i < 5; i++)); do
		api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
		assert_status 200
		REFRESH_TOKEN=$(json_get .refresh_token)
	done
	# The grace window is over for every spent token.
	sql "UPDATE refresh_tokens SET spent_at = spent_at - 100 WHERE spent_at IS NOT NULL"
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$first\"}"
	assert_status 401
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 401
}

@test "MAX_SESSIONS_PER_USER (3): a 4th login ends the oldest session" {
	registered
	local i first
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	first=$REFRESH_TOKEN
	for ((i = 0; i < 3; i++)); do
		login_user "$USER_EMAIL" "$USER_PASSWORD"
	done
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	[ "$(json_len .)" -eq 3 ]
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$first\"}"
	assert_status 401
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 200
}

@test "a browser sign-in counts towards MAX_SESSIONS_PER_USER too" {
	registered
	local i first
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	first=$REFRESH_TOKEN
	for ((i = 0; i < 2; i++)); do
		login_user "$USER_EMAIL" "$USER_PASSWORD"
	done
	JAR=$BATS_TEST_TMPDIR/jar
	browser_login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 303
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	[ "$(json_len .)" -eq 3 ]
	# One second holds all four starts: the order within it is the ids'.
	[ "$(grep -o '"kind":"browser"' <<<"$body" | wc -l)" -eq 1 ]
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$first\"}"
	assert_status 401
}

@test "expired and revoked sessions are deleted with their refresh tokens" {
	new_user
	local old=$USER_ID
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	sql "UPDATE sessions SET expires_at = 1000 WHERE user_id = '$old'"
	new_user
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 204
	# The next session start prunes a batch of dead sessions.
	new_user
	[ "$(sql "SELECT count(*) FROM sessions WHERE user_id = '$old'")" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL")" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM refresh_tokens WHERE session_id NOT IN (SELECT id FROM sessions)")" -eq 0 ]
}

@test "a username that looks like a phone number is refused" {
	local n
	for n in 0048123456789 48123456789 0048-123-456-789 12345678; do
		api POST /api/v1/auth/register "{\"email\":\"$(unique_name d)@example.com\",\"username\":\"$n\",\"password\":\"secret123\"}"
		assert_status 422
		assert_json_eq '.detail[0].loc[1]' username
		assert_json_eq '.detail[0].msg' "Value error, Username cannot look like a phone number."
	done
	# Digits among letters stay allowed.
	api POST /api/v1/auth/register "{\"email\":\"$(unique_name d)@example.com\",\"username\":\"$(unique_name a)12345678\",\"password\":\"secret123\"}"
	assert_status 201
}

@test "a phone-looking identifier signs in the phone's owner, not an older account named like it" {
	local digits owner_email owner_id legacy_email legacy_id
	digits=48$("$PY" -c 'import secrets; print(100000000 + secrets.randbelow(899999999))')
	owner_email=$(unique_name o)@example.com
	api POST /api/v1/auth/register "{\"email\":\"$owner_email\",\"username\":\"$(unique_name o)\",\"password\":\"owner-pass1\",\"phone\":\"+$digits\"}"
	assert_status 201
	owner_id=$(json_get .id)
	# An account made before the rule (imported, say) holds the digits as its name.
	registered legacy-pass1
	legacy_email=$USER_EMAIL
	legacy_id=$USER_ID
	sql "UPDATE users SET username = '00$digits' WHERE id = '$legacy_id'"
	api POST /api/v1/auth/login "{\"login\":\"00$digits\",\"password\":\"owner-pass1\"}"
	assert_status 200
	assert_json_eq .user.id "$owner_id"
	api POST /api/v1/auth/login "{\"login\":\"+${digits:0:2} ${digits:2:3} ${digits:5:3} ${digits:8}\",\"password\":\"owner-pass1\"}"
	assert_status 200
	assert_json_eq .user.id "$owner_id"
	# The other direction: the older account still signs in by email.
	login_user "$legacy_email" legacy-pass1
	# And a wrong password on the digits counts against the phone's owner.
	api POST /api/v1/auth/login "{\"login\":\"00$digits\",\"password\":\"legacy-pass1\"}"
	assert_status 401
	[ "$(sql "SELECT count(*) FROM throttle_events WHERE bucket = 'login_user' AND key = '$owner_id'")" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM throttle_events WHERE bucket = 'login_user' AND key = '$legacy_id'")" -eq 0 ]
}

@test "a reset link issued before a password change no longer works after it" {
	new_user
	local tok
	tok=$(stored_reset_token "$USER_ID")
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"changed-pass2\"}"
	assert_status 200
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"attacker-pass3\"}"
	assert_status 400
	login_user "$USER_EMAIL" changed-pass2
}

@test "demoting a MODERATOR refuses the access tokens that still say MODERATOR; a promotion keeps them" {
	new_user
	local mod_id=$USER_ID mod_email=$USER_EMAIL mod_pw=$USER_PASSWORD admin
	login_user "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
	admin=$ACCESS_TOKEN
	api_bearer "$admin" PATCH "/api/v1/users/$mod_id" '{"account_role":"MODERATOR"}'
	assert_status 200
	login_user "$mod_email" "$mod_pw"
	local mod_token=$ACCESS_TOKEN mod_refresh=$REFRESH_TOKEN
	api_bearer "$mod_token" GET /api/v1/auth/validate
	assert_status 200
	assert_json_eq .token.role MODERATOR
	api_bearer "$admin" PATCH "/api/v1/users/$mod_id" '{"account_role":"REGULAR"}'
	assert_status 200
	api_bearer "$mod_token" GET /api/v1/auth/validate
	assert_status 401
	# The session goes on with a token that tells the truth.
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$mod_refresh\"}"
	assert_status 200
	api_bearer "$(json_get .access_token)" GET /api/v1/auth/validate
	assert_status 200
	assert_json_eq .token.role REGULAR
	# A patch that leaves the role as it is keeps the tokens.
	login_user "$mod_email" "$mod_pw"
	mod_token=$ACCESS_TOKEN
	api_bearer "$admin" PATCH "/api/v1/users/$mod_id" '{"account_role":"REGULAR","account_subscription":"PRO"}'
	assert_status 200
	api_bearer "$mod_token" GET /api/v1/auth/validate
	assert_status 200
}

@test "refresh reuse detection also refuses the access tokens of the family" {
	new_user
	local stolen=$REFRESH_TOKEN access
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$stolen\"}"
	assert_status 200
	access=$(json_get .access_token)
	api_bearer "$access" GET /api/v1/auth/validate
	assert_status 200
	sql "UPDATE refresh_tokens SET spent_at = spent_at - 100 WHERE spent_at IS NOT NULL"
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$stolen\"}"
	assert_status 401
	api_bearer "$access" GET /api/v1/auth/validate
	assert_status 401
}

# fcgi ADDRESS PATH BODY: a request straight to the worker socket as if
# nginx had passed on a client ADDRESS (nginx here only sees 127.0.0.1);
# sets status and body (what follows the headers).
fcgi() {
	local out
	out=$(printf '%s' "$3" | "$PY" "$HELPERS_REPO/tests/fcgi_client.py" \
	    "$STACK_SOCKET" POST "$2" "HTTP_X_REAL_IP=$1") || return 1
	status=$(head -n 1 <<<"$out")
	body=$(tail -n +2 <<<"$out" | sed '1,/^\r*$/d')
}

@test "per-address limits count an IPv6 client by its /64" {
	local i
	for ((i = 1; i <= 30; i++)); do
		fcgi "2001:db8:aa:bb:$i::1" /api/v1/auth/verify-email "{\"token\":\"$(random_token)\"}"
		assert_status 400
	done
	# Another address of the same /64 is the same client, over its limit.
	fcgi "2001:db8:aa:bb:ffff:1:2:3" /api/v1/auth/reset-password "{\"token\":\"$(random_token)\",\"new_password\":\"newpass123\"}"
	assert_status 429
	# Another /64 is another client; so is an IPv4 address.
	fcgi "2001:db8:aa:bc::1" /api/v1/auth/verify-email "{\"token\":\"$(random_token)\"}"
	assert_status 400
	fcgi "192.0.2.7" /api/v1/auth/verify-email "{\"token\":\"$(random_token)\"}"
	assert_status 400
	[ "$(sql "SELECT count(*) FROM throttle_events WHERE bucket = 'token_ip' AND key = '2001:db8:aa:bb::/64'")" -eq 30 ]
}

@test "TOKEN_ATTEMPTS_PER_IP_PER_MINUTE=0 switches the token attempt limit off" {
	local i
	stop_authd
	TOKEN_ATTEMPTS_PER_IP_PER_MINUTE=0 start_authd
	for ((i = 0; i < 35; i++)); do
		api POST /api/v1/auth/verify-email "{\"token\":\"$(random_token)\"}"
		assert_status 400
	done
	[ "$(sql "SELECT count(*) FROM throttle_events WHERE bucket = 'token_ip'")" -eq 0 ]
}
