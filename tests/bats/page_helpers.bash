# shellcheck shell=bash
#
# tests/bats/page_helpers.bash: browser sign-in (SPEC §9) through curl,
# with a cookie jar per "browser". Load after helpers.
#
#     JAR=$BATS_TEST_TMPDIR/jar        # the browser's cookies
#     page GET /auth/login             # status, body, API_HEADERS
#     form_post /auth/login "username=a&password=b"   # adds csrf and Origin

# page METHOD PATH [FORMBODY [CURL ARGS...]]: a request with the jar.
page() {
	local m=$1 p=$2 d=${3-}
	shift 2
	if [[ $# -gt 0 ]]; then
		shift
	fi
	API_CONTENT_TYPE=application/x-www-form-urlencoded \
	    api "$m" "$p" "$d" -b "$JAR" -c "$JAR" "$@"
}

# page_csrf: the csrf field of the last page.
page_csrf() {
	grep -o 'name="csrf" value="[^"]*"' "$API_BODY" | head -n 1 |
	    sed -e 's/.*value="//' -e 's/"$//'
}

# form_post PATH FORMBODY [FROM [CURL ARGS...]]: GET the page FROM
# (default PATH) for its csrf token, then POST FORMBODY&csrf=... with
# Origin: $BASE.
form_post() {
	local path=$1 data=$2 from=${3:-$1} csrf
	shift 2
	if [[ $# -gt 0 ]]; then
		shift
	fi
	page GET "$from"
	csrf=$(page_csrf)
	[[ -n $csrf ]] || { echo "form_post: no csrf on $from ($status)" >&2; return 1; }
	page POST "$path" "$data&csrf=$csrf" -H "Origin: $BASE" "$@"
}

# urlenc STRING
urlenc() {
	"$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# browser_login LOGIN PASSWORD [RD]: sign in through the form.
browser_login() {
	local rd=${3-}
	form_post /auth/login "username=$(urlenc "$1")&password=$(urlenc "$2")&rd=$(urlenc "$rd")" \
	    "/auth/login?rd=$(urlenc "$rd")"
}

# jar_cookie NAME: the value of a cookie in the jar.
jar_cookie() {
	awk -v n="$1" -F '\t' '$6 == n { v = $7 } END { if (v == "") exit 1; print v }' "$JAR"
}

# set_cookie_line NAME: the Set-Cookie header of the last response for NAME.
set_cookie_line() {
	tr -d '\r' <"$API_HEADERS" | grep -i "^set-cookie: $1=" | tail -n 1
}

# validate_cookie VALUE: GET validate with only that session cookie.
validate_cookie() {
	api GET /api/v1/auth/validate '' -H "Cookie: authd_session=$1"
}

# db_sql SQL: one query on the stack's database (read only); blobs in hex
# (in the PostgreSQL pass: stack_sql, bytea as psql prints it).
db_sql() {
	if [[ ${STACK_BACKEND:-sqlite} == postgresql ]]; then
		stack_sql "$1"
		return
	fi
	"$PY" -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for row in c.execute(sys.argv[2]):
    print("|".join("" if v is None else (v.hex() if isinstance(v, bytes) else str(v)) for v in row))' "$STACK_DB" "$1"
}
