#!/usr/bin/env bats
#
# The audit log (SPEC §10): each security event gives exactly one
# "audit event=..." line with the acting and the affected account ids
# and no secret; a successful sign-in names its user in the request line.

load helpers

AUTHCTL=$AUTHCTL_BIN

setup_file() {
	export LOGIN_MAX_FAILURES=3
	export ADMIN_EMAIL=boss@example.com ADMIN_USERNAME=boss ADMIN_PASSWORD=boss-pass1
	start_stack
}

teardown_file() {
	stop_stack
}

# mark: remember where the log is, so audit_lines sees only what follows.
mark() {
	MARK=$(wc -l <"$STACK_AUTH_LOG")
}

# audit_lines EVENT: the audit lines of EVENT written since mark.
audit_lines() {
	tail -n +"$((MARK + 1))" "$STACK_AUTH_LOG" | grep -F "audit event=$1 " || true
}

# one_line EVENT ACTOR USER: exactly one line of EVENT since mark, with
# these ids ("-" for none); it is left in LINE.
one_line() {
	local lines n
	# Lines are written before the answer is sent: no waiting needed, but
	# the log is a pipe read by the stack's logger: wait until it arrived.
	wait_until 5 _has_line "$1" || true
	lines=$(audit_lines "$1")
	n=$(grep -c . <<<"$lines" || true)
	[[ $n -eq 1 ]] || fail "expected one $1 line, got $n:" "$lines"
	LINE=$lines
	[[ $LINE == *" actor=$2 user=$3 "* || $LINE == *" actor=$2 user=$3" ]] || fail "ids: want actor=$2 user=$3" "$LINE"
}

_has_line() {
	[[ -n $(audit_lines "$1") ]]
}

# no_secret WORD...: none of the words appears in the log.
no_secret() {
	local w
	for w in "$@"; do
		! grep -qF -- "$w" "$STACK_AUTH_LOG" || fail "the log holds a secret: $w"
	done
}

admin_token() {
	login_user boss@example.com boss-pass1
	ADMIN_TOKEN=$ACCESS_TOKEN
}

@test "a sign-in gives one login_success line, and the request line names the user" {
	registered
	mark
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	one_line login_success "$USER_ID" "$USER_ID"
	[[ $LINE == *" ip=127.0.0.1 "* ]] || fail "$LINE"
	wait_until 5 grep -qE "POST /api/v1/auth/login status=200 ms=[0-9]+ user=$USER_ID" "$STACK_AUTH_LOG" || fail "request line without the user"
	no_secret "$USER_PASSWORD" "$ACCESS_TOKEN" "$REFRESH_TOKEN"
}

@test "failed sign-ins give one login_failure line each; an unknown identifier is not printed" {
	registered
	mark
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"Wrong-pass-77\"}"
	assert_status 401
	one_line login_failure - "$USER_ID"
	[[ $LINE == *reason=bad_password* ]] || fail "$LINE"
	mark
	api POST /api/v1/auth/login '{"login":"Typo-Secret-Pass-91","password":"whatever1"}'
	assert_status 401
	one_line login_failure - -
	no_secret Wrong-pass-77 Typo-Secret-Pass-91 typo-secret-pass-91
}

@test "reaching LOGIN_MAX_FAILURES gives one lockout line; a locked sign-in is a login_failure" {
	registered
	local i
	mark
	for i in 1 2 3; do
		api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"Wrong-pass-$i\"}"
		assert_status 401
	done
	one_line lockout - "$USER_ID"
	mark
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 429
	one_line login_failure - "$USER_ID"
	[[ $LINE == *reason=locked* ]] || fail "$LINE"
}

@test "a password change gives one password_change line, acting on oneself" {
	new_user
	mark
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"Fresh-pass-42\"}"
	assert_status 200
	one_line password_change "$USER_ID" "$USER_ID"
	no_secret Fresh-pass-42
}

@test "a password reset gives one password_reset line for the account, without the token" {
	registered
	# A reset token of our own making, stored as the service stores them.
	local tok
	tok=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32)[:43])')
	local hex now
	hex=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
	now=$(date +%s)
	stack_sql "INSERT INTO user_tokens (hash, user_id, kind, created_at, expires_at)
	     VALUES ($(sql_blob "$hex"), '$USER_ID', 'reset', $now, $((now + 600)))"
	mark
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"Reset-pass-43\"}"
	assert_status 200
	one_line password_reset - "$USER_ID"
	no_secret "$tok" Reset-pass-43
}

@test "logout, logout of all sessions and revoking a session give one session_end line each" {
	new_user
	mark
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 204
	one_line session_end "$USER_ID" "$USER_ID"
	[[ $LINE == *reason=logout* ]] || fail "$LINE"
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	local sid
	sid=$(json_get '[0].id')
	mark
	api_bearer "$ACCESS_TOKEN" DELETE "/api/v1/users/me/sessions/$sid"
	assert_status 204
	one_line session_end "$USER_ID" "$USER_ID"
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	mark
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\",\"all\":true}"
	assert_status 204
	one_line session_end "$USER_ID" "$USER_ID"
	[[ $LINE == *reason=logout_all* ]] || fail "$LINE"
	no_secret "$REFRESH_TOKEN"
}

@test "an administrator's role and activity changes give one line each, naming both accounts" {
	admin_token
	local admin_id
	admin_id=$(json_get .user.id)
	registered
	mark
	api_bearer "$ADMIN_TOKEN" PATCH "/api/v1/users/$USER_ID" '{"account_role":"MODERATOR"}'
	assert_status 200
	one_line role_change "$admin_id" "$USER_ID"
	[[ $LINE == *role=MODERATOR* ]] || fail "$LINE"
	[[ -z $(audit_lines activity_change) ]] || fail "an activity line for a role change"
	mark
	api_bearer "$ADMIN_TOKEN" PATCH "/api/v1/users/$USER_ID" '{"is_active":false}'
	assert_status 200
	one_line activity_change "$admin_id" "$USER_ID"
	[[ $LINE == *active=false* ]] || fail "$LINE"
}

@test "deleting an account gives one account_delete line: by its owner, by an administrator" {
	new_user
	mark
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	one_line account_delete "$USER_ID" "$USER_ID"
	admin_token
	local admin_id
	admin_id=$(json_get .user.id)
	registered
	mark
	api_bearer "$ADMIN_TOKEN" DELETE "/api/v1/users/$USER_ID"
	assert_status 204
	one_line account_delete "$admin_id" "$USER_ID"
}

@test "authctl key rotate prints one key_rotate audit line without key material" {
	stop_authd
	unset SECRET_KEY
	start_authd
	run "$AUTHCTL" --json key rotate
	[ "$status" -eq 0 ] || fail "status $status: $output"
	local lines kid
	kid=$(json_get .kid "$(grep -v 'audit event' <<<"$output")")
	lines=$(grep -F "audit event=key_rotate " <<<"$output" || true)
	[ "$(grep -c . <<<"$lines")" -eq 1 ] || fail "$output"
	[[ $lines == *"actor=authctl user=- "*"kid=$kid "* ]] || fail "$lines"
	local k
	for k in $(grep -v '^#' "$AUTH_STATE_DIR/keyring" | cut -d' ' -f5); do
		[[ $output != *"$k"* ]] || fail "key material printed"
	done
}
