#!/usr/bin/env bats
# Hostile input through nginx: tests/hostile.py sends several hundred
# malformed requests and checks that each answer is a 4xx with a JSON
# "detail" (never a 5xx); around it, this file checks that the database
# did not change and that the service still answers. Also the Argon2
# memory bound: crafted hashes above the ceiling are refused quickly
# without the worker growing, and bad ARGON2_* settings stop the start.

load helpers

setup_file() {
	export AUTH_WORKERS=2
	# Nothing may change in the database, throttling counters included.
	export LOGIN_MAX_FAILURES=0
	export ADMIN_EMAIL=root-admin@example.com ADMIN_USERNAME=chief
	export ADMIN_PASSWORD=Admin-pass1
	start_stack
}

teardown_file() {
	stop_stack
}

sql() {
	stack_sql "$@"
}

# Every table's rows, in a stable order.
db_dump() {
	local t
	for t in $(stack_tables); do
		echo "== $t"
		sql -header "SELECT * FROM \"$t\" ORDER BY 1, 2"
	done
}

# no_worker_died: the master never saw a worker die.
no_worker_died() {
	run grep -E 'killed by signal|exited with' "$STACK_AUTH_LOG"
	[[ $status -eq 1 ]] || _fail "a worker died (grep status $status): $output"
}

# Peak resident memory of the workers (both pools: logins go to the
# hashing one), in KiB, one a line.
worker_peak_kib() {
	local p
	for p in $(worker_pids) $(hash_worker_pids); do
		awk '/^VmHWM:/ { print $2 }' "/proc/$p/status"
	done
}

@test "hundreds of hostile requests: each a 4xx with a JSON detail, the database unchanged, the service still up" {
	new_user
	local user_token=$ACCESS_TOKEN user_id=$USER_ID user_email=$USER_EMAIL
	login_user "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
	local admin_token=$ACCESS_TOKEN
	db_dump >"$BATS_TEST_TMPDIR/before"
	run "$PY" "$HELPERS_REPO/tests/hostile.py" --port "$STACK_PORT" \
	    --secret "$SECRET_KEY" --user-token "$user_token" \
	    --user-id "$user_id" --user-email "$user_email" \
	    --admin-token "$admin_token"
	echo "$output" | tail -n 60
	[ "$status" -eq 0 ]
	local n
	n=$(sed -nE 's/^hostile: ([0-9]+) requests.*/\1/p' <<<"$output")
	((n >= 300))
	db_dump >"$BATS_TEST_TMPDIR/after"
	diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	# Still answering, the same workers, and the user still logs in.
	api GET /health/ready
	assert_status 200
	login_user "$user_email" secret123
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_status 200
	assert_json_eq .id "$user_id"
	no_worker_died
}

@test "a stored argon2 hash demanding 4 GiB is refused with the usual 401, quickly, without memory growth" {
	new_user
	local crafted='$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$bWBkAKN2twl7ORmBrx9chR9Q4Tk/qBD6VrOzarASoMk'
	sql "UPDATE users SET password_hash = '$crafted' WHERE id = '$USER_ID'"
	local before after t0 t1 i
	before=$(worker_peak_kib | sort -n | tail -1)
	for i in 1 2 3 4; do
		t0=$(date +%s%N)
		api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"secret123\"}"
		t1=$(date +%s%N)
		assert_status 401
		assert_json_eq .detail "Incorrect email or password"
		assert_header WWW-Authenticate Bearer
		# A normal verification (the dummy hash) is well under a second;
		# a 4 GiB one would take many seconds or kill the worker.
		(((t1 - t0) / 1000000 < 2000 * SLOW))
	done
	after=$(worker_peak_kib | sort -n | tail -1)
	echo "worker peak RSS: before ${before} KiB, after ${after} KiB"
	# (The sanitizer build's shadow memory makes the absolute figure
	# meaningless there; the growth still tells.)
	[[ ${SANITIZE:-0} == 1 ]] || ((after < 131072))
	((after - before < 32768))
	grep -q 'over the ceiling' "$STACK_AUTH_LOG"
	no_worker_died
}

@test "other crafted hashes (huge t, p, bcrypt cost, garbage) get the usual 401" {
	new_user
	local h
	for h in \
	    '$argon2id$v=19$m=8,t=4294967295,p=1$c2FsdHNhbHRzYWx0c2FsdA$bWBkAKN2twl7ORmBrx9chR9Q4Tk/qBD6VrOzarASoMk' \
	    '$argon2id$v=19$m=65536,t=1,p=255$c2FsdHNhbHRzYWx0c2FsdA$bWBkAKN2twl7ORmBrx9chR9Q4Tk/qBD6VrOzarASoMk' \
	    '$argon2i$v=19$m=99999999999,t=1,p=1$c2FsdA$aGFzaA' \
	    '$argon2d$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA' \
	    '$2b$31$abcdefghijklmnopqrstuuVHYXggt8p61VoXIz3LuwAdLcM/ZvDh.' \
	    '$2b$04$short' '!deleted' '' 'plaintext-secret123'; do
		sql "UPDATE users SET password_hash = '$h' WHERE id = '$USER_ID'"
		api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"secret123\"}"
		assert_status 401
		assert_json_eq .detail "Incorrect email or password"
	done
	api GET /health/live
	assert_status 200
}

@test "a bad ARGON2_* value stops the start with a message naming the variable" {
	local spec var val
	for spec in ARGON2_M_COST_KIB=abc ARGON2_M_COST_KIB=0 \
	    ARGON2_M_COST_KIB=99999999999 ARGON2_M_COST_KIB=-5 ARGON2_T_COST=0 \
	    ARGON2_T_COST=1.5 ARGON2_PARALLELISM=17 ARGON2_PARALLELISM=0 \
	    ARGON2_MAX_M_COST_KIB=4 ARGON2_MAX_T_COST=x \
	    "ARGON2_M_COST_KIB=300000" "ARGON2_T_COST=20"; do
		var=${spec%%=*}
		val=${spec#*=}
		run env -u ARGON2_M_COST_KIB -u ARGON2_T_COST \
		    AUTH_STATE_DIR="$BATS_TEST_TMPDIR/state" \
		    DATABASE_PATH="$BATS_TEST_TMPDIR/state/auth.db" \
		    MAIL_SPOOL_DIR="$BATS_TEST_TMPDIR/state/spool" \
		    AUTH_ENV_FILE="$AUTH_ENV_FILE" "$var=$val" \
		    "$AUTHD_BIN" --check
		echo "$spec -> $status: $output"
		[ "$status" -ne 0 ]
		[[ $output == *"$var"* ]]
	done
	# The defaults and a sane explicit setting start.
	run env AUTH_STATE_DIR="$BATS_TEST_TMPDIR/state" \
	    DATABASE_PATH="$BATS_TEST_TMPDIR/state/auth.db" \
	    MAIL_SPOOL_DIR="$BATS_TEST_TMPDIR/state/spool" \
	    AUTH_ENV_FILE="$AUTH_ENV_FILE" ARGON2_M_COST_KIB=8192 ARGON2_T_COST=1 \
	    "$AUTHD_BIN" --check
	[ "$status" -eq 0 ]
}
