#!/usr/bin/env bats
#
# The core flow: registration with every validation rule, login in both
# shapes, validate, the current user, refresh rotation and logout.

load helpers

setup_file() {
	start_stack
}

teardown_file() {
	stop_stack
}

reg() {
	api POST /api/v1/auth/register "{\"email\":\"$1\",\"username\":\"$2\",\"password\":\"$3\"}"
}

# expect_422 FIELD TYPE MSG: the first 422 entry.
expect_422() {
	assert_status 422
	assert_json_eq '.detail[0].loc[1]' "$1"
	assert_json_eq '.detail[0].type' "$2"
	assert_json_eq '.detail[0].msg' "$3"
}

@test "registration answers 201 with UserPublic, the email lower-cased" {
	local n
	n=$(unique_name r)
	reg "Mixed.$n@Example.COM" "$n" secret123
	assert_status 201
	assert_json_eq .email "mixed.$n@example.com"
	assert_json_eq .username "$n"
	assert_json_eq .account_role REGULAR
	assert_json_eq .account_subscription FREE
	assert_json_eq .subscription_expires_at null
	assert_json_eq .email_verified false
	assert_json_match .id '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
	assert_json_match .created_at '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
	assert_json_absent .password_hash
}

@test "a taken email answers 409 Email already registered, also when the username is taken too" {
	new_user
	reg "$USER_EMAIL" "$(unique_name x)" secret123
	assert_status 409
	assert_body_json '{"detail":"Email already registered"}'
	reg "${USER_EMAIL^^}" "$USER_NAME" secret123
	assert_status 409
	assert_body_json '{"detail":"Email already registered"}'
}

@test "a taken username, in any case, answers 409 with the next free suggestion" {
	local n
	n=$(unique_name s)
	reg "$n@example.com" "$n" secret123
	assert_status 201
	reg "${n}1@example.com" "${n}1" secret123
	assert_status 201
	reg "other.$n@example.com" "${n^^}" secret123
	assert_status 409
	assert_json_eq .detail.message "Username already taken"
	assert_json_eq .detail.suggestion "${n^^}2"
}

@test "the suggestion for a 30-character name is cut to stay within 30" {
	local n
	n=$(unique_name)
	n=$(printf '%s' "${n}abcdefghijklmnopqrstuvwxyz" | cut -c1-30)
	reg "$n@example.com" "$n" secret123
	assert_status 201
	reg "b.$n@example.com" "$n" secret123
	assert_status 409
	assert_json_eq .detail.suggestion "$(printf '%s' "$n" | cut -c1-29)1"
}

@test "every username rule answers its exact message" {
	local -a cases=(
	    "   |The username cannot be empty or consist only of whitespace."
	    " bob|The username cannot contain spaces at the beginning or end."
	    "bob |The username cannot contain spaces at the beginning or end."
	    "ab|Username must be at least 3 characters long."
	    "abcdefghijabcdefghijabcdefghijk|Username cannot be longer than 30 characters."
	    "bo@b|Username cannot contain '@' symbol."
	    "bo b|Username can only contain letters, numbers, underscores (_), and hyphens (-)."
	    "bob!|Username can only contain letters, numbers, underscores (_), and hyphens (-)."
	    "Admin|This username is reserved and cannot be used."
	    "LOGOUT|This username is reserved and cannot be used."
	    "bo__b|Username cannot contain consecutive underscores or hyphens."
	    "bo--b|Username cannot contain consecutive underscores or hyphens."
	)
	local c name msg
	for c in "${cases[@]}"; do
		name=${c%%|*}
		msg=${c#*|}
		reg "v@example.com" "$name" secret123
		expect_422 username value_error "Value error, $msg"
	done
	api POST /api/v1/auth/register '{"email":"v@example.com","username":"","password":"secret123"}'
	expect_422 username value_error "Value error, The username cannot be empty or consist only of whitespace."
}

@test "every password rule answers its exact message" {
	local long
	long=a1$(head -c 127 /dev/zero | tr '\0' x)
	local -a cases=(
	    "a1b2c|Password must be at least 6 characters long"
	    "abcdefgh|Password must contain at least one digit"
	    "12345678|Password must contain at least one letter"
	    "$long|Password cannot be longer than 128 characters"
	)
	local c pw msg
	for c in "${cases[@]}"; do
		pw=${c%%|*}
		msg=${c#*|}
		reg "p@example.com" "$(unique_name)" "$pw"
		expect_422 password value_error "Value error, $msg"
	done
}

@test "invalid emails answer 422 naming the email address" {
	local e
	for e in invalid-email user@ @domain.com user@domain user.domain.com user@.com; do
		reg "$e" "$(unique_name)" secret123
		assert_status 422
		assert_json_eq '.detail[0].loc[1]' email
		assert_json_eq '.detail[0].type' value_error
		assert_json_match '.detail[0].msg' 'email address'
		assert_json_match '.detail[0].msg' '^value is not a valid email address: '
	done
}

@test "all failing fields are reported at once in declared order" {
	api POST /api/v1/auth/register '{"email":"bad","username":"a","password":"x"}'
	assert_status 422
	assert_json_eq '.detail[0].loc[1]' email
	assert_json_eq '.detail[1].loc[1]' username
	assert_json_eq '.detail[2].loc[1]' password
	[ "$(json_len .detail)" -eq 3 ]
}

@test "missing fields and wrong types have their own 422 entries" {
	api POST /api/v1/auth/register '{"email":"m@example.com","password":5}'
	assert_status 422
	assert_json_eq '.detail[0].loc[1]' username
	assert_json_eq '.detail[0].type' missing
	assert_json_eq '.detail[0].msg' 'Field required'
	assert_json_eq '.detail[1].loc[1]' password
	assert_json_eq '.detail[1].type' string_type
	assert_json_eq '.detail[1].msg' 'Input should be a valid string'
}

@test "malformed JSON answers 422 json_invalid with a byte offset" {
	api POST /api/v1/auth/register '{"email": "a@b.co",'
	assert_status 422
	assert_json_eq '.detail[0].type' json_invalid
	assert_json_eq '.detail[0].loc[0]' body
	assert_json_match '.detail[0].loc[1]' '^[0-9]+$'
	assert_json_eq '.detail[0].msg' 'JSON decode error'
	assert_json_eq '.detail[0].input' '{}'
}

@test "a JSON body that is not an object answers 422 model_attributes_type" {
	api POST /api/v1/auth/register '["a","b"]'
	assert_status 422
	assert_json_eq '.detail[0].type' model_attributes_type
}

@test "login with a form, by username, answers a bearer pair with no-store" {
	new_user
	api_form POST /api/v1/auth/login "username=$USER_NAME&password=$USER_PASSWORD&grant_type=password&scope="
	assert_status 200
	assert_json_eq .token_type bearer
	assert_json_eq .expires_in 1800
	assert_json_eq .user.id "$USER_ID"
	assert_json_has .access_token
	assert_json_match .refresh_token '^[A-Za-z0-9_-]{43,}$'
	assert_header Cache-Control no-store
	assert_header Pragma no-cache
}

@test "login with JSON accepts login, username or name, case-insensitively" {
	new_user
	api POST /api/v1/auth/login "{\"login\":\"${USER_EMAIL^^}\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 200
	api POST /api/v1/auth/login "{\"username\":\"${USER_NAME^^}\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 200
	api POST /api/v1/auth/login "{\"name\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 200
}

@test "a wrong password and an unknown user get the same 401 with WWW-Authenticate" {
	new_user
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong123\"}"
	assert_status 401
	assert_body_json '{"detail":"Incorrect email or password"}'
	assert_header WWW-Authenticate Bearer
	api POST /api/v1/auth/login '{"login":"nobody@example.com","password":"wrong123"}'
	assert_status 401
	assert_body_json '{"detail":"Incorrect email or password"}'
	assert_header WWW-Authenticate Bearer
}

@test "login without an identifier answers 422 for username" {
	api POST /api/v1/auth/login '{"password":"secret123"}'
	assert_status 422
	assert_json_eq '.detail[0].loc[1]' username
	assert_json_eq '.detail[0].type' missing
}

@test "the access token verifies with a standard JWT library and carries the SPEC claims" {
	new_user
	run "$PY" -c '
import jwt, sys
c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"])
assert c["sub"] == sys.argv[3], c
assert c["type"] == "access" and c["role"] == "REGULAR", c
assert c["username"] == sys.argv[4] and c["gen"] == 0, c
assert c["exp"] - c["iat"] == 1800 and len(c["jti"]) == 36, c
print("ok")' "$ACCESS_TOKEN" "$SECRET_KEY" "$USER_ID" "$USER_NAME"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$output" = ok ]
}

@test "GET /users/me answers the caller; no or a bad token answers 401" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_status 200
	assert_json_eq .id "$USER_ID"
	assert_json_eq .email "$USER_EMAIL"
	api GET /api/v1/users/me
	assert_status 401
	assert_body_json '{"detail":"Could not validate credentials"}'
	assert_header WWW-Authenticate Bearer
	api_bearer "${ACCESS_TOKEN}x" GET /api/v1/users/me
	assert_status 401
	assert_body_json '{"detail":"Could not validate credentials"}'
}

@test "GET /data/test-data answers the exact protected message" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/data/test-data
	assert_status 200
	assert_body_json "{\"message\":\"This is protected test data\",\"user_id\":\"$USER_ID\"}"
}

@test "validate answers valid with the user, the claims and X-User-* headers" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	assert_json_eq .valid true
	assert_json_eq .user.id "$USER_ID"
	assert_json_eq .token.sub "$USER_ID"
	assert_json_eq .token.type access
	assert_header X-User-Id "$USER_ID"
	assert_header X-User-Name "$USER_NAME"
	assert_header X-User-Email "$USER_EMAIL"
	assert_header X-User-Role REGULAR
	api_bearer "$ACCESS_TOKEN" POST /api/v1/auth/validate
	assert_status 200
}

@test "validate tolerates what real clients send in Authorization" {
	new_user
	local h
	for h in "Bearer%20$ACCESS_TOKEN" "Bearer Bearer $ACCESS_TOKEN" \
	    "\"Bearer $ACCESS_TOKEN\"" "bearer $ACCESS_TOKEN" "BEARER $ACCESS_TOKEN"; do
		api GET /api/v1/auth/validate '' -H "Authorization: $h"
		assert_status 200
	done
}

@test "validate refuses missing, malformed and forged tokens with the exact 401" {
	new_user
	local forged
	forged=$("$PY" -c 'import jwt,sys; print(jwt.encode({"sub":sys.argv[1],"type":"access","exp":4102444800,"gen":0}, "x"*40, algorithm="HS256"))' "$USER_ID")
	for h in "" "Bearer" "Bearer abc" "Basic dXNlcjpwYXNz" "Bearer $forged"; do
		if [ -z "$h" ]; then api GET /api/v1/auth/validate; else
			api GET /api/v1/auth/validate '' -H "Authorization: $h"; fi
		assert_status 401
		assert_body_json '{"detail":"Could not validate credentials"}'
		assert_header WWW-Authenticate Bearer
	done
}

@test "validate demands a minimum role from ?role= or X-Require-Role" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET '/api/v1/auth/validate?role=REGULAR'
	assert_status 200
	api_bearer "$ACCESS_TOKEN" GET '/api/v1/auth/validate?role=moderator'
	assert_status 403
	assert_body_json '{"detail":"Not enough permissions"}'
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate '' -H 'X-Require-Role: ADMIN'
	assert_status 403
	assert_body_json '{"detail":"Not enough permissions"}'
	api_bearer "$ACCESS_TOKEN" GET '/api/v1/auth/validate?role=EMPEROR'
	assert_status 400
	assert_body_json '{"detail":"Unknown role"}'
	api_bearer "$ACCESS_TOKEN" GET '/api/v1/auth/validate?role=%FF'
	assert_status 400
	assert_body_json '{"detail":"Unknown role"}'
}

@test "refresh rotates: the new token works, the presented one is spent" {
	new_user
	local old=$REFRESH_TOKEN
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$old\"}"
	assert_status 200
	assert_json_eq .token_type bearer
	assert_json_eq .user.id "$USER_ID"
	assert_header Cache-Control no-store
	local new
	new=$(json_get .refresh_token)
	[ "$new" != "$old" ]
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$old\"}"
	assert_status 401
	assert_body_json '{"detail":"Invalid or expired refresh token"}'
	assert_header WWW-Authenticate Bearer
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$new\"}"
	assert_status 200
}

@test "refresh with an unknown or missing token answers 401 or 422" {
	api POST /api/v1/auth/refresh '{"refresh_token":"nope"}'
	assert_status 401
	assert_body_json '{"detail":"Invalid or expired refresh token"}'
	api POST /api/v1/auth/refresh '{}'
	assert_status 422
	assert_json_eq '.detail[0].loc[1]' refresh_token
}

@test "logout answers 204 with no body and ends the session" {
	new_user
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 204
	[ -z "$body" ]
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 401
}

@test "logout takes the refresh token as Bearer too, and answers 204 for unknown tokens" {
	new_user
	api_bearer "$REFRESH_TOKEN" POST /api/v1/auth/logout
	assert_status 204
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 401
	api POST /api/v1/auth/logout '{"refresh_token":"unknown"}'
	assert_status 204
	api POST /api/v1/auth/logout
	assert_status 204
}

@test "a known path with the wrong method answers 405 with Allow" {
	api GET /api/v1/auth/login
	assert_status 405
	assert_body_json '{"detail":"Method Not Allowed"}'
	assert_header Allow POST
	api DELETE /api/v1/auth/validate
	assert_status 405
	assert_header Allow "GET, POST"
}

# race BODY...: the register bodies sent at once (one curl each); asserts
# exactly one 201 and the rest 409 (no 5xx).
race() {
	local i=0 body
	for body in "$@"; do
		i=$((i + 1))
		curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
		    -d "$body" "$BASE/api/v1/auth/register" >"$BATS_TEST_TMPDIR/code.$i" &
	done
	for i in $(seq 1 $#); do
		wait_until 30 test -s "$BATS_TEST_TMPDIR/code.$i"
	done
	cat "$BATS_TEST_TMPDIR"/code.* | sort | uniq -c
	[ "$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^201$')" -eq 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^409$')" -eq $(($# - 1)) ]
}

@test "20 parallel registrations of one email: one 201, the rest 409, no 5xx" {
	local n i bodies=()
	n=$(unique_name p)
	for i in $(seq 1 20); do
		bodies+=("{\"email\":\"$n@example.com\",\"username\":\"${n}x$i\",\"password\":\"secret123\"}")
	done
	race "${bodies[@]}"
}

@test "20 parallel registrations of one username: one 201, the rest 409" {
	local n i bodies=()
	n=$(unique_name q)
	for i in $(seq 1 20); do
		bodies+=("{\"email\":\"$n.$i@example.com\",\"username\":\"$n\",\"password\":\"secret123\"}")
	done
	race "${bodies[@]}"
}

# bats test_tags=sqlite-file
@test "the database and the state directory are private" {
	[ "$(stat -c %a "$AUTH_STATE_DIR")" = 700 ]
	[ "$(stat -c %a "$STACK_DB")" = 600 ]
}
