#!/usr/bin/env bats
#
# auth.fcgi --single as plain workers under spawn-fcgi -F N, no master.

load helpers

setup_file() {
	export STACK_SPAWN_MODE=single AUTH_WORKERS=3
	start_stack
}

teardown_file() {
	stop_stack
}

@test "spawn-fcgi -F 3 runs three plain workers that share the database" {
	[ "$(grep -c . "$STACK_RUN_DIR/authd-single.pids")" -eq 3 ]
	local p
	while read -r p; do
		kill -0 "$p"
		[ -z "$(pgrep -P "$p")" ]
	done <"$STACK_RUN_DIR/authd-single.pids"
	new_user
	local i
	for i in 1 2 3 4 5 6; do
		api_bearer "$ACCESS_TOKEN" GET /api/v1/auth/validate
		assert_status 200
	done
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}"
	assert_status 200
}
