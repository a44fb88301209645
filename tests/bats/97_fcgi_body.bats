#!/usr/bin/env bats
#
# The request body read by a worker when FastCGI gives no CONTENT_LENGTH
# (server/fcgi.c): the buffer then starts small and grows as bytes come
# (a GET allocates next to nothing), so a body of any size up to 64 KiB
# must still arrive whole, and a larger one must still be refused 413.
# Straight to a fast worker's socket (nginx always sends a length).

# shellcheck disable=SC2154 # status and output are set by run (bats)

load helpers

FCGI=$HELPERS_REPO/tests/fcgi_client.py

setup_file() {
	start_stack
}

teardown_file() {
	stop_stack
}

@test "without CONTENT_LENGTH a 5 KB login body arrives whole (200), one over 64 KiB is refused 413" {
	registered
	local pad body
	pad=$(printf '%5000s' '')
	body="{\"login\":\"$USER_EMAIL\",$pad\"password\":\"$USER_PASSWORD\"}"
	(( ${#body} > 5000 ))
	run "$PY" "$FCGI" "$STACK_SOCKET" POST /api/v1/auth/login "CONTENT_LENGTH=" <<<"$body"
	[ "$status" -eq 0 ] || fail "fcgi client: $output"
	[ "${lines[0]}" = 200 ] || fail "5 KB body: $output"
	[[ $output == *'"access_token"'* ]] || fail "no token: $output"
	pad=$(printf '%70000s' '')
	body="{\"login\":\"$USER_EMAIL\",$pad\"password\":\"$USER_PASSWORD\"}"
	run "$PY" "$FCGI" "$STACK_SOCKET" POST /api/v1/auth/login "CONTENT_LENGTH=" <<<"$body"
	[ "$status" -eq 0 ] || fail "fcgi client: $output"
	[ "${lines[0]}" = 413 ] || fail "70 KB body: ${lines[0]}"
}
