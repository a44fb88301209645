#!/usr/bin/env bats
#
# The current user's account (SPEC §4): phone registration and login,
# GET/DELETE /users/me, password change, sessions, logout of one or all
# sessions, refresh-token families, and access-token revocation taking
# effect on the very next validate call.

load helpers

setup_file() {
	# Wide enough for a slow (sanitizer) run to present a spent token
	# within it; past it is made by moving spent_at back, not by waiting.
	export REFRESH_REUSE_GRACE_SECONDS=30
	start_stack
}

teardown_file() {
	stop_stack
}

# validate_with TOKEN: GET /api/v1/auth/validate with that access token.
validate_with() {
	api_bearer "$1" GET /api/v1/auth/validate
}

assert_invalid_token() {
	assert_status 401 || return 1
	assert_body_json '{"detail":"Could not validate credentials"}' || return 1
	assert_header WWW-Authenticate Bearer
}

assert_deactivated() {
	assert_status 403 || return 1
	assert_body_json '{"detail":"User account is deactivated or deleted"}'
}

# refresh_with TOKEN
refresh_with() {
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$1\"}"
}

assert_refresh_refused() {
	assert_status 401 || return 1
	assert_body_json '{"detail":"Invalid or expired refresh token"}' || return 1
	assert_header WWW-Authenticate Bearer
}

# A fresh phone number in E.164 (+48 and 9 random digits).
unique_phone() {
	"$PY" -c 'import secrets; print("+48" + "".join(str(secrets.randbelow(10)) for _ in range(9)))'
}

# register_phone PHONE: a fresh user with that phone; sets NAME, EMAIL.
register_phone() {
	NAME=$(unique_name p)
	EMAIL=$NAME@example.com
	api POST /api/v1/auth/register \
	    "{\"email\":\"$EMAIL\",\"username\":\"$NAME\",\"password\":\"secret123\",\"phone\":\"$1\"}"
}

sql() {
	stack_sql "$1"
}

# ---------------------------------------------------------------------------
# Phone

@test "a phone given at registration is stored normalised" {
	local p
	p=$(unique_phone)
	register_phone "00${p:1:2} (${p:3:3}) ${p:6:3}-${p:9:3}"
	assert_status 201
	[[ $(sql "SELECT phone FROM users WHERE id = '$(json_get .id)'") == "$p" ]] ||
	    _fail "phone not stored as $p"
}

@test "login by phone works in E.164 and with separators or a 00 prefix" {
	local p form
	p=$(unique_phone)
	register_phone "$p"
	assert_status 201
	for form in "$p" "${p:0:3} ${p:3:3} ${p:6:3} ${p:9:3}" "00${p:1}" \
	    "00${p:1:2}-${p:3:3}-${p:6:3}-${p:9:3}"; do
		api POST /api/v1/auth/login "{\"login\":\"$form\",\"password\":\"secret123\"}"
		assert_status 200
		assert_json_eq .user.username "$NAME"
	done
}

@test "login by phone works with the country code in parentheses" {
	local p
	p=$(unique_phone)
	register_phone "$p"
	assert_status 201
	api POST /api/v1/auth/login \
	    "{\"login\":\"(${p:0:3}) ${p:3:3}-${p:6:3}.${p:9:3}\",\"password\":\"secret123\"}"
	assert_status 200
	assert_json_eq .user.username "$NAME"
}

@test "login by phone through the OAuth2 form works too" {
	local p
	p=$(unique_phone)
	register_phone "$p"
	assert_status 201
	api_form POST /api/v1/auth/login "username=${p/+/%2B}&password=secret123&grant_type=password"
	assert_status 200
	assert_json_eq .token_type bearer
	assert_json_eq .user.email "$EMAIL"
}

@test "login by phone with a wrong password gets the usual 401" {
	local p
	p=$(unique_phone)
	register_phone "$p"
	assert_status 201
	api POST /api/v1/auth/login "{\"login\":\"$p\",\"password\":\"wrong123\"}"
	assert_status 401
	assert_body_json '{"detail":"Incorrect email or password"}'
	assert_header WWW-Authenticate Bearer
}

@test "login by an unknown phone gets the usual 401" {
	api POST /api/v1/auth/login '{"login":"+48000000001","password":"secret123"}'
	assert_status 401
	assert_body_json '{"detail":"Incorrect email or password"}'
}

@test "a phone in the wrong format is a 422 with the exact message" {
	local name
	name=$(unique_name p)
	api POST /api/v1/auth/register \
	    "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\",\"phone\":\"12345\"}"
	assert_status 422
	assert_json_eq '.detail[0].type' value_error
	assert_json_eq '.detail[0].loc' '["body","phone"]'
	assert_json_eq '.detail[0].msg' 'Value error, Phone number must be in international format, e.g. +48123456789'
	assert_json_eq '.detail[0].input' 12345
}

@test "a phone already registered is a 409, in any spelling" {
	local p
	p=$(unique_phone)
	register_phone "$p"
	assert_status 201
	register_phone "00${p:1}"
	assert_status 409
	assert_body_json '{"detail":"Phone number already registered"}'
}

# ---------------------------------------------------------------------------
# GET /users/me

@test "GET /users/me answers the caller's UserPublic" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_status 200
	assert_json_eq .id "$USER_ID"
	assert_json_eq .email "$USER_EMAIL"
	assert_json_eq .username "$USER_NAME"
	assert_json_eq .account_role REGULAR
	assert_json_eq .account_subscription FREE
	assert_json_eq .subscription_expires_at null
	assert_json_eq .email_verified false
	assert_json_match .created_at '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
	[[ $(json_len .) == 8 ]] || _fail "UserPublic has 8 fields"
}

@test "GET /users/me without a token is 401 with WWW-Authenticate" {
	api GET /api/v1/users/me
	assert_invalid_token
}

# ---------------------------------------------------------------------------
# DELETE /users/me

@test "DELETE /users/me answers 204 with an empty body" {
	new_user
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	[[ -z $body ]] || _fail "body not empty"
}

@test "DELETE /users/me anonymises the account in the database" {
	local row
	new_user
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	row=$(sql "SELECT email, username, coalesce(phone, 'NULL'), password_hash, is_active, deleted_at IS NOT NULL FROM users WHERE id = '$USER_ID'")
	[[ $row =~ ^deleted_${USER_ID}@anonymized\.local\|DeletedUser_[0-9a-f]{8}\|NULL\|!deleted\|0\|1$ ]] ||
	    _fail "row: $row"
}

@test "after DELETE /users/me its access token is refused at once with 403" {
	new_user
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	validate_with "$ACCESS_TOKEN"
	assert_deactivated
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_deactivated
	api_bearer "$ACCESS_TOKEN" GET /api/v1/data/test-data
	assert_deactivated
}

@test "after DELETE /users/me the old credentials and refresh token fail" {
	new_user
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 401
	assert_body_json '{"detail":"Incorrect email or password"}'
	api POST /api/v1/auth/login "{\"login\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 401
	refresh_with "$REFRESH_TOKEN"
	assert_refresh_refused
}

@test "after DELETE /users/me the email, username and phone can register again" {
	local p old_id
	p=$(unique_phone)
	register_phone "$p"
	assert_status 201
	old_id=$(json_get .id)
	login_user "$EMAIL" secret123
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	api POST /api/v1/auth/register \
	    "{\"email\":\"$EMAIL\",\"username\":\"$NAME\",\"password\":\"other123\",\"phone\":\"$p\"}"
	assert_status 201
	[[ $(json_get .id) != "$old_id" ]] || _fail "same id"
	login_user "$p" other123
}

@test "DELETE /users/me ends every session of the user" {
	local r1
	new_user
	r1=$REFRESH_TOKEN
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = '$USER_ID' AND revoked_at IS NULL") == 0 ]] ||
	    _fail "live sessions left"
	refresh_with "$r1"
	assert_refresh_refused
}

@test "DELETE /users/me without a token is 401" {
	api DELETE /api/v1/users/me
	assert_invalid_token
}

# ---------------------------------------------------------------------------
# POST /users/me/password

@test "a password change answers 200 with a fresh token pair and no-store" {
	new_user
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"newpass456\"}"
	assert_status 200
	assert_json_eq .token_type bearer
	assert_json_match .expires_in '^[0-9]+$'
	assert_json_eq .user.id "$USER_ID"
	assert_json_has .access_token
	assert_json_has .refresh_token
	assert_header Cache-Control no-store
	assert_header Pragma no-cache
	[[ $(json_get .access_token) != "$ACCESS_TOKEN" ]] || _fail "same access token"
	[[ $(json_get .refresh_token) != "$REFRESH_TOKEN" ]] || _fail "same refresh token"
}

@test "after a password change the old access token is refused at once and the new one works" {
	local fresh
	new_user
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"newpass456\"}"
	assert_status 200
	fresh=$(json_get .access_token)
	validate_with "$ACCESS_TOKEN"
	assert_invalid_token
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_invalid_token
	validate_with "$fresh"
	assert_status 200
	assert_json_eq .valid true
	assert_json_eq .user.id "$USER_ID"
}

@test "after a password change every old session is revoked and the new pair refreshes" {
	local r1 r2 fresh_refresh
	new_user
	r1=$REFRESH_TOKEN
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	r2=$REFRESH_TOKEN
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"newpass456\"}"
	assert_status 200
	fresh_refresh=$(json_get .refresh_token)
	refresh_with "$r1"
	assert_refresh_refused
	refresh_with "$r2"
	assert_refresh_refused
	refresh_with "$fresh_refresh"
	assert_status 200
}

@test "after a password change only the new password logs in" {
	new_user
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"newpass456\"}"
	assert_status 200
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 401
	assert_body_json '{"detail":"Incorrect email or password"}'
	login_user "$USER_EMAIL" newpass456
}

@test "a wrong current password is a 400 and changes nothing" {
	new_user
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    '{"current_password":"wrong999","new_password":"newpass456"}'
	assert_status 400
	assert_body_json '{"detail":"Incorrect current password"}'
	validate_with "$ACCESS_TOKEN"
	assert_status 200
	login_user "$USER_EMAIL" "$USER_PASSWORD"
}

@test "repeated wrong current passwords lock the account like failed logins" {
	local i
	new_user
	for i in 1 2 3 4 5; do
		api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
		    '{"current_password":"wrong999","new_password":"newpass456"}'
		assert_status 400
	done
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"newpass456\"}"
	assert_status 429
	assert_body_json '{"detail":"Too many requests. Try again later."}'
	assert_header Retry-After
}

@test "the new password must follow the password rules (422, exact messages)" {
	local pw msg long
	new_user
	long=a1$(printf 'x%.0s' {1..127})
	while IFS='|' read -r pw msg; do
		api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
		    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"$pw\"}"
		assert_status 422
		assert_json_eq '.detail[0].type' value_error
		assert_json_eq '.detail[0].loc' '["body","new_password"]'
		assert_json_eq '.detail[0].msg' "Value error, $msg"
		[[ $(json_len .detail) == 1 ]] || _fail "one entry expected"
	done <<EOF
a1b2|Password must be at least 6 characters long
abcdefgh|Password must contain at least one digit
12345678|Password must contain at least one letter
$long|Password cannot be longer than 128 characters
EOF
	# Nothing changed.
	validate_with "$ACCESS_TOKEN"
	assert_status 200
}

@test "a password change with both fields missing reports both, in order" {
	new_user
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password '{}'
	assert_status 422
	[[ $(json_len .detail) == 2 ]] || _fail "two entries expected"
	assert_json_eq '.detail[0].type' missing
	assert_json_eq '.detail[0].loc' '["body","current_password"]'
	assert_json_eq '.detail[0].msg' 'Field required'
	assert_json_eq '.detail[1].loc' '["body","new_password"]'
}

@test "a password change with a non-string password is a 422 string_type" {
	new_user
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    '{"current_password":123456,"new_password":"newpass456"}'
	assert_status 422
	assert_json_eq '.detail[0].type' string_type
	assert_json_eq '.detail[0].loc' '["body","current_password"]'
	assert_json_eq '.detail[0].msg' 'Input should be a valid string'
}

@test "a password change with malformed JSON is a 422 json_invalid" {
	new_user
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password '{"current_password":'
	assert_status 422
	assert_json_eq '.detail[0].type' json_invalid
	assert_json_eq '.detail[0].msg' 'JSON decode error'
}

@test "a password change without a token is 401, with GET it is 405" {
	api POST /api/v1/users/me/password '{"current_password":"a","new_password":"b"}'
	assert_invalid_token
	api GET /api/v1/users/me/password
	assert_status 405
	assert_body_json '{"detail":"Method Not Allowed"}'
	assert_header Allow POST
}

# ---------------------------------------------------------------------------
# Sessions

@test "GET /users/me/sessions lists live sessions with their details, newest first" {
	local first
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	[[ $(json_len .) == 1 ]] || _fail "one session expected"
	first=$(json_get '.[0].id')
	# The first session a minute older (no waiting for the clock).
	sql "UPDATE sessions SET created_at = created_at - 60, last_used_at = last_used_at - 60 WHERE id = '$first'"
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" \
	    -A "authd-test-agent/1.0"
	assert_status 200
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	[[ $(json_len .) == 2 ]] || _fail "two sessions expected"
	assert_json_eq '.[0].user_agent' "authd-test-agent/1.0"
	assert_json_eq '.[0].ip' 127.0.0.1
	assert_json_eq '.[1].id' "$first"
	assert_json_match '.[0].id' '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
	assert_json_match '.[0].created_at' 'Z$'
	assert_json_match '.[0].last_used_at' 'Z$'
	assert_json_match '.[0].expires_at' 'Z$'
	assert_json_eq '.[0].kind' api
	[[ $(json_len '.[0]') == 7 ]] || _fail "seven fields expected"
}

@test "a refresh updates the session's last use" {
	local before
	new_user
	# Last used a minute ago (no waiting for the clock).
	sql "UPDATE sessions SET last_used_at = last_used_at - 60 WHERE user_id = '$USER_ID'"
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	before=$(json_get '.[0].last_used_at')
	refresh_with "$REFRESH_TOKEN"
	assert_status 200
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	[[ $(json_len .) == 1 ]] || _fail "rotation keeps one session"
	[[ $(json_get '.[0].last_used_at') > $before ]] || _fail "last_used_at not updated"
}

@test "DELETE /users/me/sessions/{id} revokes that session only" {
	local r1 sid
	new_user
	r1=$REFRESH_TOKEN
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	sid=$(json_get '.[0].id')
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	api_bearer "$ACCESS_TOKEN" DELETE "/api/v1/users/me/sessions/$sid"
	assert_status 204
	[[ -z $body ]] || _fail "body not empty"
	refresh_with "$r1"
	assert_refresh_refused
	refresh_with "$REFRESH_TOKEN"
	assert_status 200
	api_bearer "$(json_get .access_token)" GET /api/v1/users/me/sessions
	assert_status 200
	[[ $(json_len .) == 1 ]] || _fail "one session left"
	[[ $(json_get '.[0].id') != "$sid" ]] || _fail "revoked session listed"
}

@test "deleting a session twice, an unknown one, or another user's is 404" {
	local sid other_token second_token
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	sid=$(json_get '.[0].id')
	other_token=$ACCESS_TOKEN
	# A second session of that user, to ask again once the first has
	# ended (its own access token then dies with it).
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	second_token=$ACCESS_TOKEN
	new_user
	api_bearer "$ACCESS_TOKEN" DELETE "/api/v1/users/me/sessions/$sid"
	assert_status 404
	assert_body_json '{"detail":"Session not found"}'
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me/sessions/6f1c2d4e-0000-4000-8000-000000000000
	assert_status 404
	assert_body_json '{"detail":"Session not found"}'
	api_bearer "$ACCESS_TOKEN" DELETE "/api/v1/users/me/sessions/not-a-uuid"
	assert_status 404
	api_bearer "$other_token" DELETE "/api/v1/users/me/sessions/$sid"
	assert_status 204
	api_bearer "$second_token" DELETE "/api/v1/users/me/sessions/$sid"
	assert_status 404
	assert_body_json '{"detail":"Session not found"}'
}

@test "a logged-out session is not listed" {
	local keep
	new_user
	keep=$ACCESS_TOKEN
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 204
	api_bearer "$keep" GET /api/v1/users/me/sessions
	assert_status 200
	[[ $(json_len .) == 1 ]] || _fail "one session expected"
}

@test "sessions endpoints need a token" {
	api GET /api/v1/users/me/sessions
	assert_invalid_token
	api DELETE /api/v1/users/me/sessions/6f1c2d4e-0000-4000-8000-000000000000
	assert_invalid_token
}

# ---------------------------------------------------------------------------
# Logout

@test "logout of one session refuses that session's access token; the other session keeps working" {
	local a1 r1
	new_user
	a1=$ACCESS_TOKEN
	r1=$REFRESH_TOKEN
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 204
	[[ -z $body ]] || _fail "body not empty"
	refresh_with "$REFRESH_TOKEN"
	assert_refresh_refused
	validate_with "$ACCESS_TOKEN"
	assert_invalid_token
	validate_with "$a1"
	assert_status 200
	refresh_with "$r1"
	assert_status 200
}

@test "logout with all:true refuses every access token at once and ends every session" {
	local a1 r1
	new_user
	a1=$ACCESS_TOKEN
	r1=$REFRESH_TOKEN
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\",\"all\":true}"
	assert_status 204
	validate_with "$ACCESS_TOKEN"
	assert_invalid_token
	validate_with "$a1"
	assert_invalid_token
	refresh_with "$r1"
	assert_refresh_refused
	refresh_with "$REFRESH_TOKEN"
	assert_refresh_refused
	# A new login works and gets a token of the new generation.
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	validate_with "$ACCESS_TOKEN"
	assert_status 200
}

@test "logout with all:true and the refresh token as Bearer works too" {
	new_user
	api_bearer "$REFRESH_TOKEN" POST /api/v1/auth/logout '{"all":true}'
	assert_status 204
	validate_with "$ACCESS_TOKEN"
	assert_invalid_token
}

@test "logout with all:true and an unknown token is 204 and revokes nothing" {
	new_user
	api POST /api/v1/auth/logout '{"refresh_token":"nope","all":true}'
	assert_status 204
	validate_with "$ACCESS_TOKEN"
	assert_status 200
}

# ---------------------------------------------------------------------------
# Refresh-token families

@test "a refresh rotates the token: a new one, same session, with no-store" {
	new_user
	refresh_with "$REFRESH_TOKEN"
	assert_status 200
	assert_header Cache-Control no-store
	assert_json_eq .token_type bearer
	assert_json_eq .user.id "$USER_ID"
	[[ $(json_get .refresh_token) != "$REFRESH_TOKEN" ]] || _fail "not rotated"
	validate_with "$(json_get .access_token)"
	assert_status 200
}

@test "a spent token presented within the grace window is refused, the family lives on" {
	local new
	new_user
	refresh_with "$REFRESH_TOKEN"
	assert_status 200
	new=$(json_get .refresh_token)
	refresh_with "$REFRESH_TOKEN"
	assert_refresh_refused
	refresh_with "$new"
	assert_status 200
}

@test "a spent token presented after the grace window revokes the whole family" {
	local new other
	new_user
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	other=$REFRESH_TOKEN
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	refresh_with "$REFRESH_TOKEN"
	assert_status 200
	new=$(json_get .refresh_token)
	# A minute later: past the grace window (no waiting for the clock).
	sql "UPDATE refresh_tokens SET spent_at = spent_at - 60 WHERE spent_at IS NOT NULL AND session_id IN (SELECT id FROM sessions WHERE user_id = '$USER_ID')"
	refresh_with "$REFRESH_TOKEN"
	assert_refresh_refused
	# The thief's and the owner's newest token are both dead now...
	refresh_with "$new"
	assert_refresh_refused
	# ...but another session (family) of the same user is untouched.
	refresh_with "$other"
	assert_status 200
}

@test "20 parallel refreshes of one token give exactly one 200 and no 5xx" {
	local i dir ok=0 refused=0 code
	local -a pids=()
	new_user
	dir=$BATS_TEST_TMPDIR/par
	mkdir -p "$dir"
	for i in $(seq 1 20); do
		curl -s -o "$dir/body$i" -w '%{http_code}' --max-time 30 \
		    -X POST -H 'Content-Type: application/json' \
		    --data "{\"refresh_token\":\"$REFRESH_TOKEN\"}" \
		    "$BASE/api/v1/auth/refresh" >"$dir/code$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 1 20); do
		code=$(cat "$dir/code$i")
		case $code in
		200) ok=$((ok + 1)) ;;
		401) refused=$((refused + 1))
		     [[ $(cat "$dir/body$i") == '{"detail":"Invalid or expired refresh token"}' ]] ||
		         _fail "request $i: $(cat "$dir/body$i")" ;;
		*) _fail "request $i answered $code: $(cat "$dir/body$i")" ;;
		esac
	done
	(( ok == 1 )) || _fail "$ok requests got 200"
	(( ok + refused == 20 )) || _fail "$ok ok, $refused refused"
}

@test "an unknown or malformed refresh token is 401 with the exact message" {
	refresh_with "not-a-token"
	assert_refresh_refused
	refresh_with ""
	assert_refresh_refused
}

@test "an access token is not accepted as a refresh token" {
	new_user
	refresh_with "$ACCESS_TOKEN"
	assert_refresh_refused
}

# ---------------------------------------------------------------------------
# The role comes from the database

@test "validate reports the role stored now, not the one in the token" {
	new_user
	sql "UPDATE users SET account_role = 'MODERATOR' WHERE id = '$USER_ID'"
	validate_with "$ACCESS_TOKEN"
	assert_status 200
	assert_header X-User-Role MODERATOR
	assert_json_eq .user.account_role MODERATOR
	assert_json_eq .token.role REGULAR
	api_bearer "$ACCESS_TOKEN" GET '/api/v1/auth/validate?role=MODERATOR'
	assert_status 200
}
