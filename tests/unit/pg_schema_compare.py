#!/usr/bin/python3
"""Compares SQLite's schema (schema.sql) with PostgreSQL's (store/pg/).

Usage: pg_schema_compare.py SCHEMA_SQL PSQL_CONNINFO [--expect-differences]

Both are read back from the databases' catalogues (sqlite3 in memory,
PostgreSQL through psql) and described in the same words:
  - tables, and their columns: name, type family (integer, text, blob),
    NOT NULL, default;
  - primary keys, UNIQUE and CHECK constraints, foreign keys (with their
    ON DELETE action);
  - indexes (unique or not, their keys, their WHERE).
SQLite's implicit rowid is PostgreSQL's explicit "rowid" identity column
(store/pg/0001_init.sql says why): unique, or the primary key of a table
that names none; and the bookkeeping of the migrations
(schema_migrations, PostgreSQL only: SQLite keeps PRAGMA user_version) is
left out.  Prints the differences; exit 0 when there are none (or, with
--expect-differences, when there are some: the self-test that shows the
comparison can fail).
"""
import re
import sqlite3
import subprocess
import sys

FAMILY = {
    "integer": "integer", "bigint": "integer",
    "text": "text",
    "blob": "blob", "bytea": "blob",
}


def norm(expr):
    """An expression as words without layout, casts or spelling."""
    e = expr.strip()
    e = re.sub(r"::[a-z ]+(\[\])?", "", e)
    # PostgreSQL's x = ANY (ARRAY[a, b]) is SQL's x IN (a, b)
    e = re.sub(r"=\s*ANY\s*\(ARRAY\[(.*?)\]\)", r" IN (\1)", e)
    e = e.lower()
    e = re.sub(r"[()\s]", "", e)
    return e


def checks_of(create_sql):
    """The CHECK (...) bodies of a CREATE TABLE statement."""
    out = []
    for m in re.finditer(r"\bCHECK\s*\(", create_sql, re.I):
        depth, i = 1, m.end()
        while depth and i < len(create_sql):
            depth += {"(": 1, ")": -1}.get(create_sql[i], 0)
            i += 1
        out.append(norm(create_sql[m.end():i - 1]))
    return out


def sqlite_shape(schema_path):
    db = sqlite3.connect(":memory:")
    with open(schema_path) as f:
        db.executescript(f.read())
    shape = set()
    tables = db.execute("SELECT name, sql FROM sqlite_master WHERE "
                        "type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()
    for t, sql in tables:
        shape.add(("table", t))
        pk = []
        for cid, name, typ, notnull, dflt, pkpos in db.execute(
                f"PRAGMA table_info('{t}')"):
            if pkpos:
                pk.append((pkpos, name))
            # A PRIMARY KEY holds no NULL in either (SQLite's rowid
            # tables would allow it; nothing inserts one).
            nn = bool(notnull) or bool(pkpos)
            shape.add(("column", t, name, FAMILY[typ.lower()], nn,
                       norm(dflt) if dflt is not None else None))
        if not re.search(r"WITHOUT\s+ROWID", sql, re.I):
            # The rowid: the primary key of a table that names none.
            shape.add(("column", t, "rowid", "integer", True, None))
            if pk:
                shape.add(("unique", t, "rowid"))
            else:
                pk = [(1, "rowid")]
        shape.add(("primary key", t, ",".join(n for _, n in sorted(pk))))
        for c in checks_of(sql):
            shape.add(("check", t, c))
        fks = {}
        for (fid, seq, ref, frm, to, onupd, ondel,
             _match) in db.execute(f"PRAGMA foreign_key_list('{t}')"):
            fks.setdefault(fid, []).append((seq, frm, ref, to, ondel))
        for cols in fks.values():
            cols.sort()
            shape.add(("foreign key", t, ",".join(c[1] for c in cols),
                       cols[0][2], ",".join(c[3] for c in cols),
                       cols[0][4].upper()))
        for _seq, name, unique, origin, _partial in db.execute(
                f"PRAGMA index_list('{t}')"):
            if origin == "u":
                keys = [r[2] for r in db.execute(
                    f"PRAGMA index_info('{name}')")]
                shape.add(("unique", t, ",".join(keys)))
    for name, t, sql in db.execute("SELECT name, tbl_name, sql FROM "
                                   "sqlite_master WHERE type = 'index' AND "
                                   "sql IS NOT NULL"):
        shape.add(index_words(name, t, sql))
    return shape


def index_words(name, table, sql):
    """(index, table, name, unique, keys, where) from CREATE INDEX text."""
    m = re.match(r"\s*CREATE\s+(UNIQUE\s+)?INDEX\s+\S+\s+ON\s+\S+\s*"
                 r"(?:USING\s+\w+\s*)?\((.*?)\)\s*(?:WHERE\s+(.*))?;?\s*$",
                 sql, re.I | re.S)
    if m is None:
        raise SystemExit(f"cannot read the index {name}: {sql}")
    keys = m.group(2)
    # The key list closes at the last ")" before WHERE: re-balance it.
    if keys.count("(") != keys.count(")"):
        keys += ")" * (keys.count("(") - keys.count(")"))
    return ("index", table, name, bool(m.group(1)), norm(keys),
            norm(m.group(3)) if m.group(3) else None)


def psql(conninfo, query):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\x1f", "-d",
                          conninfo, "-v", "ON_ERROR_STOP=1", "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\x1f") for line in out.splitlines() if line]


SKIP = "('schema_migrations')"


def pg_shape(conninfo):
    shape = set()
    for (t,) in psql(conninfo, "SELECT table_name FROM information_schema."
                     "tables WHERE table_schema = 'public' AND table_name "
                     f"NOT IN {SKIP}"):
        shape.add(("table", t))
    for t, c, typ, nullable, dflt, ident in psql(
            conninfo, "SELECT table_name, column_name, data_type, "
            "is_nullable, coalesce(column_default, '\x01'), is_identity "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            f"AND table_name NOT IN {SKIP}"):
        if ident == "YES" and c != "rowid":
            raise SystemExit(f"{t}.{c}: an identity column not named rowid")
        shape.add(("column", t, c, FAMILY.get(typ, typ), nullable == "NO",
                   norm(dflt) if dflt != "\x01" else None))
    for t, kind, cols, ref, refcols, ondel, df in psql(
            conninfo, "SELECT c.conrelid::regclass::text, c.contype, "
            "(SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM "
            "unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = k.n), "
            "coalesce(c.confrelid::regclass::text, ''), "
            "coalesce((SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM "
            "unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a "
            "ON a.attrelid = c.confrelid AND a.attnum = k.n), ''), "
            "c.confdeltype, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = "
            "c.connamespace WHERE n.nspname = 'public' AND "
            f"c.conrelid::regclass::text NOT IN {SKIP}"):
        if kind == "p":
            shape.add(("primary key", t, cols))
        elif kind == "u":
            shape.add(("unique", t, cols))
        elif kind == "c":
            shape.add(("check", t, norm(re.sub(r"^CHECK\s*", "", df))))
        elif kind == "f":
            action = {"c": "CASCADE", "a": "NO ACTION", "r": "RESTRICT",
                      "n": "SET NULL", "d": "SET DEFAULT"}[ondel]
            shape.add(("foreign key", t, cols, ref, refcols, action))
        else:
            raise SystemExit(f"{t}: a constraint of kind {kind}: {df}")
    for name, t, sql in psql(
            conninfo, "SELECT i.indexname, i.tablename, i.indexdef FROM "
            "pg_indexes i WHERE i.schemaname = 'public' AND i.tablename NOT "
            f"IN {SKIP} AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
            "quote_ident(i.indexname))::regclass)"):
        shape.add(index_words(name, t, sql))
    return shape


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    expect_diff = "--expect-differences" in sys.argv
    lite = sqlite_shape(args[0])
    pg = pg_shape(args[1])
    only_lite = sorted(lite - pg, key=str)
    only_pg = sorted(pg - lite, key=str)
    for x in only_lite:
        print("only in SQLite:    ", x)
    for x in only_pg:
        print("only in PostgreSQL:", x)
    n = len(only_lite) + len(only_pg)
    print(f"{len(lite)} facts of SQLite's schema, {len(pg)} of "
          f"PostgreSQL's, {n} difference(s)")
    if len(lite) < 60:
        print("too few facts read: the reading is broken")
        return 1
    if expect_diff:
        return 0 if n > 0 else 1
    return 0 if n == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
