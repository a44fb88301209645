#!/usr/bin/env bats
# The audit of issue 9 (the security review): what 55_security,
# 56_full_disk and 57_strict_input left untested, each through the route
# a user or operator meets it by:
#   - every password-change route voids the reset links mailed before it
#     (authctl user set-password, the account page), and a reset voids
#     the user's other links;
#   - authctl user add hashes nothing for an email or username held;
#   - the reset and verify pages answer 429 (Retry-After) over
#     TOKEN_ATTEMPTS_PER_IP_PER_MINUTE, like the API;
#   - the per-address login and registration limits count an IPv6 client
#     by its /64 (sent straight to a worker socket: nginx here only ever
#     sees 127.0.0.1);
#   - reuse detection refuses the access tokens of the user's other
#     sessions too (the token generation, not only the family's sid);
#   - phone-looking usernames refused by the register page and authctl;
#   - attempts that cannot be recorded, on both backends (a trigger
#     refuses every insert into throttle_events, in every connection at
#     once): 503 before any verification, /health/ready down;
#   - a full disk: reset, verify, registration, password change and the
#     sign-in and account pages answer 503 with Retry-After before any password is
#     verified or hashed, and nothing changed (SQLite only: the disk
#     under the SQLite file; last in the file, it leaves the tmpfs to
#     teardown_file).
#
# CPU time (the workers' from /proc, authctl's from rusage) stands in for
# "no password was hashed": an argon2 hash costs tens of milliseconds of
# CPU, a refused request a fraction of one, whatever the machine's load.

load helpers
load page_helpers

setup_file() {
	export AUTH_WORKERS=2
	# Verifications that really run at once (the default on 2 CPUs is
	# one hashing worker, which serialises every login).
	export AUTH_HASH_WORKERS=4
	export LOGIN_MAX_FAILURES=5
	export LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE=8
	export REGISTER_MAX_PER_IP_PER_HOUR=6
	export TOKEN_ATTEMPTS_PER_IP_PER_MINUTE=5
	start_stack
}

teardown_file() {
	local rc=0
	# The full-disk test's tmpfs (set in its own subshell, so named again).
	FULL_DIR=${STACK_DIR:-}/fullfs
	if [[ -n ${STACK_DIR:-} ]] && mountpoint -q "$FULL_DIR"; then
		# The workers close the database before it is unmounted.
		stop_authd || rc=1
		umount "$FULL_DIR" || rc=1
	fi
	stop_stack || rc=1
	return "$rc"
}

setup() {
	stack_sql "DELETE FROM throttle_events; DELETE FROM lockouts;"
}

teardown() {
	if [[ -e $BATS_TEST_TMPDIR/refusing ]]; then
		allow_writes
	fi
}

# refuse_writes: every insert into throttle_events fails from now on, in
# every connection at once (a trigger), as on a database that cannot be
# written; allow_writes undoes it.
refuse_writes() {
	: >"$BATS_TEST_TMPDIR/refusing"
	if [[ ${STACK_BACKEND:-sqlite} == postgresql ]]; then
		stack_sql 'CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION $m$no space left$m$; END $f$' \
		    'CREATE TRIGGER audit_refuse BEFORE INSERT ON throttle_events FOR EACH ROW EXECUTE FUNCTION audit_refuse()'
	else
		stack_sql "CREATE TRIGGER audit_refuse BEFORE INSERT ON throttle_events BEGIN SELECT RAISE(ABORT, 'no space left'); END;"
	fi
}

allow_writes() {
	if [[ ${STACK_BACKEND:-sqlite} == postgresql ]]; then
		stack_sql 'DROP TRIGGER IF EXISTS audit_refuse ON throttle_events' \
		    'DROP FUNCTION IF EXISTS audit_refuse()'
	else
		stack_sql "DROP TRIGGER IF EXISTS audit_refuse;"
	fi
	rm -f "$BATS_TEST_TMPDIR/refusing"
}

# reset_works TOKEN: whether TOKEN still resets a password (200), else
# the status is left in $status.
reset_works() {
	api POST /api/v1/auth/reset-password "{\"token\":\"$1\",\"new_password\":\"attacker-pass3\"}"
	[[ $status -eq 200 ]]
}

# actl_cpu PASSWORD ARGS...: authctl ARGS with PASSWORD on its standard
# input; sets status, err and cpu_ms (its CPU time, user + system).
actl_cpu() {
	local pw=$1 e=$BATS_TEST_TMPDIR/actl.err o
	shift
	o=$("$PY" - "$e" "$pw" "$AUTHCTL_BIN" "$@" <<'EOF'
import resource, subprocess, sys
with open(sys.argv[1], "wb") as err:
    p = subprocess.run(sys.argv[3:], input=(sys.argv[2] + "\n").encode(),
                       stdout=subprocess.DEVNULL, stderr=err)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(p.returncode, int((u.ru_utime + u.ru_stime) * 1000))
EOF
	) || return 1
	status=${o% *}
	cpu_ms=${o#* }
	err=$(cat "$e")
}

# fcgi SOCKET ADDRESS PATH BODY: a request straight to a worker socket as
# if nginx had passed on a client ADDRESS; sets status and body.
fcgi() {
	local out
	out=$(printf '%s' "$4" | "$PY" "$HELPERS_REPO/tests/fcgi_client.py" \
	    "$1" POST "$3" "HTTP_X_REAL_IP=$2") || return 1
	status=$(head -n 1 <<<"$out")
	body=$(tail -n +2 <<<"$out" | sed '1,/^\r*$/d')
}

@test "authctl user set-password voids a reset link mailed before it" {
	registered
	local tok
	tok=$(stored_reset_token "$USER_ID")
	"$AUTHCTL_BIN" user set-password "$USER_ID" --password-stdin <<<"operator-pass4" >/dev/null
	run reset_works "$tok"
	[ "$status" -ne 0 ] || _fail "the old reset link still worked"
	login_user "$USER_EMAIL" operator-pass4
}

@test "the account page's password change voids a reset link mailed before it" {
	registered
	local tok
	tok=$(stored_reset_token "$USER_ID")
	JAR=$BATS_TEST_TMPDIR/jar
	browser_login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 303
	form_post /auth/account/password "current_password=$USER_PASSWORD&new_password=page-pass5" /auth/account
	assert_status 303
	run reset_works "$tok"
	[ "$status" -ne 0 ] || _fail "the old reset link still worked"
	login_user "$USER_EMAIL" page-pass5
}

@test "a reset voids the user's other reset links" {
	registered
	local first second
	first=$(stored_reset_token "$USER_ID")
	second=$(stored_reset_token "$USER_ID")
	api POST /api/v1/auth/reset-password "{\"token\":\"$second\",\"new_password\":\"reset-pass6\"}"
	assert_status 200
	api POST /api/v1/auth/reset-password "{\"token\":\"$first\",\"new_password\":\"attacker-pass3\"}"
	assert_status 400
	assert_json_eq .detail "Invalid or expired reset token"
	login_user "$USER_EMAIL" reset-pass6
}

@test "authctl user add hashes nothing for an email or a username already held" {
	registered
	local used ok name
	# A costly hash for authctl alone, so one shows in its CPU time over
	# the program's own start (which qemu makes dear: make test-arm64's
	# cheap test hash of 1 MiB would not, so the memory is set too).
	export ARGON2_T_COST=40 ARGON2_MAX_T_COST=100 ARGON2_M_COST_KIB=19456
	name=$(unique_name c)
	actl_cpu "ctl-pass123" user add --email "$name@example.com" --username "$name" --password-stdin
	[ "$status" -eq 0 ] || _fail "the add failed: $err"
	ok=$cpu_ms
	actl_cpu "ctl-pass123" user add --email "$USER_EMAIL" --username "$(unique_name c)" --password-stdin
	[ "$status" -eq 1 ] || _fail "exit $status: $err"
	[[ $err == *"Email already registered"* ]] || _fail "$err"
	used=$cpu_ms
	actl_cpu "ctl-pass123" user add --email "$(unique_name c)@example.com" --username "${USER_NAME^^}" --password-stdin
	[ "$status" -eq 1 ] || _fail "exit $status: $err"
	[[ $err == *"Username already taken"* ]] || _fail "$err"
	echo "authctl CPU: add with a hash $ok ms; email held $used ms; username held $cpu_ms ms"
	(( used * 3 < ok ))
	(( cpu_ms * 3 < ok ))
}

@test "the reset and verify pages answer 429 with Retry-After over TOKEN_ATTEMPTS_PER_IP_PER_MINUTE" {
	local i tok ra
	for ((i = 0; i < 5; i++)); do
		api POST /api/v1/auth/verify-email "{\"token\":\"$(random_token)\"}"
		assert_status 400
	done
	JAR=$BATS_TEST_TMPDIR/jar
	tok=$(random_token)
	form_post /auth/reset-password "token=$tok&new_password=page-pass7" "/auth/reset-password?token=$tok"
	assert_status 429
	ra=$(header_value Retry-After)
	(( ra >= 1 && ra <= 60 ))
	form_post /auth/verify-email "token=$tok" "/auth/verify-email?token=$tok"
	assert_status 429
	ra=$(header_value Retry-After)
	(( ra >= 1 && ra <= 60 ))
}

@test "16 parallel wrong passwords on 4 hashing workers: exactly LOGIN_MAX_FAILURES (5) verified (401), the rest 429" {
	registered
	local i n401 n429
	for i in $(seq 1 16); do
		curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
		    -d "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong-pass$i\"}" \
		    "$BASE/api/v1/auth/login" >"$BATS_TEST_TMPDIR/code.$i" &
	done
	for i in $(seq 1 16); do
		wait_until 60 test -s "$BATS_TEST_TMPDIR/code.$i"
	done
	cat "$BATS_TEST_TMPDIR"/code.* | sort | uniq -c
	n401=$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^401$')
	n429=$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^429$')
	[ "$n401" -eq 5 ]
	[ "$n429" -eq 11 ]
	[ "$(hash_worker_pids | wc -w)" -eq 4 ]
}

@test "failed logins per address count an IPv6 client by its /64" {
	local i
	for ((i = 1; i <= 8; i++)); do
		fcgi "$STACK_HASH_SOCKET" "2001:db8:5:6:$i::1" /api/v1/auth/login "{\"login\":\"$(unique_name n)@example.com\",\"password\":\"wrong-pass$i\"}"
		assert_status 401
	done
	# Another address of the same /64 is the same client, over its limit.
	fcgi "$STACK_HASH_SOCKET" "2001:db8:5:6:ffff::9" /api/v1/auth/login "{\"login\":\"$(unique_name n)@example.com\",\"password\":\"wrong-pass9\"}"
	assert_status 429
	# Another /64 is another client.
	fcgi "$STACK_HASH_SOCKET" "2001:db8:5:7::1" /api/v1/auth/login "{\"login\":\"$(unique_name n)@example.com\",\"password\":\"wrong-pass6\"}"
	assert_status 401
	[ "$(stack_sql "SELECT count(*) FROM throttle_events WHERE bucket = 'login_ip' AND key = '2001:db8:5:6::/64'")" -eq 8 ]
}

@test "registrations per address count an IPv6 client by its /64" {
	registered
	local i
	# Conflicts count (SPEC §6) and hash nothing.
	for ((i = 1; i <= 6; i++)); do
		fcgi "$STACK_HASH_SOCKET" "2001:db8:8:9:$i::1" /api/v1/auth/register "{\"email\":\"$USER_EMAIL\",\"username\":\"$(unique_name r)\",\"password\":\"secret123\"}"
		assert_status 409
	done
	fcgi "$STACK_HASH_SOCKET" "2001:db8:8:9:abcd::2" /api/v1/auth/register "{\"email\":\"$USER_EMAIL\",\"username\":\"$(unique_name r)\",\"password\":\"secret123\"}"
	assert_status 429
	fcgi "$STACK_HASH_SOCKET" "2001:db8:8:a::1" /api/v1/auth/register "{\"email\":\"$USER_EMAIL\",\"username\":\"$(unique_name r)\",\"password\":\"secret123\"}"
	assert_status 409
	[ "$(stack_sql "SELECT count(*) FROM throttle_events WHERE bucket = 'register_ip' AND key = '2001:db8:8:9::/64'")" -eq 6 ]
}

@test "refresh reuse detection refuses the access tokens of the user's other sessions; they refresh normally" {
	new_user
	local stolen=$REFRESH_TOKEN other_access other_refresh
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	other_access=$ACCESS_TOKEN
	other_refresh=$REFRESH_TOKEN
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$stolen\"}"
	assert_status 200
	stack_sql "UPDATE refresh_tokens SET spent_at = spent_at - 100 WHERE spent_at IS NOT NULL"
	api_bearer "$other_access" GET /api/v1/auth/validate
	assert_status 200
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$stolen\"}"
	assert_status 401
	# The generation moved on: the other session's access token goes too.
	api_bearer "$other_access" GET /api/v1/auth/validate
	assert_status 401
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$other_refresh\"}"
	assert_status 200
	api_bearer "$(json_get .access_token)" GET /api/v1/auth/validate
	assert_status 200
}

@test "a phone-looking username is refused by the registration page and by authctl user add" {
	local n=0048123456789
	JAR=$BATS_TEST_TMPDIR/jar
	form_post /auth/register "email=$(unique_name p)%40example.com&username=$n&password=secret123&phone="
	assert_status 422
	[[ $body == *"Username cannot look like a phone number."* ]] || _fail "no message on the page"
	actl_cpu "ctl-pass123" user add --email "$(unique_name p)@example.com" --username 0048-123-456-789 --password-stdin
	[ "$status" -eq 1 ] || _fail "exit $status: $err"
	[[ $err == *"Username cannot look like a phone number."* ]] || _fail "$err"
	[ "$(stack_sql "SELECT count(*) FROM users WHERE username IN ('$n', '0048-123-456-789')")" -eq 0 ]
}

@test "attempts that cannot be recorded: logins, password change, reset and registration are 503 before any verification; ready says down (both backends)" {
	new_user right-pass1
	local i t0 t1 right
	refuse_writes
	t0=$(worker_ticks)
	for ((i = 0; i < 6; i++)); do
		api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong-pass$i\"}"
		assert_unwritable
	done
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"right-pass1\"}"
	assert_unwritable
	right=$body
	api POST /api/v1/auth/login '{"login":"nobody-at-all@example.com","password":"wrong-pass1"}'
	assert_unwritable
	[ "$body" = "$right" ]
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    '{"current_password":"right-pass1","new_password":"changed-pass2"}'
	assert_unwritable
	[ "$body" = "$right" ]
	api POST /api/v1/auth/reset-password "{\"token\":\"$(random_token)\",\"new_password\":\"attacker-pass3\"}"
	assert_unwritable
	api POST /api/v1/auth/register "{\"email\":\"$(unique_name w)@example.com\",\"username\":\"$(unique_name w)\",\"password\":\"secret123\"}"
	assert_unwritable
	api GET /health/ready
	assert_status 503
	assert_json_eq .components.database down
	t1=$(worker_ticks)
	# An argon2 hash costs about 5 ticks here: 9 that hashed would cost 45.
	echo "worker ticks for 11 refused requests: $((t1 - t0))"
	(( t1 - t0 < 10 ))
	allow_writes
	api GET /health/ready
	assert_status 200
	login_user "$USER_EMAIL" right-pass1
}

# fill: writes zeros until the filesystem refuses more.
fill() {
	dd if=/dev/zero of="$FULL_DIR/filler" bs=4k 2>/dev/null || true
	[ "$(df --output=avail "$FULL_DIR" | tail -1)" -eq 0 ]
}

# assert_unwritable: the 503 of an attempt that cannot be recorded.
assert_unwritable() {
	assert_status 503 || return 1
	assert_json_eq .error_code DB_UNWRITABLE || return 1
	[[ $(header_value Retry-After) =~ ^[1-9][0-9]*$ ]] || _fail "no Retry-After"
}

# workers_ready_after N: at least N + 6 "worker ready" lines in the log
# (the 2 fast and 4 hashing workers of a start after N lines): each
# worker hashes its dummy password before it says so.
workers_ready_after() {
	(( $(grep -c 'worker ready' "$STACK_AUTH_LOG") >= $1 + 6 ))
}

# bats test_tags=sqlite-file
@test "a full disk: reset, verify, registration, password change and the pages answer 503 with Retry-After, hash nothing, change nothing" {
	if [[ $(id -u) -ne 0 ]]; then
		_fail "a full disk needs root to mount a tmpfs"
	fi
	new_user full-pass1
	local tok t0 t1 right ra ready hash
	tok=$(stored_reset_token "$USER_ID")
	JAR=$BATS_TEST_TMPDIR/jar
	browser_login "$USER_EMAIL" full-pass1
	assert_status 303
	# The database moves onto a small tmpfs of its own.
	FULL_DIR=$STACK_DIR/fullfs
	export FULL_DIR
	mkdir -p "$FULL_DIR"
	stop_authd
	ready=$(grep -c 'worker ready' "$STACK_AUTH_LOG")
	mount -t tmpfs -o size=4m,mode=0700 authd-audit "$FULL_DIR"
	sqlite3 "$STACK_DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	cp "$STACK_DB" "$FULL_DIR/auth.db"
	export DATABASE_PATH=$FULL_DIR/auth.db STACK_DB=$FULL_DIR/auth.db
	# The default hash, also where make test-arm64 makes the tests' hashes
	# cheap: refused requests must cost far less than hashing ones.
	export ARGON2_T_COST=5 ARGON2_M_COST_KIB=19456
	start_authd
	wait_until 30 workers_ready_after "$ready"
	# What one hash costs the workers here (a login, before the disk is
	# full): the bound below is half of what 10 hashing requests would use.
	t0=$(worker_ticks)
	login_user "$USER_EMAIL" full-pass1
	hash=$(($(worker_ticks) - t0))
	echo "worker ticks of one login: $hash"
	(( hash >= 2 ))
	fill
	t0=$(worker_ticks)
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"attacker-pass3\"}"
	assert_unwritable
	api POST /api/v1/auth/verify-email "{\"token\":\"$(random_token)\"}"
	assert_unwritable
	api POST /api/v1/auth/register "{\"email\":\"$(unique_name f)@example.com\",\"username\":\"$(unique_name f)\",\"password\":\"secret123\"}"
	assert_unwritable
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    '{"current_password":"full-pass1","new_password":"changed-pass2"}'
	assert_unwritable
	right=$body
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    '{"current_password":"wrong-pass1","new_password":"changed-pass2"}'
	assert_unwritable
	[ "$body" = "$right" ]
	# The pages: the same 503, with its Retry-After.
	form_post /auth/account/password "current_password=full-pass1&new_password=changed-pass2" /auth/account
	assert_status 503
	ra=$(header_value Retry-After)
	(( ra >= 1 ))
	form_post /auth/account/delete "password=full-pass1" /auth/account
	assert_status 503
	ra=$(header_value Retry-After)
	(( ra >= 1 ))
	form_post /auth/reset-password "token=$tok&new_password=attacker-pass3" "/auth/reset-password?token=$tok"
	assert_status 503
	ra=$(header_value Retry-After)
	(( ra >= 1 ))
	local jar2=$BATS_TEST_TMPDIR/jar2
	JAR=$jar2 browser_login "$USER_EMAIL" full-pass1
	assert_status 503
	ra=$(header_value Retry-After)
	(( ra >= 1 ))
	JAR=$jar2 form_post /auth/register "email=$(unique_name f)%40example.com&username=$(unique_name f)&password=secret123&phone="
	assert_status 503
	ra=$(header_value Retry-After)
	(( ra >= 1 ))
	t1=$(worker_ticks)
	# 10 refused requests that hashed would cost 10 logins' ticks.
	echo "worker ticks for 10 refused requests (and 5 form GETs): $((t1 - t0))"
	(( (t1 - t0) * 2 < 10 * hash ))
	# Space freed: nothing had changed, the reset link is still live.
	rm -f "$FULL_DIR/filler"
	login_user "$USER_EMAIL" full-pass1
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"after-pass8\"}"
	assert_status 200
	login_user "$USER_EMAIL" after-pass8
}
