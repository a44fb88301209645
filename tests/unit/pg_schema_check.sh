#!/bin/sh
# The two schemas describe the same database: SQLite's schema.sql and
# PostgreSQL's migrations (store/pg/), compared by tests/unit/
# pg_schema_compare.py through their catalogues (tables, columns with
# their type family, nullability and default, primary keys, unique and
# check constraints, foreign keys, indexes).  Then the comparison is shown
# to fail: three changes made to the PostgreSQL side must each be named.
#
# The server: STACK_DATABASE_URL's (tests/pg/with-pg), else a throw-away
# one started here (tests/pg/pg); the schema goes into a database of its
# own, dropped at the end.
set -eu

cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
own=
db=authd_schema_$$
url=${STACK_DATABASE_URL:-}

cleanup() {
	if [ -n "$url" ]; then
		psql -X -q -d "$url" -c "DROP DATABASE IF EXISTS $db" \
		    >/dev/null 2>&1 || true
	fi
	if [ -n "$own" ]; then
		tests/pg/pg destroy "$own" || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$url" ]; then
	own=$(mktemp -d /tmp/authd-pgschema.XXXXXX)
	url=$(tests/pg/pg start "$own")
fi
# The same server, the database of this check.
dburl=$(printf '%s\n' "$url" |
    sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$db#")
psql -X -q -d "$url" -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null
for f in store/pg/[0-9]*.sql; do
	psql -X -q -d "$dburl" -v ON_ERROR_STOP=1 -f "$f" >/dev/null
done
psql -X -q -d "$dburl" -v ON_ERROR_STOP=1 -c "CREATE TABLE \
    schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT)" \
    >/dev/null

echo "== schema.sql against store/pg/"
$PY tests/unit/pg_schema_compare.py schema.sql "$dburl"

echo "== the comparison sees a change"
psql -X -q -d "$dburl" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
ALTER TABLE users ALTER COLUMN phone SET NOT NULL;
DROP INDEX users_email;
ALTER TABLE sessions DROP CONSTRAINT sessions_kind_check;
SQL
out=$($PY tests/unit/pg_schema_compare.py schema.sql "$dburl" \
    --expect-differences) || { echo "$out"; echo "no difference seen"; exit 1; }
echo "$out"
for want in "'users', 'phone', 'text', False" "'users_email'" \
    "'check', 'sessions', \"kindin'api','browser'\""; do
	case $out in
	*"only in SQLite:     ("*"$want"*) ;;
	*) echo "not named: $want"; exit 1 ;;
	esac
done
echo "ok"
