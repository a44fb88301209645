#!/usr/bin/env bats
# Browser sign-in (SPEC §9) at the HTTP level: the pages, their headers,
# the session cookie and its attributes, CSRF and origin checks, the rd
# allow-list, and validate with the cookie.

load helpers
load page_helpers
load mail_helpers

setup_file() {
	export APP_NAME="Pi <Home> & Co"
	export ADMIN_EMAIL=pages-admin@example.com ADMIN_USERNAME=pages_admin ADMIN_PASSWORD=adminpass1
	start_stack
	# The file transport's outbox, read with the mail helpers.
	export STACK_MAIL_DIR=$MAIL_OUTBOX_DIR
}
teardown_file() { stop_stack; }

setup() {
	JAR=$BATS_TEST_TMPDIR/jar
	: >"$JAR"
}

# The headers every page carries.
assert_page_headers() {
	assert_header Content-Type "text/html; charset=utf-8" || return 1
	assert_header Content-Security-Policy || return 1
	[[ $(header_value Content-Security-Policy) == *"default-src 'self'"* ]] || _fail "CSP: no default-src 'self'" || return 1
	[[ $(header_value Content-Security-Policy) == *"frame-ancestors 'none'"* ]] || _fail "CSP: no frame-ancestors 'none'" || return 1
	assert_header Referrer-Policy no-referrer || return 1
	assert_header X-Content-Type-Options nosniff || return 1
	assert_header Cache-Control no-store
}

@test "the sign-in page: labelled fields, APP_NAME escaped, the security headers, a CSRF cookie" {
	page GET /auth/login
	assert_status 200
	assert_page_headers
	[[ $body == *'<label for="username">'* && $body == *'id="username"'* ]] || _fail "username not labelled"
	[[ $body == *'<label for="password">'* && $body == *'id="password"'* ]] || _fail "password not labelled"
	[[ $body == *'Pi &lt;Home&gt; &amp; Co'* ]] || _fail "APP_NAME not shown escaped"
	[[ $body != *'<Home>'* ]] || _fail "APP_NAME unescaped"
	[[ $body != *'<script'* && $body != *' style="'* ]] || _fail "inline script or style"
	[[ $body == *'name="viewport"'* ]] || _fail "no viewport for phones"
	local c
	c=$(set_cookie_line authd_session_csrf) || _fail "no CSRF cookie"
	[[ $c == *"; HttpOnly"* && $c == *"; SameSite=Lax"* && $c == *"; Path=/"* ]] || _fail "CSRF cookie attributes: $c"
	[[ $c != *"Secure"* ]] || _fail "Secure over plain http: $c"
}

@test "the stylesheet is served by authd, and the pages load nothing from elsewhere" {
	page GET /auth/style.css
	assert_status 200
	assert_header Content-Type "text/css; charset=utf-8"
	[[ $body != *"@import"* && $body != *"url("* ]] || _fail "the stylesheet loads something"
	page GET /auth/login
	! grep -Eq '(src|href)="(https?:)?//' "$API_BODY" || _fail "a page refers to another host"
}

@test "signing in: 303 to /auth/account and the session cookie with its attributes; only its SHA-256 is stored" {
	registered
	browser_login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 303
	assert_header Location /auth/account
	local c v
	c=$(set_cookie_line authd_session) || _fail "no session cookie"
	[[ $c == *"; HttpOnly"* && $c == *"; SameSite=Lax"* && $c == *"; Path=/"* ]] || _fail "attributes: $c"
	[[ $c != *"Secure"* && $c != *"Domain="* ]] || _fail "Secure or Domain without reason: $c"
	v=$(jar_cookie authd_session)
	(( ${#v} >= 43 )) || _fail "cookie too short: ${#v}"
	run db_sql "SELECT count(*) FROM sessions WHERE cookie_hash = $(sql_blob "$(printf '%s' "$v" | sha256sum | cut -c1-64)") AND kind = 'browser'"
	[[ $output == 1 ]] || _fail "no session row by the cookie's SHA-256: $output"
	if [[ $STACK_BACKEND == postgresql ]]; then
		run db_sql "SELECT count(*) FROM sessions WHERE position(convert_to('$v', 'UTF8') in cookie_hash) > 0 OR user_agent = '$v'"
	else
		run db_sql "SELECT count(*) FROM sessions WHERE instr(hex(cookie_hash), hex('$v')) > 0 OR user_agent = '$v'"
	fi
	[[ $output == 0 ]] || _fail "the cookie itself is stored"
	page GET /auth/account
	assert_status 200
	assert_page_headers
	[[ $body == *"$USER_NAME"* && $body == *"$USER_EMAIL"* && $body == *REGULAR* ]] || _fail "account page lacks name, email or role"
}

@test "over https (nginx's X-Forwarded-Proto) the cookies are Secure" {
	registered
	page GET /auth/login '' -H 'X-Forwarded-Proto: https'
	[[ $(set_cookie_line authd_session_csrf) == *"; Secure"* ]] || _fail "CSRF cookie not Secure over https"
	local csrf
	: >"$JAR"
	page GET /auth/login '' -H 'X-Forwarded-Proto: https'
	csrf=$(page_csrf)
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Origin: $BASE" -H 'X-Forwarded-Proto: https'
	assert_status 303
	[[ $(set_cookie_line authd_session) == *"; Secure"* ]] || _fail "session cookie not Secure over https: $(set_cookie_line authd_session)"
}

@test "a wrong password or an unknown identifier: 401 with the form and the same message" {
	registered
	browser_login "$USER_EMAIL" wrong-pass1
	assert_status 401
	assert_page_headers
	[[ $body == *"Incorrect email or password"* && $body == *'id="password"'* ]] || _fail "no form with the message"
	local known=$body
	run jar_cookie authd_session
	[[ $status -ne 0 ]] || _fail "a session cookie after a failed sign-in"
	browser_login "nobody-$(unique_name)@example.com" wrong-pass1
	assert_status 401
	[[ $body == *"Incorrect email or password"* ]] || _fail "unknown identifier answered differently"
	[[ ${#body} -ge $(( ${#known} - 80 )) ]] || _fail "pages differ too much"
}

@test "sign-in throttling of the API applies: 429 page after the failures" {
	registered
	local i
	for i in 1 2 3 4 5; do
		browser_login "$USER_NAME" "wrong-pass$i"
		assert_status 401
	done
	browser_login "$USER_NAME" "$USER_PASSWORD"
	assert_status 429
	assert_page_headers
	assert_header Retry-After
	[[ $body == *"Too many"* ]] || _fail "no 429 page"
}

@test "CSRF: a form without the token, with a wrong one, or another browser's, is refused 403 and changes nothing" {
	registered
	page GET /auth/login
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD" -H "Origin: $BASE"
	assert_status 403
	assert_page_headers
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=AAAA" -H "Origin: $BASE"
	assert_status 403
	# Another browser's token does not fit this browser's cookie.
	local other
	other=$(JAR=$BATS_TEST_TMPDIR/jar2; : >"$JAR"; page GET /auth/login; page_csrf)
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$other" -H "Origin: $BASE"
	assert_status 403
	run jar_cookie authd_session
	[[ $status -ne 0 ]] || _fail "signed in despite the CSRF failure"
}

@test "Origin: a foreign one is refused 403; else Referer; Origin null only with a same-origin Sec-Fetch-Site or none; neither 403" {
	registered
	local csrf
	page GET /auth/login
	csrf=$(page_csrf)
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Origin: https://evil.example"
	assert_status 403
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Referer: https://evil.example/x"
	assert_status 403
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf"
	assert_status 403
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Origin: null" -H "Sec-Fetch-Site: cross-site"
	assert_status 403
	run jar_cookie authd_session
	[[ $status -ne 0 ]] || _fail "signed in by a refused form"
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Referer: $BASE/auth/login"
	assert_status 303
	: >"$JAR"
	page GET /auth/login
	csrf=$(page_csrf)
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Origin: null" -H "Sec-Fetch-Site: same-origin"
	assert_status 303
	# What Chromium sends over plain http under Referrer-Policy: no-referrer.
	: >"$JAR"
	page GET /auth/login
	csrf=$(page_csrf)
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Origin: null"
	assert_status 303
	# ... but never without the token bound to this browser's cookie.
	: >"$JAR"
	page POST /auth/login "username=$USER_NAME&password=$USER_PASSWORD&csrf=$csrf" -H "Origin: null"
	assert_status 403
}

@test "rd: an allowed URL is followed, every open-redirect form lands on /auth/account" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD" "$BASE/__app/page?x=1"
	assert_status 303
	assert_header Location "$BASE/__app/page?x=1"
	local host=${BASE#http://} rd
	for rd in "https://evil.example/" "//evil.example/" '/\evil.example/' \
	    "javascript:alert(1)" "http://user@$host/" "http://evil.example\\@$host/" \
	    "http://$host.evil.example/" "http://evil.example/?$host" \
	    $'http://'"$host"$'/\x01' "http://evil.example#@$host/" "ftp://$host/" \
	    "http://$host:99999x/" "/relative/path" "HTTPS://EVIL.EXAMPLE/"; do
		: >"$JAR"
		browser_login "$USER_NAME" "$USER_PASSWORD" "$rd"
		assert_status 303
		assert_header Location /auth/account || _fail "rd $rd was followed"
	done
}

@test "validate accepts the cookie with the same answers and X-User-* headers; a Bearer header wins" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local v
	v=$(jar_cookie authd_session)
	validate_cookie "$v"
	assert_status 200
	assert_json_eq .valid true
	assert_json_eq .user.username "$USER_NAME"
	assert_header X-User-Id "$USER_ID"
	assert_header X-User-Name "$USER_NAME"
	assert_header X-User-Email "$USER_EMAIL"
	assert_header X-User-Role REGULAR
	api GET '/api/v1/auth/validate?role=ADMIN' '' -H "Cookie: authd_session=$v"
	assert_status 403
	assert_json_eq .detail "Not enough permissions"
	api GET /api/v1/auth/validate '' -H "Cookie: authd_session=$v" -H "Authorization: Bearer not-a-token"
	assert_status 401
	assert_json_eq .detail "Could not validate credentials"
	# Other cookies around it do not matter.
	api GET /api/v1/auth/validate '' -H "Cookie: a=b; authd_session=junk; authd_session=$v; c=d"
	assert_status 200
}

@test "an unknown, malformed or huge cookie is signed out: validate 401, account redirects, never 5xx" {
	local c
	for c in "" "x" "$(head -c 43 /dev/zero | tr '\0' A)" "%00%ff" "$(head -c 6000 /dev/zero | tr '\0' a)" '"quoted"'; do
		validate_cookie "$c"
		assert_status 401
		api GET /auth/account '' -H "Cookie: authd_session=$c"
		assert_status 303
		assert_header Location /auth/login
	done
}

@test "sessions are listed with their kind; signing out ends the browser session at once" {
	registered
	login_user "$USER_NAME" "$USER_PASSWORD"
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local v
	v=$(jar_cookie authd_session)
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me/sessions
	assert_status 200
	run "$PY" -c 'import json,sys; print(sorted(s["kind"] for s in json.loads(sys.argv[1])))' "$body"
	[[ $output == "['api', 'browser']" ]] || _fail "kinds: $output"
	form_post /auth/logout "" /auth/account
	assert_status 303
	assert_header Location /auth/login
	[[ $(set_cookie_line authd_session) == *"Max-Age=0"* ]] || _fail "cookie not cleared"
	validate_cookie "$v"
	assert_status 401
	# One audit line names the account and the session, never the cookie.
	wait_until 5 grep -q "audit event=session_end .*reason=browser_sign_out" "$STACK_AUTH_LOG"
	run grep "audit event=session_end .*reason=browser_sign_out" "$STACK_AUTH_LOG"
	[[ $output == *"$USER_ID"* ]] || _fail "no account id: $output"
	! grep -qF "$v" "$STACK_AUTH_LOG" || _fail "the cookie is in the log"
}

@test "every route that revokes ends browser sessions: logout-all, password change, deactivation, deletion" {
	local v
	# logout all (API)
	registered
	login_user "$USER_NAME" "$USER_PASSWORD"
	browser_login "$USER_NAME" "$USER_PASSWORD"
	v=$(jar_cookie authd_session)
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\",\"all\":true}"
	assert_status 204
	validate_cookie "$v"
	assert_status 401
	# password change (API)
	: >"$JAR"
	login_user "$USER_NAME" "$USER_PASSWORD"
	browser_login "$USER_NAME" "$USER_PASSWORD"
	v=$(jar_cookie authd_session)
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password "{\"current_password\":\"$USER_PASSWORD\",\"new_password\":\"other456\"}"
	assert_status 200
	validate_cookie "$v"
	assert_status 401
	# deactivation by an administrator
	: >"$JAR"
	browser_login "$USER_NAME" other456
	v=$(jar_cookie authd_session)
	local admin
	admin=$(json_get .access_token "$(curl -s "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
	    -d "{\"login\":\"$ADMIN_USERNAME\",\"password\":\"$ADMIN_PASSWORD\"}")")
	api_bearer "$admin" PATCH "/api/v1/users/$USER_ID" '{"is_active":false}'
	assert_status 200
	validate_cookie "$v"
	assert_status 401
	api_bearer "$admin" PATCH "/api/v1/users/$USER_ID" '{"is_active":true}'
	assert_status 200
	# deletion (API)
	: >"$JAR"
	login_user "$USER_NAME" other456
	browser_login "$USER_NAME" other456
	v=$(jar_cookie authd_session)
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	validate_cookie "$v"
	assert_status 401
}

@test "the account page: change password keeps this browser in, ends the others" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local other mine
	other=$(JAR=$BATS_TEST_TMPDIR/jar2; : >"$JAR"; browser_login "$USER_NAME" "$USER_PASSWORD" >/dev/null; jar_cookie authd_session)
	form_post /auth/account/password "current_password=wrong1x&new_password=newpass9" /auth/account
	assert_status 400
	grep -q 'id="current_password-error"' "$API_BODY" || _fail "error not next to the field"
	form_post /auth/account/password "current_password=$USER_PASSWORD&new_password=short" /auth/account
	assert_status 422
	grep -q 'Password must be at least 6 characters long' "$API_BODY" || _fail "rule message missing"
	form_post /auth/account/password "current_password=$USER_PASSWORD&new_password=newpass9" /auth/account
	assert_status 303
	assert_header Location /auth/account
	mine=$(jar_cookie authd_session)
	validate_cookie "$mine"
	assert_status 200
	validate_cookie "$other"
	assert_status 401
	login_user "$USER_NAME" newpass9
}

@test "the account page: end one other session, or all; the ended cookie is refused by validate" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	local other sid
	other=$(JAR=$BATS_TEST_TMPDIR/jar2; : >"$JAR"; browser_login "$USER_NAME" "$USER_PASSWORD" >/dev/null; jar_cookie authd_session)
	sid=$(db_sql "SELECT id FROM sessions WHERE cookie_hash = $(sql_blob "$(printf '%s' "$other" | sha256sum | cut -c1-64)")")
	page GET /auth/account
	[[ $body == *"$sid"* && $body == *"this browser"* ]] || _fail "sessions not listed"
	form_post /auth/account/sessions/end "session_id=$sid" /auth/account
	assert_status 303
	assert_header Location /auth/account
	validate_cookie "$other"
	assert_status 401
	validate_cookie "$(jar_cookie authd_session)"
	assert_status 200
	form_post /auth/account/sessions/end "session_id=00000000-0000-4000-8000-000000000000" /auth/account
	assert_status 404
	form_post /auth/account/sessions/end-all "" /auth/account
	assert_status 303
	assert_header Location /auth/login
	validate_cookie "$(jar_cookie authd_session || echo gone)"
	assert_status 401
}

@test "the account page: deleting needs the password" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	form_post /auth/account/delete "password=wrong1x" /auth/account
	assert_status 400
	grep -q 'id="delete_password-error"' "$API_BODY" || _fail "error not next to the field"
	api POST /api/v1/auth/login "{\"login\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 200
	form_post /auth/account/delete "password=$USER_PASSWORD" /auth/account
	assert_status 200
	[[ $body == *"deleted"* ]] || _fail "no confirmation"
	api POST /api/v1/auth/login "{\"login\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}"
	assert_status 401
}

@test "the account page and its forms need a session" {
	page GET /auth/account
	assert_status 303
	assert_header Location /auth/login
	form_post /auth/account/password "current_password=a1aaaa&new_password=b2bbbb" /auth/login
	assert_status 303
	assert_header Location /auth/login
}

@test "registration page: errors next to their field, conflicts, success signs in and queues the mail" {
	local name
	name=$(unique_name r)
	form_post /auth/register "email=bad-email&username=a&password=abc&phone=12"
	assert_status 422
	assert_page_headers
	grep -q 'id="email-error"' "$API_BODY" || _fail "no email error"
	grep -q 'Username must be at least 3 characters long' "$API_BODY" || _fail "no username error"
	grep -q 'Password must be at least 6 characters long' "$API_BODY" || _fail "no password error"
	grep -q 'id="phone-error"' "$API_BODY" || _fail "no phone error"
	grep -q 'value="bad-email"' "$API_BODY" || _fail "the typed email is lost"
	form_post /auth/register "email=$name@example.com&username=$name&password=secret123&phone="
	assert_status 303
	assert_header Location /auth/account
	validate_cookie "$(jar_cookie authd_session)"
	assert_status 200
	assert_json_eq .user.username "$name"
	: >"$JAR"
	form_post /auth/register "email=$name@example.com&username=${name}x&password=secret123"
	assert_status 409
	grep -q 'Email already registered' "$API_BODY" || _fail "no conflict message"
	form_post /auth/register "email=x$name@example.com&username=$name&password=secret123"
	assert_status 409
	grep -q "Username already taken. ${name}1 is free." "$API_BODY" || _fail "no suggestion"
}

@test "forgot-password page: the same confirmation for any address; 422 page for a bad one" {
	registered
	form_post /auth/forgot-password "email=$USER_EMAIL"
	assert_status 200
	local a=$body
	form_post /auth/forgot-password "email=nobody-$(unique_name)@example.com"
	assert_status 200
	[[ $body == "$a" ]] || _fail "different pages"
	[[ $body == *"If the email exists, a reset link has been sent."* ]] || _fail "no confirmation"
	form_post /auth/forgot-password "email=not-an-email"
	assert_status 422
	grep -q 'id="email-error"' "$API_BODY" || _fail "error not next to the field"
}

@test "reset and verify pages: a GET never spends the token; bad tokens get a clear page" {
	page GET "/auth/reset-password?token=short"
	assert_status 400
	page GET "/auth/verify-email?token=$(head -c 43 /dev/zero | tr '\0' A)"
	assert_status 200
	[[ $body == *"Confirm my email address"* ]] || _fail "no confirm button"
	page GET "/auth/verify-email"
	assert_status 400
	form_post /auth/verify-email "token=$(head -c 43 /dev/zero | tr '\0' A)" "/auth/verify-email?token=$(head -c 43 /dev/zero | tr '\0' A)"
	assert_status 400
	form_post /auth/reset-password "token=$(head -c 43 /dev/zero | tr '\0' A)&new_password=abc12345" "/auth/reset-password?token=$(head -c 43 /dev/zero | tr '\0' A)"
	assert_status 400
}

@test "malformed and over-long form fields get a page, never a 5xx" {
	local csrf long
	page GET /auth/login
	csrf=$(page_csrf)
	page POST /auth/login "username=%zz&csrf=$csrf" -H "Origin: $BASE"
	assert_status 400
	long=$(head -c 5000 /dev/zero | tr '\0' a)
	page POST /auth/login "username=$long&password=$long&csrf=$csrf" -H "Origin: $BASE"
	(( status < 500 )) || _fail "5xx for long fields: $status"
	page POST /auth/login "csrf=$csrf" -H "Origin: $BASE"
	assert_status 422
	page POST /auth/login "" -H "Origin: $BASE"
	assert_status 400
}

@test "mail links lead to the pages under PUBLIC_URL; reset and verify GETs never spend the token" {
	[[ $PUBLIC_URL == "$BASE" ]] || _fail "the stack's PUBLIC_URL"
	registered
	wait_mails "$USER_EMAIL" verify 1
	local link tok
	link=$(mail_link "$(last_mail "$USER_EMAIL" verify)")
	[[ $link == "$BASE/auth/verify-email?token="* ]] || _fail "verify link: $link"
	tok=$(link_token "$link")
	page GET "/auth/verify-email?token=$tok"
	assert_status 200
	page GET "/auth/verify-email?token=$tok"
	assert_status 200
	[[ $(db_sql "SELECT email_verified FROM users WHERE id = '$USER_ID'") == 0 ]] || _fail "a GET verified"
	form_post /auth/verify-email "token=$tok" "/auth/verify-email?token=$tok"
	assert_status 200
	[[ $(db_sql "SELECT email_verified FROM users WHERE id = '$USER_ID'") == 1 ]] || _fail "not verified"
	form_post /auth/forgot-password "email=$USER_EMAIL"
	wait_mails "$USER_EMAIL" reset 1
	link=$(mail_link "$(last_mail "$USER_EMAIL" reset)")
	[[ $link == "$BASE/auth/reset-password?token="* ]] || _fail "reset link: $link"
	tok=$(link_token "$link")
	page GET "/auth/reset-password?token=$tok"
	assert_status 200
	assert_page_headers
	page GET "/auth/reset-password?token=$tok"
	assert_status 200
	form_post /auth/reset-password "token=$tok&new_password=abc" "/auth/reset-password?token=$tok"
	assert_status 422
	grep -q 'id="new_password-error"' "$API_BODY" || _fail "error not next to the field"
	form_post /auth/reset-password "token=$tok&new_password=brandnew7" "/auth/reset-password?token=$tok"
	assert_status 200
	form_post /auth/reset-password "token=$tok&new_password=brandnew8" "/auth/reset-password?token=$tok"
	assert_status 400
	: >"$JAR"
	browser_login "$USER_EMAIL" brandnew7
	assert_status 303
}

@test "the sign-in page of a browser signed in already links on to rd, without redirecting (no loop)" {
	registered
	browser_login "$USER_NAME" "$USER_PASSWORD"
	page GET "/auth/login?rd=$(urlenc "$BASE/__app/x")"
	assert_status 200
	[[ $body == *"You are signed in as $USER_NAME."* ]] || _fail "no message"
	[[ $body == *"href=\"$BASE/__app/x\""* ]] || _fail "no link on to rd"
	page GET "/auth/login?rd=$(urlenc "https://evil.example/")"
	assert_status 200
	[[ $body == *'href="/auth/account"'* && $body != *evil.example\"* ]] || _fail "a foreign rd linked"
}
