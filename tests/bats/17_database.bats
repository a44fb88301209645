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
	touch "$BATS_TEST_TMPDIR/release"
	if [[ -n ${PG_HOLDER:-} ]]; then
		kill "$PG_HOLDER" 2>/dev/null || true
	fi
}

# hold_lock DIR: another process takes the write lock of the users and
# holds it until DIR/release exists; DIR/locked says it has it. Sets
# HOLDER (its pid).
hold_lock() {
	local dir=$1
	if [[ $STACK_BACKEND == postgresql ]]; then
		# psql in one transaction holding a lock that lets reads through
		# (EXCLUSIVE conflicts with writes, not with ACCESS SHARE).
		{
			echo "BEGIN; LOCK TABLE users IN EXCLUSIVE MODE; SELECT 'locked';"
			while [[ ! -e $dir/release ]]; do
				sleep 0.05 # sleep-ok: the poll interval of the holder's wait
			done
			echo "ROLLBACK;"
		} | psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" >"$dir/holder.out" 2>&1 &
		HOLDER=$!
		PG_HOLDER=$HOLDER
		wait_until 10 grep -qx locked "$dir/holder.out"
		touch "$dir/locked"
		return
	fi
	"$PY" - "$STACK_DB" "$dir" <<'EOF' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO throttle_events VALUES ('hold', 'x', 0)")
open(os.path.join(sys.argv[2], "locked"), "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(os.path.join(sys.argv[2], "release")):
    if time.monotonic() > deadline:
        sys.exit("never released")
    time.sleep(0.05)
db.execute("ROLLBACK")
EOF
	HOLDER=$!
}

@test "a write lock held past the busy timeout answers 503 DB_LOCKED with Retry-After: 1; reads go on" {
	new_user
	local n holder dir=$BATS_TEST_TMPDIR
	n=$(unique_name lock)
	# Another process takes the write lock and holds it until told to let
	# go (the file "release"), saying when it has it (the file "locked").
	hold_lock "$dir"
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
