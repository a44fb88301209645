#!/usr/bin/env bats
# A real browser through nginx (SPEC §9): Debian's chromium, headless,
# driven by playwright-core (tests/browser/run.mjs; installed by
# tests/browser/install.sh). authd serves auth.authd.test, the protected
# app is the server block app.authd.test (nginx/local.conf.in), both on
# the stack's port and resolved to 127.0.0.1 inside the browser; one
# sign-in covers both through COOKIE_DOMAIN=authd.test.

load helpers
load page_helpers
load mail_helpers

setup_file() {
	local dir=$HELPERS_REPO/tests/browser
	if [[ ! -x /usr/bin/chromium || ! -d $dir/node_modules/playwright-core ]]; then
		echo "85_browser: run tests/browser/install.sh first (chromium, npm ci)" >&2
		return 1
	fi
	export COOKIE_DOMAIN=authd.test
	export APP_NAME="Pi Home"
	start_stack
	# The port is known once the stack runs: authd again with its name.
	export PUBLIC_URL=http://auth.authd.test:$STACK_PORT
	stop_authd
	start_authd
	export STACK_MAIL_DIR=$MAIL_OUTBOX_DIR
	export AUTH=$PUBLIC_URL APP=http://app.authd.test:$STACK_PORT
	export STATE=$BATS_FILE_TMPDIR
}
teardown_file() { stop_stack; }

# browse SCENARIO ARGS...: one run of tests/browser/run.mjs.
browse() {
	run node "$HELPERS_REPO/tests/browser/run.mjs" "$@"
	[[ $status -eq 0 ]] || _fail "browser scenario $1 failed" "$output"
}

@test "sign in through the app's redirect, land on the app with X-User-Name; signed out, the app redirects again" {
	registered
	browse signin "$USER_EMAIL" "$USER_PASSWORD" "$USER_NAME"
	[[ $output == *"app saw user_name=$USER_NAME"* ]] || _fail "$output"
}

@test "with authd stopped the app is never reached" {
	registered
	browse keep "$USER_NAME" "$USER_PASSWORD" stopped
	stop_authd
	run node "$HELPERS_REPO/tests/browser/run.mjs" down stopped
	local rc=$status out=$output
	start_authd
	[[ $rc -eq 0 ]] || _fail "$out"
}

@test "forgot password: the mailed link, a new password, sign in with it" {
	registered
	browse forgot "$USER_EMAIL"
	wait_mails "$USER_EMAIL" reset 1
	local link
	link=$(mail_link "$(last_mail "$USER_EMAIL" reset)")
	[[ $link == "$PUBLIC_URL/auth/reset-password?token="* ]] || _fail "link $link"
	browse reset "$link" "$USER_EMAIL" "fresh-pass9"
	login_user "$USER_EMAIL" fresh-pass9
}

@test "verify the email through the mailed link" {
	registered
	wait_mails "$USER_EMAIL" verify 1
	local link
	link=$(mail_link "$(last_mail "$USER_EMAIL" verify)")
	browse verify "$link"
	[[ $(db_sql "SELECT email_verified FROM users WHERE id = '$USER_ID'") == 1 ]] || _fail "not verified"
}

@test "on the account page end another session: its cookie, and an API session's Bearer token, are refused by validate" {
	registered
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	local ended api_sid
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	api_sid=$(json_get .token.sid)
	[[ -n $api_sid ]] || _fail "no sid in the token: $body"
	browse endother "$USER_NAME" "$USER_PASSWORD" "$api_sid"
	ended=$(sed -n 's/^ended=//p' <<<"$output")
	[[ -n $ended ]] || _fail "$output"
	validate_cookie "$ended"
	assert_status 401
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 401
	assert_body_json '{"detail":"Could not validate credentials"}'
}

@test "a cross-origin form post is refused" {
	registered
	browse crossorigin "$USER_NAME" "$USER_PASSWORD"
}

@test "rd=https://evil.example/ and the other open-redirect forms land on /auth/account" {
	registered
	browse openredirect "$USER_NAME" "$USER_PASSWORD"
}

# The screenshots go into the test's directory; with UPDATE_SCREENSHOTS=1
# into docs/screenshots/ (committed, shown in the README), so that a
# plain test run leaves the tree as it was.
@test "screenshots of every page at desktop and phone widths; no page is wider than the window" {
	local shots=$BATS_TEST_TMPDIR/screenshots name
	if [[ ${UPDATE_SCREENSHOTS:-0} == 1 ]]; then
		shots=$HELPERS_REPO/docs/screenshots
	fi
	mkdir -p "$shots"
	USER_NAME=grace_hopper
	USER_EMAIL=grace@example.com
	api POST /api/v1/auth/register '{"email":"grace@example.com","username":"grace_hopper","password":"cobol1959"}'
	assert_status 201
	wait_mails grace@example.com verify 1
	local verify reset
	verify=$(mail_link "$(last_mail grace@example.com verify)")
	api POST /api/v1/auth/forgot-password '{"email":"grace@example.com"}'
	assert_status 202
	wait_mails grace@example.com reset 1
	reset=$(mail_link "$(last_mail grace@example.com reset)")
	SHOTS=$shots browse screenshots grace@example.com cobol1959 "$reset" "$verify"
	for name in login login-error register register-errors forgot-password reset-password verify-email account; do
		[[ -s $shots/$name-desktop.png && -s $shots/$name-phone.png ]] || _fail "no screenshot $name"
	done
}
