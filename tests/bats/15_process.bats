#!/usr/bin/env bats
#
# The process model: the master replaces dead workers, reloads on SIGHUP,
# drains on SIGTERM; --listen for development.  Hashing is made slow here
# (about half a second) so a login can be caught in flight.

load helpers

setup_file() {
	export ARGON2_T_COST=40 ARGON2_MAX_T_COST=100
	start_stack
}

teardown_file() {
	stop_stack
}

# _lines_at_least FILE N
_lines_at_least() {
	(( $(wc -l <"$1") >= $2 ))
}

# _hash_ready_after N: more than N "hash worker ready" lines in the log.
# The master replaces the hashing workers last: once the successor of
# each is ready, the reload is over (a request queued behind a hashing
# worker that is still starting may wait past HASH_QUEUE_TIMEOUT_MS).
_hash_ready_after() {
	(( $(grep -c 'hash worker ready' "$STACK_AUTH_LOG") > $1 ))
}

# _workers_older_than MS: every worker has run for more than MS.
_workers_older_than() {
	local p
	for p in $(worker_pids); do
		(( $(proc_age_ms "$p") > $1 )) || return 1
	done
}

@test "a worker killed with SIGKILL is replaced within a second, under traffic" {
	local codes=$BATS_TEST_TMPDIR/codes pid
	wait_for_workers 2 5
	( end=$((SECONDS + 3)); while [ $SECONDS -lt $end ]; do
		curl -s -o /dev/null -w '%{http_code}\n' "$BASE/health/live"
	done >"$codes" ) &
	pid=$!
	# Traffic is flowing before the kill.
	wait_until 5 _lines_at_least "$codes" 5
	kill_worker KILL
	wait_for_workers 2 "$SLOW"
	wait "$pid"
	echo "requests: $(wc -l <"$codes"); answers: $(sort "$codes" | uniq -c)"
	[ "$(wc -l <"$codes")" -gt 20 ]
	# Only a request the killed worker had in hand may have been lost.
	[ "$(grep -vc '^200$' "$codes")" -le 1 ]
	api GET /health/live
	assert_status 200
	grep -q "killed by signal 9" "$STACK_AUTH_LOG"
}

@test "kept-alive FastCGI connections never pin a worker: bursts after idle pauses are served at once" {
	local round i pids out=$BATS_TEST_TMPDIR/burst
	for round in 1 2 3; do
		pids=()
		: >"$out"
		for i in $(seq 1 40); do
			curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
			    "$BASE/health/live" >>"$out" &
			pids+=($!)
		done
		wait "${pids[@]}"
		[ "$(grep -c '^200 ' "$out")" -eq 40 ]
		# nginx keeps idle connections for 10 s: nobody waited for one.
		awk '$2 > 2 { bad = 1 } END { exit bad }' "$out"
		sleep 1 # sleep-ok: the idle pause is the scenario
	done
}

# bats test_tags=sqlite-file
@test "a worker that cannot start is respawned with a growing back-off, not in a tight loop" {
	local start n t0 now i deadline=$((6000 + 2000 * SLOW))
	local -a at=()
	wait_for_workers 2 5
	# New workers fail at once: the database path is now a directory.
	mv "$STACK_DB" "$STACK_DB.away"
	mkdir "$STACK_DB"
	start=$(wc -l <"$STACK_AUTH_LOG")
	kill_worker KILL
	# When each failed start appears in the log, in ms: four of them.
	t0=$(date +%s%N)
	while (( ${#at[@]} < 4 )); do
		now=$((($(date +%s%N) - t0) / 1000000))
		(( now <= deadline )) || break
		n=$(tail -n "+$((start + 1))" "$STACK_AUTH_LOG" | grep -c "exited with 1" || true)
		while (( n > ${#at[@]} )); do
			at+=("$now")
		done
		sleep 0.02 # sleep-ok: the poll interval of a bounded wait
	done
	rmdir "$STACK_DB"
	mv "$STACK_DB.away" "$STACK_DB"
	echo "failed starts seen at (ms): ${at[*]}"
	(( ${#at[@]} == 4 )) ||
	    _fail "${#at[@]} failed start(s) in ${deadline} ms: the back-off is too slow"
	# 200, 400, 800 ms apart: not a tight loop, and each pause longer than
	# the one before.
	(( at[1] - at[0] >= 150 )) || _fail "a respawn after $((at[1] - at[0])) ms"
	for i in 1 2; do
		(( at[i + 1] - at[i] > at[i] - at[i - 1] )) ||
		    _fail "the pauses do not grow: ${at[*]}"
	done
	# Once it can start again the pool is whole (the back-off is at most 5 s).
	wait_for_workers 2 8
	api GET /health/ready
	assert_status 200
}

@test "a worker told to stop while it is still starting stops (the signal is not lost)" {
	local before fresh
	wait_for_workers 2 5
	# Older than a second, so its death is not taken for a crash loop.
	wait_until 5 _workers_older_than 1100
	before=$(worker_pids | sort)
	kill_worker KILL
	_fresh() {
		fresh=$(comm -13 <(echo "$before") <(worker_pids | sort) | head -n 1)
		[ -n "$fresh" ]
	}
	wait_until 2 _fresh
	# It is computing its dummy hash (slow here) when SIGTERM comes.
	kill -TERM "$fresh"
	wait_until 5 bash -c "! kill -0 $fresh 2>/dev/null"
	wait_for_workers 2 5
}

@test "SIGHUP replaces every worker, one by one, with the reloaded .env" {
	local old ready
	old=$(worker_pids | sort)
	[ "$(grep -c . <<<"$old")" -eq 2 ]
	ready=$(grep -c 'hash worker ready' "$STACK_AUTH_LOG")
	echo "ACCESS_TOKEN_EXPIRE_MINUTES=5" >"$AUTH_ENV_FILE"
	reload_authd
	_none_of_old() {
		local now
		now=$(worker_pids | sort)
		[ "$(grep -c . <<<"$now")" -eq 2 ] && [ -z "$(comm -12 <(echo "$old") <(echo "$now"))" ]
	}
	wait_until 15 _none_of_old
	wait_until 30 _hash_ready_after "$ready"
	new_user
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 200
	assert_json_eq .expires_in 300
	: >"$AUTH_ENV_FILE"
	old=$(worker_pids | sort)
	ready=$(grep -c 'hash worker ready' "$STACK_AUTH_LOG")
	reload_authd
	wait_until 15 _none_of_old
	wait_until 30 _hash_ready_after "$ready"
}

@test "a SIGHUP that comes while a reload is replacing the workers is not lost: the later .env wins" {
	local reloads ready i
	new_user
	reloads=$(grep -c 'reloading [0-9]* workers' "$STACK_AUTH_LOG")
	ready=$(grep -c 'hash worker ready' "$STACK_AUTH_LOG")
	# Slow logins in flight keep the hashing worker, replaced last,
	# draining for a while: the reload is still going on when the
	# second SIGHUP comes.
	for i in 1 2 3 4; do
		curl -s -o /dev/null -H 'Content-Type: application/json' \
		    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong-pass1\"}" \
		    "$BASE/api/v1/auth/login" &
	done
	echo "ACCESS_TOKEN_EXPIRE_MINUTES=5" >"$AUTH_ENV_FILE"
	reload_authd
	_reloads_after() {
		(( $(grep -c 'reloading [0-9]* workers' "$STACK_AUTH_LOG") > $1 ))
	}
	wait_until 10 _reloads_after "$reloads"
	echo "ACCESS_TOKEN_EXPIRE_MINUTES=7" >"$AUTH_ENV_FILE"
	reload_authd
	wait
	# The second SIGHUP starts a second reload, whenever it came.
	wait_until 30 _reloads_after "$((reloads + 1))"
	wait_until 30 _hash_ready_after "$((ready + 1))"
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	assert_json_eq .expires_in 420
	: >"$AUTH_ENV_FILE"
	ready=$(grep -c 'hash worker ready' "$STACK_AUTH_LOG")
	reload_authd
	wait_until 30 _hash_ready_after "$ready"
}

@test "a bad configuration on SIGHUP is refused and the workers keep serving" {
	local old
	old=$(worker_pids | sort)
	echo "ACCESS_TOKEN_EXPIRE_MINUTES=soon" >"$AUTH_ENV_FILE"
	reload_authd
	wait_until 5 grep -q "reload refused" "$STACK_AUTH_LOG"
	grep "reload refused" "$STACK_AUTH_LOG" | grep -q ACCESS_TOKEN_EXPIRE_MINUTES
	[ "$(worker_pids | sort)" = "$old" ]
	api GET /health/ready
	assert_status 200
	: >"$AUTH_ENV_FILE"
}

@test "auth.fcgi --listen opens its own socket and exits 0 on SIGTERM" {
	local sock=$BATS_TEST_TMPDIR/dev.sock pid rc=0
	DATABASE_PATH=$BATS_TEST_TMPDIR/dev.db AUTH_WORKERS=1 \
	    "$AUTHD_BIN" --listen "$sock" 2>"$BATS_TEST_TMPDIR/dev.log" &
	pid=$!
	wait_until 5 test -S "$sock"
	[ "$(stat -c %a "$sock")" = 660 ]
	wait_until 5 grep -q "starting 1 workers" "$BATS_TEST_TMPDIR/dev.log"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/dev.log"
	[ "$rc" -eq 0 ]
	grep -q "stopped" "$BATS_TEST_TMPDIR/dev.log"
}

@test "a bad configuration value stops the start with a message naming the variable" {
	run env ACCESS_TOKEN_EXPIRE_MINUTES=-3 "$AUTHD_BIN" --check
	[ "$status" -ne 0 ]
	[[ $output == *ACCESS_TOKEN_EXPIRE_MINUTES* ]]
	run env SECRET_KEY=short "$AUTHD_BIN" --check
	[ "$status" -ne 0 ]
	[[ $output == *SECRET_KEY* ]]
	run env BACKEND_CORS_ORIGINS='[1,2' "$AUTHD_BIN" --check
	[ "$status" -ne 0 ]
	[[ $output == *BACKEND_CORS_ORIGINS* ]]
	run env REQUIRE_VERIFIED_EMAIL=maybe "$AUTHD_BIN" --check
	[ "$status" -ne 0 ]
	[[ $output == *REQUIRE_VERIFIED_EMAIL* ]]
	run "$AUTHD_BIN" --check
	[ "$status" -eq 0 ]
}

@test "without SECRET_KEY a key is generated once into the state directory, mode 0600" {
	local dir=$BATS_TEST_TMPDIR/keystate
	run env -u SECRET_KEY AUTH_STATE_DIR="$dir" DATABASE_PATH="$dir/a.db" "$AUTHD_BIN" --check
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$dir/secret.key")" = 600 ]
	[ "$(stat -c %a "$dir")" = 700 ]
	local k1
	k1=$(sha256sum <"$dir/secret.key")
	run env -u SECRET_KEY AUTH_STATE_DIR="$dir" DATABASE_PATH="$dir/a.db" "$AUTHD_BIN" --check
	[ "$status" -eq 0 ]
	[ "$(sha256sum <"$dir/secret.key")" = "$k1" ]
}

@test "SIGTERM lets an in-flight request finish, then the master stops" {
	new_user
	local out=$BATS_TEST_TMPDIR/inflight pid p master
	local -A ticks=()
	master=$(authd_pid)
	wait_for_workers 2 5
	# Both pools: the login's hash is computed by a hashing worker.
	for p in $(worker_pids) $(hash_worker_pids); do
		ticks[$p]=$(proc_cpu_ticks "$p")
	done
	curl -s -o "$out.body" -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" \
	    "$BASE/api/v1/auth/login" >"$out" &
	pid=$!
	# The login is in flight once a worker is hashing its password (the
	# hash takes about half a second of CPU here; idle workers use none).
	_hashing() {
		local p
		for p in "${!ticks[@]}"; do
			if (( $(proc_cpu_ticks "$p") - ticks[$p] >= 3 )); then
				return 0
			fi
		done
		return 1
	}
	wait_until 10 _hashing
	kill -TERM "$master"
	wait "$pid"
	[ "$(cat "$out")" = 200 ]
	grep -q access_token "$out.body"
	wait_until 10 bash -c "! kill -0 $master 2>/dev/null"
	grep -q "stopping: draining" "$STACK_AUTH_LOG"
	grep -q "stopped" "$STACK_AUTH_LOG"
	start_authd
	api GET /health/live
	assert_status 200
}
