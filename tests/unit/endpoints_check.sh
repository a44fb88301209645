#!/bin/sh
# Every route of the route table (handlers/router.c) has at least one
# bats test that calls it: tests/endpoints --check, which names the
# routes without one.  `tests/endpoints WORD` lists an endpoint's tests.
set -eu
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/endpoints --check
