#!/usr/bin/env bats
#
# The database answers of SPEC §1: a write lock held past the busy
# timeout is a 503 DB_LOCKED with Retry-After, and reads go on (SQLite's
# WAL; PostgreSQL's lock_timeout, which the driver sets from
# SQLITE_BUSY_TIMEOUT_MS, and its readers that writers never block).

load helpers

setup_file() {
	export SQLITE_BUSY_TIMEOUT_MS=300
	start_stack
}

teardown_file() {
	stop_stack
}

# A test that fails while the lock is held lets the holder go.
teardown() {
	release_write_lock
}

@test "a write lock held past the busy timeout answers 503 DB_LOCKED with Retry-After: 1; reads go on" {
	new_user
	local n holder dir=$BATS_TEST_TMPDIR
	n=$(unique_name lock)
	# Another process takes the write lock and holds it until told to let
	# go (the file "release"), saying when it has it (the file "locked").
	hold_write_lock "$dir"
	holder=$HOLDER
	wait_until 10 test -f "$dir/locked"
	api POST /api/v1/auth/register "{\"email\":\"$n@example.com\",\"username\":\"$n\",\"password\":\"secret123\"}"
	assert_status 503
	assert_body_json '{"detail":"Database error: Resource is locked. Service temporarily unavailable.","error_code":"DB_LOCKED"}'
	assert_header Retry-After 1
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	touch "$dir/release"
	wait "$holder"
	# Nothing half-written: the same registration now succeeds.
	api POST /api/v1/auth/register "{\"email\":\"$n@example.com\",\"username\":\"$n\",\"password\":\"secret123\"}"
	assert_status 201
}
