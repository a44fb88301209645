#!/usr/bin/env bats
#
# REQUIRE_VERIFIED_EMAIL=true (SPEC §4 login): an unverified account's
# correct password gets 403 until the link of its verification mail is
# followed. This stack also leaves RESET_PASSWORD_URL unset, so reset
# links are built from FRONTEND_URL (given here with a trailing slash,
# which must not double).

load helpers
load mail_helpers

setup_file() {
	export STACK_SMTP=1
	export REQUIRE_VERIFIED_EMAIL=true
	export FRONTEND_URL=http://front.example/
	start_stack
}

teardown_file() {
	stop_stack
}

setup() {
	wait_until 30 spool_idle
}

login() {
	api POST /api/v1/auth/login "{\"login\":\"$1\",\"password\":\"$2\"}"
}

@test "an unverified account gets 403 with the right password, 401 with a wrong one, 200 once verified" {
	local link
	registered
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 403
	assert_body_json '{"detail":"Email not verified"}'
	login "$USER_EMAIL" wrongpass1
	assert_status 401
	assert_json_eq .detail "Incorrect email or password"

	wait_mails "$USER_EMAIL" verify 1
	link=$(mail_link "$(last_mail "$USER_EMAIL" verify)")
	[[ $link == http://front.example/auth/verify-email\?token=* ]] ||
	    _fail "unexpected link $link"
	api POST /api/v1/auth/verify-email "{\"token\":\"$(link_token "$link")\"}"
	assert_status 200
	assert_body_json '{"message":"Email verified"}'

	login_user "$USER_EMAIL" "$USER_PASSWORD"
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_status 200
	assert_json_eq .email_verified true
}

@test "verifying with a resent link spends the registration link too" {
	local first second
	registered
	wait_mails "$USER_EMAIL" verify 1
	first=$(link_token "$(mail_link "$(last_mail "$USER_EMAIL" verify)")")
	api POST /api/v1/auth/resend-verification "{\"email\":\"$USER_EMAIL\"}"
	assert_status 202
	wait_mails "$USER_EMAIL" verify 2
	second=$(link_token "$(mail_link "$(last_mail "$USER_EMAIL" verify)")")
	[[ $first != "$second" ]]
	api POST /api/v1/auth/verify-email "{\"token\":\"$second\"}"
	assert_status 200
	api POST /api/v1/auth/verify-email "{\"token\":\"$first\"}"
	assert_status 400
	assert_body_json '{"detail":"Invalid or expired verification token"}'
	login_user "$USER_EMAIL" "$USER_PASSWORD"
}

@test "the reset link is built from FRONTEND_URL, and a reset proves the address" {
	local link
	registered
	forgot "$USER_EMAIL"
	wait_mails "$USER_EMAIL" reset 1
	link=$(mail_link "$(last_mail "$USER_EMAIL" reset)")
	[[ $link == http://front.example/auth/reset-password\?token=* ]] ||
	    _fail "unexpected link $link"
	reset "$(link_token "$link")" newpass456
	assert_status 200
	# The mail reached its owner, so the address counts as verified.
	login_user "$USER_EMAIL" newpass456
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_json_eq .email_verified true
}
