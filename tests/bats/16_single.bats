#!/usr/bin/env bats
#
# auth.fcgi --single as plain workers under spawn-fcgi -F N, no master:
# AUTH_WORKERS fast ones, and the hashing ones (--class hash) on their own
# socket.

load helpers

setup_file() {
	export STACK_SPAWN_MODE=single AUTH_WORKERS=3
	# Three processes start at once and race to create this administrator.
	export ADMIN_EMAIL=root@example.com ADMIN_USERNAME=admin ADMIN_PASSWORD=admin-pass1
	# A slower hash widens the window between "no ADMIN yet" and the insert.
	export ARGON2_T_COST=30 ARGON2_MAX_T_COST=100
	# With that hash a lone hashing worker under the sanitizers is busy for
	# seconds (its start-up dummy hash, the racing bootstrap): requests
	# queued behind it must not meet the queue timeout, which 18_hashpool
	# tests on its own.
	export HASH_QUEUE_TIMEOUT_MS=120000
	start_stack
}

teardown_file() {
	stop_stack
}

@test "spawn-fcgi -F 3 runs three plain workers that share the database" {
	[ "$(grep -c . "$STACK_RUN_DIR/authd-single.pids")" -eq 3 ]
	local p
	while read -r p; do
		kill -0 "$p"
		[ -z "$(pgrep -P "$p")" ]
	done <"$STACK_RUN_DIR/authd-single.pids"
	new_user
	local i
	for i in 1 2 3 4 5 6; do
		api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
		assert_status 200
	done
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 200
}

@test "processes racing to create the ADMIN_* administrator all start, and there is one" {
	local p
	while read -r p; do
		kill -0 "$p"
	done <"$STACK_RUN_DIR/authd-single.pids"
	[ "$(stack_sql "SELECT count(*) FROM users WHERE account_role = 'ADMIN'")" -eq 1 ]
	login_user root@example.com admin-pass1
	api_bearer "$ACCESS_TOKEN" GET '/api/v1/auth/validate?role=ADMIN'
	assert_status 200
}

@test "the hashing workers are spawn-fcgi -F of auth.fcgi --single --class hash on their own socket, at nice 10" {
	local p
	[ "$(grep -c . "$STACK_RUN_DIR/authd-single-hash.pids")" -eq 1 ]
	p=$(head -n 1 "$STACK_RUN_DIR/authd-single-hash.pids")
	kill -0 "$p"
	[ "$(ps -o comm= -p "$p")" = auth.fcgi-hash ]
	[ "$(ps -o ni= -p "$p" | tr -d ' ')" -eq 10 ]
	assert_own_autogroup "$p" 10
	[ -z "$(pgrep -P "$p")" ]
	registered
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	# spawn-fcgi -F closes its children's stderr: the access log's
	# upstream tells where the login went (only that worker listens there).
	local id
	id=$(header_value X-Request-Id)
	wait_until 5 grep -q " $id " "$STACK_NGINX_ACCESS_LOG"
	[ "$(grep " $id " "$STACK_NGINX_ACCESS_LOG" | awk '{ print $NF }')" = "unix:$STACK_HASH_SOCKET" ]
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	id=$(header_value X-Request-Id)
	wait_until 5 grep -q " $id " "$STACK_NGINX_ACCESS_LOG"
	[ "$(grep " $id " "$STACK_NGINX_ACCESS_LOG" | awk '{ print $NF }')" = "unix:$STACK_SOCKET" ]
}

# bats test_tags=sqlite-file
@test "a worker starting while another process locks the fresh database waits for the lock, then starts" {
	# Switching a new database to WAL answered "database is locked" at
	# once, without the busy timeout, while another process held a lock:
	# workers started together (spawn-fcgi -F N) sometimes lost one, which
	# left its socket unanswered. Here another connection holds the lock
	# for a second from when the worker has the database open (the
	# contention itself, not a wait for an event); the worker must still
	# be waiting when it is released, then start. (A
	# write transaction of a database not yet in WAL: the lock a process
	# starting just before holds.)
	local d
	d=$(mktemp -d "$BATS_FILE_TMPDIR/fresh.XXXXXX")
	run env SECRET_KEY=fresh-start-secret-key-0123456789abcdef0123 \
	    AUTH_STATE_DIR="$d" DATABASE_PATH="$d/auth.db" MAIL_SPOOL_DIR="$d/spool" \
	    SQLITE_BUSY_TIMEOUT_MS=10000 /usr/bin/python3 - "$AUTHD_BIN" "$d" <<'PY'
import os, sqlite3, subprocess, sys, time
binary, d = sys.argv[1], sys.argv[2]
holder = sqlite3.connect(os.path.join(d, "auth.db"), isolation_level=None)
holder.execute("BEGIN IMMEDIATE")
holder.execute("CREATE TABLE holder (x)")
log = open(os.path.join(d, "check.log"), "w")
worker = subprocess.Popen([binary, "--check"], stdout=log, stderr=log)
# The hold counts from when the worker has the database open (a slow
# start, under a sanitizer or qemu, must not make the test vacuous).
db = os.path.realpath(os.path.join(d, "auth.db"))
def has_db_open():
    try:
        fds = os.listdir("/proc/%d/fd" % worker.pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (worker.pid, fd)) == db:
                return True
        except OSError:
            pass
    return False
deadline = time.monotonic() + 30
while not has_db_open() and worker.poll() is None:
    if time.monotonic() > deadline:
        sys.exit("the worker never opened the database")
    time.sleep(0.02)
time.sleep(1)
early = worker.poll()
holder.execute("ROLLBACK")
holder.close()
rc = worker.wait(timeout=60)
print("exited while locked: %s, exit status: %d" % (early, rc))
sys.exit(0 if early is None and rc == 0 else 1)
PY
	if [ "$status" -ne 0 ]; then
		cat "$d/check.log"
		_fail "$output"
	fi
	grep -q "configuration ok" "$d/check.log" || _fail "no 'configuration ok'"
}
