#!/usr/bin/env bats
#
# authctl, the operator's command (SPEC §10), against a running stack:
# every change it makes is checked through the HTTP API the way a client
# would meet it (tokens refused, logins allowed or locked, X-User-Role),
# --json is parsed with Python, and the exit codes are 0 (done), 1 (an
# error: unknown user, guard, locked database, full disk, refused as
# root) and 2 (bad usage).  authctl runs with the stack's environment, so
# it reads the same configuration and database as the service.
#
# The stack's mail goes to tests/smtp_sink.py; with the sink refusing
# and MAIL_MAX_ATTEMPTS=1 a message lands in failed/ at once, for the
# mail subcommands.  Two tests need root (the tests run as root): the
# state directory owned by another user, and a full disk (a small tmpfs).

load helpers
load mail_helpers

setup_file() {
	export STACK_SMTP=1
	export MAIL_MAX_ATTEMPTS=1
	export MAIL_RETRY_SCALE=0.01
	export LOGIN_MAX_FAILURES=3
	export SQLITE_BUSY_TIMEOUT_MS=1000
	start_stack
	export CTL=$AUTHCTL_BIN
}

teardown_file() {
	stop_stack
}

setup() {
	rm -f "$STACK_SMTP_FAIL_FILE"
}

# actl ARGS...: runs authctl; sets status, out (stdout) and err (stderr).
# ACTL_STDIN, when set, is its standard input (a line), else /dev/null.
actl() {
	local o=$BATS_TEST_TMPDIR/actl.out e=$BATS_TEST_TMPDIR/actl.err
	status=0
	if [[ -n ${ACTL_STDIN+x} ]]; then
		"$CTL" "$@" >"$o" 2>"$e" <<<"$ACTL_STDIN" || status=$?
	else
		"$CTL" "$@" >"$o" 2>"$e" </dev/null || status=$?
	fi
	out=$(cat "$o")
	err=$(cat "$e")
}

# ok_or_fail: the last actl exited 0.
ok_or_fail() {
	[[ $status -eq 0 ]] || _fail "authctl exited $status" "stdout: $out" "stderr: $err"
}

# exit_is N: the last actl exited N.
exit_is() {
	[[ $status -eq $1 ]] || _fail "authctl exited $status, expected $1" "stdout: $out" "stderr: $err"
}

# outj PATH: a value of the last actl's JSON output (see json_get).
outj() {
	json_get "$1" "$out"
}

# audit_lines EVENT ID: the audit lines of the last actl for that event and account.
audit_lines() {
	grep -c "audit event=$1 actor=authctl user=$2 " <<<"$err" || true
}

# validate_role TOKEN [ROLE]: GET validate (with ?role=ROLE).
validate_role() {
	api_bearer "$1" GET "/api/v1/auth/validate${2:+?role=$2}"
}

# demote_other_admins ID: every active ADMIN but ID becomes REGULAR.
demote_other_admins() {
	local ids id
	actl user list --role ADMIN --json
	ok_or_fail || return 1
	ids=$("$PY" -c '
import json, sys
for u in json.loads(sys.argv[1])["items"]:
    if u["is_active"] and u["deleted_at"] is None and u["id"] != sys.argv[2]:
        print(u["id"])
' "$out" "$1")
	for id in $ids; do
		actl user role "$id" REGULAR
		ok_or_fail || return 1
	done
}

# A test that fails while hold_write_lock holds the lock lets it go.
teardown() {
	release_write_lock
}

# ---------------------------------------------------------------------------
# Usage

@test "--help answers 0 for authctl and for every subcommand; bad usage exits 2" {
	local sub
	actl --help
	ok_or_fail
	[[ $out == usage:* ]] || _fail "no usage: $out"
	for sub in add list show set-password role activate deactivate verify \
	    unlock delete sessions revoke; do
		actl user "$sub" --help
		ok_or_fail
		[[ $out == "usage: authctl user $sub"* ||
		    ( $sub == deactivate && $out == *"authctl user deactivate USER"* ) ]] ||
		    _fail "user $sub --help: $out"
	done
	for sub in user mail backup check; do
		actl "$sub" --help
		ok_or_fail
		[[ $out == usage:* ]] || _fail "$sub --help: $out"
	done

	actl
	exit_is 2
	actl frobnicate
	exit_is 2
	actl user frobnicate
	exit_is 2
	[[ $err == *"unknown subcommand 'frobnicate'"* ]] || _fail "$err"
	actl user add --email a@example.com
	exit_is 2
	actl user list --bogus
	exit_is 2
	actl user role someone SUPERUSER
	exit_is 2
	[[ $err == *"unknown role 'SUPERUSER'"* ]] || _fail "$err"
	actl user show
	exit_is 2
	actl user show a b
	exit_is 2
	actl mail list extra
	exit_is 2
	actl backup
	exit_is 2
}

# ---------------------------------------------------------------------------
# user add, list, show

@test "user add: the generated password is printed once and logs in; --role and --verified hold" {
	local name pw id
	name=$(unique_name add)
	actl user add --email "$name@Example.com" --username "$name" --role moderator --verified
	ok_or_fail
	pw=$(sed -n 's/^password (shown once): //p' <<<"$out")
	(( ${#pw} >= 16 )) || _fail "no generated password in: $out"
	[[ $err != *"$pw"* ]] || _fail "the password reached stderr"
	id=$(grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}' <<<"$out" | head -1)
	[[ $(audit_lines account_create "$id") -eq 1 ]] || _fail "audit: $err"

	login_user "$name@example.com" "$pw"
	assert_json_eq .user.account_role MODERATOR
	assert_json_eq .user.email_verified true
	validate_role "$ACCESS_TOKEN" MODERATOR
	assert_status 200
	assert_header X-User-Role MODERATOR

	# Shown once: nothing that reads the account prints it again.
	actl user show "$name"
	ok_or_fail
	[[ $out != *"$pw"* && $out != *argon2* ]] || _fail "show leaks: $out"
	actl user show "$name" --json
	ok_or_fail
	[[ $out != *"$pw"* && $out != *argon2* ]] || _fail "show --json leaks: $out"
}

@test "user add --json --password-stdin: JSON for scripts, the given password logs in, none printed" {
	local name
	name=$(unique_name addj)
	ACTL_STDIN=given123 actl user add --email "$name@example.com" --username "$name" --password-stdin --json
	ok_or_fail
	[[ $(outj .username) == "$name" ]] || _fail "$out"
	[[ $(outj .account_role) == REGULAR ]] || _fail "$out"
	[[ $(outj .email_verified) == false ]] || _fail "$out"
	json_get .password "$out" >/dev/null 2>&1 && _fail "a given password is printed: $out"
	[[ $out != *given123* ]] || _fail "$out"
	login_user "$name" given123
	assert_json_eq .user.id "$(outj .id)"
}

@test "user add applies the §3 rules and refuses a taken email or username; nothing is created" {
	local name
	name=$(unique_name rules)
	actl user add --email "$name@domain" --username "$name"
	exit_is 1
	[[ $err == *"email address"* ]] || _fail "$err"
	actl user add --email "$name@example.com" --username "a b"
	exit_is 1
	[[ $err == *"Username can only contain letters, numbers, underscores (_), and hyphens (-)."* ]] || _fail "$err"
	ACTL_STDIN=lettersonly actl user add --email "$name@example.com" --username "$name" --password-stdin
	exit_is 1
	[[ $err == *"Password must contain at least one digit"* ]] || _fail "$err"
	actl user list --q "$name" --json
	ok_or_fail
	[[ $(outj .total) == 0 ]] || _fail "something was created: $out"

	registered
	actl user add --email "$USER_EMAIL" --username "$name"
	exit_is 1
	[[ $err == *"Email already registered"* ]] || _fail "$err"
	actl user add --email "$name@example.com" --username "${USER_NAME^^}"
	exit_is 1
	[[ $err == *"Username already taken"* ]] || _fail "$err"
	actl user list --q "$name" --json
	[[ $(outj .total) == 0 ]] || _fail "something was created: $out"
}

@test "user list: --q and --role filter, the table is aligned, --json parses" {
	local p
	p=$(unique_name lst)
	actl user add --email "${p}a@example.com" --username "${p}a"
	ok_or_fail
	actl user add --email "${p}b@example.com" --username "${p}_longer_name" --role MODERATOR
	ok_or_fail

	actl user list --q "$p" --json
	ok_or_fail
	[[ $(outj .total) == 2 ]] || _fail "$out"
	[[ $(outj .items[0].username) == "${p}a" ]] || _fail "$out"
	actl --json user list --q "$p" --role moderator
	ok_or_fail
	[[ $(outj .total) == 1 ]] || _fail "$out"
	[[ $(outj .items[0].account_role) == MODERATOR ]] || _fail "$out"

	actl user list --q "$p"
	ok_or_fail
	# A header and two rows; every column starts at the same place on every line.
	[[ $(grep -c . <<<"$out") -eq 3 ]] || _fail "$out"
	"$PY" -c '
import sys
lines = sys.argv[1].split("\n")
head = lines[0]
starts = [i for i in range(len(head)) if head[i] != " " and (i == 0 or head[i-1] == " ")]
if [h for h in head.split()] != ["ID", "EMAIL", "USERNAME", "ROLE", "STATE", "VERIFIED", "CREATED"]:
    sys.exit("header: " + head)
for l in lines[1:]:
    for s in starts[1:]:
        if l[s-1] != " " or l[s] == " ":
            sys.exit("not aligned at %d: %r" % (s, l))
    if l != l.rstrip():
        sys.exit("trailing blanks: %r" % l)
' "$out" || _fail "$out"
}

@test "user list returns every match when there are more than one page of them" {
	local p
	p=$(unique_name many)
	# 450 accounts written straight into the database (hashing each one
	# through authctl would take half a minute).
	"$PY" -c '
import sys, uuid
p = sys.argv[1]
print("BEGIN;")
for i in range(450):
    print("INSERT INTO users (id, email, username, password_hash, created_at, updated_at) "
          "VALUES (%r, %r, %r, %r, 1700000000, 1700000000);"
          % (str(uuid.uuid4()), "%s%03d@example.com" % (p, i), "%s%03d" % (p, i), "!x"))
print("COMMIT;")
' "$p" | sql
	actl user list --q "$p" --json
	ok_or_fail
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
names = [u["username"] for u in d["items"]]
assert d["total"] == 450, d["total"]
assert names == ["%s%03d" % (sys.argv[1], i) for i in range(450)], names[:3]
' "$p" <<<"$out" || _fail "wrong list"
	actl user list --q "$p"
	[[ $(grep -c . <<<"$out") -eq 451 ]] || _fail "$(grep -c . <<<"$out") lines"
}

@test "user show finds an account by id, email or username in any case; an unknown one exits 1" {
	registered
	local ref
	for ref in "$USER_ID" "${USER_ID^^}" "${USER_EMAIL^^}" "${USER_NAME^^}"; do
		actl user show "$ref" --json
		ok_or_fail
		[[ $(outj .id) == "$USER_ID" ]] || _fail "$ref: $out"
		[[ $(outj .sessions) == "[]" ]] || _fail "$out"
	done
	actl user show nobody-like-this
	exit_is 1
	[[ $err == *"no user 'nobody-like-this'"* ]] || _fail "$err"
	actl user show 00000000-0000-4000-8000-000000000000
	exit_is 1
	actl user role 00000000-0000-4000-8000-000000000000 ADMIN
	exit_is 1
	actl user set-password not-an-id
	exit_is 1
}

# ---------------------------------------------------------------------------
# Passwords, lockouts

@test "user set-password ends every session: the old tokens are refused, the new password logs in" {
	new_user
	local old_access=$ACCESS_TOKEN old_refresh=$REFRESH_TOKEN
	ACTL_STDIN=changed456 actl user set-password "$USER_EMAIL" --password-stdin
	ok_or_fail
	[[ $out != *changed456* && $err != *changed456* ]] || _fail "the password was printed"
	[[ $(audit_lines password_change "$USER_ID") -eq 1 ]] || _fail "audit: $err"

	validate_role "$old_access"
	assert_status 401
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$old_refresh\"}"
	assert_status 401
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 401
	login_user "$USER_EMAIL" changed456

	# Generated: printed once (JSON for scripts), and it works.
	actl user set-password "$USER_NAME" --json
	ok_or_fail
	[[ $(outj .id) == "$USER_ID" ]] || _fail "$out"
	login_user "$USER_NAME" "$(outj .password)"

	ACTL_STDIN=short actl user set-password "$USER_ID" --password-stdin
	exit_is 1
	[[ $err == *"Password must be at least 6 characters long"* ]] || _fail "$err"
	[[ $(audit_lines password_change "$USER_ID") -eq 0 ]] || _fail "audit: $err"
}

@test "user unlock: an account locked out after failed logins logs in at once" {
	registered
	local i
	for i in 1 2 3; do
		api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"wrong123\"}"
		assert_status 401
	done
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 429
	actl user show "$USER_NAME" --json
	[[ $(outj .locked_until) != null ]] || _fail "not shown as locked: $out"

	actl user unlock "$USER_NAME"
	ok_or_fail
	[[ $out == *"lockout ended"* ]] || _fail "$out"
	[[ $(audit_lines lockout_clear "$USER_ID") -eq 1 ]] || _fail "audit: $err"
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	actl user show "$USER_NAME" --json
	[[ $(outj .locked_until) == null ]] || _fail "$out"
}

# ---------------------------------------------------------------------------
# Role, activity, verification, deletion

@test "user role: validate reports the new role in X-User-Role and enforces it" {
	new_user
	validate_role "$ACCESS_TOKEN" MODERATOR
	assert_status 403
	actl user role "$USER_NAME" moderator
	ok_or_fail
	[[ $(audit_lines role_change "$USER_ID") -eq 1 ]] || _fail "audit: $err"
	[[ $err == *"role=MODERATOR from=REGULAR"* ]] || _fail "$err"
	validate_role "$ACCESS_TOKEN" MODERATOR
	assert_status 200
	assert_header X-User-Role MODERATOR
	actl user role "$USER_ID" REGULAR --json
	ok_or_fail
	[[ $(outj .account_role) == REGULAR ]] || _fail "$out"
	# A demotion refuses the older tokens, whose role claim over-states
	# it (issue 9); a fresh one carries the new role.
	validate_role "$ACCESS_TOKEN"
	assert_status 401
	login_user "$USER_EMAIL" "$USER_PASSWORD"
	validate_role "$ACCESS_TOKEN" MODERATOR
	assert_status 403
	validate_role "$ACCESS_TOKEN"
	assert_header X-User-Role REGULAR
}

@test "user deactivate refuses the user's tokens and logins at once; activate lets them in again" {
	new_user
	actl user deactivate "$USER_EMAIL"
	ok_or_fail
	[[ $(audit_lines activity_change "$USER_ID") -eq 1 ]] || _fail "audit: $err"
	validate_role "$ACCESS_TOKEN"
	assert_status 403
	assert_body_json '{"detail":"User account is deactivated or deleted"}'
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 401
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 401

	actl user set-password "$USER_EMAIL"
	exit_is 1
	[[ $err == *"inactive"* ]] || _fail "$err"

	actl user activate "$USER_EMAIL" --json
	ok_or_fail
	[[ $(outj .is_active) == true ]] || _fail "$out"
	[[ $(audit_lines activity_change "$USER_ID") -eq 1 ]] || _fail "audit: $err"
	login_user "$USER_EMAIL" "$USER_PASSWORD"
}

@test "user verify marks the email verified" {
	new_user
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_json_eq .email_verified false
	actl user verify "$USER_NAME"
	ok_or_fail
	[[ $(audit_lines email_verify "$USER_ID") -eq 1 ]] || _fail "audit: $err"
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_json_eq .email_verified true
}

@test "user delete anonymises the account, refuses its tokens and frees its email; a second delete exits 1" {
	new_user
	actl user delete "$USER_NAME"
	ok_or_fail
	[[ $(audit_lines account_delete "$USER_ID") -eq 1 ]] || _fail "audit: $err"
	validate_role "$ACCESS_TOKEN"
	assert_status 403
	actl user show "$USER_ID" --json
	ok_or_fail
	[[ $(outj .email) == "deleted_${USER_ID}@anonymized.local" ]] || _fail "$out"
	[[ $(outj .username) =~ ^DeletedUser_[0-9a-f]{8}$ ]] || _fail "$out"
	[[ $(outj .deleted_at) != null ]] || _fail "$out"
	api POST /api/v1/auth/register "{\"email\":\"$USER_EMAIL\",\"username\":\"$USER_NAME\",\"password\":\"secret123\"}"
	assert_status 201
	actl user delete "$USER_ID"
	exit_is 1
	[[ $err == *"already deleted"* ]] || _fail "$err"
	actl user activate "$USER_ID"
	exit_is 1
}

@test "the last active ADMIN cannot be demoted, deactivated or deleted" {
	local name id
	name=$(unique_name boss)
	actl user add --email "$name@example.com" --username "$name" --role ADMIN --json
	ok_or_fail
	id=$(outj .id)
	demote_other_admins "$id"

	actl user role "$id" MODERATOR
	exit_is 1
	[[ $err == *"Cannot remove the last administrator"* ]] || _fail "$err"
	actl user deactivate "$id"
	exit_is 1
	actl user delete "$id"
	exit_is 1
	actl user show "$id" --json
	[[ $(outj .account_role) == ADMIN && $(outj .is_active) == true && $(outj .deleted_at) == null ]] ||
	    _fail "changed anyway: $out"
	[[ $(audit_lines role_change "$id") -eq 0 ]] || _fail "$err"

	# With a second administrator the first may go.
	actl user add --email "${name}2@example.com" --username "${name}2" --role ADMIN
	ok_or_fail
	actl user role "$id" REGULAR
	ok_or_fail
}

# ---------------------------------------------------------------------------
# Sessions

@test "user sessions lists the live sessions; revoke SESSION_ID ends that one, revoke ends all" {
	registered
	local r1 r2 a2 s1 ids
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" -H 'User-Agent: ctl-one'
	assert_status 200
	r1=$(json_get .refresh_token)
	api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$USER_PASSWORD\"}" -H 'User-Agent: ctl-two'
	assert_status 200
	r2=$(json_get .refresh_token)
	a2=$(json_get .access_token)

	actl user sessions "$USER_NAME" --json
	ok_or_fail
	[[ $(json_len . "$out") -eq 2 ]] || _fail "$out"
	s1=$("$PY" -c '
import json, sys
print([s["id"] for s in json.loads(sys.argv[1]) if s["user_agent"] == "ctl-one"][0])' "$out")
	actl user sessions "$USER_NAME"
	ok_or_fail
	[[ $(head -1 <<<"$out") == "ID"*"USER_AGENT" && $out == *ctl-one* && $out == *ctl-two* ]] || _fail "$out"

	actl user revoke "$USER_NAME" not-a-session
	exit_is 1
	actl user revoke "$USER_NAME" 00000000-0000-4000-8000-000000000000
	exit_is 1
	actl user revoke "$USER_NAME" "$s1"
	ok_or_fail
	[[ $(audit_lines session_end "$USER_ID") -eq 1 && $err == *"session=$s1"* ]] || _fail "audit: $err"
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$r1\"}"
	assert_status 401
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$r2\"}"
	assert_status 200
	r2=$(json_get .refresh_token)
	actl user sessions "$USER_ID" --json
	[[ $(json_len . "$out") -eq 1 ]] || _fail "$out"

	actl user revoke "$USER_EMAIL"
	ok_or_fail
	[[ $(audit_lines session_end "$USER_ID") -eq 1 ]] || _fail "audit: $err"
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$r2\"}"
	assert_status 401
	validate_role "$a2"
	assert_status 401
	actl user sessions "$USER_ID" --json
	[[ $(json_len . "$out") -eq 0 ]] || _fail "$out"
}

# ---------------------------------------------------------------------------
# A busy database, backups, a full disk, root

@test "a database locked past the busy timeout: a clear message, exit 1, nothing changed" {
	registered
	local holder
	hold_write_lock "$BATS_TEST_TMPDIR"
	holder=$HOLDER
	wait_until 10 test -e "$BATS_TEST_TMPDIR/locked"

	SQLITE_BUSY_TIMEOUT_MS=200 actl user role "$USER_ID" MODERATOR
	release_write_lock
	wait "$holder" || true
	exit_is 1
	[[ $err == *"the database is locked by another process"* ]] || _fail "$err"
	[[ $(audit_lines role_change "$USER_ID") -eq 0 ]] || _fail "$err"
	actl user show "$USER_ID" --json
	ok_or_fail
	[[ $(outj .account_role) == REGULAR ]] || _fail "changed: $out"
}

@test "a read during a held write lock still answers (WAL, or PostgreSQL's readers)" {
	registered
	local holder
	hold_write_lock "$BATS_TEST_TMPDIR"
	holder=$HOLDER
	wait_until 10 test -e "$BATS_TEST_TMPDIR/locked"
	SQLITE_BUSY_TIMEOUT_MS=200 actl user show "$USER_ID" --json
	release_write_lock
	wait "$holder" || true
	ok_or_fail
	[[ $(outj .id) == "$USER_ID" ]] || _fail "$out"
}

# bats test_tags=sqlite-file
@test "backup while the service runs: a 0600 copy that opens and holds the users; no overwrite without --force" {
	registered
	local b=$BATS_TEST_TMPDIR/copy.db writer i sum
	# Registrations go on while the copy is made.
	( for i in $(seq 15); do
		n=$(unique_name bk)
		curl -s -o /dev/null --max-time 10 -H 'Content-Type: application/json' \
		    --data-binary "{\"email\":\"$n@example.com\",\"username\":\"$n\",\"password\":\"secret123\"}" \
		    "$BASE/api/v1/auth/register"
	done ) &
	writer=$!
	actl backup "$b"
	wait "$writer"
	ok_or_fail
	[[ $(stat -c %a "$b") == 600 ]] || _fail "mode $(stat -c %a "$b")"
	[[ $(sqlite3 "$b" 'PRAGMA integrity_check') == ok ]] || _fail "integrity"
	[[ $(sqlite3 "$b" "SELECT id FROM users WHERE email = '$USER_EMAIL'") == "$USER_ID" ]] ||
	    _fail "the user is not in the copy"
	# It is a database authctl can work on (a restore drill).
	DATABASE_PATH=$b actl user show "$USER_EMAIL" --json
	ok_or_fail
	[[ $(outj .id) == "$USER_ID" ]] || _fail "$out"

	sum=$(sha256sum "$b")
	actl backup "$b"
	exit_is 1
	[[ $err == *"exists"*"--force"* ]] || _fail "$err"
	[[ $(sha256sum "$b") == "$sum" ]] || _fail "overwritten"
	actl backup --force "$b"
	ok_or_fail
	actl backup "$STACK_DB" --force
	exit_is 1
	[[ $err == *"live database"* ]] || _fail "$err"
	[[ -z $(find "$BATS_TEST_TMPDIR" -name 'copy.db.tmp-*') ]] || _fail "temporary file left"
}

# bats test_tags=sqlite-file
@test "a full disk: backup and output fail with a clear message and exit 1, leaving no partial file" {
	local mnt=$BATS_TEST_TMPDIR/tiny
	mkdir -p "$mnt"
	mount -t tmpfs -o size=16k tmpfs "$mnt" || _fail "cannot mount a tmpfs (the test needs root)"
	actl backup "$mnt/copy.db"
	local files
	files=$(ls -A "$mnt")
	umount "$mnt"
	exit_is 1
	[[ $err == *"no space left on the device"* ]] || _fail "$err"
	[[ -z $files ]] || _fail "left behind: $files"

	status=0
	"$CTL" user list >/dev/full 2>"$BATS_TEST_TMPDIR/err" || status=$?
	[[ $status -eq 1 ]] || _fail "exit $status"
	grep -q "cannot write the output: No space left on device" "$BATS_TEST_TMPDIR/err" ||
	    _fail "$(cat "$BATS_TEST_TMPDIR/err")"
}

# bats test_tags=sqlite-file
@test "root on a state directory owned by another user is refused unless --force" {
	[[ $(id -u) -eq 0 ]] || _fail "this test needs root"
	local d=$BATS_TEST_TMPDIR/svcstate
	mkdir -p "$d"
	chown nobody "$d"
	AUTH_STATE_DIR=$d DATABASE_PATH=$d/auth.db MAIL_SPOOL_DIR=$d/spool actl user list
	exit_is 1
	[[ $err == *"belongs to nobody"*"--force"* ]] || _fail "$err"
	[[ -z $(ls -A "$d") ]] || _fail "files were created: $(ls -A "$d")"
	# The same when only the database is the service's.
	chown nobody "$STACK_DB"
	actl user list
	local rc=$status e=$err
	chown root "$STACK_DB"
	[[ $rc -eq 1 && $e == *"DATABASE_PATH"*"belongs to nobody"* ]] || _fail "exit $rc: $e"

	AUTH_STATE_DIR=$d DATABASE_PATH=$d/auth.db MAIL_SPOOL_DIR=$d/spool actl user list --force
	ok_or_fail
	# --help needs no state at all.
	AUTH_STATE_DIR=$d actl user list --help
	ok_or_fail
}

# ---------------------------------------------------------------------------
# Mail

@test "mail list shows a failed reset mail without its link; retry sends it; purge-failed empties failed/" {
	registered
	local f id token
	# The verification mail of the registration goes out first.
	wait_mails "$USER_EMAIL" verify 1
	wait_until 15 spool_idle
	rm -f "$MAIL_SPOOL_DIR"/failed/*.json
	touch "$STACK_SMTP_FAIL_FILE"
	forgot "$USER_EMAIL"
	wait_until 15 spool_has failed 1
	f=$(find "$MAIL_SPOOL_DIR/failed" -name '*.json')
	[[ $(json_get .template "$(cat "$f")") == reset_password ]] || _fail "$f"
	id=$(basename "$f" .json)
	token=$(link_token "$(json_get .values.link "$(cat "$f")")")
	[[ -n $token ]] || _fail "no token in the spool file"

	actl mail list
	ok_or_fail
	[[ $out == *"$id"*failed*reset_password*"$USER_EMAIL"* ]] || _fail "$out"
	[[ $out != *"$token"* && $out != *http* ]] || _fail "the link is shown: $out"
	actl mail list --json --state failed
	ok_or_fail
	[[ $out != *"$token"* && $out != *http* ]] || _fail "the link is shown: $out"
	"$PY" -c '
import json, sys
m = [x for x in json.loads(sys.argv[1]) if x["id"] == sys.argv[2]]
assert len(m) == 1, m
m = m[0]
assert m["state"] == "failed" and m["template"] == "reset_password", m
assert m["to"] == sys.argv[3] and m["attempts"] == 1 and m["last_error"], m
assert "values" not in m, m
' "$out" "$id" "$USER_EMAIL" || _fail "$out"

	actl mail retry ../../etc/passwd
	exit_is 1
	actl mail retry 00000000-0000-4000-8000-000000000000
	exit_is 1
	rm -f "$STACK_SMTP_FAIL_FILE"
	actl mail retry "$id"
	ok_or_fail
	wait_mails "$USER_EMAIL" reset 1
	wait_until 15 spool_idle
	[[ $(spool_count failed) -eq 0 ]] || _fail "still failed"
	# The token the mail carried is the one that was queued, and it works.
	[[ $(link_token "$(mail_link "$(last_mail "$USER_EMAIL" reset)")") == "$token" ]] || _fail "another token"

	# retry-failed and purge-failed act on every failed message.
	touch "$STACK_SMTP_FAIL_FILE"
	forgot "$USER_EMAIL"
	wait_until 15 spool_has failed 1
	rm -f "$STACK_SMTP_FAIL_FILE"
	actl mail retry-failed --json
	ok_or_fail
	[[ $(outj .retried) == 1 ]] || _fail "$out"
	wait_mails "$USER_EMAIL" reset 2
	touch "$STACK_SMTP_FAIL_FILE"
	forgot "$USER_EMAIL"
	wait_until 15 spool_has failed 1
	actl mail purge-failed
	ok_or_fail
	[[ $out == "1 failed message(s) deleted" ]] || _fail "$out"
	[[ $(spool_count failed) -eq 0 ]] || _fail "not purged"
}
