#!/usr/bin/env bats
# Issue 9 item 9: stricter JSON and fields, as the FastAPI service
# answers them. Raw control characters inside JSON strings are
# json_invalid at their byte offset; a JSON scalar body is a
# model_attributes_type with the value as input; with captcha on,
# captcha_id must be a UUID (uuid_parsing), reported with the other
# fields' errors in declared order.

load helpers

setup_file() {
	export AUTH_WORKERS=2
	export STACK_CAPTCHA=1
	export ADMIN_EMAIL=strict-admin@example.com ADMIN_USERNAME=strictchief
	export ADMIN_PASSWORD=Admin-pass1
	start_stack
}

teardown_file() {
	stop_stack
}

CID=7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11

# send_raw METHOD PATH BYTES [TOKEN]: BYTES (printf %b escapes) as the JSON body.
send_raw() {
	local -a auth=()
	[[ -n ${4:-} ]] && auth=(-H "Authorization: Bearer $4")
	API_BODY=$BATS_TEST_TMPDIR/api-body
	API_HEADERS=$BATS_TEST_TMPDIR/api-headers
	status=$(printf '%b' "$3" | curl -s -o "$API_BODY" -D "$API_HEADERS" -w '%{http_code}' \
	    -X "$1" -H 'Content-Type: application/json' "${auth[@]}" --data-binary @- "$BASE$2")
	body=$(cat "$API_BODY")
}

@test "a raw control character inside a JSON string is json_invalid at its byte offset" {
	local name
	name=$(unique_name k)
	api POST /api/v1/auth/register "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\",\"captcha_id\":\"$CID\",\"captcha_answer\":\"good\"}"
	assert_status 201
	USER_ID=$(json_get .id)
	login_user "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
	send_raw PATCH "/api/v1/users/$USER_ID" '{"a": "x\x01y"}' "$ACCESS_TOKEN"
	assert_status 422
	assert_json_eq '.detail[0].type' json_invalid
	assert_json_eq '.detail[0].loc' '["body",8]'
	assert_json_eq '.detail[0].msg' "JSON decode error"
	local c
	for c in '\x00' '\x09' '\x0a' '\x1f'; do
		send_raw POST /api/v1/auth/login "{\"login\": \"a${c}b\", \"password\": \"x\"}"
		assert_status 422
		assert_json_eq '.detail[0].type' json_invalid
		assert_json_eq '.detail[0].loc' '["body",12]'
	done
	# White space between tokens stays allowed, escaped controls too.
	send_raw POST /api/v1/auth/login '{\n\t"login": "a\\u0001b",\r\n "password": "wrong-pass1"}'
	assert_status 401
}

@test "a JSON scalar body is model_attributes_type with the value as input" {
	local v
	for v in 42 true null '"text"' 1.5 '[1,2]'; do
		send_raw POST /api/v1/auth/login "$v"
		assert_status 422
		assert_json_eq '.detail[0].type' model_attributes_type
		assert_json_eq '.detail[0].loc' '["body"]'
		assert_json_eq '.detail[0].msg' "Input should be a valid dictionary or object to extract fields from"
		assert_json_eq '.detail[0].input' "$(json_get . "$v")"
	done
	send_raw POST /api/v1/auth/forgot-password ' 7 '
	assert_status 422
	assert_json_eq '.detail[0].type' model_attributes_type
	assert_json_eq '.detail[0].input' 7
	# A number followed by garbage is still malformed JSON.
	send_raw POST /api/v1/auth/login '42x'
	assert_status 422
	assert_json_eq '.detail[0].type' json_invalid
}

@test "captcha_id must be a UUID: uuid_parsing, with the other fields' errors in declared order" {
	api POST /api/v1/auth/register '{"email":"bad","username":"ok_name1","password":"short","captcha_id":"not-a-uuid","captcha_answer":"good"}'
	assert_status 422
	[ "$(json_len .detail)" -eq 3 ]
	assert_json_eq '.detail[0].loc' '["body","email"]'
	assert_json_eq '.detail[1].loc' '["body","password"]'
	assert_json_eq '.detail[2].loc' '["body","captcha_id"]'
	assert_json_eq '.detail[2].type' uuid_parsing
	assert_json_eq '.detail[2].msg' 'Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1'
	assert_json_eq '.detail[2].input' not-a-uuid
	api POST /api/v1/auth/register '{"email":"a@example.com","username":"ok_name1","password":"secret123","captcha_id":"7d3c9a52","captcha_answer":"good"}'
	assert_status 422
	assert_json_eq '.detail[0].msg' 'Input should be a valid UUID, invalid length: expected length 32 for simple format, found 8'
	api POST /api/v1/auth/register '{"email":"a@example.com","username":"ok_name1","password":"secret123","captcha_id":"7d3c9a52-1f0e-4b6a-9c1d","captcha_answer":"good"}'
	assert_status 422
	assert_json_eq '.detail[0].msg' 'Input should be a valid UUID, invalid group count: expected 5, found 4'
	api POST /api/v1/auth/register '{"email":"a@example.com","username":"ok_name1","password":"secret123","captcha_id":"7d3c9a52-1f0e4-b6a-9c1d-2e8f4a6b0c11","captcha_answer":"good"}'
	assert_status 422
	assert_json_eq '.detail[0].msg' 'Input should be a valid UUID, invalid group length in group 1: expected 4, found 5'
	api POST /api/v1/auth/register '{"email":"a@example.com","username":"ok_name1","password":"secret123","captcha_id":"","captcha_answer":"good"}'
	assert_status 422
	assert_json_eq '.detail[0].type' uuid_parsing
}

@test "a UUID in any form pydantic reads is accepted and sent on canonical" {
	local name
	name=$(unique_name c)
	api POST /api/v1/auth/register "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\",\"captcha_id\":\"7D3C9A521F0E4B6A9C1D2E8F4A6B0C11\",\"captcha_answer\":\"good\"}"
	assert_status 201
	"$PY" - "$STACK_CAPTCHA_LOG" "$CID" <<'EOF'
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
assert e["body"] == {"id": sys.argv[2], "answer": "good"}, e["body"]
EOF
	name=$(unique_name c)
	api POST /api/v1/auth/register "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\",\"captcha_id\":\"urn:uuid:$CID\",\"captcha_answer\":\"good\"}"
	assert_status 201
	name=$(unique_name c)
	api POST /api/v1/auth/register "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\",\"captcha_id\":\"{$CID}\",\"captcha_answer\":\"good\"}"
	assert_status 201
}
