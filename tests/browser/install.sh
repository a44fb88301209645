#!/bin/sh
# Installs what the browser test (tests/bats/85_browser.bats) needs, once:
# Debian's chromium and the npm packages of package-lock.json
# (playwright-core, which drives the system chromium; it downloads no
# browser of its own). Idempotent: does nothing when both are there.
set -e
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get install -y -o DPkg::Lock::Timeout=300 chromium
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "install.sh: npm is missing (Debian: apt-get install npm)" >&2
	exit 1
fi
if [ ! -d node_modules/playwright-core ] ||
    [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund
fi
