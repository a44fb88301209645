# shellcheck shell=bash
#
# tests/bats/helpers.bash: the throwaway stack and small assertions for the
# bats integration tests. In a .bats file:
#
#     load helpers
#     setup_file()    { export STACK_CAPTCHA=1; start_stack; }
#     teardown_file() { stop_stack; }
#
#     @test "login with a wrong password is refused" {
#         api POST /api/v1/auth/login '{"login":"nobody@example.com","password":"x1x1x1"}'
#         assert_status 401
#         assert_json_eq .detail "Incorrect email or password"
#     }
#
# start_stack understands (set and export them before calling it):
#   AUTH_WORKERS=2        workers of the pool
#   STACK_MAILER=auto|0|1 run ./auth-mailer (auto: when it is built)
#   STACK_SMTP=1          tests/smtp_sink.py as the mail server
#                         (MAIL_TRANSPORT=smtp; STACK_MAIL_DIR,
#                         STACK_SMTP_FAIL_FILE, STACK_SMTP_ARGS)
#   STACK_CAPTCHA=1       tests/captcha_stub.py (CAPTCHA_SERVICE_URL,
#                         STACK_CAPTCHA_LOG)
#   STACK_SPAWN_MODE=single  spawn-fcgi -F AUTH_WORKERS of auth.fcgi --single
#   STACK_AUTHD_PREFIX="valgrind -q"  run auth.fcgi under a tool
#   STACK_READY_TIMEOUT=30  seconds to wait for GET /health/live
#   STACK_KEEP=1          keep the stack's directory (logs) after the file
#   STACK_DATABASE_URL    a PostgreSQL server (the PostgreSQL pass of make
#                         test, tests/pg/with-pg): the stack gets a fresh
#                         database there, dropped by stop_stack
#   STACK_SHARE_DB=1      keep the DATABASE_PATH / DATABASE_URL of the
#                         environment: a second stack (node) on the
#                         database of the first (96_two_nodes.bats)
#   any SPEC §7 variable (LOGIN_MAX_FAILURES=3, ...): passed to the app.
# The per-address limits REGISTER_MAX_PER_IP_PER_HOUR,
# LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE and TOKEN_ATTEMPTS_PER_IP_PER_MINUTE
# default to 0 (off) here, because
# every test request comes from 127.0.0.1; a file testing them sets them.
#
# Exported for the tests: BASE, STACK_DIR, STACK_DB (= DATABASE_PATH),
# STACK_BACKEND (sqlite or postgresql), DATABASE_URL (postgresql),
# STACK_AUTH_LOG, STACK_MAILER_LOG, STACK_NGINX_ERROR_LOG,
# STACK_NGINX_ACCESS_LOG, STACK_AUTH_PID (the master), STACK_NGINX_PID,
# STACK_MAILER_PID, STACK_SMTP_PORT, STACK_MAIL_DIR, STACK_CAPTCHA_LOG,
# SECRET_KEY, MAIL_OUTBOX_DIR, MAIL_SPOOL_DIR, ... (see spawn/stack.sh).
#
# Never call a bare `wait` in a test: the stack's daemons may be children
# of the shell; wait for the pids you started.

HELPERS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=spawn/stack.sh source-path=SCRIPTDIR/../..
source "$HELPERS_REPO/spawn/stack.sh"

PY=/usr/bin/python3

# ---------------------------------------------------------------------------
# The stack

# start_stack: a fresh stack in a new temporary directory (see the top of
# this file). Fails with the logs printed when it does not come up.
start_stack() {
	local parent=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}
	STACK_DIR=$(mktemp -d "$parent/stack.XXXXXX") || return 1
	# Everything the stack writes lives in STACK_DIR, whatever the
	# developer's shell has exported.
	unset STACK_RUN_DIR STACK_LOG_DIR STACK_PORT STACK_APP_CWD \
	    STACK_SOCKET STACK_HASH_SOCKET STACK_MAIL_DIR STACK_SMTP_PORT STACK_CAPTCHA_PORT \
	    CAPTCHA_SERVICE_URL SMTP_HOST SMTP_PORT SMTP_USER SMTP_PASSWORD \
	    SECRET_KEY_FILE MAIL_TRANSPORT
	export STACK_DIR
	export AUTH_STATE_DIR=$STACK_DIR/state
	if [[ ${STACK_SHARE_DB:-0} != 1 ]]; then
		# Never a database of the developer's shell: the stack's own
		# file, or its own database on STACK_DATABASE_URL's server.
		unset DATABASE_URL
		export DATABASE_PATH=$AUTH_STATE_DIR/auth.db
	fi
	export MAIL_SPOOL_DIR=$AUTH_STATE_DIR/spool
	export MAIL_OUTBOX_DIR=$AUTH_STATE_DIR/outbox
	export AUTH_ENV_FILE=$STACK_DIR/empty.env
	: >"$AUTH_ENV_FILE"
	export AUTH_WORKERS=${AUTH_WORKERS:-2}
	export SECRET_KEY=${SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_hex(32))')}
	export REGISTER_MAX_PER_IP_PER_HOUR=${REGISTER_MAX_PER_IP_PER_HOUR:-0}
	export LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE=${LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE:-0}
	export TOKEN_ATTEMPTS_PER_IP_PER_MINUTE=${TOKEN_ATTEMPTS_PER_IP_PER_MINUTE:-0}
	if ! stack_start; then
		echo "start_stack: the stack did not start (logs above)" >&2
		return 1
	fi
}

# stop_stack: stop everything start_stack started; fails when a process
# survived. Removes the stack's directory unless STACK_KEEP=1 (bats also
# removes BATS_FILE_TMPDIR itself).
stop_stack() {
	local rc=0 log
	[[ -n ${STACK_DIR:-} ]] || return 0
	stack_stop || rc=1
	# A sanitizer report in a daemon's log fails the file even when no
	# request noticed it (a leak found at a worker's exit, say).
	for log in "${STACK_AUTH_LOG:-}" "${STACK_MAILER_LOG:-}"; do
		[[ -f $log ]] || continue
		if grep -qE 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$log"; then
			echo "stop_stack: sanitizer report in $log:" >&2
			grep -A30 -E 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$log" | head -60 >&2
			rc=1
		fi
	done
	if [[ $rc -ne 0 || ${STACK_KEEP:-0} == 1 ]]; then
		echo "stop_stack: stack kept in $STACK_DIR" >&2
	else
		rm -rf "$STACK_DIR"
	fi
	return "$rc"
}

# authd_pid: the master's pid now. STACK_AUTH_PID is the one start_stack
# started; a test before this one (in any order) may have restarted the
# pool, which only its own process saw.
authd_pid() {
	stack_pid authd
}

# The pids of the master's fast workers, one a line (the workers name
# themselves auth.fcgi-fast and auth.fcgi-hash).
worker_pids() {
	pgrep -P "$(authd_pid)" -x auth.fcgi-fast || true
}

# The pids of the master's hashing workers, one a line.
hash_worker_pids() {
	pgrep -P "$(authd_pid)" -x auth.fcgi-hash || true
}

# assert_own_autogroup PID NICE: the hashing worker PID leads a session of
# its own and, where the kernel schedules by autogroup (a session's tasks
# share one fair share there; /proc/PID/autogroup exists), that session's
# autogroup has nice NICE. A task's nice weighs only within its session.
assert_own_autogroup() {
	local pid=$1 nice=$2 ag
	[[ $(ps -o sid= -p "$pid" | tr -d ' ') == "$pid" ]] ||
	    _fail "hashing worker $pid leads no session of its own"
	[[ -e /proc/self/autogroup ]] || return 0
	ag=$(cat "/proc/$pid/autogroup")
	[[ $ag =~ \ nice\ $nice$ ]] || _fail "hashing worker $pid: '$ag', not nice $nice"
}

# kill_worker [SIGNAL]: send SIGNAL (default KILL) to one worker; its pid
# goes into KILLED_WORKER.
kill_worker() {
	KILLED_WORKER=$(worker_pids | head -n 1)
	if [[ -z $KILLED_WORKER ]]; then
		echo "kill_worker: no worker under master $(authd_pid)" >&2
		return 1
	fi
	kill "-${1:-KILL}" "$KILLED_WORKER"
}

# wait_for_workers N [SECONDS]: until the master has N workers, none of
# them KILLED_WORKER.
wait_for_workers() {
	local want=$1 secs=${2:-5}
	wait_until "$secs" _have_workers "$want"
}

_have_workers() {
	local pids
	pids=$(worker_pids)
	[[ $(grep -c . <<<"$pids") -eq $1 ]] || return 1
	[[ -z ${KILLED_WORKER:-} ]] || ! grep -qx "$KILLED_WORKER" <<<"$pids"
}

# reload_authd: SIGHUP to the master (workers replaced one by one).
reload_authd() {
	kill -HUP "$(authd_pid)"
}

# stop_authd [SIGNAL] / start_authd: the whole pool (spawn-fcgi and
# auth.fcgi, also in STACK_SPAWN_MODE=single), for tests of draining, of
# nginx answering while it is down, or of a restart with other settings
# (VAR=value start_authd).
stop_authd() {
	local rc=0
	stack_stop_one authd "${1:-TERM}" 10 || rc=1
	# STACK_SPAWN_MODE=single: the workers spawn-fcgi -F left behind.
	stack_stop_single_workers || rc=1
	return "$rc"
}

start_authd() {
	stack_start_authd && stack_wait_ready "${STACK_READY_TIMEOUT:-30}"
}

stop_mailer() {
	stack_stop_one mailer "${1:-TERM}" 10
}

start_mailer() {
	STACK_MAILER=1 stack_start_mailer
}

restart_mailer() {
	stop_mailer TERM && start_mailer
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds;
# fails after SECONDS.
wait_until() {
	# In microseconds of the wall clock: bash's SECONDS counts whole
	# seconds, which made "wait_until 1" anything from 0 to 1 s.
	local deadline=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	while ! "$@"; do
		if (( ${EPOCHREALTIME/./} >= deadline )); then
			echo "wait_until: '$*' still failing after the deadline" >&2
			return 1
		fi
		sleep 0.1 # sleep-ok: the poll interval of a bounded wait
	done
}

# SLOW: how many times slower than a plain build the service runs here: 3
# under the sanitizers (SANITIZE=1), a tool (STACK_AUTHD_PREFIX) or an
# emulator (AUTHD_EXEC: make test-arm64's qemu), else 1. A test that
# bounds a duration multiplies its bound by it (never the lower bound of
# something that must take time).
if [[ ${SANITIZE:-0} == 1 || -n ${STACK_AUTHD_PREFIX:-} || -n ${AUTHD_EXEC:-} ]]; then
	SLOW=3
else
	SLOW=1
fi

# proc_age_ms PID: how long the process has been running, in ms.
proc_age_ms() {
	local start hz up
	start=$(awk '{ print $22 }' "/proc/$1/stat") || return 1
	hz=$(getconf CLK_TCK)
	up=$(awk '{ print $1 }' /proc/uptime)
	awk -v s="$start" -v hz="$hz" -v up="$up" \
	    'BEGIN { printf "%d\n", up * 1000 - s * 1000 / hz }'
}

# proc_cpu_ticks PID: user + system CPU time of the process, in clock ticks.
proc_cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# stack_sql [-header] SQL...: run each SQL on the stack's database
# (sqlite3 on STACK_DB, or psql on DATABASE_URL in the PostgreSQL pass)
# and print the rows the way sqlite3 does: one a line, columns separated
# by |; -header: the column names first. Only for SQL both dialects read
# the same.
stack_sql() {
	local -a cmds=() opts=(-t)
	local q
	if [[ ${STACK_BACKEND:-sqlite} == postgresql ]]; then
		if [[ ${1-} == -header ]]; then
			shift
			opts=(-P footer=off)
		fi
		for q in "$@"; do
			cmds+=(-c "$q")
		done
		psql -X -q -A "${opts[@]}" -F '|' -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "${cmds[@]}"
	else
		sqlite3 -batch -cmd '.timeout 5000' "$STACK_DB" "$@"
	fi
}

# stack_tables: the names of the stack's tables, one a line, sorted.
stack_tables() {
	if [[ ${STACK_BACKEND:-sqlite} == postgresql ]]; then
		stack_sql "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
	else
		stack_sql "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	fi
}

# sql_blob HEX: the SQL literal of the bytes HEX in the stack's dialect.
sql_blob() {
	if [[ ${STACK_BACKEND:-sqlite} == postgresql ]]; then
		printf '%s\n' "'\\x$1'::bytea"
	else
		printf "x'%s'\n" "$1"
	fi
}

# hold_write_lock DIR: another process takes the write lock of the users and
# holds it until DIR/release exists (release_write_lock, also from a
# teardown); DIR/locked says it has it. Sets HOLDER (its pid). SQLite:
# BEGIN IMMEDIATE and a write; PostgreSQL: LOCK TABLE users IN EXCLUSIVE
# MODE, which stops writes and lets reads through, as SQLite's WAL does.
hold_write_lock() {
	local dir=$1
	if [[ $STACK_BACKEND == postgresql ]]; then
		# psql in one transaction holding a lock that lets reads through
		# (EXCLUSIVE conflicts with writes, not with ACCESS SHARE).
		{
			local deadline=$((SECONDS + 60))
			echo "BEGIN; LOCK TABLE users IN EXCLUSIVE MODE; SELECT 'locked';"
			while [[ ! -e $dir/release ]] && (( SECONDS < deadline )); do
				sleep 0.05 # sleep-ok: the poll interval of the holder's wait
			done
			echo "ROLLBACK;"
		} | psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" >"$dir/holder.out" 2>&1 &
		HOLDER=$!
		HOLD_DIR=$dir
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
	HOLD_DIR=$dir
}

# release_write_lock: let hold_write_lock's holder go (and stop it if it
# does not); safe when none is held.
release_write_lock() {
	[[ -n ${HOLD_DIR:-} ]] || return 0
	touch "$HOLD_DIR/release"
	if [[ -n ${HOLDER:-} ]] && ! wait_until 10 _holder_gone; then
		kill "$HOLDER" 2>/dev/null || true
	fi
	HOLD_DIR=
}

_holder_gone() {
	! kill -0 "$HOLDER" 2>/dev/null
}

# stack_db_dump: the stack's whole database as text (sqlite3 .dump, or
# pg_dump in the PostgreSQL pass).
stack_db_dump() {
	if [[ ${STACK_BACKEND:-sqlite} == postgresql ]]; then
		pg_dump --no-owner -d "$DATABASE_URL"
	else
		sqlite3 -batch -cmd '.timeout 5000' "$STACK_DB" .dump
	fi
}

# Print the logs of the stack (call from a failing test to see why).
dump_logs() {
	stack_dump_logs
}

# ---------------------------------------------------------------------------
# HTTP

# api METHOD PATH [BODY [CURL ARGS...]]: one request through nginx. BODY,
# when not empty, is sent as is with Content-Type API_CONTENT_TYPE (default
# application/json). Sets status (the HTTP code, 000 when none came), body,
# and API_HEADERS (the file holding the response headers).
api() {
	local method=$1 path=$2 data=${3-} out
	shift 2
	if [[ $# -gt 0 ]]; then
		shift
	fi
	out=${BATS_TEST_TMPDIR:-$STACK_DIR}
	API_BODY=$out/api-body
	API_HEADERS=$out/api-headers
	local -a args=(-s -o "$API_BODY" -D "$API_HEADERS" -w '%{http_code}'
	    --max-time "${API_TIMEOUT:-30}")
	if [[ $method == HEAD ]]; then
		args+=(-I)
	else
		args+=(-X "$method")
	fi
	if [[ -n $data ]]; then
		args+=(-H "Content-Type: ${API_CONTENT_TYPE:-application/json}"
		    --data-binary @-)
	fi
	: >"$API_BODY"
	: >"$API_HEADERS"
	status=$(printf '%s' "$data" | curl "${args[@]}" "$@" "$BASE$path") || true
	body=$(cat "$API_BODY")
	export API_BODY API_HEADERS
}

# api_bearer TOKEN METHOD PATH [BODY [CURL ARGS...]]
api_bearer() {
	local token=$1
	shift
	api "$1" "$2" "${3-}" -H "Authorization: Bearer $token" "${@:4}"
}

# api_form METHOD PATH FORMBODY [CURL ARGS...]: an urlencoded form.
api_form() {
	API_CONTENT_TYPE=application/x-www-form-urlencoded api "$@"
}

# raw_request BYTES: send BYTES (printf %b escapes: \r\n) as they are over
# one TCP connection to nginx and parse what comes back like api does
# (status, body, API_HEADERS). For requests curl refuses to make.
raw_request() {
	local out=${BATS_TEST_TMPDIR:-$STACK_DIR}
	API_BODY=$out/api-body
	API_HEADERS=$out/api-headers
	status=$(printf '%b' "$1" | "$PY" -c '
import socket, sys
req = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(req)
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    data += chunk
head, _, rest = data.partition(b"\r\n\r\n")
open(sys.argv[2], "wb").write(head + b"\r\n")
open(sys.argv[3], "wb").write(rest)
line = head.split(b"\r\n", 1)[0].split()
print(line[1].decode() if len(line) > 1 else "000")
' "$STACK_PORT" "$API_HEADERS" "$API_BODY") || status=000
	body=$(cat "$API_BODY")
	export API_BODY API_HEADERS
}

# header_value NAME: the value of a header of the last response (the last
# one if repeated), without CR; fails when absent.
header_value() {
	local v
	v=$(tr -d '\r' <"$API_HEADERS" |
	    awk -v n="$1" 'BEGIN { n = tolower(n) }
	        /^HTTP\// { found = 0; v = "" }
	        { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
	              v = substr($0, i + 1); sub(/^[ \t]+/, "", v); found = 1; last = v } }
	        END { if (found) print last; else exit 1 }') || return 1
	printf '%s\n' "$v"
}

# header_count NAME: how many times the last response carries NAME.
header_count() {
	tr -d '\r' <"$API_HEADERS" |
	    awk -v n="$1" 'BEGIN { n = tolower(n); c = 0 }
	        /^HTTP\// { c = 0 }
	        { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) c++ }
	        END { print c }'
}

# ---------------------------------------------------------------------------
# JSON (no jq: /usr/bin/python3)

# json_get PATH [JSON]: print the value at PATH (".user.id",
# ".detail[0].loc[1]", "." for the whole) of JSON (default: $body).
# Strings print raw, everything else as compact JSON (true, null, 3,
# {"a":1}). Fails when the path does not exist or the text is not JSON.
json_get() {
	local doc
	if [[ $# -ge 2 ]]; then doc=$2; else doc=${body-}; fi
	"$PY" -c '
import json, re, sys
path = sys.argv[1]
try:
    v = json.loads(sys.stdin.read())
except ValueError as e:
    sys.exit("json_get: not JSON (%s)" % e)
for key, idx in re.findall(r"\.([^.\[\]]+)|\[(-?\d+)\]", path):
    try:
        v = v[int(idx)] if idx else v[key]
    except (KeyError, IndexError, TypeError):
        sys.exit("json_get: no %s in the document" % path)
if isinstance(v, str):
    print(v)
else:
    print(json.dumps(v, separators=(",", ":"), ensure_ascii=False))
' "$1" <<<"$doc"
}

# json_len PATH [JSON]: number of elements of the array or object at PATH.
json_len() {
	local v
	v=$(json_get "$@") || return 1
	"$PY" -c 'import json, sys; print(len(json.loads(sys.stdin.read())))' <<<"$v"
}

# ---------------------------------------------------------------------------
# Assertions: print what was expected and what came, and fail.

_fail() {
	{
		printf '%s\n' "$@"
		printf 'status: %s\nbody: %s\n' "${status-}" "${body-}"
	} >&2
	return 1
}

# assert_status CODE
assert_status() {
	[[ ${status-} == "$1" ]] || _fail "expected status $1, got ${status-}"
}

# assert_json_eq PATH EXPECTED: the value at PATH prints as EXPECTED (see
# json_get: strings raw, the rest as compact JSON).
assert_json_eq() {
	local got
	got=$(json_get "$1") || _fail "no $1 in the body" || return 1
	[[ $got == "$2" ]] || _fail "expected $1 = $2" "got      $1 = $got"
}

# assert_json_match PATH REGEX (bash =~)
assert_json_match() {
	local got
	got=$(json_get "$1") || _fail "no $1 in the body" || return 1
	[[ $got =~ $2 ]] || _fail "expected $1 to match $2" "got $got"
}

# assert_json_has PATH / assert_json_absent PATH
assert_json_has() {
	json_get "$1" >/dev/null 2>&1 || _fail "expected $1 in the body"
}

assert_json_absent() {
	! json_get "$1" >/dev/null 2>&1 || _fail "expected no $1 in the body"
}

# assert_body_json EXPECTED: the body equals EXPECTED as JSON (key order and
# spacing do not matter).
assert_body_json() {
	"$PY" -c '
import json, sys
a, b = sys.argv[1], sys.argv[2]
try:
    sys.exit(0 if json.loads(a) == json.loads(b) else 1)
except ValueError:
    sys.exit(1)
' "${body-}" "$1" || _fail "expected body $1"
}

# assert_header NAME [VALUE]: the header is present (with VALUE).
assert_header() {
	local v
	v=$(header_value "$1") || _fail "expected a $1 header" || return 1
	if [[ $# -ge 2 ]]; then
		[[ $v == "$2" ]] || _fail "expected $1: $2" "got      $1: $v"
	fi
}

# ---------------------------------------------------------------------------
# Accounts

# unique_name [PREFIX]: a fresh valid username (letters, digits, _).
unique_name() {
	printf '%s%s\n' "${1:-u}" "$("$PY" -c 'import secrets; print(secrets.token_hex(5))')"
}

# shellcheck disable=SC2034 # USER_*: outputs for the tests
# registered [PASSWORD]: register a fresh account, not logged in (it has no
# session). Sets USER_EMAIL, USER_NAME, USER_PASSWORD, USER_ID.
registered() {
	USER_NAME=$(unique_name u)
	USER_EMAIL=$USER_NAME@example.com
	USER_PASSWORD=${1:-secret123}
	api POST /api/v1/auth/register \
	    "{\"email\":\"$USER_EMAIL\",\"username\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 201 || return 1
	USER_ID=$(json_get .id)
}

# new_user [PASSWORD]: registered, then logged in: also sets ACCESS_TOKEN
# and REFRESH_TOKEN.
new_user() {
	registered "$@" || return 1
	login_user "$USER_EMAIL" "$USER_PASSWORD"
}

# shellcheck disable=SC2034
# login_user LOGIN PASSWORD: JSON login; sets ACCESS_TOKEN, REFRESH_TOKEN.
login_user() {
	api POST /api/v1/auth/login "{\"login\":\"$1\",\"password\":\"$2\"}"
	assert_status 200 || return 1
	ACCESS_TOKEN=$(json_get .access_token)
	REFRESH_TOKEN=$(json_get .refresh_token)
}

# --- shared by several files: failing with a message, /metrics, tokens, CPU ---

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# scrape: GET /metrics into $BATS_TEST_TMPDIR/metrics.txt (status checked).
scrape() {
	api GET /metrics
	[[ $status == 200 ]] || { echo "GET /metrics: $status $body" >&2; return 1; }
	cp "$API_BODY" "$BATS_TEST_TMPDIR/metrics.txt"
}

# metric 'NAME{label="v",...}': the value of that sample in the last
# scrape, through prometheus_client's parser; 0 when absent.
metric() {
	"$PY" - "$BATS_TEST_TMPDIR/metrics.txt" "$1" <<'EOF'
import re, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?', sys.argv[2])
name, labels = m.group(1), dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        if s.name == name and s.labels == labels:
            v = s.value
            print(int(v) if v == int(v) else v)
            sys.exit(0)
print(0)
EOF
}

# A random token of the shape the service makes (43 base64url characters).
random_token() {
	"$PY" -c 'import secrets; print(secrets.token_urlsafe(32))'
}

# CPU ticks (user + system) used so far by all workers, fast and hashing.
worker_ticks() {
	local p t=0 s
	for p in $(worker_pids) $(hash_worker_pids); do
		s=$(sed 's/^.*) //' "/proc/$p/stat") || continue
		t=$((t + $(awk '{ print $12 + $13 }' <<<"$s")))
	done
	echo "$t"
}

# stored_reset_token USER_ID: stores a live reset token for the user, as
# forgot-password would, and prints it.
stored_reset_token() {
	local tok hex now
	tok=$(random_token)
	hex=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
	now=$(date +%s)
	stack_sql "INSERT INTO user_tokens (hash, user_id, kind, created_at, expires_at)
	     VALUES ($(sql_blob "$hex"), '$1', 'reset', $now, $((now + 900)))" || return 1
	echo "$tok"
}
