#!/usr/bin/env bats
#
# The OpenAPI document: served as JSON and YAML, the same document in
# both, valid for a real OpenAPI validator (@apidevtools/swagger-parser
# from the npm registry, installed once into a cache directory), and true
# to the running router. The route table and the document are compared
# entry by entry in tests/unit/test_openapi.c.

load helpers

# swagger-parser 10.1.1 runs on the Node.js of Debian 12 (18) and later.
SWAGGER_PARSER=@apidevtools/swagger-parser@10.1.1

setup_file() {
	start_stack
}

teardown_file() {
	stop_stack
}

# The directory holding node_modules/@apidevtools/swagger-parser; installs
# it there on first use.
validator_dir() {
	local dir=${AUTHD_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authd/node}
	if [[ ! -f $dir/node_modules/@apidevtools/swagger-parser/package.json ]]; then
		command -v npm >/dev/null || {
			echo "npm is missing: spawn/deps.sh installs it" >&2
			return 1
		}
		mkdir -p "$dir" &&
		    npm install --prefix "$dir" --no-audit --no-fund \
		    --loglevel=error "$SWAGGER_PARSER" >&2 || return 1
	fi
	printf '%s\n' "$dir"
}

# validate FILE: swagger-parser's full validation (schema and semantics).
validate() {
	local dir
	dir=$(validator_dir) || return 1
	NODE_PATH=$dir/node_modules node -e '
const SwaggerParser = require("@apidevtools/swagger-parser");
SwaggerParser.validate(process.argv[1])
  .then(api => { console.log("valid: " + api.info.title + " " + api.info.version); })
  .catch(err => { console.error(err.message); process.exit(1); });
' "$1"
}

@test "GET /openapi.json serves an OpenAPI 3 document as JSON" {
	api GET /openapi.json
	assert_status 200
	assert_header Content-Type application/json
	assert_json_match .openapi '^3\.0\.[0-9]+$'
	assert_json_eq .info.title authd
	assert_json_has '.paths./api/v1/auth/login.post'
}

@test "the served document is handlers/openapi.json as built (not a stale copy)" {
	api GET /openapi.json
	assert_status 200
	run "$PY" -c '
import json, sys
sys.exit(0 if json.loads(sys.stdin.read()) == json.load(open(sys.argv[1]))
         else "handlers/openapi.inc is older than handlers/openapi.json: rebuild")
' "$HELPERS_REPO/handlers/openapi.json" <<<"$body"
	[[ $status -eq 0 ]] || _fail "$output"
}

@test "the document's version is the one /health/live reports" {
	local v
	api GET /health/live
	assert_status 200
	v=$(json_get .version)
	api GET /openapi.json
	assert_status 200
	assert_json_eq .info.version "$v"
}

@test "GET /docs.yaml serves the same document as YAML" {
	api GET /openapi.json
	assert_status 200
	printf '%s' "$body" >"$BATS_TEST_TMPDIR/doc.json"
	api GET /docs.yaml
	assert_status 200
	assert_header Content-Type application/yaml
	printf '%s' "$body" >"$BATS_TEST_TMPDIR/doc.yaml"
	run "$PY" -c '
import json, sys, yaml
a = json.load(open(sys.argv[1]))
b = yaml.safe_load(open(sys.argv[2]))
sys.exit(0 if a == b else "the YAML and JSON documents differ")
' "$BATS_TEST_TMPDIR/doc.json" "$BATS_TEST_TMPDIR/doc.yaml"
	[[ $status -eq 0 ]] || _fail "$output"
}

@test "the JSON document passes a real OpenAPI validator" {
	api GET /openapi.json
	assert_status 200
	printf '%s' "$body" >"$BATS_TEST_TMPDIR/openapi.json"
	run validate "$BATS_TEST_TMPDIR/openapi.json"
	[[ $status -eq 0 ]] || _fail "validator: $output"
	[[ $output == *"valid: authd "* ]] || _fail "validator: $output"
}

@test "the YAML document passes a real OpenAPI validator" {
	api GET /docs.yaml
	assert_status 200
	printf '%s' "$body" >"$BATS_TEST_TMPDIR/openapi.yaml"
	run validate "$BATS_TEST_TMPDIR/openapi.yaml"
	[[ $status -eq 0 ]] || _fail "validator: $output"
}

@test "the validator refuses a broken document (it really checks)" {
	# The validator must be there: "cannot install it" is not "refused".
	validator_dir >/dev/null
	api GET /openapi.json
	assert_status 200
	"$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
d["paths"]["/api/v1/auth/login"]["post"]["responses"] = "nothing"
print(json.dumps(d))
' <<<"$body" >"$BATS_TEST_TMPDIR/broken.json"
	run validate "$BATS_TEST_TMPDIR/broken.json"
	[[ $status -ne 0 ]] || _fail "a broken document was accepted"
	# Refused for what is broken, not for something else.
	[[ $output == *responses* ]] || _fail "refused for another reason: $output"
}

@test "every documented operation is routed by the running service" {
	local line method path
	api GET /openapi.json
	assert_status 200
	"$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
for p, item in d["paths"].items():
    for m in item:
        if m in ("get", "post", "put", "patch", "delete"):
            print(m.upper(), p.replace("{id}", "6f1c2d4e-0000-4000-8000-000000000000"))
' <<<"$body" >"$BATS_TEST_TMPDIR/ops"
	[[ $(wc -l <"$BATS_TEST_TMPDIR/ops") -ge 20 ]] || _fail "too few operations"
	while read -r method path; do
		api "$method" "$path"
		[[ $status != 405 ]] || _fail "$method $path: 405"
		[[ $status != 404 || $body != '{"detail":"Not Found"}' ]] ||
		    _fail "$method $path: unknown path"
		[[ $status != 501 ]] || _fail "$method $path: not implemented"
	done <"$BATS_TEST_TMPDIR/ops"
}

@test "protected operations are documented with their 401 and served with it" {
	api GET /openapi.json
	assert_json_has '.paths./api/v1/users/me.get.responses.401'
	assert_json_eq '.paths./api/v1/users/me.get.security[0].bearerAuth' '[]'
	api GET /api/v1/users/me
	assert_status 401
	assert_body_json '{"detail":"Could not validate credentials"}'
}

@test "a wrong method on the document's path answers 405 with Allow" {
	api POST /openapi.json
	assert_status 405
	assert_body_json '{"detail":"Method Not Allowed"}'
	assert_header Allow GET
}
