#!/usr/bin/env bats
#
# authctl import (SPEC §10) against a running stack: a FastAPI-shaped
# SQLite database (bcrypt hashes from python3-bcrypt) and a Flask
# users.json (werkzeug pbkdf2:sha256 from python3-werkzeug, werkzeug-3
# scrypt made with hashlib), both written by this file; the imported
# people sign in through nginx with their old passwords, which become
# argon2id; roles, ids and times are kept; conflicts, missing emails and
# unknown levels are reported; a repeat skips everything; --dry-run and
# a corrupt file write nothing.

load helpers

# Fixed ids: every stack is fresh.
FA=6f1c0d2e-1111-4aaa-8bbb-0000000000

setup_file() {
	start_stack
	export FIX=$BATS_FILE_TMPDIR/fixtures
	mkdir -p "$FIX"
	# An account already registered through the API holds an email the
	# FastAPI database also has.
	api POST /api/v1/auth/register \
	    '{"email":"taken@example.com","username":"already_here","password":"secret123"}'
	[ "$status" = 201 ] || { echo "register: $status $body" >&2; return 1; }
	"$PY" - "$FIX" "$FA" <<'EOF'
import hashlib, json, sqlite3, sys
import bcrypt
from werkzeug.security import generate_password_hash

fix, fa = sys.argv[1], sys.argv[2]
bc = lambda pw: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode()

db = sqlite3.connect(fix + "/fastapi.db")
# The FastAPI service's table as SQLAlchemy makes it on SQLite.
db.execute("""CREATE TABLE users (
    id CHAR(36) NOT NULL PRIMARY KEY, username VARCHAR(30) NOT NULL,
    email VARCHAR(255) NOT NULL, hashed_password VARCHAR(255) NOT NULL,
    account_role VARCHAR(9) NOT NULL, account_subscription VARCHAR(4) NOT NULL,
    subscription_expires_at DATETIME, is_active BOOLEAN NOT NULL,
    deleted_at DATETIME, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)""")
t = "2026-11-22 10:04:05.123456"
rows = [
    # id, username, email, password, role, subscription, expires, active, deleted
    ("01", "fa_admin", "fa_admin@example.com", "AdminPass1", "ADMIN", "PRO", "2027-01-01 00:00:00", 1, None),
    ("02", "fa_mod", "fa_mod@example.com", "ModPass22", "MODERATOR", "FREE", None, 1, None),
    ("03", "fa_user", "Mixed.Case@Example.COM", "UserPass3", "REGULAR", "FREE", None, 1, None),
    ("04", "fa_taken", "taken@example.com", "TakenPass4", "REGULAR", "FREE", None, 1, None),
    ("05", "fa_off", "fa_off@example.com", "OffPass55", "REGULAR", "FREE", None, 0, None),
    ("06", "fa_gone", "fa_gone@example.com", "GonePass6", "REGULAR", "FREE", None, 1, "2026-11-23 08:00:00"),
    ("07", "fa_nomail", "", "NoMail77", "REGULAR", "FREE", None, 1, None),
    ("08", "fa_super", "fa_super@example.com", "Super888", "SUPERUSER", "FREE", None, 1, None),
    ("09", "bad name", "bad@example.com", "BadName9", "REGULAR", "FREE", None, 1, None),
    ("10", "FA_Admin", "other@example.com", "Dup10dup", "REGULAR", "FREE", None, 1, None),
]
for r in rows:
    db.execute("INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               (fa + r[0], r[1], r[2], bc(r[3]), r[4], r[5], r[6], r[7], r[8], t, t))
# Ids as SQLAlchemy's other UUID columns store them: 16 bytes, 32 hex digits.
ins = "INSERT INTO users VALUES (?,?,?,?,'REGULAR','FREE',NULL,1,NULL,?,?)"
db.execute(ins, (bytes.fromhex((fa + "11").replace("-", "")), "fa_blob",
                 "fa_blob@example.com", bc("BlobPass11"), t, t))
db.execute(ins, ((fa + "12").replace("-", "").upper(), "fa_hex",
                 "fa_hex@example.com", bc("HexPass12"), t, t))
# A NUL byte inside a text column.
db.execute(ins, (fa + "13", "fa_nul\x00x", "fa_nul@example.com", bc("NulPass13"), t, t))
db.commit()
db.close()

def scrypt(pw, salt="Xy3salt9Zq", n=32768, r=8, p=1):
    key = hashlib.scrypt(pw.encode(), salt=salt.encode(), n=n, r=r, p=p,
                         maxmem=132 * n * r * p, dklen=64)
    return "scrypt:%d:%d:%d$%s$%s" % (n, r, p, salt, key.hex())

users = [
    {"id": 1, "name": "pi_root", "password_hash": generate_password_hash("RootPass1"), "level": "Root"},
    {"id": 2, "name": "pi_admin", "password_hash": scrypt("AdminPi22"), "level": "Admin"},
    {"id": 3, "name": "pi_user", "password_hash": generate_password_hash("UserPi333", "pbkdf2:sha256:1000"), "level": "User"},
    {"id": 4, "name": "pi_wizard", "password_hash": generate_password_hash("Wizard444"), "level": "Wizard"},
    {"id": 5, "name": "pi_mail", "email": "PiMail@Example.org", "password_hash": scrypt("MailPi555", n=1024), "level": "User"},
    {"id": 3, "name": "pi_again", "password_hash": generate_password_hash("Again6666"), "level": "User"},
    {"id": 7, "name": "pi_nohash", "level": "User"},
    {"id": 8, "name": "pi_bare", "password_hash": "pbkdf2:sha256$abc$" + "0" * 64, "level": "User"},
]
json.dump(users, open(fix + "/users.json", "w"))

# The dry-run file: its own people, never written.
dry = [
    {"id": 100, "name": "dry_one", "password_hash": generate_password_hash("DryPass1", "pbkdf2:sha256:1000"), "level": "User"},
    {"id": 101, "name": "dry_two", "password_hash": generate_password_hash("DryPass2", "pbkdf2:sha256:1000"), "level": "Admin"},
]
json.dump(dry, open(fix + "/dry.json", "w"))

# Corrupt and foreign files.
open(fix + "/random.bin", "wb").write(hashlib.sha512(b"x").digest() * 64)
db = sqlite3.connect(fix + "/other.db")
db.execute("CREATE TABLE accounts (id TEXT, name TEXT)")
db.commit()
db.close()
db = sqlite3.connect(fix + "/halfusers.db")
db.execute("CREATE TABLE users (id TEXT, username TEXT, email TEXT)")
db.execute("INSERT INTO users VALUES ('x', 'someone', 'someone@example.com')")
db.commit()
db.close()
open(fix + "/notjson.json", "w").write('[{"id": 1, "name": "x",')
open(fix + "/object.json", "w").write('{"users": []}')
open(fix + "/ints.json", "w").write('[{"id": 7, "name": "ok_one", "password_hash": "x", "level": "User"}, 3]')
EOF
}

teardown_file() {
	stop_stack
}

# ctl ARGS...: authctl with the stack's environment; stderr in CTL_ERR.
ctl() {
	"$AUTHCTL_BIN" "$@" 2>"$BATS_TEST_TMPDIR/ctl.err"
}

ctl_err() {
	cat "$BATS_TEST_TMPDIR/ctl.err"
}

# sql QUERY [ARGS...]: one query on the stack's database, rows printed
# with | between columns; each ? takes the next ARG (in the PostgreSQL
# pass as a quoted literal).
sql() {
	if [[ ${STACK_BACKEND:-sqlite} == postgresql ]]; then
		local q=$1 v lit
		shift
		for v in "$@"; do
			lit="'${v//\'/\'\'}'"
			q=${q/\?/$lit}
		done
		stack_sql "$q"
		return
	fi
	"$PY" - "$STACK_DB" "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
for row in db.execute(sys.argv[2], sys.argv[3:]):
    print("|".join("" if v is None else str(v) for v in row))
EOF
}

users_count() {
	sql "SELECT count(*) FROM users"
}

# report_rows: "row result reason" lines of a --json report in $output.
report_rows() {
	"$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
for r in d["rows"]:
    print(r["row"], r["result"], r["reason"] or "-")
' <<<"$output"
}

# The real imports are repeatable: tests that need the users imported
# call these, and only the first run creates them.
import_fastapi() {
	ctl import fastapi "$FIX/fastapi.db" >/dev/null || { ctl_err; return 1; }
}

import_flask() {
	ctl import flask-json "$FIX/users.json" >/dev/null || { ctl_err; return 1; }
}

login_as() {
	api POST /api/v1/auth/login "{\"login\":\"$1\",\"password\":\"$2\"}"
}

# A test that fails while hold_write_lock holds the lock lets it go.
teardown() {
	release_write_lock
}

@test "import fastapi --dry-run reports what it would do and writes nothing" {
	local before
	before=$(users_count)
	run ctl import fastapi "$FIX/fastapi.db" --dry-run --json
	[ "$status" -eq 0 ] || { ctl_err; false; }
	[ "$(json_get .dry_run "$output")" = true ]
	[ "$(json_get .created "$output")" = 6 ] || { echo "$output"; false; }
	[ "$(users_count)" = "$before" ]
	[ "$(sql "SELECT count(*) FROM users WHERE id LIKE '6f1c0d2e-1111-%'")" = 0 ]
	run ctl import flask-json "$FIX/dry.json" --dry-run
	[ "$status" -eq 0 ] || { ctl_err; false; }
	[[ $output == *"2 created, 0 skipped, 0 conflicting (dry run: nothing written)"* ]] || { echo "$output"; false; }
	[ "$(users_count)" = "$before" ]
	login_as dry_one DryPass1
	assert_status 401
}

@test "import fastapi: every row created, skipped or conflicting with its reason" {
	run ctl import fastapi "$FIX/fastapi.db" --json
	[ "$status" -eq 0 ] || { ctl_err; false; }
	[ "$(json_get .dry_run "$output")" = false ]
	[ "$(json_get .created "$output")" = 6 ] || { echo "$output"; false; }
	[ "$(json_get .skipped "$output")" = 1 ]
	[ "$(json_get .conflicting "$output")" = 6 ]
	# No password hash in the report; one log line for the import.
	[[ $output != *'$2b$'* ]]
	[ "$(ctl_err | grep -c 'audit event=import actor=authctl user=- ip=- req=- format=fastapi created=6 skipped=1 conflicting=6$')" = 1 ] || { ctl_err; false; }
	[[ $(ctl_err) != *'$2b$'* ]]
	run report_rows
	[ "${lines[0]}" = "1 created -" ]
	[ "${lines[1]}" = "2 created -" ]
	[ "${lines[2]}" = "3 created -" ]
	[[ ${lines[3]} == "4 conflicting email already registered (account "* ]] || { echo "$output"; false; }
	[ "${lines[4]}" = "5 created -" ]
	[ "${lines[5]}" = "6 skipped deleted in the FastAPI service" ]
	[ "${lines[6]}" = "7 conflicting email is missing" ]
	[ "${lines[7]}" = "8 conflicting unknown account_role 'SUPERUSER'" ]
	[ "${lines[8]}" = "9 conflicting username: Username can only contain letters, numbers, underscores (_), and hyphens (-)." ]
	[ "${lines[9]}" = "10 conflicting duplicate username in the file (row 1)" ]
	[ "${lines[10]}" = "11 created -" ]
	[ "${lines[11]}" = "12 created -" ]
	[ "${lines[12]}" = "13 conflicting a column holds a NUL byte" ]
	[ "$(sql "SELECT username FROM users WHERE id IN (?, ?) ORDER BY id" "${FA}11" "${FA}12")" = "fa_blob
fa_hex" ]
	# Ids, roles, subscription, times and emails (lower-cased) kept.
	[ "$(sql "SELECT account_role, account_subscription, subscription_expires_at, created_at, email_verified, is_active FROM users WHERE id = ?" "${FA}01")" = "ADMIN|PRO|1798761600|1795341845|0|1" ]
	[ "$(sql "SELECT email FROM users WHERE id = ?" "${FA}03")" = "mixed.case@example.com" ]
	[ "$(sql "SELECT is_active FROM users WHERE id = ?" "${FA}05")" = 0 ]
	[ "$(sql "SELECT count(*) FROM users WHERE id IN (?, ?, ?, ?, ?, ?)" "${FA}04" "${FA}06" "${FA}07" "${FA}08" "${FA}09" "${FA}10")" = 0 ]
	# The account that held the email is untouched.
	[ "$(sql "SELECT username FROM users WHERE email = 'taken@example.com'")" = already_here ]
}

@test "imported FastAPI users sign in with their bcrypt passwords, which become argon2id; roles kept" {
	import_fastapi
	[[ $(sql "SELECT password_hash FROM users WHERE id = ?" "${FA}01") == '$2b$04$'* ]]
	login_as fa_admin AdminPass1
	assert_status 200
	ACCESS_TOKEN=$(json_get .access_token)
	[[ $(sql "SELECT password_hash FROM users WHERE id = ?" "${FA}01") == '$argon2id$'* ]]
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	assert_header X-User-Role ADMIN
	assert_header X-User-Id "${FA}01"
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_status 200
	assert_json_eq .id "${FA}01"
	assert_json_eq .account_subscription PRO
	assert_json_eq .subscription_expires_at 2027-01-01T00:00:00Z
	assert_json_eq .created_at 2026-11-22T10:04:05Z
	# The argon2id hash takes the same password, and only it.
	login_as fa_admin AdminPass1
	assert_status 200
	login_as fa_admin AdminPass2
	assert_status 401
	# A wrong password leaves the bcrypt hash of another user as it was.
	login_as fa_mod ModPass2x
	assert_status 401
	[[ $(sql "SELECT password_hash FROM users WHERE id = ?" "${FA}02") == '$2b$'* ]]
	login_as fa_mod ModPass22
	assert_status 200
	api_bearer "$(json_get .access_token)" GET /api/v1/auth/validate
	assert_header X-User-Role MODERATOR
	# By the lower-cased email.
	login_as mixed.case@example.com UserPass3
	assert_status 200
	api_bearer "$(json_get .access_token)" GET /api/v1/auth/validate
	assert_header X-User-Role REGULAR
}

@test "an account inactive in the FastAPI service is imported inactive and cannot sign in" {
	import_fastapi
	login_as fa_off OffPass55
	assert_status 401
	[[ $(sql "SELECT password_hash FROM users WHERE id = ?" "${FA}05") == '$2b$'* ]]
}

@test "import flask-json: levels mapped, unknown levels refused, missing emails made up unverified" {
	run ctl import flask-json "$FIX/users.json" --json
	[ "$status" -eq 0 ] || { ctl_err; false; }
	[ "$(json_get .created "$output")" = 4 ] || { echo "$output"; false; }
	[ "$(json_get .conflicting "$output")" = 4 ]
	[[ $output != *'sha256:260000$'* && $output != *'scrypt:32768:8:1$'* ]]
	run report_rows
	[ "${lines[3]}" = "4 conflicting unknown level 'Wizard' (Root, Admin or User)" ] || { echo "$output"; false; }
	[ "${lines[5]}" = "6 conflicting duplicate id in the file (row 3)" ]
	[ "${lines[6]}" = "7 conflicting password_hash is missing" ]
	[[ ${lines[7]} == "8 conflicting password hash: not a scheme authd verifies"* ]]
	[ "$(sql "SELECT count(*) FROM users WHERE username IN ('pi_again', 'pi_nohash', 'pi_bare')")" = 0 ]
	[ "$(sql "SELECT email, account_role, email_verified FROM users WHERE username = 'pi_root'")" = "pi_root@users.invalid|ADMIN|0" ]
	[ "$(sql "SELECT email, account_role FROM users WHERE username = 'pi_admin'")" = "pi_admin@users.invalid|ADMIN" ]
	[ "$(sql "SELECT email, account_role FROM users WHERE username = 'pi_user'")" = "pi_user@users.invalid|REGULAR" ]
	[ "$(sql "SELECT email, email_verified FROM users WHERE username = 'pi_mail'")" = "pimail@example.org|0" ]
	[ "$(sql "SELECT count(*) FROM users WHERE username = 'pi_wizard'")" = 0 ]
	# The integer ids became UUIDs, the same at every import.
	[[ $(sql "SELECT id FROM users WHERE username = 'pi_root'") =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
}

@test "imported Flask users sign in with werkzeug pbkdf2 and scrypt passwords, rehashed to argon2id" {
	import_flask
	[[ $(sql "SELECT password_hash FROM users WHERE username = 'pi_root'") == 'pbkdf2:sha256:'* ]]
	[[ $(sql "SELECT password_hash FROM users WHERE username = 'pi_admin'") == 'scrypt:32768:8:1$'* ]]
	login_as pi_root RootPass2
	assert_status 401
	[[ $(sql "SELECT password_hash FROM users WHERE username = 'pi_root'") == 'pbkdf2:sha256:'* ]]
	login_as pi_root RootPass1
	assert_status 200
	api_bearer "$(json_get .access_token)" GET /api/v1/auth/validate
	assert_header X-User-Role ADMIN
	[[ $(sql "SELECT password_hash FROM users WHERE username = 'pi_root'") == '$argon2id$'* ]]
	login_as pi_admin AdminPi2x
	assert_status 401
	login_as pi_admin AdminPi22
	assert_status 200
	api_bearer "$(json_get .access_token)" GET /api/v1/auth/validate
	assert_header X-User-Role ADMIN
	[[ $(sql "SELECT password_hash FROM users WHERE username = 'pi_admin'") == '$argon2id$'* ]]
	login_as pi_user@users.invalid UserPi333
	assert_status 200
	api_bearer "$(json_get .access_token)" GET /api/v1/auth/validate
	assert_header X-User-Role REGULAR
	login_as pimail@example.org MailPi555
	assert_status 200
	login_as pi_root RootPass1
	assert_status 200
}

@test "a repeated import skips every row it created and writes nothing" {
	import_fastapi
	import_flask
	local before
	before=$(users_count)
	run ctl import fastapi "$FIX/fastapi.db" --json
	[ "$status" -eq 0 ] || { ctl_err; false; }
	[ "$(json_get .created "$output")" = 0 ] || { echo "$output"; false; }
	[ "$(json_get .skipped "$output")" = 7 ]
	[ "$(json_get .conflicting "$output")" = 6 ]
	run ctl import flask-json "$FIX/users.json"
	[ "$status" -eq 0 ] || { ctl_err; false; }
	[[ $output == *"flask-json $FIX/users.json: 0 created, 4 skipped, 4 conflicting"* ]] || { echo "$output"; false; }
	[[ $output == *"id already present"* ]]
	[ "$(users_count)" = "$before" ]
}

@test "a users.json of 300 people is imported whole, each with the id derived from theirs" {
	"$PY" - "$FIX/many.json" "$BATS_TEST_TMPDIR/ids" <<'EOF'
import hashlib, json, sys, uuid
users, ids = [], []
for i in range(1000, 1300):
    salt = "s%d" % i
    key = hashlib.pbkdf2_hmac("sha256", b"ManyPass%d" % i, salt.encode(), 1).hex()
    users.append({"id": i, "name": "many_%d" % i, "level": "User",
                  "password_hash": "pbkdf2:sha256:1$%s$%s" % (salt, key)})
    h = bytearray(hashlib.sha256(b"authd-import:flask-json:%d" % i).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    ids.append(str(uuid.UUID(bytes=bytes(h))))
json.dump(users, open(sys.argv[1], "w"))
open(sys.argv[2], "w").write("\n".join(sorted(ids)) + "\n")
EOF
	run ctl import flask-json "$FIX/many.json"
	[ "$status" -eq 0 ] || { ctl_err; false; }
	[[ $output == *": 300 created, 0 skipped, 0 conflicting"* ]] || { echo "$output" | tail -3; false; }
	sql "SELECT id FROM users WHERE username LIKE 'many%' ORDER BY id" >"$BATS_TEST_TMPDIR/got"
	diff "$BATS_TEST_TMPDIR/ids" "$BATS_TEST_TMPDIR/got"
	[ "$(sql "SELECT count(*) FROM users WHERE username LIKE 'many%' AND email = lower(username) || '@users.invalid' AND password_hash LIKE 'pbkdf2:sha256:1$%'")" = 300 ]
	login_as many_1299 ManyPass1299
	assert_status 200
}

@test "--verified marks the emails of the source verified, never the made-up ones" {
	"$PY" - "$FIX/verified.json" <<'EOF'
import json, sys
from werkzeug.security import generate_password_hash
h = generate_password_hash("VerPass11", "pbkdf2:sha256:1000")
json.dump([
    {"id": "A0B1C2D3-E4F5-4A6B-8C7D-8E9FA0B1C2D3", "name": "ver_mail", "email": "ver_mail@example.net",
     "password_hash": h, "level": "User"},
    {"id": 9001, "name": "ver_none", "password_hash": h, "level": "User"},
], open(sys.argv[1], "w"))
EOF
	run ctl import flask-json "$FIX/verified.json" --verified --email-domain pi.example.org
	[ "$status" -eq 0 ] || { ctl_err; false; }
	[[ $output == *": 2 created, 0 skipped, 0 conflicting"* ]] || { echo "$output"; false; }
	# A UUID id is kept, lower-cased.
	[ "$(sql "SELECT id, email, email_verified FROM users WHERE username = 'ver_mail'")" = "a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3|ver_mail@example.net|1" ]
	[ "$(sql "SELECT email, email_verified FROM users WHERE username = 'ver_none'")" = "ver_none@pi.example.org|0" ]
}

@test "a corrupt or foreign file: a message naming the problem, exit 1, nothing written" {
	local before f
	before=$(users_count)
	for f in random.bin other.db halfusers.db users.json; do
		run ctl import fastapi "$FIX/$f"
		[ "$status" -eq 1 ] || { echo "$f: $status $output"; false; }
		[ -z "$output" ]
		[[ $(ctl_err) == *"authctl: import: "*"$f"* ]] || { ctl_err; false; }
	done
	[[ $(ctl_err) == *"is not a database of the FastAPI service"*"file is not a database"* ]] || { ctl_err; false; }
	run ctl import fastapi "$FIX/other.db"
	[[ $(ctl_err) == *"no such table: users"* ]] || { ctl_err; false; }
	run ctl import fastapi "$FIX/halfusers.db"
	[[ $(ctl_err) == *"no such column"* ]] || { ctl_err; false; }
	run ctl import fastapi "$FIX/nonexistent.db"
	[ "$status" -eq 1 ]
	[[ $(ctl_err) == *"cannot open"* ]] || { ctl_err; false; }
	[ ! -e "$FIX/nonexistent.db" ]
	run ctl import flask-json "$FIX/notjson.json"
	[ "$status" -eq 1 ]
	[[ $(ctl_err) == *"notjson.json is not JSON"* ]] || { ctl_err; false; }
	run ctl import flask-json "$FIX/object.json"
	[ "$status" -eq 1 ]
	[[ $(ctl_err) == *"expected a list of user objects, found object"* ]] || { ctl_err; false; }
	# One bad element refuses the whole file, the good row before it too.
	run ctl import flask-json "$FIX/ints.json"
	[ "$status" -eq 1 ]
	[[ $(ctl_err) == *"element 2 of the list is int, not an object"* ]] || { ctl_err; false; }
	run ctl import flask-json "$FIX/fastapi.db"
	[ "$status" -eq 1 ]
	run ctl import flask-json "$FIX"
	[ "$status" -eq 1 ]
	[[ $(ctl_err) == *"not a regular file"* ]] || { ctl_err; false; }
	[ "$(users_count)" = "$before" ]
}

@test "a database locked past the busy timeout: exit 1, nothing written" {
	local before holder
	before=$(users_count)
	# Another process holds the write lock until told to let go.
	hold_write_lock "$BATS_TEST_TMPDIR"
	holder=$HOLDER
	wait_until 10 test -e "$BATS_TEST_TMPDIR/locked"
	SQLITE_BUSY_TIMEOUT_MS=200 run ctl import flask-json "$FIX/dry.json"
	release_write_lock
	wait "$holder" || true
	[ "$status" -eq 1 ] || { echo "$output"; ctl_err; false; }
	[ -z "$output" ]
	# (authctl's common opening migrates in BEGIN IMMEDIATE, so the
	# message may come from there or from the import's own transaction.)
	[[ $(ctl_err) == *"database"* ]] || { ctl_err; false; }
	[ "$(users_count)" = "$before" ]
	# Once free, the same import goes through.
	run ctl import flask-json "$FIX/dry.json" --dry-run
	[ "$status" -eq 0 ]
}

@test "import usage: a missing path or an unknown format exits 2, --help 0" {
	run ctl import fastapi
	[ "$status" -eq 2 ]
	run ctl import mysql "$FIX/fastapi.db"
	[ "$status" -eq 2 ]
	[[ $(ctl_err) == *"unknown format 'mysql'"* ]]
	run ctl import fastapi "$FIX/fastapi.db" --email-domain example.org
	[ "$status" -eq 2 ]
	run ctl import flask-json "$FIX/users.json" --email-domain nodot
	[ "$status" -eq 2 ]
	[[ $(ctl_err) == *"--email-domain 'nodot' is not a valid email domain"* ]]
	run ctl import fastapi "$FIX/fastapi.db" --bogus
	[ "$status" -eq 2 ]
	run ctl import --help
	[ "$status" -eq 0 ]
	[[ $output == *"authctl import flask-json PATH"* ]]
}
