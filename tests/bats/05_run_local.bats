#!/usr/bin/env bats
#
# `make run`'s script, spawn/run-local, as a person uses it: it serves the
# whole flow on the given port with state in ./var, and Ctrl-C (SIGINT to
# its process group, as a terminal sends it) stops everything.

load helpers

setup_file() {
	# A tree of its own (links to this one), so ./var is not the
	# developer's.
	TREE=$BATS_FILE_TMPDIR/tree
	mkdir -p "$TREE"
	local f
	for f in spawn nginx mail auth.fcgi auth-mailer; do
		ln -s "$HELPERS_REPO/$f" "$TREE/$f"
	done
	export TREE
}

teardown_file() {
	# Whatever a failed test left running: a second to stop, then killed.
	pkill -TERM -f "$TREE" 2>/dev/null || true
	wait_until 1 _none_left || true
	pkill -KILL -f "$TREE" 2>/dev/null || true
}

@test "run-local serves register, login, me and validate, writes mail to var/outbox, and Ctrl-C stops everything" {
	local port out=$BATS_TEST_TMPDIR/run.out
	port=$(stack_free_port)
	# Started in its own session with SIGINT at its default, like a
	# terminal's foreground job; the launcher prints the session id.
	PORT=$port "$PY" -c '
import os, signal, subprocess, sys
p = subprocess.Popen(["./spawn/run-local"], cwd=sys.argv[1],
    stdout=open(sys.argv[2], "w"), stderr=subprocess.STDOUT,
    stdin=subprocess.DEVNULL, start_new_session=True,
    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
print(p.pid)' "$TREE" "$out" >"$BATS_TEST_TMPDIR/pgid"
	local pgid
	pgid=$(cat "$BATS_TEST_TMPDIR/pgid")
	BASE=http://127.0.0.1:$port
	export BASE
	if ! wait_until 30 curl -sf -o /dev/null "$BASE/health/live"; then
		cat "$out"
		kill -TERM -- "-$pgid" || true
		false
	fi
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_status 200
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	wait_until 10 bash -c "ls '$TREE'/var/outbox/*.eml >/dev/null 2>&1"
	[ "$(stat -c %a "$TREE/var")" = 700 ]
	[ "$(stat -c %a "$TREE/var/auth.db")" = 600 ]
	kill -INT -- "-$pgid"
	wait_until 20 bash -c "! kill -0 $pgid 2>/dev/null"
	grep -q "run-local: stopped" "$out"
	# Nothing of this tree is left running.
	wait_until 5 _none_left
}

# _none_left: no process runs from TREE.
_none_left() {
	[[ -z $(pgrep -f "$TREE" || true) ]]
}
