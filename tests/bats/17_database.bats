#!/usr/bin/env bats
#
# The database answers of SPEC §1: a write lock held past the busy
# timeout is a 503 DB_LOCKED with Retry-After, and reads go on (WAL).

load helpers

setup_file() {
	export SQLITE_BUSY_TIMEOUT_MS=300
	start_stack
}

teardown_file() {
	stop_stack
}

@test "a write lock held past the busy timeout answers 503 DB_LOCKED with Retry-After: 1; reads go on" {
	new_user
	local n holder
	n=$(unique_name lock)
	# Another process holds the write lock for three seconds.
	( printf 'BEGIN IMMEDIATE;\nINSERT INTO throttle_events VALUES (%s, %s, 0);\n' \
	    "'hold'" "'x'"; sleep 3; printf 'ROLLBACK;\n' ) | sqlite3 "$STACK_DB" &
	holder=$!
	sleep 0.5
	api POST /api/v1/auth/register "{\"email\":\"$n@example.com\",\"username\":\"$n\",\"password\":\"secret123\"}"
	assert_status 503
	assert_body_json '{"detail":"Database error: Resource is locked. Service temporarily unavailable.","error_code":"DB_LOCKED"}'
	assert_header Retry-After 1
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	wait "$holder"
	# Nothing half-written: the same registration now succeeds.
	api POST /api/v1/auth/register "{\"email\":\"$n@example.com\",\"username\":\"$n\",\"password\":\"secret123\"}"
	assert_status 201
}
