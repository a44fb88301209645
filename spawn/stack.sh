# shellcheck shell=bash
#
# spawn/stack.sh: start and stop a whole local authd stack (nginx,
# spawn-fcgi with the auth.fcgi worker pool, the mailer, and for tests an
# SMTP sink and the captcha stub). Sourced by spawn/run-local (make run),
# tests/bats/helpers.bash (make test) and bench/run (make bench), so all
# three run the same processes with the same nginx configuration.
#
# Every daemon is started in its own session (setsid), so its process
# group holds it and everything it forks; stack_stop signals the leader,
# waits, then kills the whole group, and checks that nothing is left.
#
# Inputs (environment, all optional unless said):
#   STACK_DIR          required: where run/ and log/ go (state/ too, unless
#                      AUTH_STATE_DIR is set)
#   STACK_PORT         TCP port of nginx on 127.0.0.1 (default: a free one)
#   STACK_MAILER       1 to run auth-mailer, 0 not to; default: run it when
#                      the binary exists
#   STACK_SMTP         1: run tests/smtp_sink.py and send mail through it
#                      over SMTP (else MAIL_TRANSPORT=file); messages land
#                      in STACK_MAIL_DIR; while STACK_SMTP_FAIL_FILE exists
#                      the sink refuses mail; STACK_SMTP_ARGS: more options
#                      for the sink (e.g. "--auth user:pw")
#   STACK_CAPTCHA      1: run tests/captcha_stub.py, set CAPTCHA_SERVICE_URL
#   STACK_SPAWN_MODE   master (default: auth.fcgi supervises AUTH_WORKERS
#                      fast and AUTH_HASH_WORKERS hashing workers on two
#                      sockets) or single (spawn-fcgi -F AUTH_WORKERS of
#                      auth.fcgi --single on the fast socket, and -F
#                      AUTH_HASH_WORKERS (default 1) of auth.fcgi --single
#                      --class hash on the hashing one)
#   STACK_AUTHD_PREFIX command words put before auth.fcgi (e.g. "valgrind
#                      --leak-check=full")
#   STACK_APP_CWD      working directory of auth.fcgi and auth-mailer
#                      (default STACK_DIR; ./.env is read from there)
#   STACK_READY_TIMEOUT seconds to wait for GET /health/live (default 30)
#   AUTHD_BIN, AUTHD_MAILER_BIN, AUTHCTL_BIN   the programs (default: the
#                      repo root's; tests/run sets them for another build)
#   STACK_DATABASE_URL a PostgreSQL server's URL (tests/pg/with-pg sets it):
#                      the stack creates a database of its own there
#                      (authd_<random>), gives the app its URL as
#                      DATABASE_URL, and drops it in stack_stop; so two
#                      stacks on one server never see each other's data
#   STACK_SHARE_DB     1: use the DATABASE_URL (or DATABASE_PATH) of the
#                      environment as it is, also with STACK_DATABASE_URL
#                      set (a second node on the first one's database;
#                      the stack that created the database drops it)
#   and every variable of SPEC §7, passed through to the app unchanged
#   (DATABASE_URL without STACK_DATABASE_URL: that database, not dropped).
#
# Outputs (exported): BASE, STACK_PORT, STACK_RUN_DIR, STACK_LOG_DIR,
# STACK_SOCKET, STACK_HASH_SOCKET, STACK_DB, STACK_AUTH_LOG, STACK_MAILER_LOG,
# STACK_NGINX_ERROR_LOG, STACK_NGINX_ACCESS_LOG, STACK_AUTH_PID,
# STACK_NGINX_PID, STACK_MAILER_PID, STACK_SMTP_PID, STACK_SMTP_PORT,
# STACK_MAIL_DIR, STACK_SMTP_FAIL_FILE, STACK_CAPTCHA_PID, STACK_CAPTCHA_PORT, STACK_CAPTCHA_LOG,
# STACK_BACKEND (sqlite or postgresql: what DATABASE_URL says),
# and the app's AUTH_STATE_DIR (default STACK_DIR/state), MAIL_TEMPLATE_DIR,
# and with the stubs MAIL_TRANSPORT, SMTP_HOST, SMTP_PORT,
# CAPTCHA_SERVICE_URL. Each pid is also in $STACK_RUN_DIR/pids/<name>.

STACK_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK_PYTHON=${STACK_PYTHON:-/usr/bin/python3}
AUTHD_BIN=${AUTHD_BIN:-$STACK_REPO/auth.fcgi}
AUTHD_MAILER_BIN=${AUTHD_MAILER_BIN:-$STACK_REPO/auth-mailer}
AUTHCTL_BIN=${AUTHCTL_BIN:-$STACK_REPO/authctl}
# Components in start order; stack_stop goes through them backwards.
STACK_COMPONENTS=(captcha smtp authd mailer nginx)

stack_log() {
	printf 'stack: %s\n' "$*" >&2
}

# stack_free_port [PORT...]: print a TCP port of 127.0.0.1 that is free
# now, other than the PORTs given. It comes from STACK_PORT_RANGE
# (LOW-HIGH, default 20000-32767), below the kernel's ephemeral range
# (32768-60999 on Debian), so no outgoing connection of the machine and
# no bind to port 0 can take it between this pick and the bind of the
# server it is for. tests/run-backends gives each of its parallel passes
# a range of its own, so their stacks never pick the same port either;
# within one pass stacks start one after the other. Free means a bind
# without SO_REUSEADDR succeeds: no listener, no connection, not even one
# in TIME_WAIT.
stack_free_port() {
	"$STACK_PYTHON" - "${STACK_PORT_RANGE:-20000-32767}" "$@" <<'PY'
import random, socket, sys
low, high = (int(x) for x in sys.argv[1].split("-"))
avoid = {int(p) for p in sys.argv[2:] if p}
for _ in range(500):
    port = random.randint(low, high)
    if port in avoid:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("stack_free_port: no free port in %s" % sys.argv[1])
PY
}

# nginx configuration files take paths unquoted: refuse the few characters
# that would break them rather than produce a subtly wrong config.
stack_check_path() {
	case $1 in
	*[[:space:]\;\|\'\"\{\}\$\#]*)
		stack_log "unusable path for nginx configuration: '$1'"
		return 1 ;;
	esac
}

# stack_render_nginx RUN_DIR LOG_DIR PORT SOCKET HASH_SOCKET
# Write RUN_DIR/nginx.conf from nginx/local.conf.in and
# RUN_DIR/authd-upstream.conf from nginx/authd-upstream.conf with the
# socket paths replaced; create nginx's temporary directories.
stack_render_nginx() {
	local run=$1 log=$2 port=$3 sock=$4 hsock=$5 user_directive='' p
	for p in "$run" "$log" "$sock" "$hsock" "$STACK_REPO"; do
		stack_check_path "$p" || return 1
	done
	mkdir -p "$run"/nginx-tmp/{body,fastcgi,proxy,scgi,uwsgi} "$log"
	if [[ $(id -u) -eq 0 ]]; then
		user_directive="user $(id -un) $(id -gn);"
	fi
	sed -e "s|unix:/run/authd/authd.sock|unix:$sock|" \
	    -e "s|unix:/run/authd/authd-hash.sock|unix:$hsock|" \
	    "$STACK_REPO/nginx/authd-upstream.conf" >"$run/authd-upstream.conf"
	if ! grep -q "unix:$sock;" "$run/authd-upstream.conf" ||
	   ! grep -q "unix:$hsock;" "$run/authd-upstream.conf"; then
		stack_log "nginx/authd-upstream.conf: socket lines not found"
		return 1
	fi
	# The template's top comment (which names the placeholders) is
	# dropped; everything else is substituted.
	{
	printf '# Generated from nginx/local.conf.in by spawn/stack.sh; do not edit.\n'
	sed -e '/^#/d' \
	    -e "s|@USER_DIRECTIVE@|$user_directive|" \
	    -e "s|@RUN_DIR@|$run|g" \
	    -e "s|@LOG_DIR@|$log|g" \
	    -e "s|@PORT@|$port|g" \
	    -e "s|@SNIPPET@|$STACK_REPO/nginx/authd.conf|g" \
	    -e "s|@VALIDATE_SNIPPET@|$STACK_REPO/nginx/authd-validate.conf|g" \
	    -e "s|@PROTECT_SNIPPET@|$STACK_REPO/nginx/authd-protect.conf|g" \
	    "$STACK_REPO/nginx/local.conf.in"
	} >"$run/nginx.conf"
	if grep -q '@[A-Z_][A-Z_]*@' "$run/nginx.conf"; then
		stack_log "nginx/local.conf.in: unknown placeholder left:"
		grep -n '@[A-Z_][A-Z_]*@' "$run/nginx.conf" >&2
		return 1
	fi
}

# Set STACK_NGINX_CMD to the nginx command line for the rendered
# configuration (prefix, early error log and config all inside the stack).
stack_nginx_cmd() {
	STACK_NGINX_CMD=(nginx -p "$STACK_RUN_DIR/" -e "$STACK_LOG_DIR/nginx-error.log"
	    -c "$STACK_RUN_DIR/nginx.conf")
}

# stack_launch NAME LOGFILE COMMAND...: start COMMAND in a new session (its
# pid is the session id and process group id) with
# stdin from /dev/null and stdout/stderr appended to LOGFILE (fd 3, which
# bats watches, closed); record its pid. Sets STACK_LAST_PID.
stack_launch() {
	local name=$1 logfile=$2
	shift 2
	mkdir -p "$STACK_RUN_DIR/pids"
	setsid "$@" </dev/null >>"$logfile" 2>&1 3>&- &
	STACK_LAST_PID=$!
	printf '%s\n' "$STACK_LAST_PID" >"$STACK_RUN_DIR/pids/$name"
}

# stack_pid NAME: the recorded pid of a component, empty if none.
stack_pid() {
	local f=$STACK_RUN_DIR/pids/$1
	[[ -f $f ]] && cat "$f"
	return 0
}

# True when the session SID (started by stack_launch, so also the process
# group of that id) still has a process that is not a zombie.
stack_group_alive() {
	local stats
	stats=$(ps -o stat= -s "$1" 2>/dev/null) || return 1
	grep -q '^[^Z]' <<<"$stats"
}

# True when the session SID holds a live process of this stack: its command
# line names the run directory or the repository, or it inherited this
# STACK_DIR. Guards against signalling whatever reused a stale pid.
stack_owns() {
	local p cmd
	for p in $(ps -o pid= -s "$1" 2>/dev/null); do
		[[ -r /proc/$p/cmdline ]] || continue
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
		if [[ -n $cmd && ( $cmd == *"$STACK_RUN_DIR"* || $cmd == *"$STACK_REPO"* ) ]]; then
			return 0
		fi
		if grep -qzxF "STACK_DIR=${STACK_DIR:-/nonexistent}" "/proc/$p/environ" 2>/dev/null; then
			return 0
		fi
	done
	return 1
}

# SIGKILL every process of the session SID, also one that changed its
# process group.
stack_kill_session() {
	local p
	kill -KILL -- "-$1" 2>/dev/null || true
	for p in $(ps -o pid= -s "$1" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null || true
	done
}

stack_alive() {
	local pid
	pid=$(stack_pid "$1")
	[[ -n $pid ]] && stack_group_alive "$pid"
}

# stack_wait_tcp PORT [SECONDS]: wait until something listens on
# 127.0.0.1:PORT.
stack_wait_tcp() {
	local port=$1 tries=$(( ${2:-5} * 20 ))
	while (( tries-- > 0 )); do
		if (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# Print the tail of every log of the stack (for a failed start or test).
stack_dump_logs() {
	local f
	for f in "$STACK_LOG_DIR"/*.log; do
		[[ -f $f ]] || continue
		printf '==== %s (last 40 lines)\n' "$f" >&2
		tail -n 40 "$f" >&2
	done
}

# stack_pg_url_db URL NAME: URL with its database replaced by NAME
# (postgresql://[user@][host][:port][/db][?params]).
stack_pg_url_db() {
	local re='^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$'
	[[ $1 =~ $re ]] || return 1
	printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$2" "${BASH_REMATCH[4]}"
}

# stack_psql URL SQL: one statement, errors to stderr.
stack_psql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# A database of this stack's own on the server of STACK_DATABASE_URL (see
# the top); its name and the server's URL go into $STACK_RUN_DIR/pgdb for
# stack_stop.
stack_create_pg_db() {
	local name url
	name=authd_$("$STACK_PYTHON" -c 'import secrets; print(secrets.token_hex(6))') || return 1
	url=$(stack_pg_url_db "$STACK_DATABASE_URL" "$name") || {
		stack_log "STACK_DATABASE_URL is not a postgresql:// URL"
		return 1
	}
	if ! stack_psql "$STACK_DATABASE_URL" "CREATE DATABASE $name" 2>>"$STACK_LOG_DIR/psql.log"; then
		stack_log "CREATE DATABASE $name failed:"
		cat "$STACK_LOG_DIR/psql.log" >&2
		return 1
	fi
	printf '%s\n%s\n' "$STACK_DATABASE_URL" "$name" >"$STACK_RUN_DIR/pgdb"
	export DATABASE_URL=$url
}

# Drop the database stack_create_pg_db made (after the app has stopped;
# WITH (FORCE) ends what another node sharing it left connected).
stack_drop_pg_db() {
	local f=$STACK_RUN_DIR/pgdb server name
	[[ -f $f ]] || return 0
	{ read -r server; read -r name; } <"$f"
	if ! stack_psql "$server" "DROP DATABASE IF EXISTS $name WITH (FORCE)"; then
		stack_log "DROP DATABASE $name failed"
		return 1
	fi
	rm -f "$f"
}

stack_start_captcha() {
	local script=$STACK_REPO/tests/captcha_stub.py
	if [[ ! -f $script ]]; then
		stack_log "warning: $script missing, no captcha stub"
		return 0
	fi
	STACK_CAPTCHA_PORT=$(stack_free_port "${STACK_PORT:-}")
	STACK_CAPTCHA_LOG=$STACK_LOG_DIR/captcha-requests.log
	: >"$STACK_CAPTCHA_LOG"
	stack_launch captcha "$STACK_LOG_DIR/captcha.log" \
	    "$STACK_PYTHON" "$script" "$STACK_CAPTCHA_PORT" "$STACK_CAPTCHA_LOG"
	STACK_CAPTCHA_PID=$STACK_LAST_PID
	export STACK_CAPTCHA_PORT STACK_CAPTCHA_LOG STACK_CAPTCHA_PID
	if ! stack_wait_tcp "$STACK_CAPTCHA_PORT" 5; then
		stack_log "captcha stub did not start"
		return 1
	fi
	export CAPTCHA_SERVICE_URL=http://127.0.0.1:$STACK_CAPTCHA_PORT
}

stack_start_smtp() {
	local script=$STACK_REPO/tests/smtp_sink.py portfile tries=200
	local -a extra=()
	if [[ ! -f $script ]]; then
		stack_log "warning: $script missing, mail goes to files"
		return 0
	fi
	STACK_MAIL_DIR=$STACK_DIR/mail-received
	STACK_SMTP_FAIL_FILE=$STACK_DIR/smtp-fail
	portfile=$STACK_RUN_DIR/smtp.port
	mkdir -p "$STACK_MAIL_DIR"
	rm -f "$portfile" "$STACK_SMTP_FAIL_FILE"
	if [[ -n ${STACK_SMTP_ARGS:-} ]]; then
		read -r -a extra <<<"$STACK_SMTP_ARGS"
	fi
	# The sink binds port 0 and reports the port it got: no race.
	stack_launch smtp "$STACK_LOG_DIR/smtp.log" \
	    "$STACK_PYTHON" "$script" -l 127.0.0.1:0 --port-file "$portfile" \
	    --fail-file "$STACK_SMTP_FAIL_FILE" "${extra[@]}" "$STACK_MAIL_DIR"
	STACK_SMTP_PID=$STACK_LAST_PID
	while [[ ! -s $portfile ]] && (( tries-- > 0 )); do
		if ! stack_alive smtp; then
			break
		fi
		sleep 0.05
	done
	if [[ ! -s $portfile ]]; then
		stack_log "SMTP sink did not start"
		return 1
	fi
	STACK_SMTP_PORT=$(cat "$portfile")
	export STACK_SMTP_PORT STACK_MAIL_DIR STACK_SMTP_PID STACK_SMTP_FAIL_FILE
	export MAIL_TRANSPORT=smtp SMTP_HOST=127.0.0.1 SMTP_PORT=$STACK_SMTP_PORT
}

stack_start_authd() {
	local -a prefix=() cmd
	if [[ -n ${STACK_AUTHD_PREFIX:-} ]]; then
		read -r -a prefix <<<"$STACK_AUTHD_PREFIX"
	fi
	rm -f "$STACK_SOCKET" "$STACK_HASH_SOCKET"
	case ${STACK_SPAWN_MODE:-master} in
	master)
		# Two nested spawn-fcgi -n, as spawn/authd-spawn does: the
		# outer one binds the hashing socket, sh moves it to fd 3, the
		# inner one binds the fast socket on fd 0 and execs auth.fcgi
		# (one pid all along: the master).
		cmd=(spawn-fcgi -n -s "$STACK_HASH_SOCKET" -M 0660 --
		    /bin/sh -c 'exec 3<&0 && exec "$@"' sh
		    spawn-fcgi -n -s "$STACK_SOCKET" -M 0660 --
		    "${prefix[@]}" "$AUTHD_BIN" --hash-fd 3) ;;
	single)
		# spawn-fcgi forks the workers and exits; -P lists their pids.
		# The hashing workers first (their pids in another file).
		stack_launch authd-hash "$STACK_AUTH_LOG" env -C "$STACK_APP_CWD" \
		    spawn-fcgi -s "$STACK_HASH_SOCKET" -M 0660 \
		    -F "${AUTH_HASH_WORKERS:-1}" -P "$STACK_RUN_DIR/authd-single-hash.pids" -- \
		    "${prefix[@]}" "$AUTHD_BIN" --single --class hash
		cmd=(spawn-fcgi -s "$STACK_SOCKET" -M 0660
		    -F "${AUTH_WORKERS:-2}" -P "$STACK_RUN_DIR/authd-single.pids" --
		    "${prefix[@]}" "$AUTHD_BIN" --single) ;;
	*)
		stack_log "STACK_SPAWN_MODE must be master or single"
		return 1 ;;
	esac
	stack_launch authd "$STACK_AUTH_LOG" env -C "$STACK_APP_CWD" "${cmd[@]}"
	STACK_AUTH_PID=$STACK_LAST_PID
	export STACK_AUTH_PID
}

stack_start_mailer() {
	if [[ ${STACK_MAILER:-auto} == 0 ]]; then
		return 0
	fi
	if [[ ! -x $AUTHD_MAILER_BIN ]]; then
		stack_log "warning: $AUTHD_MAILER_BIN not built yet, mailer skipped"
		return 0
	fi
	stack_launch mailer "$STACK_MAILER_LOG" env -C "$STACK_APP_CWD" "$AUTHD_MAILER_BIN"
	STACK_MAILER_PID=$STACK_LAST_PID
	export STACK_MAILER_PID
}

stack_start_nginx() {
	# Another server on the port would answer the readiness probe for us.
	if (exec 9<>"/dev/tcp/127.0.0.1/$STACK_PORT") 2>/dev/null; then
		stack_log "port $STACK_PORT is already in use"
		return 1
	fi
	stack_nginx_cmd
	if ! "${STACK_NGINX_CMD[@]}" -t -q 2>>"$STACK_NGINX_ERROR_LOG"; then
		stack_log "nginx configuration test failed"
		return 1
	fi
	stack_launch nginx "$STACK_LOG_DIR/nginx-stderr.log" "${STACK_NGINX_CMD[@]}"
	STACK_NGINX_PID=$STACK_LAST_PID
	export STACK_NGINX_PID
}

# stack_single_workers_alive: in single mode, every worker spawn-fcgi
# listed is still running (a worker that exits during its start leaves
# its share of the socket unanswered).
stack_single_workers_alive() {
	local f pid
	for f in "$STACK_RUN_DIR/authd-single.pids" "$STACK_RUN_DIR/authd-single-hash.pids"; do
		[[ -s $f ]] || continue
		while read -r pid; do
			if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
				stack_log "worker $pid ($(basename "$f" .pids)) exited during start"
				return 1
			fi
		done <"$f"
	done
	return 0
}

# stack_wait_ready SECONDS: poll GET /health/live through nginx until it
# answers 200 while every started component stays alive.
stack_wait_ready() {
	local deadline=$((SECONDS + $1)) code name
	while (( SECONDS < deadline )); do
		for name in nginx authd mailer smtp captcha; do
			if [[ -n $(stack_pid "$name") ]] && ! stack_alive "$name"; then
				if [[ $name == authd && ${STACK_SPAWN_MODE:-master} == single ]]; then
					# spawn-fcgi exits once it forked: watch
					# the workers it listed instead.
					stack_single_workers_alive || return 1
					continue
				fi
				stack_log "$name exited during start"
				return 1
			fi
		done
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
		    "$BASE/health/live" 2>/dev/null) || true
		if [[ $code == 200 ]]; then
			return 0
		fi
		sleep 0.1
	done
	stack_log "GET $BASE/health/live did not answer 200 in time (last: ${code:-none})"
	return 1
}

# stack_start: start everything described at the top of this file and wait
# until it serves. On failure prints the logs, stops what it started and
# returns 1.
stack_start() {
	if [[ -z ${STACK_DIR:-} ]]; then
		stack_log "STACK_DIR is not set"
		return 1
	fi
	STACK_DIR=$(cd "$STACK_DIR" && pwd) || return 1
	STACK_RUN_DIR=${STACK_RUN_DIR:-$STACK_DIR/run}
	STACK_LOG_DIR=${STACK_LOG_DIR:-$STACK_DIR/log}
	STACK_APP_CWD=${STACK_APP_CWD:-$STACK_DIR}
	AUTHD_BIN=${AUTHD_BIN:-$STACK_REPO/auth.fcgi}
	AUTHD_MAILER_BIN=${AUTHD_MAILER_BIN:-$STACK_REPO/auth-mailer}
	mkdir -p "$STACK_RUN_DIR/pids" "$STACK_LOG_DIR"
	chmod 0700 "$STACK_RUN_DIR"
	# A unix socket path must fit in sun_path (108 bytes): fall back to a
	# short directory when the stack lives deep down.
	STACK_SOCKET=$STACK_RUN_DIR/authd.sock
	STACK_HASH_SOCKET=$STACK_RUN_DIR/authd-hash.sock
	if (( ${#STACK_RUN_DIR} > 85 )); then
		STACK_SOCK_DIR=$(mktemp -d /tmp/authd-sock.XXXXXX)
		STACK_SOCKET=$STACK_SOCK_DIR/authd.sock
		STACK_HASH_SOCKET=$STACK_SOCK_DIR/authd-hash.sock
		printf '%s\n' "$STACK_SOCK_DIR" >"$STACK_RUN_DIR/sockdir"
	fi
	STACK_PORT=${STACK_PORT:-$(stack_free_port)}
	BASE=http://127.0.0.1:$STACK_PORT
	STACK_AUTH_LOG=$STACK_LOG_DIR/authd.log
	STACK_MAILER_LOG=$STACK_LOG_DIR/mailer.log
	STACK_NGINX_ERROR_LOG=$STACK_LOG_DIR/nginx-error.log
	STACK_NGINX_ACCESS_LOG=$STACK_LOG_DIR/nginx-access.log
	export STACK_DIR STACK_RUN_DIR STACK_LOG_DIR STACK_APP_CWD STACK_SOCKET STACK_HASH_SOCKET \
	    STACK_PORT BASE STACK_AUTH_LOG STACK_MAILER_LOG \
	    STACK_NGINX_ERROR_LOG STACK_NGINX_ACCESS_LOG AUTHD_BIN AUTHD_MAILER_BIN

	# The application's own configuration (SPEC §7): only the state
	# directory is set here; the database, spool and outbox follow it by
	# the app's defaults unless the environment (or its .env) says more.
	export AUTH_STATE_DIR=${AUTH_STATE_DIR:-$STACK_DIR/state}
	# Browser sign-in (SPEC §9): the pages' external address.
	export PUBLIC_URL=${PUBLIC_URL:-$BASE}
	export STACK_DB=${DATABASE_PATH:-$AUTH_STATE_DIR/auth.db}
	# The tree's templates, also for a mailer binary copied elsewhere.
	export MAIL_TEMPLATE_DIR=${MAIL_TEMPLATE_DIR:-$STACK_REPO/mail/templates}
	mkdir -p "$AUTH_STATE_DIR"
	chmod 0700 "$AUTH_STATE_DIR"
	if [[ -n ${STACK_DATABASE_URL:-} && ${STACK_SHARE_DB:-0} != 1 ]] &&
	   ! stack_create_pg_db; then
		return 1
	fi
	case ${DATABASE_URL:-} in
	postgres://*|postgresql://*) export STACK_BACKEND=postgresql ;;
	*) export STACK_BACKEND=sqlite ;;
	esac

	if [[ ! -x $AUTHD_BIN ]]; then
		stack_log "$AUTHD_BIN not found: run make first"
		return 1
	fi

	if ! stack_render_nginx "$STACK_RUN_DIR" "$STACK_LOG_DIR" "$STACK_PORT" "$STACK_SOCKET" "$STACK_HASH_SOCKET" ||
	   { [[ ${STACK_CAPTCHA:-0} == 1 ]] && ! stack_start_captcha; } ||
	   { [[ ${STACK_SMTP:-0} == 1 ]] && ! stack_start_smtp; } ||
	   ! stack_start_authd ||
	   ! stack_start_mailer ||
	   ! stack_start_nginx ||
	   ! stack_wait_ready "${STACK_READY_TIMEOUT:-30}" ||
	   ! stack_check_pg_used; then
		stack_dump_logs
		stack_stop
		return 1
	fi
	return 0
}

# With DATABASE_URL, the app must have made its tables there: a build
# that ignored DATABASE_URL would otherwise pass on its SQLite file.
stack_check_pg_used() {
	[[ $STACK_BACKEND == postgresql ]] || return 0
	if ! stack_psql "$DATABASE_URL" "SELECT 1 FROM users LIMIT 0" >/dev/null 2>&1; then
		stack_log "no users table in $DATABASE_URL: the app does not use DATABASE_URL"
		return 1
	fi
}

# stack_stop_one NAME SIGNAL SECONDS: send SIGNAL to the component's leader,
# wait up to SECONDS for its whole process group to end, then SIGKILL the
# group. Returns 1 when something survived even that.
stack_stop_one() {
	local name=$1 sig=$2 secs=$3 pid tries
	pid=$(stack_pid "$name")
	[[ -n $pid ]] || return 0
	if stack_group_alive "$pid" && ! stack_owns "$pid"; then
		stack_log "$name: pid $pid is no longer ours, not signalled"
		rm -f "$STACK_RUN_DIR/pids/$name"
		return 0
	fi
	if stack_group_alive "$pid"; then
		kill "-$sig" "$pid" 2>/dev/null || kill "-$sig" -- "-$pid" 2>/dev/null || true
		tries=$((secs * 20))
		while (( tries-- > 0 )) && stack_group_alive "$pid"; do
			sleep 0.05
		done
		if stack_group_alive "$pid"; then
			stack_log "$name (pid $pid) still running after SIG$sig: killing its group"
			stack_kill_session "$pid"
			tries=40
			while (( tries-- > 0 )) && stack_group_alive "$pid"; do
				sleep 0.05
			done
		fi
	fi
	# Reap it when it is this shell's child (no-op otherwise).
	wait "$pid" 2>/dev/null || true
	if stack_group_alive "$pid"; then
		stack_log "$name: processes left in group $pid"
		return 1
	fi
	rm -f "$STACK_RUN_DIR/pids/$name"
}

# Workers started by spawn-fcgi -F are in groups of their own: stop each
# (the fast ones, then the hashing ones).
stack_stop_single_workers() {
	local f pid rc=0
	for f in "$STACK_RUN_DIR/authd-single.pids" "$STACK_RUN_DIR/authd-single-hash.pids"; do
		[[ -f $f ]] || continue
		# spawn-fcgi writes the last pid without a newline.
		while read -r pid || [[ -n $pid ]]; do
			[[ -n $pid ]] || continue
			printf '%s\n' "$pid" >"$STACK_RUN_DIR/pids/authd-single-$pid"
			stack_stop_one "authd-single-$pid" TERM 10 || rc=1
		done <"$f"
		rm -f "$f"
	done
	return "$rc"
}

# stack_stop: stop everything stack_start started, newest first, nginx
# before the workers so no new request reaches a draining pool. Safe to
# call twice and after a partial start. Returns 1 if a process survived.
stack_stop() {
	local rc=0 i name sockdir
	[[ -n ${STACK_RUN_DIR:-} && -d ${STACK_RUN_DIR:-} ]] || return 0
	for (( i = ${#STACK_COMPONENTS[@]} - 1; i >= 0; i-- )); do
		name=${STACK_COMPONENTS[i]}
		stack_stop_one "$name" TERM 10 || rc=1
	done
	stack_stop_single_workers || rc=1
	stack_drop_pg_db || rc=1
	rm -f "${STACK_SOCKET:-}" "${STACK_HASH_SOCKET:-}"
	if [[ -f $STACK_RUN_DIR/sockdir ]]; then
		sockdir=$(cat "$STACK_RUN_DIR/sockdir")
		rm -f "$sockdir/authd.sock" "$sockdir/authd-hash.sock"
		rmdir "$sockdir" 2>/dev/null || true
		rm -f "$STACK_RUN_DIR/sockdir"
	fi
	return "$rc"
}
