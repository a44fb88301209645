#!/usr/bin/env bats
#
# The stack itself: nginx in front of the FastCGI pool, nginx's own answers
# as JSON, request ids, the auth_request example, and a clean stop.

# shellcheck disable=SC2154 # status and body are set by api (helpers.bash)

load helpers

setup_file() {
	start_stack
}

teardown_file() {
	stop_stack
}

@test "GET / answers 200 {\"status\":\"ok\"} through nginx" {
	api GET /
	assert_status 200
	assert_body_json '{"status":"ok"}'
	assert_header Content-Type application/json
}

@test "GET /health/live answers 200 with a version and an uptime" {
	api GET /health/live
	assert_status 200
	assert_json_eq .status ok
	assert_json_match .version '^[0-9]+\.[0-9]+\.[0-9]+'
	assert_json_match .uptime '^[0-9]+$'
}

@test "an unknown path answers 404 {\"detail\":\"Not Found\"}" {
	api GET /no/such/path
	assert_status 404
	assert_body_json '{"detail":"Not Found"}'
	assert_header Content-Type application/json
}

@test "a 100 KiB body is refused by nginx with 413 as JSON" {
	local big
	big=$(head -c 102400 /dev/zero | tr '\0' a)
	api POST /api/v1/auth/register "$big"
	assert_status 413
	[[ $body == '{"detail":"Request body too large"}' ]] || _fail "body not exact"
	assert_header Content-Type application/json
	assert_header X-Request-Id
	# nginx refused it: no worker saw the request.
	run grep -c "req=$(header_value X-Request-Id)" "$STACK_AUTH_LOG"
	[[ $output == 0 ]]
}

@test "a 100 KiB chunked body is refused with 413 as JSON too" {
	local big
	big=$(head -c 102400 /dev/zero | tr '\0' a)
	api POST /api/v1/auth/register "$big" -H 'Transfer-Encoding: chunked'
	assert_status 413
	assert_body_json '{"detail":"Request body too large"}'
}

@test "a body of exactly 64 KiB reaches the workers" {
	local fits
	fits=$(head -c 65536 /dev/zero | tr '\0' ' ')
	api POST /api/v1/auth/login "$fits"
	[[ $status != 413 ]] || _fail "64 KiB must not be refused by nginx"
	[[ $status =~ ^4[0-9][0-9]$ ]] || _fail "expected a 4xx from the worker"
}

@test "a small chunked body reaches the worker with its length" {
	api POST /api/v1/auth/login '{"login":"nobody@example.com","password":"wrong123"}' \
	    -H 'Transfer-Encoding: chunked'
	assert_status 401
	assert_json_eq .detail "Incorrect email or password"
}

@test "every response carries exactly one X-Request-Id, the one the worker logged" {
	local id
	api GET /
	assert_status 200
	[[ $(header_count X-Request-Id) == 1 ]] || _fail "X-Request-Id not exactly once"
	id=$(header_value X-Request-Id)
	[[ $id =~ ^[0-9a-f]{32}$ ]] || _fail "unexpected request id '$id'"
	grep -q "req=$id" "$STACK_AUTH_LOG" || _fail "worker did not log req=$id"
	api GET /no/such/path
	assert_status 404
	[[ $(header_count X-Request-Id) == 1 ]] || _fail "404 without one X-Request-Id"
}

@test "a client cannot choose its request id or its address" {
	local id
	api GET / '' -H 'X-Request-Id: forged-id' -H 'X-Real-IP: 203.0.113.7'
	assert_status 200
	id=$(header_value X-Request-Id)
	[[ $id != forged-id ]] || _fail "client request id was used"
	run grep "req=$id" "$STACK_AUTH_LOG"
	[[ $status == 0 ]]
	[[ $output != *203.0.113.7* ]] || _fail "client X-Real-IP reached the worker: $output"
	[[ $output != *forged-id* ]]
}

@test "a huge URI gets nginx's 414 as JSON" {
	api GET "/$(head -c 20000 /dev/zero | tr '\0' a)"
	assert_status 414
	assert_json_has .detail
	assert_header Content-Type application/json
	assert_header X-Request-Id
}

@test "a huge header gets nginx's 400 as JSON" {
	api GET / '' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)"
	assert_status 400
	assert_json_eq .detail "Request header or cookie too large"
	assert_header Content-Type application/json
	assert_header X-Request-Id
}

@test "a malformed request line gets nginx's 400 as JSON" {
	raw_request 'GET / HTTP/1.1 junk\r\nHost: x\r\n\r\n'
	assert_status 400
	assert_body_json '{"detail":"Bad Request"}'
	assert_header Content-Type application/json
	assert_header X-Request-Id
}

@test "a request line of garbage bytes gets 400 as JSON" {
	raw_request '\001\002\003 / HTTP/1.1\r\nHost: x\r\n\r\n'
	assert_status 400
	assert_body_json '{"detail":"Bad Request"}'
}

@test "nginx's internal locations cannot be reached from outside" {
	api GET /_authd/error/413
	assert_status 404
	assert_body_json '{"detail":"Not Found"}'
	api GET /_authd_validate
	assert_status 404
	assert_body_json '{"detail":"Not Found"}'
}

@test "nginx answers its own baseline location without the workers" {
	api GET /__nginx_baseline
	assert_status 200
	assert_json_eq .status ok
}

@test "auth_request without a token: 401 JSON with WWW-Authenticate" {
	api GET /__protected
	assert_status 401
	assert_body_json '{"detail":"Could not validate credentials"}'
	assert_header WWW-Authenticate
	[[ $(header_value WWW-Authenticate) == Bearer* ]] || _fail "WWW-Authenticate not Bearer"
	assert_header X-Request-Id
}

@test "auth_request with a valid token passes the user on, for any method" {
	new_user
	api_bearer "$ACCESS_TOKEN" DELETE /__protected '' -H 'X-User-Id: forged'
	assert_status 200
	assert_json_eq .service demo
	assert_json_eq .user_id "$USER_ID"
	assert_json_eq .user_name "$USER_NAME"
	assert_json_eq .user_role REGULAR
	assert_json_eq .method DELETE
}

@test "auth_request with a required role: a regular user gets 403 JSON" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET /__protected/moderator
	assert_status 403
	assert_json_has .detail
	assert_header Content-Type application/json
}

@test "auth_request with a bad token: 401" {
	api_bearer "not.a.token" GET /__protected
	assert_status 401
	assert_body_json '{"detail":"Could not validate credentials"}'
}

@test "with the workers down nginx answers 503 JSON with Retry-After, and recovers" {
	stop_authd
	api GET /health/live
	assert_status 503
	assert_json_has .detail
	assert_header Content-Type application/json
	assert_header Retry-After
	assert_header X-Request-Id
	start_authd
	api GET /health/live
	assert_status 200
}

@test "a second stack stops without leaving a process or its socket behind" {
	(
		export STACK_KEEP=1
		start_stack
		pids="$STACK_AUTH_PID $STACK_NGINX_PID ${STACK_MAILER_PID:-}"
		sock=$STACK_SOCKET
		dir=$STACK_DIR
		api GET /
		[[ $status == 200 ]]
		stop_stack
		for p in $pids; do
			if stack_group_alive "$p"; then
				ps -o pid=,stat=,args= -s "$p" >&2
				echo "left over in session $p" >&2
				exit 1
			fi
		done
		[[ ! -e $sock ]] || { echo "socket left: $sock" >&2; exit 1; }
		# Nothing still runs from that directory.
		for p in /proc/[0-9]*; do
			if [[ $(readlink "$p/cwd" 2>/dev/null) == "$dir"* ]]; then
				echo "process ${p#/proc/} still in $dir" >&2
				exit 1
			fi
		done
		rm -rf "$dir"
	)
}
