#!/usr/bin/env bats
# Audit of browser sign-in (issue 11, SPEC §9): what 80_pages,
# 81_forward_auth, 82_session_expiry and 85_browser left unproven.
# Every page and every form (not only sign-in): its headers, labelled
# fields, the 403 of a refused form with nothing changed; every route
# that revokes ending a browser session (reset by page and API, the
# session's DELETE, the administrator's delete, authctl); over-long
# fields answered by the page with the field's own error; sign-in by
# phone; sign-out only by a form POST; the rd allow-list with
# ALLOWED_REDIRECT_HOSTS and COOKIE_DOMAIN; the 403 page of an
# unverified email under REQUIRE_VERIFIED_EMAIL; SESSION_MAX ending a
# session in constant use (82 let the idle limit end it first); the last
# use not written within the minute (default settings); the validate
# location of nginx/authd-validate.conf winning over a site's own `^~ /`
# or regex location (the servers prefix.authd.test and regex.authd.test of
# nginx/local.conf.in).

load helpers
load page_helpers
load mail_helpers

setup_file() {
	export ADMIN_EMAIL=audit-admin@example.com ADMIN_USERNAME=audit_admin ADMIN_PASSWORD=adminpass1
	export ALLOWED_REDIRECT_HOSTS=apps.example.net,Other.Example.org
	start_stack
	export STACK_MAIL_DIR=$MAIL_OUTBOX_DIR
	export CTL=$AUTHCTL_BIN
}
teardown_file() { stop_stack; }

setup() {
	JAR=$BATS_TEST_TMPDIR/jar
	: >"$JAR"
}

# The headers of every page (SPEC §9), and a body without script.
page_headers_ok() {
	local csp
	csp=$(header_value Content-Security-Policy)
	[[ $csp == *"default-src 'self'"* && $csp == *"frame-ancestors 'none'"* ]] || _fail "$1: CSP '$csp'" || return 1
	[[ $csp != *unsafe-inline* && $csp != *unsafe-eval* ]] || _fail "$1: CSP allows inline code: $csp" || return 1
	[[ $(header_value Cache-Control) == no-store ]] || _fail "$1: Cache-Control '$(header_value Cache-Control)'" || return 1
	[[ $(header_value Referrer-Policy) == no-referrer ]] || _fail "$1: Referrer-Policy" || return 1
	[[ $(header_value X-Content-Type-Options) == nosniff ]] || _fail "$1: nosniff" || return 1
	if grep -qi '<script\|javascript:\| on[a-z]*="' "$API_BODY"; then
		_fail "$1: script in the page" || return 1
	fi
}

# Every visible input, select and textarea of the last page has an id
# that a <label for=...> names.
fields_labelled() {
	"$PY" - "$API_BODY" "$1" <<'PY'
import re, sys
html = open(sys.argv[1]).read()
labels = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
bad = []
for tag in re.findall(r'<(?:input|select|textarea)\b[^>]*>', html):
    t = re.search(r'\btype="([^"]+)"', tag)
    if t and t.group(1) in ("hidden", "submit", "button"):
        continue
    i = re.search(r'\bid="([^"]+)"', tag)
    if not i or i.group(1) not in labels:
        bad.append(tag)
if bad:
    print(sys.argv[2] + ": unlabelled fields: " + " ".join(bad))
    sys.exit(1)
PY
}

# csrf_for PAGE: this browser's csrf token, from PAGE.
csrf_for() {
	page GET "$1" >/dev/null
	page_csrf
}

# refused PATH DATA FROM: the form POST of PATH (its page is FROM) is
# answered 403 with the refusal page: without a csrf token, with another
# browser's, and with this browser's but a foreign Origin (or Referer).
refused() {
	local path=$1 data=$2 from=$3 mine other
	mine=$(csrf_for "$from")
	[[ -n $mine ]] || _fail "no csrf on $from" || return 1
	other=$(JAR=$BATS_TEST_TMPDIR/other-jar; : >"$JAR"; csrf_for "$from")
	page POST "$path" "$data" -H "Origin: $BASE"
	[[ $status == 403 ]] || _fail "$path without csrf: $status" || return 1
	page_headers_ok "403 of $path" || return 1
	[[ $body == *"Form refused"* ]] || _fail "$path: not the refusal page" || return 1
	page POST "$path" "$data&csrf=$other" -H "Origin: $BASE"
	[[ $status == 403 ]] || _fail "$path with another browser's csrf: $status" || return 1
	page POST "$path" "$data&csrf=$mine" -H "Origin: http://evil.example"
	[[ $status == 403 ]] || _fail "$path with a foreign Origin: $status" || return 1
	page POST "$path" "$data&csrf=$mine" -H "Referer: http://evil.example/form"
	[[ $status == 403 ]] || _fail "$path with a foreign Referer: $status" || return 1
}

# A browser session of the user in its own jar: its cookie.
browser_cookie() {
	(JAR=$BATS_TEST_TMPDIR/b-$RANDOM; : >"$JAR"
	browser_login "$1" "$2" >/dev/null
	jar_cookie authd_session)
}

# cookie_sid COOKIE: the id of its session row.
cookie_sid() {
	db_sql "SELECT id FROM sessions WHERE cookie_hash = $(sql_blob "$(printf '%s' "$1" | sha256sum | cut -c1-64)")"
}

# cookie_ended COOKIE WHAT: validate refuses the cookie.
cookie_ended() {
	validate_cookie "$1"
	[[ $status == 401 ]] || _fail "$2: the browser session still validates ($status)"
}

# cookie_alive COOKIE WHAT
cookie_alive() {
	validate_cookie "$1"
	[[ $status == 200 ]] || _fail "$2: the browser session was ended ($status)"
}

# reset_token EMAIL: a fresh reset link's token (forgot-password through the API).
# (The outbox's file names do not sort by time: the new file is the one
# that was not there before.)
reset_token() {
	local before n new
	before=$(mails "$1" reset)
	n=$(mail_count "$1" reset)
	api POST /api/v1/auth/forgot-password "{\"email\":\"$1\"}" >/dev/null
	wait_mails "$1" reset $((n + 1)) || return 1
	new=$(comm -13 <(sort <<<"$before") <(mails "$1" reset | sort))
	[[ $(wc -l <<<"$new") == 1 ]] || _fail "reset_token: not one new mail: $new" || return 1
	link_token "$(mail_link "$new")"
}

actl() {
	status=0
	out=$("$CTL" "$@" 2>"$BATS_TEST_TMPDIR/actl.err" </dev/null) || status=$?
}

admin_token() {
	json_get .access_token "$(curl -s "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
	    -d "{\"login\":\"$ADMIN_USERNAME\",\"password\":\"$ADMIN_PASSWORD\"}")"
}

# restart_authd VAR=VALUE...: authd again with these settings (empty: unset).
restart_authd() {
	local kv
	for kv in "$@"; do
		if [[ -n ${kv#*=} ]]; then
			export "${kv?}"
		else
			unset "${kv%%=*}"
		fi
	done
	stop_authd
	start_authd
}

@test "every page and its answers carry the security headers, no-store, no script, and label every field" {
	registered
	wait_mails "$USER_EMAIL" verify 1
	local tok p vtok
	vtok=$(link_token "$(mail_link "$(last_mail "$USER_EMAIL" verify)")")
	tok=$(reset_token "$USER_EMAIL")
	for p in /auth/login /auth/register /auth/forgot-password \
	    "/auth/reset-password?token=$tok" "/auth/verify-email?token=$vtok"; do
		page GET "$p"
		assert_status 200
		page_headers_ok "$p"
		fields_labelled "$p"
		[[ $body == *'name="viewport"'* ]] || _fail "$p: no viewport"
		[[ $body == *'href="/auth/style.css"'* ]] || _fail "$p: not the stylesheet"
	done
	# The error answers are pages too.
	page GET /auth/reset-password
	assert_status 400
	page_headers_ok "a bad reset link"
	page GET /auth/account
	assert_status 303
	page_headers_ok "account signed out"
	form_post /auth/login "username=$USER_NAME&password=wrong-pass1"
	assert_status 401
	page_headers_ok "a wrong password"
	fields_labelled "a wrong password"
	grep -q 'id="password-error"' "$API_BODY" || _fail "the error is not next to the password"
	browser_login "$USER_NAME" "$USER_PASSWORD"
	assert_status 303
	page_headers_ok "signed in"
	page GET /auth/account
	assert_status 200
	page_headers_ok /auth/account
	fields_labelled /auth/account
	form_post /auth/account/password "current_password=wrong-pass1&new_password=abc" /auth/account
	(( status == 400 || status == 422 )) || _fail "password change: $status"
	page_headers_ok "a failed password change"
	fields_labelled "a failed password change"
	form_post /auth/logout "" /auth/account
	assert_status 303
	page_headers_ok "sign out"
	assert_header Location /auth/login
	# The sign-in redirect of a protected location is not cached either.
	api GET /__app/x
	assert_status 302
	[[ $(header_value Cache-Control) == no-store ]] || _fail "the sign-in redirect is cacheable"
}

@test "every form refuses a missing or foreign csrf token and a foreign Origin with the 403 page, and changes nothing" {
	registered
	wait_mails "$USER_EMAIL" verify 1
	local vtok rtok other name
	vtok=$(link_token "$(mail_link "$(last_mail "$USER_EMAIL" verify)")")
	rtok=$(reset_token "$USER_EMAIL")

	# Signed out: register, forgot-password, reset-password, verify-email, login.
	name=$(unique_name c)
	refused /auth/register "email=$name@example.com&username=$name&password=secret123" /auth/register
	[[ $(db_sql "SELECT count(*) FROM users WHERE username = '$name'") == 0 ]] || _fail "registered by a refused form"
	refused /auth/forgot-password "email=$USER_EMAIL" /auth/forgot-password
	[[ $(db_sql "SELECT count(*) FROM user_tokens WHERE user_id = '$USER_ID' AND kind = 'reset'") == 1 ]] || _fail "a reset token from a refused form"
	refused /auth/reset-password "token=$rtok&new_password=changed77" "/auth/reset-password?token=$rtok"
	refused /auth/verify-email "token=$vtok" "/auth/verify-email?token=$vtok"
	[[ $(db_sql "SELECT email_verified FROM users WHERE id = '$USER_ID'") == 0 ]] || _fail "verified by a refused form"
	refused /auth/login "username=$USER_NAME&password=$USER_PASSWORD" /auth/login
	run jar_cookie authd_session
	[[ $status -ne 0 ]] || _fail "signed in by a refused form"

	# Signed in: the account's forms and sign-out.
	browser_login "$USER_NAME" "$USER_PASSWORD"
	assert_status 303
	other=$(browser_cookie "$USER_NAME" "$USER_PASSWORD")
	refused /auth/account/password "current_password=$USER_PASSWORD&new_password=changed77" /auth/account
	refused /auth/account/sessions/end "session_id=$(cookie_sid "$other")" /auth/account
	refused /auth/account/sessions/end-all "x=1" /auth/account
	refused /auth/account/delete "password=$USER_PASSWORD" /auth/account
	refused /auth/logout "x=1" /auth/account
	cookie_alive "$(jar_cookie authd_session)" "refused forms"
	cookie_alive "$other" "a refused sessions/end"
	api POST /api/v1/auth/login "{\"login\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 200

	# The tokens were not spent: the real forms work now.
	form_post /auth/verify-email "token=$vtok" "/auth/verify-email?token=$vtok"
	assert_status 200
	form_post /auth/reset-password "token=$rtok&new_password=changed77" "/auth/reset-password?token=$rtok"
	assert_status 200
}

@test "sign-out is a form POST: GET /auth/logout neither signs out nor clears the cookie" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local v
	v=$(jar_cookie authd_session)
	page GET /auth/logout
	(( status == 404 || status == 405 )) || _fail "GET /auth/logout answered $status"
	run set_cookie_line authd_session
	[[ -z $output ]] || _fail "GET /auth/logout touched the cookie: $output"
	cookie_alive "$v" "GET /auth/logout"
}

@test "every route that revokes ends browser sessions: reset by page and by API, the session's DELETE, the administrator's delete" {
	registered
	local v w tok sid
	# Reset through the page (in another browser).
	v=$(browser_cookie "$USER_NAME" "$USER_PASSWORD")
	cookie_alive "$v" "before the reset"
	tok=$(reset_token "$USER_EMAIL")
	form_post /auth/reset-password "token=$tok&new_password=reset-one1" "/auth/reset-password?token=$tok"
	assert_status 200
	cookie_ended "$v" "reset by the page"
	# Reset through the API.
	v=$(browser_cookie "$USER_NAME" reset-one1)
	cookie_alive "$v" "signed in with the new password"
	tok=$(reset_token "$USER_EMAIL")
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"reset-two2\"}"
	assert_status 200
	cookie_ended "$v" "reset by the API"
	# DELETE /users/me/sessions/{id} of a browser session ends only it.
	v=$(browser_cookie "$USER_NAME" reset-two2)
	w=$(browser_cookie "$USER_NAME" reset-two2)
	sid=$(cookie_sid "$v")
	[[ -n $sid ]] || _fail "no session row for the cookie"
	login_user "$USER_NAME" reset-two2
	api_bearer "$ACCESS_TOKEN" DELETE "/api/v1/users/me/sessions/$sid"
	assert_status 204
	cookie_ended "$v" "DELETE /users/me/sessions/{id}"
	cookie_alive "$w" "another browser session"
	# The administrator deletes the account.
	api_bearer "$(admin_token)" DELETE "/api/v1/users/$USER_ID"
	assert_status 204
	cookie_ended "$w" "the administrator's delete"
}

@test "authctl lists browser sessions and ends them: revoke one, revoke all, set-password, deactivate, delete" {
	registered
	local v w sid
	v=$(browser_cookie "$USER_NAME" "$USER_PASSWORD")
	w=$(browser_cookie "$USER_NAME" "$USER_PASSWORD")
	sid=$(cookie_sid "$v")
	actl user sessions "$USER_NAME" --json
	[[ $status == 0 ]] || _fail "authctl user sessions: $status"
	[[ $out == *"\"$sid\""* ]] || _fail "the browser session is not listed: $out"
	actl user revoke "$USER_NAME" "$sid"
	[[ $status == 0 ]] || _fail "authctl user revoke SID: $status"
	cookie_ended "$v" "authctl user revoke SID"
	cookie_alive "$w" "authctl user revoke of another session"
	actl user revoke "$USER_NAME"
	[[ $status == 0 ]] || _fail "authctl user revoke: $status"
	cookie_ended "$w" "authctl user revoke"

	v=$(browser_cookie "$USER_NAME" "$USER_PASSWORD")
	cookie_alive "$v" "signed in again"
	status=0
	"$CTL" user set-password "$USER_NAME" --password-stdin <<<"ctl-pass9" >/dev/null 2>&1 || status=$?
	[[ $status == 0 ]] || _fail "authctl user set-password: $status"
	cookie_ended "$v" "authctl user set-password"

	v=$(browser_cookie "$USER_NAME" ctl-pass9)
	cookie_alive "$v" "signed in with the new password"
	actl user deactivate "$USER_NAME"
	[[ $status == 0 ]] || _fail "authctl user deactivate: $status"
	cookie_ended "$v" "authctl user deactivate"
	actl user activate "$USER_NAME"
	[[ $status == 0 ]] || _fail "authctl user activate: $status"
	cookie_ended "$v" "a reactivation brings no session back"

	v=$(browser_cookie "$USER_NAME" ctl-pass9)
	cookie_alive "$v" "signed in after the reactivation"
	actl user delete "$USER_NAME"
	[[ $status == 0 ]] || _fail "authctl user delete: $status"
	cookie_ended "$v" "authctl user delete"
}

@test "over-long fields: every form answers its page with the field's own error, never a 5xx" {
	registered
	local long tok msg="String should have at most 4096 characters"
	long=$(head -c 5000 /dev/zero | tr '\0' a)
	form_post /auth/login "username=$USER_NAME&password=$long"
	assert_status 422
	grep -q "id=\"password-error\"[^>]*>$msg<" "$API_BODY" || _fail "login: $(grep -o 'id="password-error"[^<]*' "$API_BODY")"
	form_post /auth/login "username=$long&password=$USER_PASSWORD"
	(( status == 401 || status == 422 )) || _fail "login with a long name: $status"
	page_headers_ok "login with a long name"
	form_post /auth/login "x=1"
	assert_status 422
	grep -q 'id="username-error"[^>]*>Enter your email, username or phone.<' "$API_BODY" || _fail "empty name"
	grep -q 'id="password-error"[^>]*>Enter your password.<' "$API_BODY" || _fail "empty password"
	form_post /auth/register "email=$long@example.com&username=$long&password=$long&phone=$long"
	assert_status 422
	grep -q 'id="password-error"[^>]*>String should have at most 4096 characters<' "$API_BODY" || _fail "register: password"
	grep -q 'id="username-error"' "$API_BODY" || _fail "register: username"
	grep -q 'id="email-error"' "$API_BODY" || _fail "register: email"
	grep -q 'id="phone-error"' "$API_BODY" || _fail "register: phone"
	form_post /auth/forgot-password "email=$long@example.com"
	assert_status 422
	grep -q 'id="email-error"' "$API_BODY" || _fail "forgot-password"
	tok=$(reset_token "$USER_EMAIL")
	form_post /auth/reset-password "token=$tok&new_password=$long" "/auth/reset-password?token=$tok"
	assert_status 422
	grep -q "id=\"new_password-error\"[^>]*>$msg<" "$API_BODY" || _fail "reset-password"
	form_post /auth/reset-password "token=$long&new_password=abcdef12" "/auth/reset-password?token=$tok"
	assert_status 400
	page_headers_ok "reset with a long token"
	browser_login "$USER_NAME" "$USER_PASSWORD"
	assert_status 303
	form_post /auth/account/password "current_password=$long&new_password=$long" /auth/account
	assert_status 422
	grep -q "id=\"current_password-error\"[^>]*>$msg<" "$API_BODY" || _fail "account password: $(grep -o 'id="current_password-error"[^<]*' "$API_BODY")"
	grep -q "id=\"new_password-error\"[^>]*>$msg<" "$API_BODY" || _fail "account new password"
	form_post /auth/account/password "new_password=abcdef12" /auth/account
	assert_status 422
	grep -q 'id="current_password-error"[^>]*>Enter your current password.<' "$API_BODY" || _fail "empty current password"
	form_post /auth/account/delete "password=$long" /auth/account
	assert_status 400
	grep -q "id=\"delete_password-error\"[^>]*>$msg<" "$API_BODY" || _fail "delete: $(grep -o 'id="delete_password-error"[^<]*' "$API_BODY")"
	form_post /auth/account/sessions/end "session_id=$long" /auth/account
	assert_status 404
	page_headers_ok "end a long session id"
	cookie_alive "$(jar_cookie authd_session)" "the over-long forms"
}

@test "typed values shown again on a page are HTML-escaped: sign-in name and rd, registration fields" {
	local evil='"><b>x</b><script>alert(1)</script>' e
	e=$(urlenc "$evil")
	form_post /auth/login "username=$e&password=wrong-pass1&rd=$e" "/auth/login?rd=$e"
	assert_status 401
	[[ $body != *'<b>x'* && $body != *'<script'* ]] || _fail "sign-in: a typed value unescaped"
	[[ $body == *'&quot;&gt;&lt;b&gt;x'* ]] || _fail "sign-in: the typed value is not shown escaped"
	page GET "/auth/login?rd=$e"
	[[ $body != *'<b>x'* && $body != *'<script'* ]] || _fail "sign-in page: rd unescaped"
	form_post /auth/register "email=$e&username=$e&password=abc&phone=$e"
	assert_status 422
	[[ $body != *'<b>x'* && $body != *'<script'* ]] || _fail "register: a typed value unescaped"
	[[ $body == *'value="&quot;&gt;&lt;b&gt;x'* ]] || _fail "register: the typed email is not shown escaped"
}

@test "the sign-in page takes a phone number as the identifier, normalised as the API does" {
	local name digits
	name=$(unique_name p)
	digits=$(printf '%03d%06d' $((RANDOM % 1000)) $((RANDOM * 30 % 1000000)))
	api POST /api/v1/auth/register "{\"email\":\"$name@example.com\",\"username\":\"$name\",\"password\":\"secret123\",\"phone\":\"+48$digits\"}"
	assert_status 201
	browser_login "0048 ${digits:0:3}-${digits:3:3}.${digits:6}" secret123
	assert_status 303
	validate_cookie "$(jar_cookie authd_session)"
	assert_status 200
	assert_json_eq .user.username "$name"
}

@test "rd: ALLOWED_REDIRECT_HOSTS (any case) is followed, its look-alikes and subdomains are not" {
	registered
	local rd
	for rd in "https://apps.example.net/x?y=1" "http://APPS.example.NET:8443/" "https://other.example.org/"; do
		: >"$JAR"
		browser_login "$USER_NAME" "$USER_PASSWORD" "$rd"
		assert_status 303
		assert_header Location "$rd"
	done
	for rd in "https://sub.apps.example.net/" "https://apps.example.net.evil.example/" \
	    "https://evilapps.example.net/" "https://apps.example.net@evil.example/" \
	    "https://evil.example/#apps.example.net" "https://apps.example.net:x/"; do
		: >"$JAR"
		browser_login "$USER_NAME" "$USER_PASSWORD" "$rd"
		assert_status 303
		assert_header Location /auth/account || _fail "rd $rd was followed"
	done
}

@test "the validate location of authd-validate.conf wins over a site's own ^~ / or regex location: protection still fails closed" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local host c
	c="Cookie: authd_session=$(jar_cookie authd_session)"
	for host in prefix.authd.test regex.authd.test; do
		api GET /private '' -H "Host: $host"
		assert_status 302
		[[ $body != *'"service":"demo"'* ]] || _fail "$host: the protected location was reached without a session"
		api GET /private '' -H "Host: $host" -H 'Accept: application/json'
		assert_status 401
		api GET /private '' -H "Host: $host" -H "$c"
		assert_status 200
		assert_json_eq .user_name "$USER_NAME"
		api GET /public '' -H "Host: $host"
		assert_status 200
		assert_json_eq .user_name ""
		api GET /_authd_validate '' -H "Host: $host" -H "$c"
		[[ $body != *'"valid":true'* ]] || _fail "$host: validate answered from outside"
	done
}

_clock_after() { (( $(date +%s) > $1 )); }

@test "with the default settings the last use is not rewritten by use within the minute" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local v sid before i
	v=$(jar_cookie authd_session)
	sid=$(cookie_sid "$v")
	before=$(db_sql "SELECT last_used_at FROM sessions WHERE id = '$sid'")
	[[ -n $before ]] || _fail "no last use"
	# A second later (the column counts seconds), well within the minute.
	wait_until 5 _clock_after "$before"
	for i in 1 2 3; do
		cookie_alive "$v" "use $i"
	done
	[[ $(db_sql "SELECT last_used_at FROM sessions WHERE id = '$sid'") == "$before" ]] || _fail "the last use was written within the minute"
}

# site PATH [CURL ARGS...]: a request to the server block of its own
# (nginx/local.conf.in, README example 2) as http://127.0.0.1:47001,
# with this browser's cookies.
site() {
	local p=$1
	shift
	status=$(curl -s --unix-socket "$STACK_RUN_DIR/site.sock" -o "$BATS_TEST_TMPDIR/site.body" \
	    -D "$BATS_TEST_TMPDIR/site.hdr" -w '%{http_code}' -b "$JAR" "$@" "http://127.0.0.1:47001$p")
	body=$(cat "$BATS_TEST_TMPDIR/site.body")
	SITE_LOCATION=$(tr -d '\r' <"$BATS_TEST_TMPDIR/site.hdr" | sed -n 's/^[Ll]ocation: //p')
}

@test "README example 2: a site in a server block of its own on authd's host, another port: redirect, sign in, back, X-User-Name, sign out" {
	registered
	local rd want
	site "/photos?album=1"
	[[ $status == 302 ]] || _fail "without a session: $status $body"
	want="$PUBLIC_URL/auth/login?rd=http://127.0.0.1:47001/photos%3Falbum%3D1"
	[[ $SITE_LOCATION == "$want" ]] || _fail "Location: $SITE_LOCATION"
	[[ $body != *'"service":"demo"'* ]] || _fail "the site was reached without a session"
	site /photos -H 'Accept: application/json'
	[[ $status == 401 ]] || _fail "API client: $status"
	rd="http://127.0.0.1:47001/photos?album=1"
	browser_login "$USER_NAME" "$USER_PASSWORD" "$rd"
	assert_status 303
	assert_header Location "$rd"
	site "/photos?album=1"
	[[ $status == 200 ]] || _fail "signed in: $status $body"
	assert_json_eq .user_name "$USER_NAME"
	assert_json_eq .user_email "$USER_EMAIL"
	form_post /auth/logout "" /auth/account
	assert_status 303
	site "/photos?album=1"
	[[ $status == 302 ]] || _fail "signed out: $status $body"
}

# The last tests restart authd with other settings.

@test "rd: COOKIE_DOMAIN and its subdomains are followed, look-alike hosts are not" {
	registered
	restart_authd COOKIE_DOMAIN=authd.test
	local rd fails=()
	for rd in "http://authd.test/" "https://app.authd.test/a?b=c" "http://deep.sub.AUTHD.test:8080/"; do
		: >"$JAR"
		browser_login "$USER_NAME" "$USER_PASSWORD" "$rd"
		[[ $status == 303 && $(header_value Location) == "$rd" ]] || fails+=("$rd not followed: $status $(header_value Location)")
	done
	for rd in "http://evilauthd.test/" "http://authd.test.evil.example/" "http://app.authd.test@evil.example/" \
	    "http://xauthd.test/" "//app.authd.test/"; do
		: >"$JAR"
		browser_login "$USER_NAME" "$USER_PASSWORD" "$rd"
		[[ $status == 303 && $(header_value Location) == /auth/account ]] || fails+=("$rd followed: $status $(header_value Location)")
	done
	restart_authd COOKIE_DOMAIN=
	(( ${#fails[@]} == 0 )) || _fail "${fails[@]}"
}

@test "REQUIRE_VERIFIED_EMAIL: an unverified account gets the 403 page and no cookie; verified, it signs in" {
	registered
	wait_mails "$USER_EMAIL" verify 1
	local vtok st
	vtok=$(link_token "$(mail_link "$(last_mail "$USER_EMAIL" verify)")")
	restart_authd REQUIRE_VERIFIED_EMAIL=true
	browser_login "$USER_NAME" "$USER_PASSWORD"
	st=$status
	cp "$API_BODY" "$BATS_TEST_TMPDIR/unverified.html"
	run jar_cookie authd_session
	local cookie=$status
	form_post /auth/verify-email "token=$vtok" "/auth/verify-email?token=$vtok"
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local after=$status
	restart_authd REQUIRE_VERIFIED_EMAIL=
	[[ $st == 403 ]] || _fail "unverified: $st"
	grep -q 'not verified' "$BATS_TEST_TMPDIR/unverified.html" || _fail "no message"
	[[ $cookie -ne 0 ]] || _fail "a session cookie for an unverified account"
	[[ $after == 303 ]] || _fail "verified: $after"
}

# _clock_at T: the clock has reached T (epoch seconds).
_clock_at() { (( $(date +%s) >= $1 )); }

@test "SESSION_MAX: a session used every second is still signed out at its maximum age, whatever its idle limit" {
	registered
	# The last use is written every idle/2 = 3 s: a stall under 3 s
	# between two uses cannot let the idle limit end the session.
	restart_authd SESSION_IDLE_SECONDS=6 SESSION_MAX_SECONDS=12
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local v t0 t fails=()
	v=$(jar_cookie authd_session)
	t0=$(db_sql "SELECT created_at FROM sessions WHERE id = '$(cookie_sid "$v")'")
	for t in 1 2 3 4 5 6 7 8 9 10 11 12; do
		wait_until 15 _clock_at $((t0 + t)) || fails+=("the clock")
		validate_cookie "$v"
		# Up to 10 s it must be alive (used every second, idle 6 s); at
		# 11 and 12 s it is only used, the maximum being that close.
		if (( t <= 10 && status != 200 )); then
			fails+=("signed out after ${t}s of use: $status")
		fi
	done
	wait_until 15 _clock_at $((t0 + 13)) || fails+=("the clock")
	validate_cookie "$v"
	(( status == 401 )) || fails+=("still signed in after the maximum: $status")
	api GET /auth/account '' -H "Cookie: authd_session=$v"
	[[ $(header_value Location) == /auth/login ]] || fails+=("the account page of an expired session: $status")
	restart_authd SESSION_IDLE_SECONDS= SESSION_MAX_SECONDS=
	(( ${#fails[@]} == 0 )) || _fail "${fails[@]}"
}

@test "COOKIE_SECURE=false: no Secure attribute even over https" {
	registered
	restart_authd COOKIE_SECURE=false
	local csrf c1 c2
	page GET /auth/login '' -H 'X-Forwarded-Proto: https'
	csrf=$(page_csrf)
	c1=$(set_cookie_line authd_session_csrf)
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Origin: $BASE" -H 'X-Forwarded-Proto: https'
	local st=$status
	c2=$(set_cookie_line authd_session)
	restart_authd COOKIE_SECURE=
	[[ $st == 303 ]] || _fail "sign-in: $st"
	[[ -n $c1 && $c1 != *Secure* ]] || _fail "CSRF cookie: $c1"
	[[ -n $c2 && $c2 != *Secure* && $c2 == *HttpOnly* ]] || _fail "session cookie: $c2"
}

@test "CAPTCHA_SERVICE_URL set: the registration page is not offered" {
	restart_authd CAPTCHA_SERVICE_URL=http://127.0.0.1:9/captcha
	local name st1 st2 link
	name=$(unique_name q)
	page GET /auth/register
	st1=$status
	page GET /auth/login
	link=$body
	page POST /auth/register "email=$name@example.com&username=$name&password=secret123&csrf=x" -H "Origin: $BASE"
	st2=$status
	restart_authd CAPTCHA_SERVICE_URL=
	[[ $st1 == 403 ]] || _fail "GET /auth/register: $st1"
	[[ $link != *'href="/auth/register"'* ]] || _fail "the sign-in page offers registration"
	[[ $st2 == 403 ]] || _fail "POST /auth/register: $st2"
	[[ $(db_sql "SELECT count(*) FROM users WHERE username = '$name'") == 0 ]] || _fail "registered"
}
