#!/usr/bin/env bats
#
# The Makefile as a packager and an operator meet it: `make install
# DESTDIR=... PREFIX=/usr` writes units and a supervisord configuration for
# that PREFIX, the installed mailer finds its templates, the compiled-in
# paths follow a changed PREFIX, a missing library stops the build with its
# name, a header change rebuilds exactly the objects that include it and a
# change of compiler flags rebuilds everything.
# Everything is built in a directory of its own (O=...): the tree's
# objects are neither used nor touched.

load helpers

# The make of this file, whatever make or environment runs the suite.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE -u ARCH -u O \
	    -u PREFIX -u DESTDIR make -C "$HELPERS_REPO" --no-print-directory "$@"
}

setup_file() {
	export OBJ=$BATS_FILE_TMPDIR/obj/ DEST=$BATS_FILE_TMPDIR/dest
	if ! mk -j2 O="$OBJ" DESTDIR="$DEST" PREFIX=/usr install \
	    >"$BATS_FILE_TMPDIR/install.log" 2>&1; then
		tail -n 40 "$BATS_FILE_TMPDIR/install.log" >&2
		return 1
	fi
}

@test "make install DESTDIR PREFIX=/usr puts the programs in /usr/bin and the rest in /usr/share/authd" {
	local f
	for f in auth.fcgi auth-mailer authctl authd-spawn; do
		[ -x "$DEST/usr/bin/$f" ] || _fail "missing $DEST/usr/bin/$f"
	done
	for f in schema.sql authd.env.example migrations/0001_init.sql \
	    migrations/pg/0001_init.sql \
	    templates/reset_password.subject nginx/authd.conf \
	    nginx/authd-upstream.conf spawn/authd.service \
	    spawn/auth-mailer.service spawn/authd.socket spawn/supervisord.conf; do
		[ -f "$DEST/usr/share/authd/$f" ] || _fail "missing /usr/share/authd/$f"
	done
	# Nothing outside the PREFIX and no template left uninstalled.
	run find "$DEST" -mindepth 1 -maxdepth 1
	[ "$output" = "$DEST/usr" ] || _fail "outside /usr: $output"
	run find "$DEST" -name '*.in'
	[ -z "$output" ] || _fail "templates installed as such: $output"
}

@test "the installed units and supervisord.conf name /usr/bin and nothing of /usr/local" {
	local s=$DEST/usr/share/authd/spawn
	grep -qx 'ExecStart=/usr/bin/auth.fcgi' "$s/authd.service"
	grep -qx 'ExecStart=/usr/bin/auth-mailer' "$s/auth-mailer.service"
	grep -q '^command=/usr/bin/authd-spawn ' "$s/supervisord.conf"
	grep -qx 'command=/usr/bin/auth-mailer' "$s/supervisord.conf"
	grep -q 'AUTH_ENV_FILE="/etc/authd/authd.env"' "$s/supervisord.conf"
	grep -qx 'Environment=AUTH_ENV_FILE=/etc/authd/authd.env' "$s/authd.service"
	run grep -rn '/usr/local\|@[A-Z][A-Z_]*@' "$s"
	[ "$status" -eq 1 ] || _fail "left over: $output"
	# Every program a unit or supervisord starts is one that was installed.
	local p
	for p in $(sed -nE 's/^(ExecStart=|command=)([^ ]+).*/\2/p' "$s"/*.service "$s/supervisord.conf"); do
		[ -x "$DEST$p" ] || _fail "$p is not installed"
	done
}

@test "systemd-analyze verify accepts the units as installed for a PREFIX" {
	# verify checks that ExecStart= exists, so this install is a real
	# one under a temporary PREFIX (no DESTDIR).
	local pfx=$BATS_TEST_TMPDIR/pfx obj=$BATS_TEST_TMPDIR/obj
	cp -a "$OBJ" "$obj"
	run mk -j2 O="$obj/" PREFIX="$pfx" install
	[ "$status" -eq 0 ] || _fail "$output"
	grep -qx "ExecStart=$pfx/bin/auth.fcgi" "$pfx/share/authd/spawn/authd.service"
	run systemd-analyze verify "$pfx/share/authd/spawn/authd.service" \
	    "$pfx/share/authd/spawn/auth-mailer.service" \
	    "$pfx/share/authd/spawn/authd.socket"
	[ "$status" -eq 0 ] || _fail "systemd-analyze: $output"
}

@test "the installed mailer finds the installed templates without MAIL_TEMPLATE_DIR" {
	local state=$BATS_TEST_TMPDIR/state
	: >"$BATS_TEST_TMPDIR/empty.env"
	run env -i PATH="$PATH" AUTH_ENV_FILE="$BATS_TEST_TMPDIR/empty.env" \
	    AUTH_STATE_DIR="$state" MAIL_TRANSPORT=file "$DEST/usr/bin/auth-mailer" -o
	[ "$status" -eq 0 ] || _fail "auth-mailer -o: $output"
	[[ $output == *"templates from $DEST/usr/bin/../share/authd/templates"* ]] ||
	    _fail "templates: $output"
	# Its compiled-in default is the PREFIX's, for a copy of the binary.
	run "$DEST/usr/bin/auth-mailer" -h
	[[ $output == *"/usr/share/authd/templates)"* ]] || _fail "-h: $output"
}

@test "a changed PREFIX rebuilds the mailer's compiled-in template path, and only what uses it" {
	local obj=$BATS_TEST_TMPDIR/obj dest=$BATS_TEST_TMPDIR/dest
	cp -a "$OBJ" "$obj"
	run mk O="$obj/" DESTDIR="$dest" PREFIX=/opt/authd install
	[ "$status" -eq 0 ] || _fail "$output"
	[[ $output == *" mail/render.c"* ]] || _fail "render.c not rebuilt: $output"
	[[ $output != *" lib/jwt.c"* ]] || _fail "lib/jwt.c rebuilt: $output"
	run "$dest/opt/authd/bin/auth-mailer" -h
	[[ $output == *"/opt/authd/share/authd/templates)"* ]] || _fail "-h: $output"
	grep -qx 'ExecStart=/opt/authd/bin/auth.fcgi' "$dest/opt/authd/share/authd/spawn/authd.service"
	# The same PREFIX again: nothing to compile.
	run mk O="$obj/" DESTDIR="$dest" PREFIX=/opt/authd all
	[ "$status" -eq 0 ] || _fail "$output"
	[[ $output != *" -c -o "* ]] || _fail "rebuilt for nothing: $output"
}

@test "authd.env.example names every variable the configuration reads" {
	local names n
	names=$(grep -ohE '\b(env[a-z_]*|NUM|getenv)\("[A-Z][A-Z0-9_]+"' \
	    "$HELPERS_REPO"/lib/*.c "$HELPERS_REPO"/mail/*.c |
	    sed -E 's/.*"(.*)"/\1/' | sort -u | grep -v '^AUTH_ENV_FILE$')
	[ "$(wc -l <<<"$names")" -ge 40 ] || _fail "too few names found: $names"
	for n in $names; do
		grep -qE "^#?$n=" "$DEST/usr/share/authd/authd.env.example" ||
		    _fail "$n is not in authd.env.example"
	done
}

@test "a missing pkg-config module stops the build with its name" {
	run mk O="$BATS_TEST_TMPDIR/none/" \
	    PKG_CONFIG="env PKG_CONFIG_LIBDIR=$BATS_TEST_TMPDIR/nothing pkg-config" all
	[ "$status" -ne 0 ] || _fail "built without libraries: $output"
	[[ $output == *"pkg-config module(s) not found"*json-c*libargon2* ]] || _fail "$output"
	[ ! -e "$BATS_TEST_TMPDIR/none" ] || _fail "compiled anyway"
	run mk O="$BATS_TEST_TMPDIR/none/" PKG_CONFIG=/nonexistent/pkg-config all
	[ "$status" -ne 0 ] || _fail "built without pkg-config: $output"
	[[ $output == *"pkg-config is not installed"* ]] || _fail "$output"
}

@test "a changed header rebuilds the objects that include it, and only those" {
	# -W: as if store/store_int.h had just changed, without touching it.
	run mk -n O="$OBJ" PREFIX=/usr -W store/store_int.h all
	[ "$status" -eq 0 ] || _fail "$output"
	[[ $output == *"-o ${OBJ}store/user.o store/user.c"* ]] || _fail "store/user.c not rebuilt: $output"
	[[ $output != *"-o ${OBJ}lib/"* ]] || _fail "lib/ rebuilt: $output"
	[[ $output != *"-o ${OBJ}handlers/"* ]] || _fail "handlers/ rebuilt: $output"
	run mk -n O="$OBJ" PREFIX=/usr -W lib/util.h all
	[[ $output == *"-o ${OBJ}lib/util.o lib/util.c"* ]] || _fail "lib/util.c not rebuilt: $output"
}

@test "changed compiler flags rebuild every object, the same flags nothing" {
	local obj=$BATS_TEST_TMPDIR/obj
	cp -a "$OBJ" "$obj"
	run mk O="$obj/" PREFIX=/usr CFLAGS="-O1 -g" all
	[ "$status" -eq 0 ] || _fail "$output"
	[[ $output == *" lib/jwt.c"* && $output == *" store/user.c"* ]] || _fail "not rebuilt: $output"
	run mk O="$obj/" PREFIX=/usr CFLAGS="-O1 -g" all
	[ "$status" -eq 0 ] || _fail "$output"
	[[ $output != *" -c -o "* ]] || _fail "rebuilt for nothing: $output"
}

@test "the mailer links none of the service's hashing, token, FastCGI or SQLite code" {
	run readelf -d "$DEST/usr/bin/auth-mailer"
	[ "$status" -eq 0 ] || _fail "$output"
	[[ $output != *libargon2* && $output != *libfcgi* && $output != *libsqlite3* && $output != *libcrypt.so* ]] ||
	    _fail "needs: $output"
	run nm "$OBJ/auth-mailer"
	[ "$status" -eq 0 ] || _fail "$output"
	[[ $output != *" T jwt_"* && $output != *" T pwhash_"* ]] || _fail "jwt/pwhash linked in"
}

@test "make uninstall removes what make install put" {
	local dest=$BATS_TEST_TMPDIR/dest
	cp -a "$DEST" "$dest"
	run mk DESTDIR="$dest" PREFIX=/usr uninstall
	[ "$status" -eq 0 ] || _fail "$output"
	run find "$dest" -type f
	[ -z "$output" ] || _fail "left: $output"
}
