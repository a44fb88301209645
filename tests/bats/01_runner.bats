#!/usr/bin/env bats
#
# tests/run cannot report green over a broken suite: it is run here on
# deliberately broken fixtures, made in a temporary directory (never
# committed as tests): a skip, a mid-test `&&` that passes at run time, a
# mid-test `!`, a bats file whose setup_file fails, one that hangs, unit
# binaries that abort or are missing. Each must end the run non-zero,
# named, and counted on the closing line "N passed, N failed, N skipped".
# Also: tests/lint-bats lets the legitimate forms through.

load helpers

RUN=$HELPERS_REPO/tests/run

setup() {
	FX=$BATS_TEST_TMPDIR/fx
	mkdir -p "$FX/unit"
	# An empty allow-list unless a test gives one.
	: >"$FX/allow"
	export TESTS_SKIP_ALLOW=$FX/allow
}

# fresh CMD...: bats's run of CMD as if from a shell: without this bats's
# BATS_* variables and its fd 3, which a bats inside would take for its own,
# and without the outer run's AUTHD_BUILD/AUTHD_EXEC (make sanitize, make
# test-arm64): the fixtures are native binaries beside their sources.
fresh() {
	local -a unset=()
	local v
	for v in $(compgen -e); do
		if [[ $v == BATS_* || $v == AUTHD_BUILD || $v == AUTHD_EXEC ]]; then
			unset+=(-u "$v")
		fi
	done
	run env "${unset[@]}" "$@" 3>&- </dev/null
}

# fixture NAME.bats: the file from stdin, its tests written "TEST" (bats
# would take a line starting with @test, even in a here-document, for a
# test of this file).
fixture() {
	sed 's/^TEST /@test /' >"$FX/$1"
}

# closing LINE: the run's last line is exactly LINE.
closing() {
	local last
	last=$(tail -n 1 <<<"$output")
	[[ $last == "$1" ]] || _fail "closing line: '$last', want '$1'" "$output"
}

# has TEXT: the run printed TEXT (a fixed string) somewhere.
has() {
	grep -qF -- "$1" <<<"$output" || _fail "no '$1' in the output" "$output"
}

# unit_fixture NAME: compiles $FX/unit/NAME.c (t.h from tests/unit).
unit_fixture() {
	cc -std=c11 -D_GNU_SOURCE -Wall -Werror -I "$HELPERS_REPO/tests/unit" \
	    -o "$FX/unit/$1" "$FX/unit/$1.c"
}

@test "a skip is counted as skipped, and fails the run unless it is allowed" {
	fixture skip.bats <<'EOF'
TEST "runs" { true; }
TEST "skips" { skip "not today"; }
EOF
	fresh "$RUN" "$FX/skip.bats"
	[[ $status -ne 0 ]] || _fail "a skip passed the run" "$output"
	has 'skip.bats: "skips" was skipped and is not in allow'
	has "bats: 1 passed, 0 failed, 1 skipped (1 not allowed)"
	closing "1 passed, 1 failed, 1 skipped"
	echo "skip.bats: skips" >"$FX/allow"
	fresh "$RUN" "$FX/skip.bats"
	[[ $status -eq 0 ]] || _fail "an allowed skip failed the run" "$output"
	closing "1 passed, 0 failed, 1 skipped"
}

@test "a mid-test && and a mid-test ! pass at run time, and the lint refuses both" {
	fixture lies.bats <<'EOF'
TEST "and" {
	false && true
	true
}
TEST "not" {
	! true
	true
}
TEST "local" {
	local x=$(false)
	true
}
EOF
	fresh "$RUN" "$FX/lies.bats"
	[[ $status -ne 0 ]] || _fail "the lies passed" "$output"
	has "lies.bats:2: a mid-test \`a && b\` list"
	has "lies.bats:6: a mid-test \`! cmd\`"
	has "lies.bats:10: \`local NAME=\$(cmd)\` hides the failure"
	# bats itself sees three passing tests: only the lint tells.
	has "bats: 3 passed, 0 failed"
	has "lint: 1 file(s), 3 problem(s)"
	closing "3 passed, 3 failed, 0 skipped"
}

@test "the lint lets the legitimate forms through" {
	fixture fine.bats <<'EOF'
helper() {
	local x
	x=$(echo 1)
	[[ -n $x ]] && [[ $x == 1 ]]
}
TEST "fine" {
	[ 1 -eq 1 ] || fail "x"
	! grep -q nothing /dev/null || fail "y"
	[[ 1 == 1 && 2 == 2 ]]
	(( 1 < 2 && 2 < 3 ))
	[[ -n x ]] && [[ -n y ]] || fail "z"
	if ! false; then true; fi
	while ! true; do :; done
	( true && true )
	grep -q nothing /dev/null && fail "found"
	local ok=0
	true && ok=1
	sleep 0.01 # sleep-ok: a fixture
	helper
	true && true
}
EOF
	run "$HELPERS_REPO/tests/lint-bats" "$FX/fine.bats"
	[[ $status -eq 0 ]] || _fail "the lint refused legitimate code" "$output"
	[[ -z $output ]] || _fail "the lint said something" "$output"
}

@test "a bats file whose setup_file fails: its tests that did not run are failures" {
	fixture broken.bats <<'EOF'
setup_file() { false; }
TEST "a" { true; }
TEST "b" { true; }
TEST "c" { true; }
EOF
	fresh "$RUN" "$FX/broken.bats"
	[[ $status -ne 0 ]] || _fail "passed" "$output"
	has "broken.bats: 2 of its 3 test(s) did not run"
	closing "0 passed, 3 failed, 0 skipped"
}

@test "a bats file that hangs is stopped by its timeout and named" {
	fixture hang.bats <<'EOF'
TEST "quick" { true; }
TEST "hangs" {
	sleep 60 # sleep-ok: the fixture of a hanging test
}
EOF
	TESTS_BATS_TIMEOUT=3 fresh "$RUN" "$FX/hang.bats"
	[[ $status -ne 0 ]] || _fail "passed" "$output"
	has "hang.bats: timed out after 3s (TESTS_BATS_TIMEOUT); stopped"
	has "hang.bats: 1 of its 2 test(s) did not run"
	closing "1 passed, 2 failed, 0 skipped"
	# Nothing of it is left running.
	run pgrep -f "$FX/hang.bats"
	[[ $status -eq 1 ]] || _fail "left running: $output"
}

@test "a unit binary that aborts fails the run and says how many checks did not run" {
	cat >"$FX/unit/test_abort.c" <<'EOF'
#include <stdlib.h>
#include "t.h"
int
main(void)
{
	T_OK(1, "one");
	T_OK(1, "two");
	if (getenv("FIXTURE_ABORT") != NULL)
		abort();
	T_OK(1, "three");
	T_OK(1, "four");
	T_OK(1, "five");
	return t_done("abort");
}
EOF
	unit_fixture test_abort
	fresh "$RUN" "$FX/unit/test_abort.c"
	[[ $status -eq 0 ]] || _fail "$output"
	closing "5 passed, 0 failed, 0 skipped"
	FIXTURE_ABORT=1 fresh "$RUN" "$FX/unit/test_abort.c"
	[[ $status -ne 0 ]] || _fail "an abort passed" "$output"
	has "test_abort: killed by SIGABRT after 2 check(s) (2 passed, 0 failed); 3 check(s) did not run (its last complete run made 5)"
	closing "2 passed, 4 failed, 0 skipped"
}

@test "a unit test without its binary, and one that times out, fail the run" {
	cat >"$FX/unit/test_missing.c" <<'EOF'
int main(void) { return 0; }
EOF
	cat >"$FX/unit/test_slow.c" <<'EOF'
#include <unistd.h>
#include "t.h"
int
main(void)
{
	T_OK(1, "one");
	sleep(60);
	return t_done("slow");
}
EOF
	unit_fixture test_slow
	TESTS_UNIT_TIMEOUT=2 fresh "$RUN" "$FX/unit/test_missing.c" "$FX/unit/test_slow.c"
	[[ $status -ne 0 ]] || _fail "passed" "$output"
	has "test_missing: no binary for"
	has "test_slow: timed out after 2s (TESTS_UNIT_TIMEOUT) after 1 check(s)"
	closing "1 passed, 2 failed, 0 skipped"
}

@test "a full run lists every unit source: a missing binary among them fails" {
	cat >"$FX/unit/test_alone.c" <<'EOF'
int main(void) { return 0; }
EOF
	mkdir -p "$FX/bats"
	fixture bats/ok.bats <<'EOF'
TEST "ok" { true; }
EOF
	TESTS_UNIT_DIR=$FX/unit TESTS_BATS_DIR=$FX/bats fresh "$RUN"
	[[ $status -ne 0 ]] || _fail "passed" "$output"
	has "test_alone: no binary for"
	has "lint: 1 file(s), no problem"
	closing "1 passed, 1 failed, 0 skipped"
}
