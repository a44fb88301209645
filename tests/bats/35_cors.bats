#!/usr/bin/env bats
#
# CORS from BACKEND_CORS_ORIGINS: listed origins are echoed with
# credentials allowed and their preflights answered; other origins get no
# CORS headers; an empty list means no CORS headers at all.

load helpers

APP=http://localhost:3000
APP2=https://app.example.com

setup_file() {
	export BACKEND_CORS_ORIGINS="$APP,$APP2"
	start_stack
}

teardown_file() {
	stop_stack
}

# A test that restarted the pool with other settings (RESTARTED=1) leaves
# it as the file started it, for the tests after it, in any order.
teardown() {
	if [[ ${RESTARTED:-0} == 1 ]]; then
		stop_authd
		start_authd
	fi
}

# preflight ORIGIN PATH METHOD [HEADERS]
preflight() {
	local -a h=(-H "Origin: $1" -H "Access-Control-Request-Method: $3")
	[[ -z ${4:-} ]] || h+=(-H "Access-Control-Request-Headers: $4")
	api OPTIONS "$2" '' "${h[@]}"
}

assert_no_cors() {
	local n
	for n in Access-Control-Allow-Origin Access-Control-Allow-Credentials \
	    Access-Control-Allow-Methods Access-Control-Allow-Headers; do
		[[ $(header_count "$n") == 0 ]] || _fail "unexpected $n header" || return 1
	done
}

@test "a request from a listed origin gets that origin echoed with credentials allowed" {
	api GET / '' -H "Origin: $APP"
	assert_status 200
	assert_body_json '{"status":"ok"}'
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	assert_header Vary Origin
	[[ $(header_count Access-Control-Allow-Origin) == 1 ]] || _fail "ACAO twice"
}

@test "the second listed origin is echoed too, never *" {
	api GET /health/live '' -H "Origin: $APP2"
	assert_status 200
	assert_header Access-Control-Allow-Origin "$APP2"
	[[ $(header_value Access-Control-Allow-Origin) != '*' ]]
}

@test "a request from an unlisted origin gets no CORS headers" {
	api GET / '' -H "Origin: https://evil.example.com"
	assert_status 200
	assert_body_json '{"status":"ok"}'
	assert_no_cors
}

@test "an origin is matched exactly: another port or scheme is not listed" {
	api GET / '' -H "Origin: http://localhost:3001"
	assert_no_cors
	api GET / '' -H "Origin: https://localhost:3000"
	assert_no_cors
	api GET / '' -H "Origin: http://localhost:3000.evil.com"
	assert_no_cors
}

@test "a request without Origin gets no CORS headers" {
	api GET /
	assert_status 200
	assert_no_cors
}

@test "a preflight from a listed origin is answered 200 with the path's methods" {
	preflight "$APP" /api/v1/auth/login POST "content-type,authorization"
	assert_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Allow-Methods POST
	assert_header Access-Control-Allow-Headers "content-type,authorization"
	assert_header Access-Control-Max-Age 600
}

@test "a preflight for a path with several methods lists them all" {
	preflight "$APP" /api/v1/auth/validate POST
	assert_status 200
	assert_header Access-Control-Allow-Methods "GET, POST"
	preflight "$APP" /api/v1/users/6f1c2d4e-0000-4000-8000-000000000000 PATCH
	assert_status 200
	assert_header Access-Control-Allow-Methods "GET, PATCH, DELETE"
}

@test "a preflight without requested headers allows Authorization and Content-Type" {
	preflight "$APP" /api/v1/auth/refresh POST
	assert_status 200
	assert_header Access-Control-Allow-Headers "Authorization, Content-Type"
}

@test "a preflight from an unlisted origin is refused without CORS headers" {
	preflight "https://evil.example.com" /api/v1/auth/login POST content-type
	assert_status 400
	assert_body_json '{"detail":"Disallowed CORS origin"}'
	assert_no_cors
}

@test "a preflight for an unknown path answers 404" {
	preflight "$APP" /api/v1/nothing/here POST
	assert_status 404
	assert_body_json '{"detail":"Not Found"}'
}

@test "OPTIONS that is not a preflight answers 405 with Allow" {
	api OPTIONS /api/v1/auth/login
	assert_status 405
	assert_body_json '{"detail":"Method Not Allowed"}'
	assert_header Allow POST
}

@test "error answers carry the CORS headers too, so the client can read them" {
	api GET /api/v1/users/me '' -H "Origin: $APP"
	assert_status 401
	assert_body_json '{"detail":"Could not validate credentials"}'
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	api POST /api/v1/auth/login '{"login":"nobody@example.com","password":"wrong123"}' \
	    -H "Origin: $APP"
	assert_status 401
	assert_header Access-Control-Allow-Origin "$APP"
}

@test "a token answer to a listed origin carries CORS and no-store headers" {
	new_user
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" \
	    -H "Origin: $APP2"
	assert_status 200
	assert_header Access-Control-Allow-Origin "$APP2"
	assert_header Cache-Control no-store
	assert_header Pragma no-cache
}

@test "answers vary by Origin whenever CORS is configured, even for an unlisted one" {
	api GET / '' -H "Origin: https://evil.example.com"
	assert_header Vary Origin
}

@test "with BACKEND_CORS_ORIGINS empty no response carries CORS headers" {
	RESTARTED=1
	stop_authd
	BACKEND_CORS_ORIGINS= start_authd
	api GET / '' -H "Origin: $APP"
	assert_status 200
	assert_no_cors
	[[ $(header_count Vary) == 0 ]] || _fail "Vary without CORS"
	preflight "$APP" /api/v1/auth/login POST content-type
	assert_status 405
	assert_body_json '{"detail":"Method Not Allowed"}'
	assert_header Allow POST
	assert_no_cors
}
