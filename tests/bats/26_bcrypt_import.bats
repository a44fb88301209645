#!/usr/bin/env bats
#
# Accounts brought over from the FastAPI service keep its password hashes:
# bcrypt "$2b$", cost 12, made by the Python bcrypt package (passlib's
# bcrypt backend calls the same bcrypt.hashpw with a "2b" salt of 12
# rounds). Such a row is put into the running stack's database with
# sqlite3, as an import leaves it; the right password logs in and the hash
# is replaced by argon2id at that login (docs/DECISIONS.md), a wrong one
# is the usual 401 and changes nothing. Needs python3-bcrypt.

load helpers

setup_file() {
	start_stack
}

teardown_file() {
	stop_stack
}

sql() {
	stack_sql "$1"
}

# bcrypt_hash PASSWORD: the hash the FastAPI service stored for it.
bcrypt_hash() {
	"$PY" -c '
import sys, bcrypt
print(bcrypt.hashpw(sys.argv[1].encode("utf-8"),
                    bcrypt.gensalt(rounds=12, prefix=b"2b")).decode("ascii"))
' "$1"
}

# imported_user PASSWORD: a row as the FastAPI service held it, with that
# password's bcrypt hash. Sets USER_ID, USER_NAME, USER_EMAIL, USER_HASH.
imported_user() {
	USER_ID=$("$PY" -c 'import uuid; print(uuid.uuid4())')
	USER_NAME=$(unique_name fa)
	USER_EMAIL=$USER_NAME@example.com
	USER_HASH=$(bcrypt_hash "$1")
	[[ $USER_HASH == '$2b$12$'* && ${#USER_HASH} == 60 ]] ||
	    _fail "not a bcrypt 2b hash: $USER_HASH" || return 1
	sql "INSERT INTO users (id, email, username, password_hash, created_at, updated_at)
	     VALUES ('$USER_ID', '$USER_EMAIL', '$USER_NAME', '$USER_HASH',
	             $(($(date +%s) - 86400)), $(($(date +%s) - 86400)))"
}

stored_hash() {
	sql "SELECT password_hash FROM users WHERE id = '$USER_ID'"
}

@test "an imported bcrypt hash logs in with its password and is replaced by argon2id" {
	imported_user 'Imported-pw1 ünïcode'
	api POST /api/v1/auth/login \
	    "{\"login\":\"$USER_EMAIL\",\"password\":\"Imported-pw1 ünïcode\"}"
	assert_status 200
	assert_json_eq .user.id "$USER_ID"
	api_bearer "$(json_get .access_token)" GET /api/v1/users/me
	assert_status 200
	assert_json_eq .username "$USER_NAME"
	# Rehashed at that login.
	[[ $(stored_hash) == '$argon2id$'* ]] || _fail "still $(stored_hash)"
	# The new hash takes the same password, and only it.
	login_user "$USER_NAME" 'Imported-pw1 ünïcode'
	api POST /api/v1/auth/login \
	    "{\"login\":\"$USER_EMAIL\",\"password\":\"imported-pw1 ünïcode\"}"
	assert_status 401
}

@test "a wrong password against an imported bcrypt hash is the usual 401 and keeps the hash" {
	local pw
	imported_user 'Imported-pw2'
	for pw in 'imported-pw2' 'Imported-pw' 'Imported-pw2x' 'x'; do
		api POST /api/v1/auth/login "{\"login\":\"$USER_EMAIL\",\"password\":\"$pw\"}"
		assert_status 401
		assert_body_json '{"detail":"Incorrect email or password"}'
		assert_header WWW-Authenticate Bearer
	done
	[[ $(stored_hash) == "$USER_HASH" ]] || _fail "the hash changed: $(stored_hash)"
	# And the right one still works afterwards.
	login_user "$USER_EMAIL" 'Imported-pw2'
}

@test "an imported bcrypt account logs in through the OAuth2 form by username" {
	imported_user 'Form-pw3'
	api_form POST /api/v1/auth/login "username=$USER_NAME&password=Form-pw3&grant_type=password"
	assert_status 200
	assert_json_eq .token_type bearer
	[[ $(stored_hash) == '$argon2id$'* ]] || _fail "still $(stored_hash)"
}
