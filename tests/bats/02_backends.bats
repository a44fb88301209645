#!/usr/bin/env bats
#
# The two backends of make test (SPEC §11) cannot hide a test: tests/run's
# exclusion list (tests/backend-exclude) leaves out only what it names
# with a reason, names and counts what it leaves out, and fails on a line
# without a reason or naming what does not exist; tests/run-backends adds
# up both passes and fails when one fails. Run on fixture files in a
# temporary directory; tests/pg/pg is exercised for real (a server
# started, restarted and removed).

load helpers

RUN=$HELPERS_REPO/tests/run
PG=$HELPERS_REPO/tests/pg/pg

setup() {
	FX=$BATS_TEST_TMPDIR/fx
	mkdir -p "$FX/unit"
	: >"$FX/allow"
	: >"$FX/exclude"
	export TESTS_SKIP_ALLOW=$FX/allow TESTS_BACKEND_EXCLUDE=$FX/exclude
	export TESTS_BATS_DIR=$FX TESTS_UNIT_DIR=$FX/unit
	fixture a.bats <<'EOF'
TEST "a passes" { true; }
EOF
	fixture b.bats <<'EOF'
TEST "b passes" { true; }
# bats test_tags=only-b
TEST "b tagged passes" { true; }
EOF
}

teardown() {
	if [[ -n ${PGDIR:-} ]]; then
		"$PG" destroy "$PGDIR"
	fi
}

# fresh CMD...: CMD without bats's own variables and fd 3 (see 01_runner),
# without the outer run's build and backend.
fresh() {
	local -a unset=()
	local v
	for v in $(compgen -e); do
		if [[ $v == BATS_* || $v == AUTHD_BUILD || $v == AUTHD_EXEC ||
		    $v == TESTS_BACKEND || $v == STACK_DATABASE_URL || $v == TESTS_PG_DIR ]]; then
			unset+=(-u "$v")
		fi
	done
	run env "${unset[@]}" "$@" 3>&- </dev/null
}

fixture() {
	sed 's/^TEST /@test /' >"$FX/$1"
}

closing() {
	local last
	last=$(tail -n 1 <<<"$output")
	[[ $last == "$1" ]] || _fail "closing line: '$last', want '$1'" "$output"
}

has() {
	grep -qF -- "$1" <<<"$output" || _fail "no '$1' in the output" "$output"
}

@test "a file excluded for the backend is not run, named with its reason and counted; the other backend runs it" {
	echo "postgresql b.bats -- b needs the SQLite file" >"$FX/exclude"
	fresh env TESTS_BACKEND=postgresql STACK_DATABASE_URL=postgresql:///none "$RUN"
	[[ $status -eq 0 ]] || _fail "exit $status"
	has "excluded on postgresql - "
	has "b.bats (2 test(s)): b needs the SQLite file"
	has "backend: postgresql; excluded: 2 test(s) in 1 file(s) and 0 tagged test(s) (exclude)"
	closing "1 passed, 0 failed, 0 skipped"
	fresh env TESTS_BACKEND=sqlite "$RUN"
	[[ $status -eq 0 ]] || _fail "exit $status"
	closing "3 passed, 0 failed, 0 skipped"
}

@test "tests tagged for exclusion are left out of that backend only, and counted" {
	echo "sqlite tag:only-b -- the tagged test needs a server" >"$FX/exclude"
	fresh "$RUN"
	[[ $status -eq 0 ]] || _fail "exit $status"
	has "b.bats: 1 test(s) tagged only-b"
	has "backend: sqlite; excluded: 0 test(s) in 0 file(s) and 1 tagged test(s) (exclude)"
	closing "2 passed, 0 failed, 0 skipped"
	fresh env TESTS_BACKEND=postgresql STACK_DATABASE_URL=postgresql:///none "$RUN"
	[[ $status -eq 0 ]] || _fail "exit $status"
	closing "3 passed, 0 failed, 0 skipped"
}

@test "an exclusion without a reason, of a missing file or of a tag no test carries fails the run" {
	printf '%s\n' "postgresql a.bats" "postgresql gone.bats -- it left" \
	    "sqlite tag:nobody -- no such tag" "mysql a.bats -- no such backend" >"$FX/exclude"
	fresh "$RUN"
	[[ $status -ne 0 ]] || _fail "the run succeeded"
	has 'exclude:1: not "BACKEND FILE.bats|tag:TAG -- reason": postgresql a.bats'
	has "exclude:2: no file gone.bats"
	has "exclude:3: no test carries the tag nobody"
	has "exclude:4: unknown backend mysql"
	has "4 problem(s) in the list"
	closing "3 passed, 4 failed, 0 skipped"
}

@test "the PostgreSQL pass needs a server and says so" {
	fresh env TESTS_BACKEND=postgresql "$RUN"
	[[ $status -eq 2 ]] || _fail "exit $status"
	has "TESTS_BACKEND=postgresql needs STACK_DATABASE_URL"
	fresh env TESTS_BACKEND=oracle "$RUN"
	[[ $status -eq 2 ]] || _fail "exit $status"
}

@test "run-backends adds up both passes, prefixes their lines, and fails when one fails" {
	echo "postgresql b.bats -- b needs the SQLite file" >"$FX/exclude"
	fresh "$HELPERS_REPO/tests/run-backends"
	[[ $status -eq 0 ]] || _fail "exit $status"
	has "[sqlite] ok 1 a passes"
	has "[postgresql] ok 1 a passes"
	has "sqlite: 3 passed, 0 failed, 0 skipped in "
	has "postgresql: 1 passed, 0 failed, 0 skipped in "
	closing "4 passed, 0 failed, 0 skipped"
	fixture c.bats <<'EOF'
TEST "c fails on PostgreSQL" { [[ ${STACK_DATABASE_URL:-} != postgresql* ]]; }
EOF
	fresh "$HELPERS_REPO/tests/run-backends"
	[[ $status -ne 0 ]] || _fail "the run succeeded"
	closing "5 passed, 1 failed, 0 skipped"
	has "not ok 1 c fails on PostgreSQL"
}

@test "tests/pg/pg: a server on a Unix socket only, with the test settings; restart keeps the data; destroy removes it" {
	PGDIR=$(mktemp -d /tmp/authd-pg.XXXXXX)
	local url
	url=$("$PG" start "$PGDIR")
	[[ $url == "postgresql:///authd?host=$PGDIR&user=authd" ]] || _fail "url: $url"
	[[ -S $PGDIR/.s.PGSQL.5432 ]] || _fail "no socket in $PGDIR"
	[[ $(psql -X -At -d "$url" -c 'SHOW listen_addresses') == "" ]] || _fail "listens on TCP"
	[[ $(psql -X -At -d "$url" -c 'SHOW fsync') == off ]] || _fail "fsync on"
	[[ $(psql -X -At -d "$url" -c 'SHOW synchronous_commit') == off ]] || _fail "synchronous_commit on"
	[[ $(psql -X -At -d "$url" -c 'SHOW full_page_writes') == off ]] || _fail "full_page_writes on"
	if [[ $(id -u) -eq 0 ]]; then
		[[ $(stat -c %U "$PGDIR/data") == authd-test ]] || _fail "the server's files belong to $(stat -c %U "$PGDIR/data")"
	fi
	psql -X -q -d "$url" -c 'CREATE TABLE t (x int); INSERT INTO t VALUES (42)'
	"$PG" stop "$PGDIR"
	run psql -X -At -d "$url" -c 'SELECT 1'
	[[ $status -ne 0 ]] || _fail "still answers after stop"
	"$PG" restart "$PGDIR"
	[[ $(psql -X -At -d "$url" -c 'SELECT x FROM t') == 42 ]] || _fail "data lost over the restart"
	"$PG" destroy "$PGDIR"
	[[ ! -e $PGDIR ]] || _fail "$PGDIR left"
	PGDIR=
}
