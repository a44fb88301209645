#!/bin/sh
# spawn/deps.sh: installs the Debian packages a make target needs, when
# they are missing (Debian 12 / Raspberry Pi OS; root, or sudo).
#
#   sh spawn/deps.sh run     what running needs (make, make run, make
#                            install): the build tools, pkg-config, the
#                            -dev libraries (libpq-dev: the PostgreSQL
#                            client of DATABASE_URL), nginx, spawn-fcgi,
#                            sqlite3, curl
#   sh spawn/deps.sh test    the run list, then what the tests need (make
#                            test, sanitize, fuzz, bench, the valgrind pass)
#   sh spawn/deps.sh arm64   the test list, then the aarch64 cross
#                            compiler, the :arm64 -dev libraries (multiarch)
#                            and qemu-user (make test-arm64)
#
# A service box (a Pi) only ever needs the run list: no browser, no
# compiler for another architecture, no test tools.
set -eu

RUN_PKGS="build-essential pkg-config libfcgi-dev libsqlite3-dev libjson-c-dev
libssl-dev libargon2-dev libcrypt-dev libcurl4-openssl-dev libpq-dev nginx-light
spawn-fcgi sqlite3 curl ca-certificates procps"

# bats: the integration tests; python3 and its modules: the SMTP sink
# (aiosmtpd), token forgery and checks (jwt), docs.yaml (yaml), hashes of
# the systems users are imported from (bcrypt, werkzeug), the metrics
# format (prometheus-client); wrk: make bench; clang and its libFuzzer and
# sanitizer runtimes (only recommended by clang): make fuzz; valgrind: the
# valgrind pass; systemd: systemd-analyze verify of the installed units
# (07_install.bats), not to run anything; prometheus: a real scrape of
# /metrics (93_metrics.bats); postgresql: the throw-away server of the
# PostgreSQL pass of make test and of make bench (tests/pg/pg); shfmt: the
# parser of tests/lint-bats (without it every run fails on the lint).
TEST_PKGS="bats python3 python3-aiosmtpd python3-jwt python3-yaml
python3-bcrypt python3-werkzeug python3-prometheus-client wrk clang
libclang-rt-dev valgrind systemd prometheus postgresql shfmt"

# The libraries are Multi-Arch: same, so the :arm64 -dev packages install
# beside the amd64 ones; qemu-user runs the aarch64 binaries.  Except
# libpq-dev, which is not (its :arm64 package would remove the amd64
# one): the library alone (libpq5:arm64), found by the cross-build
# through spawn/arm64/libpq.pc with libpq-dev's headers.
ARM64_PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
libfcgi-dev:arm64 libsqlite3-dev:arm64 libjson-c-dev:arm64 libssl-dev:arm64
libargon2-dev:arm64 libcrypt-dev:arm64 libcurl4-openssl-dev:arm64
libpq5:arm64"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps: not root and no sudo: install the packages of" \
		    "spawn/deps.sh as root" >&2
		exit 1
	fi
	SUDO="sudo"
fi
updated=0

# install_missing PKG...: apt-get install those not installed yet.
install_missing() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	if [ "$updated" -eq 0 ]; then
		$SUDO apt-get update -qq
		updated=1
	fi
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends \
	    -o DPkg::Lock::Timeout=300 $missing
}

run_deps() {
	# shellcheck disable=SC2086
	install_missing $RUN_PKGS
}

test_deps() {
	run_deps
	# shellcheck disable=SC2086
	install_missing $TEST_PKGS
	# The OpenAPI test runs a validator from the npm registry: npm may
	# come from Debian or from elsewhere (nodesource), so look for the
	# command rather than the package.
	command -v npm >/dev/null 2>&1 || install_missing nodejs npm
	# The browser tests bring their own installer (Chromium).
	if [ -f tests/browser/install.sh ]; then
		sh tests/browser/install.sh
	fi
}

arm64_deps() {
	test_deps
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		echo "deps: adding the arm64 architecture (multiarch)"
		$SUDO dpkg --add-architecture arm64
		updated=0
	fi
	# shellcheck disable=SC2086
	install_missing $ARM64_PKGS
}

cd "$(dirname "$0")/.."
case ${1:-test} in
run) run_deps ;;
test) test_deps ;;
arm64) arm64_deps ;;
*)
	echo "usage: sh spawn/deps.sh run|test|arm64" >&2
	exit 2 ;;
esac
