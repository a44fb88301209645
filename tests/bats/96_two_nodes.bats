#!/usr/bin/env bats
#
# Two authd nodes on one database (SPEC §11): two whole stacks (nginx, the
# worker pools, the mailer; each its own port, state directory, spool and
# outbox) sharing one SECRET_KEY and one database, as behind a load
# balancer. In the SQLite pass the two share one SQLite file (two pools on
# one machine: a valid SQLite setup); in the PostgreSQL pass one database
# of the pass's server (tests/pg/with-pg), which the last test also
# restarts under load (tagged postgresql-only: tests/backend-exclude keeps
# it out of the SQLite pass).
#
# What this does not cover: nodes on different machines (clock skew,
# network partitions, a load balancer's own behaviour), more than two
# nodes, and PostgreSQL failover or replication.

load helpers

# What tells one node's stack from the other's (spawn/stack.sh's outputs
# and the app's per-node paths).
NODE_VARS=(STACK_DIR STACK_RUN_DIR STACK_LOG_DIR STACK_APP_CWD STACK_SOCKET
    STACK_HASH_SOCKET STACK_PORT BASE STACK_AUTH_LOG STACK_MAILER_LOG
    STACK_NGINX_ERROR_LOG STACK_NGINX_ACCESS_LOG STACK_AUTH_PID
    STACK_NGINX_PID STACK_MAILER_PID AUTH_STATE_DIR MAIL_SPOOL_DIR
    MAIL_OUTBOX_DIR AUTH_ENV_FILE)

# save_node NAME: remember the current stack as node NAME.
save_node() {
	local v
	for v in "${NODE_VARS[@]}"; do
		printf 'export %s=%q\n' "$v" "${!v-}"
	done >"$BATS_FILE_TMPDIR/node.$1"
}

# on_node NAME: make node NAME the stack api, stop_stack... talk to.
on_node() {
	# shellcheck disable=SC1090
	source "$BATS_FILE_TMPDIR/node.$1"
}

# base_of NAME: node NAME's address.
base_of() {
	(on_node "$1" && printf '%s\n' "$BASE")
}

setup_file() {
	export LOGIN_MAX_FAILURES=4
	export HASH_QUEUE_TIMEOUT_MS=120000
	# One key for both nodes, as one deployment has.
	export SECRET_KEY
	SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_hex(32))')
	start_stack
	save_node A
	# Node B: the database of A (DATABASE_PATH / DATABASE_URL as A's
	# start left them), everything else its own.
	STACK_SHARE_DB=1 start_stack
	save_node B
	[[ $(base_of A) != "$(base_of B)" ]]
}

teardown_file() {
	local rc=0
	# B first: A made the database (PostgreSQL) and drops it.
	if [[ -f $BATS_FILE_TMPDIR/node.B ]]; then
		on_node B
		stop_stack || rc=1
	fi
	if [[ -f $BATS_FILE_TMPDIR/node.A ]]; then
		on_node A
		stop_stack || rc=1
	fi
	return "$rc"
}

setup() {
	on_node A
}

# promote ID ROLE: set a role straight in the shared database.
promote() {
	stack_sql "UPDATE users SET account_role = '$2' WHERE id = '$1'"
}

@test "the two nodes are two stacks: their own pools and spools, one database" {
	local a_pid b_pid
	a_pid=$(on_node A && stack_pid authd)
	b_pid=$(on_node B && stack_pid authd)
	[[ -n $a_pid && -n $b_pid && $a_pid != "$b_pid" ]] || _fail "masters: $a_pid $b_pid"
	[[ $(on_node A && echo "$MAIL_SPOOL_DIR") != "$(on_node B && echo "$MAIL_SPOOL_DIR")" ]] ||
	    _fail "one spool for both"
	# An account made through A is there for B.
	registered
	on_node B
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 200
}

@test "a token issued on node A validates on node B, and B's refresh works on A" {
	new_user
	on_node B
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	assert_header X-User-Id "$USER_ID"
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_status 200
	assert_json_eq .id "$USER_ID"
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 200
	local access refresh
	access=$(json_get .access_token)
	refresh=$(json_get .refresh_token)
	on_node A
	api_bearer "$access" GET /api/v1/auth/validate
	assert_status 200
	# The refresh token B rotated is spent on A too.
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 401
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$refresh\"}"
	assert_status 200
}

@test "logout-all on node B is refused on node A at the next request" {
	new_user
	local a1=$ACCESS_TOKEN r1=$REFRESH_TOKEN
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	local a2=$ACCESS_TOKEN r2=$REFRESH_TOKEN
	api_bearer "$a1" GET /api/v1/auth/validate
	assert_status 200
	on_node B
	api_bearer "$r2" POST /api/v1/auth/logout '{"all":true}'
	assert_status 204
	on_node A
	api_bearer "$a1" GET /api/v1/auth/validate
	assert_status 401
	api_bearer "$a2" GET /api/v1/users/me
	assert_status 401
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$r1\"}"
	assert_status 401
	# A new sign-in on A works.
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	on_node B
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
}

@test "the login lockout counts the failures of both nodes" {
	registered
	local i node body_login
	# LOGIN_MAX_FAILURES=4: two failures on each node, none alone
	# reaching it.
	for i in 1 2 3 4; do
		if (( i % 2 )); then node=A; else node=B; fi
		on_node "$node"
		api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong-pass$i\"}"
		[[ $status == 401 ]] || _fail "failure $i on $node: $status"
	done
	body_login="{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	for node in A B; do
		on_node "$node"
		api POST /api/v1/auth/login "$body_login"
		[[ $status == 429 ]] || _fail "the right password on $node after 4 failures: $status"
		assert_header Retry-After
	done
}

@test "20 parallel registrations of one email over both nodes: one 201, nineteen 409" {
	local n i base_a base_b base
	local -a pids=()
	base_a=$(base_of A)
	base_b=$(base_of B)
	n=$(unique_name p)
	for i in $(seq 1 20); do
		if (( i % 2 )); then base=$base_a; else base=$base_b; fi
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 \
		    -H 'Content-Type: application/json' \
		    -d "{\"email\":\"$n@example.com\",\"username\":\"${n}x$i\",\"password\":\"secret123\"}" \
		    "$base/api/v1/auth/register" >"$BATS_TEST_TMPDIR/code.$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || true
	done
	cat "$BATS_TEST_TMPDIR"/code.* | sort | uniq -c
	[ "$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^201$')" -eq 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^409$')" -eq 19 ]
	[[ $(stack_sql "SELECT count(*) FROM users WHERE email = '$n@example.com'") == 1 ]]
}

@test "two admins demoting each other at once through different nodes: an ADMIN remains" {
	local round x y xe ye xt yt ca cb admins
	stack_sql "UPDATE users SET account_role = 'REGULAR' WHERE account_role = 'ADMIN'"
	registered
	x=$USER_ID xe=$USER_EMAIL
	registered
	y=$USER_ID ye=$USER_EMAIL
	for round in 1 2 3 4 5; do
		promote "$x" ADMIN
		promote "$y" ADMIN
		[[ $(stack_sql "SELECT count(*) FROM users WHERE account_role = 'ADMIN' AND is_active = 1") == 2 ]] ||
		    _fail "round $round: not two admins"
		# Fresh tokens: a demotion ends the demoted admin's sessions.
		login_user "$xe" secret123
		xt=$ACCESS_TOKEN
		login_user "$ye" secret123
		yt=$ACCESS_TOKEN
		# X through A demotes Y while Y through B demotes X.
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -X PATCH \
		    -H "Authorization: Bearer $xt" -H 'Content-Type: application/json' \
		    -d '{"account_role":"REGULAR"}' \
		    "$(base_of A)/api/v1/users/$y" >"$BATS_TEST_TMPDIR/a.$round" &
		ca=$!
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -X PATCH \
		    -H "Authorization: Bearer $yt" -H 'Content-Type: application/json' \
		    -d '{"account_role":"REGULAR"}' \
		    "$(base_of B)/api/v1/users/$x" >"$BATS_TEST_TMPDIR/b.$round" &
		cb=$!
		wait "$ca" || true
		wait "$cb" || true
		echo "round $round: A $(cat "$BATS_TEST_TMPDIR/a.$round"), B $(cat "$BATS_TEST_TMPDIR/b.$round")"
		admins=$(stack_sql "SELECT count(*) FROM users WHERE account_role = 'ADMIN' AND is_active = 1")
		[[ $admins -ge 1 ]] || _fail "round $round: no ADMIN left"
		# Each answer is a success, the guard's 409, or the refusal of an
		# admin demoted a moment before (401: the demotion ended the
		# sessions; 403: no longer ADMIN); never a 5xx.
		grep -qxE '200|401|403|409' "$BATS_TEST_TMPDIR/a.$round" ||
		    _fail "round $round: A answered $(cat "$BATS_TEST_TMPDIR/a.$round")"
		grep -qxE '200|401|403|409' "$BATS_TEST_TMPDIR/b.$round" ||
		    _fail "round $round: B answered $(cat "$BATS_TEST_TMPDIR/b.$round")"
	done
}

# The load of the restart test: validate and users/me on both nodes, and
# a sign-in now and then, until STOP exists; one line per answer:
# "epoch_ms node path status error_code retry_after".
load_gen() {
	"$PY" - "$1" "$2" "$3" "$4" "$5" <<'EOF'
import json, os, sys, threading, time, urllib.request, urllib.error
base_a, base_b, token, login_body, stop = sys.argv[1:6]
out = open(stop + ".log", "a", buffering=1)
lock = threading.Lock()
def one(node, base, method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method,
                                 headers=headers or {})
    code, err, ra = 0, "", ""
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            code = r.status
    except urllib.error.HTTPError as e:
        code = e.code
        ra = e.headers.get("Retry-After") or ""
        try:
            err = json.loads(e.read() or b"{}").get("error_code") or ""
        except ValueError:
            err = "not-json"
    except Exception as e:
        code, err = 0, type(e).__name__
    with lock:
        out.write("%d %s %s %d %s %s\n" % (time.time() * 1000, node, path, code, err or "-", ra or "-"))
def worker(node, base, n):
    auth = {"Authorization": "Bearer " + token}
    i = 0
    while not os.path.exists(stop):
        i += 1
        if n == 0 and i % 10 == 0:
            one(node, base, "POST", "/api/v1/auth/login", login_body.encode(),
                {"Content-Type": "application/json"})
        elif i % 2:
            one(node, base, "GET", "/api/v1/auth/validate", headers=auth)
        else:
            one(node, base, "GET", "/api/v1/users/me", headers=auth)
        time.sleep(0.02)
ts = [threading.Thread(target=worker, args=(node, base, n))
      for node, base in (("A", base_a), ("B", base_b)) for n in range(2)]
for t in ts: t.start()
for t in ts: t.join()
EOF
}

# bats test_tags=postgresql-only
@test "PostgreSQL restarted under load (PostgreSQL only): 503 with Retry-After while it is down, never a 500 or a crashed pool; then it serves again without a restart of authd" {
	[[ $STACK_BACKEND == postgresql ]] || _fail "the PostgreSQL pass only (backend $STACK_BACKEND)"
	[[ -n ${TESTS_PG_DIR:-} ]] || _fail "TESTS_PG_DIR: the pass's server (tests/pg/with-pg)"
	new_user
	local stop=$BATS_TEST_TMPDIR/stop log gen down_lines bad a_master b_master
	local a_lines b_lines
	log=$stop.log
	a_master=$(on_node A && stack_pid authd)
	b_master=$(on_node B && stack_pid authd)
	a_lines=$(on_node A && wc -l <"$STACK_AUTH_LOG")
	b_lines=$(on_node B && wc -l <"$STACK_AUTH_LOG")
	load_gen "$(base_of A)" "$(base_of B)" "$ACCESS_TOKEN" \
	    "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" "$stop" &
	gen=$!
	# Load is flowing and answered before the restart.
	wait_until 20 grep -q ' 200 ' "$log"
	"$HELPERS_REPO/tests/pg/pg" stop "$TESTS_PG_DIR"
	local t_down
	t_down=$(date +%s%3N)
	# Both nodes notice: a 503 from each.
	wait_until 30 grep -qE '^[0-9]+ A .* 503 ' "$log" || { touch "$stop"; wait "$gen"; false; }
	wait_until 30 grep -qE '^[0-9]+ B .* 503 ' "$log" || { touch "$stop"; wait "$gen"; false; }
	"$HELPERS_REPO/tests/pg/pg" start "$TESTS_PG_DIR" >/dev/null
	local t_up
	t_up=$(date +%s%3N)
	# Recovery: validate and users/me answer 200 again on both nodes,
	# through the same pools.
	wait_until 60 _serves_again "$log" "$t_up" A || { touch "$stop"; wait "$gen"; false; }
	wait_until 60 _serves_again "$log" "$t_up" B || { touch "$stop"; wait "$gen"; false; }
	touch "$stop"
	wait "$gen"
	awk '{ print $2, $3, $4, $5, $6 }' "$log" | sort | uniq -c
	# Never a 500 (nor nginx's 502/504 of a dead pool), never no answer.
	bad=$(awk '$4 != 200 && $4 != 503 && !($4 == 429 && $3 == "/api/v1/auth/login")' "$log")
	[[ -z $bad ]] || _fail "answers other than 200 and 503:" "$bad"
	# Every 503 says why and when to come back.
	bad=$(awk '$4 == 503 && (($5 != "DB_UNAVAILABLE" && $5 != "DB_LOCKED") || $6 == "-")' "$log")
	[[ -z $bad ]] || _fail "503 without DB_UNAVAILABLE/DB_LOCKED and Retry-After:" "$bad"
	down_lines=$(awk -v d="$t_down" -v u="$t_up" '$1 >= d && $1 <= u && $4 == 503' "$log" | wc -l)
	(( down_lines >= 2 ))
	# The same masters, and no worker crashed (a worker exiting on its own
	# is logged by the master as "exited with" or "killed by").
	[[ $(on_node A && stack_pid authd) == "$a_master" ]]
	[[ $(on_node B && stack_pid authd) == "$b_master" ]]
	(on_node A && stack_group_alive "$a_master")
	(on_node B && stack_group_alive "$b_master")
	bad=$(on_node A && tail -n "+$((a_lines + 1))" "$STACK_AUTH_LOG" | grep -E 'exited with|killed by' || true)
	[[ -z $bad ]] || _fail "node A: $bad"
	bad=$(on_node B && tail -n "+$((b_lines + 1))" "$STACK_AUTH_LOG" | grep -E 'exited with|killed by' || true)
	[[ -z $bad ]] || _fail "node B: $bad"
	# A sign-in works on both nodes again.
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	on_node B
	login_user "$USER_EMAIL" "$USER_PASSWORD"
}

# _serves_again LOG SINCE_MS NODE: NODE answered validate and users/me with
# 200 after SINCE_MS.
_serves_again() {
	awk -v t="$2" -v n="$3" '$1 > t && $2 == n && $4 == 200 { s[$3] = 1 }
	    END { exit !(s["/api/v1/auth/validate"] && s["/api/v1/users/me"]) }' "$1"
}
