#!/usr/bin/env bats
#
# DATABASE_URL (SPEC §11): empty is SQLite, a postgresql:// or postgres://
# URL is PostgreSQL, anything else stops the start naming the variable.
# A server that cannot be reached fails the start after a bounded wait,
# with a message naming the server and never the URL's password.  (The
# service on PostgreSQL is tested by the PostgreSQL pass of the whole
# suite and by 96_two_nodes.)

load helpers

setup() {
	export AUTH_STATE_DIR=$BATS_TEST_TMPDIR/state
	export DATABASE_PATH=$AUTH_STATE_DIR/auth.db
	export AUTH_ENV_FILE=$BATS_TEST_TMPDIR/empty.env
	: >"$AUTH_ENV_FILE"
	unset DATABASE_URL
}

@test "a DATABASE_URL that is not postgresql:// or postgres:// stops the start naming the variable" {
	local v
	for v in mysql://db/authd sqlite:///tmp/a.db "host=db dbname=authd" \
	    postgresql:/db; do
		run env DATABASE_URL="$v" "$AUTHD_BIN" --check
		[ "$status" -eq 2 ] || _fail "$v: status $status"
		[[ $output == *"DATABASE_URL: must be empty (SQLite) or a postgresql:// or postgres:// URL"* ]] ||
		    _fail "$v: $output"
	done
	[ ! -e "$DATABASE_PATH" ] || _fail "a database file was made"
}

@test "an empty DATABASE_URL is SQLite in the state directory" {
	run env DATABASE_URL= "$AUTHD_BIN" --check
	[ "$status" -eq 0 ] || _fail "$output"
	[ -f "$DATABASE_PATH" ] || _fail "no SQLite file"
	[ "$(stat -c %a "$DATABASE_PATH")" = 600 ]
}

@test "an unreachable PostgreSQL fails the start in bounded time, naming the server, never the password" {
	local url='postgresql://authd:s3cretPW%21@127.0.0.1:1/authddb' t0 took
	t0=$SECONDS
	run timeout 60 env DATABASE_URL="$url" "$AUTHD_BIN" --check
	took=$((SECONDS - t0))
	[ "$status" -eq 1 ] || _fail "status $status: $output"
	[[ $output == *"127.0.0.1:1/authddb"* ]] || _fail "$output"
	[[ $output != *s3cretPW* ]] || _fail "the password was logged: $output"
	(( took < 40 )) || _fail "took ${took}s"
	run timeout 60 env DATABASE_URL="${url/postgresql/postgres}" "$AUTHCTL_BIN" user list
	[ "$status" -ne 0 ] || _fail "authctl: status $status"
	[[ $output == *"127.0.0.1:1/authddb"* ]] || _fail "authctl: $output"
	[[ $output != *s3cretPW* ]] || _fail "authctl logged the password: $output"
	[ ! -e "$DATABASE_PATH" ] || _fail "an SQLite file was made"
}
