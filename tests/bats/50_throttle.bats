#!/usr/bin/env bats
# SPEC §6 abuse protection: account lockout after repeated failed logins,
# the per-address failed-login and registration limits, 0 switching a
# limit off, and all of it shared by the workers and kept across worker
# restarts (the counters live in the database).
#
# Every request comes from 127.0.0.1 (nginx sets X-Real-IP from
# $remote_addr), so each test starts from empty counters. Time is
# simulated by moving rows of throttle_events and lockouts into the past
# with sqlite3, the way minutes would; one test also waits for the clock
# to pass the end of a lockout a few seconds away.

load helpers

# The file's limits (teardown sets them again after restart_with).
file_limits() {
	export AUTH_WORKERS=2
	# Logins go to the hashing workers: two, for the test of both at once,
	# at full priority like the rest, since some tests count on a number
	# of logins fitting in a few seconds on a shared machine.
	export AUTH_HASH_WORKERS=2 AUTH_HASH_NICE=0
	export LOGIN_MAX_FAILURES=3
	export LOGIN_FAILURE_WINDOW_MINUTES=15
	export LOGIN_LOCKOUT_MINUTES=15
	export LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE=20
	export REGISTER_MAX_PER_IP_PER_HOUR=4
}

setup_file() {
	file_limits
	start_stack
}

teardown_file() {
	stop_stack
}

setup() {
	sql "DELETE FROM throttle_events; DELETE FROM lockouts;"
}

# A test that restarted the pool with other limits leaves it with the
# file's, for the tests after it, in any order.
teardown() {
	if [[ ${RESTARTED:-0} == 1 ]]; then
		file_limits
		stop_authd
		start_authd
	fi
}

# restart_with VAR=VALUE...: the pool restarted with these settings for
# the rest of the test.
restart_with() {
	RESTARTED=1
	stop_authd
	export "$@"
	start_authd
}

# sql STATEMENTS: run against the stack's database while it serves.
sql() {
	stack_sql "$@"
}

now() {
	date +%s
}

# _now_past T: the clock is past unix time T.
_now_past() {
	(( $(now) > $1 ))
}

# login IDENT PASSWORD: a JSON login (status, body set).
login() {
	api POST /api/v1/auth/login "{\"login\":\"$1\",\"password\":\"$2\"}"
}

# fail_logins N IDENT: N logins with a wrong password, each a 401.
fail_logins() {
	local i
	for ((i = 0; i < $1; i++)); do
		login "$2" "wrong-pass1"
		assert_status 401 || return 1
	done
}

# assert_429 MIN MAX: the SPEC's 429 with Retry-After within [MIN, MAX]
# (MIN lowered by 2 s for each step of SLOW: the seconds a slow run spends
# between setting a time and asking).
assert_429() {
	local ra min=$(($1 - 2 * (SLOW - 1)))
	((min >= 1)) || min=1
	assert_status 429 || return 1
	assert_json_eq .detail "Too many requests. Try again later." || return 1
	ra=$(header_value Retry-After) || _fail "no Retry-After" || return 1
	[[ $ra =~ ^[0-9]+$ ]] && ((ra >= min && ra <= $2)) ||
	    _fail "Retry-After $ra not within [$min, $2]"
}

@test "an account is locked after LOGIN_MAX_FAILURES failed logins, also for the right password" {
	registered
	fail_logins 3 "$USER_EMAIL"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 890 900
	login "$USER_NAME" "wrong-pass1"
	assert_429 890 900
	# Same answer whether the password was right or not.
	local right wrong
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 890 900
	right=$body
	login "$USER_EMAIL" "wrong-pass1"
	assert_429 890 900
	[[ $body == "$right" ]]
	[[ $(sql "SELECT count(*) FROM lockouts WHERE key = '$USER_ID'") == 1 ]]
}

@test "an identifier no account matches is locked out the same way, so a 429 reveals nothing" {
	local ghost
	ghost=$(unique_name ghost)@example.com
	fail_logins 3 "$ghost"
	login "$ghost" "secret123"
	assert_429 890 900
	local unknown=$body
	registered
	fail_logins 3 "$USER_EMAIL"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 890 900
	[[ $body == "$unknown" ]]
	# The typed identifier is kept only as a hash.
	[[ $(sql "SELECT count(*) FROM lockouts WHERE key LIKE 'ident:%'") == 1 ]]
	[ "$(stack_db_dump | grep -c "$ghost")" -eq 0 ]
}

@test "the lockout answers Retry-After with the seconds left" {
	registered
	fail_logins 3 "$USER_EMAIL"
	sql "UPDATE lockouts SET until = $(($(now) + 120)) WHERE key = '$USER_ID'"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 115 120
}

@test "the lockout ends on time and the account starts from a clean count" {
	registered
	fail_logins 3 "$USER_EMAIL"
	# Fourteen minutes and 57 seconds later: three seconds left.
	local until=$(($(now) + 3))
	sql "UPDATE lockouts SET until = $until WHERE key = '$USER_ID'"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 1 3
	# The clock passes the lockout's end.
	wait_until 10 _now_past "$until"
	# One more failure does not lock again: the count started over.
	login "$USER_EMAIL" "wrong-pass1"
	assert_status 401
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
}

@test "a lockout whose end has passed is ignored (LOGIN_LOCKOUT_MINUTES later)" {
	registered
	fail_logins 3 "$USER_EMAIL"
	sql "UPDATE lockouts SET until = until - 15 * 60 WHERE key = '$USER_ID'"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
}

@test "failures older than LOGIN_FAILURE_WINDOW_MINUTES do not count" {
	registered
	fail_logins 2 "$USER_EMAIL"
	sql "UPDATE throttle_events SET at = at - 15 * 60 WHERE bucket = 'login_user'"
	fail_logins 2 "$USER_EMAIL"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
}

@test "a successful login resets the failure count" {
	registered
	fail_logins 2 "$USER_EMAIL"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM throttle_events WHERE bucket = 'login_user' AND key = '$USER_ID'") == 0 ]]
	fail_logins 2 "$USER_EMAIL"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
}

@test "failures by username and by email count for the same account" {
	registered
	login "$USER_NAME" "wrong-pass1"
	assert_status 401
	login "${USER_EMAIL^^}" "wrong-pass1"
	assert_status 401
	login "$USER_EMAIL" "wrong-pass1"
	assert_status 401
	login "$USER_NAME" "$USER_PASSWORD"
	assert_429 890 900
}

@test "failures made on both workers at once lock the account for every worker" {
	registered
	local -a pids=()
	local i start n
	start=$(wc -l <"$STACK_AUTH_LOG")
	: >"$BATS_TEST_TMPDIR/codes"
	for i in 1 2 3 4 5 6; do
		curl -s -o /dev/null -w '%{http_code}\n' -X POST \
		    -H 'Content-Type: application/json' \
		    --data-binary "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong-pass$i\"}" \
		    "$BASE/api/v1/auth/login" >>"$BATS_TEST_TMPDIR/codes" &
		pids+=($!)
	done
	wait "${pids[@]}"
	# Every answer is a refusal: 401, or 429 once the lockout is set.
	[ -z "$(grep -vE '^(401|429)$' "$BATS_TEST_TMPDIR/codes")" ]
	# Both workers served some of them.
	n=$(tail -n "+$((start + 1))" "$STACK_AUTH_LOG" |
	    grep -E 'POST /api/v1/auth/login status=(401|429)' |
	    grep -oE 'worker\[[0-9]+\]' | sort -u | wc -l)
	((n >= 2)) || _fail "only $n worker(s) served the logins"
	for i in 1 2 3 4; do
		login "$USER_EMAIL" "$USER_PASSWORD"
		assert_429 880 900
	done
}

@test "a lockout survives a worker's death and a restart of the whole pool" {
	registered
	fail_logins 3 "$USER_EMAIL"
	kill_worker KILL
	wait_for_workers 2 10
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 880 900
	stop_authd
	start_authd
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 870 900
}

@test "failed logins per address are limited (LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE)" {
	local i
	for ((i = 0; i < 20; i++)); do
		login "nobody$i@example.com" "wrong-pass1"
		assert_status 401
	done
	# However long the 20 took here: all of them just now.
	sql "UPDATE throttle_events SET at = $(now) WHERE bucket = 'login_ip'"
	login "nobody@example.com" "wrong-pass1"
	assert_429 58 60
	# Also for an existing account with the right password.
	registered
	sql "UPDATE throttle_events SET at = $(now) WHERE bucket = 'login_ip'"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 58 60
	# Retry-After: until the oldest counted failure leaves the minute.
	sql "UPDATE throttle_events SET at = $(($(now) - 50)) WHERE rowid = (SELECT min(rowid) FROM throttle_events WHERE bucket = 'login_ip')"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_429 9 10
	# A minute later the address may try again.
	sql "UPDATE throttle_events SET at = at - 60 WHERE bucket = 'login_ip'"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
}

@test "refused attempts are not counted: waiting Retry-After is enough" {
	local i
	for ((i = 0; i < 20; i++)); do
		login "nobody$i@example.com" "wrong-pass1"
		assert_status 401
	done
	for ((i = 0; i < 5; i++)); do
		login "nobody@example.com" "wrong-pass1"
		assert_status 429
	done
	[[ $(sql "SELECT count(*) FROM throttle_events WHERE bucket = 'login_ip'") == 20 ]]
}

@test "registrations per address are limited (REGISTER_MAX_PER_IP_PER_HOUR), 409s included" {
	local name i
	name=$(unique_name r)
	# Invalid requests are answered 422 and not counted.
	for i in 1 2 3; do
		api POST /api/v1/auth/register '{"email":"bad","username":"x","password":"y"}'
		assert_status 422
	done
	api POST /api/v1/auth/register "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\"}"
	assert_status 201
	api POST /api/v1/auth/register "{\"email\":\"$name@example.com\",\"username\":\"${name}x\",\"password\":\"secret123\"}"
	assert_status 409
	api POST /api/v1/auth/register "{\"email\":\"x$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\"}"
	assert_status 409
	api POST /api/v1/auth/register "{\"email\":\"y$name@example.com\",\"username\":\"y$name\",\"password\":\"secret123\"}"
	assert_status 201
	api POST /api/v1/auth/register "{\"email\":\"z$name@example.com\",\"username\":\"z$name\",\"password\":\"secret123\"}"
	assert_429 3590 3600
	[[ $(sql "SELECT count(*) FROM users WHERE email = 'z$name@example.com'") == 0 ]]
	# Field validation still answers first.
	api POST /api/v1/auth/register '{"email":"bad","username":"x","password":"y"}'
	assert_status 422
	# An hour later.
	sql "UPDATE throttle_events SET at = at - 3600 WHERE bucket = 'register_ip'"
	api POST /api/v1/auth/register "{\"email\":\"z$name@example.com\",\"username\":\"z$name\",\"password\":\"secret123\"}"
	assert_status 201
}

@test "0 switches every limit off" {
	restart_with LOGIN_MAX_FAILURES=0 LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE=0 \
	    REGISTER_MAX_PER_IP_PER_HOUR=0
	local i
	registered
	for ((i = 0; i < 25; i++)); do
		login "$USER_EMAIL" "wrong-pass1"
		assert_status 401
	done
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
	for ((i = 0; i < 12; i++)); do
		registered
	done
	# Nothing is even counted.
	[[ $(sql "SELECT count(*) FROM throttle_events") == 0 ]]
	[[ $(sql "SELECT count(*) FROM lockouts") == 0 ]]
}

@test "LOGIN_LOCKOUT_MINUTES=0 switches the lockout off" {
	restart_with LOGIN_MAX_FAILURES=3 LOGIN_LOCKOUT_MINUTES=0 \
	    LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE=0
	local i
	registered
	fail_logins 6 "$USER_EMAIL"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM lockouts") == 0 ]]
}
