#!/usr/bin/env bats
# Secrets stay secret (SPEC §6): the main flows run with distinctive
# passwords, then every log of the stack (nginx, auth.fcgi, the mailer,
# the SMTP sink's log) and the database files (with its WAL) are searched
# for every password, token and link that went over the wire. Any hit in
# clear fails. The mail itself (spool, received messages) carries the
# links by design and is not searched.

load helpers

setup_file() {
	export AUTH_WORKERS=2 STACK_SMTP=1 STACK_MAILER=1
	export ADMIN_EMAIL=keeper@example.com ADMIN_USERNAME=keeper
	export ADMIN_PASSWORD=Adm1n-Secret-$RANDOM$RANDOM
	export AUTH_DEBUG=true
	start_stack
	export SECRETS_FILE=$STACK_DIR/secrets FLOWS_DONE=$STACK_DIR/flows-done
	: >"$SECRETS_FILE"
}

teardown_file() {
	stop_stack
}

# remember VALUE...: a secret the search must not find.
remember() {
	local v
	for v in "$@"; do
		if [[ -n $v ]]; then
			printf '%s\n' "$v" >>"$SECRETS_FILE"
		fi
	done
}

# remember_tokens: the access and refresh token of the last answer, and
# the signature part of the access token on its own.
remember_tokens() {
	local a r
	a=$(json_get .access_token) || return 1
	r=$(json_get .refresh_token) || return 1
	remember "$a" "${a##*.}" "$r"
	ACCESS_TOKEN=$a
	REFRESH_TOKEN=$r
}

# mail_link TO KIND: waits for the newest message to TO whose link
# contains KIND (verify-email, reset-password), prints the link.
mail_link() {
	local to=$1 kind=$2 link
	wait_until 15 _mail_link "$to" "$kind" || return 1
	cat "$BATS_TEST_TMPDIR/link"
}

_mail_link() {
	"$PY" - "$STACK_MAIL_DIR" "$1" "$2" >"$BATS_TEST_TMPDIR/link" <<'EOF'
import email, email.policy, glob, os, re, sys
d, to, kind = sys.argv[1:]
found = None
for f in sorted(glob.glob(os.path.join(d, "*.eml")), key=os.path.getmtime):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    if to not in str(m["To"]):
        continue
    for part in m.walk():
        if part.get_content_type() == "text/plain":
            r = re.search(r"https?://\S*" + re.escape(kind) + r"\S*token=[A-Za-z0-9_-]+",
                          part.get_content())
            if r:
                found = r.group(0)
if not found:
    sys.exit(1)
print(found)
EOF
}

# main_flows: every flow once, each secret remembered; marks the stack
# (FLOWS_DONE) so the searches below can run alone (bats -f) or after it.
main_flows() {
	local p1 p2 p3 wrong name email link tok
	p1=Pw1-$RANDOM$RANDOM-first
	p2=Pw2-$RANDOM$RANDOM-second
	p3=Pw3-$RANDOM$RANDOM-third
	wrong=Wrong9-$RANDOM$RANDOM-guess
	remember "$p1" "$p2" "$p3" "$wrong" "$ADMIN_PASSWORD" "$SECRET_KEY"
	name=$(unique_name s)
	email=$name@example.com

	# Register, verify the email, log in.
	api POST /api/v1/auth/register \
	    "{\"email\":\"$email\",\"username\":\"$name\",\"password\":\"$p1\"}"
	assert_status 201
	link=$(mail_link "$email" verify-email)
	tok=${link##*token=}
	remember "$link" "$tok"
	api POST /api/v1/auth/verify-email "{\"token\":\"$tok\"}"
	assert_status 200

	api POST /api/v1/auth/login "{\"login\":\"$email\",\"password\":\"$wrong\"}"
	assert_status 401
	api_form POST /api/v1/auth/login "username=$name&password=$p1&grant_type=password"
	assert_status 200
	remember_tokens

	# Use the access token, refresh, validate through auth_request.
	api_bearer "$ACCESS_TOKEN" GET /api/v1/users/me
	assert_status 200
	api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
	assert_status 200
	api_bearer "$ACCESS_TOKEN" GET /__protected
	assert_status 200
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 200
	local old_refresh=$REFRESH_TOKEN
	remember_tokens
	# A replayed refresh token is refused (and still not logged).
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$old_refresh\"}"
	assert_status 401

	# Change the password: a fresh pair.
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$p1\",\"new_password\":\"$p2\"}"
	assert_status 200
	remember_tokens
	api_bearer "$ACCESS_TOKEN" POST /api/v1/users/me/password \
	    "{\"current_password\":\"$wrong\",\"new_password\":\"$p3\"}"
	assert_status 400

	# Log out, by body and by header.
	api POST /api/v1/auth/logout "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 204
	login_user "$email" "$p2"
	remember "$ACCESS_TOKEN" "${ACCESS_TOKEN##*.}" "$REFRESH_TOKEN"
	api_bearer "$REFRESH_TOKEN" POST /api/v1/auth/logout
	assert_status 204

	# Forgot and reset the password, then log in with the new one.
	api POST /api/v1/auth/forgot-password "{\"email\":\"$email\"}"
	assert_status 202
	link=$(mail_link "$email" reset-password)
	tok=${link##*token=}
	remember "$link" "$tok"
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"$p3\"}"
	assert_status 200
	api POST /api/v1/auth/reset-password "{\"token\":\"$tok\",\"new_password\":\"$p3\"}"
	assert_status 400
	login_user "$email" "$p3"
	remember "$ACCESS_TOKEN" "${ACCESS_TOKEN##*.}" "$REFRESH_TOKEN"

	# The administrator of ADMIN_PASSWORD signs in and works.
	login_user "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
	remember "$ACCESS_TOKEN" "${ACCESS_TOKEN##*.}" "$REFRESH_TOKEN"
	api_bearer "$ACCESS_TOKEN" GET "/api/v1/users?q=$name"
	assert_status 200

	# Delete the account with its last token.
	login_user "$email" "$p3"
	remember "$ACCESS_TOKEN" "${ACCESS_TOKEN##*.}" "$REFRESH_TOKEN"
	api_bearer "$ACCESS_TOKEN" DELETE /api/v1/users/me
	assert_status 204
	[[ $(wc -l <"$SECRETS_FILE") -ge 20 ]] || _fail "too few secrets remembered"
	touch "$FLOWS_DONE"
}

ensure_flows() {
	if [[ ! -f $FLOWS_DONE ]]; then
		main_flows
	fi
}

# _mailer_sent N: the mailer has logged N deliveries.
_mailer_sent() {
	(( $(grep -c ': sent$' "$STACK_MAILER_LOG") >= $1 ))
}

@test "the main flows run with distinctive secrets" {
	main_flows
}

@test "no password, token, key or link appears in any log or in the database" {
	ensure_flows
	[[ -s $SECRETS_FILE ]]
	# The mailer has logged its deliveries (a verification and a reset
	# per run of the flows).
	wait_until 10 _mailer_sent 2
	local -a files=() db=()
	local f s hits=0
	# The database: SQLite's files as they are on disk (freed pages and
	# the WAL included), or PostgreSQL's content as pg_dump writes it.
	if [[ $STACK_BACKEND == postgresql ]]; then
		stack_db_dump >"$BATS_TEST_TMPDIR/db.dump"
		db=("$BATS_TEST_TMPDIR/db.dump")
	else
		db=("$STACK_DB" "$STACK_DB-wal" "$STACK_DB-shm")
	fi
	for f in "$STACK_LOG_DIR"/*.log "${db[@]}"; do
		if [[ -f $f ]]; then
			files+=("$f")
		fi
	done
	((${#files[@]} >= 4))
	# The logs did record the flows (so an empty log cannot pass).
	grep -q 'POST /api/v1/auth/reset-password status=200' "$STACK_AUTH_LOG"
	grep -qE 'mail .*(sent|delivered)|sent' "$STACK_MAILER_LOG"
	# The search does see into these files: the (not secret) admin email
	# is in the database, the request lines are in nginx's log.
	cat "${db[@]}" 2>/dev/null | grep -aqF "$ADMIN_EMAIL"
	grep -qF /api/v1/auth/refresh "$STACK_NGINX_ACCESS_LOG"
	while IFS= read -r s; do
		for f in "${files[@]}"; do
			if grep -aqF -- "$s" "$f"; then
				echo "secret ${s:0:12}... found in $f" >&2
				hits=$((hits + 1))
			fi
		done
	done <"$SECRETS_FILE"
	((hits == 0))
}

@test "the database holds token hashes, not tokens" {
	ensure_flows
	# Every stored hash is 32 bytes; nothing looks like a token string.
	[[ $(stack_sql "SELECT count(*) FROM refresh_tokens WHERE length(hash) != 32") == 0 ]]
	[[ $(stack_sql "SELECT count(*) FROM user_tokens WHERE length(hash) != 32") == 0 ]]
	[[ $(stack_sql "SELECT count(*) FROM user_tokens") -ge 2 ]]
	[[ $(stack_sql "SELECT count(*) FROM users WHERE password_hash NOT LIKE '\$argon2id\$%' AND password_hash != '!deleted'") == 0 ]]
}
