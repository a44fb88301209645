#!/usr/bin/env bats
#
# A master killed outright (SIGKILL: supervisord's killasgroup past
# stopwaitsecs, the OOM killer) leaves no worker behind, whatever session
# the worker is in: the hashing workers lead sessions of their own (their
# autogroup's nice, docs/DECISIONS.md "Two worker pools"), so a kill of
# the master's process group no longer reaches them; PR_SET_PDEATHSIG
# does.

load helpers

setup_file() {
	export AUTH_WORKERS=2 AUTH_HASH_WORKERS=2
	start_stack
	wait_for_workers 2 10
	_two_hashers() {
		[[ $(hash_worker_pids | wc -l) -eq 2 ]]
	}
	wait_until 20 _two_hashers
}

teardown_file() {
	stop_stack
}

@test "every worker, fast or hashing, ends when the master is killed with SIGKILL" {
	local master pids p
	master=$(authd_pid)
	pids=$(worker_pids; hash_worker_pids)
	[ "$(wc -w <<<"$pids")" -eq 4 ]
	for p in $(hash_worker_pids); do
		[ "$(ps -o pgid= -p "$p" | tr -d ' ')" != "$(ps -o pgid= -p "$master" | tr -d ' ')" ] ||
		    _fail "hashing worker $p is in the master's process group"
	done
	kill -KILL "$master"
	_all_gone() {
		local q
		for q in $pids; do
			kill -0 "$q" 2>/dev/null && return 1
		done
		return 0
	}
	wait_until 10 _all_gone || _fail "still running: $(ps -o pid=,comm= -p "${pids//$'\n'/,}")"
}
