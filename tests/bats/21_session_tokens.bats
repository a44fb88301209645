#!/usr/bin/env bats
#
# Access tokens tied to their session (the claim sid): ending ONE session
# by any route refuses that session's access tokens on the very next
# Bearer call (validate, /users/me), with the bad-token 401, while the
# user's other sessions keep working; an expired session refuses its
# token too; a token without sid (issued before tokens named their
# session) still validates; a deactivated user still gets 403.

load helpers
load page_helpers

setup_file() {
	start_stack
	export CTL=$AUTHCTL_BIN
}

teardown_file() {
	stop_stack
}

setup() {
	JAR=$BATS_TEST_TMPDIR/jar
	: >"$JAR"
}

# validate_with TOKEN
validate_with() {
	api_bearer "$1" GET /api/v1/auth/validate
}

assert_invalid_token() {
	assert_status 401 || return 1
	assert_body_json '{"detail":"Could not validate credentials"}' || return 1
	assert_header WWW-Authenticate Bearer
}

# claim TOKEN NAME: one claim of an access token, verified with the
# stack's key by a standard JWT library ("" when absent).
claim() {
	"$PY" -c '
import jwt, sys
c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"])
print(c.get(sys.argv[3], ""))' "$1" "$SECRET_KEY" "$2"
}

# without_sid TOKEN: the same claims without sid, signed with the stack's
# key, as a token issued before tokens carried their session.
without_sid() {
	"$PY" -c '
import jwt, sys
c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"])
del c["sid"]
print(jwt.encode(c, sys.argv[2], algorithm="HS256"))' "$1" "$SECRET_KEY"
}

# second_login: a second API session of the user; sets A2, R2, S2.
second_login() {
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 200 || return 1
	A2=$(json_get .access_token)
	R2=$(json_get .refresh_token)
	S2=$(claim "$A2" sid)
}

# first_session: new_user and its session id in S1 (A1, R1 its tokens).
first_session() {
	new_user || return 1
	A1=$ACCESS_TOKEN
	R1=$REFRESH_TOKEN
	S1=$(claim "$A1" sid)
	[[ -n $S1 ]] || _fail "no sid in the access token"
}

# assert_dead_and_alive DEAD ALIVE: the first token refused by validate
# and /users/me, the second accepted by both.
assert_dead_and_alive() {
	validate_with "$1"
	assert_invalid_token || return 1
	api_bearer "$1" GET /api/v1/users/me
	assert_invalid_token || return 1
	validate_with "$2"
	assert_status 200 || return 1
	api_bearer "$2" GET /api/v1/users/me
	assert_status 200 || return 1
	assert_json_eq .id "$USER_ID"
}

@test "the access token names its session: sid is the id listed by /users/me/sessions, and validate shows it" {
	first_session
	api_bearer "$A1" GET /api/v1/users/me/sessions
	assert_status 200
	assert_json_eq '.[0].id' "$S1"
	[[ $(json_len .) -eq 1 ]] || _fail "sessions: $body"
	validate_with "$A1"
	assert_status 200
	assert_json_eq .token.sid "$S1"
	# A refreshed token belongs to the same session.
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R1\"}"
	assert_status 200
	[[ $(claim "$(json_get .access_token)" sid) == "$S1" ]] || _fail "refresh changed the session"
}

@test "logout with the refresh token refuses that session's access tokens, before and after a refresh; the other session lives" {
	local a1b
	first_session
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R1\"}"
	assert_status 200
	a1b=$(json_get .access_token)
	R1=$(json_get .refresh_token)
	second_login
	validate_with "$A1"
	assert_status 200
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$R1\"}"
	assert_status 204
	assert_dead_and_alive "$A1" "$A2"
	assert_dead_and_alive "$a1b" "$A2"
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R2\"}"
	assert_status 200
}

@test "logout with the refresh token as Authorization: Bearer refuses that session's access token" {
	first_session
	second_login
	api POST /api/v1/auth/logout '' -H "Authorization: Bearer $R2"
	assert_status 204
	assert_dead_and_alive "$A2" "$A1"
}

@test "DELETE /users/me/sessions/{id} of another session refuses its access token; the caller's keeps working" {
	first_session
	second_login
	api_bearer "$A1" DELETE "/api/v1/users/me/sessions/$S2"
	assert_status 204
	assert_dead_and_alive "$A2" "$A1"
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R2\"}"
	assert_status 401
}

@test "DELETE /users/me/sessions/{id} of the caller's own session refuses the very token that asked" {
	first_session
	second_login
	api_bearer "$A1" DELETE "/api/v1/users/me/sessions/$S1"
	assert_status 204
	assert_dead_and_alive "$A1" "$A2"
	api_bearer "$A1" DELETE "/api/v1/users/me/sessions/$S2"
	assert_invalid_token
}

@test "the account page's per-session sign-out refuses that API session's access token; the browser stays signed in" {
	first_session
	browser_login "$USER_NAME" "$USER_PASSWORD"
	assert_status 303
	page GET /auth/account
	assert_status 200
	[[ $body == *"value=\"$S1\""* ]] || _fail "the API session is not listed"
	form_post /auth/account/sessions/end "session_id=$S1" /auth/account
	assert_status 303
	assert_header Location /auth/account
	validate_with "$A1"
	assert_invalid_token
	validate_cookie "$(jar_cookie authd_session)"
	assert_status 200
	assert_json_eq .user.id "$USER_ID"
}

@test "authctl user revoke USER SESSION_ID refuses that session's access token; the other session lives" {
	first_session
	second_login
	run "$CTL" user revoke "$USER_NAME" "$S1"
	[[ $status -eq 0 ]] || _fail "authctl exited $status: $output"
	assert_dead_and_alive "$A1" "$A2"
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R2\"}"
	assert_status 200
}

@test "a session past its expires_at refuses its access token; the other session lives" {
	first_session
	second_login
	validate_with "$A1"
	assert_status 200
	run stack_sql "UPDATE sessions SET expires_at = $(($(date +%s) - 1)) WHERE id = '$S1'"
	[[ $status -eq 0 ]] || _fail "stack_sql: $output"
	[[ $(db_sql "SELECT count(*) FROM sessions WHERE id = '$S1' AND revoked_at IS NULL") -eq 1 ]] || _fail "not the expiry alone"
	assert_dead_and_alive "$A1" "$A2"
}

@test "a token without sid (issued before this change) still validates, and still dies with the generation" {
	local old
	first_session
	old=$(without_sid "$A1")
	[[ -n $old && -z $(claim "$old" sid) ]] || _fail "could not make a token without sid"
	validate_with "$old"
	assert_status 200
	assert_json_eq .user.id "$USER_ID"
	api_bearer "$old" GET /api/v1/users/me
	assert_status 200
	# Not tied to a session: ending the one it came from leaves it alone.
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$R1\"}"
	assert_status 204
	validate_with "$A1"
	assert_invalid_token
	validate_with "$old"
	assert_status 200
	# Logout of all sessions moves the generation: now it dies too.
	second_login
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$R2\",\"all\":true}"
	assert_status 204
	validate_with "$old"
	assert_invalid_token
}

@test "a token whose sid names an unknown session or another user's session is refused" {
	local other forged
	first_session
	other=$S1
	first_session
	forged=$("$PY" -c '
import jwt, sys
c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"])
c["sid"] = sys.argv[3]
print(jwt.encode(c, sys.argv[2], algorithm="HS256"))' "$A1" "$SECRET_KEY" "$other")
	validate_with "$forged"
	assert_invalid_token
	forged=$("$PY" -c '
import jwt, sys
c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"])
c["sid"] = "00000000-0000-4000-8000-000000000000"
print(jwt.encode(c, sys.argv[2], algorithm="HS256"))' "$A1" "$SECRET_KEY")
	validate_with "$forged"
	assert_invalid_token
	validate_with "$A1"
	assert_status 200
}

@test "a deactivated user with an ended session still gets 403, not 401" {
	first_session
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$R1\"}"
	assert_status 204
	validate_with "$A1"
	assert_invalid_token
	run "$CTL" user deactivate "$USER_NAME"
	[[ $status -eq 0 ]] || _fail "authctl exited $status: $output"
	validate_with "$A1"
	assert_status 403
	assert_body_json '{"detail":"User account is deactivated or deleted"}'
}
