#!/usr/bin/env bats
# Forward auth through nginx (SPEC §9): nginx/authd-validate.conf and
# nginx/authd-protect.conf as the README's examples use them, live in
# nginx/local.conf.in: /__app/ is a location of authd's own server,
# app.authd.test a server block of its own. Both proxy to the demo
# service, which echoes the X-User-* headers it receives.

load helpers
load page_helpers

setup_file() { start_stack; }
teardown_file() { stop_stack; }

app_cookie() {
	printf 'Cookie: authd_session=%s' "$(jar_cookie authd_session)"
}

setup() {
	JAR=$BATS_TEST_TMPDIR/jar
	: >"$JAR"
}

# app METHOD PATH [CURL ARGS...]: a request to the separate server block.
# (curl matches cookies against a custom Host header: pass the session
# as a Cookie header, with app_cookie.)
app() {
	local m=$1 p=$2
	shift 2
	api "$m" "$p" '' -H 'Host: app.authd.test' "$@"
}

@test "the internal locations of authd.conf are exactly those of authd-validate.conf" {
	local a b
	a=$(sed -n '/^# Token or session check/,$p' "$HELPERS_REPO/nginx/authd-validate.conf")
	b=$(sed -n '/^# Token or session check/,/^# ---- end ----/p' "$HELPERS_REPO/nginx/authd.conf" | sed '$d')
	[[ -n $a && $a == "$b" ]] || _fail "authd.conf and authd-validate.conf differ" "$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b"))"
}

@test "without a session: a browser is redirected to sign-in with rd, an API client gets the 401 JSON" {
	# calls: GET /auth/signin-redirect (nginx's /_authd_signin, on the 401)
	local where
	for where in "/__app/page?x=1&y=2" app; do
		if [[ $where == app ]]; then
			app GET "/some/page?x=1"
			assert_status 302
			assert_header Location "$PUBLIC_URL/auth/login?rd=http://app.authd.test/some/page%3Fx%3D1"
			app GET /some/page -H 'Accept: application/json'
			assert_status 401
			assert_json_eq .detail "Could not validate credentials"
			app GET /some/page -H 'Authorization: Bearer nonsense'
			assert_status 401
			assert_json_eq .detail "Could not validate credentials"
		else
			api GET "$where"
			assert_status 302
			assert_header Location "$PUBLIC_URL/auth/login?rd=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="-._~/:"))' "$BASE$where")"
			api GET "$where" '' -H 'Accept: application/json'
			assert_status 401
			assert_json_eq .detail "Could not validate credentials"
		fi
		[[ $body != *'"service":"demo"'* ]] || _fail "the app was reached"
	done
}

@test "the redirect's rd brings the browser back after signing in" {
	registered
	api GET "/__app/page?x=1"
	assert_status 302
	local loc rd
	loc=$(header_value Location)
	rd=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query)["rd"][0])' "$loc")
	[[ $rd == "$BASE/__app/page?x=1" ]] || _fail "rd: $rd"
	browser_login "$USER_NAME" "$USER_PASSWORD" "$rd"
	assert_status 303
	assert_header Location "$BASE/__app/page?x=1"
}

@test "with a session cookie or a Bearer token the app is reached with the X-User-* headers; forged ones are replaced" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	page GET /__app/x '' -H 'X-User-Name: forged' -H 'X-User-Role: ADMIN'
	assert_status 200
	assert_json_eq .service demo
	assert_json_eq .user_name "$USER_NAME"
	assert_json_eq .user_role REGULAR
	assert_json_eq .user_email "$USER_EMAIL"
	assert_json_eq .user_id "$USER_ID"
	app GET /x -H "$(app_cookie)" -H 'X-User-Name: forged'
	assert_status 200
	assert_json_eq .user_name "$USER_NAME"
	assert_json_eq .host app.authd.test
	login_user "$USER_NAME" "$USER_PASSWORD"
	app GET /x -H "Authorization: Bearer $ACCESS_TOKEN"
	assert_status 200
	assert_json_eq .user_name "$USER_NAME"
	# Signed out: back to the redirect.
	local c
	c=$(app_cookie)
	form_post /auth/logout "" /auth/account
	app GET /x -H "$c"
	assert_status 302
}

@test "a protected app takes bodies over 64 KiB; authd's own API still refuses them" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	head -c 102400 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/big"
	api POST /__app/upload '' -b "$JAR" --data-binary "@$BATS_TEST_TMPDIR/big" -H 'Content-Type: application/octet-stream'
	assert_status 200
	assert_json_eq .method POST
	app POST /upload -H "$(app_cookie)" --data-binary "@$BATS_TEST_TMPDIR/big" -H 'Content-Type: application/octet-stream'
	assert_status 200
	api POST /api/v1/auth/login '' --data-binary "@$BATS_TEST_TMPDIR/big" -H 'Content-Type: application/json'
	assert_status 413
}

@test "the internal locations cannot be called from outside" {
	api GET /_authd_validate
	assert_status 404
	api GET /_authd_signin
	assert_status 404
	app GET /_authd_validate/ADMIN -H 'Accept: application/json'
	[[ $status == 404 || $status == 401 ]] || _fail "reachable: $status"
	[[ $body != *'"valid":true'* ]] || _fail "validate answered from outside"
}

@test "fail closed: with authd stopped the protected apps are never reached" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	page GET /__app/x
	assert_status 200
	stop_authd
	page GET /__app/x
	[[ $status -ge 500 ]] || _fail "status $status with authd stopped"
	[[ $body != *'"service":"demo"'* ]] || _fail "the app was reached"
	app GET /x -H "$(app_cookie)"
	[[ $status -ge 500 ]] || _fail "status $status with authd stopped"
	[[ $body != *'"service":"demo"'* ]] || _fail "the app was reached"
	app GET /x
	[[ $body != *'"service":"demo"'* ]] || _fail "the app was reached without a session"
	start_authd
	wait_until 10 curl -sf -o /dev/null "$BASE/health/live"
	page GET /__app/x
	assert_status 200
}
