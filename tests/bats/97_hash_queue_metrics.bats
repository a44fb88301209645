#!/usr/bin/env bats
#
# The hashing queue's timeout in /metrics (issue 10): a hashing request
# that waited longer than HASH_QUEUE_TIMEOUT_MS for a hashing worker is
# answered 503 with Retry-After and counted in
# authd_hash_queue_timeouts_total; a hashing request served in time is
# not. One hashing worker and a short timeout make the queue easy to
# stall (the worker is stopped with SIGSTOP while a login waits).

# shellcheck disable=SC2154 # status and output are set by run (bats)

load helpers

FCGI=$HELPERS_REPO/tests/fcgi_client.py

setup_file() {
	export AUTH_WORKERS=2 AUTH_HASH_WORKERS=1
	export HASH_QUEUE_TIMEOUT_MS=1000
	start_stack
	_hash_ready() {
		grep -q 'hash worker ready' "$STACK_AUTH_LOG"
	}
	wait_until 20 _hash_ready
}

teardown_file() {
	stop_stack
}

# A test that stopped the hashing worker lets it go again whatever happened.
teardown() {
	local p
	for p in $(hash_worker_pids); do
		kill -CONT "$p" 2>/dev/null || true
	done
}

now_ms() {
	date +%s%3N
}

# timeouts: the value of authd_hash_queue_timeouts_total in the last
# scrape, read with prometheus_client's parser; "absent" when the family
# or its sample is missing.
timeouts() {
	"$PY" - "$BATS_TEST_TMPDIR/metrics.txt" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    if fam.name == "authd_hash_queue_timeouts" and fam.type == "counter":
        for s in fam.samples:
            if s.name == "authd_hash_queue_timeouts_total" and not s.labels:
                print(int(s.value))
                sys.exit(0)
print("absent")
EOF
}

@test "authd_hash_queue_timeouts_total is a counter of /metrics, 0 while every hashing request is served in time" {
	new_user
	scrape
	[ "$(timeouts)" = 0 ] || fail "before any timeout: $(timeouts)"
	grep -q '^# HELP authd_hash_queue_timeouts_total .*HASH_QUEUE_TIMEOUT_MS' \
	    "$BATS_TEST_TMPDIR/metrics.txt" || fail "no HELP line"
}

@test "a login that waited past HASH_QUEUE_TIMEOUT_MS behind a stopped hashing worker gets 503 and counts once; logins in time do not count" {
	new_user
	scrape
	local c0 c1 hp t0 pid out=$BATS_TEST_TMPDIR/late old body
	c0=$(timeouts)
	[[ $c0 =~ ^[0-9]+$ ]] || fail "no counter: $c0"

	# Through nginx: the login waits in the hashing socket's backlog
	# while the only hashing worker is stopped.
	hp=$(hash_worker_pids)
	[ -n "$hp" ] || fail "no hashing worker"
	kill -STOP "$hp"
	t0=$(now_ms)
	curl -s -o "$out.body" -D "$out.headers" -w '%{http_code}' --max-time 20 \
	    -H 'Content-Type: application/json' \
	    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" \
	    "$BASE/api/v1/auth/login" >"$out" &
	pid=$!
	wait_until 5 bash -c "(( \$(date +%s%3N) - $t0 > 1300 ))"
	kill -0 "$pid" || fail "the login was answered while the worker was stopped"
	kill -CONT "$hp"
	wait "$pid"
	[ "$(cat "$out")" = 503 ] || fail "late login: $(cat "$out") $(cat "$out.body")"
	grep -qi '^Retry-After: 1' "$out.headers" || fail "no Retry-After"

	# Straight to the hashing socket, handed over 1.5 s ago.
	old=$(( $(now_ms) - 1500 ))
	old="${old:0:-3}.${old: -3}"
	body="{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	run "$PY" "$FCGI" "$STACK_HASH_SOCKET" POST /api/v1/auth/login \
	    "AUTHD_REQUEST_START=$old" <<<"$body"
	[ "$status" -eq 0 ] || fail "fcgi client: $output"
	[ "${lines[0]}" = 503 ] || fail "old request: ${lines[0]}"

	scrape
	c1=$(timeouts)
	[ "$c1" = $((c0 + 2)) ] || fail "after two late logins: $c0 -> $c1"

	# A login served in time is not a timeout.
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	scrape
	[ "$(timeouts)" = "$c1" ] || fail "a login in time counted: $c1 -> $(timeouts)"
}
