#!/usr/bin/env bats
#
# GET /metrics (SPEC §10): Prometheus text summed over the workers, read
# with a real parser (python3-prometheus-client); METRICS_ALLOW; the
# spool's counts in /health/ready.

load helpers

setup_file() {
	export LOGIN_MAX_FAILURES=3 REFRESH_REUSE_GRACE_SECONDS=0
	start_stack
}

teardown_file() {
	stop_stack
}

@test "GET /metrics is Prometheus text that prometheus_client parses, with every family of SPEC §10" {
	scrape
	[[ $(header_value Content-Type) == "text/plain; version=0.0.4"* ]] || fail "$(header_value Content-Type)"
	run "$PY" - "$BATS_TEST_TMPDIR/metrics.txt" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f.type for f in text_string_to_metric_families(open(sys.argv[1]).read())}
want = {
    "authd_build_info": "gauge",
    "authd_http_requests": "counter",
    "authd_http_request_duration_seconds": "histogram",
    "authd_logins": "counter",
    "authd_registrations": "counter",
    "authd_refreshes": "counter",
    "authd_refresh_reuse_detections": "counter",
    "authd_lockouts": "counter",
    "authd_db_busy": "counter",
    "authd_worker_restarts": "counter",
    "authd_users": "gauge",
    "authd_mail_messages": "gauge",
    "authd_mail_sent": "counter",
    "authd_mail_failed": "counter",
}
bad = {k: fams.get(k) for k, t in want.items() if fams.get(k) != t}
print(bad)
sys.exit(1 if bad else 0)
EOF
	[ "$status" -eq 0 ] || fail "missing or mistyped families: $output"
	[ "$(metric 'authd_build_info{version="0.1.0"}')" = 1 ] || fail "build info"
}

@test "counters move with traffic: requests by route, method and status, logins, registrations, refreshes, users" {
	scrape
	local v0 r0 s0 f0 ref0 inv0 u0 nf0
	v0=$(metric 'authd_http_requests_total{route="/api/v1/auth/validate",method="GET",status="200"}')
	r0=$(metric 'authd_registrations_total')
	s0=$(metric 'authd_logins_total{result="success"}')
	f0=$(metric 'authd_logins_total{result="failure"}')
	ref0=$(metric 'authd_refreshes_total{result="success"}')
	inv0=$(metric 'authd_refreshes_total{result="invalid"}')
	u0=$(metric 'authd_users{state="unverified"}')
	nf0=$(metric 'authd_http_requests_total{route="unmatched",method="GET",status="404"}')
	new_user
	local i
	for i in 1 2 3 4 5; do
		api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
		assert_status 200
	done
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong-pass1\"}"
	assert_status 401
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 200
	api POST /api/v1/auth/refresh '{"refresh_token":"not-a-token"}'
	assert_status 401
	api GET /no/such/path
	assert_status 404
	scrape
	[ "$(metric 'authd_http_requests_total{route="/api/v1/auth/validate",method="GET",status="200"}')" -eq $((v0 + 5)) ] || fail "validate"
	[ "$(metric 'authd_registrations_total')" -eq $((r0 + 1)) ] || fail "registrations"
	[ "$(metric 'authd_logins_total{result="success"}')" -eq $((s0 + 1)) ] || fail "logins success"
	[ "$(metric 'authd_logins_total{result="failure"}')" -eq $((f0 + 1)) ] || fail "logins failure"
	[ "$(metric 'authd_refreshes_total{result="success"}')" -eq $((ref0 + 1)) ] || fail "refresh success"
	[ "$(metric 'authd_refreshes_total{result="invalid"}')" -eq $((inv0 + 1)) ] || fail "refresh invalid"
	[ "$(metric 'authd_users{state="unverified"}')" -eq $((u0 + 1)) ] || fail "users"
	[ "$(metric 'authd_http_requests_total{route="unmatched",method="GET",status="404"}')" -eq $((nf0 + 1)) ] || fail "unmatched"
	[ "$(metric 'authd_http_requests_total{route="/api/v1/auth/login",method="POST",status="401"}')" -ge 1 ] || fail "login 401"
}

@test "lockouts, locked sign-ins and refresh-token reuse are counted" {
	scrape
	local l0 k0 re0
	l0=$(metric 'authd_lockouts_total')
	k0=$(metric 'authd_logins_total{result="locked"}')
	re0=$(metric 'authd_refresh_reuse_detections_total')
	new_user
	local spent=$REFRESH_TOKEN i
	for i in 1 2 3; do
		api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong-pass1\"}"
		assert_status 401
	done
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 429
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$spent\"}"
	assert_status 200
	# Presented again past the grace (0 s, counted in whole seconds).
	reuse_seen() {
		api POST /api/v1/auth/refresh "{\"refresh_token\":\"$spent\"}"
		scrape >/dev/null || return 1
		[ "$(metric 'authd_refresh_reuse_detections_total')" -eq $((re0 + 1)) ]
	}
	wait_until 10 reuse_seen || fail "no reuse detection counted"
	[ "$(metric 'authd_lockouts_total')" -eq $((l0 + 1)) ] || fail "lockouts"
	[ "$(metric 'authd_logins_total{result="locked"}')" -eq $((k0 + 1)) ] || fail "locked"
}

@test "the duration histogram is consistent: cumulative buckets, +Inf = count = the route's requests" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	scrape
	run "$PY" - "$BATS_TEST_TMPDIR/metrics.txt" <<'EOF'
import sys
from collections import defaultdict
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
h, req = fams["authd_http_request_duration_seconds"], fams["authd_http_requests"]
buckets, count, total = defaultdict(list), {}, defaultdict(float)
for s in h.samples:
    r = s.labels["route"]
    if s.name.endswith("_bucket"):
        buckets[r].append((float(s.labels["le"]), s.value))
    elif s.name.endswith("_count"):
        count[r] = s.value
    elif s.name.endswith("_sum"):
        assert s.value >= 0, s
for s in req.samples:
    total[s.labels["route"]] += s.value
assert "/api/v1/auth/validate" in count, count
for r, bs in buckets.items():
    bs.sort()
    vals = [v for _, v in bs]
    assert vals == sorted(vals), (r, vals)
    assert bs[-1][0] == float("inf") and bs[-1][1] == count[r], (r, bs, count[r])
    # The scrape itself is counted once it is answered: /metrics may lag by one.
    lag = 1 if r == "/metrics" else 0
    assert count[r] <= total[r] + lag and count[r] >= total[r] - lag, (r, count[r], total[r])
print("ok", len(buckets))
EOF
	[ "$status" -eq 0 ] || fail "$output"
}

@test "a worker killed with SIGKILL and respawned loses none of the totals" {
	new_user
	local i before after rs0
	for i in 1 2 3 4 5 6; do
		api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
		assert_status 200
	done
	scrape
	before=$(metric 'authd_http_requests_total{route="/api/v1/auth/validate",method="GET",status="200"}')
	rs0=$(metric 'authd_worker_restarts_total')
	kill_worker KILL
	wait_for_workers 2 10
	scrape
	after=$(metric 'authd_http_requests_total{route="/api/v1/auth/validate",method="GET",status="200"}')
	[ "$after" -eq "$before" ] || fail "validate count $before before the kill, $after after"
	[ "$(metric 'authd_worker_restarts_total')" -eq $((rs0 + 1)) ] || fail "restarts"
	for i in 1 2 3 4; do
		api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
		assert_status 200
	done
	scrape
	[ "$(metric 'authd_http_requests_total{route="/api/v1/auth/validate",method="GET",status="200"}')" -eq $((before + 4)) ] || fail "after respawn"
}

@test "/health/ready and /metrics report the spool's messages by state; the mailer's sent total moves" {
	scrape
	local sent0 f
	sent0=$(metric 'authd_mail_sent_total')
	f=$MAIL_SPOOL_DIR/failed/00000000-0000-4000-8000-000000000001.json
	printf '{}' >"$f"
	api GET /health/ready
	assert_status 200
	assert_json_eq .mail_spool.failed 1
	assert_json_eq .mail_spool.new 0
	scrape
	[ "$(metric 'authd_mail_messages{state="failed"}')" -eq 1 ] || fail "failed gauge"
	rm -f "$f"
	# A registration queues a verification mail; the mailer sends it.
	registered
	sent_moved() {
		scrape >/dev/null || return 1
		(( $(metric 'authd_mail_sent_total') > sent0 ))
	}
	wait_until 15 sent_moved || fail "authd_mail_sent_total stayed at $sent0"
}

@test "METRICS_ALLOW refuses other addresses (403), whatever X-Real-IP the client sends; bad values stop the start" {
	run env METRICS_ALLOW=10.0.0.0/8,2001:db8::/32 "$AUTHD_BIN" --check
	[ "$status" -eq 0 ] || fail "a good list refused: $output"
	run env METRICS_ALLOW=10.0.0.0/33 "$AUTHD_BIN" --check
	[ "$status" -eq 2 ] || fail "status $status: $output"
	[[ $output == *METRICS_ALLOW* ]] || fail "$output"
	stop_authd
	METRICS_ALLOW=10.0.0.0/8 start_authd
	api GET /metrics
	assert_status 403
	assert_body_json '{"detail":"Forbidden"}'
	api GET /metrics '' -H 'X-Real-IP: 10.1.2.3'
	assert_status 403
	stop_authd
	METRICS_ENABLED=false start_authd
	api GET /metrics
	assert_status 404
	stop_authd
	start_authd
	scrape
}

# prom_query EXPR: the first value of an instant query to the test's
# Prometheus, "" when none.
prom_query() {
	curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
	    --data-urlencode "query=$1" | "$PY" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
except Exception:
    r = []
print(r[0]["value"][1] if r else "")'
}

prom_scraped() {
	[[ $(prom_query 'up{job="authd"}') == 1 ]] &&
	    [[ -n $(prom_query 'authd_http_requests_total{route="/api/v1/auth/validate"}') ]]
}

@test "Debian's Prometheus scrapes /metrics through nginx and stores the families" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	PROM_PORT=$(stack_free_port)
	local dir=$BATS_TEST_TMPDIR/prom pid
	mkdir -p "$dir"
	cat >"$dir/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: authd
    static_configs:
      - targets: ["127.0.0.1:$STACK_PORT"]
EOC
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
	    --web.listen-address="127.0.0.1:$PROM_PORT" >"$dir/log" 2>&1 &
	pid=$!
	local ok=0
	wait_until 60 prom_scraped && ok=1
	[[ $(prom_query 'authd_build_info') == 1 ]] || ok=0
	[[ -n $(prom_query 'authd_http_request_duration_seconds_bucket{route="/api/v1/auth/validate",le="+Inf"}') ]] || ok=0
	[[ -n $(prom_query 'authd_users{state="unverified"}') ]] || ok=0
	local why=
	[[ $ok == 1 ]] || why="$(tail -20 "$dir/log") $(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/targets" | head -c 2000)"
	kill "$pid"
	wait "$pid" || true
	[[ $ok == 1 ]] || fail "Prometheus did not store the metrics:" "$why"
}
