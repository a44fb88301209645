#!/usr/bin/env bats
#
# Issue 14's Done-when, in one run: a deliberately broken copy of a suite
# (tests/unit and tests/bats of a temporary directory) holding a skipped
# test, a mid-test `&&` whose first command fails, a mid-test `!` whose
# command succeeds, a unit binary that aborts and a unit source without a
# binary. A full tests/run over it (what make test runs) must end
# non-zero, name each of them in its list of failures, and count them on
# the closing line. 01_runner.bats checks each case on its own.

load helpers

RUN=$HELPERS_REPO/tests/run

setup() {
	FX=$BATS_TEST_TMPDIR/fx
	mkdir -p "$FX/unit" "$FX/bats"
	: >"$FX/allow"
	export TESTS_SKIP_ALLOW=$FX/allow
}

# fresh CMD...: run CMD without bats's BATS_* variables and fd 3 (a bats
# inside would take them for its own) and without the outer run's
# AUTHD_BUILD/AUTHD_EXEC: the fixtures are native binaries.
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

# has TEXT: the run printed TEXT (a fixed string) somewhere.
has() {
	grep -qF -- "$1" <<<"$output" || _fail "no '$1' in the output" "$output"
}

# listed TEXT: TEXT is in the list of failures printed before the closing
# lines (what a shortened CI log still shows).
listed() {
	local list
	list=$(sed -n '/^failures of this run/,$p' <<<"$output")
	grep -qF -- "$1" <<<"$list" || _fail "'$1' is not in the list of failures" "$output"
}

@test "a broken copy of the suite ends non-zero, naming the skip, the && , the !, the abort and the missing binary" {
	# The bats half: three tests that bats alone reports as passing.
	sed 's/^TEST /@test /' >"$FX/bats/broken.bats" <<'EOF'
TEST "skipped" {
	skip "not today"
}
TEST "and" {
	[ 0 -ge 2 ] && [ 0 -le 6 ]
	true
}
TEST "not" {
	! true
	true
}
TEST "fine" {
	true
}
EOF
	# The unit half: one binary that aborts after two of its five checks
	# (when FIXTURE_ABORT is set), one source never built.
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
	cc -std=c11 -D_GNU_SOURCE -Wall -Werror -I "$HELPERS_REPO/tests/unit" \
	    -o "$FX/unit/test_abort" "$FX/unit/test_abort.c"
	echo 'int main(void) { return 0; }' >"$FX/unit/test_gone.c"

	# A first run: the binary completes (tests/run learns its 5 checks).
	TESTS_UNIT_DIR=$FX/unit TESTS_BATS_DIR=$FX/bats fresh "$RUN"
	[[ $status -ne 0 ]] || _fail "the broken suite passed" "$output"
	has "unit:abort: 5 passed, 0 failed"

	FIXTURE_ABORT=1 TESTS_UNIT_DIR=$FX/unit TESTS_BATS_DIR=$FX/bats fresh "$RUN"
	[[ $status -ne 0 ]] || _fail "the broken suite passed" "$output"
	listed 'broken.bats: "skipped" was skipped and is not in allow'
	listed "broken.bats:5: a mid-test \`a && b\` list"
	listed "broken.bats:9: a mid-test \`! cmd\`"
	listed "test_abort: killed by SIGABRT after 2 check(s) (2 passed, 0 failed); 3 check(s) did not run (its last complete run made 5)"
	listed "test_gone: no binary for"
	has "lint: 1 file(s), 2 problem(s)"
	has "unit: 2 passed, 0 failed in 2 file(s); 2 stopped or missing, 3 known check(s) did not run"
	has "bats: 3 passed, 0 failed, 1 skipped (1 not allowed) in 1 file(s)"
	# passed: 2 checks + 3 bats tests; failed: 2 lint problems, the abort,
	# its 3 checks that did not run, the missing binary, the refused skip.
	[[ $(tail -n 1 <<<"$output") == "5 passed, 8 failed, 1 skipped" ]] ||
	    _fail "closing line: $(tail -n 1 <<<"$output")" "$output"
}

@test "the lint refuses the issue's own examples of assertions that cannot fail" {
	sed 's/^TEST /@test /' >"$FX/lies.bats" <<'EOF'
# The restart count's lower bound of 15_process before issue 14.
count_ok() {
	[ "$1" -ge 2 ] && [ "$1" -le 6 ]
	echo "checked"
}
TEST "lies" {
	local n=0 i
	[ "$n" -ge 2 ] && [ "$n" -le 6 ]
	for i in 1 2; do
		grep -q "$i" /dev/null && true
	done
	if true; then
		! grep -q secret /dev/null
		echo next
	fi
	true || ! false
	{ false && true; }
	sleep 1
	true
}
EOF
	run "$HELPERS_REPO/tests/lint-bats" "$FX/lies.bats"
	[[ $status -eq 1 ]] || _fail "lint exit $status" "$output"
	has "lies.bats:3: a mid-test \`a && b\` list"
	has "lies.bats:8: a mid-test \`a && b\` list"
	has "lies.bats:10: a mid-test \`a && b\` list"
	has "lies.bats:13: a mid-test \`! cmd\`"
	has "lies.bats:16: \`a || ! b\`"
	has "lies.bats:17: a mid-test \`a && b\` list"
	has "lies.bats:18: \`sleep\` without a \"# sleep-ok: <why>\" comment"
	[[ $(grep -c . <<<"$output") == 7 ]] || _fail "7 problems expected" "$output"
}

@test "a bats file the lint cannot parse fails the run, named in the list of failures" {
	printf '%s\n' '@test "a" { true; }' 'if then fi' >"$FX/syntax.bats"
	fresh "$RUN" "$FX/syntax.bats"
	[[ $status -ne 0 ]] || _fail "passed" "$output"
	listed "syntax.bats: shfmt cannot parse it"
	[[ $(tail -n 1 <<<"$output") == "0 passed, 2 failed, 0 skipped" ]] ||
	    _fail "closing line: $(tail -n 1 <<<"$output")" "$output"
}
