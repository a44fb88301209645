#!/usr/bin/env bats
#
# The two worker pools (issue 10): fast workers for the token check and
# everything quick, hashing workers (lower CPU priority, their own socket)
# for the requests that run argon2. nginx routes by path; a request that
# waited longer than HASH_QUEUE_TIMEOUT_MS for a hashing worker gets 503
# with Retry-After; the process model (replacement, back-off, SIGHUP,
# SIGTERM) covers both classes.
#
# Hashing is made slow here (ARGON2_T_COST=40: about half a second a hash
# on the development VM) and the queue timeout short, so that one hashing
# worker is easy to keep busy.

# shellcheck disable=SC2154 # status and body are set by api (helpers.bash)

load helpers

FCGI=$HELPERS_REPO/tests/fcgi_client.py

setup_file() {
	# AUTH_HASH_NICE stays unset (default 10), so the .env file of the
	# SIGHUP test can set it: real environment variables win over .env.
	unset AUTH_HASH_NICE
	export AUTH_WORKERS=2 AUTH_HASH_WORKERS=1
	export HASH_QUEUE_TIMEOUT_MS=1000
	export ARGON2_T_COST=40 ARGON2_MAX_T_COST=100
	start_stack
	# /health/live proves the fast pool; the hashing worker computes its
	# own slow hash before it accepts, longer than the short timeout.
	wait_hash_ready 0
}

teardown_file() {
	stop_stack
}

# The upstream nginx used for the request of the last response: the
# socket named on its access-log line (found by its request id).
upstream_of_last() {
	local id
	id=$(header_value X-Request-Id) || return 1
	wait_until 5 grep -q " $id " "$STACK_NGINX_ACCESS_LOG" || return 1
	grep " $id " "$STACK_NGINX_ACCESS_LOG" | tail -n 1 | awk '{ print $NF }'
}

# assert_pool fast|hash: the last response came from that pool's socket.
assert_pool() {
	local up want=$STACK_SOCKET
	[[ $1 == hash ]] && want=$STACK_HASH_SOCKET
	up=$(upstream_of_last) || _fail "no access-log line for the request" || return 1
	[[ $up == "unix:$want" ]] || _fail "expected the $1 pool (unix:$want), got $up"
}

# wait_hash_ready N: until the log has more than N "hash worker ready"
# lines (a hashing worker computes a hash of its own before it accepts).
wait_hash_ready() {
	wait_until 10 bash -c "(( \$(grep -c 'hash worker ready' '$STACK_AUTH_LOG') > $1 ))"
}

# Milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

@test "auth.fcgi --help prints the usage and exits 0; --version prints the version" {
	run "$AUTHD_BIN" --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == usage:* ]]
	[[ $output == *--hash-fd* && $output == *--class* && $output == *--single* ]]
	run "$AUTHD_BIN" --version
	[ "$status" -eq 0 ]
	[[ $output =~ ^auth\.fcgi\ \(authd\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$AUTHD_BIN" --no-such-option
	[ "$status" -eq 2 ]
	[[ $output == *usage:* ]]
	run "$AUTHD_BIN" --single --class slow
	[ "$status" -eq 2 ]
	# --class only with --single; --hash-fd not with --single.
	run "$AUTHD_BIN" --class hash
	[ "$status" -eq 2 ]
	run "$AUTHD_BIN" --single --hash-fd 3
	[ "$status" -eq 2 ]
}

@test "the master runs AUTH_WORKERS fast workers and AUTH_HASH_WORKERS hashing workers, these at nice AUTH_HASH_NICE in a session and autogroup of their own" {
	wait_for_workers 2 5
	wait_until 5 bash -c "[ \$(pgrep -P $STACK_AUTH_PID -x auth.fcgi-hash | wc -l) -eq 1 ]"
	[ "$(pgrep -P "$STACK_AUTH_PID" | wc -l)" -eq 3 ]
	local p
	for p in $(worker_pids); do
		[ "$(ps -o ni= -p "$p" | tr -d ' ')" -eq 0 ]
	done
	p=$(hash_worker_pids)
	[ "$(ps -o ni= -p "$p" | tr -d ' ')" -eq 10 ]
	# Its own session and autogroup at nice 10 too (server/worker.c):
	# a nice 10 in the master's session took a session's fair share.
	assert_own_autogroup "$p" 10
	[ "$(ps -o ni= -p "$STACK_AUTH_PID" | tr -d ' ')" -eq 0 ]
	for p in $(worker_pids); do
		[ "$(ps -o sid= -p "$p")" = "$(ps -o sid= -p "$STACK_AUTH_PID")" ]
	done
	grep -q "starting 2 workers and 1 hashing workers" "$STACK_AUTH_LOG"
}

@test "nginx sends the routes that hash a password to the hashing pool and everything else to the fast pool" {
	registered
	assert_pool hash
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	assert_pool hash
	api_form POST /api/v1/auth/login "username=$USER_NAME&password=wrong-pass1"
	assert_status 401
	assert_pool hash
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"other-pass2\"}"
	assert_status 200
	assert_pool hash
	api POST /api/v1/auth/reset-password '{"token":"not-a-real-token","new_password":"other-pass3"}'
	assert_status 400
	assert_pool hash
	# The pages' forms that hash (refused here without a session or CSRF
	# token, but routed all the same).
	local page
	for page in /auth/login /auth/register /auth/reset-password \
	    /auth/account/password /auth/account/delete; do
		api_form POST "$page" "x=1"
		[[ $status =~ ^[2345][0-9][0-9]$ ]] || _fail "$page answered $status" || return 1
		assert_pool hash || return 1
	done
	api GET /auth/login
	assert_status 200
	assert_pool fast
	login_user "$USER_EMAIL" other-pass2
	local token=$ACCESS_TOKEN
	api_bearer "$token" GET /api/v1/auth/validate
	assert_status 200
	assert_pool fast
	api_bearer "$token" GET /api/v1/users/me
	assert_status 200
	assert_pool fast
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 200
	assert_pool fast
	api POST /api/v1/auth/forgot-password "{\"email\":\"$USER_EMAIL\"}"
	assert_status 202
	assert_pool fast
	api GET /health/ready
	assert_status 200
	assert_pool fast
	# A GET of a hashing path is not a hashing request (405 from the fast pool).
	api GET /api/v1/auth/login
	assert_status 405
	assert_pool fast
	# auth_request subrequests always use the fast pool (the access log
	# names the main request's upstream: ask the workers' log).
	api_bearer "$token" GET /__protected
	assert_status 200
	local id
	id=$(header_value X-Request-Id)
	wait_until 5 grep -q "req=$id " "$STACK_AUTH_LOG"
	grep "req=$id " "$STACK_AUTH_LOG" | grep -q ' auth\.fcgi-worker\[[0-9]*\] info: .* /api/v1/auth/validate status=200'
}

@test "a request sent to the other pool's socket is still answered correctly" {
	registered
	# A login straight to a fast worker: the whole router runs there too.
	run "$PY" "$FCGI" "$STACK_SOCKET" POST /api/v1/auth/login \
	    <<<"{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 200 ]
	[[ $output == *'"access_token":"'* ]]
	local token
	token=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$output")
	[ -n "$token" ]
	# And a token check straight to a hashing worker.
	run "$PY" "$FCGI" "$STACK_HASH_SOCKET" GET /api/v1/auth/validate \
	    "HTTP_AUTHORIZATION=Bearer $token" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 200 ]
	[[ $output == *"X-User-Id: $USER_ID"* ]]
}

@test "a hashing worker answers 503 with Retry-After, without hashing, to a request older than HASH_QUEUE_TIMEOUT_MS; a fast worker serves it" {
	registered
	local old fresh body
	old=$(( $(now_ms) - 1500 ))
	fresh=$(now_ms)
	body="{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	old="${old:0:-3}.${old: -3}"
	fresh="${fresh:0:-3}.${fresh: -3}"
	run "$PY" "$FCGI" "$STACK_HASH_SOCKET" POST /api/v1/auth/login \
	    "AUTHD_REQUEST_START=$old" "HTTP_X_REQUEST_ID=late-login-1" <<<"$body"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 503 ]
	[[ $output == *"Retry-After: 1"* ]]
	[[ $output == *'{"detail":"Service temporarily unavailable. Please try again later."}'* ]]
	grep "req=late-login-1 " "$STACK_AUTH_LOG" | grep -q "status=503.*queued_ms=1[0-9][0-9][0-9]"
	# Refused before the handler: no login happened, no session exists.
	[ "$(stack_sql "SELECT count(*) FROM sessions WHERE user_id = '$USER_ID'")" -eq 0 ]
	# Within the timeout it is served.
	run "$PY" "$FCGI" "$STACK_HASH_SOCKET" POST /api/v1/auth/login \
	    "AUTHD_REQUEST_START=$fresh" <<<"$body"
	[ "${lines[0]}" = 200 ]
	# The fast pool never refuses for age (a token check answered 503
	# would be a 500 at auth_request).
	run "$PY" "$FCGI" "$STACK_SOCKET" POST /api/v1/auth/login \
	    "AUTHD_REQUEST_START=$old" <<<"$body"
	[ "${lines[0]}" = 200 ]
}

@test "with the hashing worker stopped, token checks are answered at once; the login that waited past the timeout gets 503, the next one 200" {
	new_user
	local hp t0 pid out=$BATS_TEST_TMPDIR/stalled i
	hp=$(hash_worker_pids)
	[ -n "$hp" ]
	kill -STOP "$hp"
	t0=$(now_ms)
	curl -s -o "$out.body" -D "$out.headers" -w '%{http_code}' --max-time 20 \
	    -H 'Content-Type: application/json' \
	    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" \
	    "$BASE/api/v1/auth/login" >"$out" &
	pid=$!
	for i in $(seq 1 20); do
		api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate "" --max-time 2
		assert_status 200 || { kill -CONT "$hp"; return 1; }
	done
	api_bearer "$ACCESS_TOKEN" GET /__protected "" --max-time 2
	assert_status 200 || { kill -CONT "$hp"; return 1; }
	# The login is still waiting; let it get older than the timeout.
	wait_until 5 bash -c "(( \$(date +%s%3N) - $t0 > 1300 ))"
	kill -0 "$pid"
	kill -CONT "$hp"
	wait "$pid"
	[ "$(cat "$out")" = 503 ]
	grep -qi '^Retry-After: 1' "$out.headers"
	grep -q '"detail"' "$out.body"
	login_user "$USER_EMAIL" "$USER_PASSWORD"
}

@test "a burst of logins on one slow hashing worker: some 200, the rest 503 with Retry-After, none hangs; token checks meanwhile all fast" {
	new_user
	local token=$ACCESS_TOKEN dir=$BATS_TEST_TMPDIR/burst i vpid max n h
	local -a pids=()
	mkdir -p "$dir"
	# Enough logins that the queue outlasts HASH_QUEUE_TIMEOUT_MS (1 s)
	# whatever one hash costs here (natively, or emulated by qemu with
	# cheaper parameters): about 2.5 s of hashes, at least 10, at most 40.
	h=$(curl -s -o /dev/null -w '%{time_total}' --max-time 20 \
	    -H 'Content-Type: application/json' \
	    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" \
	    "$BASE/api/v1/auth/login")
	n=$(awk -v h="$h" 'BEGIN { n = int(2.5 / (h > 0.01 ? h : 0.01)) + 2;
	    print (n < 10 ? 10 : n > 40 ? 40 : n) }')
	echo "one login: ${h}s; a burst of $n"
	# Token checks in a loop while the burst runs: status and time of each.
	( end=$((SECONDS + 4)); while (( SECONDS < end )); do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 10 \
		    -H "Authorization: Bearer $token" "$BASE/api/v1/auth/validate"
	done >"$dir/validate" ) &
	vpid=$!
	for i in $(seq 1 "$n"); do
		curl -s -o "$dir/$i.body" -D "$dir/$i.headers" \
		    -w '%{http_code} %{time_total}\n' --max-time 20 \
		    -H 'Content-Type: application/json' \
		    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" \
		    "$BASE/api/v1/auth/login" >"$dir/$i.code" &
		pids+=($!)
	done
	wait "${pids[@]}"
	wait "$vpid"
	cat "$dir"/*.code
	local ok=0 busy=0 code t
	for i in $(seq 1 "$n"); do
		read -r code t <"$dir/$i.code"
		case $code in
		200) ok=$((ok + 1)) ;;
		503)
			busy=$((busy + 1))
			grep -qi '^Retry-After: 1' "$dir/$i.headers" || _fail "503 without Retry-After" || return 1
			grep -q '"detail"' "$dir/$i.body" || _fail "503 without a JSON detail" || return 1 ;;
		*) _fail "login answered $code" || return 1 ;;
		esac
		# Nobody waited much longer than the timeout and a few hashes.
		awk -v t="$t" 'BEGIN { exit !(t < 10) }' || _fail "a login took ${t}s" || return 1
	done
	echo "logins: $ok answered 200, $busy answered 503"
	(( ok >= 1 ))
	(( busy >= 1 ))
	# Every token check answered 200, none waited behind a hash.
	echo "token checks: $(wc -l <"$dir/validate")"
	(( $(wc -l <"$dir/validate") >= 10 ))
	[ -z "$(awk '$1 != 200' "$dir/validate")" ]
	max=$(sort -k2 -g "$dir/validate" | tail -n 1 | awk '{ print $2 }')
	echo "slowest token check: ${max}s"
	awk -v t="$max" 'BEGIN { exit !(t < 2) }'
}

@test "a killed hashing worker is replaced, and the fast workers are left alone" {
	local fast hp ready
	wait_for_workers 2 5
	fast=$(worker_pids | sort)
	hp=$(hash_worker_pids)
	ready=$(grep -c 'hash worker ready' "$STACK_AUTH_LOG")
	kill -KILL "$hp"
	_new_hasher() {
		local now
		now=$(hash_worker_pids)
		[[ -n $now && $now != "$hp" ]]
	}
	wait_until 3 _new_hasher
	[ "$(worker_pids | sort)" = "$fast" ]
	grep -q "hash worker $hp killed by signal 9" "$STACK_AUTH_LOG"
	[ "$(ps -o ni= -p "$(hash_worker_pids)" | tr -d ' ')" -eq 10 ]
	wait_hash_ready "$ready"
	registered
	assert_pool hash
}

# bats test_tags=sqlite-file
@test "a hashing worker that cannot start is respawned with a growing back-off" {
	local start n hp ready
	hp=$(hash_worker_pids)
	[ -n "$hp" ]
	ready=$(grep -c 'hash worker ready' "$STACK_AUTH_LOG")
	mv "$STACK_DB" "$STACK_DB.away"
	mkdir "$STACK_DB"
	start=$(wc -l <"$STACK_AUTH_LOG")
	kill -KILL "$hp"
	# 200, 400, 800, 1600 ms apart: let three seconds of them pass.
	local t0
	t0=$(now_ms)
	wait_until 5 bash -c "(( \$(date +%s%3N) - $t0 > 3000 ))"
	n=$(tail -n "+$((start + 1))" "$STACK_AUTH_LOG" | grep -c "hash worker [0-9]* exited with 1" || true)
	# Put the database back while no worker can start: a worker opening
	# the path between rmdir and mv would create an empty database and
	# keep it. The master is stopped and its last hashing worker gone.
	kill -STOP "$STACK_AUTH_PID"
	_no_hasher_running() {
		local p
		for p in $(hash_worker_pids); do
			[[ $(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) == Z ]] || return 1
		done
	}
	wait_until 5 _no_hasher_running || { kill -CONT "$STACK_AUTH_PID"; return 1; }
	rmdir "$STACK_DB"
	mv "$STACK_DB.away" "$STACK_DB"
	kill -CONT "$STACK_AUTH_PID"
	echo "failed starts in 3 s: $n"
	(( n >= 2 && n <= 6 ))
	# No fast worker was touched.
	[ "$(tail -n "+$((start + 1))" "$STACK_AUTH_LOG" | grep -c "fast worker")" -eq 0 ]
	wait_hash_ready "$ready"
	registered
}

@test "SIGHUP replaces the hashing workers too, with the reloaded AUTH_HASH_NICE" {
	local old_fast old_hash ready
	wait_for_workers 2 5
	ready=$(grep -c 'hash worker ready' "$STACK_AUTH_LOG")
	old_fast=$(worker_pids | sort)
	old_hash=$(hash_worker_pids)
	echo "AUTH_HASH_NICE=5" >"$AUTH_ENV_FILE"
	reload_authd
	_all_new() {
		local f h
		f=$(worker_pids | sort)
		h=$(hash_worker_pids)
		[[ $(grep -c . <<<"$f") -eq 2 && -z $(comm -12 <(echo "$old_fast") <(echo "$f")) ]] &&
		    [[ -n $h && $h != "$old_hash" ]]
	}
	wait_until 20 _all_new
	[ "$(ps -o ni= -p "$(hash_worker_pids)" | tr -d ' ')" -eq 5 ]
	wait_hash_ready "$ready"
	registered
	assert_pool hash
	: >"$AUTH_ENV_FILE"
	old_hash=$(hash_worker_pids)
	reload_authd
	_hash_new() {
		local h
		h=$(hash_worker_pids)
		[[ -n $h && $h != "$old_hash" ]]
	}
	wait_until 20 _hash_new
	wait_until 5 bash -c "[ \"\$(ps -o ni= -p \$(pgrep -P $STACK_AUTH_PID -x auth.fcgi-hash) | tr -d ' ')\" -eq 10 ]"
}

@test "auth.fcgi --listen and --hash-listen open both sockets; each pool answers on its own" {
	local dir=$BATS_TEST_TMPDIR/dev pid rc=0
	mkdir -p "$dir"
	DATABASE_PATH=$dir/dev.db AUTH_WORKERS=1 AUTH_HASH_WORKERS=1 \
	    "$AUTHD_BIN" --listen "$dir/fast.sock" --hash-listen "$dir/hash.sock" \
	    2>"$dir/log" &
	pid=$!
	wait_until 5 test -S "$dir/hash.sock"
	[ "$(stat -c %a "$dir/hash.sock")" = 660 ]
	wait_until 5 grep -q "starting 1 workers and 1 hashing workers" "$dir/log"
	run "$PY" "$FCGI" "$dir/fast.sock" GET /health/live </dev/null
	[ "${lines[0]}" = 200 ]
	# Only the hashing pool refuses a request for its age.
	run "$PY" "$FCGI" "$dir/hash.sock" GET /health/live AUTHD_REQUEST_START=1.000 </dev/null
	[ "${lines[0]}" = 503 ]
	run "$PY" "$FCGI" "$dir/fast.sock" GET /health/live AUTHD_REQUEST_START=1.000 </dev/null
	[ "${lines[0]}" = 200 ]
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	cat "$dir/log"
	[ "$rc" -eq 0 ]
	grep -q "stopped" "$dir/log"
}

@test "under systemd socket activation the two sockets come as LISTEN_FDS named fast and hash" {
	local dir=$BATS_TEST_TMPDIR/sd pid rc=0
	mkdir -p "$dir"
	# systemd-socket-activate passes on only the variables named by -E.
	systemd-socket-activate -l "$dir/hash.sock" -l "$dir/fast.sock" \
	    --fdname=hash:fast -E AUTH_STATE_DIR="$dir" -E DATABASE_PATH="$dir/sd.db" \
	    -E AUTH_ENV_FILE="$AUTH_ENV_FILE" -E SECRET_KEY="$SECRET_KEY" \
	    -E AUTH_WORKERS=1 -E AUTH_HASH_WORKERS=1 \
	    "$AUTHD_BIN" 2>"$dir/log" &
	pid=$!
	wait_until 5 test -S "$dir/fast.sock"
	# The first connection starts auth.fcgi; the answers tell the pools
	# apart (only a hashing worker refuses an old request).
	run "$PY" "$FCGI" "$dir/fast.sock" GET /health/live AUTHD_REQUEST_START=1.000 </dev/null
	[ "${lines[0]}" = 200 ]
	run "$PY" "$FCGI" "$dir/hash.sock" GET /health/live AUTHD_REQUEST_START=1.000 </dev/null
	[ "${lines[0]}" = 503 ]
	wait_until 5 grep -q "starting 1 workers and 1 hashing workers" "$dir/log"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	cat "$dir/log"
	[ "$rc" -eq 0 ]
}

@test "SIGTERM lets a login in flight on the hashing worker finish, then both pools stop" {
	registered
	local out=$BATS_TEST_TMPDIR/inflight pid hp
	hp=$(hash_worker_pids)
	curl -s -o "$out.body" -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" \
	    "$BASE/api/v1/auth/login" >"$out" &
	pid=$!
	# The hashing worker is busy with it (its CPU time grows).
	_hashing() {
		[[ $(awk '{ print $3 }' "/proc/$hp/stat") == R ]]
	}
	wait_until 5 _hashing
	kill -TERM "$STACK_AUTH_PID"
	wait "$pid"
	[ "$(cat "$out")" = 200 ]
	grep -q access_token "$out.body"
	wait_until 10 bash -c "! kill -0 $STACK_AUTH_PID 2>/dev/null"
	run kill -0 "$hp"
	[ "$status" -ne 0 ]
	grep -q "stopping: draining 3 workers" "$STACK_AUTH_LOG"
	local ready
	ready=$(grep -c 'hash worker ready' "$STACK_AUTH_LOG")
	start_authd
	wait_hash_ready "$ready"
	registered
	assert_pool hash
}

@test "spawn/authd-spawn binds both sockets and runs one auth.fcgi master with both pools" {
	local dir=$BATS_TEST_TMPDIR/spawn pid rc=0
	mkdir -p "$dir"
	AUTH_STATE_DIR=$dir DATABASE_PATH=$dir/s.db AUTH_WORKERS=1 AUTH_HASH_WORKERS=1 \
	    "$HELPERS_REPO/spawn/authd-spawn" -s "$dir/run/authd.sock" 2>"$dir/log" &
	pid=$!
	wait_until 5 test -S "$dir/run/authd-hash.sock"
	[ "$(stat -c %a "$dir/run/authd-hash.sock")" = 660 ]
	wait_until 5 grep -q "master $pid starting 1 workers and 1 hashing workers" "$dir/log"
	wait_until 5 bash -c "[ \$(pgrep -P $pid | wc -l) -eq 2 ]"
	[ "$(pgrep -P "$pid" -x auth.fcgi-hash | wc -l)" -eq 1 ]
	run "$PY" "$FCGI" "$dir/run/authd.sock" GET /health/live AUTHD_REQUEST_START=1.000 </dev/null
	[ "${lines[0]}" = 200 ]
	run "$PY" "$FCGI" "$dir/run/authd-hash.sock" GET /health/live AUTHD_REQUEST_START=1.000 </dev/null
	[ "${lines[0]}" = 503 ]
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	cat "$dir/log"
	[ "$rc" -eq 0 ]
	grep -q "stopped" "$dir/log"
}
