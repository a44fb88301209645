#!/usr/bin/env bats
#
# The captcha at registration (SPEC §4): the request authd sends to
# <CAPTCHA_SERVICE_URL>/captcha/verify, the four failure answers, its
# place between field validation and any database write, and the fields
# being optional and ignored when CAPTCHA_SERVICE_URL is unset. The stub
# (tests/captcha_stub.py) answers by the captcha answer: good, bad, slow
# (7 s), error (500).

load helpers

CID=7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11

setup_file() {
	export STACK_CAPTCHA=1
	start_stack
	export STUB_URL=$CAPTCHA_SERVICE_URL
}

teardown_file() {
	stop_stack
}

# A test that restarted the pool with another captcha service (RESTARTED=1)
# leaves it as the file started it, for the tests after it, in any order.
teardown() {
	if [[ ${RESTARTED:-0} == 1 ]]; then
		stop_authd
		CAPTCHA_SERVICE_URL=$STUB_URL start_authd
	fi
}

# register_with ANSWER [NAME]: a fresh valid registration with that answer.
register_with() {
	NAME=${2:-$(unique_name c)}
	api POST /api/v1/auth/register \
	    "{\"email\":\"$NAME@example.com\",\"username\":\"$NAME\",\"password\":\"secret123\",\"captcha_id\":\"$CID\",\"captcha_answer\":\"$1\"}"
}

# The number of requests the stub has seen.
stub_requests() {
	grep -c . "$STACK_CAPTCHA_LOG" || true
}

@test "a correct captcha answer registers the account" {
	register_with good
	assert_status 201
	assert_json_eq .username "$NAME"
	assert_json_eq .email "$NAME@example.com"
}

@test "the service POSTs {\"id\",\"answer\"} as JSON to /captcha/verify" {
	register_with good
	assert_status 201
	run "$PY" -c '
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
assert e["method"] == "POST", e
assert e["path"] == "/captcha/verify", e
assert (e["content_type"] or "").startswith("application/json"), e
assert e["body"] == {"id": sys.argv[2], "answer": "good"}, e["body"]
' "$STACK_CAPTCHA_LOG" "$CID"
	[[ $status -eq 0 ]] || _fail "$output"
}

@test "a wrong captcha answer is refused with 400 and creates nothing" {
	local name
	name=$(unique_name c)
	register_with bad "$name"
	assert_status 400
	assert_body_json '{"detail":"Invalid CAPTCHA answer"}'
	# Nothing was written: the same email and username are still free.
	register_with good "$name"
	assert_status 201
}

@test "a captcha service answering 500 gives 503 Error communicating" {
	register_with error
	assert_status 503
	assert_body_json '{"detail":"Error communicating with captcha service."}'
}

@test "a captcha service slower than 5 seconds gives 504 after about 5 seconds; the next request works" {
	local t0 t1
	t0=$(date +%s%N)
	register_with slow
	t1=$(date +%s%N)
	assert_status 504
	assert_body_json '{"detail":"Captcha verification timed out. Please try again later."}'
	(( (t1 - t0) / 1000000 >= 4500 )) || _fail "answered after $(( (t1 - t0) / 1000000 )) ms"
	# The upper bound grows with SLOW (sanitizers, valgrind); the lower
	# one is the timeout itself.
	(( (t1 - t0) / 1000000 < 5000 + 1900 * SLOW )) || _fail "answered after $(( (t1 - t0) / 1000000 )) ms"
	# The worker's handle is reused: a good answer right after works.
	register_with good
	assert_status 201
}

@test "with a captcha service configured the captcha fields are required" {
	local name
	name=$(unique_name c)
	api POST /api/v1/auth/register \
	    "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\"}"
	assert_status 422
	[[ $(json_len .detail) == 2 ]] || _fail "expected 2 entries"
	assert_json_eq '.detail[0].type' missing
	assert_json_eq '.detail[0].loc' '["body","captcha_id"]'
	assert_json_eq '.detail[0].msg' 'Field required'
	assert_json_eq '.detail[1].type' missing
	assert_json_eq '.detail[1].loc' '["body","captcha_answer"]'
}

@test "a captcha answer of the wrong type is a 422 string_type" {
	local name
	name=$(unique_name c)
	api POST /api/v1/auth/register \
	    "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\",\"captcha_id\":\"$CID\",\"captcha_answer\":42}"
	assert_status 422
	assert_json_eq '.detail[0].type' string_type
	assert_json_eq '.detail[0].loc' '["body","captcha_answer"]'
	assert_json_eq '.detail[0].msg' 'Input should be a valid string'
}

@test "field validation comes first: an invalid body never reaches the captcha service" {
	local before
	before=$(stub_requests)
	api POST /api/v1/auth/register \
	    "{\"email\":\"invalid-email\",\"username\":\"ok_name1\",\"password\":\"secret123\",\"captcha_id\":\"$CID\",\"captcha_answer\":\"good\"}"
	assert_status 422
	assert_json_eq '.detail[0].loc' '["body","email"]'
	[[ $(stub_requests) == "$before" ]] || _fail "the stub was asked"
}

@test "the captcha is checked before the database: a taken email with a wrong answer gets 400" {
	local name
	register_with good
	assert_status 201
	name=$NAME
	register_with bad "$name"
	assert_status 400
	assert_body_json '{"detail":"Invalid CAPTCHA answer"}'
	register_with good "$name"
	assert_status 409
	assert_body_json '{"detail":"Email already registered"}'
}

@test "captcha answers never appear in the service's log" {
	register_with "s3cr3t-answer-x"
	assert_status 400
	! grep -q "s3cr3t-answer-x" "$STACK_AUTH_LOG" || _fail "the answer was logged"
}

@test "a captcha service with nothing listening gives 503 unavailable" {
	local port
	port=$(stack_free_port)
	RESTARTED=1
	stop_authd
	CAPTCHA_SERVICE_URL=http://127.0.0.1:$port start_authd
	register_with good
	assert_status 503
	assert_body_json '{"detail":"Captcha service unavailable. Please try again later."}'
}

@test "a captcha service whose name does not resolve gives 503 unavailable" {
	RESTARTED=1
	stop_authd
	CAPTCHA_SERVICE_URL=http://captcha.invalid start_authd
	register_with good
	assert_status 503
	assert_body_json '{"detail":"Captcha service unavailable. Please try again later."}'
}

@test "without CAPTCHA_SERVICE_URL the captcha fields are optional and ignored" {
	local before
	RESTARTED=1
	stop_authd
	unset CAPTCHA_SERVICE_URL
	start_authd
	before=$(stub_requests)
	register_with bad
	assert_status 201
	api POST /api/v1/auth/register \
	    "{\"email\":\"x$NAME@example.com\",\"username\":\"x$NAME\",\"password\":\"secret123\"}"
	assert_status 201
	[[ $(stub_requests) == "$before" ]] || _fail "the stub was asked"
}
