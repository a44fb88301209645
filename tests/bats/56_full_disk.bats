#!/usr/bin/env bats
# Issue 9 item 2: the database on a full filesystem. A failed login that
# cannot be recorded must not be verified (no unlimited password oracle):
# every login answers 503 with Retry-After, whatever the password, and
# /health/ready notices the database cannot be written. Freeing space
# brings everything back.
#
# The database lives on a small tmpfs mounted for this file (the tests
# run as root); the rest of the state stays where start_stack put it.

load helpers

setup_file() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "56_full_disk.bats needs root to mount a tmpfs" >&2
		return 1
	fi
	export AUTH_WORKERS=2
	export LOGIN_MAX_FAILURES=5
	export LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE=30
	start_stack
	registered full-pass1
	export FULL_EMAIL=$USER_EMAIL
	FULL_DIR=$STACK_DIR/fullfs
	export FULL_DIR
	mkdir -p "$FULL_DIR"
	stop_authd
	mount -t tmpfs -o size=4m,mode=0700 authd-test "$FULL_DIR"
	sqlite3 "$STACK_DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	cp "$STACK_DB" "$FULL_DIR/auth.db"
	export DATABASE_PATH=$FULL_DIR/auth.db STACK_DB=$FULL_DIR/auth.db
	start_authd
}

teardown_file() {
	local rc=0
	# The workers close the database before it is unmounted.
	stop_authd || rc=1
	if [[ -n ${FULL_DIR:-} ]] && mountpoint -q "$FULL_DIR"; then
		umount "$FULL_DIR" || rc=1
	fi
	stop_stack || rc=1
	return "$rc"
}

# fill: writes zeros until the filesystem refuses more.
fill() {
	dd if=/dev/zero of="$FULL_DIR/filler" bs=4k 2>/dev/null || true
	[ "$(df --output=avail "$FULL_DIR" | tail -1)" -eq 0 ]
}

assert_503_retry() {
	local ra
	assert_status 503 || return 1
	assert_json_has .detail || return 1
	ra=$(header_value Retry-After) || _fail "no Retry-After" || return 1
	[[ $ra =~ ^[0-9]+$ ]] && (( ra >= 1 )) || _fail "Retry-After: $ra"
}

@test "a full disk: every login is 503 with Retry-After before any password is verified; ready says the database is down" {
	fill
	local i
	for ((i = 0; i < 8; i++)); do
		api POST /api/v1/auth/login "{\"login\":\"$FULL_EMAIL\",\"password\":\"wrong-pass$i\"}"
		assert_503_retry
	done
	# The right password and an unknown account answer the same.
	api POST /api/v1/auth/login "{\"login\":\"$FULL_EMAIL\",\"password\":\"full-pass1\"}"
	assert_503_retry
	local right=$body
	api POST /api/v1/auth/login '{"login":"nobody-at-all@example.com","password":"wrong-pass1"}'
	assert_503_retry
	[ "$body" = "$right" ]
	api GET /health/ready
	assert_status 503
	assert_json_eq .status degraded
	assert_json_eq .components.database down
	# Reads still work.
	api GET /health/live
	assert_status 200
}

@test "space freed: ready again and the password works" {
	rm -f "$FULL_DIR/filler"
	api GET /health/ready
	assert_status 200
	assert_json_eq .components.database operational
	login_user "$FULL_EMAIL" full-pass1
}
