#!/usr/bin/env bats
# Browser sessions with short test settings (SPEC §9): idle and maximum
# expiry, the last-use write, COOKIE_DOMAIN and COOKIE_SECURE=true, and
# REGISTRATION_ENABLED=false closing registration everywhere.
#
# SESSION_IDLE_SECONDS=4 and SESSION_MAX_SECONDS=9 stand in for
# SESSION_IDLE_MINUTES and SESSION_MAX_HOURS; with an idle limit that
# short the last use is written every idle/2 = 2 s instead of every
# minute. Time passes for real: the tests wait (bounded) for the clock,
# never for the service.

load helpers
load page_helpers

setup_file() {
	export SESSION_IDLE_SECONDS=4 SESSION_MAX_SECONDS=9
	export COOKIE_DOMAIN=authd.test COOKIE_SECURE=true
	export REGISTRATION_ENABLED=false
	export ADMIN_EMAIL=expiry-admin@example.com ADMIN_USERNAME=expiry_admin ADMIN_PASSWORD=adminpass1
	start_stack
}
teardown_file() { stop_stack; }

setup() {
	JAR=$BATS_TEST_TMPDIR/jar
	: >"$JAR"
}

# Registration is closed here: the ADMIN_* account created at start is
# the one who signs in.
signed_in_cookie() {
	local csrf
	page GET /auth/login
	csrf=$(page_csrf)
	page POST /auth/login "username=$ADMIN_USERNAME&password=$ADMIN_PASSWORD&csrf=$csrf" -H "Origin: $BASE"
	assert_status 303 || return 1
	SESSION_COOKIE=$(set_cookie_line authd_session | sed -e 's/^[^=]*=//' -e 's/;.*//')
	[[ -n $SESSION_COOKIE ]]
}

# wait_clock SECONDS: until the clock has moved on that far from CLOCK0.
_clock_past() { (( $(date +%s) >= CLOCK0 + $1 )); }
wait_clock() { wait_until $(( $1 + 5 )) _clock_past "$1"; }

@test "COOKIE_SECURE=true and COOKIE_DOMAIN: Secure over plain http, Domain set" {
	signed_in_cookie
	local c
	c=$(set_cookie_line authd_session)
	[[ $c == *"; Secure"* ]] || _fail "not Secure: $c"
	[[ $c == *"; Domain=authd.test"* ]] || _fail "no Domain: $c"
	[[ $c == *"; HttpOnly"* && $c == *"; SameSite=Lax"* && $c == *"; Path=/"* ]] || _fail "attributes: $c"
	validate_cookie "$SESSION_COOKIE"
	assert_status 200
}

@test "REGISTRATION_ENABLED=false: the API answers 403, the page says so" {
	api POST /api/v1/auth/register '{"email":"closed@example.com","username":"closed_x","password":"secret123"}'
	assert_status 403
	assert_json_eq .detail "Registration is disabled"
	page GET /auth/register
	assert_status 403
	[[ $body == *"Registration is disabled"* ]] || _fail "no message"
	page GET /auth/login
	[[ $body != *'href="/auth/register"'* ]] || _fail "the sign-in page offers registration"
	page POST /auth/register "email=closed@example.com&username=closed_x&password=secret123&csrf=x" -H "Origin: $BASE"
	assert_status 403
	[[ $(db_sql "SELECT count(*) FROM users WHERE email = 'closed@example.com'") == 0 ]] || _fail "created"
}

@test "a session unused for the idle limit is signed out" {
	signed_in_cookie
	CLOCK0=$(date +%s)
	validate_cookie "$SESSION_COOKIE"
	assert_status 200
	wait_clock 6
	validate_cookie "$SESSION_COOKIE"
	assert_status 401
	api GET /auth/account '' -H "Cookie: authd_session=$SESSION_COOKIE"
	assert_status 303
	assert_header Location /auth/login
}

@test "use keeps a session past the idle limit, but never past the maximum" {
	signed_in_cookie
	CLOCK0=$(date +%s)
	local t
	for t in 1 2 3 4 5 6 7; do
		wait_clock "$t"
		validate_cookie "$SESSION_COOKIE"
		assert_status 200 || _fail "signed out after ${t}s of use"
	done
	wait_clock 11
	validate_cookie "$SESSION_COOKIE"
	assert_status 401
}

@test "the last use is not written on every request" {
	signed_in_cookie
	local sid before after i
	sid=$(db_sql "SELECT id FROM sessions WHERE cookie_hash = $(sql_blob "$(printf '%s' "$SESSION_COOKIE" | sha256sum | cut -c1-64)")")
	before=$(db_sql "SELECT last_used_at FROM sessions WHERE id = '$sid'")
	CLOCK0=$before
	for i in 1 2 3 4 5; do
		validate_cookie "$SESSION_COOKIE"
		assert_status 200
	done
	after=$(db_sql "SELECT last_used_at FROM sessions WHERE id = '$sid'")
	# Within the 2 s interval nothing was written; after it, one write.
	if (( $(date +%s) < before + 2 )); then
		[[ $after == "$before" ]] || _fail "written within the interval"
	fi
	wait_clock 2
	validate_cookie "$SESSION_COOKIE"
	after=$(db_sql "SELECT last_used_at FROM sessions WHERE id = '$sid'")
	(( after >= before + 2 )) || _fail "last use not written after the interval: $before -> $after"
}
