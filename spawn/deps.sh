#!/bin/sh
# Installs the Debian packages authd needs to build, run and test, when missing.
set -e
PKGS="build-essential pkg-config libfcgi-dev spawn-fcgi nginx-light
libsqlite3-dev sqlite3 libjson-c-dev libssl-dev libargon2-dev libcrypt-dev
libcurl4-openssl-dev curl bats python3 python3-aiosmtpd python3-jwt
python3-yaml wrk clang valgrind"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
# The OpenAPI test runs a validator from the npm registry: it needs npm,
# which may come from Debian or from elsewhere (nodesource), so look for
# the command rather than the package.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
