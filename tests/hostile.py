#!/usr/bin/python3
"""Hostile requests against a running authd stack, through nginx.

Sends several hundred malformed requests, each over its own TCP
connection with bytes written by hand (so nothing is "fixed" by an HTTP
library on the way): broken, truncated, huge and deeply nested JSON;
wrong and missing content types; non-UTF-8 and NUL bytes, SQL injection
and path traversal strings in every field of every endpoint and in every
path parameter; enormous and repeated headers; absurd Authorization
values; forged JWTs (alg none, other algorithms, wrong key, expired,
refresh type, missing claims, tampered payload, unknown subject); odd
methods, paths and request lines.

Each answer must be a 4xx (a few cases name the 2xx the SPEC demands
instead, e.g. logout's 204 for any token) whose body is strict UTF-8
JSON with a "detail"; never a 5xx from authd (nginx's own 501 for an
unknown transfer coding is named where it is sent).  Whether the database
changed is checked by the caller (tests/bats/60_hostile.bats).

Usage: hostile.py --port PORT --secret KEY --user-token T --user-id ID
       --user-email E --admin-token T [--verbose]
Prints one line per failed request and a summary; exit status 1 when
any request failed.  Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import socket
import sys
import time
import urllib.parse

# ---------------------------------------------------------------------------
# HTTP by hand


def _complete(data):
    """True when data holds a whole response (or cannot be completed)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    low = head.lower()
    if b"\r\ntransfer-encoding: chunked" in low:
        return rest.endswith(b"0\r\n\r\n")
    for line in low.split(b"\r\n")[1:]:
        if line.startswith(b"content-length:"):
            try:
                return len(rest) >= int(line.split(b":", 1)[1])
            except ValueError:
                return True
    status = head.split(b" ", 2)[1:2]
    if status in ([b"204"], [b"304"]) or status[:1] and status[0].startswith(b"1"):
        return status != [b"100"] or b"\r\n\r\n" in rest
    return False


def http_exchange(port, raw, timeout=15):
    """Send raw bytes, read one response; (status, headers, body).

    The write side stays open (a half-closed client looks like an abort
    to nginx); the read ends when the response is complete, when the
    server closes, or after the timeout.
    """
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        try:
            s.sendall(raw)
        except OSError:
            pass    # nginx may answer and close before reading it all
        while not _complete(data):
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if data.startswith(b"HTTP/1.1 100"):
        data = data.partition(b"\r\n\r\n")[2]
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None, {}, data
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        return None, {}, data
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers.setdefault(k.strip().lower().decode("latin-1"), []).append(
            v.strip().decode("latin-1"))
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        body, rest2 = b"", rest
        while rest2:
            size_line, _, rest2 = rest2.partition(b"\r\n")
            try:
                n = int(size_line.split(b";")[0], 16)
            except ValueError:
                break
            if n == 0:
                break
            body += rest2[:n]
            rest2 = rest2[n + 2:]
    else:
        cl = headers.get("content-length")
        body = rest[:int(cl[0])] if cl else rest
    return status, headers, body


def build(method, path, headers=(), body=None, host=True, version=b"HTTP/1.1"):
    """A request as bytes; headers are (name, value) pairs of bytes or str."""
    def b(x):
        return x if isinstance(x, bytes) else x.encode("utf-8")
    out = b(method) + b" " + b(path) + b" " + version + b"\r\n"
    if host:
        out += b"Host: 127.0.0.1\r\n"
    out += b"Connection: close\r\n"
    for k, v in headers:
        out += b(k) + b": " + b(v) + b"\r\n"
    if body is not None:
        out += b"Content-Length: " + str(len(b(body))).encode() + b"\r\n"
    out += b"\r\n"
    if body is not None:
        out += b(body)
    return out


# ---------------------------------------------------------------------------
# JWTs


def b64u(x):
    if isinstance(x, str):
        x = x.encode("utf-8")
    return base64.urlsafe_b64encode(x).rstrip(b"=").decode()


def jwt(header, payload, key=None, alg="sha256", sig=None):
    h = header if isinstance(header, (bytes, str)) else json.dumps(header)
    p = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    signing = b64u(h) + "." + b64u(p)
    if sig is None:
        if key is None:
            sig = ""
        else:
            sig = b64u(hmac.new(key, signing.encode(), getattr(hashlib, alg)).digest())
    return signing + "." + sig


# ---------------------------------------------------------------------------
# The cases


class Case:
    __slots__ = ("name", "raw", "allowed", "endpoint", "nobody")

    def __init__(self, name, raw, allowed=None, endpoint=None):
        self.nobody = False         # a 200 search must find no user
        self.name = name
        self.raw = raw
        self.allowed = allowed      # None: any 4xx
        self.endpoint = endpoint    # the path the case is about


class WantCase(Case):
    """A case whose 4xx must also be one exact kind of answer."""
    __slots__ = ("want",)

    def __init__(self, name, raw, want):
        super().__init__(name, raw, {422})
        self.want = want        # doc -> None, or why it is wrong


def want_entry(typ, loc, value=Ellipsis):
    """A 422 whose only entry has this type, loc (and input value)."""
    def want(doc):
        d = doc.get("detail") if isinstance(doc, dict) else None
        if not isinstance(d, list) or len(d) != 1:
            return "not one 422 entry: %r" % (doc,)
        e = d[0]
        if e.get("type") != typ or e.get("loc") != loc:
            return "entry %r, wanted type %s at %r" % (e, typ, loc)
        if value is not Ellipsis and (e.get("input") != value or
                                      type(e.get("input")) is not type(value)):
            return "input %r, wanted %r" % (e.get("input"), value)
        return None
    return want


SQLI = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE users; --",
    "\" OR \"\"=\"",
    "admin'--",
    "') OR ('1'='1",
    "1' UNION SELECT id, email, password_hash FROM users --",
    "'||(SELECT password_hash FROM users LIMIT 1)||'",
    "1; UPDATE users SET account_role='ADMIN'",
    "%27%20OR%201%3D1",
    "\\' OR 1=1 #",
    "' AND sqlite_version() LIKE '3%",
]
TRAVERSAL = [
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/etc/passwd",
    "....//....//etc/passwd",
]
# Raw JSON texts of string values that are not clean UTF-8 text.
BAD_STRINGS = [
    b'"\xff\xfe"',                  # invalid UTF-8
    b'"a\xc0\xafb"',                # overlong encoding
    b'"\xed\xa0\x80"',              # encoded surrogate
    b'"abc\x00def"',                # raw NUL inside a string
    b'"\\u0000"',                   # escaped NUL
    b'"x\\u0000y"',
    b'"\\ud800"',                   # lone surrogate escape
    b'"\\udc00x"',
    b'"\x01\x02\x1b[31m"',          # raw control bytes
]
WRONG_TYPES = [b"123", b"null", b"[]", b"{}", b"true", b"-1e999", b'["a"]']


def jstr(s):
    return json.dumps(s).encode()


def obj(fields):
    """A JSON object from (name, raw JSON value bytes) pairs."""
    return b"{" + b",".join(jstr(k) + b":" + v for k, v in fields) + b"}"


class Suite:
    def __init__(self, a):
        self.a = a
        self.cases = []
        self.secret = a.secret.encode()

    def add(self, name, raw, allowed=None, endpoint=None):
        self.cases.append(Case(name, raw, allowed, endpoint))

    def req(self, name, method, path, body=None, ctype="application/json",
            headers=(), allowed=None, endpoint=None, auth=None):
        hs = list(headers)
        if ctype is not None and body is not None:
            hs.append(("Content-Type", ctype))
        if auth is not None:
            hs.append(("Authorization", auth))
        self.add(name, build(method, path, hs, body), allowed,
                 endpoint or path)

    # JSON endpoints: (method, path, base fields, auth, allowed for values)
    def endpoints(self):
        a = self.a
        user = "Bearer " + a.user_token
        admin = "Bearer " + a.admin_token
        uid = a.user_id
        # Every base body fails on its own (so no hostile variant can
        # succeed and change the database); "alt" is the base used when
        # the field under test is the one that made the base fail.
        return [
            ("POST", "/api/v1/auth/register", None,
             {"email": "hostile@example.com", "username": "hostile_user",
              "password": "short", "phone": "+48123456789"},
             {"password": {"email": "hostile@example.com", "username": "x"}},
             None),
            ("POST", "/api/v1/auth/login", None,
             {"login": a.user_email, "password": "not-the-password1"}, {},
             None),
            ("POST", "/api/v1/auth/refresh", None,
             {"refresh_token": "unknown-token"}, {}, None),
            ("POST", "/api/v1/auth/logout", None,
             {"refresh_token": "unknown-token"}, {}, {204}),
            ("POST", "/api/v1/auth/forgot-password", None,
             {"email": "nobody-hostile@example.com"}, {}, {202}),
            ("POST", "/api/v1/auth/reset-password", None,
             {"token": "unknown-token", "new_password": "newpass123"}, {},
             None),
            ("POST", "/api/v1/auth/verify-email", None,
             {"token": "unknown-token"}, {}, None),
            ("POST", "/api/v1/auth/resend-verification", None,
             {"email": "nobody-hostile@example.com"}, {}, {202}),
            ("POST", "/api/v1/users/me/password", user,
             {"current_password": "not-the-password1",
              "new_password": "newpass123"}, {}, None),
            ("PATCH", "/api/v1/users/" + uid, admin,
             {"account_role": "NOT_A_ROLE"},
             {"account_role": {"is_active": "no"}}, None),
        ]

    def json_cases(self):
        structural = [
            ("empty object", b"{}"), ("open brace", b"{"),
            ("unterminated member", b'{"a":'),
            ("unterminated string", b'{"email": "x'),
            ("trailing comma", b'{"a":1,}'), ("lone bracket", b"["),
            ("close only", b"}"), ("extra close", b'{"a":1}}'),
            ("bare word", b"nul"), ("single quotes", b"{'a':1}"),
            ("NaN", b'{"a":NaN}'), ("Infinity", b'{"a":Infinity}'),
            ("leading zero", b'{"a":01}'), ("bad escape", b'{"a":"\\x"}'),
            ("comment", b'{/* c */"a":1}'), ("garbage after", b'{"a":1} x'),
            ("BOM", b'\xef\xbb\xbf{"a":1}'), ("raw NUL", b'{"a":1}\x00'),
            ("only NUL", b"\x00"), ("binary", bytes(range(256))),
            ("array", b"[]"), ("string", b'"str"'), ("number", b"1"),
            ("null", b"null"), ("true", b"true"),
            ("deep arrays", b"[" * 5000 + b"]" * 5000),
            ("deep objects", b'{"a":' * 3000 + b"1" + b"}" * 3000),
            ("deep 33", b'{"a":' + b"[" * 33 + b"]" * 33 + b"}"),
            ("huge number", b'{"a":' + b"9" * 5000 + b"}"),
            ("many keys", b"{" + b",".join(b'"k%d":%d' % (i, i) for i in range(3000)) + b"}"),
            ("big string", b'{"a":"' + b"x" * 60000 + b'"}'),
            ("over 64 KiB", b'{"a":"' + b"x" * 70000 + b'"}'),
            ("truncated unicode", b'{"a":"\\u12'),
            ("whitespace only", b"   \r\n\t "),
        ]
        ctypes = [
            ("text/plain", b'{"email":"a@b.co"}'),
            ("application/xml", b"<a>1</a>"),
            ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n"),
            ("application/x-www-form-urlencoded", b"email=a%40b.co&password=x"),
            ("application/json; charset=utf-16", b'{"email":"a@b.co"}'),
            ("application/jsonx", b"{}"),
            ("", b"<not json>"),
            (None, b"<no content type>"),
            ("application/json" + ";x" * 2000, b"{}"),
        ]
        for method, path, auth, base, alt, ok_values in self.endpoints():
            # A valid object naming no known field is a valid request for
            # endpoints whose fields are all optional (logout: 204).
            ok_empty = ok_values or set()
            # (PATCH aims those at a user that does not exist: 404.)
            spath = path if method != "PATCH" else \
                "/api/v1/users/00000000-0000-4000-8000-000000000000"
            for label, body in structural:
                self.req("%s %s: %s" % (method, spath, label), method, spath,
                         body, auth=auth, endpoint=path, allowed=ok_empty or None)
            for ct, body in ctypes:
                self.req("%s %s: content type %r" % (method, spath, ct), method,
                         spath, body, ctype=ct, auth=auth, endpoint=path,
                         allowed=ok_empty or None)
            for field in base:
                others = alt.get(field, base)
                rest = [(k, jstr(v)) for k, v in others.items() if k != field]
                values = ([jstr(v) for v in SQLI + TRAVERSAL] + BAD_STRINGS +
                          WRONG_TYPES + [jstr("y" * 5000)])
                for v in values:
                    self.req("%s %s: %s=%r" % (method, path, field, v[:40]),
                             method, path, obj(rest + [(field, v)]),
                             auth=auth, endpoint=path,
                             allowed=ok_values)
                # The same field twice, the second hostile.
                self.req("%s %s: duplicate %s" % (method, path, field), method,
                         path, obj(rest + [(field, jstr("a")),
                                           (field, jstr(SQLI[0]))]),
                         auth=auth, endpoint=path, allowed=ok_values)

    def form_cases(self):
        p = "/api/v1/auth/login"
        ct = "application/x-www-form-urlencoded"
        bodies = [
            b"username=%00&password=x", b"username=%FF%FE&password=x1x1x1",
            b"username=a&password=%C0%AF", b"username=%zz&password=x",
            b"username=a&password=%4", b"username=" + urllib.parse.quote(SQLI[1]).encode() + b"&password=x1x1x1",
            b"username=" + urllib.parse.quote(TRAVERSAL[0]).encode() + b"&password=x1x1x1",
            b"&&&=&&", b"password=only", b"username=a\x00b&password=c",
            b"username=" + b"a" * 5000 + b"&password=x1x1x1",
            b"grant_type=client_credentials&username=a&password=x1x1x1",
        ]
        for b in bodies:
            self.req("login form %r" % b[:40], "POST", p, b, ctype=ct)

    def auth_cases(self):
        s = self.secret
        now = int(time.time())
        uid = self.a.user_id
        good = {"sub": uid, "type": "access", "iat": now, "exp": now + 600,
                "jti": "hostile", "role": "ADMIN", "username": "x", "gen": 0}
        H = {"alg": "HS256", "typ": "JWT"}
        real = self.a.user_token
        rh, rp, rs = real.split(".")
        tampered = json.loads(base64.urlsafe_b64decode(rp + "=" * (-len(rp) % 4)))
        tampered["role"] = "ADMIN"
        forged = [
            ("alg none", jwt({"alg": "none", "typ": "JWT"}, good)),
            ("alg none with signature", jwt({"alg": "none"}, good, s)),
            ("alg None", jwt({"alg": "None"}, good)),
            ("alg NONE", jwt({"alg": "NONE"}, good, sig="")),
            ("HS512 right key", jwt({"alg": "HS512", "typ": "JWT"}, good, s, "sha512")),
            ("HS384 right key", jwt({"alg": "HS384"}, good, s, "sha384")),
            ("RS256 header, HMAC", jwt({"alg": "RS256"}, good, s)),
            ("ES256 header", jwt({"alg": "ES256"}, good, s)),
            ("alg missing", jwt({"typ": "JWT"}, good, s)),
            ("alg array", jwt({"alg": ["HS256"]}, good, s)),
            ("alg lower", jwt({"alg": "hs256"}, good, s)),
            ("wrong key", jwt(H, good, b"not-the-secret-key-0123456789abcdef")),
            ("empty key", jwt(H, good, b"")),
            ("expired", jwt(H, dict(good, exp=now - 10), s)),
            ("exp zero", jwt(H, dict(good, exp=0), s)),
            ("exp string", jwt(H, dict(good, exp=str(now + 600)), s)),
            ("exp float", jwt(H, dict(good, exp=now + 600.5), s)),
            ("exp huge", jwt(H, dict(good, exp=10 ** 30), s)),
            ("exp missing", jwt(H, {k: v for k, v in good.items() if k != "exp"}, s)),
            ("type refresh", jwt(H, dict(good, type="refresh"), s)),
            ("type missing", jwt(H, {k: v for k, v in good.items() if k != "type"}, s)),
            ("type ACCESS", jwt(H, dict(good, type="ACCESS"), s)),
            ("sub missing", jwt(H, {k: v for k, v in good.items() if k != "sub"}, s)),
            ("sub empty", jwt(H, dict(good, sub=""), s)),
            ("sub number", jwt(H, dict(good, sub=1), s)),
            ("sub unknown", jwt(H, dict(good, sub="00000000-0000-4000-8000-000000000000"), s)),
            ("sub SQLi", jwt(H, dict(good, sub="' OR '1'='1"), s)),
            ("sub traversal", jwt(H, dict(good, sub="../../etc/passwd"), s)),
            ("sub NUL", jwt(H, dict(good, sub=uid + "\u0000x"), s)),
            ("gen missing", jwt(H, {k: v for k, v in good.items() if k != "gen"}, s)),
            ("gen wrong", jwt(H, dict(good, gen=1), s)),
            ("gen string", jwt(H, dict(good, gen="0"), s)),
            ("nbf future", jwt(H, dict(good, nbf=now + 3600), s)),
            ("crit header", jwt({"alg": "HS256", "crit": ["exp"]}, good, s)),
            ("kid traversal", jwt({"alg": "HS256", "kid": "../../../dev/null"}, good, b"")),
            ("jku header", jwt({"alg": "HS256", "jku": "http://evil/jwks"}, good, b"x")),
            ("header not JSON", jwt("not json", good, s)),
            ("payload not JSON", jwt(H, "not json", s)),
            ("payload array", jwt(H, "[1,2]", s)),
            ("payload deep", jwt(H, '{"a":' * 50 + "1" + "}" * 50, s)),
            ("payload bad UTF-8", jwt(H, b'{"sub":"\xff","type":"access","exp":9999999999,"gen":0}', s)),
            ("tampered payload", rh + "." + b64u(json.dumps(tampered)) + "." + rs),
            ("tampered header", b64u('{"alg":"HS256","typ":"JWT","x":1}') + "." + rp + "." + rs),
            ("signature cut", real[:-5]),
            ("signature padded", real + "="),
            ("signature altered", real[:-2] + ("AA" if real[-2:] != "AA" else "BB")),
            ("signature of another", rh + "." + rp + "." + b64u(b"\x00" * 32)),
            ("four parts", real + ".x"),
            ("two parts", rh + "." + rp),
            ("dots", "..."),
            ("padding chars", rh + "==." + rp + "." + rs),
            ("standard base64", real.replace("-", "+").replace("_", "/") + "+/"),
        ]
        absurd = [
            "", "Bearer", "Bearer ", "Bearer      ", "Basic dXNlcjpwYXNz",
            "Bearer a.b", "Bearer ....", "Bearer " + "A" * 7000,
            "Bearer %00", "Bearer \t\t", "Bearer é", "Bearer Bearer Bearer",
            "\"Bearer x", "Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXag",
            "Bearer a.b.c.d.e", "bearer%20%20x", '{"token":"x"}',
            "Bearer " + SQLI[0], "Bearer " + TRAVERSAL[0], "Digest username=x",
            "Bearer \x7f", "Token x", "Bearer=" + real, "Bearer" + real,
            "Bearer " + real + " extra",
        ]
        targets = [("GET", "/api/v1/auth/validate"),
                   ("GET", "/api/v1/users/me"),
                   ("GET", "/api/v1/users/" + uid)]
        for method, path in targets:
            for label, tok in forged:
                self.req("%s %s: JWT %s" % (method, path, label), method, path,
                         auth="Bearer " + tok)
            for v in absurd:
                self.req("%s %s: Authorization %r" % (method, path, v[:30]),
                         method, path, auth=v)
        # Bytes curl would never send in a header.
        for v in [b"Bearer \xff\xfe", b"Bearer a\x00b", b"\x80\x81",
                  b"Bearer " + b"\xc3" * 100]:
            self.req("validate: Authorization bytes %r" % v[:20], "GET",
                     "/api/v1/auth/validate", auth=v)
        # Two Authorization headers, neither valid.
        self.req("validate: two Authorization headers", "GET",
                 "/api/v1/auth/validate",
                 headers=[("Authorization", "Bearer a.b.c")],
                 auth="Bearer x.y.z")
        # A valid token with a hostile role demand.
        for role in SQLI[:6] + TRAVERSAL[:3] + ["admin", "ROOT", "%00", ""]:
            q = urllib.parse.quote(role, safe="")
            self.req("validate: role=%r" % role, "GET",
                     "/api/v1/auth/validate?role=" + q,
                     auth="Bearer " + self.a.user_token,
                     allowed=set(range(400, 500)) | ({200} if role == "" else set()))
            self.req("validate: X-Require-Role %r" % role, "GET",
                     "/api/v1/auth/validate",
                     headers=[("X-Require-Role", role)] if role else [],
                     auth="Bearer " + self.a.user_token,
                     allowed=set(range(400, 500)) | ({200} if role == "" else set()))

    def path_cases(self):
        admin = "Bearer " + self.a.admin_token
        user = "Bearer " + self.a.user_token
        params = SQLI + TRAVERSAL + [
            "", " ", "%00", "%ff%fe", "%c0%af", "a" * 200, "%2e%2e", "..",
            "00000000-0000-4000-8000-00000000000G", "{id}",
            "%2f", "*", "%25", "null", "-1", "0",
        ]
        for p in params:
            q = p if p.startswith("%") or p == ".." else \
                urllib.parse.quote(p, safe="")
            if not q:
                continue
            self.req("GET /users/%r" % p, "GET", "/api/v1/users/" + q, auth=admin)
            self.req("DELETE /users/%r" % p, "DELETE", "/api/v1/users/" + q,
                     auth=admin)
            self.req("PATCH /users/%r" % p, "PATCH", "/api/v1/users/" + q,
                     b'{"account_role":"REGULAR"}', auth=admin)
            self.req("DELETE /users/me/sessions/%r" % p, "DELETE",
                     "/api/v1/users/me/sessions/" + q, auth=user)
        for p in SQLI[:6] + TRAVERSAL[:3]:
            q = urllib.parse.quote(p, safe="")
            # A search finds nobody: the string is data, not SQL.
            self.req("GET /users?q=%r" % p, "GET", "/api/v1/users?q=" + q,
                     auth=admin, allowed={200})
            self.cases[-1].nobody = True
            self.req("GET /users?limit=%r" % p, "GET",
                     "/api/v1/users?limit=" + q, auth=admin)
            self.req("GET /users?offset=%r" % p, "GET",
                     "/api/v1/users?offset=" + q, auth=admin)
        for q in ["limit=0", "limit=101", "limit=-1", "limit=99999999999999999999",
                  "offset=-5", "limit=1e3", "limit=", "offset=0x10"]:
            self.req("GET /users?%s" % q, "GET", "/api/v1/users?" + q, auth=admin)
        # Undecodable query values (NUL, not UTF-8) are 422 entries.
        for q in ["limit=%00", "limit=%ff%fe", "offset=%c0%af", "limit=5%00",
                  "q=%ff", "q=%00"]:
            self.req("GET /users?%s" % q, "GET", "/api/v1/users?" + q,
                     auth=admin, allowed={422})
        odd_paths = [
            "/api/v1/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
            "/api/v1/auth/login/../../../../etc/passwd", "/api/v1/users/..;/",
            "/api/v1/auth/%2e%2e/%2e%2e/", "/api/v1/auth/login%00",
            "/api/v1/auth/login%2500", "/../", "/api/v1/auth/login/",
            "//api//v1//auth//login", "/api/v1/auth/LOGIN", "/API/V1/AUTH/LOGIN",
            "/api/v1/auth/login;x=1", "/api/v1/auth/login%20", "/api/v1/auth/log%69n",
            "/api/v1/users/me/sessions/", "/api/v1/users/me/sessions//x",
            "/api/v1/users/a/b", "/" + "a" * 9000, "/api/v1/" + "x/" * 3000,
            "/api/v1/auth/login?" + "a=b&" * 2000, "/\\..\\..\\etc\\passwd",
            "/api/v1/auth/validate/../../../etc/passwd", "/%ff%fe", "/%c0%ae%c0%ae/",
            "/_authd/error/500", "/_authd_validate", "/_authd_validate/ADMIN",
        ]
        for p in odd_paths:
            self.req("POST %r" % p[:50], "POST", p, b"{}")
            self.req("GET %r" % p[:50], "GET", p)

    def header_cases(self):
        v = "/api/v1/auth/validate"
        login = "/api/v1/auth/login"
        lb = b'{"login":"nobody@example.com","password":"x1x1x1x1"}'
        cases = [
            ("Authorization 20 KB", [("Authorization", "Bearer " + "A" * 20000)]),
            ("Authorization 100 KB", [("Authorization", "B" * 100000)]),
            ("100 repeated headers", [("X-Junk", "x")] * 100),
            ("2000 repeated headers", [("X-Junk", "x" * 20)] * 2000),
            ("cookie 30 KB", [("Cookie", "a=" + "c" * 30000)]),
            ("header name 9 KB", [("X-" + "N" * 9000, "v")]),
            ("User-Agent 8 KB", [("User-Agent", "u" * 8000)]),
            ("User-Agent bytes", [("User-Agent", b"\xff\xfe\x00x")]),
            ("X-Real-IP forged", [("X-Real-IP", "1.2.3.4' OR 1=1 --")]),
            ("X-Forwarded-For forged", [("X-Forwarded-For", "' OR 1=1, 10.0.0.1")]),
            ("X-Request-Id hostile", [("X-Request-Id", "<script>alert(1)</script>")]),
            ("X-Request-Id huge", [("X-Request-Id", "r" * 6000)]),
            ("Origin evil", [("Origin", "http://evil.example")]),
            ("Origin null", [("Origin", "null")]),
            ("Host SQLi", [("X-Host", "' OR 1=1")]),
            ("Proxy header", [("Proxy", "http://evil:1")]),
            ("Expect", [("Expect", "100-continue")]),
            ("Range", [("Range", "bytes=0-1,0-1,0-1")]),
        ]
        for label, hs in cases:
            self.req("validate: " + label, "GET", v, headers=hs)
            self.req("login: " + label, "POST", login, lb, headers=hs)
        # Preflights from origins that are not allowed.
        for origin in ["http://evil.example", "null", "http://localhost:3000.evil"]:
            self.req("preflight from %s" % origin, "OPTIONS", login,
                     headers=[("Origin", origin),
                              ("Access-Control-Request-Method", "POST")])
        # Request framing nginx must refuse itself.
        raw = [
            ("no Host", build("GET", "/", host=False)),
            ("garbage request line", b"GARBAGE\r\n\r\n"),
            ("bad method chars", b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("header without colon", b"GET /api/v1/auth/validate HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"),
            ("NUL in header", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"),
            ("space before colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n"),
            ("two Content-Length", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
             b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}"),
            ("negative Content-Length", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
             b"Content-Length: -1\r\n\r\n{}"),
            ("huge Content-Length", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
             b"Content-Length: 99999999999999999999\r\n\r\n{}"),
            ("chunked and length", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
             b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"),
            ("bad chunk size", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
             b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
            ("chunked over 64 KiB", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
             b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
             (b"8000\r\n" + b" " * 0x8000 + b"\r\n") * 3 + b"0\r\n\r\n"),
            ("chunked truncated JSON", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
             b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"5\r\n{\"log\r\n0\r\n\r\n"),
            ("unknown transfer coding", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
             b"Transfer-Encoding: gzip\r\n\r\n{}"),
            ("URI with NUL", b"GET /api/\x00v1 HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("URI with space", b"GET /api/v1 auth HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("absolute URI to another host", b"GET http://evil.example/api/v1/auth/validate HTTP/1.1\r\n"
             b"Host: x\r\n\r\n"),
            ("URI 20 KB", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("obs-fold header", b"GET /api/v1/auth/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n x.y.z\r\n\r\n"),
            ("CR only line ends", b"GET / HTTP/1.1\rHost: x\r\r"),
            ("HTTP/1.0 no Host, login", b"POST /api/v1/auth/login HTTP/1.0\r\n"
             b"Content-Type: application/json\r\nContent-Length: 1\r\n\r\n{"),
        ]
        for label, r in raw:
            # RFC 9112 6.1: an unknown transfer coding is answered 501.
            self.add("raw: " + label, r,
                     {501} if label == "unknown transfer coding" else None)
        for m in ["FOO", "TRACE", "CONNECT", "PROPFIND", "PUT", "DELETE", "PATCH",
                  "get", "M" * 200]:
            self.req("method %s on login" % m[:20], m, "/api/v1/auth/login", b"{}")
        self.req("GET login with a body", "GET", "/api/v1/auth/login", b"{}")
        self.req("HEAD register", "HEAD", "/api/v1/auth/register",
                 allowed=set(range(400, 500)))

    def build_all(self):
        self.json_cases()
        self.form_cases()
        self.auth_cases()
        self.path_cases()
        self.header_cases()
        self.security_cases()

    # Issue 9 (security review): answers checked to the entry, not only
    # "a 4xx". Raw control characters inside strings are json_invalid at
    # their byte offset; valid JSON that is not an object is one
    # model_attributes_type entry with the value as input.
    def security_cases(self):
        admin = "Bearer " + self.a.admin_token
        path = "/api/v1/users/" + self.a.user_id
        self.cases.append(WantCase(
            "PATCH %s: raw U+0001 inside a string" % path,
            build("PATCH", path, [("Content-Type", "application/json"),
                                  ("Authorization", admin)],
                  b'{"a": "x\x01y"}'),
            want_entry("json_invalid", ["body", 8])))
        for c in range(0x20):
            body = b'{"login": "a' + bytes([c]) + b'b", "password": "x"}'
            self.cases.append(WantCase(
                "POST login: raw control 0x%02x inside a string" % c,
                build("POST", "/api/v1/auth/login",
                      [("Content-Type", "application/json")], body),
                want_entry("json_invalid", ["body", 12])))
        for p in ("/api/v1/auth/login", "/api/v1/auth/register",
                  "/api/v1/auth/reset-password", "/api/v1/auth/refresh"):
            for raw in (b"42", b"true", b"false", b"null", b'"text"',
                        b"-1.5e3", b" 7 ", b"[1,{}]"):
                self.cases.append(WantCase(
                    "POST %s: JSON scalar %r" % (p, raw), build(
                        "POST", p, [("Content-Type", "application/json")],
                        raw),
                    want_entry("model_attributes_type", ["body"],
                               json.loads(raw))))


# ---------------------------------------------------------------------------
# Checking


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def check(case, status, headers, body):
    """None when the answer is right, else why not."""
    if status is None:
        return "no HTTP answer (%d bytes: %r)" % (len(body), body[:80])
    allowed = case.allowed
    if 500 <= status <= 599 and (allowed is None or status not in allowed):
        return "a %d: %r" % (status, body[:200])
    ok4 = 400 <= status <= 499
    if allowed is not None:
        if status not in allowed and not ok4:
            return "status %d, wanted one of %s or a 4xx" % (status, sorted(allowed))
    elif not ok4:
        return "status %d, wanted a 4xx: %r" % (status, body[:200])
    if not body:
        if ok4 and not case.raw.startswith(b"HEAD "):
            return "a %d without a body" % status
        return None
    try:
        doc = json.loads(body.decode("utf-8", errors="strict"),
                         parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as e:
        return "body is not UTF-8 JSON (%s): %r" % (e, body[:200])
    if ok4 and (not isinstance(doc, dict) or "detail" not in doc):
        return "a %d without detail: %r" % (status, body[:200])
    if status == 200 and case.nobody and (not isinstance(doc, dict) or
                                          doc.get("total") != 0):
        return "the search found users: %r" % body[:200]
    ct = ",".join(headers.get("content-type", []))
    if not ct.startswith("application/json"):
        return "content type %r" % ct
    if isinstance(case, WantCase):
        if status != 422:
            return "status %d, wanted 422" % status
        return case.want(doc)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--user-token", required=True)
    ap.add_argument("--user-id", required=True)
    ap.add_argument("--user-email", required=True)
    ap.add_argument("--admin-token", required=True)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()

    suite = Suite(a)
    suite.build_all()

    sent = failed = 0
    by_status = {}
    t0 = time.monotonic()
    for c in suite.cases:
        try:
            st, hs, body = http_exchange(a.port, c.raw)
        except OSError as e:
            st, hs, body = None, {}, str(e).encode()
        sent += 1
        by_status[st] = by_status.get(st, 0) + 1
        why = check(c, st, hs, body)
        if why is not None:
            failed += 1
            print("not ok - %s: %s" % (c.name, why))
        elif a.verbose:
            print("ok - %s: %s" % (c.name, st))
    dt = time.monotonic() - t0
    print("hostile: statuses: %s" % ", ".join(
        "%s x%d" % (k, v) for k, v in sorted(by_status.items(), key=lambda kv: str(kv[0]))))
    print("hostile: %d requests in %.1fs, %d ok, %d failed"
          % (sent, dt, sent - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
